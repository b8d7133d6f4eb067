"""Outlet review: scorecards from outlet_history.csv and the actions they call for."""

import datetime
import json
from os import PathLike
from typing import Any, Dict, List, Union

from servnet import _servnet
from servnet._planning import _options

REVIEW_COLUMNS = [
    "outlet_id", "name", "status", "action", "reason", "since", "evaluation_due",
    "from_month", "to_month", "months", "tickets", "sla_met", "sla_rate", "sla_shrunk",
    "ratings", "rating_mean", "rating_shrunk", "complaints", "complaint_rate",
    "complaint_shrunk", "repeat_repairs_30d", "repeat_rate", "repeat_shrunk",
]


def _row(r: Dict[str, Any]) -> Dict[str, Any]:
    c = r["card"]
    return {
        "outlet_id": r["outlet_id"], "name": r["name"], "status": r["status"],
        "action": r["action"], "reason": r["reason"], "since": r["since"],
        "evaluation_due": r["evaluation_due"], "from_month": r["from"][:7],
        "to_month": r["to"][:7], "months": c["months"], "tickets": c["tickets"],
        "sla_met": c["sla"]["events"], "sla_rate": c["sla"]["raw"],
        "sla_shrunk": c["sla"]["shrunk"], "ratings": c["rating"]["base"],
        "rating_mean": c["rating"]["raw"], "rating_shrunk": c["rating"]["shrunk"],
        "complaints": c["complaints"]["events"], "complaint_rate": c["complaints"]["raw"],
        "complaint_shrunk": c["complaints"]["shrunk"],
        "repeat_repairs_30d": c["repeat_repairs"]["events"],
        "repeat_rate": c["repeat_repairs"]["raw"],
        "repeat_shrunk": c["repeat_repairs"]["shrunk"],
    }


def review(
    path: Union[str, "PathLike[str]"],
    as_of: Union[str, datetime.date],
    **options: Any,
) -> Any:
    """Reviews every probation and active outlet of the data folder ``path`` from its
    outlet_history.csv as of ``as_of`` (complete months before it count): rates shrunk
    toward the network (few tickets cannot decide), probation outlets confirmed or
    removed once their probation has run, active ones kept, warned, suspended or removed
    by the documented thresholds (docs/formats.md, outlet_history.csv).

    Returns a DataFrame with one row per outlet: outlet_id, name, status, action
    (confirm, keep, warn, suspend, remove), reason, and the figures (raw and shrunk
    rates). ``df.attrs["network"]`` holds the network's rates (the prior).
    ``options`` override the review options (window_months, probation_months,
    prior_tickets, prior_ratings, sla, rating, complaints, repeat_repairs,
    probation_fails_at); unknown names raise ``DataError``.
    """
    import pandas as pd

    day = as_of.isoformat() if isinstance(as_of, datetime.date) else str(as_of)
    out = json.loads(_servnet._review(path, day, _options(**options)))
    rows: List[Dict[str, Any]] = [_row(r) for r in out["rows"]]
    df = pd.DataFrame.from_records(rows, columns=REVIEW_COLUMNS)
    for c in ("sla_rate", "rating_mean", "complaint_rate", "repeat_rate"):
        df[c] = df[c].astype(float)
    df.attrs["network"] = dict(out["network"])
    return df
