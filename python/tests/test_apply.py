"""Dispatcher.apply: a review's actions (and plain change dicts) take effect on a live
dispatcher without a restart; bookings stay."""

import math

import pandas as pd
import pytest

import servnet
from conftest import SAMPLE

AS_OF = "2026-12-01"


@pytest.fixture(scope="module")
def actions() -> pd.DataFrame:
    return servnet.review(SAMPLE, AS_OF)


def _near(tickets: pd.DataFrame, net: servnet.Network, outlet_id: str, n: int = 80) -> list:
    """Sample tickets nearest `outlet_id` with a skill it offers, nearest first, as dicts."""
    o = net.outlets().set_index("id").loc[outlet_id]
    skills = set(net.outlet_skills().query("outlet_id == @outlet_id")["skill"])
    t = tickets[tickets["skill"].isin(skills)].copy()
    t["km"] = ((t["lon"] - o["lon"]) * math.cos(math.radians(o["lat"]))) ** 2 + (t["lat"] - o["lat"]) ** 2
    rows = t.nsmallest(n, "km").drop(columns="km")
    return [{k: v for k, v in r.items() if not (isinstance(v, float) and math.isnan(v))}
            for r in rows.to_dict("records")]


def _taken_by(d: servnet.Dispatcher, tickets: list, outlet_id: str) -> list:
    return [t for t in tickets if (c := d.candidates(t, k=1)).shape[0]
            and c["outlet_id"].iloc[0] == outlet_id]


def test_a_suspended_outlet_takes_no_new_ticket_and_keeps_its_bookings(
        actions, sample_net, sample_tickets):
    flagged = actions[actions["action"].isin(["suspend", "remove"])]["outlet_id"]
    d = servnet.Dispatcher(sample_net)
    # The first flagged outlet that is some nearby ticket's best choice.
    for victim in flagged:
        mine = _taken_by(d, _near(sample_tickets, sample_net, victim), victim)
        if len(mine) >= 2:
            break
    else:
        pytest.fail("no flagged outlet is the best choice of two sample tickets")
    booked, later = mine[0], mine[1]
    assert d.dispatch(booked).outlet_id == victim
    used_before = d.loads().query("outlet_id == @victim")["used"].sum()

    applied = d.apply(actions)
    # One change per outlet whose action changes its status; warn and keep change nothing.
    moving = actions[actions["action"].isin(["confirm", "suspend", "remove"])]
    assert len(applied) == len(moving)
    assert any(victim in a for a in applied)
    status = d.network.outlets().set_index("id").loc[victim, "status"]
    assert status in ("suspended", "closed")

    # A ticket it would have taken goes elsewhere; explain says why not the victim.
    out = d.dispatch(later)
    assert out.assigned and out.outlet_id != victim
    assert victim not in set(d.candidates(later, k=50)["outlet_id"])
    assert d.explain(later, victim).failed is not None
    # Its booking stays, and so does its load, now shown with its status.
    assert d.assignment(booked["id"]).outlet_id == victim
    loads = d.loads().query("outlet_id == @victim")
    assert loads["used"].sum() == used_before
    assert set(loads["status"]) == {status}


def test_confirming_a_probation_outlet_lifts_its_probation_penalty(
        actions, sample_net, sample_tickets):
    confirmed = actions[actions["action"] == "confirm"]["outlet_id"]
    assert len(confirmed) >= 1
    d = servnet.Dispatcher(sample_net)
    for outlet in confirmed:
        for t in _near(sample_tickets, sample_net, outlet, n=30):
            c = d.candidates(t, k=50).set_index("outlet_id")
            if outlet in c.index and c.loc[outlet, "term_probation"] != 0:
                break
        else:
            continue
        break
    else:
        pytest.fail("no confirmed outlet is a candidate of a nearby sample ticket")
    before = d.candidates(t, k=50).set_index("outlet_id").loc[outlet]
    assert bool(before["probation"]) and before["status"] == "probation"
    explained = d.explain(t, outlet).breakdown
    assert explained["term_probation"] == before["term_probation"]

    d.apply(actions[actions["outlet_id"] == outlet])
    after = d.candidates(t, k=50).set_index("outlet_id").loc[outlet]
    assert not bool(after["probation"]) and after["status"] == "active"
    assert after["term_probation"] == 0
    assert d.explain(t, outlet).breakdown["term_probation"] == 0
    # The penalty was all that changed in its score.
    assert after["score"] == pytest.approx(before["score"] - before["term_probation"])


def test_change_dicts_apply_all_or_nothing(valid_net):
    d = servnet.Dispatcher(valid_net)
    ids = list(valid_net.outlets()["id"])
    good = {"change": "outlet_status", "outlet_id": ids[0], "status": "suspended"}
    bad = {"change": "outlet_cap", "outlet_id": "NOPE", "daily_cap": 3}
    with pytest.raises(servnet.DataError, match="change 2 of 2"):
        d.apply([good, bad])
    assert d.network.outlets().set_index("id").loc[ids[0], "status"] != "suspended"
    with pytest.raises(servnet.DataError):
        d.apply({"change": "demolish", "outlet_id": ids[0]})
    with pytest.raises(servnet.DataError, match="action"):
        d.apply(pd.DataFrame({"outlet_id": [ids[0]], "action": ["promote"]}))
    with pytest.raises(TypeError):
        d.apply(42)
    assert d.apply(good) == [f"outlet_status {ids[0]} suspended"]
    assert d.network.outlets().set_index("id").loc[ids[0], "status"] == "suspended"
    assert d.apply([]) == []


def test_an_actions_file_applies_like_the_frame(tmp_path, actions, sample_net):
    path = tmp_path / "actions.csv"
    actions[["outlet_id", "action", "reason"]].to_csv(path, index=False)
    a, b = servnet.Dispatcher(sample_net), servnet.Dispatcher(sample_net)
    assert a.apply(path) == b.apply(actions)
    assert a.network == b.network
