"""servnet.schedule_campaign: visits into spare capacity, reported with reasons."""

import os
from pathlib import Path

import pandas as pd
import pytest

import servnet

VALID = os.path.join(os.path.dirname(__file__), "..", "..", "data", "fixtures", "valid")

HEADER = ("id,models,vintage_from,vintage_to,regions,action,start,deadline,"
          "minutes_per_unit,cost_per_unit,effect_share,effect_months,reach\n")


def _campaigns(tmp_path: Path, *rows: str) -> Path:
    p = tmp_path / "campaigns.csv"
    p.write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return p


def test_visits_stay_in_the_window_and_every_unit_is_accounted_for(tmp_path: Path) -> None:
    """AC-1 units sold 2020 in R-A1 (12,000 x 0.002 reached = 24) are recalled over five
    days; each unit is visited in the window or reported undone with a reason."""
    f = _campaigns(tmp_path,
                   "R1,AC-1,2020,2020,R-A1,recall,2026-11-23,2026-11-27,60,150,0.8,12,0.002")
    s = servnet.schedule_campaign(VALID, "2026-11-23", campaigns=f)
    assert isinstance(s.visits, pd.DataFrame)
    row = s.summary.set_index("campaign_id").loc["R1"]
    assert row["units_in_scope"] == 24
    assert row["units_visited"] + row["units_undone"] == 24
    assert s.undone["units"].sum() == row["units_undone"]
    assert set(s.undone["reason"]) <= {"no_capacity_before_deadline", "no_eligible_outlet",
                                       "out_of_region", "past_deadline"}
    assert len(s.visits) == row["units_visited"] > 0
    assert s.visits["date"].between(pd.Timestamp("2026-11-23"), pd.Timestamp("2026-11-27")).all()
    # The same date unit as the dispatcher's frames on pandas 2 and 3 (joins, concat).
    assert s.visits["date"].dtype == s.by_day["date"].dtype == "datetime64[us]"
    assert (s.visits["skill"] == "repair:air_conditioner").all()
    assert row["cost"] == pytest.approx(150 * row["units_visited"])
    assert (s.visits["repairs_avoided"] > 0).all()
    assert s.by_day["units"].sum() == row["units_visited"]
    assert s.summary.attrs["customer_assigned"] >= 1


def test_a_campaign_past_its_deadline_is_reported_undone(tmp_path: Path) -> None:
    f = _campaigns(tmp_path,
                   "OLD,AC-1,2021,2021,R-B1,maintain,2026-01-01,2026-02-01,60,100,0.5,6,0.01")
    s = servnet.schedule_campaign(VALID, "2026-11-23", campaigns=f)
    assert len(s.visits) == 0
    assert set(s.undone["reason"]) == {"past_deadline"}
    assert s.undone["units"].sum() == 30


def test_bad_campaigns_and_options_raise_data_error(tmp_path: Path) -> None:
    bad = _campaigns(tmp_path,
                     "X,AC-1,2020,2019,R-ZZ,fix,2026-11-23,2026-11-27,60,150,0.8,12,1")
    with pytest.raises(servnet.DataError, match="campaigns.csv"):
        servnet.schedule_campaign(VALID, "2026-11-23", campaigns=bad)
    ok = _campaigns(tmp_path,
                    "R1,AC-1,2020,2020,R-A1,recall,2026-11-23,2026-11-27,60,150,0.8,12,0.002")
    with pytest.raises(servnet.DataError):
        servnet.schedule_campaign(VALID, "2026-11-23", campaigns=ok, spread=2)
