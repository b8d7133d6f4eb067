#!/usr/bin/env python3
"""servnet's batch-assignment solvers side by side with OR-Tools and HiGHS, same instances.

Transport (unit tickets, ~30-35 arcs per ticket): servnet writes each seeded instance
(`servnet bench-transport`, hidden subcommand) and reports its own solve; this script
loads the same arrays and solves them with OR-Tools SimpleMinCostFlow and with HiGHS as
an LP (highspy, from sparse arrays).

The product path (`--only product`): seeded data folders from scripts/assign_network.py
(tickets and outlets around China's cities by population, 12 skills, unit tickets),
`servnet assign DIR` timed end to end as a process (read, eligibility, components,
solve, bound, write; the sequential baseline runs beside it), its in-process `time`, and
Python's `servnet.assign` on the same folder when servnet is importable; OR-Tools
SimpleMinCostFlow solves the very arcs servnet built (`assign --export-transport`),
timed from arrays in memory (no file reading, no eligibility).

GAP type D/E (Yagiura's files): servnet's Lagrangian heuristic and its HiGHS MIP
(`servnet bench-gap`) vs OR-Tools CP-SAT and HiGHS MIP through highspy, all with the same
time limit.

Usage: python scripts/compare_assign.py [--servnet target/release/servnet]
       [--gap-dir /work/shared/benchmarks/gap] [--time-limit 10] [--quick]
       [--only transport|gap|product] [--no-highs-lp] [--repeat 3]
Needs: pip install -r python/requirements-bench.txt. Prints a markdown table.
"""

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time

import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor

import numpy as np


def isolated(fn, *args):
    """Runs fn in a fresh interpreter: OR-Tools bundles its own HiGHS, whose symbols
    clash with highspy's in one process. Timings are taken inside fn."""
    with ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("spawn")) as ex:
        return ex.submit(fn, *args).result()

TRANSPORT = [(10_000, 1_000, 30, 0.9), (100_000, 5_000, 35, 0.9), (100_000, 5_000, 35, 0.98)]
# (tickets, outlets, skills per outlet, tightness): ~28 and ~42 arcs per ticket.
PRODUCT = [(10_000, 1_000, 8, 0.9), (100_000, 5_000, 2, 0.9), (100_000, 5_000, 2, 1.05)]
GAP = ["d05100", "d10200", "d20200", "e05100", "e10200", "e20200"]


def load_transport(path):
    with open(path, "rb") as f:
        n, m, nnz = np.frombuffer(f.read(24), dtype="<i8")
        cap = np.frombuffer(f.read(4 * m), dtype="<u4").astype(np.int64)
        start = np.frombuffer(f.read(8 * (n + 1)), dtype="<i8")
        bucket = np.frombuffer(f.read(4 * nnz), dtype="<u4").astype(np.int64)
        cost = np.frombuffer(f.read(8 * nnz), dtype="<i8")
        pen = np.frombuffer(f.read(8 * n), dtype="<i8")
    ticket = np.repeat(np.arange(n, dtype=np.int64), np.diff(start))
    return int(n), int(m), cap, ticket, bucket, cost, pen


def ortools_mcf(n, m, cap, ticket, bucket, cost, pen):
    from ortools.graph.python import min_cost_flow

    t0 = time.perf_counter()
    f = min_cost_flow.SimpleMinCostFlow()
    sink = n + m
    tickets = np.arange(n, dtype=np.int64)
    tails = np.concatenate([ticket, tickets, n + np.arange(m, dtype=np.int64)])
    heads = np.concatenate([n + bucket, np.full(n, sink), np.full(m, sink)])
    caps = np.concatenate([np.ones(len(ticket) + n, dtype=np.int64), cap])
    costs = np.concatenate([cost, pen, np.zeros(m, dtype=np.int64)])
    f.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    supplies = np.zeros(n + m + 1, dtype=np.int64)
    supplies[:n] = 1
    supplies[sink] = -n
    f.set_nodes_supplies(np.arange(n + m + 1, dtype=np.int64), supplies)
    status = f.solve()
    secs = time.perf_counter() - t0
    ok = status == f.OPTIMAL
    return secs, (f.optimal_cost() if ok else None), "optimal" if ok else str(status)


def highs_lp(n, m, cap, ticket, bucket, cost, pen, time_limit=300.0):
    import highspy

    t0 = time.perf_counter()
    nnz = len(ticket)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", time_limit)
    lp = highspy.HighsLp()
    lp.num_col_ = nnz + n
    lp.num_row_ = n + m
    lp.col_cost_ = np.concatenate([cost, pen]).astype(np.float64)
    lp.col_lower_ = np.zeros(nnz + n)
    lp.col_upper_ = np.ones(nnz + n)
    lp.row_lower_ = np.concatenate([np.ones(n), np.full(m, -highspy.kHighsInf)])
    lp.row_upper_ = np.concatenate([np.ones(n), cap.astype(np.float64)])
    idx = np.empty(2 * nnz + n, dtype=np.int32)
    idx[0 : 2 * nnz : 2] = ticket
    idx[1 : 2 * nnz : 2] = n + bucket
    idx[2 * nnz :] = np.arange(n)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.concatenate(
        [np.arange(0, 2 * nnz + 1, 2), 2 * nnz + np.arange(1, n + 1)]
    ).astype(np.int32)
    lp.a_matrix_.index_ = idx
    lp.a_matrix_.value_ = np.ones(2 * nnz + n)
    h.passModel(lp)
    h.run()
    secs = time.perf_counter() - t0
    st = h.getModelStatus()
    obj = h.getInfo().objective_function_value
    ok = st == highspy.HighsModelStatus.kOptimal
    return secs, (round(obj) if ok else None), h.modelStatusToString(st)


def parse_gap(path):
    with open(path) as f:
        v = np.array(f.read().split(), dtype=np.int64)
    m, n = int(v[0]), int(v[1])
    c = v[2 : 2 + m * n].reshape(m, n)
    w = v[2 + m * n : 2 + 2 * m * n].reshape(m, n)
    cap = v[2 + 2 * m * n : 2 + 2 * m * n + m]
    return m, n, c, w, cap


def cpsat_gap(m, n, c, w, cap, time_limit):
    from ortools.sat.python import cp_model

    t0 = time.perf_counter()
    md = cp_model.CpModel()
    x = [[md.new_bool_var(f"x{i}_{j}") for j in range(n)] for i in range(m)]
    for j in range(n):
        md.add_exactly_one(x[i][j] for i in range(m))
    for i in range(m):
        md.add(sum(int(w[i, j]) * x[i][j] for j in range(n)) <= int(cap[i]))
    md.minimize(sum(int(c[i, j]) * x[i][j] for i in range(m) for j in range(n)))
    s = cp_model.CpSolver()
    s.parameters.max_time_in_seconds = time_limit
    s.parameters.num_workers = 2
    st = s.solve(md)
    secs = time.perf_counter() - t0
    has = st in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    return secs, (round(s.objective_value) if has else None), round(s.best_objective_bound), s.status_name(st)


def highs_gap(m, n, c, w, cap, time_limit):
    import highspy

    t0 = time.perf_counter()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("threads", 1)
    lp = highspy.HighsLp()
    N = m * n
    lp.num_col_ = N
    lp.num_row_ = n + m
    lp.col_cost_ = c.reshape(-1).astype(np.float64)
    lp.col_lower_ = np.zeros(N)
    lp.col_upper_ = np.ones(N)
    lp.row_lower_ = np.concatenate([np.ones(n), np.full(m, -highspy.kHighsInf)])
    lp.row_upper_ = np.concatenate([np.ones(n), cap.astype(np.float64)])
    col = np.arange(N)
    i, j = col // n, col % n
    idx = np.empty(2 * N, dtype=np.int32)
    idx[0::2] = j
    idx[1::2] = n + i
    val = np.empty(2 * N)
    val[0::2] = 1.0
    val[1::2] = w.reshape(-1)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.arange(0, 2 * N + 1, 2).astype(np.int32)
    lp.a_matrix_.index_ = idx
    lp.a_matrix_.value_ = val
    lp.integrality_ = [highspy.HighsVarType.kInteger] * N
    h.passModel(lp)
    h.run()
    secs = time.perf_counter() - t0
    info = h.getInfo()
    has = info.primal_solution_status == 2
    return (secs, (round(info.objective_function_value) if has else None),
            int(np.ceil(info.mip_dual_bound - 1e-6)), h.modelStatusToString(h.getModelStatus()))


def run_cli(servnet, folder, out, extra=()):
    """`servnet assign` as a process: wall seconds, in-process seconds, objective."""
    t0 = time.perf_counter()
    r = subprocess.run([servnet, "assign", folder, "--out", out, *extra],
                       check=True, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    v = {}
    for line in r.stdout.splitlines():
        k, _, rest = line.partition(":")
        v[k.strip()] = rest.strip()
    return wall, float(v["time"].split()[0]), float(v["objective"]), v["method"]


def python_assign(folder):
    """`servnet.assign` from Python on a folder: seconds of the call (the plan's table
    included), objective; and the CLI's work from Python: read the folder, plan beside
    the sequential baseline (`compare_with_sequential`), the table as a DataFrame."""
    import servnet

    net = servnet.Network.from_dir(folder)
    tickets = servnet.read_tickets(os.path.join(folder, "tickets.csv"), net)
    d = servnet.Dispatcher(net)
    t0 = time.perf_counter()
    plan = servnet.assign(tickets, d)
    secs = time.perf_counter() - t0
    t0 = time.perf_counter()
    net, tickets = servnet.read_network_and_tickets(folder)
    both = servnet.compare_with_sequential(tickets, net)
    both.to_pandas()
    folder_secs = time.perf_counter() - t0
    return secs, plan.summary()["objective"], folder_secs, both.summary()["objective"]


def product(servnet, tmp, repeat):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from assign_network import generate

    try:
        import servnet as _  # noqa: F401
        have_py = True
    except ImportError:
        have_py = False
    print("| instance | solver | seconds (runs) | objective | note |")
    print("| --- | --- | --- | ---: | --- |")
    for n, m, spo, tight in PRODUCT:
        folder = generate(n, m, tight, 7, os.path.join(tmp, f"p{n}_{tight}"), spo)
        binf = os.path.join(tmp, "p.bin")
        out = os.path.join(tmp, "plan.csv")
        _, _, obj, method = run_cli(servnet, folder, out, ["--export-transport", binf])
        data = load_transport(binf)
        name = (f"assign {n} tickets x {m} outlets, {spo} of 12 skills, tightness {tight}, "
                f"{len(data[3]) / n:.1f} arcs/ticket")
        runs = [run_cli(servnet, folder, out) for _ in range(repeat)]
        walls = ", ".join(f"{r[0]:.3f}" for r in runs)
        inner = ", ".join(f"{r[1]:.3f}" for r in runs)
        print(f"| {name} | `servnet assign` process wall | {walls} | {obj:.3f} | {method} |", flush=True)
        print(f"| {name} | `servnet assign` in-process `time` | {inner} | {obj:.3f} | assign() only |",
              flush=True)
        if have_py:
            py = [isolated(python_assign, folder) for _ in range(repeat)]
            print(f"| {name} | Python `servnet.assign` call | "
                  f"{', '.join(f'{r[0]:.3f}' for r in py)} | {py[0][1]:.3f} | |", flush=True)
            print(f"| {name} | Python: folder read, `compare_with_sequential`, table | "
                  f"{', '.join(f'{r[2]:.3f}' for r in py)} | {py[0][3]:.3f} | "
                  "the CLI's work, in-process |", flush=True)
        secs, ocost, note = isolated(ortools_mcf, *data)
        same = "same optimum" if ocost is not None and ocost == round(obj * 1000) else "DIFFERENT"
        print(f"| {name} | OR-Tools SimpleMinCostFlow (same arcs) | {secs:.3f} | "
              f"{fmt(None if ocost is None else ocost / 1000)} | {note}, {same} |", flush=True)


def fmt(x):
    return "-" if x is None else f"{x}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--servnet", default=os.environ.get("SERVNET_BIN", "target/release/servnet"))
    ap.add_argument("--gap-dir", default="/work/shared/benchmarks/gap")
    ap.add_argument("--time-limit", type=float, default=10.0)
    ap.add_argument("--quick", action="store_true", help="only the 10k transport case and 2 GAP files")
    ap.add_argument("--only", choices=["all", "transport", "gap", "product"], default="all",
                    help="run only the transport rows, the GAP rows or the product path")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs of the product path")
    ap.add_argument("--gap-instances", default=None,
                    help="comma-separated Yagiura files instead of the default GAP list "
                         "(e.g. d801600,e801600)")
    ap.add_argument("--no-highs-lp", action="store_true",
                    help="skip HiGHS' LP on transport (300 s on the tight case)")
    a = ap.parse_args()
    transport = TRANSPORT[:1] if a.quick else TRANSPORT
    gaps = GAP[:1] + GAP[3:4] if a.quick else GAP
    if a.gap_instances:
        gaps = [g for g in a.gap_instances.split(",") if g]
    if a.only == "gap":
        transport = []
    if a.only == "transport":
        gaps = []
    from importlib.metadata import version

    if a.only == "product":
        print(f"OR-Tools {version('ortools')}, {os.cpu_count()} cores\n")
        with tempfile.TemporaryDirectory() as tmp:
            product(a.servnet, tmp, a.repeat)
        return 0
    print(f"OR-Tools {version('ortools')}, highspy {version('highspy')}, {os.cpu_count()} cores\n")
    print("| instance | solver | seconds | objective | bound / note |")
    print("| --- | --- | ---: | ---: | --- |")
    with tempfile.TemporaryDirectory() as tmp:
        for n, m, k, tight in transport:
            path = os.path.join(tmp, f"t{n}.bin")
            out = subprocess.run([a.servnet, "bench-transport", str(n), str(m), str(k), str(tight),
                                  "--out", path], check=True, capture_output=True, text=True)
            s = json.loads(out.stdout)
            name = f"transport {n}x{m}, {k} arcs/ticket, tightness {tight}"
            print(f"| {name} | servnet solve_transport | {s['seconds']:.2f} | {s['objective']} | "
                  f"bound {s['lower_bound']} ({'optimal' if s['optimal'] else 'not proven'}) |", flush=True)
            data = load_transport(path)
            secs, obj, note = isolated(ortools_mcf, *data)
            print(f"| {name} | OR-Tools SimpleMinCostFlow | {secs:.2f} | {fmt(obj)} | {note} |", flush=True)
            if a.no_highs_lp:
                continue
            secs, obj, note = isolated(highs_lp, *data)
            print(f"| {name} | HiGHS LP (highspy) | {secs:.2f} | {fmt(obj)} | {note} |", flush=True)
    best = {}
    if gaps:
        with open(os.path.join(a.gap_dir, "optimal_values.csv")) as f:
            for r in csv.DictReader(f):
                best[r["instance"]] = int(r["optimal_or_best"])
    for g in gaps:
        path = os.path.join(a.gap_dir, "yagiura", g)
        out = subprocess.run([a.servnet, "bench-gap", path, "--time-limit", str(a.time_limit)],
                             check=True, capture_output=True, text=True)
        s = json.loads(out.stdout)
        bk = best.get(g)
        name = f"GAP {g} (best known {bk})"

        def gap_to_best(obj):
            return "-" if obj is None or bk is None else f"{100.0 * (obj - bk) / bk:+.2f}%"

        for key, label in (("lagrangian", "servnet Lagrangian"), ("mip", "servnet MIP (HiGHS)"),
                           ("combined", "servnet Lagrangian 30% + seeded MIP")):
            r = s.get(key)
            if r is None:
                continue
            print(f"| {name} | {label} | {r['seconds']:.2f} | {fmt(r['objective'])} | "
                  f"bound {r['lower_bound']}, {r['status']}, {gap_to_best(r['objective'])} vs best |", flush=True)
        m, n, c, w, cap = parse_gap(path)
        secs, obj, lb, st = isolated(cpsat_gap, m, n, c, w, cap, a.time_limit)
        print(f"| {name} | OR-Tools CP-SAT (2 workers) | {secs:.2f} | {fmt(obj)} | bound {lb}, {st}, "
              f"{gap_to_best(obj)} vs best |", flush=True)
        secs, obj, lb, st = isolated(highs_gap, m, n, c, w, cap, a.time_limit)
        print(f"| {name} | HiGHS MIP (highspy) | {secs:.2f} | {fmt(obj)} | bound {lb}, {st}, "
              f"{gap_to_best(obj)} vs best |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
