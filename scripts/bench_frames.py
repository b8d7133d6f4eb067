#!/usr/bin/env python3
"""DataFrames into servnet: `Network.from_frames` of the sample plus a 1M-ticket tickets
frame, through the typed columns (numpy buffers and factorize codes, no text) beside the
previous route (the frame written as CSV text cell by cell, then parsed:
`Tickets._from_frame_csv`), in the same run, best of `--repeat`, in CPU seconds of this process.

The tickets frame is the sample's 20,000 tickets repeated (ids made unique) to `--tickets`
rows, written to CSV and read back with `pd.read_csv` (the dtypes an analyst gets: str
columns, float coordinates, int units); a second frame has `created_at` / `due_by` as
datetime64.

Usage: python scripts/bench_frames.py [--tickets 1000000] [--repeat 3]
(build the extension first; a release build for figures:
 maturin develop --release -m python/Cargo.toml)
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import pandas as pd

import servnet

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"


def best(repeat: int, f):
    """The least CPU time (`process_time`: the machine is shared, wall time is not this
    process's) of `repeat` runs, and the last result."""
    times = []
    out = None
    for _ in range(repeat):
        t0 = time.process_time()
        out = f()
        times.append(time.process_time() - t0)
    return min(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tickets", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()

    frames = {
        name: pd.read_csv(SAMPLE / f"{name}.csv")
        for name in ("outlets", "outlet_skills", "regions", "service_packages")
    }
    frames["outlet_areas"] = json.loads((SAMPLE / "outlet_areas.geojson").read_text())
    frames["region_polygons"] = json.loads((SAMPLE / "regions.geojson").read_text())
    t_net, net = best(a.repeat, lambda: servnet.Network.from_frames(**frames))
    assert net == servnet.Network.from_dir(SAMPLE)

    base = pd.read_csv(SAMPLE / "tickets.csv", keep_default_na=False)
    copies = -(-a.tickets // len(base))
    parts = []
    for k in range(copies):
        p = base.copy()
        p["id"] = p["id"] + f"-{k}"
        parts.append(p)
    big = pd.concat(parts, ignore_index=True).iloc[: a.tickets]
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "tickets.csv"
        big.to_csv(path, index=False)
        del big, parts
        df = pd.read_csv(path, keep_default_na=False)
    typed = df.copy()
    for c in ("created_at", "due_by"):
        typed[c] = pd.to_datetime(typed[c], format="ISO8601")

    t_new, tickets = best(a.repeat, lambda: servnet.Tickets.from_frame(df, net))
    t_old, old = best(a.repeat, lambda: servnet.Tickets._from_frame_csv(df, net))
    t_typed, _ = best(a.repeat, lambda: servnet.Tickets.from_frame(typed, net))
    assert len(tickets) == len(old) == len(df)
    assert tickets[len(df) - 1] == old[len(df) - 1]

    n = f"{len(df):,}"
    print(f"| step | typed columns (this) | CSV text (previous) | ratio |")
    print(f"|---|---|---|---|")
    print(f"| Network.from_frames (sample, 1,500 outlets) | {t_net * 1e3:.1f} ms | | |")
    print(
        f"| Tickets.from_frame, {n} tickets (read_csv dtypes) | {t_new:.3f} s | {t_old:.3f} s "
        f"| {t_old / t_new:.1f}x |"
    )
    print(f"| Tickets.from_frame, {n} tickets (datetime64 times) | {t_typed:.3f} s | | |")
    print(f"| Network + tickets (target <= 1 s) | {t_net + t_new:.3f} s | {t_net + t_old:.3f} s | |")


if __name__ == "__main__":
    main()
