#!/usr/bin/env python3
"""`PlanningData.from_frames` on the frames of data/sample (products, repair_rates,
installed_base 39,000 rows, sales_plan, seasonality, retirement, service_rates,
repair_history, campaigns: `pd.read_csv` dtypes), beside `PlanningData.from_dir` of the
folder, best of `--repeat`, in CPU seconds of this process (`process_time`: the machine
is shared).

Usage: python scripts/bench_planning_frames.py [--repeat 5]
(release figures: maturin develop --release -m python/Cargo.toml; another build's figure
in the same minutes: PYTHONPATH=<pip install --no-deps --target DIR of its wheel>)
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

import servnet
from bench_frames import best  # the same CPU-time measure as the tickets frames

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
NAMES = ["products", "repair_rates", "installed_base", "sales_plan", "seasonality",
         "retirement", "service_rates", "repair_history", "campaigns"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    net = servnet.Network.from_dir(SAMPLE)
    frames = {n: pd.read_csv(SAMPLE / f"{n}.csv") for n in NAMES}
    t_frames, p = best(a.repeat, lambda: servnet.PlanningData.from_frames(net, **frames))
    t_dir, q = best(a.repeat, lambda: servnet.PlanningData.from_dir(SAMPLE, net))
    assert p.__reduce__()[1] == q.__reduce__()[1]
    print(f"servnet from {Path(servnet.__file__).parent}")
    print(f"| PlanningData.from_frames (sample, 9 frames, {sum(map(len, frames.values())):,} rows)"
          f" | {t_frames * 1e3:.1f} ms | from_dir {t_dir * 1e3:.1f} ms |")


if __name__ == "__main__":
    main()
