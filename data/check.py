#!/usr/bin/env python3
"""Check a servnet data folder against docs/formats.md and print its statistics.

Re-reads the files with the csv / json modules only (independent of generate.py),
asserts the format rules (unique ids, references resolve, enums, number ranges,
rating bounds, seasonality shares, due_by >= created_at, valid GeoJSON rings),
then prints row counts, file sizes, skill capacity vs ticket units per service
kind, and the share of tickets a simple greedy dispatcher can place.

Usage:  python data/check.py [DIR]      (default: data/sample)
Exit status 0 when every rule holds, 1 otherwise.
"""
from __future__ import annotations

import csv
import json
import math
import os
import re
import sys
from collections import Counter, defaultdict
from datetime import datetime

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
KINDS = {"delivery", "install", "repair", "maintenance", "inspection"}
CATEGORY_RE = re.compile(r"^[a-z0-9_]+$")
FILES = ["regions.csv", "regions.geojson", "outlets.csv", "outlet_areas.geojson", "outlet_skills.csv",
         "tickets.csv", "products.csv", "repair_rates.csv", "installed_base.csv", "sales_plan.csv",
         "seasonality.csv"]
# optional planning files, checked and reported when present
OPTIONAL_FILES = ["retirement.csv", "service_rates.csv", "repair_history.csv"]

errors: list[str] = []


def err(msg):
    errors.append(msg)
    if len(errors) <= 50:
        print("ERROR:", msg)


def read_csv(d, name):
    with open(os.path.join(d, name), newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return rows


def num(file, line, col, s, lo=None, lo_strict=False, hi=None, integer=False):
    try:
        v = float(s)
        if not math.isfinite(v):
            raise ValueError
    except (TypeError, ValueError):
        err(f"{file}:{line}: {col}={s!r} is not a number")
        return None
    if integer and (v != int(v) or not re.fullmatch(r"-?\d+", s.strip())):
        err(f"{file}:{line}: {col}={s!r} is not an integer")
    if lo is not None and (v <= lo if lo_strict else v < lo):
        err(f"{file}:{line}: {col}={s!r} below {'or at ' if lo_strict else ''}{lo}")
    if hi is not None and v > hi:
        err(f"{file}:{line}: {col}={s!r} above {hi}")
    return v


def ident(file, line, col, s):
    if not s or ";" in s:
        err(f"{file}:{line}: {col}={s!r} is not a valid identifier")


def skill_ok(file, line, s):
    parts = s.split(":")
    if len(parts) != 2 or parts[0] not in KINDS or not CATEGORY_RE.match(parts[1]):
        err(f"{file}:{line}: skill {s!r} is not kind:category")
        return False
    return True


def ts(file, line, col, s):
    for fmt in ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"):
        try:
            return datetime.strptime(s, fmt)
        except ValueError:
            pass
    err(f"{file}:{line}: {col}={s!r} is not an ISO time stamp")
    return None


def check_unique_sorted(file, rows, key):
    ids = [r[key] for r in rows]
    for i, (k, n) in enumerate(Counter(ids).items()):
        if n > 1:
            err(f"{file}: {key} {k!r} appears {n} times")
    if ids != sorted(ids):
        err(f"{file}: rows not sorted by {key}")


def ring_area(ring):
    return 0.5 * sum(ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1] for i in range(len(ring) - 1))


def check_geojson(d, name, key, valid_ids):
    with open(os.path.join(d, name), encoding="utf-8") as f:
        fc = json.load(f)
    if fc.get("type") != "FeatureCollection":
        err(f"{name}: not a FeatureCollection")
        return {}
    polys = defaultdict(list)
    for i, feat in enumerate(fc["features"]):
        pid = feat.get("properties", {}).get(key)
        if pid not in valid_ids:
            err(f"{name}: feature {i}: {key}={pid!r} does not resolve")
        g = feat.get("geometry", {})
        plist = [g["coordinates"]] if g.get("type") == "Polygon" else (g["coordinates"] if g.get("type") == "MultiPolygon" else None)
        if plist is None:
            err(f"{name}: feature {i}: geometry is not a Polygon/MultiPolygon")
            continue
        for poly in plist:
            for ring in poly:
                if len(ring) < 4 or ring[0] != ring[-1] or abs(ring_area(ring)) <= 0:
                    err(f"{name}: feature {i}: invalid ring (len {len(ring)})")
                for lon, lat in ring:
                    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                        err(f"{name}: feature {i}: coordinate out of range")
            if ring_area(poly[0]) <= 0:
                err(f"{name}: feature {i}: exterior ring not counter-clockwise")
            polys[pid].append(poly[0])
    return polys


def point_in_ring(lon, lat, ring):
    inside = False
    for i in range(len(ring) - 1):
        x1, y1 = ring[i]
        x2, y2 = ring[i + 1]
        if (y1 > lat) != (y2 > lat):
            if lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
                inside = not inside
    return inside


def haversine_km(lon1, lat1, lon2, lat2):
    lon1, lat1, lon2, lat2 = map(np.radians, (lon1, lat1, lon2, lat2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * np.arcsin(np.sqrt(np.minimum(a, 1.0)))


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    d = argv[0] if argv else os.path.join(HERE, "sample")

    # ---- regions
    F = "regions.csv"
    regions = read_csv(d, F)
    check_unique_sorted(F, regions, "code")
    reg = {}
    for ln, r in enumerate(regions, start=2):
        ident(F, ln, "code", r["code"])
        if r["tier"] not in ("A", "B", "C"):
            err(f"{F}:{ln}: tier {r['tier']!r}")
        num(F, ln, "lon", r["lon"], -180, hi=180)
        num(F, ln, "lat", r["lat"], -90, hi=90)
        num(F, ln, "population", r["population"], 0, integer=True)
        num(F, ln, "max_response_hours", r["max_response_hours"], 0, lo_strict=True)
        num(F, ln, "max_travel_km", r["max_travel_km"], 0, lo_strict=True)
        reg[r["code"]] = r
    rpolys = check_geojson(d, "regions.geojson", "code", set(reg))
    for code in reg:
        if code not in rpolys:
            err(f"regions.geojson: no polygon for {code}")

    # ---- outlets
    F = "outlets.csv"
    outlets = read_csv(d, F)
    check_unique_sorted(F, outlets, "id")
    out = {}
    for ln, o in enumerate(outlets, start=2):
        ident(F, ln, "id", o["id"])
        num(F, ln, "lon", o["lon"], -180, hi=180)
        num(F, ln, "lat", o["lat"], -90, hi=90)
        if o["status"] not in ("probation", "active", "suspended", "closed"):
            err(f"{F}:{ln}: status {o['status']!r}")
        num(F, ln, "priority", o["priority"], 0, hi=100, integer=True)
        num(F, ln, "daily_cap", o["daily_cap"], 0)
        k = o["area_kind"]
        if k == "radius":
            num(F, ln, "radius_km", o["radius_km"], 0, lo_strict=True)
        elif k == "regions":
            codes = o["area_regions"].split(";")
            if not o["area_regions"] or any(c not in reg for c in codes):
                err(f"{F}:{ln}: area_regions {o['area_regions']!r} do not resolve")
        elif k != "polygon":
            err(f"{F}:{ln}: area_kind {k!r}")
        out[o["id"]] = o
    opolys = check_geojson(d, "outlet_areas.geojson", "outlet_id", set(out))
    for oid, o in out.items():
        if o["area_kind"] == "polygon" and oid not in opolys:
            err(f"outlet_areas.geojson: polygon outlet {oid} has no feature")
        if o["area_kind"] != "polygon" and oid in opolys:
            err(f"outlet_areas.geojson: outlet {oid} is not area_kind=polygon")

    # ---- outlet skills
    F = "outlet_skills.csv"
    skills = read_csv(d, F)
    pairs = Counter((s["outlet_id"], s["skill"]) for s in skills)
    for p, n in pairs.items():
        if n > 1:
            err(f"{F}: {p} appears {n} times")
    keys = [(s["outlet_id"], s["skill"]) for s in skills]
    if keys != sorted(keys):
        err(f"{F}: rows not sorted by outlet_id, skill")
    for ln, s in enumerate(skills, start=2):
        if s["outlet_id"] not in out:
            err(f"{F}:{ln}: outlet {s['outlet_id']!r} does not resolve")
        skill_ok(F, ln, s["skill"])
        num(F, ln, "daily_capacity", s["daily_capacity"], 0)
        num(F, ln, "load", s["load"] or "0", 0)
        rs = num(F, ln, "rating_sum", s["rating_sum"], 0)
        rc = num(F, ln, "rating_count", s["rating_count"], 0, integer=True)
        if rs is not None and rc is not None and not (rc <= rs <= 5 * rc):
            err(f"{F}:{ln}: rating_sum {rs} outside [count, 5 x count] for count {rc}")
        num(F, ln, "cost_per_ticket", s["cost_per_ticket"], 0)
    no_skill = set(out) - {s["outlet_id"] for s in skills}
    if no_skill:
        err(f"{F}: outlets without skills: {sorted(no_skill)[:5]}")

    # ---- tickets
    F = "tickets.csv"
    tickets = read_csv(d, F)
    check_unique_sorted(F, tickets, "id")
    for ln, t in enumerate(tickets, start=2):
        ident(F, ln, "id", t["id"])
        num(F, ln, "lon", t["lon"], -180, hi=180)
        num(F, ln, "lat", t["lat"], -90, hi=90)
        if t["region"] not in reg:
            err(f"{F}:{ln}: region {t['region']!r} does not resolve")
        skill_ok(F, ln, t["skill"])
        num(F, ln, "units", t["units"] or "1", 0, lo_strict=True)
        if t["priority"] not in ("", "emergency", "high", "normal", "low"):
            err(f"{F}:{ln}: priority {t['priority']!r}")
        c = ts(F, ln, "created_at", t["created_at"])
        u = ts(F, ln, "due_by", t["due_by"])
        if c and u and u < c:
            err(f"{F}:{ln}: due_by before created_at")
        if t["customer_tier"] not in ("", "standard", "vip"):
            err(f"{F}:{ln}: customer_tier {t['customer_tier']!r}")
        for a in filter(None, t["avoid"].split(";")):
            if a not in out:
                err(f"{F}:{ln}: avoid {a!r} does not resolve")
        if t["preferred"] and (t["preferred"] not in out or ";" in t["preferred"]):
            err(f"{F}:{ln}: preferred {t['preferred']!r} does not resolve")

    # ---- products, repair rates
    F = "products.csv"
    products = read_csv(d, F)
    check_unique_sorted(F, products, "model")
    prod = {}
    for ln, p in enumerate(products, start=2):
        ident(F, ln, "model", p["model"])
        if not CATEGORY_RE.match(p["category"]):
            err(f"{F}:{ln}: category {p['category']!r}")
        if p["curve"] == "weibull":
            num(F, ln, "weibull_shape", p["weibull_shape"], 0, lo_strict=True)
            num(F, ln, "weibull_scale", p["weibull_scale"], 0, lo_strict=True)
        elif p["curve"] != "table":
            err(f"{F}:{ln}: curve {p['curve']!r}")
        prod[p["model"]] = p
    F = "repair_rates.csv"
    rates = read_csv(d, F)
    seen = Counter()
    for ln, r in enumerate(rates, start=2):
        if r["model"] not in prod or prod[r["model"]]["curve"] != "table":
            err(f"{F}:{ln}: model {r['model']!r} is not a table-curve model")
        num(F, ln, "age", r["age"], 0, integer=True)
        num(F, ln, "rate", r["rate"], 0)
        seen[(r["model"], r["age"])] += 1
    if any(n > 1 for n in seen.values()):
        err(f"{F}: duplicate (model, age)")
    for m, p in prod.items():
        if p["curve"] == "table" and not any(k[0] == m for k in seen):
            err(f"{F}: table model {m} has no rates")

    # ---- installed base, sales plan
    for F, ycol, has_cat in (("installed_base.csv", "vintage", True), ("sales_plan.csv", "year", False)):
        rows = read_csv(d, F)
        keys = Counter()
        for ln, r in enumerate(rows, start=2):
            if r["region"] not in reg:
                err(f"{F}:{ln}: region {r['region']!r} does not resolve")
            if r["model"] not in prod:
                err(f"{F}:{ln}: model {r['model']!r} does not resolve")
            elif has_cat and r["category"] != prod[r["model"]]["category"]:
                err(f"{F}:{ln}: category {r['category']!r} != model's {prod[r['model']]['category']!r}")
            num(F, ln, ycol, r[ycol], 1900, hi=2100, integer=True)
            num(F, ln, "units", r["units"], 0, integer=True)
            keys[(r["region"], r["model"], r[ycol])] += 1
        if any(n > 1 for n in keys.values()):
            err(f"{F}: duplicate (region, model, {ycol})")

    # ---- seasonality
    F = "seasonality.csv"
    season = read_csv(d, F)
    by_cat = defaultdict(dict)
    for ln, r in enumerate(season, start=2):
        m = num(F, ln, "month", r["month"], 1, hi=12, integer=True)
        s = num(F, ln, "share", r["share"], 0)
        if m in by_cat[r["category"]]:
            err(f"{F}:{ln}: duplicate month")
        by_cat[r["category"]][m] = s
    for c, ms in by_cat.items():
        tot = sum(ms.values())
        if abs(tot - 1) > 1e-6:
            err(f"{F}: {c} shares sum to {tot!r}")

    check_planning_extras(d, prod)

    # ---- report
    print("\nfile                     rows      bytes")
    total = 0
    for name in FILES + [f for f in OPTIONAL_FILES if os.path.exists(os.path.join(d, f))]:
        path = os.path.join(d, name)
        size = os.path.getsize(path)
        total += size
        if name.endswith(".csv"):
            with open(path, encoding="utf-8") as f:
                n = sum(1 for _ in f) - 1
        else:
            with open(path, encoding="utf-8") as f:
                n = len(json.load(f)["features"])
            name += " (features)"
        print(f"{name:<34}{n:>7} {size:>10,}")
    print(f"{'total':<34}{'':>7} {total:>10,}")

    taking = {oid for oid, o in out.items() if o["status"] in ("active", "probation")}
    cap_kind, free_kind, units_kind = Counter(), Counter(), Counter()
    for s in skills:
        k = s["skill"].split(":")[0]
        cap_kind[k] += float(s["daily_capacity"])
        if s["outlet_id"] in taking:
            free_kind[k] += float(s["daily_capacity"]) - float(s["load"] or 0)
    for t in tickets:
        units_kind[t["skill"].split(":")[0]] += float(t["units"] or 1)
    print("\nkind          capacity  free(active/probation, minus load)  ticket units  free/units")
    for k in ("delivery", "install", "repair", "maintenance", "inspection"):
        print(f"{k:<12}{cap_kind[k]:>10.0f}{free_kind[k]:>22.0f}{units_kind[k]:>26.0f}{free_kind[k] / max(units_kind[k], 1):>12.2f}")
    print(f"{'all':<12}{sum(cap_kind.values()):>10.0f}{sum(free_kind.values()):>22.0f}{sum(units_kind.values()):>26.0f}"
          f"{sum(free_kind.values()) / max(sum(units_kind.values()), 1):>12.2f}")
    taking_daily = sum(float(out[o]["daily_cap"]) for o in taking)
    print(f"outlet-wide daily_cap of active/probation outlets: {taking_daily:.0f}")

    simulate(reg, out, opolys, skills, tickets)

    if errors:
        print(f"\n{len(errors)} format error(s)")
        return 1
    print("\nall format checks passed")
    return 0


def check_planning_extras(d, prod):
    """retirement.csv, service_rates.csv and repair_history.csv (issue 16), when present."""
    cats = {p["category"] for p in prod.values()}
    F = "retirement.csv"
    if os.path.exists(os.path.join(d, F)):
        seen = Counter()
        for ln, r in enumerate(read_csv(d, F), start=2):
            if r["category"] not in cats:
                err(f"{F}:{ln}: category {r['category']!r} has no products")
            num(F, ln, "life", r["life"], 0, lo_strict=True, hi=100)
            num(F, ln, "shape", r["shape"], 0, lo_strict=True, hi=20)
            seen[r["category"]] += 1
        if any(n > 1 for n in seen.values()):
            err(f"{F}: duplicate category")
    F = "service_rates.csv"
    if os.path.exists(os.path.join(d, F)):
        seen = Counter()
        for ln, r in enumerate(read_csv(d, F), start=2):
            if r["category"] not in cats:
                err(f"{F}:{ln}: category {r['category']!r} has no products")
            if r["kind"] not in KINDS - {"repair"}:
                err(f"{F}:{ln}: kind {r['kind']!r} (delivery, install, maintenance or inspection)")
            num(F, ln, "rate", r["rate"], 0, hi=100)
            seen[(r["category"], r["kind"])] += 1
        if any(n > 1 for n in seen.values()):
            err(f"{F}: duplicate (category, kind)")
    F = "repair_history.csv"
    if os.path.exists(os.path.join(d, F)):
        seen = Counter()
        for ln, r in enumerate(read_csv(d, F), start=2):
            if r["model"] not in prod:
                err(f"{F}:{ln}: model {r['model']!r} does not resolve")
            v = num(F, ln, "vintage", r["vintage"], 1900, hi=2100, integer=True)
            y = num(F, ln, "year", r["year"], 1900, hi=2100, integer=True)
            if v is not None and y is not None and y < v:
                err(f"{F}:{ln}: year {y:.0f} before vintage {v:.0f}")
            num(F, ln, "repairs", r["repairs"], 0, integer=True)
            seen[(r["model"], r["vintage"], r["year"], r.get("region", ""))] += 1
        if any(n > 1 for n in seen.values()):
            err(f"{F}: duplicate (model, vintage, year, region)")


def simulate(reg, out, opolys, skills, tickets):
    """Greedy dispatch: tickets by priority then arrival; nearest eligible outlet (preferred if eligible)."""
    ids = sorted(out)
    ix = {o: i for i, o in enumerate(ids)}
    olon = np.array([float(out[o]["lon"]) for o in ids])
    olat = np.array([float(out[o]["lat"]) for o in ids])
    status_ok = np.array([out[o]["status"] in ("active", "probation") for o in ids])
    kind = [out[o]["area_kind"] for o in ids]
    radius = np.array([float(out[o]["radius_km"]) if out[o]["area_kind"] == "radius" else 0.0 for o in ids])
    aregions = [set(out[o]["area_regions"].split(";")) if out[o]["area_kind"] == "regions" else set() for o in ids]
    skill_out = defaultdict(list)
    rem = {}
    used_outlet = np.zeros(len(ids))
    for s in skills:
        i = ix[s["outlet_id"]]
        skill_out[s["skill"]].append(i)
        rem[(i, s["skill"])] = float(s["daily_capacity"]) - float(s["load"] or 0)
        used_outlet[i] += float(s["load"] or 0)
    orem = np.array([float(out[o]["daily_cap"]) for o in ids]) - used_outlet
    skill_out = {k: np.array(v) for k, v in skill_out.items()}
    prank = {"emergency": 0, "high": 1, "normal": 2, "low": 3, "": 2}
    order = sorted(range(len(tickets)), key=lambda t: (prank[tickets[t]["priority"]], tickets[t]["created_at"], tickets[t]["id"]))
    reasons = Counter()
    placed_units, placed, covered = 0.0, 0, 0
    by_kind = Counter()
    for t in order:
        tk = tickets[t]
        lon, lat, units = float(tk["lon"]), float(tk["lat"]), float(tk["units"] or 1)
        r = reg[tk["region"]]
        cand = skill_out.get(tk["skill"], np.array([], dtype=int))
        if len(cand) == 0:
            reasons["no outlet has the skill"] += 1
            continue
        dist = haversine_km(lon, lat, olon[cand], olat[cand])
        near = (dist <= float(r["max_travel_km"])) & status_ok[cand]
        area = np.zeros(len(cand), dtype=bool)
        for j in np.nonzero(near)[0]:
            i = cand[j]
            if kind[i] == "radius":
                area[j] = dist[j] <= radius[i]
            elif kind[i] == "regions":
                area[j] = tk["region"] in aregions[i]
            else:
                area[j] = any(point_in_ring(lon, lat, ring) for ring in opolys[ids[i]])
        avoid = set(filter(None, tk["avoid"].split(";")))
        ok_geo = near & area & np.array([ids[i] not in avoid for i in cand])
        if not ok_geo.any():
            reasons["no active outlet with the skill in area and travel limit"] += 1
            continue
        covered += 1
        ok = ok_geo & np.array([rem[(i, tk["skill"])] >= units and orem[i] >= units for i in cand])
        if not ok.any():
            reasons["all eligible outlets full"] += 1
            continue
        js = np.nonzero(ok)[0]
        best = None
        if tk["preferred"] and tk["preferred"] in ix:
            p = ix[tk["preferred"]]
            for j in js:
                if cand[j] == p:
                    best = j
        if best is None:
            best = js[np.lexsort((cand[js], dist[js]))[0]]
        i = cand[best]
        rem[(i, tk["skill"])] -= units
        orem[i] -= units
        placed += 1
        placed_units += units
        by_kind[tk["skill"].split(":")[0]] += 1
    n = len(tickets)
    print(f"\ngreedy dispatch (nearest eligible, by priority then created_at):")
    print(f"  tickets with an eligible outlet ignoring capacity: {covered}/{n} = {covered / n:.1%}")
    print(f"  tickets placed within capacity:                    {placed}/{n} = {placed / n:.1%}")
    kinds_n = Counter(t["skill"].split(":")[0] for t in tickets)
    for k in ("delivery", "install", "repair", "maintenance", "inspection"):
        print(f"    {k:<12} {by_kind[k]:>6}/{kinds_n[k]:<6} {by_kind[k] / max(kinds_n[k], 1):.1%}")
    for why, c in reasons.most_common():
        print(f"  unplaced: {why}: {c}")
    return placed / n


if __name__ == "__main__":
    sys.exit(main())
