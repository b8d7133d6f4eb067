"""Joint backlog assignment; figures equal those ``servnet assign data/sample --method
heuristic`` prints (run at test time)."""

import json
import pickle

import pandas as pd
import pytest

import servnet
from conftest import SAMPLE, cli_numbers, run_cli


@pytest.fixture(scope="module")
def tickets(sample_net):
    return servnet.read_tickets(SAMPLE / "tickets.csv", sample_net)


@pytest.fixture(scope="module")
def compared(tickets, sample_net):
    return servnet.compare_with_sequential(tickets, sample_net, method="heuristic")


def test_compare_with_sequential_equals_cli(compared, tmp_path):
    text = run_cli("assign", str(SAMPLE), "--method", "heuristic", "--out", str(tmp_path / "plan.csv"))
    joint, seq = cli_numbers(text, r"assigned:\s+(\d+) joint, (\d+) sequential")
    (components,) = cli_numbers(text, r"(\d+) components")
    (objective,) = cli_numbers(text, r"objective:\s+([\d.]+)")
    (bound,) = cli_numbers(text, r"lower bound:\s+([\d.]+)")
    (seq_objective,) = cli_numbers(text, r"sequential:\s+objective ([\d.]+)")
    s = compared.summary()
    assert round(s["objective"], 3) == objective
    assert round(s["lower_bound"], 3) == bound
    assert (s["assigned"], s["sequential_assigned"]) == (joint, seq)
    assert round(s["sequential_objective"], 3) == seq_objective
    assert (s["method"], s["components"]) == ("heuristic", components)
    assert s["objective"] <= s["sequential_objective"], "joint never worse than sequential"


def test_assign_table_one_row_per_ticket(compared, tickets):
    df = compared.to_pandas()
    assert len(df) == len(tickets)
    assert df["ticket_id"].is_unique
    assert df.columns.tolist()[:5] == ["ticket_id", "outlet_id", "day", "date", "units"]
    assert df["reason"].isna().sum() == compared.summary()["assigned"]
    assert "AssignmentPlan(tickets=20000" in repr(compared)
    assert "<table" in compared._repr_html_()


def test_assign_with_dispatcher_and_frame(sample_net, sample_tickets):
    d = servnet.Dispatcher(sample_net, servnet.Policy(fallback=[]))
    backlog = sample_tickets.head(2000)
    plan = servnet.assign(backlog, d, method="auto", time_limit=5, progress=True)
    s = plan.summary()
    assert s["tickets"] == 2000
    assert s["lower_bound"] <= s["objective"] + 1e-6


def test_progress_bar_ends_when_the_solve_ends(sample_net, sample_tickets, capsys):
    """The tqdm bar stops at the solve's own elapsed time (not the 10 s limit, as it did)
    and its last line shows the incumbent, bound and gap of the answer."""
    import re
    import time

    pytest.importorskip("tqdm", reason="progress=True needs the progress extra (tqdm)")
    d = servnet.Dispatcher(sample_net, servnet.Policy(fallback=[]))
    started = time.perf_counter()
    plan = servnet.assign(sample_tickets.head(300), d, method="heuristic", time_limit=10,
                          progress=True)
    wall = time.perf_counter() - started
    err = capsys.readouterr().err
    last = err.replace("\r", "\n").strip().splitlines()[-1]
    shown = re.search(r"assign \(heuristic\): ([0-9.]+) s of 10(?:\.0)? s limit", last)
    assert shown is not None, last
    assert float(shown[1]) <= wall + 0.05
    assert wall < 9.0   # the solve ended well before its limit, so the bar must have too
    s = plan.summary()
    assert f"incumbent {s['objective']:.6g}" in last
    assert f"bound {s['lower_bound']:.6g}" in last
    assert f"gap {100 * s['gap']:.2f}%" in last


def test_reassignment_with_current(sample_net, sample_tickets):
    backlog = sample_tickets.head(1000)
    day = servnet.Dispatcher(sample_net).dispatch_frame(backlog)
    fresh = servnet.Dispatcher(sample_net, servnet.Policy(fallback=[]))
    plan = servnet.assign(backlog, fresh, method="heuristic", current=day, move_cost=50.0)
    moved = plan.to_pandas()["moved_from"].notna().sum()
    assert moved <= plan.summary()["assigned"]
    free = servnet.assign(backlog, fresh, method="heuristic", current=day, move_cost=0.0)
    assert free.summary()["objective"] <= plan.summary()["objective"] + 1e-6


def test_plan_frame_equals_the_plan_json(sample_net, sample_tickets):
    """The table crosses column by column (``frame()``); it holds what the plan's JSON
    (``view()``) says, row for row: moves, unassigned reasons, NaN / NA where empty."""
    import json

    backlog = sample_tickets.head(3000)
    day = servnet.Dispatcher(sample_net).dispatch_frame(backlog)
    fresh = servnet.Dispatcher(sample_net, servnet.Policy(fallback=[]))
    plan = servnet.assign(backlog, fresh, method="heuristic", current=day, move_cost=5.0)
    df = plan.to_pandas()
    view = json.loads(plan._core.view())
    assert view["unassigned"] and any(a["moved_from"] for a in view["assignments"])
    rows = [dict(a, reason=None) for a in view["assignments"]]
    rows += [{"ticket_id": t, "reason": r} for t, r in view["unassigned"]]
    want = pd.DataFrame.from_records(rows, columns=df.columns.tolist())
    for c in ("day", "units", "late_days"):
        want[c] = pd.array(want[c], dtype="Int64")
    want["date"] = pd.to_datetime(want["date"], format="%Y-%m-%d")
    pd.testing.assert_frame_equal(df, want)
    s = plan.summary()
    assert (s["assigned"], s["unassigned"]) == (len(view["assignments"]), len(view["unassigned"]))


def test_plan_frame_dtypes_do_not_depend_on_what_the_plan_holds(sample_net, sample_tickets):
    """A plan with no moves and one with moves give the same column dtypes (text, nullable
    integers, floats, dates), so frames of several runs concatenate and compare."""
    backlog = sample_tickets.head(1500)
    day = servnet.Dispatcher(sample_net).dispatch_frame(backlog)
    fresh = servnet.Dispatcher(sample_net, servnet.Policy(fallback=[]))
    plain = servnet.assign(backlog, fresh, method="heuristic").to_pandas()
    moved = servnet.assign(backlog, fresh, method="heuristic", current=day,
                           move_cost=5.0).to_pandas()
    assert plain["moved_from"].isna().all() and moved["moved_from"].notna().any()
    assert plain.dtypes.to_dict() == moved.dtypes.to_dict()
    for c in ("ticket_id", "outlet_id", "moved_from", "reason"):
        assert pd.api.types.is_string_dtype(plain[c]), c
    assert str(plain["day"].dtype) == "Int64" and plain["move_gain"].dtype == "float64"
    assert pd.api.types.is_datetime64_any_dtype(plain["date"])


def test_assign_bad_inputs(sample_net, sample_tickets, tickets):
    d = servnet.Dispatcher(sample_net)
    with pytest.raises(servnet.DataError, match="method"):
        servnet.assign(tickets, d, method="simplex")
    with pytest.raises(servnet.DataError, match="time_limit"):
        servnet.assign(tickets, d, time_limit=-1)
    with pytest.raises(servnet.DataError, match="unassigned_penalty"):
        servnet.assign(tickets, d, unassigned_penalty=[1, 2])
    with pytest.raises(servnet.DataError, match="move_cost"):
        servnet.assign(tickets, d, move_cost=float("nan"))
    with pytest.raises(servnet.DataError, match="current"):
        servnet.assign(tickets, d, current=pd.DataFrame({"x": [1]}))
    bad = sample_tickets.head(5).drop(columns=["skill"])
    with pytest.raises(servnet.DataError, match="skill"):
        servnet.assign(bad, d)


def test_penalties_by_priority_name_keep_the_defaults_of_the_others(sample_net, sample_tickets):
    """A dict by priority is the 4-number form with the priorities it leaves out at
    their defaults (10000/3000/1000/500); an unknown priority is named."""
    backlog = sample_tickets.head(400)

    def plan(penalty):
        d = servnet.Dispatcher(sample_net, servnet.Policy(fallback=[]))
        return servnet.assign(backlog, d, method="heuristic", unassigned_penalty=penalty)

    by_name = plan({"low": 1.0})
    listed = plan([10_000, 3_000, 1_000, 1.0])
    assert by_name.summary()["objective"] == listed.summary()["objective"]
    pd.testing.assert_frame_equal(by_name.to_pandas(), listed.to_pandas())
    assert plan(5.0).summary()["objective"] == plan([5.0] * 4).summary()["objective"]
    with pytest.raises(servnet.DataError, match="unassigned_penalty.urgent"):
        plan({"urgent": 1.0})


def test_assign_pickle_round_trip(compared):
    back = pickle.loads(pickle.dumps(compared))
    assert back.summary() == compared.summary()
    pd.testing.assert_frame_equal(back.to_pandas(), compared.to_pandas())
    assert back.sequential == compared.sequential


def test_assign_region_quota(sample_net, sample_tickets):
    backlog = sample_tickets.head(1000)
    d = servnet.Dispatcher(sample_net, servnet.Policy(fallback=[]))
    free = servnet.assign(backlog, d, method="heuristic").to_pandas()
    region = backlog["region"].value_counts().index[0]
    ids = set(backlog.loc[backlog["region"] == region, "id"])
    quota = [{"id": "closed", "regions": [region], "max_units": 0}]
    plan = servnet.assign(backlog, d, method="auto", quotas=quota).to_pandas()
    mine = plan[plan["ticket_id"].isin(ids)]
    assert mine["outlet_id"].isna().all(), "a closed quota lets nothing through"
    was_planned = set(free.loc[free["outlet_id"].notna(), "ticket_id"]) & ids
    assert was_planned, "the region has planned tickets without the quota"
    reasons = mine.set_index("ticket_id").loc[sorted(was_planned), "reason"]
    assert (reasons == "quota:closed").all()
    # A quota of a few units a day is never exceeded.
    two = [{"id": "two", "regions": [region], "outlets": [], "max_units": 2}]
    plan = servnet.assign(backlog, d, method="auto", quotas=two).to_pandas()
    per_day = plan[plan["ticket_id"].isin(ids)].groupby("day")["units"].sum()
    assert (per_day <= 2).all()


def test_assign_bad_quota_and_tolerance(sample_net, tickets):
    d = servnet.Dispatcher(sample_net)
    with pytest.raises(servnet.DataError, match=r"quotas\[0\]\.regions"):
        servnet.assign(tickets, d, quotas=[{"id": "q", "regions": ["nowhere"], "max_units": 1}])
    with pytest.raises(servnet.DataError, match="gap_tolerance"):
        servnet.assign(tickets, d, gap_tolerance=2.0)


def test_progress_reports_live_incumbent_and_bound(sample_net, sample_tickets):
    """While a MIP runs, the progress callback gets the incumbent and bound found so far
    (what the tqdm bar shows live): incumbents never rise, bounds never fall, the bound
    stays below the answer and the last incumbent is the answer's objective."""
    ticks = []

    def record(elapsed, incumbent=None, bound=None, stage=""):
        ticks.append((elapsed, incumbent, bound, stage))

    d = servnet.Dispatcher(sample_net, servnet.Policy(fallback=[]))
    core = servnet._servnet._assign(sample_tickets, d, "mip", 60.0, "{}", progress=record)
    s = json.loads(core.view())
    live = [t for t in ticks if t[1] is not None]
    assert ticks, "the solve ended before the first 100 ms tick: use a larger backlog"
    assert live, f"no live incumbent in {len(ticks)} ticks"
    incs = [t[1] for t in live]
    assert all(b <= a + 1e-9 for a, b in zip(incs, incs[1:])), incs
    bounds = [t[2] for t in live if t[2] is not None]
    assert all(b >= a - 1e-9 for a, b in zip(bounds, bounds[1:])), bounds
    assert all(b <= s["objective"] + 1e-6 for b in bounds)
    assert incs[-1] >= s["objective"] - 1e-6
