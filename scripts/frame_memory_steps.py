#!/usr/bin/env python3
"""Memory of Python `dispatch_frame` step by step: RSS now and peak (VmRSS / VmHWM from
/proc/self/status) after importing servnet, reading the network, reading the tickets and
`dispatch_frame`, with the CPU seconds of the last two steps. The peak of the last step
minus the RSS before it is servnet's increment over the frame it was given.

How the tickets are read (`--read`):
- `pandas` (default): `pd.read_csv(keep_default_na=False)`, as
  scripts/dispatch_memory.sh reads them;
- `compact`: the same with the repeated text columns (region, skill, priority,
  customer_tier, avoid, preferred) as `category` and `parse_dates` for the two times:
  the read the docs recommend for big files;
- `pyarrow`: `pd.read_csv(engine="pyarrow", dtype_backend="pyarrow")` (Arrow columns:
  times as timestamps, text as Arrow strings);
- `pyarrow-cat`: the same with the repeated text columns as `category`;
- `servnet`: `servnet.read_tickets` (a `Tickets` object, no pandas frame); also
  `--read-tickets`.

`--bookings` (with `--read servnet`) dispatches the tickets with no result frame
(`Dispatcher._time_dispatch`) and prints the dispatcher's growth per live booking:
(RSS after - RSS before) / bookings.

`--trace` samples the process's RSS every 10 ms from a second process and prints where
in `dispatch_frame` the peak fell (seconds after the call started, out of its length).

Usage: target/release/examples/peak_dispatch 10000 --tickets 1000000 --write DIR
       python scripts/frame_memory_steps.py DIR [--read pandas|compact|pyarrow|pyarrow-cat|servnet]
(Linux only: reads /proc.)
"""

import argparse
import os
import subprocess
import sys
import time

import pandas as pd

# The repeated text columns of tickets.csv, read as `category` by `--read compact` and
# `pyarrow-cat`.
CATEGORIES = ["region", "skill", "priority", "customer_tier", "avoid", "preferred"]

SAMPLER = """
import sys, time
pid, out = sys.argv[1], sys.argv[2]
with open(out, "w") as f:
    while True:
        try:
            with open(f"/proc/{pid}/status") as s:
                rss = next(int(l.split()[1]) for l in s if l.startswith("VmRSS"))
        except (OSError, StopIteration):
            break
        f.write(f"{time.time():.3f} {rss // 1024}\\n")
        f.flush()
        time.sleep(0.01)
"""


def mem() -> str:
    d = {}
    with open("/proc/self/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM"):
                d[k] = int(v.split()[0]) // 1024
    return f"rss {d['VmRSS']} MB, peak {d['VmHWM']} MB"


def rss() -> int:
    """VmRSS in bytes."""
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmRSS"))


def read(path: str, how: str) -> pd.DataFrame:
    if how == "pandas":
        return pd.read_csv(path, keep_default_na=False)
    dtype = {c: "category" for c in CATEGORIES}
    if how == "compact":
        return pd.read_csv(path, keep_default_na=False, dtype=dtype,
                           parse_dates=["created_at", "due_by"])
    dtype = dtype if how == "pyarrow-cat" else None
    return pd.read_csv(path, engine="pyarrow", dtype_backend="pyarrow", dtype=dtype)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("dir")
    p.add_argument("--read", default="pandas",
                   choices=["pandas", "compact", "pyarrow", "pyarrow-cat", "servnet"])
    p.add_argument("--read-tickets", action="store_true", help="same as --read servnet")
    p.add_argument("--trace", action="store_true")
    p.add_argument("--bookings", action="store_true")
    a = p.parse_args()
    how = "servnet" if a.read_tickets else a.read
    import servnet

    folder = a.dir
    print("import", mem())
    net = servnet.Network.from_dir(folder)
    print("network", mem())
    path = f"{folder}/tickets.csv"
    t = time.process_time()
    if how == "servnet":
        tickets = servnet.read_tickets(path, net)
        print("read_tickets", mem(), f"{time.process_time() - t:.2f} s")
        start = min(x.created_at for x in tickets).date()
    else:
        tickets = read(path, how)
        print(f"read_csv ({how})", mem(), f"{time.process_time() - t:.2f} s")
        start = pd.Timestamp(tickets["created_at"].min()).date()
    d = servnet.Dispatcher(net, servnet.Policy(start_date=start))
    print("dispatcher", mem())
    if a.bookings and how == "servnet":
        before = rss()
        d._time_dispatch(tickets)
        grown = rss() - before
        booked = sum(d.assignment(x.id) is not None for x in tickets)
        print(f"dispatcher grew {grown / 2**20:.1f} MB for {booked} live bookings: "
              f"{grown / booked:.0f} bytes per booking")
        return
    trace = f"/tmp/frame_memory_trace.{os.getpid()}"
    sampler = None
    if a.trace:
        sampler = subprocess.Popen([sys.executable, "-c", SAMPLER, str(os.getpid()), trace])
        time.sleep(0.2)
    t = time.process_time()
    wall = time.time()
    out = d.dispatch_frame(tickets)
    end = time.time()
    print("dispatch_frame", mem(), f"{time.process_time() - t:.2f} s")
    if sampler is not None:
        time.sleep(0.05)
        sampler.kill()
        sampler.wait()
        with open(trace) as f:
            samples = [(float(x), int(y)) for x, y in (line.split() for line in f if line.strip())]
        os.remove(trace)
        top = max((s for s in samples if wall <= s[0] <= end + 0.05), key=lambda s: s[1])
        print(f"trace: peak {top[1]} MB at {top[0] - wall:.1f} s of {end - wall:.1f} s")
        for frac in (0.05, 0.25, 0.5, 0.75, 0.95, 1.0):
            at = wall + frac * (end - wall)
            near = min(samples, key=lambda s: abs(s[0] - at))
            print(f"  at {100 * frac:.0f}%: {near[1]} MB")
    deep = out.memory_usage(deep=True).sum() // 2**20
    print(f"result frame {deep} MB")
    if isinstance(tickets, pd.DataFrame):
        print(f"input frame {tickets.memory_usage(deep=True).sum() // 2**20} MB")


if __name__ == "__main__":
    main()
