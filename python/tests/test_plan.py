"""Planning: PlanningData, forecast, plan, frontier, replay, simulate, scenarios; figures
equal those the CLI prints for ``servnet plan data/sample --year 2026`` with the same
options (run at test time). Demand cells at H3 resolution 7 keep the tests quick.
"""

import _thread
import json
import pickle
import threading

import pandas as pd
import pytest

import servnet
from conftest import SAMPLE, cli_numbers, run_cli

PLANNING_FILES = ["products", "repair_rates", "installed_base", "sales_plan", "seasonality",
                  "retirement", "service_rates", "repair_history", "campaigns"]


@pytest.fixture(scope="module")
def planning(sample_net):
    return servnet.PlanningData.from_dir(SAMPLE, sample_net)


@pytest.fixture(scope="module")
def fc(planning, sample_net):
    return servnet.forecast(planning, sample_net, 2026)


@pytest.fixture(scope="module")
def cli_plan(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    text = run_cli("plan", str(SAMPLE), "--year", "2026", "--p", "500", "--resolution", "7",
                   "--out", str(d / "plan.csv"), "--json", str(d / "plan.json"),
                   "--network-out", str(d / "net"), "--sim-days", "1")
    # Both count the folder's campaigns.csv in the forecast (the default of each).
    return text, (d / "plan.csv").read_text(), d


@pytest.fixture(scope="module")
def pmedian(sample_net, fc):
    return servnet.plan(sample_net, fc, p=500, demand={"resolution": 7},
                        tickets=SAMPLE / "tickets.csv", population=SAMPLE, fee_schedule=SAMPLE)


@pytest.fixture(scope="module")
def auto(sample_net, fc):
    return servnet.plan(sample_net, fc, demand={"resolution": 7}, frontier={"steps": 4},
                        tickets=SAMPLE / "tickets.csv", population=SAMPLE / "population.csv")


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


def test_forecast_counts_the_folders_campaigns_as_servnet_plan_does(planning, sample_net, fc):
    """The default forecast counts data/sample/campaigns.csv (AC16-MAINT: maintenance of
    AC-2016S units in two regions in Nov-Dec 2026); campaigns=False leaves it out; a
    path or DataFrame gives the same as the folder's; the planning data pickles with it."""
    import pickle

    assert planning.campaigns == ["AC16-MAINT"]
    without = servnet.forecast(planning, sample_net, 2026, campaigns=False)
    a = fc.to_pandas().set_index(["region", "skill"])["tickets"]
    b = without.to_pandas().set_index(["region", "skill"])["tickets"]
    diff = a.sub(b, fill_value=0)
    changed = diff[diff.abs() > 1e-9]
    assert len(changed) >= 1 and (changed > 0).all()
    assert set(changed.index.get_level_values("region")) <= {"CN-1809858", "CN-1815286"}
    assert {s.split(":")[0] for s in changed.index.get_level_values("skill")} == {"maintenance"}
    assert "AC16-MAINT" in fc.to_pandas("sources").to_string()
    assert "AC16-MAINT" not in without.to_pandas("sources").to_string()
    for given in (SAMPLE / "campaigns.csv", str(SAMPLE / "campaigns.csv"),
                  pd.read_csv(SAMPLE / "campaigns.csv")):
        same = servnet.forecast(planning, sample_net, 2026, campaigns=given)
        pd.testing.assert_frame_equal(same.to_pandas(), fc.to_pandas())
    back = pickle.loads(pickle.dumps(planning))
    assert back.campaigns == ["AC16-MAINT"]
    pd.testing.assert_frame_equal(servnet.forecast(back, sample_net, 2026).to_pandas(),
                                  fc.to_pandas())
    with pytest.raises(TypeError, match="campaigns"):
        servnet.forecast(planning, sample_net, 2026, campaigns=3)


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
    """The Python plan is the CLI's: same totals, the site table byte for byte, the same
    JSON figures (demand points, replay and today's network)."""
    text, sites_csv, d = cli_plan
    n_open, kept, new, closed, techs = cli_numbers(
        text, r"(\d+) outlets open \((\d+) kept, (\d+) new\), (\d+) closed, (\d+) technicians"
    )
    (cost,) = cli_numbers(text, r"annual cost:\s+([\d.]+) M")
    s = pmedian.summary()
    assert (s["model"], s["p"], s["year"]) == ("pmedian", 500, 2026)
    assert (s["open"], s["kept"], s["new"], s["closed"], s["technicians"]) == (
        n_open, kept, new, closed, techs)
    assert round(s["cost"] / 1e5) == round(cost * 10)
    assert pmedian.sites_csv() == sites_csv, "the site table equals the CLI's file byte for byte"
    js = json.loads((d / "plan.json").read_text())
    assert js["demand_points"] == s["demand_points"] > 10_000
    for who in ("replay", "current"):
        for k in ("sla_met_share", "mean_km", "unassigned"):
            assert js[who][k] == pytest.approx(s[who][k])
    sites = pmedian.to_pandas()
    assert len(sites) == len(pmedian.sites_csv().splitlines()) - 1
    assert sites["decision"].isin(["keep", "grow", "shrink", "close", "open"]).all()
    assert (sites["decision"] != "close").sum() <= 500
    assert (sites.loc[sites["decision"] == "close", "technicians"] == 0).all()
    regions = pmedian.to_pandas("regions")
    assert {"lon", "lat", "peak_day", "radius_km", "served_share"} <= set(regions.columns)
    assert "<table" in pmedian._repr_html_()


def test_site_service_costs_add_up_to_the_replay_cost_by_kind_and_tier(pmedian):
    """The sites' replay cost columns sum, over sites, to the plan's cost by kind x tier
    (and today's columns to today's), every replayed booking counted once; the replay by
    package counts every ticket once per network."""
    sites = pmedian.to_pandas()
    cost = pmedian.to_pandas("service_cost")
    tickets = pd.read_csv(SAMPLE / "tickets.csv")
    for net, prefix in (("plan", "replay"), ("today", "today")):
        rows = cost[cost["network"] == net]
        assert sites[f"{prefix}_tickets"].sum() == rows["tickets"].sum() > 0.9 * len(tickets)
        assert sites[f"{prefix}_service_cost"].sum() == pytest.approx(rows["total"].sum(), rel=1e-9)
    assert (sites["replay_service_cost"] == sites["replay_fees"] + sites["replay_travel"]).all()
    assert (sites.loc[sites["decision"] == "close", "replay_tickets"] == 0).all()
    by_pkg = pmedian.to_pandas("package_replay")
    assert set(by_pkg["network"]) == {"today", "plan"}
    assert (by_pkg.groupby("network")["tickets"].sum() == len(tickets)).all()
    cover = pmedian.to_pandas("packages")
    a_vip = cover[cover["packages"].str.contains("A/vip/")]
    a_std = cover[cover["packages"].str.contains("A/standard/")]
    # The sample's tier-A VIP package promises 12 h against the region's 24 h: half the
    # radius of the standard package.
    assert a_vip["radius_km"].iloc[0] == pytest.approx(a_std["radius_km"].iloc[0] / 2)


def test_replay_equals_dispatch_of_the_written_network(pmedian, sample_net):
    """The plan's replay figures equal dispatching the tickets on the planned network
    (in memory, and as written to a data folder by the CLI)."""
    tickets = servnet.read_tickets(SAMPLE / "tickets.csv", sample_net)
    planned = pmedian.planned_network(sample_net)
    out = servnet.Dispatcher(planned).dispatch_frame(pd.read_csv(SAMPLE / "tickets.csv"))
    summ = out.attrs["summary"]
    rep = pmedian.summary()["replay"]
    assert rep["tickets"] == len(tickets)
    assert rep["assigned"] == summ.assigned
    assert rep["mean_km"] == pytest.approx(summ.mean_distance_km)
    cmp = pmedian.comparison()
    assert list(cmp.columns) == ["today", "today_resized", "plan"]
    assert cmp.loc["outlets open", "today_resized"] == cmp.loc["outlets open", "today"]
    assert cmp.loc["replay: mean km", "plan"] == pytest.approx(rep["mean_km"])


def test_frontier_recommends_a_count(auto, tmp_path):
    f = auto.frontier
    assert len(f) == 4 and {"n_outlets", "annual_cost", "served_share"} <= set(f.columns)
    rec = auto.summary()["recommended_outlets"]
    assert rec in f["n_outlets"].tolist()
    assert f.attrs["recommended_outlets"] == rec
    assert auto.summary()["recommendation"]
    row = f.set_index("n_outlets").loc[rec]
    assert bool(row["meets_targets"])
    assert (f["gap"] <= 0.05).all(), "bounds are real: every count within 5% of its bound"
    eff = f[f["efficient"]].sort_values("annual_cost")
    assert eff["served_share"].is_monotonic_increasing
    assert auto.frontier_csv().splitlines()[0].startswith("n_outlets,open,kept,new,closed")


def test_frontier_function_and_plot(sample_net, fc):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    f = servnet.frontier(sample_net, fc, tickets=SAMPLE / "tickets.csv", population=SAMPLE,
                         demand={"resolution": 6}, frontier={"counts": [300, 600]})
    assert f["n_outlets"].tolist() == [600, 300]
    ax = f.plot()
    assert ax.get_ylabel() == "annual cost, M"
    plt.close("all")


def test_population_from_frame_equals_file(sample_net, fc, pmedian):
    pop = pd.read_csv(SAMPLE / "population.csv")
    p = servnet.plan(sample_net, fc, p=500, demand={"resolution": 7},
                     tickets=pd.read_csv(SAMPLE / "tickets.csv"), population=pop,
                     fee_schedule=SAMPLE / "fee_schedule.csv")
    assert p.sites_csv() == pmedian.sites_csv()
    bad = pop.copy()
    bad.loc[2, "region"] = "nowhere"
    with pytest.raises(servnet.DataError, match="frame 'population' row 2"):
        servnet.plan(sample_net, fc, p=500, population=bad)


def test_plan_bad_inputs(sample_net, fc):
    with pytest.raises(servnet.DataError, match="p"):
        servnet.plan(sample_net, fc, model="pmedian")
    with pytest.raises(servnet.DataError, match="model"):
        servnet.plan(sample_net, fc, model="nearest")
    with pytest.raises(servnet.DataError, match="cflp"):
        servnet.plan(sample_net, fc, model="cflp")
    with pytest.raises(servnet.DataError, match="time_limit"):
        servnet.plan(sample_net, fc, time_limit=-1)
    with pytest.raises(servnet.DataError, match="costs.bogus"):
        servnet.plan(sample_net, fc, costs={"bogus": 1})
    with pytest.raises(servnet.DataError, match="year"):
        servnet.plan(sample_net, fc, year=1999)
    with pytest.raises(servnet.DataError, match="resolution"):
        servnet.plan(sample_net, fc, p=400, demand={"resolution": 20})
    with pytest.raises(servnet.DataError, match="max_closure_share"):
        servnet.plan(sample_net, fc, p=400, max_closure_share=1.5)
    with pytest.raises(servnet.DataError, match="max_closures"):
        servnet.plan(sample_net, fc, p=400, max_closures="ten")
    with pytest.raises(servnet.DataError, match="p"):
        servnet.plan(sample_net, fc, p=400, max_closures=10)  # 400 would close ~1,000
    with pytest.raises(TypeError):
        servnet.plan(sample_net, fc.to_pandas())


def test_plan_options_and_progress(sample_net, fc):
    p = servnet.plan(sample_net, fc, model="cover", progress=True, demand={"resolution": 6},
                     new_sites={"enabled": False})
    assert p.summary()["new"] == 0
    assert p.summary()["model"] == "cover"


def test_a_closure_limit_bounds_the_outlets_closed(sample_net, fc):
    """``max_closures`` is a hard limit: a plan with fewer outlets than today closes at
    most that many of today's open outlets (and opens none it cannot pay for)."""
    outlets = sample_net.outlets()
    today = int(outlets["status"].isin(["active", "probation"]).sum())
    p = servnet.plan(sample_net, fc, p=today - 40, max_closures=60, demand={"resolution": 6})
    sites = p.to_pandas()
    open_today = set(outlets.loc[outlets["status"].isin(["active", "probation"]), "id"])
    closed = sites[(sites["decision"] == "close") & sites["site_id"].isin(open_today)]
    assert len(closed) == p.summary()["closed"] <= 60


def test_simulate_equals_cli(sample_net, pmedian, fc, cli_plan):
    text = cli_plan[0]
    n, days = cli_numbers(text, r"simulation:\s+(\d+) tickets over (\d+) day")
    (km,) = cli_numbers(text, r"mean distance ([\d.]+) km")
    s = servnet.simulate(sample_net, pmedian, fc, days=1, sample=0.1, seed=1)
    f = s.summary()
    assert (f["tickets"], f["days"]) == (n, days)
    assert round(f["mean_distance_km"], 1) == km
    assert "value" in s.to_pandas().columns
    back = pickle.loads(pickle.dumps(s))
    assert back.summary() == f and repr(back) == repr(s)
    with pytest.raises(servnet.DataError, match="sample"):
        servnet.simulate(sample_net, pmedian, fc, sample=2.0)
    with pytest.raises(servnet.DataError, match="forecast"):
        servnet.simulate(sample_net, pmedian)


def test_scenarios_side_by_side(planning, sample_net):
    df, plans = servnet.compare_scenarios(
        planning, sample_net,
        [servnet.Scenario("base"), servnet.Scenario("growth", sales_factor=1.5)],
        2026, p=400, sample=0.05, return_plans=True, population=SAMPLE,
        plan_options={"demand": {"resolution": 6}})
    assert df.index.tolist() == ["base", "growth"]
    assert df.loc["growth", "tickets"] > df.loc["base", "tickets"]
    assert {"outlets_open", "cost", "served_share", "sla_met_share"} <= set(df.columns)
    assert plans["base"].summary()["open"] == df.loc["base", "outlets_open"]
    with pytest.raises(servnet.DataError, match="factors must be finite"):
        servnet.compare_scenarios(planning, sample_net, [servnet.Scenario("x", sales_factor=-1)],
                                  2026, p=400)


def test_pickle_round_trip(planning, fc, pmedian, sample_net):
    for obj in (planning, fc, pmedian):
        back = pickle.loads(pickle.dumps(obj))
        assert repr(back) == repr(obj)
    fc2 = pickle.loads(pickle.dumps(fc))
    pd.testing.assert_frame_equal(fc2.to_pandas(), fc.to_pandas())
    p2 = pickle.loads(pickle.dumps(pmedian))
    pd.testing.assert_frame_equal(p2.to_pandas(), pmedian.to_pandas())
    s1 = servnet.simulate(sample_net, p2, fc2, sample=0.05)
    s2 = servnet.simulate(sample_net, pmedian, fc, sample=0.05)
    assert s1.summary()["tickets"] == s2.summary()["tickets"]


def test_plots_return_axes(fc, pmedian):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ax = fc.plot()
    assert ax.get_ylabel() == "tickets per year"
    ax2 = pmedian.plot()
    labels = [t.get_text() for t in ax2.get_legend().get_texts()]
    assert any(label.startswith("close") for label in labels)
    assert any(label.startswith("new (") for label in labels)
    plt.close("all")


def test_interrupt_long_solve(sample_net, fc, ctrl_c):
    """Ctrl-C (here: interrupt_main from a timer thread) during a long solve raises
    KeyboardInterrupt in the caller; the abandoned solve finishes in the background
    (the core has no cancellation hook). A 16-count frontier on the sample takes tens of
    seconds, so the interrupt always lands during the call."""
    timer = threading.Timer(0.2, _thread.interrupt_main)
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            servnet.plan(sample_net, fc, demand={"resolution": 7}, frontier={"steps": 3},
                         tickets=SAMPLE / "tickets.csv")
    finally:
        timer.cancel()
