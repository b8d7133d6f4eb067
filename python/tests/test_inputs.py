"""Python arguments are converted one way, bounded, and named when bad (issue 17).

Time policy (docs/formats.md): the network has a time zone (default Asia/Shanghai); a
naive datetime is that zone's wall clock, an aware one (any tzinfo, pandas Timestamps
too) is converted to it, so the same instant always gives the same result.
"""

import datetime as dt
import math
import pickle
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import servnet

SHANGHAI = ZoneInfo("Asia/Shanghai")
T01 = {"id": "T01", "lon": 121.42, "lat": 31.22, "region": "R-A1", "skill": "repair:air_conditioner"}


def ticket(created, due=None, **kw):
    return servnet.Ticket(**{**T01, **kw}, created_at=created, due_by=due)


def test_aware_times_are_not_cut_to_midnight(valid_net):
    """09:45+08:00 is 09:45 in Shanghai, not 00:00: a 15-minute hold made then expires
    16 minutes later and cannot be confirmed 13 hours later."""
    at = dt.datetime(2026, 11, 23, 9, 45, tzinfo=SHANGHAI)
    t = ticket(at)
    d = servnet.Dispatcher(valid_net)
    h = d.hold(t, dt.timedelta(minutes=15), now=at)
    assert h.assigned
    assert d.expire_holds(now=at + dt.timedelta(minutes=14)) == []
    assert d.expire_holds(now=at + dt.timedelta(minutes=16)) == ["T01"]
    h = d.hold(t, dt.timedelta(minutes=15), now=at)
    with pytest.raises(servnet.DataError, match="expired"):
        d.confirm(h.hold, now=at + dt.timedelta(hours=13))


@pytest.mark.parametrize(
    "created",
    [
        dt.datetime(2026, 11, 23, 9, 45),
        dt.datetime(2026, 11, 23, 9, 45, tzinfo=SHANGHAI),
        dt.datetime(2026, 11, 23, 1, 45, tzinfo=dt.timezone.utc),
        dt.datetime(2026, 11, 22, 20, 45, tzinfo=ZoneInfo("America/New_York")),
        pd.Timestamp("2026-11-23T09:45", tz="Asia/Shanghai"),
        pd.Timestamp("2026-11-23T01:45Z"),
        "2026-11-23T09:45:00+08:00",
        "2026-11-23T01:45:00Z",
        "2026-11-23T09:45",
    ],
)
def test_the_same_instant_gives_the_same_outcome_in_every_entry_point(valid_net, created):
    """Ticket, dict and DataFrame paths all put the instant on the network's clock."""
    want = servnet.Dispatcher(valid_net).dispatch(ticket("2026-11-23T09:45")).to_dict()
    got = servnet.Dispatcher(valid_net).dispatch(ticket(created)).to_dict()
    assert got == want
    got = servnet.Dispatcher(valid_net).dispatch({**T01, "created_at": created}).to_dict()
    assert got == want
    frame = pd.DataFrame([{**T01, "created_at": created, "due_by": "2026-11-25T09:45"}])
    out = servnet.Dispatcher(valid_net).dispatch_frame(frame)
    assert out["outlet_id"].iloc[0] == want["outlet_id"] and out["day"].iloc[0] == want["day"]


def test_a_tz_aware_frame_column_is_converted_to_the_network_zone(valid_net):
    """A datetime64[ns, UTC] column means instants: 01:45 UTC is 09:45 in Shanghai."""
    utc = pd.DataFrame([{**T01, "created_at": pd.Timestamp("2026-11-23T01:45Z")}])
    utc["due_by"] = utc["created_at"] + pd.Timedelta(hours=48)
    naive = pd.DataFrame([{**T01, "created_at": "2026-11-23T09:45", "due_by": "2026-11-25T09:45"}])
    a = servnet.Dispatcher(valid_net).dispatch_frame(utc)
    b = servnet.Dispatcher(valid_net).dispatch_frame(naive)
    pd.testing.assert_frame_equal(a.drop(columns=[], errors="ignore"), b)


def test_the_network_time_zone_is_set_and_kept(valid_frames):
    """from_frames(time_zone=...) sets the zone; pickling keeps it; a bad name is named."""
    net = servnet.Network.from_frames(**valid_frames, time_zone="Europe/Berlin")
    assert net.time_zone == "Europe/Berlin"
    assert pickle.loads(pickle.dumps(net)).time_zone == "Europe/Berlin"
    with pytest.raises(servnet.DataError, match="time_zone"):
        servnet.Network.from_frames(**valid_frames, time_zone="Mars/Olympus")


def test_networks_are_equal_when_records_and_clock_are(valid_frames):
    """== compares what pickles: the same records on another clock are another network."""
    shanghai = servnet.Network.from_frames(**valid_frames)
    berlin = servnet.Network.from_frames(**valid_frames, time_zone="Europe/Berlin")
    assert servnet.Network.from_frames(**valid_frames) == shanghai
    assert pickle.loads(pickle.dumps(berlin)) == berlin
    assert berlin != shanghai


def test_an_aware_ticket_keeps_its_instant_and_pickles():
    t = ticket(dt.datetime(2026, 11, 23, 9, 45, tzinfo=SHANGHAI))
    assert t.created_at == dt.datetime(2026, 11, 23, 1, 45, tzinfo=dt.timezone.utc)
    assert pickle.loads(pickle.dumps(t)) == t
    with pytest.raises(servnet.DataError, match="due_by"):
        ticket(dt.datetime(2026, 11, 23, 9, 45, tzinfo=SHANGHAI), dt.datetime(2026, 11, 24))


@pytest.mark.parametrize("units", [0, -1, 2**32, 10**30, 1.5, True, "2"])
def test_bad_units_are_a_data_error_naming_units(units):
    """Huge ints are no bare OverflowError; floats, bools and text are refused too."""
    with pytest.raises(servnet.DataError, match="units"):
        ticket("2026-11-23T09:45", units=units)


def test_huge_ints_elsewhere_name_their_argument(valid_net):
    d = servnet.Dispatcher(valid_net)
    with pytest.raises(servnet.DataError, match="'hold'"):
        d.confirm(10**30)
    with pytest.raises(servnet.DataError, match="'k'"):
        d.candidates(ticket("2026-11-23T09:45"), k=-1)
    with pytest.raises(servnet.DataError, match="horizon_days"):
        servnet.Policy(horizon_days=10**20)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    when=st.datetimes(
        min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1)
    ),
    offset_min=st.integers(min_value=-14 * 60, max_value=14 * 60),
)
def test_any_offset_names_the_same_instant(valid_net, when, offset_min):
    """For any instant and any UTC offset, the aware ticket equals the naive one on the
    network's clock (Shanghai has no DST: the clock is UTC+8)."""
    zone = dt.timezone(dt.timedelta(minutes=offset_min))
    aware = when.replace(tzinfo=dt.timezone.utc).astimezone(zone)
    local = when + dt.timedelta(hours=8)
    a = servnet.Dispatcher(valid_net).candidates(ticket(aware), k=3)
    b = servnet.Dispatcher(valid_net).candidates(ticket(local), k=3)
    pd.testing.assert_frame_equal(a, b)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lon=st.floats(allow_nan=True, allow_infinity=True),
    lat=st.floats(allow_nan=True, allow_infinity=True),
    units=st.one_of(st.integers(), st.floats(), st.booleans(), st.none(), st.text(max_size=3)),
    created=st.one_of(
        st.datetimes(timezones=st.none() | st.just(dt.timezone.utc) | st.just(SHANGHAI)),
        st.dates(),
        st.text(max_size=30),
        st.integers(),
        st.none(),
    ),
    ident=st.text(max_size=8),
)
def test_argument_conversion_never_crashes(valid_net, lon, lat, units, created, ident):
    """Any values give a Ticket or a ValueError (DataError) / TypeError, and a ticket
    that builds dispatches to an outcome or a DataError: never another exception."""
    try:
        t = servnet.Ticket(ident, lon, lat, "R-A1", "repair:tv", created, units=units)
    except (ValueError, TypeError):
        return
    assert math.isfinite(t.lon) and -180 <= t.lon <= 180
    assert t.units >= 1
    try:
        servnet.Dispatcher(valid_net).dispatch(t)
    except servnet.DataError:
        pass


def test_the_same_id_with_other_content_is_a_conflict(valid_net):
    """A retry returns the booking; another ticket under the same id is refused."""
    d = servnet.Dispatcher(valid_net)
    a = d.dispatch(ticket("2026-11-23T09:45"))
    assert d.dispatch(ticket("2026-11-23T09:45")).to_dict() == a.to_dict()
    with pytest.raises(servnet.ServnetError, match="conflict for ticket 'T01'"):
        d.dispatch(ticket("2026-11-23T09:45", skill="install:air_conditioner"))
    with pytest.raises(servnet.DataError, match="ttl"):
        d.hold(ticket("2026-11-23T09:45", id="T02"), dt.timedelta(0), now="2026-11-23T09:45")


def test_negative_costs_and_time_limits_are_refused_before_planning(valid_net):
    """A negative new_fixed_cost made a plan cost less than nothing; -1 s was a limit."""
    valid = Path(__file__).resolve().parents[2] / "data" / "fixtures" / "valid"
    planning = servnet.PlanningData.from_dir(valid, valid_net)
    fc = servnet.forecast(planning, valid_net, 2026)
    with pytest.raises(servnet.DataError, match="costs.new_fixed_cost"):
        servnet.plan(valid_net, fc, model="cover", costs={"new_fixed_cost": -5e5})
    with pytest.raises(servnet.DataError, match="time_limit"):
        servnet.plan(valid_net, fc, model="cover", time_limit=-1)
