#!/usr/bin/env python3
"""The optimum (or a proven bound) of a capacitated facility location instance, by HiGHS.

Reads the instance exactly as servnet solves it: `servnet bench-location NAME --out FILE`
writes the parsed or generated arrays (layout in crates/servnet-cli/src/bench.rs), so a
generated Cornuejols-type instance (`cornuejols-100x1000-r5-s1`) comes from the same
generator and seed as `servnet bench-location cornuejols-100x1000-r5-s1 --method heuristic`.

Model (multi-source, the strong formulation): binary open y_i, fractions x_ij in [0, 1],
sum_i x_ij = 1 per point, x_ij <= y_i, sum_j d_j x_ij <= cap_i y_i, and the aggregate
capacity row sum_i cap_i y_i >= total demand. HiGHS runs on one thread (the machine is
shared) with a relative gap of 1e-6 unless told otherwise, and prints one JSON object:
objective, dual bound, gap, status, seconds, the open sites.

Usage:
  python scripts/cflp_optimum.py cornuejols-100x1000-r5-s1 [--servnet target/release/servnet]
      [--time-limit 1800] [--threads 1] [--log FILE]
  python scripts/cflp_optimum.py /work/shared/benchmarks/cflp/orlib/capa.txt --capacity 8000
Needs numpy and highspy (python/requirements-bench.txt).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

from compare_plan import load_instance  # the layout `servnet bench-location --out` writes


def write_instance(servnet, name, capacity, out):
    """Has servnet parse or generate the instance and write its arrays to `out`."""
    cmd = [servnet, "bench-location", name, "--method", "heuristic", "--time-limit", "0.01",
           "--out", out]
    if capacity is not None:
        cmd += ["--capacity", str(capacity)]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def build_lp(inst):
    """The strong CFLP formulation as a column-wise HiGHS LP (y columns, then x_ij)."""
    import highspy

    m, n = inst["m"], inst["n"]
    cost, cap, demand = inst["cost"], inst["cap"], inst["demand"]
    si, pj = np.nonzero(np.isfinite(cost))  # allowed pairs, site-major
    k = len(si)
    link = n + np.arange(k)  # rows n .. n+k-1: x_ij - y_i <= 0
    caprow = n + k + np.arange(m)  # rows: sum_j d_j x_ij - cap_i y_i <= 0
    agg = n + k + m  # sum_i cap_i y_i >= total demand
    rows = np.concatenate([link, caprow, np.full(m, agg), pj, link, caprow[si]])
    cols = np.concatenate([si, np.arange(m), np.arange(m), m + np.arange(k), m + np.arange(k),
                           m + np.arange(k)])
    vals = np.concatenate([-np.ones(k), -cap, cap, np.ones(k), np.ones(k), demand[pj]])
    order = np.lexsort((rows, cols))
    rows, cols, vals = rows[order], cols[order], vals[order]
    start = np.searchsorted(cols, np.arange(m + k + 1)).astype(np.int32)
    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = m + k, agg + 1
    lp.col_cost_ = np.concatenate([inst["fixed"], cost[si, pj]])
    lp.col_lower_ = np.zeros(m + k)
    lp.col_upper_ = np.ones(m + k)
    lp.row_lower_ = np.concatenate([np.ones(n), np.full(k + m, -inf), [demand.sum()]])
    lp.row_upper_ = np.concatenate([np.ones(n), np.zeros(k + m), [inf]])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = start
    lp.a_matrix_.index_ = rows.astype(np.int32)
    lp.a_matrix_.value_ = vals
    lp.integrality_ = [highspy.HighsVarType.kInteger] * m + [highspy.HighsVarType.kContinuous] * k
    return lp


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("instance", help="a cap* file or cornuejols-<m>x<n>-r<ratio>-s<seed>")
    ap.add_argument("--capacity", type=float, help="capacity of every site (capa/capb/capc)")
    ap.add_argument("--servnet", default=os.environ.get("SERVNET", "target/release/servnet"))
    ap.add_argument("--time-limit", type=float, default=1800.0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--gap", type=float, default=1e-6, help="HiGHS mip_rel_gap")
    ap.add_argument("--log", help="write HiGHS's log to this file")
    a = ap.parse_args()

    import highspy

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "instance.bin")
        write_instance(a.servnet, a.instance, a.capacity, path)
        inst = load_instance(path)
    if inst["p"] != 0:
        sys.exit("not a CFLP instance")
    t0 = time.perf_counter()
    h = highspy.Highs()
    h.setOptionValue("output_flag", a.log is not None)
    if a.log:
        h.setOptionValue("log_to_console", False)
        h.setOptionValue("log_file", a.log)
    h.setOptionValue("threads", a.threads)
    h.setOptionValue("time_limit", a.time_limit)
    h.setOptionValue("mip_rel_gap", a.gap)
    h.passModel(build_lp(inst))
    h.run()
    info = h.getInfo()
    has = info.primal_solution_status == 2
    opened = []
    if has:
        y = np.asarray(h.getSolution().col_value[: inst["m"]])
        opened = [int(i) for i in np.nonzero(y > 0.5)[0]]
    obj = info.objective_function_value if has else None
    bound = info.mip_dual_bound
    print(json.dumps({
        "instance": a.instance,
        "capacity": a.capacity,
        "sites": inst["m"],
        "points": inst["n"],
        "objective": obj,
        "bound": bound,
        "gap": (obj - bound) / obj if obj else None,
        "status": h.modelStatusToString(h.getModelStatus()),
        "seconds": time.perf_counter() - t0,
        "threads": a.threads,
        "open": opened,
    }))


if __name__ == "__main__":
    main()
