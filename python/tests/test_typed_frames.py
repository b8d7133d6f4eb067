"""DataFrames cross into Rust as typed columns (numpy buffers, factorize codes): the
results equal the files', and problems in typed columns still name frame, row, index
label and column."""

import datetime

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import servnet
from conftest import VALID


def only_issue(info):
    (issue,) = info.value.issues
    return issue


def tickets_error(df, net):
    with pytest.raises(servnet.DataError) as info:
        servnet.Tickets.from_frame(df, net)
    return only_issue(info)


def test_a_float_in_the_units_column_names_row_label_and_column(valid_net, valid_tickets):
    df = valid_tickets.set_index(pd.Index([f"t{i}" for i in range(len(valid_tickets))]))
    df["units"] = 1.0
    df.loc["t2", "units"] = 1.5
    issue = tickets_error(df, valid_net)
    assert (issue["frame"], issue["row"], issue["index"], issue["column"]) == ("tickets", 2, "t2", "units")
    assert "'1.5'" in issue["message"]
    # Whole floats (an int column with a NaN elsewhere becomes float) are whole numbers.
    df.loc["t2", "units"] = 2.0
    assert servnet.Tickets.from_frame(df, valid_net)[2].units == 2


def test_nullable_int_missing_units_take_the_default(valid_net, valid_tickets):
    df = valid_tickets.copy()
    df["units"] = pd.array([3] + [pd.NA] * (len(df) - 1), dtype="Int64")
    t = servnet.Tickets.from_frame(df, valid_net)
    assert [t[i].units for i in range(len(t))] == [3] + [1] * (len(df) - 1)


def test_nan_coordinate_is_a_missing_value_nan(valid_net, valid_tickets):
    df = valid_tickets.copy()
    df.loc[1, "lat"] = np.nan
    issue = tickets_error(df, valid_net)
    assert (issue["row"], issue["index"], issue["column"]) == (1, 1, "lat")
    assert issue["message"] == "missing value (NaN)"


def test_infinite_coordinate_is_reported_as_out_of_range(valid_net, valid_tickets):
    df = valid_tickets.copy()
    df.loc[0, "lon"] = np.inf
    issue = tickets_error(df, valid_net)
    assert (issue["row"], issue["column"]) == (0, "lon")
    assert "inf" in issue["message"]


def test_a_bad_date_text_and_a_nat_are_named(valid_net, valid_tickets):
    df = valid_tickets.copy()
    df.loc[2, "created_at"] = "2026-13-45T08:00:00"
    issue = tickets_error(df, valid_net)
    assert (issue["row"], issue["column"]) == (2, "created_at")
    assert "2026-13-45T08:00:00" in issue["message"]
    df = valid_tickets.copy()
    df["due_by"] = pd.to_datetime(df["due_by"], format="ISO8601")
    df.loc[0, "due_by"] = pd.NaT
    issue = tickets_error(df, valid_net)
    assert (issue["row"], issue["column"]) == (0, "due_by")
    assert issue["message"] == "missing value (NaN)"


def test_a_missing_column_is_named(valid_net, valid_tickets):
    issue = tickets_error(valid_tickets.drop(columns=["skill"]), valid_net)
    assert (issue["frame"], issue["column"], issue["row"]) == ("tickets", "skill", None)


def test_a_duplicate_id_is_named_with_its_row(valid_net, valid_tickets):
    df = valid_tickets.copy()
    df.loc[3, "id"] = df.loc[0, "id"]
    issue = tickets_error(df, valid_net)
    assert (issue["row"], issue["column"]) == (3, "id")
    assert "duplicate" in issue["message"]


def test_typed_columns_equal_the_file(valid_net, valid_tickets):
    """datetime64 (naive and tz-aware UTC), category text and Int64 units give the
    tickets of the file."""
    from_file = servnet.read_tickets(VALID / "tickets.csv", valid_net)
    df = valid_tickets.copy()
    tz = valid_net.time_zone
    created = pd.to_datetime(df["created_at"], format="ISO8601")
    df["created_at"] = created.dt.tz_localize(tz).dt.tz_convert("UTC")
    df["due_by"] = pd.to_datetime(df["due_by"], format="ISO8601")
    df["skill"] = df["skill"].astype("category")
    df["region"] = df["region"].astype("string")
    if "units" in df:
        df["units"] = df["units"].astype("Int64")
    got = servnet.Tickets.from_frame(df, valid_net)
    assert [got[i] for i in range(len(got))] == [from_file[i] for i in range(len(from_file))]


def test_network_frames_with_typed_columns_equal_the_folder(valid_frames):
    f = dict(valid_frames)
    f["outlets"] = f["outlets"].astype({"id": "category"})
    assert servnet.Network.from_frames(**f) == servnet.Network.from_dir(VALID)


def test_a_bad_time_zone_is_named(valid_frames):
    with pytest.raises(servnet.DataError, match="Mars/Olympus"):
        servnet.Network.from_frames(**valid_frames, time_zone="Mars/Olympus")


@settings(max_examples=10, deadline=None)
@given(st.randoms(use_true_random=False))
def test_dispatch_frame_in_any_row_order_equals_dispatching_the_tickets(valid_net, rnd):
    """A frame is checked, then built and dispatched a chunk at a time in arrival order:
    each ticket's outcome is the one of dispatching the same tickets as `Tickets`, in
    whatever order the rows come."""
    df = pd.read_csv(VALID / "tickets.csv")
    rows = list(range(len(df)))
    rnd.shuffle(rows)
    df = df.iloc[rows]
    tickets = servnet.Tickets.from_frame(df, valid_net)
    a = servnet.Dispatcher(valid_net, servnet.Policy()).dispatch_frame(df)
    b = servnet.Dispatcher(valid_net, servnet.Policy()).dispatch_frame(tickets)
    pd.testing.assert_frame_equal(a, b)
    assert a["ticket_id"].tolist() == df["id"].tolist()


def test_a_frame_with_a_bad_row_dispatches_nothing(valid_net, valid_tickets):
    df = valid_tickets.copy()
    df.loc[len(df) - 1, "region"] = "R-NOWHERE"
    d = servnet.Dispatcher(valid_net, servnet.Policy())
    before = d.loads()
    with pytest.raises(servnet.DataError) as info:
        d.dispatch_frame(df)
    assert only_issue(info)["row"] == len(df) - 1
    pd.testing.assert_frame_equal(d.loads(), before)


TEXT_COLUMNS = ["id", "region", "skill", "priority", "created_at", "due_by", "customer_tier", "avoid", "preferred"]


def read_or_issues(df, net):
    try:
        t = servnet.Tickets.from_frame(df, net)
    except servnet.DataError as e:
        return "error", e.issues
    return "ok", [t[i] for i in range(len(t))]


@settings(max_examples=25, deadline=None)
@given(st.data())
def test_arrow_string_columns_read_as_the_same_python_strings(valid_net, data):
    """pandas' pyarrow-backed `str` columns are read from their Arrow buffers (not
    factorized): sliced and multi-chunk arrays, missing cells, padded and repeated ids
    give the same tickets, or the same problems, as the same cells in object columns."""
    pytest.importorskip("pyarrow")
    base = pd.read_csv(VALID / "tickets.csv", keep_default_na=False).astype({c: object for c in TEXT_COLUMNS})
    n = data.draw(st.integers(1, 3 * len(base)), label="rows")
    rows = data.draw(st.lists(st.integers(0, len(base) - 1), min_size=n, max_size=n), label="picks")
    df = base.iloc[rows].reset_index(drop=True)
    df["id"] = [f"X{i}" for i in range(n)]
    for _ in range(data.draw(st.integers(0, 4), label="edits")):
        r = data.draw(st.integers(0, n - 1))
        c = data.draw(st.sampled_from(TEXT_COLUMNS))
        v = data.draw(st.sampled_from([None, "", "  padded ", "X0", " X1", "缺", "R-NOWHERE", "O1;O3"]))
        df.at[r, c] = v
    # The same cells as pyarrow strings, in a slice of a two-chunk array.
    cut = data.draw(st.integers(0, n), label="chunk boundary")
    pad = base.iloc[:2].astype({c: "str" for c in TEXT_COLUMNS})
    head = df.iloc[:cut].astype({c: "str" for c in TEXT_COLUMNS})
    tail = df.iloc[cut:].astype({c: "str" for c in TEXT_COLUMNS})
    arrow = pd.concat([pad, head, tail], ignore_index=True).iloc[2:].reset_index(drop=True)
    assert str(arrow["id"].dtype) == "str"
    assert read_or_issues(arrow, valid_net) == read_or_issues(df, valid_net)


def test_dispatch_frame_returns_the_frames_ids_and_booking_dates(valid_net):
    df = pd.read_csv(VALID / "tickets.csv")
    start = pd.Timestamp("2026-11-23")
    out = servnet.Dispatcher(valid_net, servnet.Policy(start_date=start.date())).dispatch_frame(df)
    assert out["ticket_id"].tolist() == df["id"].tolist()
    assert str(out["date"].dtype) == "datetime64[us]"
    booked = out["day"].notna()
    assert booked.any()
    assert (out.loc[booked, "date"] - start == pd.to_timedelta(out.loc[booked, "day"].astype(int), unit="D")).all()
    assert out.loc[~booked, "date"].isna().all()
    # Padded ids are read trimmed, and the result holds the ids as read.
    padded = df.assign(id=" " + df["id"])
    out = servnet.Dispatcher(valid_net, servnet.Policy()).dispatch_frame(padded)
    assert out["ticket_id"].tolist() == df["id"].tolist()


def test_loads_dates_join_the_dispatch_frames_dates(valid_net):
    """A booked ticket's outlet load that day is a merge on (outlet, date): both frames
    give their dates in the same unit on every pandas version (pandas 2 read ISO text as
    [ns] in the loads frame while the dispatch frame gave [us])."""
    df = pd.read_csv(VALID / "tickets.csv")
    d = servnet.Dispatcher(valid_net, servnet.Policy(start_date=datetime.date(2026, 11, 23)))
    out = d.dispatch_frame(df)
    loads = d.loads()
    assert loads["date"].dtype == out["date"].dtype == "datetime64[us]"
    booked = out[out["day"].notna()]
    per_day = loads.groupby(["outlet_id", "date"], as_index=False)["outlet_used"].max()
    joined = booked.merge(per_day, on=["outlet_id", "date"], how="left", validate="many_to_one")
    assert len(joined) == len(booked) > 0
    assert (joined["outlet_used"] >= 1).all()


def arrow_copy(df, cut):
    """The cells of `df` as pyarrow strings, in a slice of a three-chunk array."""
    pad = df.iloc[:2].astype({c: "str" for c in TEXT_COLUMNS})
    head = df.iloc[:cut].astype({c: "str" for c in TEXT_COLUMNS})
    tail = df.iloc[cut:].astype({c: "str" for c in TEXT_COLUMNS})
    return pd.concat([pad, head, tail], ignore_index=True).iloc[2:].reset_index(drop=True)


@settings(max_examples=15, deadline=None)
@given(st.data())
def test_mostly_distinct_arrow_columns_read_as_the_same_python_strings(valid_net, data):
    """A column whose first values are mostly distinct (ids: 64 rows and more) keeps a
    value per row instead of a dictionary: repeated, padded and missing ids, before and
    after the rows sampled, give the same tickets or problems as object columns."""
    pytest.importorskip("pyarrow")
    base = pd.read_csv(VALID / "tickets.csv", keep_default_na=False).astype({c: object for c in TEXT_COLUMNS})
    n = data.draw(st.sampled_from([64, 200, 4_100, 5_000]), label="rows")
    df = base.iloc[[i % len(base) for i in range(n)]].reset_index(drop=True)
    df["id"] = [f"X{i}" for i in range(n)]
    for _ in range(data.draw(st.integers(0, 4), label="edits")):
        r = data.draw(st.integers(0, n - 1))
        v = data.draw(st.sampled_from([None, "", " X0 ", "X1", "X4099", "缺"]))
        df.at[r, "id"] = v
    arrow = arrow_copy(df, data.draw(st.integers(0, n), label="chunk boundary"))
    assert str(arrow["id"].dtype) == "str"
    assert read_or_issues(arrow, valid_net) == read_or_issues(df, valid_net)


def test_a_repeated_id_past_the_sampled_rows_names_its_row(valid_net):
    pytest.importorskip("pyarrow")
    base = pd.read_csv(VALID / "tickets.csv", keep_default_na=False)
    df = base.iloc[[i % len(base) for i in range(6_000)]].reset_index(drop=True)
    df["id"] = [f"X{i}" for i in range(len(df))]
    df.loc[5_000, "id"] = " X7 "
    df = df.astype({"id": "str"})
    issue = tickets_error(df, valid_net)
    assert (issue["frame"], issue["row"], issue["column"]) == ("tickets", 5_000, "id")
    assert "X7" in issue["message"]


def dispatch_frame_error(d, df, chunk):
    with pytest.raises(servnet.DataError) as info:
        d._dispatch_frame(df, chunk)
    return info.value


def test_problems_in_later_chunks_are_those_of_a_whole_frame_check(valid_net, valid_tickets):
    """A frame checked a few rows at a time reports what a check of the whole frame
    reports: a duplicate of an id from an earlier chunk (with that chunk's line), a NaN
    cell, a bad region, row positions and index labels in the whole frame, in row order,
    with the same cap and count of problems left out; nothing is dispatched."""
    base = valid_tickets.set_index(pd.Index([f"t{i}" for i in range(len(valid_tickets))]))
    df = base.copy()
    df.loc["t8", "id"] = df.loc["t1", "id"]
    df.loc["t6", "lat"] = np.nan
    df.loc["t9", "region"] = "R-NOWHERE"
    d = servnet.Dispatcher(valid_net, servnet.Policy())
    before = d.loads()
    with pytest.raises(servnet.DataError) as whole:
        servnet.Tickets.from_frame(df, valid_net)
    for chunk in (1, 3, 4, len(df)):
        e = dispatch_frame_error(d, df, chunk)
        assert str(e) == str(whole.value)
        assert e.issues == whole.value.issues
    assert [(i["row"], i["index"], i["column"]) for i in whole.value.issues] == [
        (6, "t6", "lat"), (8, "t8", "id"), (9, "t9", "region")]
    assert whole.value.issues[0]["message"] == "missing value (NaN)"
    assert "first on line 3" in whole.value.issues[1]["message"]
    pd.testing.assert_frame_equal(d.loads(), before)
    # Past the cap: 30 copies of the frame repeat every id.
    many = pd.concat([base] * 30, ignore_index=True)
    with pytest.raises(servnet.DataError) as whole:
        servnet.Tickets.from_frame(many, valid_net)
    assert "more problem(s) not listed" in str(whole.value)
    e = dispatch_frame_error(d, many, 7)
    assert (str(e), e.issues) == (str(whole.value), whole.value.issues)
    pd.testing.assert_frame_equal(d.loads(), before)


@pytest.mark.parametrize("shuffle", [False, True])
def test_a_frame_of_many_chunks_books_as_the_tickets_one_by_one(sample_net, sample_tickets, shuffle):
    """Checked and dispatched 997 rows at a time (runs of rows sliced, others taken),
    each ticket gets the outcome of `Dispatcher.dispatch` called ticket by ticket in
    arrival order (created_at, then id)."""
    df = sample_tickets
    if shuffle:
        df = df.sample(frac=1, random_state=7)
    out = servnet.Dispatcher(sample_net, servnet.Policy())._dispatch_frame(df, 997)
    assert out["ticket_id"].tolist() == df["id"].tolist()
    tickets = servnet.Tickets.from_frame(df, sample_net)
    one = servnet.Dispatcher(sample_net, servnet.Policy())
    arrivals = sorted((tickets[i] for i in range(len(tickets))), key=lambda t: (t.created_at, t.id))
    want = {}
    for t in arrivals:
        o = one.dispatch(t)
        want[t.id] = (o.outlet_id, o.day, "") if o.assigned else ("", -1, o.reason)
    got = zip(out["ticket_id"], out["outlet_id"].fillna(""), out["day"].fillna(-1).astype(int),
              out["reason"].fillna(""))
    assert {i: (o, day, r) for i, o, day, r in got} == want
    assert out["outlet_id"].notna().sum() > 0 and out["reason"].notna().sum() > 0
