#!/usr/bin/env python3
"""Memory of Python `dispatch_frame` step by step: RSS now and peak (VmRSS / VmHWM from
/proc/self/status) after importing servnet, reading the network, `pd.read_csv` of the
tickets (`keep_default_na=False`, as scripts/dispatch_memory.sh reads them) and
`dispatch_frame`, with the CPU seconds of the last two steps. The peak of the last step
minus the RSS before it is servnet's increment over the frame it was given.

With `--read-tickets`, the tickets are read by `servnet.read_tickets` (a `Tickets`
object, no pandas frame) and dispatched from it.

Usage: target/release/examples/peak_dispatch 10000 --tickets 1000000 --write DIR
       python scripts/frame_memory_steps.py DIR [--read-tickets]
(Linux only: reads /proc.)
"""

import sys
import time

import pandas as pd


def mem() -> str:
    d = {}
    with open("/proc/self/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM"):
                d[k] = int(v.split()[0]) // 1024
    return f"rss {d['VmRSS']} MB, peak {d['VmHWM']} MB"


def main() -> None:
    import servnet

    folder = sys.argv[1]
    print("import", mem())
    net = servnet.Network.from_dir(folder)
    print("network", mem())
    path = f"{folder}/tickets.csv"
    t = time.process_time()
    if "--read-tickets" in sys.argv[2:]:
        tickets = servnet.read_tickets(path, net)
        print("read_tickets", mem(), f"{time.process_time() - t:.2f} s")
        start = min(x.created_at for x in tickets).date()
    else:
        tickets = pd.read_csv(path, keep_default_na=False)
        print("read_csv", mem(), f"{time.process_time() - t:.2f} s")
        start = pd.Timestamp(tickets["created_at"].min()).date()
    d = servnet.Dispatcher(net, servnet.Policy(start_date=start))
    t = time.process_time()
    out = d.dispatch_frame(tickets)
    print("dispatch_frame", mem(), f"{time.process_time() - t:.2f} s")
    deep = out.memory_usage(deep=True).sum() // 2**20
    print(f"result frame {deep} MB")
    if isinstance(tickets, pd.DataFrame):
        print(f"input frame {tickets.memory_usage(deep=True).sum() // 2**20} MB")

if __name__ == "__main__":
    main()
