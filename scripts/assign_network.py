#!/usr/bin/env python3
"""A seeded data folder for batch-assignment benchmarks (`servnet assign DIR`): outlets and
tickets placed around the 300 cities of data/sample/regions.csv by population, 12 skills
(4 kinds x 3 categories, `--skills-per-outlet` per outlet, default 8), radius areas of 30-100 km, unit tickets due two
days after they arrive, and skill capacities scaled so that demand over capacity (over the
SLA days) is `--tightness` per skill; outlet-wide caps do not bind.

Usage: python scripts/assign_network.py --tickets 10000 --outlets 1000 --out DIR
       [--tightness 0.9] [--skills-per-outlet 8] [--seed 7]
A bigger network has more specialised outlets: at 5,000 outlets, 2 skills per outlet
give ~40 arcs per ticket (8 give ~170), near the ~35 of the issue's instances.
Writes regions.csv, outlets.csv, outlet_skills.csv and tickets.csv (docs/formats.md).
Needs numpy only.
"""

import argparse
import csv
import math
import os

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KINDS = ["delivery", "install", "repair", "maintenance"]
CATEGORIES = ["air_conditioner", "refrigerator", "washer"]
SKILLS = [f"{k}:{c}" for k in KINDS for c in CATEGORIES]
SLA_DAYS = 3  # created on day 0, due 48 h later: days 0, 1 and 2


def cities():
    with open(os.path.join(ROOT, "data", "sample", "regions.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    rows.sort(key=lambda r: r["code"])
    return rows


def scatter(rng, lon, lat, km):
    """Points around (lon, lat) with a normal spread of `km` per axis."""
    dy = rng.normal(0.0, km, len(lon)) / 111.0
    dx = rng.normal(0.0, km, len(lon)) / (111.0 * np.cos(np.radians(lat)))
    return np.round(lon + dx, 5), np.round(np.clip(lat + dy, -89.0, 89.0), 5)


def generate(n_tickets, n_outlets, tightness, seed, out, skills_per_outlet=8):
    rng = np.random.default_rng(seed)
    regs = cities()
    pop = np.array([float(r["population"]) for r in regs])
    w = pop / pop.sum()
    clon = np.array([float(r["lon"]) for r in regs])
    clat = np.array([float(r["lat"]) for r in regs])
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "regions.csv"), "w", newline="") as f:
        wr = csv.writer(f)
        wr.writerow(["code", "name", "tier", "lon", "lat", "population",
                     "max_response_hours", "max_travel_km"])
        for r in regs:
            wr.writerow([r["code"], r["name"], r["tier"], r["lon"], r["lat"],
                         r["population"], 48, 100])
    # Outlets by population (every city gets at least one), some of the 12 skills each.
    city_o = np.concatenate([np.arange(len(regs)), rng.choice(len(regs), n_outlets - len(regs), p=w)]) \
        if n_outlets > len(regs) else rng.choice(len(regs), n_outlets, p=w)
    city_o.sort(kind="stable")
    olon, olat = scatter(rng, clon[city_o], clat[city_o], 12.0)
    radius = rng.integers(30, 101, n_outlets)
    offers = np.zeros((n_outlets, len(SKILLS)), dtype=bool)
    for i in range(n_outlets):
        offers[i, rng.choice(len(SKILLS), skills_per_outlet, replace=False)] = True
    # Tickets by population, skills with uneven demand.
    city_t = rng.choice(len(regs), n_tickets, p=w)
    tlon, tlat = scatter(rng, clon[city_t], clat[city_t], 15.0)
    sw = rng.uniform(0.5, 1.5, len(SKILLS))
    skill_t = rng.choice(len(SKILLS), n_tickets, p=sw / sw.sum())
    # Capacity per offer and day: each skill's demand over its offers and the SLA days,
    # divided by the tightness, spread +-50% across outlets (rounded, at least 1).
    cap = np.zeros((n_outlets, len(SKILLS)), dtype=np.int64)
    for s in range(len(SKILLS)):
        idx = np.flatnonzero(offers[:, s])
        demand = float((skill_t == s).sum())
        mean = demand / (len(idx) * SLA_DAYS * tightness)
        raw = mean * rng.uniform(0.5, 1.5, len(idx))
        cap[idx, s] = np.maximum(1, np.round(raw)).astype(np.int64)
    with open(os.path.join(out, "outlets.csv"), "w", newline="") as f:
        wr = csv.writer(f)
        wr.writerow(["id", "name", "lon", "lat", "status", "priority", "daily_cap",
                     "area_kind", "radius_km", "area_regions"])
        for i in range(n_outlets):
            wr.writerow([f"O{i + 1:06d}", f"{regs[city_o[i]]['name']} outlet {i + 1}",
                         f"{olon[i]:.5f}", f"{olat[i]:.5f}", "active",
                         int(rng.integers(10, 91)), int(cap[i].sum()), "radius",
                         int(radius[i]), ""])
    with open(os.path.join(out, "outlet_skills.csv"), "w", newline="") as f:
        wr = csv.writer(f)
        wr.writerow(["outlet_id", "skill", "daily_capacity", "load", "rating_sum",
                     "rating_count", "cost_per_ticket"])
        for i in range(n_outlets):
            for s in np.flatnonzero(offers[i]):
                n = int(rng.integers(0, 200))
                rsum = round(n * float(rng.uniform(3.0, 5.0)), 1)
                wr.writerow([f"O{i + 1:06d}", SKILLS[s], int(cap[i, s]), 0, rsum, n,
                             round(float(rng.uniform(15.0, 60.0)), 2)])
    hours = rng.integers(6, 18, n_tickets)
    minutes = rng.integers(0, 60, n_tickets)
    prio = rng.choice(["low", "normal", "high"], n_tickets, p=[0.15, 0.7, 0.15])
    with open(os.path.join(out, "tickets.csv"), "w", newline="") as f:
        wr = csv.writer(f)
        wr.writerow(["id", "lon", "lat", "region", "skill", "units", "priority",
                     "created_at", "due_by", "customer_tier", "avoid", "preferred"])
        for t in range(n_tickets):
            h, m = int(hours[t]), int(minutes[t])
            wr.writerow([f"T{t + 1:07d}", f"{tlon[t]:.5f}", f"{tlat[t]:.5f}",
                         regs[city_t[t]]["code"], SKILLS[skill_t[t]], 1, prio[t],
                         f"2026-11-23T{h:02d}:{m:02d}:00", f"2026-11-25T{h:02d}:{m:02d}:00",
                         "standard", "", ""])
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tickets", type=int, default=10_000)
    ap.add_argument("--outlets", type=int, default=1_000)
    ap.add_argument("--tightness", type=float, default=0.9)
    ap.add_argument("--skills-per-outlet", type=int, default=8)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    if a.tickets < 1 or a.outlets < 1 or not math.isfinite(a.tightness) or a.tightness <= 0:
        ap.error("tickets, outlets and tightness must be positive")
    if not 1 <= a.skills_per_outlet <= len(SKILLS):
        ap.error(f"--skills-per-outlet must be in 1..={len(SKILLS)}")
    generate(a.tickets, a.outlets, a.tightness, a.seed, a.out, a.skills_per_outlet)
    print(a.out)


if __name__ == "__main__":
    main()
