"""Planning: PlanningData, forecast, plan, simulate, scenarios; figures equal those the
CLI prints for ``servnet plan data/sample --year 2026 --model pmedian --p 400`` (run at
test time; defaults: time limit 20 s, 1 simulated day, sample 0.1, seed 1).
"""

import _thread
import pickle
import threading

import pandas as pd
import pytest

import servnet
from conftest import SAMPLE, cli_numbers, run_cli

PLANNING_FILES = ["products", "repair_rates", "installed_base", "sales_plan", "seasonality",
                  "retirement", "service_rates", "repair_history"]


@pytest.fixture(scope="module")
def planning(sample_net):
    return servnet.PlanningData.from_dir(SAMPLE, sample_net)


@pytest.fixture(scope="module")
def fc(planning, sample_net):
    return servnet.forecast(planning, sample_net, 2026)


@pytest.fixture(scope="module")
def cli_plan(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "plan.csv"
    text = run_cli("plan", str(SAMPLE), "--year", "2026", "--model", "pmedian", "--p", "400", "--out", str(out))
    return text, out.read_text()


@pytest.fixture(scope="module")
def pmedian(sample_net, fc):
    return servnet.plan(sample_net, fc, model="pmedian", p=400)


def test_planning_from_frames_equals_from_dir(sample_net, planning):
    frames = {n: pd.read_csv(SAMPLE / f"{n}.csv") for n in PLANNING_FILES}
    from_frames = servnet.PlanningData.from_frames(sample_net, **frames)
    assert repr(from_frames) == repr(planning)
    a = servnet.forecast(from_frames, sample_net, 2026).to_pandas()
    b = servnet.forecast(planning, sample_net, 2026).to_pandas()
    pd.testing.assert_frame_equal(a, b)


def test_planning_bad_frame_names_frame_row_column(sample_net):
    products = pd.read_csv(SAMPLE / "products.csv")
    products.loc[3, "curve"] = "banana"
    with pytest.raises(servnet.DataError) as e:
        servnet.PlanningData.from_frames(sample_net, products=products)
    assert "frame 'products' row 3" in str(e.value)
    assert "curve" in str(e.value)
    with pytest.raises(servnet.DataError):
        servnet.PlanningData.from_frames(sample_net, products=products.drop(columns=["model"]))


def test_forecast_equals_cli(fc, cli_plan):
    tickets, delivery, inspection, install, maintenance, repair, peak, month = cli_numbers(
        cli_plan[0],
        r"forecast 2026:\s+(\d+) tickets \(delivery (\d+), inspection (\d+), install (\d+), "
        r"maintenance (\d+), repair (\d+)\), peak day (\d+) \(month (\d+);",
    )
    s = fc.summary()
    assert round(s["tickets_2026"]) == tickets
    assert round(s["peak_day_2026"]) == peak
    assert s["peak_month_2026"] == month
    totals = fc.to_pandas("totals").iloc[0]
    assert [round(totals[k]) for k in ("delivery", "inspection", "install", "maintenance",
                                        "repair")] == [delivery, inspection, install,
                                                       maintenance, repair]
    df = fc.to_pandas()
    assert df.columns.tolist() == ["region", "skill", "year", "tickets", "peak_month", "peak_day"]
    assert fc.years == [2026]


def test_forecast_options_and_errors(planning, sample_net, fc):
    more = servnet.forecast(planning, sample_net, 2026, years=2, repair_rate_factor=1.1)
    assert more.years == [2026, 2027]
    assert more.summary()["tickets_2026"] > fc.summary()["tickets_2026"]
    with pytest.raises(servnet.DataError, match="bogus"):
        servnet.forecast(planning, sample_net, 2026, bogus=1)
    with pytest.raises(servnet.DataError, match="repair_rate_factor"):
        servnet.forecast(planning, sample_net, 2026, repair_rate_factor="x")
    with pytest.raises(servnet.DataError, match="repair_rate_factor"):
        servnet.forecast(planning, sample_net, 2026, repair_rate_factor=-1.0)


def test_plan_equals_cli(pmedian, cli_plan):
    text, sites_csv = cli_plan
    n_open, kept, new, closed, techs = cli_numbers(
        text, r"(\d+) outlets open \((\d+) kept, (\d+) new\), (\d+) closed, (\d+) technicians"
    )
    (cost,) = cli_numbers(text, r"annual cost:\s+([\d.]+) M")
    s = pmedian.summary()
    assert (s["model"], s["p"], s["year"]) == ("pmedian", 400, 2026)
    assert (s["open"], s["kept"], s["new"], s["closed"], s["technicians"]) == (
        n_open, kept, new, closed, techs)
    assert round(s["cost"] / 1e5) == round(cost * 10)
    assert pmedian.sites_csv() == sites_csv, "the site table equals the CLI's file byte for byte"
    assert s["covered_share"] == pytest.approx(1.0)
    sites = pmedian.to_pandas()
    assert len(sites) == len(pmedian.sites_csv().splitlines()) - 1
    assert (sites["decision"] != "close").sum() == 400
    regions = pmedian.to_pandas("regions")
    assert {"lon", "lat", "peak_day", "radius_km"} <= set(regions.columns)
    assert "400 open" in repr(pmedian)
    assert "<table" in pmedian._repr_html_()


def test_plan_bad_inputs(sample_net, fc):
    with pytest.raises(servnet.DataError, match="p"):
        servnet.plan(sample_net, fc, model="pmedian")
    with pytest.raises(servnet.DataError, match="model"):
        servnet.plan(sample_net, fc, model="nearest")
    with pytest.raises(servnet.DataError, match="time_limit"):
        servnet.plan(sample_net, fc, time_limit=-1)
    with pytest.raises(servnet.DataError, match="costs.bogus"):
        servnet.plan(sample_net, fc, costs={"bogus": 1})
    with pytest.raises(servnet.DataError, match="year"):
        servnet.plan(sample_net, fc, year=1999)
    with pytest.raises(TypeError):
        servnet.plan(sample_net, fc.to_pandas())


def test_plan_options_and_progress(sample_net, fc):
    p = servnet.plan(sample_net, fc, model="cover", time_limit=5, progress=True,
                     new_sites=False)
    assert p.summary()["new"] == 0
    assert p.summary()["model"] == "cover"


def test_simulate_equals_cli(sample_net, pmedian, fc, cli_plan):
    text = cli_plan[0]
    n, days = cli_numbers(text, r"simulation:\s+(\d+) tickets over (\d+) day")
    (km,) = cli_numbers(text, r"mean distance ([\d.]+) km")
    (median,) = cli_numbers(text, r"median (\d+)%")
    s = servnet.simulate(sample_net, pmedian, fc, days=1, sample=0.1, seed=1)
    f = s.summary()
    assert (f["tickets"], f["days"], f["start"]) == (n, days, "2026-07-01")
    assert round(f["mean_distance_km"], 1) == km
    assert round(100 * f["utilisation_median"]) == median
    assert "value" in s.to_pandas().columns
    with pytest.raises(servnet.DataError, match="sample"):
        servnet.simulate(sample_net, pmedian, fc, sample=2.0)
    with pytest.raises(servnet.DataError, match="forecast"):
        servnet.simulate(sample_net, pmedian)


def test_simulate_replays_tickets(sample_net, pmedian):
    tickets = servnet.read_tickets(SAMPLE / "tickets.csv", sample_net)
    s = servnet.simulate(sample_net, pmedian, tickets=tickets, sample=1.0)
    assert s.summary()["tickets"] == len(tickets)


def test_scenarios_side_by_side(planning, sample_net):
    df, plans = servnet.compare_scenarios(
        planning, sample_net,
        [servnet.Scenario("base"), servnet.Scenario("growth", sales_factor=1.5),
         servnet.Scenario("wide C", tier_radius_factor=(1.0, 1.0, 2.0))],
        2026, model="cover", time_limit=5, sample=0.05, return_plans=True)
    assert df.index.tolist() == ["base", "growth", "wide C"]
    assert df.loc["growth", "tickets"] > df.loc["base", "tickets"]
    assert {"outlets_open", "cost", "sla_met_share", "utilisation_median"} <= set(df.columns)
    assert plans["base"].summary()["open"] == df.loc["base", "outlets_open"]
    with pytest.raises(servnet.DataError, match="factors must be finite"):
        servnet.compare_scenarios(planning, sample_net, [servnet.Scenario("x", sales_factor=-1)],
                                  2026, time_limit=5)


def test_pickle_round_trip(planning, fc, pmedian, sample_net):
    for obj in (planning, fc, pmedian):
        back = pickle.loads(pickle.dumps(obj))
        assert repr(back) == repr(obj)
    fc2 = pickle.loads(pickle.dumps(fc))
    pd.testing.assert_frame_equal(fc2.to_pandas(), fc.to_pandas())
    p2 = pickle.loads(pickle.dumps(pmedian))
    pd.testing.assert_frame_equal(p2.to_pandas(), pmedian.to_pandas())
    # The unpickled core objects work as inputs again.
    s1 = servnet.simulate(sample_net, p2, fc2, sample=0.05)
    s2 = servnet.simulate(sample_net, pmedian, fc, sample=0.05)
    assert s1.summary()["tickets"] == s2.summary()["tickets"]
    s3 = pickle.loads(pickle.dumps(s2))
    assert s3.summary() == s2.summary()


def test_plots_return_axes(fc, pmedian):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ax = fc.plot()
    assert ax.get_ylabel() == "tickets per year"
    ax2 = pmedian.plot()
    labels = [t.get_text() for t in ax2.get_legend().get_texts()]
    assert any(label.startswith("kept") for label in labels)
    assert any(label.startswith("new") for label in labels)
    assert any(label.startswith("closed") for label in labels)
    plt.close("all")


def test_interrupt_long_solve(sample_net, fc):
    """Ctrl-C (here: interrupt_main from a timer thread) during a long solve raises
    KeyboardInterrupt in the caller; the abandoned solve finishes in the background
    within its time limit (the core has no cancellation hook yet). CFLP on the sample
    takes ~15 s, so the interrupt always lands during the call."""
    timer = threading.Timer(0.2, _thread.interrupt_main)
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            servnet.plan(sample_net, fc, model="cflp", time_limit=30)
    finally:
        timer.cancel()
