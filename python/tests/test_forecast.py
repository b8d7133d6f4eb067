"""Forecasts you can defend (issue 16): years bounded by the data, stated rules past the
sales plan with warnings, every kind of demand from the data, the peak month of the total.
"""

import calendar
import pickle

import pandas as pd
import pytest

import servnet
from conftest import SAMPLE


@pytest.fixture(scope="module")
def planning(sample_net):
    return servnet.PlanningData.from_dir(SAMPLE, sample_net)


@pytest.fixture(scope="module")
def five_years(planning, sample_net):
    # The rate model alone: the folder's campaign (counted by default, test_plan.py) adds
    # work outside the seasonality curve.
    return servnet.forecast(planning, sample_net, 2026, years=5, campaigns=False)


def test_a_year_outside_the_data_is_a_data_error_not_a_crash(planning, sample_net):
    """Issue 17's repro killed Python allocating 274 GB; now the error names the field
    and the window (first vintage 2012 .. last sales-plan year 2027 + 10)."""
    with pytest.raises(servnet.DataError, match=r"'year'.*2012\.\.=2037"):
        servnet.forecast(planning, sample_net, 2147483647)
    with pytest.raises(servnet.DataError, match=r"'year'"):
        servnet.forecast(planning, sample_net, -2147483648)
    with pytest.raises(servnet.DataError, match=r"'years'.*2012\.\.=2037"):
        servnet.forecast(planning, sample_net, 2030, years=20)


def test_no_year_drops_without_a_warning(five_years):
    """The sales plan ends in 2027: later years hold it flat and say so; no year's total
    falls more than 2% below the year before without a warning naming it."""
    totals = five_years.to_pandas("totals")
    warned = {int(w.split(":")[0]) for w in five_years.warnings if w[:4].isdigit()}
    assert {2028, 2029, 2030} <= warned
    for prev, cur in zip(totals.itertuples(), totals.iloc[1:].itertuples()):
        if cur.tickets < 0.98 * prev.tickets:
            assert cur.year in warned, (prev.year, prev.tickets, cur.year, cur.tickets)
    # Held flat: installs (units sold) do not fall off a cliff after the plan.
    assert totals["install"].iloc[-1] > 0.9 * totals["install"].iloc[1]
    assert five_years.summary()["warnings"] == five_years.warnings
    assert "warning" in repr(five_years)


def test_the_rule_after_the_plan_is_the_users(planning, sample_net, five_years):
    zero = servnet.forecast(planning, sample_net, 2026, years=5, sales_after_plan="zero")
    assert zero.to_pandas("totals")["install"].iloc[-1] == 0
    assert any("sales_after_plan = zero" in w for w in zero.warnings)
    down = servnet.forecast(planning, sample_net, 2026, years=5, sales_after_plan="growth",
                            sales_growth=-0.1)
    a = five_years.to_pandas("totals")["install"].iloc[-1]
    b = down.to_pandas("totals")["install"].iloc[-1]
    assert b == pytest.approx(a * 0.9 ** 3, rel=1e-9)
    with pytest.raises(servnet.DataError, match="sales_after_plan"):
        servnet.forecast(planning, sample_net, 2026, sales_after_plan="banana")


def test_maintenance_and_inspection_come_from_the_data(five_years):
    """The sample has per-unit rates (service_rates.csv): no kind defaults to zero, and
    the sources say which input each came from."""
    t = five_years.to_pandas("totals").iloc[0]
    assert t["maintenance"] > 100_000 and t["inspection"] > 10_000
    src = five_years.to_pandas("sources").set_index("skill")
    assert "service_rates" in src.loc["maintenance:air_conditioner", "inputs"]
    assert not src.loc["maintenance:tv", "forecast"]
    assert not src.loc["delivery:water_heater", "forecast"]
    assert "repair curves" in src.loc["repair:tv", "inputs"]


def test_the_peak_month_is_the_busiest_month_of_the_total(five_years):
    """The network's peak day is the daily mean of the month with the most tickets over
    all skills (from the rows and seasonality.csv), not a sum of category peaks."""
    rows = five_years.to_pandas()
    season = pd.read_csv(SAMPLE / "seasonality.csv").pivot(index="category", columns="month",
                                                            values="share")
    for t in five_years.to_pandas("totals").itertuples():
        y = rows[rows["year"] == t.year]
        by_cat = y.assign(cat=y["skill"].str.split(":").str[1]).groupby("cat")["tickets"].sum()
        months = season.loc[by_cat.index].mul(by_cat, axis=0).sum()
        best = int(months.idxmax())
        assert t.peak_month == best
        days = calendar.monthrange(t.year, best)[1]
        assert t.peak_day == pytest.approx(months[best] / days, rel=1e-9)
        # Each region's own busiest month can differ: their sum is at least the network's.
        assert t.regional_peak_day >= t.peak_day * (1 - 1e-12)
        # The old rule (each category at its own peak) overstates it.
        cat_peaks = sum(by_cat[c] * season.loc[c].max() / 30.5 for c in by_cat.index)
        assert t.peak_day < cat_peaks


def test_retirement_keeps_the_base_bounded(planning, sample_net):
    """Units leave the base: 10 years of flat sales grow it far less than without
    retirement."""
    kept = servnet.forecast(planning, sample_net, 2026, years=10, retirement=False)
    retired = servnet.forecast(planning, sample_net, 2026, years=10)
    a = kept.to_pandas("totals")["units_in_service"]
    b = retired.to_pandas("totals")["units_in_service"]
    assert (b < a).all()
    assert b.iloc[-1] < 1.3 * b.iloc[0]


def test_forecast_pickles_with_its_warnings(five_years):
    back = pickle.loads(pickle.dumps(five_years))
    assert back.warnings == five_years.warnings
    pd.testing.assert_frame_equal(back.to_pandas("totals"), five_years.to_pandas("totals"))
