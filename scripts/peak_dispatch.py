#!/usr/bin/env python3
"""Peak-season dispatch, per ticket: servnet from Rust and from a Python loop, beside a
numpy + scipy cKDTree greedy peer, on the same network and tickets in the same run.

The network is servnet's peak-season generator (40 Chinese cities by population, 12
skills, radii 30-100 km, capacity tight enough that 5-10% of tickets find every eligible
outlet full), written by the `peak_dispatch` example. Per ticket, in arrival order, one
thread: p50/p90/p99/p99.9/mean in microseconds, for all tickets and for the unassignable
ones alone.

The peer is the greedy script an analyst writes: one cKDTree per skill of the outlets
offering it; per ticket, the outlets within the region's travel limit (ball query), kept
when inside their radius and with room on the ticket's first day (skill and outlet-wide),
nearest first; it books the nearest (no scoring, no fallbacks, no diagnosis).

Usage: cargo build --release --example peak_dispatch
       python scripts/peak_dispatch.py [--outlets 10000] [--tickets 100000] [--skip-python]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

ROOT = Path(__file__).resolve().parents[1]
R_KM = 6371.0088


def stats(ns: np.ndarray) -> str:
    if len(ns) == 0:
        return "-"
    us = ns / 1000.0
    q = np.percentile(us, [50, 90, 99, 99.9])
    return (
        f"{len(us)} | {q[0]:.2f} | {q[1]:.2f} | {q[2]:.2f} | {q[3]:.2f} | {us.mean():.2f}"
    )


def xyz(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    lo, la = np.radians(lon), np.radians(lat)
    return np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])


def peer(dirname: Path, tickets: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Greedy nearest-with-room; per-ticket ns and whether each ticket was booked."""
    outlets = pd.read_csv(dirname / "outlets.csv")
    skills = pd.read_csv(dirname / "outlet_skills.csv")
    regions = pd.read_csv(dirname / "regions.csv").set_index("code")
    oidx = {o: i for i, o in enumerate(outlets["id"])}
    oxyz = xyz(outlets["lon"].to_numpy(), outlets["lat"].to_numpy())
    radius = outlets["radius_km"].fillna(0).to_numpy()
    ocap = outlets["daily_cap"].to_numpy().astype(np.int64)
    oused = np.zeros(len(outlets), dtype=np.int64)
    per_skill = {}
    for skill, g in skills.groupby("skill"):
        idx = np.array([oidx[o] for o in g["outlet_id"]])
        per_skill[skill] = (
            cKDTree(oxyz[idx]),
            idx,
            g["daily_capacity"].to_numpy().astype(np.int64),
            np.zeros(len(idx), dtype=np.int64),
        )
    limit = regions["max_travel_km"].to_dict()
    txyz = xyz(tickets["lon"].to_numpy(), tickets["lat"].to_numpy())
    t_skill = tickets["skill"].to_numpy()
    t_region = tickets["region"].to_numpy()
    t_units = tickets["units"].to_numpy()
    ns = np.zeros(len(tickets), dtype=np.int64)
    ok = np.zeros(len(tickets), dtype=bool)
    clock = time.perf_counter_ns
    for i in range(len(tickets)):
        t0 = clock()
        tree, idx, cap, used = per_skill[t_skill[i]]
        chord = 2.0 * np.sin(limit[t_region[i]] / 1.3 / R_KM / 2.0)
        near = np.asarray(tree.query_ball_point(txyz[i], chord), dtype=np.int64)
        if len(near):
            o = idx[near]
            d = R_KM * 2.0 * np.arcsin(np.linalg.norm(oxyz[o] - txyz[i], axis=1) / 2.0)
            u = t_units[i]
            fit = (d <= radius[o]) & (used[near] + u <= cap[near]) & (oused[o] + u <= ocap[o])
            if fit.any():
                j = np.flatnonzero(fit)[np.argmin(d[fit])]
                used[near[j]] += u
                oused[o[j]] += u
                ok[i] = True
        ns[i] = clock() - t0
    return ns, ok


def python_loop(dirname: Path, tickets: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    import servnet

    net = servnet.Network.from_dir(dirname)
    start = pd.Timestamp(tickets["created_at"].min()).date()
    d = servnet.Dispatcher(net, servnet.Policy(start_date=start))
    objs = [servnet.Ticket.from_dict(r) for r in tickets.to_dict("records")]
    ns = np.zeros(len(objs), dtype=np.int64)
    unassigned = np.zeros(len(objs), dtype=bool)
    clock = time.perf_counter_ns
    for i, t in enumerate(objs):
        t0 = clock()
        o = d.dispatch(t)
        ns[i] = clock() - t0
        unassigned[i] = o.outlet_id is None if hasattr(o, "outlet_id") else True
    return ns, unassigned


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--outlets", type=int, default=10_000)
    ap.add_argument("--tickets", type=int, default=100_000)
    ap.add_argument("--example", default=str(ROOT / "target/release/examples/peak_dispatch"))
    ap.add_argument("--skip-python", action="store_true", help="no servnet Python loop")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        dirname = Path(tmp)
        out = subprocess.run(
            [args.example, str(args.outlets), "--tickets", str(args.tickets), "--write", tmp],
            capture_output=True, text=True, check=True,
        )
        print(f"servnet, Rust loop (Dispatcher::dispatch, memory ledger), {args.outlets} outlets:")
        print(out.stdout.strip())
        print(out.stderr.strip())
        tickets = pd.read_csv(dirname / "tickets.csv", keep_default_na=False)
        tickets["preferred"] = None
        tickets["avoid"] = ""
        print("\n| path | outcome | tickets | p50 us | p90 us | p99 us | p99.9 us | mean us |")
        print("|---|---|---|---|---|---|---|---|")
        if not args.skip_python:
            ns, unassigned = python_loop(dirname, tickets)
            print(f"| servnet Python loop | all | {stats(ns)} |")
            print(f"| servnet Python loop | unassignable | {stats(ns[unassigned])} |")
        ns, ok = peer(dirname, tickets)
        print(f"| numpy + cKDTree greedy | all | {stats(ns)} |")
        print(f"| numpy + cKDTree greedy | unbooked | {stats(ns[~ok])} |")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
