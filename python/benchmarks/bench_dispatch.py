"""Dispatch from Python: per-ticket call overhead and dispatch_frame throughput.

    python python/benchmarks/bench_dispatch.py [--tickets 1000000] [--cli PATH]

1. Per-ticket overhead: the sample day's 20,000 tickets dispatched one call at a time
   from Python (as ``Ticket`` objects and as dicts), in arrival order on a fresh
   Dispatcher, against the same work looped inside Rust and timed there
   (``Dispatcher._time_dispatch``; the CLI's own timing is printed too when the binary
   is found). The difference per ticket is the binding's overhead: argument conversion,
   GIL release and re-acquire, the result object. Runs alternate and the best of 5 counts.
2. ``dispatch_frame`` throughput on a synthetic frame of N tickets: the sample tickets
   repeated with unique ids, jittered locations (+-0.01 deg) and each copy shifted one
   day later (so every day is a realistic load), with ``horizon_days`` covering them all.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import time
from pathlib import Path

import numpy as np
import pandas as pd

import servnet

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"


def cli_path(given: str | None) -> Path | None:
    if given:
        return Path(given)
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    exe = target / "release" / "servnet"
    return exe if exe.exists() else None


def rust_us_per_ticket(exe: Path | None) -> float | None:
    """The CLI's own timing of its dispatch loop on the sample (best of 3)."""
    if exe is None:
        return None
    best = None
    for _ in range(3):
        out = subprocess.run(
            [str(exe), "dispatch", str(SAMPLE), "--out", "/tmp/servnet-bench-cli.csv"],
            capture_output=True, text=True, check=True,
        ).stdout
        m = re.search(r"\(([\d.]+) us per ticket", out)
        if m:
            v = float(m.group(1))
            best = v if best is None else min(best, v)
    return best


def per_call(net: servnet.Network, tickets: pd.DataFrame) -> dict:
    """us per ticket: Rust loop (timed inside), dispatch(Ticket), dispatch(dict); best of 5."""
    order = tickets.sort_values(["created_at", "id"])
    validated = servnet.Tickets.from_frame(order, net)
    objs = [validated[i] for i in range(len(validated))]
    dicts = [{k: v for k, v in r.items() if not (isinstance(v, float) and np.isnan(v))}
             for r in order.to_dict("records")]
    best = {"rust": float("inf"), "Ticket": float("inf"), "dict": float("inf")}
    for _ in range(5):
        best["rust"] = min(best["rust"], servnet.Dispatcher(net)._time_dispatch(validated))
        for name, items in (("Ticket", objs), ("dict", dicts)):
            d = servnet.Dispatcher(net)
            dispatch = d.dispatch
            t = time.perf_counter()
            for x in items:
                dispatch(x)
            best[name] = min(best[name], time.perf_counter() - t)
    return {k: 1e6 * v / len(objs) for k, v in best.items()}


def synthetic(tickets: pd.DataFrame, n: int, seed: int = 7) -> pd.DataFrame:
    """n tickets: copies of the sample day, unique ids, jittered, one day later per copy."""
    rng = np.random.default_rng(seed)
    copies = -(-n // len(tickets))
    big = pd.concat([tickets] * copies, ignore_index=True).iloc[:n].copy()
    k = np.arange(n) // len(tickets)
    big["id"] = [f"S{i:07d}" for i in range(n)]
    big["lon"] = (big["lon"] + rng.uniform(-0.01, 0.01, n)).round(5)
    big["lat"] = (big["lat"] + rng.uniform(-0.01, 0.01, n)).round(5)
    shift = pd.to_timedelta(k, unit="D")
    big["created_at"] = pd.to_datetime(big["created_at"], format="ISO8601") + shift
    big["due_by"] = pd.to_datetime(big["due_by"], format="ISO8601") + shift
    return big, int(k.max()) + 1


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tickets", type=int, default=1_000_000)
    ap.add_argument("--cli", default=None)
    args = ap.parse_args()

    net = servnet.Network.from_dir(SAMPLE)
    tickets = pd.read_csv(SAMPLE / "tickets.csv")

    cli = rust_us_per_ticket(cli_path(args.cli))
    py = per_call(net, tickets)
    rust = py.pop("rust")
    print(f"per ticket, sample day ({len(tickets)} tickets, arrival order, fresh Dispatcher):")
    if cli is not None:
        print(f"  Rust, CLI `servnet dispatch` own timing:     {cli:.2f} us")
    print(f"  Rust loop in this process (_time_dispatch): {rust:.2f} us")
    for name, us in py.items():
        print(f"  Python dispatch({name}): {us:.2f} us, overhead {us - rust:+.2f} us")

    big, days = synthetic(tickets, args.tickets)
    policy = servnet.Policy(horizon_days=min(366, days + 7))
    d = servnet.Dispatcher(net, policy)
    t = time.perf_counter()
    validated = servnet.Tickets.from_frame(big, net)
    t_conv = time.perf_counter() - t
    t = time.perf_counter()
    out = d.dispatch_frame(validated)
    t_disp = time.perf_counter() - t
    d2 = servnet.Dispatcher(net, policy)
    t = time.perf_counter()
    out2 = d2.dispatch_frame(big)
    t_total = time.perf_counter() - t
    assert out["outlet_id"].equals(out2["outlet_id"])
    s = out.attrs["summary"]
    n = len(big)
    print(f"dispatch_frame on {n:,} synthetic tickets over {days} days:")
    print(f"  DataFrame -> validated Tickets:          {t_conv:6.2f} s ({1e6 * t_conv / n:.2f} us/ticket)")
    print(f"  dispatch_frame(Tickets) incl. result df: {t_disp:6.2f} s ({n / t_disp:,.0f} tickets/s)")
    print(f"  dispatch_frame(DataFrame), end to end:   {t_total:6.2f} s ({n / t_total:,.0f} tickets/s)")
    print(f"  assigned {s.assigned / n:.1%}, SLA met {s.sla_met / n:.1%}")


if __name__ == "__main__":
    main()
