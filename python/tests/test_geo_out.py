"""Geo out: assignments and dispatch outcomes as ticket -> outlet lines, coverage areas
as polygons, and the CLI's --out by extension (Parquet, GeoParquet, GeoJSON) read back
with pyarrow / geopandas and compared with the CSV of the same run."""

import json
import pickle
import subprocess

import numpy as np
import pandas as pd
import pytest

import servnet
from conftest import SAMPLE, VALID, cli_binary

gpd = pytest.importorskip("geopandas", reason="the geo extra (pinned in requirements-dev.txt)")
shapely = pytest.importorskip("shapely")
from pyproj import Geod  # noqa: E402  (with geopandas)

SPHERE = Geod(a=6371008.8, b=6371008.8)


def places(frame, key):
    return {r[key]: (float(r["lon"]), float(r["lat"])) for _, r in frame.iterrows()}


def check_lines(g, tickets, net):
    """Each row's geometry: ticket -> outlet by id (a point at the ticket if unassigned)."""
    tp = places(tickets, "id")
    op = places(net.outlets(), "id")
    assert g.crs == "EPSG:4326"
    assigned = 0
    for r in g.itertuples():
        coords = list(r.geometry.coords)
        if isinstance(r.outlet_id, str):
            assert r.geometry.geom_type == "LineString"
            assert coords == [tp[r.ticket_id], op[r.outlet_id]], r.ticket_id
            assigned += 1
        else:
            assert r.geometry.geom_type == "Point" and coords == [tp[r.ticket_id]]
    return assigned


def test_assignment_plan_lines_end_at_the_ticket_and_its_outlet_by_id(valid_net, valid_tickets):
    for p in (servnet.compare_with_sequential(valid_tickets, valid_net, method="flow"),
              servnet.assign(valid_tickets, servnet.Dispatcher(valid_net), method="heuristic")):
        g = p.to_geopandas()
        table = p.to_pandas()
        assert len(g) == len(table) == len(valid_tickets)
        pd.testing.assert_frame_equal(pd.DataFrame(g.drop(columns="geometry")), table)
        assert {"ticket_id", "outlet_id", "distance_km", "score"} <= set(g.columns)
        assert check_lines(g, valid_tickets, valid_net) == p.summary()["assigned"] > 0
        ends = p.to_geopandas("outlets")
        op = places(valid_net.outlets(), "id")
        for r in ends[ends["outlet_id"].notna()].itertuples():
            assert (r.geometry.x, r.geometry.y) == op[r.outlet_id]
        starts = p.to_geopandas("tickets")
        assert list(starts.geometry.x) == [places(valid_tickets, "id")[t][0] for t in starts["ticket_id"]]
    with pytest.raises(ValueError, match="geometry must be one of"):
        p.to_geopandas("polygons")
    back = pickle.loads(pickle.dumps(p))
    with pytest.raises(ValueError, match="pass tickets= and network="):
        back.to_geopandas()
    assert len(back.to_geopandas(tickets=valid_tickets, network=valid_net)) == len(valid_tickets)


def test_dispatch_frame_and_bookings_as_lines(sample_net, sample_tickets):
    tickets = sample_tickets.head(3000)
    d = servnet.Dispatcher(sample_net)
    frame = d.dispatch_frame(tickets)
    g = servnet.to_geopandas(frame, tickets, sample_net)
    assert check_lines(g, tickets, sample_net) == frame["outlet_id"].notna().sum() > 2500
    # Bookings (a list of outcomes) give the same lines as the frame of the same run.
    outcomes = servnet.Dispatcher(sample_net).dispatch_many(servnet.Tickets.from_frame(tickets, sample_net))
    h = servnet.to_geopandas(outcomes, tickets, sample_net)
    assert h["ticket_id"].tolist() == g["ticket_id"].tolist()
    assert h.geometry.geom_equals_exact(g.geometry, tolerance=0).all()
    with pytest.raises(ValueError, match="ticket 'nope'"):
        servnet.to_geopandas(pd.DataFrame({"ticket_id": ["nope"], "outlet_id": [None]}), tickets,
                             sample_net)


def test_a_covered_point_lies_inside_its_outlets_area_and_an_uncovered_one_outside(valid_net,
                                                                                   valid_tickets):
    cov = servnet.coverage(valid_net).set_index("outlet_id")
    assert cov.crs == "EPSG:4326"
    outlets = valid_net.outlets().set_index("id")
    # Every active / probation outlet, each kind of area (radius, polygon, regions).
    assert set(cov.index) == set(outlets.index[outlets["status"].isin(["active", "probation"])])
    assert set(cov["area_kind"]) == {"radius", "polygon", "regions"}
    assert cov.geometry.notna().all()
    d = servnet.Dispatcher(valid_net)
    inside = outside = 0
    for t in servnet.Tickets.from_frame(valid_tickets, valid_net):
        pt = shapely.Point(t.lon, t.lat)
        for o in cov.index:
            failed = d.explain(t, o).failed
            if failed in ("no_skill", "status", "avoided"):
                continue  # decided before the area: says nothing about coverage
            covered = failed != "outside_area"
            assert cov.geometry[o].contains(pt) == covered, (t.id, o, failed)
            inside += covered
            outside += not covered
    assert inside > 0 and outside > 0
    # Just beyond a radius outlet's radius (1%) is outside; just within it is inside.
    for o in cov.index[cov["area_kind"] == "radius"]:
        lon, lat, r = outlets.loc[o, ["lon", "lat", "radius_km"]]
        for az in range(0, 360, 15):
            x, y, _ = SPHERE.fwd(lon, lat, az, 1010.0 * r)
            assert not cov.geometry[o].contains(shapely.Point(x, y))
            x, y, _ = SPHERE.fwd(lon, lat, az, 999.0 * r)
            assert cov.geometry[o].contains(shapely.Point(x, y))


def test_every_direct_booking_lies_inside_its_outlets_coverage(sample_net, sample_tickets):
    tickets = sample_tickets.head(3000)
    frame = servnet.Dispatcher(sample_net).dispatch_frame(tickets)
    cov = servnet.coverage(sample_net).set_index("outlet_id")
    direct = frame[frame["route"].isin(["direct", "next_day"])]
    kind = cov["area_kind"].loc[direct["outlet_id"]].to_numpy()
    # Radius and polygon areas are places: the ticket's point lies inside.
    by_place = direct[kind != "regions"]
    assert len(by_place) > 2000
    pts = gpd.points_from_xy(*tickets.set_index("id").loc[by_place["ticket_id"], ["lon", "lat"]].T.values)
    areas = cov.geometry.loc[by_place["outlet_id"]].values
    assert all(a.contains(p) for a, p in zip(areas, pts))
    # A regions area takes tickets by their region code: the code is one of the outlet's
    # regions (the drawn union of borders is where those regions are).
    outlets = sample_net.outlets().set_index("id")
    by_code = direct[kind == "regions"]
    assert len(by_code) > 0
    region = tickets.set_index("id").loc[by_code["ticket_id"], "region"].to_numpy()
    codes = outlets.loc[by_code["outlet_id"], "area_regions"].str.split(";").to_numpy()
    assert all(r in c for r, c in zip(region, codes))


# -- the CLI's --out by extension --------------------------------------------------------


def cli(*args):
    exe = cli_binary()
    if exe is None:
        pytest.skip("servnet CLI not built (cargo build -p servnet-cli)")
    return subprocess.run([str(exe), "--quiet", *args], capture_output=True, text=True)


def normalised(df):
    """Cells as plain Python values, missing as None (CSV, Parquet and GeoJSON readers
    type empty cells differently: NaN, None, pd.NA)."""
    out = pd.DataFrame(df).reset_index(drop=True).astype(object)
    return out.where(out.notna(), None)


def same_rows(got, csv_path):
    want = pd.read_csv(csv_path, keep_default_na=True, dtype=object)
    got = normalised(got)[list(want.columns)]
    assert len(got) == len(want) > 0
    for col in want.columns:
        for i, (a, b) in enumerate(zip(got[col], want[col])):
            if b is None or (isinstance(b, float) and np.isnan(b)):
                assert a is None, (col, i, a)
            elif hasattr(a, "isoformat"):  # a date column GDAL typed as a date
                assert a.isoformat()[:len(b)] == b, (col, i, a, b)
            elif isinstance(a, (bool, np.bool_)):
                assert str(a).lower() == b, (col, i, a, b)
            elif isinstance(a, (float, int, np.number)):
                assert float(a) == float(b), (col, i, a, b)
            else:
                assert a == b, (col, i, a, b)


@pytest.mark.parametrize("command", ["dispatch", "assign"])
def test_cli_out_parquet_geoparquet_geojson_equal_the_csv_row_by_row(command, tmp_path, valid_net,
                                                                     valid_tickets):
    extra = ["--method", "flow"] if command == "assign" else []
    for ext in ("csv", "parquet", "geoparquet", "geojson"):
        done = cli(command, str(VALID), "--out", str(tmp_path / f"out.{ext}"), *extra)
        assert done.returncode == 0, done.stderr
        assert f"out.{ext}" in done.stdout
    csv = tmp_path / "out.csv"
    plain = pd.read_parquet(tmp_path / "out.parquet")
    same_rows(plain.drop(columns="geometry"), csv)
    geo = gpd.read_parquet(tmp_path / "out.geoparquet")
    assert geo.crs.to_epsg() == 4326
    same_rows(geo.drop(columns="geometry"), csv)
    check_lines(geo, valid_tickets, valid_net)
    gj = gpd.read_file(tmp_path / "out.geojson")
    assert gj.crs.to_epsg() == 4326
    same_rows(gj.drop(columns="geometry"), csv)
    check_lines(gj, valid_tickets, valid_net)
    # The GeoParquet metadata (spec 1.1.0) and typed columns.
    import pyarrow.parquet as pq

    schema = pq.read_schema(tmp_path / "out.geoparquet")
    meta = json.loads(pq.read_metadata(tmp_path / "out.geoparquet").metadata[b"geo"])
    assert json.loads(schema.metadata[b"geo"]) == meta
    assert meta["version"] == "1.1.0" and meta["primary_column"] == "geometry"
    col = meta["columns"]["geometry"]
    assert col["encoding"] == "WKB" and col["crs"]["id"] == {"authority": "EPSG", "code": 4326}
    assert set(col["geometry_types"]) <= {"LineString", "Point"} and "LineString" in col["geometry_types"]
    assert str(schema.field("distance_km").type) == "double"
    assert str(schema.field("ticket_id").type) == "string"
    # The GeoJSON is RFC 7946: a FeatureCollection whose feature ids are the ticket ids.
    doc = json.loads((tmp_path / "out.geojson").read_text())
    assert doc["type"] == "FeatureCollection"
    assert [f["id"] for f in doc["features"]] == pd.read_csv(csv)["ticket_id"].tolist()


def test_cli_plan_sites_and_cells_with_points(tmp_path):
    args = ["plan", str(SAMPLE), "--year", "2026", "--p", "400", "--resolution", "6",
            "--sim-days", "0"]
    done = cli(*args, "--out", str(tmp_path / "sites.csv"), "--cells", str(tmp_path / "cells.csv"))
    assert done.returncode == 0, done.stderr
    done = cli(*args, "--out", str(tmp_path / "sites.geoparquet"),
               "--cells", str(tmp_path / "cells.geojson"))
    assert done.returncode == 0, done.stderr
    sites = gpd.read_parquet(tmp_path / "sites.geoparquet")
    same_rows(sites.drop(columns="geometry"), tmp_path / "sites.csv")
    assert (sites.geometry.x == sites["lon"]).all() and (sites.geometry.y == sites["lat"]).all()
    cells = gpd.read_file(tmp_path / "cells.geojson")
    same_rows(cells.drop(columns="geometry"), tmp_path / "cells.csv")
    assert np.allclose(cells.geometry.x, cells["lon"]) and np.allclose(cells.geometry.y, cells["lat"])
    assert set(cells["site"].dropna()) <= set(sites["site_id"])


def test_cli_unknown_extension_names_the_flag_and_the_supported_list(tmp_path):
    done = cli("dispatch", str(VALID), "--out", str(tmp_path / "out.xlsx"))
    assert done.returncode != 0
    for word in ("'out'", "'.xlsx'", ".csv", ".json", ".parquet", ".geoparquet", ".geojson"):
        assert word in done.stderr, (word, done.stderr)
    assert not (tmp_path / "out.xlsx").exists()
    # A table without locations cannot be GeoJSON: the frontier.
    done = cli("plan", str(VALID), "--year", "2026", "--out", str(tmp_path / "p.csv"),
               "--frontier", str(tmp_path / "f.geojson"))
    assert done.returncode != 0 and "no locations" in done.stderr, done.stderr
