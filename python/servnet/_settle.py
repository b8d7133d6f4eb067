"""Settlement (结算): each outlet's statement for a period from its completed bookings."""

import datetime
import json
from os import PathLike
from typing import Any, Union

from servnet import _servnet

STATEMENT_COLUMNS = [
    "outlet_id", "name", "from", "to", "tickets", "units", "tickets_delivery",
    "tickets_install", "tickets_repair", "tickets_maintenance", "tickets_inspection",
    "road_km", "fees", "travel", "total", "sla_known", "sla_met", "sla_met_share",
]


def _day(d: Union[str, datetime.date]) -> str:
    return d.isoformat() if isinstance(d, datetime.date) else str(d)


def settle(
    path: Union[str, "PathLike[str]"],
    bookings: Union[str, "PathLike[str]"],
    date_from: Union[str, datetime.date],
    date_to: Union[str, datetime.date],
) -> Any:
    """The settlement statement of the data folder ``path``'s outlets for the period
    ``date_from`` .. ``date_to`` (both days included), from ``bookings``: a
    ``servnet dispatch`` / ``servnet assign`` output or a bookings export (.csv or
    .json; columns in docs/formats.md, "Bookings to settle").

    Fees follow the folder's fee_schedule.csv (by service kind, region tier and outlet;
    without it each outlet's cost_per_ticket); travel is road km x rate per technician
    trip, none for a carry-in booking (``mode`` carry_in).

    Returns a DataFrame with one row per outlet with a booking in the period: tickets
    (and by kind), units, road_km, fees, travel, total, sla_known, sla_met,
    sla_met_share. ``df.attrs["outside"]`` counts bookings dated outside the period.
    Raises ``DataError`` naming file, line and column on a bad cell.
    """
    import pandas as pd

    out = json.loads(_servnet._settle(path, bookings, _day(date_from), _day(date_to)))
    df = pd.DataFrame.from_records(out["rows"], columns=STATEMENT_COLUMNS)
    for c in ("road_km", "fees", "travel", "total", "sla_met_share"):
        df[c] = df[c].astype(float)
    df.attrs["outside"] = int(out["outside"])
    return df
