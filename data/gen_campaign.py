"""campaigns.csv of the sample (issue 23): one preventive-maintenance campaign.

AC-2016S units sold in 2016 (ten years old at the campaign, where the model's Weibull
repair curve climbs) in the two regions ranked third and fourth by those units (large
cities, not the two largest: the sample run stays a few minutes). 15% of the units are
reached (customers who accept a visit); each visit takes 60 minutes and costs 120, and
is assumed to avoid 60% of the unit's expected repairs over the next 12 months. The
window runs from the sample day's date (2026-11-23) to 2026-12-15: more units than the
spare capacity of those weeks, so the report shows units left undone for lack of
capacity before the deadline.
"""

from __future__ import annotations

from collections import defaultdict

MODEL = "AC-2016S"
VINTAGE = 2016

HEADER = ["id", "models", "vintage_from", "vintage_to", "regions", "action", "start", "deadline",
          "minutes_per_unit", "cost_per_unit", "effect_share", "effect_months", "reach"]


def build_campaigns(base):
    """The campaign row(s), from installed-base rows [region, model, category, vintage, units]."""
    units = defaultdict(float)
    for region, model, _category, vintage, n in base:
        if model == MODEL and int(vintage) == VINTAGE:
            units[region] += float(n)
    ranked = sorted(units, key=lambda r: (-units[r], r))
    regions = sorted(ranked[2:4])
    return [["AC16-MAINT", MODEL, VINTAGE, VINTAGE, ";".join(regions), "maintain", "2026-11-23",
             "2026-12-15", 60, 120, 0.6, 12, 0.15]]
