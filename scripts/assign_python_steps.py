#!/usr/bin/env python3
"""The CLI's `servnet assign DIR` work, step by step, from Python: CPU (process_time, all threads)
and wall of read_network_and_tickets (the folder's network and tickets read together, as
the CLI reads them), compare_with_sequential and to_pandas on a folder from
scripts/assign_network.py, to set beside `/usr/bin/time servnet assign DIR --out
plan.csv` (issue 21 target 3d).

Usage: python scripts/assign_python_steps.py DIR [REPEATS]
"""
import sys, time
import servnet
folder = sys.argv[1]
reps = int(sys.argv[2]) if len(sys.argv) > 2 else 3
def step(name, f):
    c0, w0 = time.process_time(), time.perf_counter()
    r = f()
    print(f"{name:40s} cpu {time.process_time()-c0:.3f} s  wall {time.perf_counter()-w0:.3f} s", flush=True)
    return r
for _ in range(reps):
    c0, w0 = time.process_time(), time.perf_counter()
    net, tickets = step("read_network_and_tickets", lambda: servnet.read_network_and_tickets(folder))
    both = step("compare_with_sequential", lambda: servnet.compare_with_sequential(tickets, net))
    step("to_pandas", lambda: both.to_pandas())
    print(f"{'TOTAL (CLI work)':40s} cpu {time.process_time()-c0:.3f} s  wall {time.perf_counter()-w0:.3f} s  obj {both.summary()['objective']}", flush=True)
