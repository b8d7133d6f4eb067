"""servnet.settle: statements whose totals are worked by hand from the sample's
fee_schedule.csv, a carry-in booking without travel, and bad cells named."""

import os
import shutil

import pytest

import servnet

SAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "data", "sample")

# data/sample/fee_schedule.csv: repair tier A 80 (+40 per extra unit), tier C 110
# (2.5 per km); O00001's repair 70 (+35); travel 2.0 per road km elsewhere.
BOOKINGS = """ticket_id,outlet_id,completed_at,road_km,status,mode,skill,region,units,sla_met
b1,O00002,2026-11-01T09:00:00,10,completed,,repair:tv,{a},1,true
b2,O00002,2026-11-30,5,completed,carry_in,repair:tv,{a},2,false
b3,O00001,2026-11-15,4,completed,,repair:tv,{c},1,
b4,O00002,2026-12-01,7,completed,,repair:tv,{a},1,true
b5,O00002,2026-11-10,7,cancelled,,repair:tv,{a},1,true
b6,,2026-11-10,,,,repair:tv,{a},1,
"""


def _regions():
    import pandas as pd

    r = pd.read_csv(os.path.join(SAMPLE, "regions.csv"))
    return r[r["tier"] == "A"]["code"].iloc[0], r[r["tier"] == "C"]["code"].iloc[0]


def test_statement_totals_are_the_bookings_costs(tmp_path) -> None:
    a, c = _regions()
    f = tmp_path / "bookings.csv"
    f.write_text(BOOKINGS.format(a=a, c=c))
    df = servnet.settle(SAMPLE, f, "2026-11-01", "2026-11-30").set_index("outlet_id")
    # b4 is a day after the period; b5 is cancelled; b6 unassigned.
    assert df.attrs["outside"] == 1
    assert list(df.index) == ["O00001", "O00002"]
    o2 = df.loc["O00002"]
    # b1: 80 + 10 km x 2.0; b2 carry-in: 80 + 40, no travel.
    assert o2["tickets"] == 2 and o2["units"] == 3 and o2["tickets_repair"] == 2
    assert o2["fees"] == pytest.approx(200.0)
    assert o2["travel"] == pytest.approx(20.0)
    assert o2["total"] == pytest.approx(220.0)
    assert o2["sla_met_share"] == pytest.approx(0.5)
    # b3: O00001's repair rule (70, no per_km: 2.0) applies whole, over the tier C
    # rule (110, 2.5 per km).
    o1 = df.loc["O00001"]
    assert o1["fees"] == pytest.approx(70.0)
    assert o1["travel"] == pytest.approx(8.0)
    assert o1["sla_known"] == 0


def test_bad_cells_and_dates_are_named(tmp_path) -> None:
    a, c = _regions()
    f = tmp_path / "bookings.csv"
    f.write_text(BOOKINGS.format(a=a, c=c).replace("carry_in", "by_drone"))
    with pytest.raises(servnet.DataError, match="bookings.csv:3.*mode"):
        servnet.settle(SAMPLE, f, "2026-11-01", "2026-11-30")
    with pytest.raises(servnet.DataError):
        servnet.settle(SAMPLE, f, "2026-11-31", "2026-11-30")
    d = tmp_path / "data"
    shutil.copytree(SAMPLE, d)
    with open(d / "fee_schedule.csv", "a", encoding="utf-8") as fees:
        fees.write("repair,B,,-3,,\n")
    f.write_text(BOOKINGS.format(a=a, c=c))
    with pytest.raises(servnet.DataError, match="fee_schedule.csv:18.*fee"):
        servnet.settle(d, f, "2026-11-01", "2026-11-30")
