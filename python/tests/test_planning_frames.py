"""PlanningData.from_frames, campaigns and population frames cross as typed columns (numpy
buffers, Arrow / factorize codes), not CSV text: whatever the frames' dtypes, the planning
data equals the folder of the same frames written as CSV, and problems name the frame,
row, index label and column."""

import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import servnet
from conftest import SAMPLE

OPTIONAL = ["repair_rates", "installed_base", "sales_plan", "seasonality", "retirement",
            "service_rates", "repair_history", "campaigns"]
SAMPLE_FRAMES = {n: pd.read_csv(SAMPLE / f"{n}.csv") for n in ["products", *OPTIONAL]}
DTYPES = ["as_read", "string", "category", "object", "float"]


def recast(s: pd.Series, how: str) -> pd.Series:
    """The same cells under another dtype an analyst's frame may have."""
    if how == "string":
        return s.astype("string")
    if how == "category":
        return s.astype("category")
    if how == "object":
        return s.astype(object)
    if how == "float" and pd.api.types.is_integer_dtype(s.dtype):
        return s.astype("float64")
    return s


@st.composite
def planning_frames(draw):
    names = ["products"] + draw(st.lists(st.sampled_from(OPTIONAL), unique=True))
    frames = {}
    for name in names:
        df = SAMPLE_FRAMES[name]
        if draw(st.booleans()):
            # A subset of the rows (references may break: both routes must say so alike).
            keep = draw(st.lists(st.integers(0, len(df) - 1), min_size=1, max_size=60,
                                 unique=True))
            df = df.iloc[sorted(keep)]
        df = df.copy()
        df.index = [f"{name[:2]}{i}" for i in range(len(df))]
        for c in df.columns:
            df[c] = recast(df[c], draw(st.sampled_from(DTYPES)))
        frames[name] = df
    return frames


def outcome(make):
    """The planning data's pickled parts, or the problems as (file, row, field, message)."""
    try:
        return "ok", make().__reduce__()[1]
    except servnet.DataError as e:
        out = []
        for i in e.issues:
            if i.get("frame") is not None:
                where = (i["frame"], i["row"])
            else:
                line = i["line"]
                where = (i["file"].removesuffix(".csv"), None if line is None else line - 2)
            out.append((*where, i["field"], i["message"].replace(" (NaN)", "")))
        return "error", sorted(out, key=repr)


def from_folder(net, frames):
    with tempfile.TemporaryDirectory() as d:
        for name, df in frames.items():
            df.to_csv(Path(d) / f"{name}.csv", index=False)
        return servnet.PlanningData.from_dir(d, net)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frames=planning_frames())
def test_planning_frames_of_any_dtype_read_as_the_folder(sample_net, frames):
    by_frames = outcome(lambda: servnet.PlanningData.from_frames(sample_net, **frames))
    by_folder = outcome(lambda: from_folder(sample_net, frames))
    assert by_frames == by_folder


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_bad_planning_cell_names_frame_row_label_and_column(sample_net, data):
    name = data.draw(st.sampled_from(["repair_rates", "installed_base", "sales_plan",
                                      "seasonality", "retirement", "service_rates",
                                      "repair_history"]))
    df = SAMPLE_FRAMES[name].copy()
    df.index = [f"L{i}" for i in range(len(df))]
    numeric = [c for c in df.columns if pd.api.types.is_numeric_dtype(df[c])]
    col = data.draw(st.sampled_from(numeric))
    row = data.draw(st.integers(0, len(df) - 1))
    bad = data.draw(st.sampled_from(["banana", float("nan"), float("inf"), -5]))
    if bad == -5 and col in ("vintage", "year", "month", "age"):
        bad = "banana"  # a negative year or month may be in range for some columns
    df[col] = df[col].astype(object)
    df.iloc[row, df.columns.get_loc(col)] = bad
    frames = {n: SAMPLE_FRAMES[n] for n in ["products", "repair_rates"]} | {name: df}
    with pytest.raises(servnet.DataError) as e:
        servnet.PlanningData.from_frames(sample_net, **frames)
    spots = [(i.get("frame"), i.get("row"), i.get("index"), i.get("column"))
             for i in e.value.issues]
    assert (name, row, f"L{row}", col) in spots
    assert f"frame '{name}' row {row} (index 'L{row}')" in str(e.value)


def test_campaigns_and_population_frames_read_as_their_files(sample_net, tmp_path):
    planning = servnet.PlanningData.from_dir(SAMPLE, sample_net)
    camp = pd.read_csv(SAMPLE / "campaigns.csv")
    a = servnet.forecast(planning, sample_net, 2026, campaigns=camp).to_pandas()
    b = servnet.forecast(planning, sample_net, 2026,
                         campaigns=str(SAMPLE / "campaigns.csv")).to_pandas()
    pd.testing.assert_frame_equal(a, b)
    bad = camp.copy()
    bad.index = ["first"]
    bad["reach"] = bad["reach"].astype(object)
    bad.loc["first", "reach"] = "lots"
    with pytest.raises(servnet.DataError) as e:
        servnet.forecast(planning, sample_net, 2026, campaigns=bad)
    (issue,) = e.value.issues
    assert (issue["frame"], issue["row"], issue["index"], issue["column"]) == (
        "campaigns", 0, "first", "reach")
