"""servnet: an engine for after-sales service networks (dispatch, assignment, planning).

The work is done in Rust (``servnet._servnet``); this package re-exports it.

>>> import servnet
>>> net = servnet.Network.from_dir("data/sample")
>>> d = servnet.Dispatcher(net, servnet.Policy())
>>> out = d.dispatch_frame(servnet.read_tickets("data/sample/tickets.csv", net))
>>> print(out.attrs["summary"])                                    # doctest: +SKIP
"""

import os as _os
import sys as _sys

# The extension's Rust allocations go through its own mimalloc, which by default keeps
# freed pages for a second before returning them to the system. Within one long call
# (`dispatch_frame` of 1M tickets) that held about 180 MB more at the peak than
# returning them at once (757 vs 575 MB; BENCHMARKS.md, issue 21 target 2, session 12).
# mimalloc reads this when the extension loads, just below; a value the user set wins.
_os.environ.setdefault("MIMALLOC_PURGE_DELAY", "0")

from servnet._assign import AssignmentPlan, assign, compare_with_sequential
from servnet._planning import (
    Forecast,
    NetworkPlan,
    Scenario,
    SimulationResult,
    compare_scenarios,
    fit_repair_curves,
    forecast,
    frontier,
    plan,
    plot_repair_curves,
    simulate,
    simulate_many,
)
from servnet._results import Result
from servnet._review import review
from servnet._campaign import CampaignSchedule, schedule_campaign
from servnet._location import capacitated_location
from servnet._settle import settle
from servnet._geo import coverage, to_geopandas
from servnet._servnet import (
    Assignment,
    DataError,
    Dispatcher,
    DispatchSummary,
    Explanation,
    LedgerError,
    Network,
    PlanningData,
    Policy,
    ServnetError,
    Ticket,
    Tickets,
    Unassignable,
    __version__,
    read_dir,
    read_network_and_tickets,
    read_tickets,
    staffing,
)

# `import servnet.staffing` / `from servnet.staffing import erlang_c` work too.
_sys.modules.setdefault("servnet.staffing", staffing)

__all__ = [
    "Assignment",
    "AssignmentPlan",
    "DataError",
    "DispatchSummary",
    "Dispatcher",
    "Explanation",
    "Forecast",
    "LedgerError",
    "Network",
    "NetworkPlan",
    "PlanningData",
    "Policy",
    "Result",
    "Scenario",
    "ServnetError",
    "SimulationResult",
    "Ticket",
    "Tickets",
    "Unassignable",
    "__version__",
    "assign",
    "compare_scenarios",
    "compare_with_sequential",
    "fit_repair_curves",
    "forecast",
    "frontier",
    "plan",
    "review",
    "schedule_campaign",
    "CampaignSchedule",
    "settle",
    "plot_repair_curves",
    "read_dir",
    "read_network_and_tickets",
    "read_tickets",
    "simulate",
    "simulate_many",
    "staffing",
    "capacitated_location",
    "to_geopandas",
    "coverage",
]
