"""Figures of the dispatch score's package term (issue 23): dispatch a data folder with
the term (default policy, weights.package 10) and without it (weights.package 0), on the
folder as it is and with every skill capacity scaled by SCALE (contested capacity), and
compare VIP and standard tickets: assigned, SLA met, mean km.

    python3 scripts/package_term_figures.py data/sample [SCALE=0.5] [path/to/servnet]

Needs the `servnet` CLI (default: target/debug/servnet, else target/release/servnet).
Standard library only.
"""

import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile


def dispatch(cli, folder, policy, out):
    subprocess.run([cli, "dispatch", folder, "--policy-file", policy, "--out", out], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(out, newline="", encoding="utf-8") as f:
        return {r["ticket_id"]: r for r in csv.DictReader(f)}


def scaled(folder, scale, dest):
    shutil.copytree(folder, dest)
    path = os.path.join(dest, "outlet_skills.csv")
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        cap = int(r["daily_capacity"])
        r["daily_capacity"] = str(max(1, round(cap * scale)))
        if r.get("load"):
            r["load"] = str(min(int(r["load"]), int(r["daily_capacity"])))
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return dest


def figures(rows, tier, t):
    ids = [i for i in rows if tier.get(i) == t]
    got = [rows[i] for i in ids if rows[i]["outlet_id"]]
    km = sum(float(r["distance_km"] or 0) for r in got) / max(1, len(got))
    sla = sum(1 for i in ids if rows[i]["sla_met"] == "true")
    return len(ids), 100 * len(got) / max(1, len(ids)), 100 * sla / max(1, len(ids)), km


def main(argv):
    folder = argv[1] if len(argv) > 1 else "data/sample"
    scale = float(argv[2]) if len(argv) > 2 else 0.5
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    cli = argv[3] if len(argv) > 3 else next(
        (p for p in (os.path.join(root, "target", b, "servnet") for b in ("debug", "release"))
         if os.path.exists(p)), "servnet")
    with open(os.path.join(folder, "tickets.csv"), newline="", encoding="utf-8") as f:
        tier = {r["id"]: r["customer_tier"] or "standard" for r in csv.DictReader(f)}
    with tempfile.TemporaryDirectory() as tmp:
        pols = {}
        for name, w in (("term 0", 0.0), ("term 10", 10.0)):
            pols[name] = os.path.join(tmp, name.replace(" ", "") + ".json")
            with open(pols[name], "w", encoding="utf-8") as f:
                json.dump({"weights": {"package": w}}, f)
        for label, src in (("as is", folder),
                           (f"capacity x{scale}", scaled(folder, scale, os.path.join(tmp, "s")))):
            print(f"{label}:")
            for name, pol in pols.items():
                rows = dispatch(cli, src, pol, os.path.join(tmp, "out.csv"))
                for t in ("vip", "standard"):
                    n, a, s, km = figures(rows, tier, t)
                    print(f"  {name:8} {t:8} {n:6} tickets  assigned {a:5.1f}%  SLA met {s:5.1f}%"
                          f"  mean {km:5.2f} km")


if __name__ == "__main__":
    main(sys.argv)
