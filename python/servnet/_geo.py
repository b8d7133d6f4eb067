"""Results with locations as GeoDataFrames (EPSG:4326): ticket -> outlet lines of
assignments and dispatch outcomes, and the coverage areas of outlets and planned sites.

Everything here arranges typed columns the bindings already return (``to_pandas()``,
``dispatch_frame``, ``Network.outlets()``, ``Tickets.to_pandas()``) into geometries; no
rule lives here. Needs the ``geo`` extra (geopandas, shapely, pyproj).
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

CRS = "EPSG:4326"
#: The engine's sphere (servnet_core::geo::EARTH_RADIUS_KM): coverage circles use the
#: same great-circle distance dispatch and planning use.
EARTH_RADIUS_M = 6371008.8
#: Vertices of a coverage circle.
CIRCLE_VERTICES = 64

_GEOMETRIES = ("lines", "tickets", "outlets")


def _frame_of(rows: Any) -> Any:
    """A DataFrame of result rows: a DataFrame as is, a list of outcomes / assignments
    (``Outcome``, ``Assignment``, ``Unassignable``: their ``to_dict()``) as rows."""
    import pandas as pd

    if hasattr(rows, "columns"):
        return rows
    return pd.DataFrame.from_records([r.to_dict() if hasattr(r, "to_dict") else dict(r)
                                      for r in rows])


def _ticket_places(tickets: Any) -> Any:
    """Ticket id -> (lon, lat) as a DataFrame indexed by id, from ``Tickets``, a tickets
    DataFrame (``id`` or ``ticket_id``, ``lon``, ``lat``) or a list of ``Ticket``."""
    import pandas as pd

    if hasattr(tickets, "to_pandas"):
        df = tickets.to_pandas()
    elif hasattr(tickets, "columns"):
        df = tickets
    else:
        df = pd.DataFrame.from_records([t.to_dict() for t in tickets])
    key = "id" if "id" in df.columns else "ticket_id"
    missing = [c for c in (key, "lon", "lat") if c not in df.columns]
    if missing:
        raise ValueError(f"to_geopandas: tickets has no column {missing[0]!r} "
                         "(needs id or ticket_id, lon, lat)")
    return df[[key, "lon", "lat"]].drop_duplicates(key).set_index(key)


def _outlet_places(network: Any) -> Any:
    return network.outlets()[["id", "lon", "lat"]].set_index("id")


def to_geopandas(rows: Any, tickets: Any, network: Any,
                        geometry: str = "lines") -> Any:
    """Result rows with ``ticket_id`` / ``outlet_id`` (an ``AssignmentPlan``'s table,
    ``Dispatcher.dispatch_frame``, a list of outcomes or bookings) as a GeoDataFrame in
    EPSG:4326 with every column of the rows.

    ``geometry="lines"`` (default): a LineString from the ticket to its outlet (a Point
    at the ticket when unassigned); ``"tickets"``: a Point at the ticket;
    ``"outlets"``: a Point at the outlet (empty when unassigned). Places come from
    ``tickets`` (``Tickets`` or a frame with id, lon, lat) and ``network``'s outlets, by
    id; a ticket missing from ``tickets`` is an error naming it.
    """
    import geopandas as gpd
    import shapely

    if geometry not in _GEOMETRIES:
        raise ValueError(f"to_geopandas: geometry must be one of {', '.join(_GEOMETRIES)}, "
                         f"not {geometry!r}")
    df = _frame_of(rows).reset_index(drop=True)
    for c in ("ticket_id", "outlet_id"):
        if c not in df.columns:
            raise ValueError(f"to_geopandas: the rows have no column {c!r}")
    tp = _ticket_places(tickets)
    op = _outlet_places(network)
    tid = df["ticket_id"].astype(str)
    unknown = ~tid.isin(tp.index)
    if unknown.any():
        raise ValueError(f"to_geopandas: ticket {tid[unknown].iloc[0]!r} (row "
                         f"{int(np.flatnonzero(unknown.to_numpy())[0])}) is not in tickets")
    t_xy = tp.loc[tid, ["lon", "lat"]].to_numpy(dtype=float)
    oid = df["outlet_id"]
    assigned = oid.notna().to_numpy() & oid.astype(str).isin(op.index).to_numpy()
    o_xy = np.full((len(df), 2), np.nan)
    if assigned.any():
        o_xy[assigned] = op.loc[oid[assigned].astype(str), ["lon", "lat"]].to_numpy(dtype=float)
    if geometry == "tickets":
        geoms = shapely.points(t_xy)
    elif geometry == "outlets":
        geoms = np.array([None] * len(df), dtype=object)
        geoms[assigned] = shapely.points(o_xy[assigned])
    else:
        geoms = shapely.points(t_xy)
        if assigned.any():
            coords = np.stack([t_xy[assigned], o_xy[assigned]], axis=1)
            geoms[assigned] = shapely.linestrings(coords)
    return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries(geoms, crs=CRS), crs=CRS)


def circle(lon: float, lat: float, radius_km: float, n: int = CIRCLE_VERTICES) -> Any:
    """The polygon around the great-circle circle of ``radius_km`` about (lon, lat) on
    the engine's sphere: ``n`` vertices at ``radius / cos(pi / n)``, so the polygon
    contains the whole circle (it reaches at most 0.12% beyond it for n = 64)."""
    from pyproj import Geod
    from shapely.geometry import Polygon

    geod = Geod(a=EARTH_RADIUS_M, b=EARTH_RADIUS_M)
    az = np.linspace(0.0, 360.0, n, endpoint=False)
    r = 1000.0 * radius_km / np.cos(np.pi / n)
    x, y, _ = geod.fwd(np.full(n, lon), np.full(n, lat), az, np.full(n, r))
    return Polygon(list(zip(x, y)))


def _outlet_areas(network: Any) -> Dict[str, Any]:
    """Outlet id -> its service area as in the network's JSON (``{"radius": km}``,
    ``{"polygons": ...}`` or ``{"regions": [...]}``)."""
    data = json.loads(network.to_json())
    return {o["id"]: o.get("area") for o in data.get("outlets", [])}


def _multipolygon(polys: Sequence[Sequence[Sequence[Tuple[float, float]]]]) -> Any:
    from shapely.geometry import MultiPolygon, Polygon

    parts = [Polygon(p[0], p[1:]) for p in polys if p]
    return MultiPolygon(parts) if len(parts) != 1 else parts[0]


def coverage(network: Any, statuses: Sequence[str] = ("active", "probation")) -> Any:
    """Each outlet's service area as a polygon (GeoDataFrame, EPSG:4326): one row per
    outlet of ``statuses`` with ``outlet_id``, ``name``, ``status``, ``area_kind``,
    ``radius_km``, ``skills`` (";"-joined) and ``daily_cap``.

    The area is the rule dispatch applies, not an estimate: a ``radius`` outlet takes
    tickets within ``radius_km`` great-circle km, drawn as that circle on the engine's
    sphere (:func:`circle`; the polygon contains the circle); a ``polygon`` outlet its
    own polygons; a ``regions`` outlet the union of those regions' borders (empty
    geometry when the network has no region polygons). A ``regions`` outlet takes tickets
    by their region code, so a ticket whose point lies just outside its region's drawn
    border is still covered: only radius and polygon areas are places. The radius is the
    same for all of an outlet's skills, so one polygon per outlet covers each of them.
    """
    import geopandas as gpd
    from shapely.ops import unary_union

    from servnet import _maps

    outlets = network.outlets()
    skills = network.outlet_skills().groupby("outlet_id")["skill"].agg(lambda s: ";".join(sorted(s)))
    areas = _outlet_areas(network)
    borders: Optional[Dict[str, Any]] = None
    rows: List[Dict[str, Any]] = []
    for o in outlets.itertuples():
        if o.status not in statuses:
            continue
        area = areas.get(o.id)
        geom: Any = None
        if o.area_kind == "radius":
            geom = circle(o.lon, o.lat, float(o.radius_km))
        elif o.area_kind == "polygon" and isinstance(area, dict):
            mp = area.get("polygons")
            geom = _multipolygon([[[(float(x), float(y)) for x, y in _maps._xy(r)]
                                   for r in _maps._rings(p)] for p in _maps._polygons(mp)])
        elif o.area_kind == "regions":
            if borders is None:
                borders = {b["code"]: _multipolygon(b["polygons"])
                           for b in _maps.region_borders(network)}
            parts = [borders[c] for c in str(o.area_regions or "").split(";") if c in borders]
            geom = unary_union(parts) if parts else None
        rows.append({"outlet_id": o.id, "name": o.name, "status": o.status,
                     "area_kind": o.area_kind, "radius_km": o.radius_km,
                     "skills": skills.get(o.id, ""), "daily_cap": o.daily_cap,
                     "geometry": geom})
    cols = ["outlet_id", "name", "status", "area_kind", "radius_km", "skills", "daily_cap",
            "geometry"]
    import pandas as pd

    return gpd.GeoDataFrame(pd.DataFrame.from_records(rows, columns=cols), geometry="geometry",
                            crs=CRS)


def site_coverage(sites: Any) -> Any:
    """The service areas of a plan's open sites: the circle of ``service_radius_km``
    about each (the farthest demand the site takes in the plan, in great-circle km, plus
    2 km: the radius the planned network gives it), so every demand cell the site serves
    lies inside its polygon."""
    import geopandas as gpd

    open_ = sites[sites["service_radius_km"] > 0].reset_index(drop=True)
    cols = [c for c in ("site_id", "name", "region", "decision", "technicians", "capacity",
                        "cells_served", "service_radius_km") if c in open_.columns]
    geoms = [circle(r.lon, r.lat, float(r.service_radius_km)) for r in open_.itertuples()]
    return gpd.GeoDataFrame(open_[cols].copy(), geometry=gpd.GeoSeries(geoms, crs=CRS), crs=CRS)
