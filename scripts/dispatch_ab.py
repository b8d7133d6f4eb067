#!/usr/bin/env python3
"""Paired A/B timing of two builds of the dispatch latency example.

On a shared VM the same binary's p50 moves by 25-50% between runs, more than most single
changes. This runs the builds in alternation (A B, B A, A B, ...), each on the same
100,000 single-thread tickets at 10k outlets, and reports for each pair the difference
in p50 and in the least p50 over blocks of 10,000 tickets (noise only adds time, so the
least block is the steadier figure): a change is worth keeping when it wins most pairs.

Usage: cargo build --release --example dispatch_latency
       cp target/release/examples/dispatch_latency /tmp/dl_a   # then change, rebuild:
       cp target/release/examples/dispatch_latency /tmp/dl_b
       python3 scripts/dispatch_ab.py /tmp/dl_a /tmp/dl_b [--pairs 10] [--outlets 10000]
"""

import argparse
import os
import statistics
import subprocess


def run(binary: str, outlets: int, tickets: int) -> tuple[float, float]:
    env = dict(os.environ, SERVNET_SINGLE_TICKETS=str(tickets), SERVNET_THREADED_TICKETS="0")
    out = subprocess.run(
        [binary, str(outlets)], capture_output=True, text=True, env=env, check=True
    )
    text = out.stdout + out.stderr
    least = next(l for l in text.splitlines() if "least p50" in l)
    row = next(l for l in text.splitlines() if l.startswith(f"| {outlets} |"))
    return float(row.split("|")[3]), float(least.split("tickets ")[1].split()[0])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--pairs", type=int, default=10)
    ap.add_argument("--outlets", type=int, default=10_000)
    ap.add_argument("--tickets", type=int, default=100_000)
    args = ap.parse_args()
    res = {args.a: [], args.b: []}
    for i in range(args.pairs):
        order = (args.a, args.b) if i % 2 == 0 else (args.b, args.a)
        for binary in order:
            res[binary].append(run(binary, args.outlets, args.tickets))
    for binary, runs in res.items():
        p50 = [r[0] for r in runs]
        least = [r[1] for r in runs]
        print(
            f"{binary}: p50 median {statistics.median(p50):.2f} us "
            f"(min {min(p50):.2f}, max {max(p50):.2f}); "
            f"least 10k-block p50 median {statistics.median(least):.2f} us"
        )
    for k, name in ((0, "p50"), (1, "least-block p50")):
        diff = [b[k] - a[k] for a, b in zip(res[args.a], res[args.b])]
        wins = sum(d < 0 for d in diff)
        print(
            f"B - A, {name}: median {statistics.median(diff):+.3f} us; "
            f"B faster in {wins} of {len(diff)} pairs"
        )


if __name__ == "__main__":
    main()
