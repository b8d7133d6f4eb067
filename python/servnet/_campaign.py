"""Campaigns: proactive visits scheduled into the capacity customer tickets leave."""

import datetime
import json
from os import PathLike
from typing import Any, NamedTuple, Optional, Union

from servnet import _servnet
from servnet._calls import _options

VISIT_COLUMNS = [
    "campaign_id", "ticket_id", "region", "model", "vintage", "skill", "outlet_id", "date",
    "day", "capacity_units", "minutes", "cost", "repairs_avoided", "distance_km", "pass",
]
DAY_COLUMNS = ["campaign_id", "date", "units", "capacity_units", "minutes", "cost",
               "repairs_avoided"]
UNDONE_COLUMNS = ["campaign_id", "region", "model", "vintage", "units", "reason",
                  "repairs_missed"]
REASONS = ["no_capacity_before_deadline", "no_eligible_outlet", "out_of_region",
           "past_deadline"]
SUMMARY_COLUMNS = [
    "campaign_id", "action", "units_in_scope", "units_visited", "units_undone", *REASONS,
    "cost", "minutes", "repairs_avoided", "repairs_missed", "first_visit", "last_visit",
    "daily_cap",
]


class CampaignSchedule(NamedTuple):
    """The tables of :func:`schedule_campaign` (pandas DataFrames)."""

    visits: Any
    """One row per visit: campaign, unit, outlet, date, cost, repairs avoided, pass."""
    by_day: Any
    """Units covered per campaign and day."""
    undone: Any
    """Units left undone per region, model, sale year and reason."""
    summary: Any
    """One row per campaign: units, undone by reason, cost, repairs avoided and missed."""


def schedule_campaign(
    path: Union[str, "PathLike[str]"],
    as_of: Union[str, datetime.date],
    campaigns: Optional[Union[str, "PathLike[str]"]] = None,
    policy: Any = None,
    **options: Any,
) -> CampaignSchedule:
    """Schedules the campaigns of ``campaigns`` (default: the folder's campaigns.csv)
    into the capacity the folder's tickets leave, from ``as_of`` on.

    Customer tickets are assigned first, exactly as :func:`servnet.assign` would; visits
    (one per unit of the installed base in scope) then book only the room left, balanced
    over each campaign's window, never after its deadline (docs/formats.md,
    campaigns.csv). ``options`` override the scheduling options (minutes_per_ticket_unit,
    spread_factor, fill_after_spread, jitter_km, seed, max_tickets, assign); unknown
    names raise ``DataError``. ``policy``: a ``servnet.Policy`` (default policy if None).

    Returns a :class:`CampaignSchedule` of DataFrames (visits, by_day, undone, summary);
    ``summary.attrs`` holds ``customer_assigned`` and ``customer_unassigned``.
    """
    import pandas as pd

    day = as_of.isoformat() if isinstance(as_of, datetime.date) else str(as_of)
    pol = policy.to_json() if policy is not None else "{}"
    out = json.loads(_servnet._schedule_campaign(path, day, campaigns, pol, _options(**options)))
    visits = pd.DataFrame.from_records(out["visits"], columns=VISIT_COLUMNS)
    by_day = pd.DataFrame.from_records(out["by_day"], columns=DAY_COLUMNS)
    undone = pd.DataFrame.from_records(out["undone"], columns=UNDONE_COLUMNS)
    rows = []
    for s in out["summary"]:
        row = {k: s.get(k) for k in SUMMARY_COLUMNS if k in s}
        row.update({r: s["undone"].get(r, 0) for r in REASONS})
        row["units_undone"] = sum(s["undone"].values())
        rows.append(row)
    summary = pd.DataFrame.from_records(rows, columns=SUMMARY_COLUMNS)
    for df in (visits, by_day):
        df["date"] = pd.to_datetime(df["date"]).astype("datetime64[us]")
    summary.attrs["customer_assigned"] = out["customer_assigned"]
    summary.attrs["customer_unassigned"] = out["customer_unassigned"]
    return CampaignSchedule(visits, by_day, undone, summary)
