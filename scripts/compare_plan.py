#!/usr/bin/env python3
"""servnet's location solvers side by side with HiGHS (highspy), PuLP/CBC and PySAL spopt.

Same OR-Library instances, same time limit per solver:
  * CFLP, multi-source (cap41, cap71, cap101, cap131; capa-8000 with --large): servnet's
    Lagrangian heuristic and HiGHS MIP (`servnet bench-location`, hidden subcommand),
    vs HiGHS MIP through highspy and PuLP with its bundled CBC.
  * p-median (pmed1, pmed6, pmed11, pmed16; pmed26 with --large): servnet's greedy +
    interchange heuristic and MIP, vs highspy, PuLP/CBC and spopt `PMedian` (which
    builds its model with PuLP and is solved here with the same CBC).

servnet parses each file and writes the parsed instance (`--out`: sizes, fixed costs,
capacities, demands, full assignment-cost matrix; p-median distances after
Floyd-Warshall), so every peer solves exactly the arrays servnet solved. Peers use the
same MIP: binary open y_i, fractions x_ij in [0, 1], sum_i x_ij = 1, x_ij <= y_i; CFLP
adds sum_j d_j x_ij <= cap_i y_i and sum_i cap_i y_i >= total demand; p-median adds
sum_i y_i = p. Each peer runs in a fresh interpreter (spawn) and its seconds include
building the model.

Usage: python scripts/compare_plan.py [--servnet /tmp/servnet-compare]
       [--bench-dir /work/shared/benchmarks] [--time-limit 20] [--large] [--quick]
Needs: pip install -r python/requirements-bench.txt. Prints a markdown table.
"""

import argparse
import csv
import json
import multiprocessing as mp
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

CFLP = ["cap41", "cap71", "cap101", "cap131"]
CFLP_LARGE = ["capa-8000"]
PMED = ["pmed1", "pmed6", "pmed11", "pmed16"]
PMED_LARGE = ["pmed26"]


def isolated(fn, *args):
    """Runs fn in a fresh interpreter (no shared solver state or clashing symbols)."""
    with ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("spawn")) as ex:
        try:
            return ex.submit(fn, *args).result()
        except Exception as e:  # a peer failing is a table entry, not a crash
            return {"error": f"{type(e).__name__}: {e}".splitlines()[0][:80]}


def load_instance(path):
    """Reads the layout written by `servnet bench-location --out` (see bench.rs)."""
    with open(path, "rb") as f:
        m, n, p = (int(v) for v in np.frombuffer(f.read(24), dtype="<i8"))
        fixed = np.frombuffer(f.read(8 * m), dtype="<f8")
        cap = np.frombuffer(f.read(8 * m), dtype="<f8")
        demand = np.frombuffer(f.read(8 * n), dtype="<f8")
        cost = np.frombuffer(f.read(8 * m * n), dtype="<f8").reshape(m, n)
    return {"m": m, "n": n, "p": p, "fixed": fixed, "cap": cap, "demand": demand, "cost": cost}


def highs_mip(inst, time_limit):
    import highspy
    from scipy import sparse

    t0 = time.perf_counter()
    m, n, p = inst["m"], inst["n"], inst["p"]
    cost, cap, demand = inst["cost"], inst["cap"], inst["demand"]
    si, pj = np.nonzero(np.isfinite(cost))  # allowed pairs, site-major
    k = len(si)
    xcol = m + np.arange(k)
    rows, cols, vals = [], [], []
    # rows 0..n-1: sum_i x_ij = 1
    rows.append(pj), cols.append(xcol), vals.append(np.ones(k))
    # rows n..n+k-1: x_ij - y_i <= 0
    link = n + np.arange(k)
    rows += [link, link]
    cols += [xcol, si]
    vals += [np.ones(k), -np.ones(k)]
    r = n + k
    lo = [np.ones(n), np.full(k, -highspy.kHighsInf)]
    up = [np.ones(n), np.zeros(k)]
    if p == 0:  # CFLP: capacity rows and the aggregate capacity row
        rows += [r + si, r + np.arange(m)]
        cols += [xcol, np.arange(m)]
        vals += [demand[pj], -cap]
        lo.append(np.full(m, -highspy.kHighsInf))
        up.append(np.zeros(m))
        rows.append(np.full(m, r + m))
        cols.append(np.arange(m))
        vals.append(cap)
        lo.append(np.array([demand.sum()]))
        up.append(np.array([highspy.kHighsInf]))
        r += m + 1
    else:  # p-median: sum_i y_i = p
        rows.append(np.full(m, r))
        cols.append(np.arange(m))
        vals.append(np.ones(m))
        lo.append(np.array([float(p)]))
        up.append(np.array([float(p)]))
        r += 1
    a = sparse.csc_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(r, m + k)
    )
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = m + k, r
    lp.col_cost_ = np.concatenate([inst["fixed"], cost[si, pj]])
    lp.col_lower_ = np.zeros(m + k)
    lp.col_upper_ = np.ones(m + k)
    lp.row_lower_ = np.concatenate(lo)
    lp.row_upper_ = np.concatenate(up)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data
    lp.integrality_ = [highspy.HighsVarType.kInteger] * m + [highspy.HighsVarType.kContinuous] * k
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("mip_rel_gap", 1e-6)
    h.passModel(lp)
    h.run()
    secs = time.perf_counter() - t0
    info = h.getInfo()
    has = info.primal_solution_status == 2
    return {"seconds": secs, "objective": info.objective_function_value if has else None,
            "bound": info.mip_dual_bound, "status": h.modelStatusToString(h.getModelStatus())}


def pulp_cbc(inst, time_limit):
    import pulp

    t0 = time.perf_counter()
    m, n, p = inst["m"], inst["n"], inst["p"]
    cost, cap, demand = inst["cost"], inst["cap"], inst["demand"]
    prob = pulp.LpProblem("loc", pulp.LpMinimize)
    y = [pulp.LpVariable(f"y{i}", cat="Binary") for i in range(m)]
    x = {}
    for i in range(m):
        for j in np.nonzero(np.isfinite(cost[i]))[0]:
            x[i, int(j)] = pulp.LpVariable(f"x{i}_{j}", 0, 1)
    prob += pulp.LpAffineExpression(
        [(y[i], float(inst["fixed"][i])) for i in range(m)]
        + [(v, float(cost[i, j])) for (i, j), v in x.items()]
    )
    by_point = [[] for _ in range(n)]
    by_site = [[] for _ in range(m)]
    for (i, j), v in x.items():
        by_point[j].append(v)
        by_site[i].append((v, float(demand[j])))
        prob += v - y[i] <= 0
    for j in range(n):
        prob += pulp.lpSum(by_point[j]) == 1
    if p == 0:
        for i in range(m):
            prob += pulp.LpAffineExpression(by_site[i] + [(y[i], -float(cap[i]))]) <= 0
        prob += pulp.LpAffineExpression([(y[i], float(cap[i])) for i in range(m)]) >= float(
            demand.sum()
        )
    else:
        prob += pulp.lpSum(y) == p
    prob.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit))
    secs = time.perf_counter() - t0
    has = prob.sol_status in (1, 2)
    return {"seconds": secs, "objective": pulp.value(prob.objective) if has else None,
            "bound": None, "status": pulp.LpSolution[prob.sol_status]}


def spopt_pmedian(inst, time_limit):
    import pulp
    from spopt.locate import PMedian

    t0 = time.perf_counter()
    # spopt wants clients x facilities; every vertex has weight 1 here.
    model = PMedian.from_cost_matrix(inst["cost"].T.copy(), inst["demand"].copy(), inst["p"])
    model.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit), results=False)
    secs = time.perf_counter() - t0
    prob = model.problem
    has = prob.sol_status in (1, 2)
    return {"seconds": secs, "objective": pulp.value(prob.objective) if has else None,
            "bound": None, "status": pulp.LpSolution[prob.sol_status]}


def optima(bench_dir):
    best = {}
    for sub in ("cflp", "pmedian"):
        with open(os.path.join(bench_dir, sub, "optimal_values.csv")) as f:
            for r in csv.DictReader(f):
                best[r["instance"]] = float(r["optimal_or_best"])
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--servnet", default=os.environ.get("SERVNET_BIN", "target/release/servnet"))
    ap.add_argument("--bench-dir", default=os.environ.get("SERVNET_BENCHMARKS",
                                                          "/work/shared/benchmarks"))
    ap.add_argument("--time-limit", type=float, default=20.0)
    ap.add_argument("--large", action="store_true", help="also capa-8000 and pmed26")
    ap.add_argument("--quick", action="store_true", help="only cap41 and pmed1")
    a = ap.parse_args()
    cflp = CFLP[:1] if a.quick else CFLP + (CFLP_LARGE if a.large else [])
    pmed = PMED[:1] if a.quick else PMED + (PMED_LARGE if a.large else [])
    best = optima(a.bench_dir)
    from importlib.metadata import PackageNotFoundError, version

    def ver(pkg):
        try:
            return version(pkg)
        except PackageNotFoundError:
            return "not installed"

    print(f"highspy {ver('highspy')}, PuLP {ver('pulp')} (bundled CBC), spopt {ver('spopt')}, "
          f"time limit {a.time_limit:g} s per solver, {os.cpu_count()} cores\n")
    print("| instance | optimum | solver | objective | gap to opt | bound | s | status |")
    print("| --- | ---: | --- | ---: | ---: | ---: | ---: | --- |")

    def row(name, solver, r):
        opt = best.get(name)
        if "error" in r:
            print(f"| {name} | {opt:.3f} | {solver} | - | - | - | - | failed: {r['error']} |",
                  flush=True)
            return
        obj, bound = r.get("objective"), r.get("bound")
        rel = None if obj is None else 100.0 * (obj - opt) / opt
        gap = "-" if rel is None else ("0.000%" if abs(rel) < 5e-4 else f"{rel:+.3f}%")
        ob = "-" if obj is None else f"{obj:.3f}"
        bd = "-" if bound is None or not np.isfinite(bound) else f"{bound:.1f}"
        print(f"| {name} | {opt:.3f} | {solver} | {ob} | {gap} | {bd} | {r['seconds']:.2f} | "
              f"{r['status']} |", flush=True)

    jobs = [(name, "cflp") for name in cflp] + [(name, "pmedian") for name in pmed]
    with tempfile.TemporaryDirectory() as tmp:
        for name, kind in jobs:
            if kind == "cflp":
                base, _, capacity = name.partition("-")
                path = os.path.join(a.bench_dir, "cflp", "orlib", base + ".txt")
            else:
                path, capacity = os.path.join(a.bench_dir, "pmedian", "orlib", name + ".txt"), ""
            binp = os.path.join(tmp, name + ".bin")
            cmd = [a.servnet, "bench-location", path, "--time-limit", str(a.time_limit),
                   "--out", binp]
            if capacity:
                cmd += ["--capacity", capacity]
            s = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
            heur = "Lagrangian" if kind == "cflp" else "greedy + interchange"
            row(name, f"servnet {heur}", s["heuristic"])
            row(name, "servnet MIP (HiGHS)", s["mip"])
            inst = load_instance(binp)
            row(name, "HiGHS MIP (highspy)", isolated(highs_mip, inst, a.time_limit))
            row(name, "PuLP / CBC", isolated(pulp_cbc, inst, a.time_limit))
            if kind == "pmedian":
                row(name, "spopt PMedian (CBC)", isolated(spopt_pmedian, inst, a.time_limit))
    return 0


if __name__ == "__main__":
    sys.exit(main())
