"""Maps of a plan: a static matplotlib map (``NetworkPlan.plot``) and an interactive
Leaflet page (``NetworkPlan.explore``), both drawn from the same layers.

Layers: the network's region borders, demand as a heat layer (peak-day tickets of the
demand cells), optional lines from each cell to its serving site and from each closed
outlet to the site taking it over, and the sites, one style per decision (kept, grown,
shrunk, new; closed ones faint), marker area by technicians (today's for closed ones).
Everything here only draws: what the plan decides comes from the core.
"""

from __future__ import annotations

import html
import json
import math
import os
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

# decision: (legend label, colour, matplotlib marker)
DECISIONS: Dict[str, Tuple[str, str, str]] = {
    "keep": ("kept", "#3b6fb6", "o"),
    "grow": ("grown", "#7b3294", "^"),
    "shrink": ("shrunk", "#2fa4a9", "v"),
    "open": ("new", "#1a9641", "D"),
    "close": ("closed", "#4d4d4d", "x"),
    "stays_shut": ("shut today, stays shut", "#a6a6a6", "x"),
}
"""Site classes drawn, by ``_shown_decision``: the plan's decisions, with ``close`` of an
outlet not taking tickets today (suspended) shown apart as ``stays_shut``, so the closed
count in the legend is the title's."""
FAINT = ("close", "stays_shut")
CLOSED_ALPHA = 0.4
"""Opacity of closed outlets (the other sites are opaque)."""
LAND = "#f4f1ea"
BORDER = "#8f8a80"

Bbox = Tuple[float, float, float, float]
Ring = List[Tuple[float, float]]


# --------------------------------------------------------------------------- layers
def region_borders(network: Any) -> List[Dict[str, Any]]:
    """The network's region polygons: ``[{"code", "name", "polygons": [[ring, ...], ...]}]``
    (rings as lists of (lon, lat); the first ring of a polygon is its outline). Regions
    without a polygon are left out."""
    data = json.loads(network.to_json())
    out = []
    for r in data.get("regions", []):
        poly = r.get("polygon")
        if not poly:
            continue
        polys = [[[(float(x), float(y)) for x, y in _xy(ring)] for ring in _rings(p)]
                 for p in _polygons(poly)]
        out.append({"code": r["code"], "name": r.get("name", r["code"]), "polygons": polys})
    return out


def _polygons(mp: Any) -> List[Any]:
    # geo-types MultiPolygon serialises as a list of polygons (or {"0": [...]})
    if isinstance(mp, dict) and "0" in mp:
        mp = mp["0"]
    return list(mp)


def _rings(p: Any) -> List[Any]:
    if isinstance(p, dict):
        return [p["exterior"], *p.get("interiors", [])]
    return list(p)


def _xy(ring: Any) -> List[Tuple[float, float]]:
    if isinstance(ring, dict) and "0" in ring:
        ring = ring["0"]
    return [(c["x"], c["y"]) if isinstance(c, dict) else (c[0], c[1]) for c in ring]


def zoom_bbox(plan: Any, borders: List[Dict[str, Any]],
              region: Union[None, str, Sequence[str]] = None,
              bbox: Optional[Bbox] = None, extent: Optional[Bbox] = None) -> Optional[Bbox]:
    """The view as (lon0, lat0, lon1, lat1): ``bbox`` as given; ``extent`` (lon0, lon1,
    lat0, lat1, the older form); or the bounds of the named regions (codes or names, case
    ignored) -- their polygons, else their sites and cells -- plus a 5% margin."""
    if bbox is not None:
        lon0, lat0, lon1, lat1 = (float(v) for v in bbox)
    elif extent is not None:
        lon0, lon1, lat0, lat1 = (float(v) for v in extent)
    elif region is not None:
        wanted = [region] if isinstance(region, str) else list(region)
        codes = _region_codes(plan, borders, wanted)
        pts: List[Tuple[float, float]] = []
        for b in borders:
            if b["code"] in codes:
                pts.extend(pt for poly in b["polygons"] for pt in poly[0])
        if not pts:
            for name in ("sites", "cells"):
                df = plan.tables[name]
                if len(df) and "region" in df.columns:
                    df = df[df["region"].isin(codes)]
                    pts.extend(zip(df["lon"], df["lat"]))
        if not pts:
            raise ValueError(f"region={region!r}: no polygon, site or cell to zoom to")
        lons = [p[0] for p in pts]
        lats = [p[1] for p in pts]
        lon0, lon1, lat0, lat1 = min(lons), max(lons), min(lats), max(lats)
        mx, my = 0.05 * max(lon1 - lon0, 0.05), 0.05 * max(lat1 - lat0, 0.05)
        lon0, lon1, lat0, lat1 = lon0 - mx, lon1 + mx, lat0 - my, lat1 + my
    else:
        return None
    if not (lon0 < lon1 and lat0 < lat1):
        raise ValueError(f"bbox ({lon0}, {lat0}, {lon1}, {lat1}): want lon0 < lon1 and lat0 < lat1")
    return (lon0, lat0, lon1, lat1)


def _region_codes(plan: Any, borders: List[Dict[str, Any]], wanted: List[str]) -> set:
    names: Dict[str, str] = {}
    for b in borders:
        names[b["code"].lower()] = b["code"]
        names[str(b["name"]).lower()] = b["code"]
    regions = plan.tables["regions"]
    if "region" in regions.columns:
        for code in regions["region"]:
            names.setdefault(str(code).lower(), str(code))
    codes = set()
    for w in wanted:
        code = names.get(str(w).lower())
        if code is None:
            raise ValueError(f"region={w!r}: not a region code or name of this network")
        codes.add(code)
    return codes


def _inside(df: Any, box: Optional[Bbox], pad: float = 0.0) -> Any:
    if box is None or not len(df):
        return df
    lon0, lat0, lon1, lat1 = box
    px, py = pad * (lon1 - lon0), pad * (lat1 - lat0)
    return df[df["lon"].between(lon0 - px, lon1 + px) & df["lat"].between(lat0 - py, lat1 + py)]


def _ring_hits(ring: Ring, box: Optional[Bbox]) -> bool:
    if box is None:
        return True
    xs = [p[0] for p in ring]
    ys = [p[1] for p in ring]
    return not (max(xs) < box[0] or min(xs) > box[2] or max(ys) < box[1] or min(ys) > box[3])


def _shown_decision(sites: Any) -> Any:
    """The site's class on the map: its decision, or ``stays_shut`` for a ``close`` of an
    outlet that takes no tickets today (plans written before ``open_today`` existed count
    every site as open today)."""
    shown = sites["decision"].astype(str)
    if "open_today" in sites.columns:
        shut = (shown == "close") & ~sites["open_today"].astype(bool)
        shown = shown.where(~shut, "stays_shut")
    return shown


def _site_size(sites: Any, tmax: float, scale: float) -> Any:
    tech = sites["technicians"].where(sites["decision"] != "close", sites["technicians_today"])
    return 8 + scale * tech.clip(lower=0) / tmax


def _size_legend_values(tmax: float) -> List[int]:
    steps = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000]
    top = max((s for s in steps if s <= tmax), default=1)
    i = steps.index(top)
    return sorted({steps[max(i - 2, 0)], steps[max(i - 1, 0)], top})


def _lines_to_sites(plan: Any, frame: Any, key: str, box: Optional[Bbox]) -> List[List[Tuple[float, float]]]:
    pos = {r.site_id: (r.lon, r.lat) for r in plan.tables["sites"].itertuples()}
    out = []
    for r in _inside(frame, box, 0.1).itertuples():
        to = getattr(r, key)
        if isinstance(to, str) and to in pos:
            out.append([(r.lon, r.lat), pos[to]])
    return out


# --------------------------------------------------------------------------- static map
def plot_plan(plan: Any, borders: List[Dict[str, Any]], ax: Any = None, *,
              region: Union[None, str, Sequence[str]] = None, bbox: Optional[Bbox] = None,
              extent: Optional[Bbox] = None, demand: bool = True, assignments: bool = False,
              takes_over: Optional[bool] = None, closed: bool = True,
              gridsize: int = 70) -> Any:
    """Draws the plan on ``ax`` (a new 10 x 9 in figure by default); see
    ``NetworkPlan.plot``. Returns the Axes."""
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection, PolyCollection
    from matplotlib.colors import LogNorm
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    box = zoom_bbox(plan, borders, region, bbox, extent)
    zoomed = box is not None
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 9))
    sites = plan.tables["sites"]
    cells = plan.tables.get("cells")
    handles: List[Any] = []

    # extent of the map: the zoom, else everything drawn
    if box is None:
        xs: List[float] = [float(v) for v in sites["lon"]] if len(sites) else []
        ys: List[float] = [float(v) for v in sites["lat"]] if len(sites) else []
        for b in borders:
            for poly in b["polygons"]:
                xs.extend(p[0] for p in poly[0])
                ys.extend(p[1] for p in poly[0])
        if cells is not None and len(cells):
            xs.extend(cells["lon"])
            ys.extend(cells["lat"])
        if not xs:
            raise ValueError("plot: the plan has no sites, cells or regions to draw")
        mx = 0.02 * (max(xs) - min(xs) + 0.1)
        my = 0.02 * (max(ys) - min(ys) + 0.1)
        view = (min(xs) - mx, min(ys) - my, max(xs) + mx, max(ys) + my)
    else:
        view = box
    lon0, lat0, lon1, lat1 = view
    aspect = 1.0 / max(math.cos(math.radians(0.5 * (lat0 + lat1))), 0.1)

    # region borders
    if borders:
        chosen = (_region_codes(plan, borders, [region] if isinstance(region, str) else list(region))
                  if region is not None else set())
        rings = [poly[0] for b in borders for poly in b["polygons"] if _ring_hits(poly[0], box)]
        ax.add_collection(PolyCollection(rings, facecolors=LAND, edgecolors=BORDER,
                                         linewidths=0.5 if not zoomed else 0.9, zorder=0))
        if chosen:
            sel = [poly[0] for b in borders if b["code"] in chosen for poly in b["polygons"]]
            ax.add_collection(PolyCollection(sel, facecolors="none", edgecolors="#333333",
                                             linewidths=1.6, zorder=3))
        handles.append(Patch(facecolor=LAND, edgecolor=BORDER, label=f"region borders ({len(borders)})"))
    else:
        ax.set_facecolor(LAND)

    # demand heat layer
    heat = None
    if demand and cells is not None and len(cells):
        c = _inside(cells, box, 0.05)
        c = c[c["peak_day"] > 0]
        if len(c):
            nx = max(int(gridsize), 5)
            ny = max(int(round((lat1 - lat0) * aspect / ((lon1 - lon0) / nx * math.sqrt(3)))), 2)
            heat = ax.hexbin(c["lon"], c["lat"], C=c["peak_day"], reduce_C_function=sum,
                             gridsize=(nx, ny), extent=(lon0, lon1, lat0, lat1), cmap="YlOrRd",
                             norm=LogNorm(), mincnt=1, linewidths=0.1, edgecolors="face",
                             alpha=0.85, zorder=1)
            heat.set_label("_demand")
            missed = c[c["served_share"] < 0.999]
            if len(missed):
                ax.scatter(missed["lon"], missed["lat"], s=6 if not zoomed else 14, marker="s",
                           facecolors="none", edgecolors="black", linewidths=0.6, zorder=2)
                handles.append(Line2D([], [], ls="none", marker="s", mfc="none", mec="black",
                                      label=f"cells beyond commitment ({len(missed)})"))

    # lines
    if assignments and cells is not None and len(cells):
        segs = _lines_to_sites(plan, cells, "site", box)
        ax.add_collection(LineCollection(segs, colors="#555555", linewidths=0.4, alpha=0.45, zorder=2))
        handles.append(Line2D([], [], color="#555555", lw=0.8, label="cell to its site"))
    if takes_over is None:
        takes_over = zoomed
    if takes_over and closed and len(sites):
        segs = _lines_to_sites(plan, sites[_shown_decision(sites) == "close"], "goes_to", box)
        ax.add_collection(LineCollection(segs, colors="#c0392b", linewidths=0.8, alpha=0.6,
                                         linestyles="--", zorder=2))
        handles.append(Line2D([], [], color="#c0392b", lw=0.8, ls="--", label="closed to taker"))

    # sites
    shown = _inside(sites, box, 0.02)
    every = _shown_decision(sites)
    tmax = max(float(sites["technicians"].max()) if len(sites) else 1.0,
               float(sites["technicians_today"].max()) if len(sites) else 1.0, 1.0)
    scale = 260.0 if zoomed else 90.0
    for decision, (label, colour, marker) in DECISIONS.items():
        if decision in FAINT and not closed:
            continue
        df = shown[_shown_decision(shown) == decision]
        n_all = int((every == decision).sum())
        if decision == "stays_shut" and not n_all:
            continue
        faint = decision in FAINT
        edge = {} if marker == "x" else {"edgecolors": "white"}
        ax.scatter(df["lon"], df["lat"], s=_site_size(df, tmax, scale), marker=marker,
                   c=colour, alpha=CLOSED_ALPHA if faint else 0.9, **edge,
                   linewidths=1.3 if marker == "x" else 0.4, zorder=4 if faint else 5,
                   label=f"{label} ({n_all})")
        handles.append(Line2D([], [], ls="none", marker=marker, color=colour,
                              mec="white" if marker != "x" else colour, ms=8,
                              alpha=CLOSED_ALPHA if faint else 0.9, label=f"{label} ({n_all})"))
    for v in _size_legend_values(tmax):
        handles.append(Line2D([], [], ls="none", marker="o", mfc="none", mec="#444444",
                              ms=math.sqrt(8 + scale * v / tmax), label=f"{v} technicians"))

    ax.set_xlim(lon0, lon1)
    ax.set_ylim(lat0, lat1)
    ax.set_aspect(aspect, adjustable="box")
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    ax.grid(True, color="white", lw=0.4, alpha=0.6)
    ax.set_facecolor("#dfe8ef")
    f = plan.figures
    where = ""
    if region is not None:
        names = {b["code"]: b["name"] for b in borders}
        codes = sorted(_region_codes(plan, borders, [region] if isinstance(region, str) else list(region)))
        where = " - " + ", ".join(names.get(c, c) for c in codes[:4]) + (" ..." if len(codes) > 4 else "")
    ax.set_title(f"{f['model']} plan {f['year']}{where}\n{f['open']} outlets "
                 f"({f['kept']} of today's kept, {f['new']} new; {f['closed']} closed), "
                 f"{100 * f['served_share']:.1f}% of demand served within commitment",
                 fontsize=10)
    # legend and colour bar outside the map, so they never hide a site
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize="small",
              framealpha=0.9, labelspacing=0.9, borderpad=0.8, borderaxespad=0.0)
    if heat is not None:
        cb = ax.figure.colorbar(heat, ax=ax, orientation="horizontal", shrink=0.6,
                                pad=0.08, aspect=40)
        cb.set_label("demand: peak-day tickets per hexagon")
    return ax


# --------------------------------------------------------------------------- interactive
LEAFLET_DIRS = ("/usr/share/javascript/leaflet",)


def _leaflet_files(leaflet_dir: Optional[Union[str, Path]]) -> Tuple[Path, Path]:
    candidates = ([Path(leaflet_dir)] if leaflet_dir is not None else
                  [Path(p) for p in filter(None, [os.environ.get("SERVNET_LEAFLET_DIR")])]
                  + [Path(p) for p in LEAFLET_DIRS])
    for d in candidates:
        js, css = d / "leaflet.js", d / "leaflet.css"
        if js.is_file() and css.is_file():
            return js, css
    raise FileNotFoundError(
        "explore(offline=True) embeds Leaflet from a local copy and found none in "
        + ", ".join(str(d) for d in candidates)
        + " (Debian: apt-get install libjs-leaflet; or pass leaflet_dir= / set "
        "SERVNET_LEAFLET_DIR to a folder with leaflet.js and leaflet.css)")


def _offline_page(page: str, leaflet_dir: Optional[Union[str, Path]]) -> str:
    """The page with Leaflet inlined and every other network resource removed."""
    import re

    js, css = _leaflet_files(leaflet_dir)
    leaflet_js = js.read_text(encoding="utf-8").replace("</script", "<\\/script")
    leaflet_css = css.read_text(encoding="utf-8")
    page = re.sub(r'<script[^>]*src="https?://[^"]*"[^>]*>\s*</script>\s*', "", page)
    page = re.sub(r'<link[^>]*href="https?://[^"]*"[^>]*/?>\s*', "", page)
    head = f"<style>{leaflet_css}</style>\n<script>{leaflet_js}</script>\n"
    return page.replace("<head>", "<head>\n" + head, 1)


def explore_plan(plan: Any, borders: List[Dict[str, Any]], path: Union[str, Path], *,
                 region: Union[None, str, Sequence[str]] = None, bbox: Optional[Bbox] = None,
                 tiles: Optional[str] = "CartoDB positron", offline: bool = False,
                 leaflet_dir: Optional[Union[str, Path]] = None, assignments: bool = False,
                 max_cells: int = 20000) -> Path:
    """Writes the plan as a Leaflet page; see ``NetworkPlan.explore``. Returns the path."""
    import folium

    box = zoom_bbox(plan, borders, region, bbox, None)
    sites = plan.tables["sites"]
    cells = plan.tables.get("cells")
    if offline:
        tiles = None
    fmap = folium.Map(tiles=tiles, control_scale=True, prefer_canvas=True, zoom_start=5,
                      location=[35.0, 105.0])
    fmap.get_root().header.add_child(folium.Element(
        "<style>.leaflet-container{background:#dfe8ef}</style>"))

    # region borders
    if borders:
        fc = {"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"code": b["code"], "name": b["name"]},
             "geometry": {"type": "MultiPolygon",
                          "coordinates": [[[list(p) for p in ring] for ring in poly] for poly in b["polygons"]]}}
            for b in borders]}
        folium.GeoJson(fc, name=f"region borders ({len(borders)})",
                       style_function=lambda _f: {"fillColor": LAND, "color": BORDER,
                                                  "weight": 1, "fillOpacity": 0.7},
                       tooltip=folium.GeoJsonTooltip(fields=["name", "code"])).add_to(fmap)

    # demand heat layer: one circle per demand cell, colour and radius by peak day
    if cells is not None and len(cells):
        import matplotlib
        import numpy as np
        from matplotlib.colors import LogNorm, to_hex

        c = cells[cells["peak_day"] > 0].sort_values("peak_day", ascending=False).head(max_cells)
        c = c.sort_values("peak_day")
        if len(c):
            norm = LogNorm(vmin=max(float(c["peak_day"].min()), 1e-3), vmax=float(c["peak_day"].max()))
            cmap = matplotlib.colormaps["YlOrRd"]
            levels = np.clip(np.asarray(norm(c["peak_day"].to_numpy(dtype=float))), 0.0, 1.0)
            colours = [to_hex(rgba) for rgba in cmap(0.15 + 0.85 * levels)]
            feats = []
            for r, level, colour in zip(c.itertuples(), levels, colours):
                feats.append({"type": "Feature",
                              "geometry": {"type": "Point", "coordinates": [r.lon, r.lat]},
                              "properties": {"cell": str(r.cell), "peak_day": round(float(r.peak_day), 2),
                                             "site": "" if not isinstance(r.site, str) else r.site,
                                             "colour": colour, "radius": round(2 + 6 * float(level), 1)}})
            # one GeoJSON layer (fast to write and to draw), radius and colour per cell
            group = folium.GeoJson(
                {"type": "FeatureCollection", "features": feats},
                name=f"demand, peak day ({len(c)} cells)",
                marker=folium.CircleMarker(radius=3, stroke=False, fill=True, fill_opacity=0.75),
                style_function=lambda f: {"fillColor": f["properties"]["colour"],
                                          "radius": f["properties"]["radius"],
                                          "stroke": False, "fillOpacity": 0.75},
                tooltip=folium.GeoJsonTooltip(fields=["cell", "peak_day", "site"],
                                              aliases=["cell", "peak-day tickets", "site"]))
            group.add_to(fmap)
            if assignments:
                lines = folium.FeatureGroup(name="cell to its site", show=True)
                for seg in _lines_to_sites(plan, c, "site", None):
                    folium.PolyLine([(y, x) for x, y in seg], color="#555555", weight=1,
                                    opacity=0.5).add_to(lines)
                lines.add_to(fmap)

    # sites, one layer per decision
    tmax = max(float(sites["technicians"].max()) if len(sites) else 1.0,
               float(sites["technicians_today"].max()) if len(sites) else 1.0, 1.0)
    every = _shown_decision(sites)
    for decision, (label, colour, _marker) in DECISIONS.items():
        df = sites[every == decision]
        if not len(df):
            continue
        faint = decision in FAINT
        group = folium.FeatureGroup(name=f"{label} ({len(df)})")
        for r in df.itertuples():
            tech = r.technicians_today if faint else r.technicians
            tip = (f"{html.escape(str(r.site_id))} {html.escape(str(r.name))}: {label}, "
                   f"technicians {r.technicians_today:.0f} today, {r.technicians} planned")
            folium.CircleMarker([r.lat, r.lon], radius=3 + 12 * math.sqrt(max(tech, 0) / tmax),
                                color=colour, weight=1, opacity=CLOSED_ALPHA if faint else 1.0,
                                fill=True, fill_color=colour,
                                fill_opacity=0.2 if faint else 0.8, tooltip=tip).add_to(group)
        group.add_to(fmap)

    folium.LayerControl(collapsed=False).add_to(fmap)
    fmap.get_root().html.add_child(folium.Element(_legend_html(plan, bool(borders))))
    if box is not None:
        fmap.fit_bounds([[box[1], box[0]], [box[3], box[2]]])
    else:
        lo = [float(sites["lat"].min()), float(sites["lon"].min())] if len(sites) else [18.0, 73.0]
        hi = [float(sites["lat"].max()), float(sites["lon"].max())] if len(sites) else [54.0, 135.0]
        fmap.fit_bounds([lo, hi])
    page = fmap.get_root().render()
    if offline:
        page = _offline_page(page, leaflet_dir)
    out = Path(path)
    out.write_text(page, encoding="utf-8")
    return out


def _legend_html(plan: Any, borders: bool) -> str:
    f = plan.figures
    rows = []
    if borders:
        rows.append(f'<div><span style="display:inline-block;width:14px;height:10px;background:{LAND};'
                    f'border:1px solid {BORDER}"></span> region borders</div>')
    rows.append('<div><span style="display:inline-block;width:40px;height:10px;'
                'background:linear-gradient(to right,#fed976,#fd8d3c,#bd0026)"></span>'
                ' demand (peak day)</div>')
    for decision, (label, colour, _m) in DECISIONS.items():
        op = CLOSED_ALPHA if decision in FAINT else 1.0
        rows.append(f'<div><span style="display:inline-block;width:10px;height:10px;border-radius:5px;'
                    f'background:{colour};opacity:{op}"></span> {label}</div>')
    title = html.escape(f"{f['model']} plan {f['year']}: {f['open']} outlets")
    return ('<div id="servnet-legend" style="position:fixed;bottom:24px;left:12px;z-index:1000;'
            'background:white;padding:8px 10px;border:1px solid #999;border-radius:4px;'
            f'font:12px sans-serif"><b>{title}</b>{"".join(rows)}'
            '<div style="color:#666">marker size: technicians</div></div>')
