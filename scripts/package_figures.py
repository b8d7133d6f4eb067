"""Figures of service packages on a data folder (issue 23 item 1): dispatch the folder with
and without its service_packages.csv and compare, by package and customer tier.

    python3 scripts/package_figures.py data/sample [path/to/servnet]

Needs the `servnet` CLI (default: target/debug/servnet, else target/release/servnet).
Standard library only.
"""

import csv
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter


def run(cli, folder, out):
    subprocess.run([cli, "dispatch", folder, "--out", out], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    with open(out, newline="", encoding="utf-8") as f:
        return {r["ticket_id"]: r for r in csv.DictReader(f)}


def main(argv):
    folder = argv[1] if len(argv) > 1 else "data/sample"
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    cli = argv[2] if len(argv) > 2 else next(
        (p for p in (os.path.join(root, "target", b, "servnet") for b in ("debug", "release"))
         if os.path.exists(p)), "servnet")
    with open(os.path.join(folder, "tickets.csv"), newline="", encoding="utf-8") as f:
        tier = {r["id"]: r["customer_tier"] or "standard" for r in csv.DictReader(f)}
    with tempfile.TemporaryDirectory() as tmp:
        plain_dir = os.path.join(tmp, "plain")
        shutil.copytree(folder, plain_dir, ignore=shutil.ignore_patterns("service_packages.csv"))
        plain = run(cli, plain_dir, os.path.join(tmp, "plain.csv"))
        packed = run(cli, folder, os.path.join(tmp, "packed.csv"))

    def share(rows, ids, what):
        ids = list(ids)
        return sum(1 for i in ids if what(rows[i])) / max(1, len(ids))

    assigned = lambda r: r["outlet_id"] != ""
    sla = lambda r: r["sla_met"] == "true"
    print(f"{len(packed)} tickets")
    print("tickets per package:", dict(sorted(Counter(r["package"] or "none" for r in packed.values()).items())))
    print("carry-in (assigned):", sum(1 for r in packed.values() if r["mode"] == "carry_in"))
    for t in ("standard", "vip"):
        ids = [i for i in packed if tier.get(i) == t]
        print(f"{t:8} {len(ids):6} tickets  assigned {100 * share(plain, ids, assigned):5.1f}% -> "
              f"{100 * share(packed, ids, assigned):5.1f}%   SLA met {100 * share(plain, ids, sla):5.1f}% -> "
              f"{100 * share(packed, ids, sla):5.1f}%")
    ids = list(packed)
    print(f"all      {len(ids):6} tickets  assigned {100 * share(plain, ids, assigned):5.1f}% -> "
          f"{100 * share(packed, ids, assigned):5.1f}%   SLA met {100 * share(plain, ids, sla):5.1f}% -> "
          f"{100 * share(packed, ids, sla):5.1f}%")
    vip_won = [i for i in ids if tier.get(i) == "vip" and sla(packed[i]) and not sla(plain[i])]
    vip_lost = [i for i in ids if tier.get(i) == "vip" and sla(plain[i]) and not sla(packed[i])]
    std_lost = [i for i in ids if tier.get(i) == "standard" and assigned(plain[i]) and not assigned(packed[i])]
    reasons = Counter(packed[i]["reason"] for i in std_lost)
    print(f"VIP tickets met their SLA only with packages: {len(vip_won)} (lost it: {len(vip_lost)})")
    print(f"standard tickets assigned without packages but not with: {len(std_lost)} {dict(reasons)}")
    moved = sum(1 for i in ids if assigned(plain[i]) and assigned(packed[i])
                and plain[i]["outlet_id"] != packed[i]["outlet_id"])
    print(f"tickets on another outlet with packages: {moved}")


if __name__ == "__main__":
    main(sys.argv)
