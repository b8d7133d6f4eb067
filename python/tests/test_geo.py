"""Geo in, geo out: GeoDataFrames where areas and regions go (any CRS, reprojected to
EPSG:4326; none refused), and plans as GeoDataFrames whose links name sites by id."""

import numpy as np
import pandas as pd
import pytest

import servnet
from conftest import SAMPLE, VALID, frames

gpd = pytest.importorskip("geopandas", reason="the geo extra (pinned in requirements-dev.txt)")


def geo_frames(crs="EPSG:4326"):
    f = frames(VALID)
    f["outlet_areas"] = gpd.read_file(VALID / "outlet_areas.geojson").to_crs(crs)
    f["region_polygons"] = gpd.read_file(VALID / "regions.geojson").to_crs(crs)
    return f


def test_geodataframes_equal_the_geojson_files(valid_tickets):
    net = servnet.Network.from_frames(**geo_frames())
    assert net == servnet.Network.from_dir(VALID)
    # In metres (Web Mercator) they are reprojected back: the same tickets go to the same
    # outlets as with the folder's lon/lat files.
    merc = servnet.Network.from_frames(**geo_frames("EPSG:3857"))
    want = servnet.Dispatcher(servnet.Network.from_dir(VALID)).dispatch_frame(valid_tickets)
    got = servnet.Dispatcher(merc).dispatch_frame(valid_tickets)
    pd.testing.assert_frame_equal(got, want)
    assert merc.outlets().equals(net.outlets())


def test_a_geoseries_indexed_by_id_is_accepted():
    f = frames(VALID)
    areas = gpd.read_file(VALID / "outlet_areas.geojson").set_index("outlet_id").geometry
    f["outlet_areas"] = areas
    assert servnet.Network.from_frames(**f) == servnet.Network.from_dir(VALID)


def test_no_crs_or_no_id_column_is_refused():
    f = geo_frames()
    f["outlet_areas"] = f["outlet_areas"].set_crs(None, allow_override=True)
    with pytest.raises(servnet.DataError, match="outlet_areas.*no CRS"):
        servnet.Network.from_frames(**f)
    f = geo_frames()
    f["region_polygons"] = f["region_polygons"].rename(columns={"code": "name"})
    with pytest.raises(servnet.DataError, match="region_polygons.*no 'code' column"):
        servnet.Network.from_frames(**f)


@pytest.fixture(scope="module")
def plan(sample_net):
    planning = servnet.PlanningData.from_dir(SAMPLE, sample_net)
    fc = servnet.forecast(planning, sample_net, 2026)
    return servnet.plan(sample_net, fc, p=400, demand={"resolution": 6}, population=str(SAMPLE))


def test_plan_to_geopandas_links_sites_by_id(plan, tmp_path):
    sites = plan.to_geopandas("sites")
    assert sites.crs == "EPSG:4326" and len(sites) == len(plan.to_pandas())
    assert (sites.geometry.x == sites["lon"]).all() and (sites.geometry.y == sites["lat"]).all()
    pos = {r.site_id: (r.lon, r.lat) for r in sites.itertuples()}
    decision = dict(zip(sites["site_id"], sites["decision"]))
    moves = plan.to_geopandas("takes_over")
    assert len(moves) > 0
    for r in moves.itertuples():
        assert decision[r.from_site] == "close" and decision[r.to_site] != "close"
        assert list(r.geometry.coords) == [pos[r.from_site], pos[r.to_site]]
    lines = plan.to_geopandas("assignments")
    cells = plan.to_geopandas("cells")
    assert len(lines) == cells["site"].notna().sum() > 0
    for r in lines.itertuples():
        assert decision[r.site] != "close", "a cell is served by an open site, named by id"
        assert list(r.geometry.coords)[1] == pos[r.site]
    assert plan.to_geopandas("regions").geometry.notna().all()
    sites.to_file(tmp_path / "sites.geojson")
    back = gpd.read_file(tmp_path / "sites.geojson")
    assert back["site_id"].tolist() == sites["site_id"].tolist()
    with pytest.raises(ValueError, match="unknown table 'x'"):
        plan.to_geopandas("x")


def test_plan_coverage_holds_every_cell_a_site_serves_and_not_one_beyond(plan):
    import shapely
    from pyproj import Geod

    cov = plan.to_geopandas("coverage").set_index("site_id")
    sites = plan.to_pandas().set_index("site_id")
    assert cov.crs == "EPSG:4326"
    assert set(cov.index) == set(sites.index[sites["decision"] != "close"])
    cells = plan.to_pandas("cells")
    served = cells[cells["site"].notna()]
    assert len(served) > 100
    for c in served.itertuples():
        assert cov.geometry[c.site].contains(shapely.Point(c.lon, c.lat)), (c.cell, c.site)
    # Cells beyond a site's radius (great-circle, on the engine's sphere) lie outside.
    sphere = Geod(a=6371008.8, b=6371008.8)
    outside = 0
    for s in cov.index[:50]:
        lon, lat, r = sites.loc[s, ["lon", "lat", "service_radius_km"]]
        n = len(cells)
        _, _, m = sphere.inv(cells["lon"].to_numpy(), cells["lat"].to_numpy(),
                             np.full(n, lon), np.full(n, lat))
        far = cells[m > 1010.0 * r]
        outside += len(far)
        assert not any(cov.geometry[s].contains(shapely.Point(x, y))
                       for x, y in zip(far["lon"], far["lat"]))
    assert outside > 0
