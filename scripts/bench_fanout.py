"""Serial vs fanned-out sweeps on the sample: compare_scenarios (4 scenarios), the
frontier (6 counts) and simulate_many (8 seeds), each run serially (executor=None; for
the frontier a one-worker ThreadPoolExecutor, the same cold per-count jobs) and on a
Dask LocalCluster of N worker processes (1 thread each). Prints seconds and the
speed-up, and checks the results are equal.

    PYTHONPATH=python .venv/bin/python scripts/bench_fanout.py [--workers 2]
"""

import argparse
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd

import servnet

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


def timed(f):
    t = time.perf_counter()
    out = f()
    return out, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--resolution", type=int, default=6)
    args = ap.parse_args()
    from distributed import Client, LocalCluster

    net = servnet.Network.from_dir(SAMPLE)
    planning = servnet.PlanningData.from_dir(SAMPLE, net)
    fc = servnet.forecast(planning, net, 2026)
    demand = {"resolution": args.resolution}
    pop = str(SAMPLE)
    scen = [servnet.Scenario("base"), servnet.Scenario("sales +30%", sales_factor=1.3),
            servnet.Scenario("repairs +20%", repair_rate_factor=1.2),
            servnet.Scenario("tight A", tier_radius_factor=(0.8, 1.0, 1.0))]
    p400 = servnet.plan(net, fc, p=400, demand=demand, population=pop)
    sweeps = {
        "compare_scenarios x4": lambda ex: servnet.compare_scenarios(
            planning, net, scen, 2026, p=400, sample=0.05, population=pop,
            plan_options={"demand": demand}, executor=ex),
        "frontier x6 counts": lambda ex: servnet.plan(
            net, fc, population=pop, demand=demand, frontier={"steps": 6},
            executor=ex or ThreadPoolExecutor(1)).frontier,
        "simulate_many x8 seeds": lambda ex: servnet.simulate_many(
            net, p400, fc, seeds=range(1, 9), sample=0.1, executor=ex).drop(columns="seconds"),
    }
    with LocalCluster(n_workers=args.workers, processes=True, threads_per_worker=1,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        ex = client.get_executor()
        print(f"| sweep | serial s | Dask {args.workers} workers s | speed-up | equal |")
        print("|---|---:|---:|---:|---|")
        for name, run in sweeps.items():
            a, ts = timed(lambda: run(None))
            b, td = timed(lambda: run(ex))
            try:
                pd.testing.assert_frame_equal(a, b)
                same = "yes"
            except AssertionError:
                same = "NO"
            print(f"| {name} | {ts:.2f} | {td:.2f} | {ts / td:.2f}x | {same} |")


if __name__ == "__main__":
    main()
