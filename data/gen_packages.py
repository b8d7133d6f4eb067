"""service_packages.csv for the sample (issue 23, item 1): the service promised by region
tier (A/B/C) x customer tier (standard/vip) x service kind (`*` = every kind without a
row of its own). No randomness: the table is the sample's service policy.

- Tier A cities: on-site everywhere; standard customers within 24 h, VIP within 12 h.
- Tier B: on-site; standard 48 h, VIP 24 h.
- Tier C: repairs and maintenance of standard customers are carry-in (the customer brings
  the product to an outlet within 40 km); deliveries, installs, inspections stay on-site.
  VIP customers get on-site service everywhere.
VIP packages weigh 3 (they may use the dispatch's package reserve and cost three times as
much to leave unassigned in batch); standard ones weigh 1.
"""

import csv
import os

HEADER = ["region_tier", "customer_tier", "service_kind", "modes", "carry_in_km",
          "response_hours", "follow_up_share", "priority_weight"]

ROWS = [
    ["A", "standard", "*", "on_site", "", 24, 0.10, 1],
    ["A", "vip", "*", "on_site", "", 12, 0.30, 3],
    ["B", "standard", "*", "on_site", "", 48, 0.05, 1],
    ["B", "vip", "*", "on_site", "", 24, 0.20, 3],
    ["C", "standard", "*", "on_site", "", 72, 0.05, 1],
    ["C", "standard", "repair", "carry_in", 40, 72, 0.05, 1],
    ["C", "standard", "maintenance", "carry_in", 40, 72, 0.05, 1],
    ["C", "vip", "*", "on_site;carry_in", 60, 48, 0.20, 3],
]


def write_service_packages(out_dir):
    """Writes <out_dir>/service_packages.csv."""
    with open(os.path.join(out_dir, "service_packages.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(HEADER)
        w.writerows(ROWS)
