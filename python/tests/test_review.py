"""servnet.review on the sample data: the outlets made poor on purpose are flagged."""

import os

import pytest

import servnet

SAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "data", "sample")


def test_review_flags_the_poor_outlets_with_their_reasons() -> None:
    df = servnet.review(SAMPLE, "2026-12-01")
    assert set(df["action"]) <= {"confirm", "keep", "warn", "suspend", "remove"}
    by_id = df.set_index("outlet_id")
    # data/README.md: O00012 SLA 0.62, O00140 complaints 0.09/ticket, O00777 rating 3.3.
    assert by_id.loc["O00012", "action"] == "remove"
    assert "SLA" in by_id.loc["O00012", "reason"]
    assert by_id.loc["O00140", "action"] in ("suspend", "remove")
    assert "complaints" in by_id.loc["O00140", "reason"]
    assert by_id.loc["O00777", "action"] in ("suspend", "remove")
    # Every row is a probation or active outlet, once.
    assert df["outlet_id"].is_unique
    assert set(df["status"]) <= {"probation", "active"}
    assert (df["action"] == "confirm").sum() >= 1


def test_review_options_and_dates_are_checked() -> None:
    with pytest.raises(servnet.DataError):
        servnet.review(SAMPLE, "2026-13-01")
    with pytest.raises(servnet.DataError):
        servnet.review(SAMPLE, "2026-12-01", windows=3)
