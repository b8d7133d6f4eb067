"""Maps of a plan (issue 22 item 3): the static map (``NetworkPlan.plot``) and the
interactive page (``NetworkPlan.explore``) opened in headless Chromium.

Every figure and the browser screenshot are saved to python/tests/artefacts/ (ignored
by git) so that a person can look at them. Expected values come from the sample's own
files (regions.geojson read here with json, the plan's tables), not from the map code.
"""

import json
import math
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import servnet
from conftest import SAMPLE

matplotlib = pytest.importorskip("matplotlib", reason="the plot extra (matplotlib) is required")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.collections import LineCollection, PathCollection, PolyCollection  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402

ARTEFACTS = Path(__file__).parent / "artefacts"
LABELS = {"keep": "kept", "grow": "grown", "shrink": "shrunk", "open": "new", "close": "closed"}


@pytest.fixture(scope="module")
def plan(sample_net):
    planning = servnet.PlanningData.from_dir(SAMPLE, sample_net)
    fc = servnet.forecast(planning, sample_net, 2026)
    return servnet.plan(sample_net, fc, p=500, demand={"resolution": 7},
                        tickets=SAMPLE / "tickets.csv", population=SAMPLE)


@pytest.fixture(scope="module")
def geojson_regions():
    with open(SAMPLE / "regions.geojson", encoding="utf-8") as f:
        fc = json.load(f)
    out = {}
    for feat in fc["features"]:
        g = feat["geometry"]
        polys = [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]
        out[feat["properties"]["code"]] = (feat["properties"]["name"], polys)
    return out


def artefact(name: str) -> Path:
    ARTEFACTS.mkdir(exist_ok=True)
    return ARTEFACTS / name


def legend_texts(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def scatter_by_label(ax):
    return {c.get_label(): c for c in ax.collections if isinstance(c, PathCollection)}


def test_plot_shows_borders_heat_sites_and_legend(plan, geojson_regions):
    sites = plan.to_pandas()
    # an outlet shut today (suspended) that the plan leaves shut is not one it closes
    shut = (sites["decision"] == "close") & ~sites["open_today"]
    counts = sites["decision"].where(~shut, "stays_shut").value_counts()
    ax = plan.plot()
    fig = ax.figure
    fig.savefig(artefact("plan_map.png"), dpi=110, bbox_inches="tight")

    # legend: one entry per decision with its count, the borders, the size key
    texts = legend_texts(ax)
    for decision, label in LABELS.items():
        assert f"{label} ({int(counts.get(decision, 0))})" in texts
    # the legend's closed count is the title's
    assert f"closed ({plan.figures['closed']})" in texts
    assert f"{plan.figures['closed']} closed" in ax.get_title()
    if shut.any():
        assert f"shut today, stays shut ({int(shut.sum())})" in texts
    assert f"region borders ({len(geojson_regions)})" in texts
    assert any(t.endswith("technicians") for t in texts)

    # region borders: every polygon of regions.geojson, outline for outline
    polys = [c for c in ax.collections if isinstance(c, PolyCollection) and c.get_label() != "_demand"
             and len(c.get_paths()) == sum(len(p) for _, p in geojson_regions.values())]
    assert len(polys) == 1
    drawn = sorted(tuple(np.round(p.vertices[0], 5)) for p in polys[0].get_paths())
    expected = sorted(tuple(np.round(poly[0][0], 5)) for _, ps in geojson_regions.values() for poly in ps)
    assert drawn == expected

    # demand heat layer: the hexagons hold all the plan's peak-day demand
    heat = [c for c in ax.collections if c.get_label() == "_demand"]
    assert len(heat) == 1
    cells = plan.to_pandas("cells")
    assert heat[0].get_array().sum() == pytest.approx(cells["peak_day"].clip(lower=0).sum(), rel=1e-9)
    assert fig.axes[-1].get_xlabel().startswith("demand")   # the colour bar

    # sites: each decision drawn once, all of them; closed ones faint, the rest opaque
    by_label = scatter_by_label(ax)
    for decision, label in LABELS.items():
        n = int(counts.get(decision, 0))
        assert len(by_label[f"{label} ({n})"].get_offsets()) == n
    closed = by_label[f"closed ({int(counts['close'])})"]
    kept = by_label[f"kept ({int(counts['keep'])})"]
    assert closed.get_alpha() <= 0.4 < 0.8 <= kept.get_alpha()
    # marker area grows with technicians: the largest kept site is drawn largest
    k = sites[sites["decision"] == "keep"].reset_index(drop=True)
    assert kept.get_sizes()[int(k["technicians"].idxmax())] == kept.get_sizes().max()

    # equal-area-ish aspect: 1 / cos(mid latitude)
    lat0, lat1 = ax.get_ylim()
    assert ax.get_aspect() == pytest.approx(1 / math.cos(math.radians((lat0 + lat1) / 2)))
    plt.close(fig)


def test_plot_zooms_to_a_region_and_draws_lines(plan, geojson_regions):
    name, polys = geojson_regions["CN-1796236"]
    assert name == "Shanghai"
    lons = [x for p in polys for x, _ in p[0]]
    lats = [y for p in polys for _, y in p[0]]
    mx, my = 0.05 * (max(lons) - min(lons)), 0.05 * (max(lats) - min(lats))
    ax = plan.plot(region="shanghai", assignments=True)
    ax.figure.savefig(artefact("plan_map_shanghai.png"), dpi=110, bbox_inches="tight")
    assert ax.get_xlim() == pytest.approx((min(lons) - mx, max(lons) + mx))
    assert ax.get_ylim() == pytest.approx((min(lats) - my, max(lats) + my))
    assert "Shanghai" in ax.get_title()
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    for coll in scatter_by_label(ax).values():
        off = coll.get_offsets()
        if len(off):
            assert ((off[:, 0] >= x0 - 0.05 * (x1 - x0)) & (off[:, 0] <= x1 + 0.05 * (x1 - x0))).all()

    # a line from each cell (in view) to its serving site; its far end is that site
    sites = plan.to_pandas().set_index("site_id")
    cells = plan.to_pandas("cells")
    lines = [c for c in ax.collections if isinstance(c, LineCollection)]
    def key(a, b):
        return (round(a[0], 7), round(a[1], 7), round(b[0], 7), round(b[1], 7))

    drawn = {key(*seg) for c in lines for seg in c.get_segments()}
    in_view = cells[cells["lon"].between(x0 - 0.1 * (x1 - x0), x1 + 0.1 * (x1 - x0))
                    & cells["lat"].between(y0 - 0.1 * (y1 - y0), y1 + 0.1 * (y1 - y0))
                    & cells["site"].notna()]
    assert len(in_view) > 0
    for c in in_view.itertuples():
        site = sites.loc[c.site]
        assert key((c.lon, c.lat), (site.lon, site.lat)) in drawn
    assert "cell to its site" in legend_texts(ax)
    plt.close(ax.figure)


def test_plot_bbox_and_errors(plan):
    box = (112.5, 22.0, 114.8, 23.8)
    ax = plan.plot(bbox=box, closed=False)
    ax.figure.savefig(artefact("plan_map_bbox.png"), dpi=110, bbox_inches="tight")
    assert ax.get_xlim() == pytest.approx((box[0], box[2]))
    assert ax.get_ylim() == pytest.approx((box[1], box[3]))
    assert not any(t.startswith("closed") for t in legend_texts(ax))
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="Atlantis"):
        plan.plot(region="Atlantis")
    with pytest.raises(ValueError, match="lon0 < lon1"):
        plan.plot(bbox=(114.0, 22.0, 113.0, 23.0))


def test_plot_survives_pickle(plan):
    import pickle

    p2 = pickle.loads(pickle.dumps(plan))
    assert len(p2.borders()) == len(plan.borders()) == 300
    ax = p2.plot(region="CN-1809858")
    assert "Guangzhou" in ax.get_title()
    plt.close(ax.figure)


# --------------------------------------------------------------------------- explore
def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.fail("no headless browser: the explore() page must be checked in Chromium; "
                "run scripts/setup.sh (apt-get install chromium libjs-leaflet)")


def screenshot(html_path: Path, png: Path) -> np.ndarray:
    png.unlink(missing_ok=True)
    cmd = [chromium(), "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
           "--no-first-run", "--disable-extensions", "--window-size=1200,900",
           "--virtual-time-budget=8000", f"--screenshot={png}", html_path.resolve().as_uri()]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert png.exists(), f"chromium wrote no screenshot: {run.returncode}\n{run.stderr[-2000:]}"
    return plt.imread(png)[:, :, :3]


def share_near(img: np.ndarray, colour: str, tol: float = 0.06) -> float:
    rgb = np.array(to_rgba(colour)[:3])
    return float((np.abs(img - rgb).max(axis=2) < tol).mean())


def test_explore_page_renders_layers_in_a_browser(plan):
    pytest.importorskip("folium", reason="the map extra (folium) is required")
    from servnet import _maps

    sites = plan.to_pandas()
    shut = (sites["decision"] == "close") & ~sites["open_today"]
    counts = sites["decision"].where(~shut, "stays_shut").value_counts()
    page = plan.explore(artefact("plan_map.html"), offline=True, region="Shanghai")
    text = page.read_text(encoding="utf-8")
    # layers and legend in the HTML; offline: Leaflet inlined, nothing fetched
    assert "region borders (300)" in text
    for decision, label in LABELS.items():
        assert f"{label} ({int(counts[decision])})" in text
    # the closed layer counts what the plan closes (its figures), not outlets shut today
    assert f"closed ({plan.figures['closed']})" in text
    assert "demand, peak day" in text and 'id="servnet-legend"' in text
    assert "L.control.layers" in text and "fitBounds" in text
    assert not re.search(r'<script[^>]*src="http', text)
    assert not re.search(r'<link[^>]*href="http', text)
    page_code = text[text.index("</script>"):]   # what follows the inlined Leaflet
    assert "tileLayer" not in page_code and "basemaps" not in page_code
    # every site is on the page (tooltips carry the ids)
    assert all(str(s) in text for s in sites["site_id"].head(50))

    img = screenshot(page, artefact("plan_map_screenshot.png"))
    # not blank: the land colour of the borders, demand, and the sites' colours are drawn
    assert share_near(img, _maps.LAND, 0.03) > 0.05
    assert share_near(img, _maps.DECISIONS["grow"][1], 0.08) > 1e-3
    assert share_near(img, _maps.DECISIONS["open"][1], 0.08) > 1e-5
    assert len(np.unique((img * 255).astype(np.uint8).reshape(-1, 3), axis=0)) > 200


def test_explore_offline_needs_leaflet(plan, tmp_path):
    pytest.importorskip("folium", reason="the map extra (folium) is required")
    with pytest.raises(FileNotFoundError, match="libjs-leaflet"):
        plan.explore(tmp_path / "m.html", offline=True, leaflet_dir=tmp_path)
    online = plan.explore(tmp_path / "online.html", tiles=None)
    assert "leaflet" in online.read_text(encoding="utf-8").lower()
