"""servnet.Dispatcher, Policy, Ticket and the dispatch results."""

import datetime as dt
import pickle
import subprocess
import threading
import _thread
from pathlib import Path

import pandas as pd
import pytest

import servnet
from conftest import SAMPLE, VALID, cli_binary

ROOT = Path(__file__).resolve().parents[2]

T01 = {
    "id": "T01",
    "lon": 121.42,
    "lat": 31.22,
    "region": "R-A1",
    "skill": "repair:air_conditioner",
    "created_at": "2026-11-23T08:00:00",
    "due_by": "2026-11-24T08:00:00",
}


# -- Policy ------------------------------------------------------------------------------


def test_policy_defaults_and_keywords():
    """Keywords override defaults; missing weight keys keep their default."""
    p = servnet.Policy(weights={"load": 0.0}, detour_factor=1.5, horizon_days=3,
                       start_date="2026-11-23", fallback=["next_day:2", ("wider_radius", 2.0), "escalate"])
    assert p.weights["load"] == 0.0 and p.weights["distance"] == servnet.Policy().weights["distance"]
    assert (p.detour_factor, p.horizon_days, p.start_date) == (1.5, 3, dt.date(2026, 11, 23))
    assert p.fallback == ["next_day:2", "wider_radius:2", "escalate"]
    assert servnet.Policy.nearest().weights["satisfaction"] == 0.0
    assert servnet.Policy().speed_kmh > 0 and 0 <= servnet.Policy().emergency_reserve < 1
    assert servnet.Policy().prior_weight > 0 and servnet.Policy().centre_priority == 90
    assert "Policy(" in repr(p)


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"detour_factor": 0.5}, "detour_factor"),
        ({"weights": {"speed": 1.0}}, "weights"),
        ({"weights": {"load": -1.0}}, "weights.load"),
        ({"emergency_reserve": 1.0}, "emergency_reserve"),
        ({"fallback": ["teleport"]}, "fallback"),
        ({"start_date": "soon"}, "start_date"),
    ],
)
def test_bad_policy_is_a_data_error_naming_the_argument(kwargs, field):
    """Every bad policy value raises DataError (a ValueError) naming it."""
    with pytest.raises(servnet.DataError) as info:
        servnet.Policy(**kwargs)
    assert info.value.issues[0]["field"] == field


def test_policy_pickles_and_round_trips_json():
    """Policy pickles; to_json is the CLI's --policy-file format."""
    p = servnet.Policy(weights={"cost": 1.0}, fallback=["escalate"])
    assert pickle.loads(pickle.dumps(p)) == p
    assert servnet.Policy.from_json(p.to_json()) == p


# -- Ticket ------------------------------------------------------------------------------


def test_ticket_from_arguments_and_dict_agree():
    """Ticket(...) and Ticket.from_dict give the same ticket; due_by defaults to +48 h."""
    a = servnet.Ticket("T01", 121.42, 31.22, "R-A1", "repair:air_conditioner",
                       dt.datetime(2026, 11, 23, 8), "2026-11-24T08:00")
    assert a == servnet.Ticket.from_dict(T01)
    assert a.to_dict()["due_by"] == dt.datetime(2026, 11, 24, 8)
    b = servnet.Ticket("T2", 121.4, 31.2, "R-A1", "repair:tv", "2026-11-23T08:00")
    assert b.due_by - b.created_at == dt.timedelta(hours=48)
    assert (b.units, b.priority, b.customer_tier, b.avoid, b.preferred) == (1, "normal", "standard", [], None)
    assert pickle.loads(pickle.dumps(a)) == a and "T01" in repr(a)


@pytest.mark.parametrize(
    "change, field",
    [
        ({"lon": "east"}, "lon"),
        ({"created_at": "yesterday"}, "created_at"),
        ({"due_by": "2026-11-22T08:00"}, "due_by"),
        ({"priority": "urgent"}, "priority"),
        ({"id": None}, "id"),
    ],
)
def test_bad_ticket_dicts_name_the_field(change, field):
    """A bad dict value raises DataError naming the field."""
    d = {**T01, **change}
    if change.get("id", 1) is None:
        del d["id"]
    with pytest.raises(servnet.DataError) as info:
        servnet.Ticket.from_dict(d)
    assert info.value.issues[0]["field"] == field


# -- Dispatcher --------------------------------------------------------------------------


def test_dispatch_a_dict_or_a_ticket(valid_net):
    """dispatch takes a dict or a Ticket, returns an Assignment, and is idempotent."""
    d = servnet.Dispatcher(valid_net, servnet.Policy())
    a = d.dispatch(T01)
    assert isinstance(a, servnet.Assignment) and a.assigned
    assert (a.ticket_id, a.day, a.units, a.skill) == ("T01", 0, 1, "repair:air_conditioner")
    assert a.outlet_id in {"O1", "O2"} and a.sla_met and a.route == "direct" and a.hold is None
    b = a.breakdown
    assert abs(sum(v for k, v in b.items() if k.startswith("term_")) - a.score) < 1e-9
    assert (b["distance_km"], b["score"], b["satisfaction"]) == (a.distance_km, a.score, a.satisfaction)
    assert d.dispatch(servnet.Ticket.from_dict(T01)) == a  # same id: existing booking
    assert d.assignment("T01") == a and d.assignment("nope") is None
    assert pickle.loads(pickle.dumps(a)) == a
    assert a.to_dict()["outlet_id"] == a.outlet_id and "Assignment(" in repr(a)
    assert d.start_date == dt.date(2026, 11, 23)
    assert d.network == valid_net and d.policy == servnet.Policy()


def test_unassignable_says_why(valid_net):
    """A ticket far from every outlet, no fallback: Unassignable with a reason."""
    d = servnet.Dispatcher(valid_net, servnet.Policy(fallback=[]))
    u = d.dispatch({**T01, "lon": 100.0, "lat": 40.0})
    assert isinstance(u, servnet.Unassignable) and not u.assigned
    assert u.reason in {"outside_area", "too_far"} and sum(u.counts.values()) >= 1
    assert u.fallbacks_tried == [] and u.to_dict()["reason"] == u.reason
    assert pickle.loads(pickle.dumps(u)) == u and "Unassignable(" in repr(u)


def test_bad_tickets_raise(valid_net):
    """Unknown region: DataError; not a dict or Ticket: TypeError."""
    d = servnet.Dispatcher(valid_net)
    with pytest.raises(servnet.DataError, match="R-NOWHERE"):
        d.dispatch({**T01, "region": "R-NOWHERE"})
    with pytest.raises(TypeError):
        d.dispatch(("T01",))


def test_candidates_frame_has_the_score_breakdown(valid_net):
    """candidates: best first, at most k, terms summing to the score; books nothing."""
    d = servnet.Dispatcher(valid_net)
    c = d.candidates(T01, k=5)
    assert isinstance(c, pd.DataFrame) and 1 <= len(c) <= 5
    assert list(c["score"]) == sorted(c["score"])
    terms = c[[col for col in c.columns if col.startswith("term_")]].sum(axis=1)
    assert (terms - c["score"]).abs().max() < 1e-9
    for col in ("outlet_id", "day", "distance_km", "satisfaction", "load_ratio", "cost",
                "remaining_skill", "remaining_outlet"):
        assert col in c.columns
    assert len(d.candidates(T01, k=1)) == 1
    assert d.assignment("T01") is None
    booked = d.dispatch(T01)
    assert booked.outlet_id == c["outlet_id"].iloc[0]
    assert booked.route == c["route"].iloc[0]


def test_explain(valid_net):
    """explain says whether an outlet is best, loses, or which rule it fails."""
    d = servnet.Dispatcher(valid_net)
    best = d.candidates(T01, 1)["outlet_id"].iloc[0]
    e = d.explain(T01, best)
    assert e.failed is None and e.score_gap == 0 and "best" in str(e)
    assert e.best["outlet_id"] == best and e.breakdown["score"] == e.best["score"]
    far = d.explain(T01, "O6")
    assert far.failed is not None and far.breakdown is None and far.text
    assert "Explanation(" in repr(far)
    with pytest.raises(servnet.DataError):
        d.explain(T01, "O99")


def test_release_complete_and_loads(valid_net):
    """release returns capacity; complete with a rating; loads reflects bookings."""
    d = servnet.Dispatcher(valid_net)
    a = d.dispatch(T01)

    def used():
        loads = d.loads()
        mine = (loads["outlet_id"] == a.outlet_id) & (loads["skill"] == a.skill) & (loads["day"] == 0)
        return loads.loc[mine, "used"].sum()

    before = used()
    assert d.release("T01") == a and used() == before - 1
    with pytest.raises(servnet.DataError):
        d.release("T01")
    d.dispatch(T01)
    assert d.complete("T01", rating=5).outlet_id == a.outlet_id
    with pytest.raises(servnet.DataError):
        d.complete("T01", rating=9)
    loads = d.loads()
    assert {"outlet_id", "skill", "day", "date", "used", "capacity", "outlet_used",
            "outlet_cap"} <= set(loads.columns)
    # date is day 0 (the dispatcher's start date) plus day, as in GET /v1/loads.
    start = pd.Timestamp(d.start_date)
    assert (loads["date"] - start == pd.to_timedelta(loads["day"], unit="D")).all()


def test_hold_confirm_and_expire(valid_net):
    """A hold confirms before it expires; expired holds are released."""
    d = servnet.Dispatcher(valid_net)
    now = dt.datetime(2026, 11, 23, 8)
    h = d.hold(T01, dt.timedelta(minutes=15), now=now)
    assert h.hold is not None
    assert d.confirm(h.hold, now=now).hold is None
    h2 = d.hold({**T01, "id": "T02"}, dt.timedelta(minutes=15), now=now)
    assert d.expire_holds(now=now + dt.timedelta(hours=1)) == ["T02"]
    with pytest.raises(servnet.DataError):
        d.confirm(h2.hold, now=now)


def test_state_folder_keeps_bookings_across_restarts(valid_net, tmp_path):
    """With state=, a booking, a hold and a completion read back the same from a
    Dispatcher opened later on that folder; a retry returns the booking, nothing more."""
    state = tmp_path / "state"
    policy = servnet.Policy(start_date="2026-11-23")
    now = dt.datetime(2026, 11, 23, 8)
    d = servnet.Dispatcher(valid_net, policy, state=state)
    a = d.dispatch(T01)
    h = d.hold({**T01, "id": "T02"}, dt.timedelta(minutes=15), now=now)
    d.dispatch({**T01, "id": "T03"})
    d.complete("T03", rating=4)
    loads = d.loads()
    with pytest.raises(servnet.ServnetError, match="in use"):
        servnet.Dispatcher(valid_net, policy, state=str(state))
    del d
    d = servnet.Dispatcher(valid_net, policy, state=str(state))
    assert d.dispatch(T01) == a
    assert d.confirm(h.hold, now=now).outlet_id == h.outlet_id
    pd.testing.assert_frame_equal(d.loads(), loads)
    with pytest.raises(servnet.ServnetError, match="completed"):
        d.release("T03")


def test_dispatcher_does_not_pickle(valid_net):
    """Pickling a Dispatcher is a clear TypeError (it holds live bookings)."""
    with pytest.raises(TypeError, match="network"):
        pickle.dumps(servnet.Dispatcher(valid_net))


def test_dispatch_frame_tickets_and_summary(sample_net, sample_tickets):
    """dispatch_frame on a frame or on Tickets gives the same rows; the summary matches."""
    out = servnet.Dispatcher(sample_net).dispatch_frame(sample_tickets)
    assert list(out.columns) == ["ticket_id", "outlet_id", "day", "date", "score",
                                 "distance_km", "sla_met", "route", "reason"]
    assert out["ticket_id"].tolist() == sample_tickets["id"].tolist()
    tickets = servnet.read_tickets(SAMPLE / "tickets.csv", sample_net)
    d2 = servnet.Dispatcher(sample_net)
    out2 = d2.dispatch_frame(tickets)
    pd.testing.assert_frame_equal(out, out2)
    s = out.attrs["summary"]
    assert isinstance(s, servnet.DispatchSummary)
    assert s.tickets == len(out) and s.assigned == out["outlet_id"].notna().sum()
    assert s.sla_met == out["sla_met"].sum()
    assert "tickets:" in str(s) and "<table" in s._repr_html_()
    assert s.to_pandas().loc["tickets", "value"] == len(out)
    assert s.summary()["assigned"] == s.assigned
    assert pickle.loads(pickle.dumps(s)).to_dict() == s.to_dict()
    many = servnet.Dispatcher(sample_net).dispatch_many(tickets)
    assert [o.ticket_id for o in many] == out["ticket_id"].tolist()
    d3 = servnet.Dispatcher(sample_net)
    assert servnet.DispatchSummary(d3, d3.dispatch_many(tickets)).to_dict() == s.to_dict()


def test_dispatch_frame_equals_the_cli_on_the_sample(sample_net, sample_tickets, tmp_path):
    """Same network, tickets and policy: dispatch_frame's rows equal `servnet dispatch`'s."""
    exe = cli_binary()
    if exe is None:
        pytest.skip("servnet CLI not built (cargo build -p servnet-cli)")
    out_csv = tmp_path / "cli.csv"
    run = subprocess.run([str(exe), "dispatch", str(SAMPLE), "--out", str(out_csv)],
                         capture_output=True, text=True)
    if run.returncode != 0 and "unrecognized subcommand" in run.stderr:
        pytest.skip(f"{exe} has no dispatch subcommand (stale build)")
    assert run.returncode == 0, run.stderr
    cli = pd.read_csv(out_csv, dtype={"outlet_id": str, "date": str, "route": str, "reason": str})
    py = servnet.Dispatcher(sample_net, servnet.Policy()).dispatch_frame(sample_tickets)
    cli = cli.sort_values("ticket_id").reset_index(drop=True)
    py = py.sort_values("ticket_id").reset_index(drop=True)
    assert py["ticket_id"].tolist() == cli["ticket_id"].tolist()
    assert py["outlet_id"].fillna("").tolist() == cli["outlet_id"].fillna("").tolist()
    assert py["day"].fillna(-1).astype(int).tolist() == cli["day"].fillna(-1).astype(int).tolist()
    # The calendar date of the booking day, as the CLI writes it (ISO text; empty when
    # not booked): same text for every row, and a datetime64 column on the Python side.
    assert pd.api.types.is_datetime64_any_dtype(py["date"])
    assert py["date"].dt.strftime("%Y-%m-%d").fillna("").tolist() == cli["date"].fillna("").tolist()
    assert cli["date"].notna().sum() == py["outlet_id"].notna().sum() > 0
    assert py["sla_met"].tolist() == cli["sla_met"].tolist()
    assert py["route"].fillna("").tolist() == cli["route"].fillna("").tolist()
    assert py["reason"].fillna("").tolist() == cli["reason"].fillna("").tolist()
    assert (py["score"].fillna(0) - cli["score"].fillna(0)).abs().max() <= 5e-4
    assert (py["distance_km"].fillna(0) - cli["distance_km"].fillna(0)).abs().max() <= 5e-4


def test_dispatch_frame_of_a_compact_read_equals_the_default_read(sample_net):
    """The read the docs recommend for big files (repeated text as `category`, times
    parsed) and an Arrow read (pyarrow engine and dtypes) dispatch exactly as pandas'
    default read: same rows, and the result's text columns hold the same strings in the
    dtype pandas gives a list of strings (the frame crosses in chunks of 16,384 rows:
    the sample's 20,000 are two)."""
    pytest.importorskip("pyarrow")
    path = SAMPLE / "tickets.csv"
    plain = pd.read_csv(path, keep_default_na=False)
    repeated = {c: "category" for c in ["region", "skill", "priority", "customer_tier", "avoid", "preferred"]}
    compact = pd.read_csv(path, keep_default_na=False, dtype=repeated,
                          parse_dates=["created_at", "due_by"])
    arrow = pd.read_csv(path, engine="pyarrow", dtype_backend="pyarrow", dtype=repeated)
    assert pd.api.types.is_datetime64_dtype(compact["created_at"])
    assert str(arrow["created_at"].dtype).startswith("timestamp")
    assert str(compact["skill"].dtype) == str(arrow["skill"].dtype) == "category"
    a = servnet.Dispatcher(sample_net).dispatch_frame(plain)
    for df in (compact, arrow):
        pd.testing.assert_frame_equal(a, servnet.Dispatcher(sample_net).dispatch_frame(df))
    # The text columns are those of a frame built from the outcomes' strings.
    outcomes = servnet.Dispatcher(sample_net).dispatch_many(plain)
    want = pd.DataFrame({
        "outlet_id": [o.outlet_id if o.assigned else None for o in outcomes],
        "route": [o.route if o.assigned else None for o in outcomes],
        "reason": [None if o.assigned else o.reason for o in outcomes],
    })
    assert want["reason"].notna().any() and want["outlet_id"].notna().any()
    for c in want.columns:
        pd.testing.assert_series_equal(a[c], want[c])
    assert pd.api.types.is_integer_dtype(a["day"]) and a["day"].isna().sum() == a["outlet_id"].isna().sum()


def test_ctrl_c_stops_dispatch_frame_cleanly(sample_net, sample_tickets, ctrl_c):
    """A KeyboardInterrupt during a long dispatch_frame surfaces as KeyboardInterrupt."""
    big = pd.concat([sample_tickets] * 25, ignore_index=True)
    big["id"] = [f"X{i}" for i in range(len(big))]
    d = servnet.Dispatcher(sample_net)
    timer = threading.Timer(0.3, _thread.interrupt_main)
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            d.dispatch_frame(big)
    finally:
        timer.cancel()
    # The dispatcher stays usable afterwards.
    assert d.dispatch({**sample_tickets.iloc[0].to_dict(), "id": "after"}).ticket_id == "after"


def test_threads_dispatch_concurrently_without_overbooking(valid_net):
    """Threads share one Dispatcher (the GIL is released); capacity is never exceeded."""
    d = servnet.Dispatcher(valid_net, servnet.Policy(fallback=[]))

    def work(k):
        for i in range(200):
            d.dispatch({**T01, "id": f"T{k}-{i}"})

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    loads = d.loads()
    assert (loads["used"] <= loads["capacity"]).all()
    assert (loads["outlet_used"] <= loads["outlet_cap"]).all()
