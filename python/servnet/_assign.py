"""Batch assignment: the Python face of ``servnet_core::assign`` (``servnet.assign``,
``servnet.compare_with_sequential`` and their result, :class:`AssignmentPlan`)."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Mapping, Optional

from servnet import _servnet
from servnet._calls import _options, _run
from servnet._results import Result


def _quotas(v: Any) -> Optional[List[Dict[str, Any]]]:
    """Region quotas as the Rust side reads them: a list of dicts (id, regions, outlets,
    max_units) or a DataFrame with those columns (regions / outlets as lists)."""
    if v is None:
        return None
    if hasattr(v, "to_dict") and hasattr(v, "columns"):
        v = v.to_dict("records")
    out = []
    for q in v:
        q = dict(q)
        for k in ("regions", "outlets"):
            if k in q and isinstance(q[k], str):
                q[k] = [q[k]]
            elif k in q and q[k] is not None:
                q[k] = [str(x) for x in q[k]]
        out.append(q)
    return out


class AssignmentPlan(Result):
    """The joint assignment of a backlog (``servnet.assign``).

    ``to_pandas()``: one row per ticket (``outlet_id`` / ``day`` / ``date`` empty and
    ``reason`` set for unassigned ones; ``date`` is ``day``'s calendar date); ``summary()``: objective, lower_bound, gap, method, status,
    components, seconds, tickets, assigned, unassigned, mean_distance_km (and the
    sequential baseline's figures after :func:`compare_with_sequential`).
    """

    def __init__(self, core: "_servnet._AssignmentPlan", tickets: Any = None,
                 network: Any = None) -> None:
        self._core = core
        # Where the tickets and outlets are, for to_geopandas() (`network`: a Network or
        # the Dispatcher the plan ran on); references only, not pickled.
        self._tickets = tickets
        self._network = network
        # The rows cross as columns (no Python dict per ticket): core.frame(); the
        # figures alone as JSON.
        plan = json.loads(core.figures())
        sequential = plan["sequential"]
        table = core.frame()
        n = plan["assigned"]
        figures: Dict[str, Any] = {
            "objective": plan["objective"],
            "lower_bound": plan["lower_bound"],
            "gap": plan["gap"],
            "method": plan["method"],
            "status": plan["status"],
            "components": plan["components"],
            "seconds": plan["seconds"],
            "tickets": n + plan["unassigned"],
            "assigned": n,
            "unassigned": plan["unassigned"],
            "mean_distance_km": plan["mean_distance_km"],
        }
        self.sequential: Optional[Dict[str, Any]] = sequential
        if sequential is not None:
            figures["sequential_objective"] = sequential["objective"]
            figures["sequential_assigned"] = sequential["assigned"]
            figures["sequential_mean_distance_km"] = sequential["mean_distance_km"]
            figures["sequential_seconds"] = sequential["seconds"]
        super().__init__("AssignmentPlan", {"assignments": table}, figures)

    def to_geopandas(self, geometry: str = "lines", tickets: Any = None,
                     network: Optional["_servnet.Network"] = None) -> Any:
        """The assignments as a GeoDataFrame in EPSG:4326 (needs the ``geo`` extra): every
        column of ``to_pandas()`` (ids, ``distance_km``, ``score``: the objective's cost
        of the choice, ...) and ``geometry``: ``"lines"`` (default) a LineString from the
        ticket to its outlet (a Point at the ticket when unassigned), ``"tickets"`` /
        ``"outlets"`` a Point at either end. Places by id from the tickets and network
        the plan was made from (or those given). Write it with ``.to_file(...geojson)``
        or ``.to_parquet(...)`` (GeoParquet)."""
        from servnet._geo import to_geopandas

        tickets = tickets if tickets is not None else self.__dict__.get("_tickets")
        network = network if network is not None else self.__dict__.get("_network")
        if tickets is None or network is None:
            raise ValueError("to_geopandas: this plan does not know its tickets and network "
                             "(e.g. after unpickling); pass tickets= and network=")
        if not hasattr(network, "outlets"):
            network = network.network
        return to_geopandas(self.tables["assignments"], tickets, network, geometry)

    def __getstate__(self) -> Dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_tickets", None)
        state.pop("_network", None)
        return state

    def __repr__(self) -> str:
        f = self.figures
        return (f"AssignmentPlan(tickets={f['tickets']}, assigned={f['assigned']}, "
                f"objective={f['objective']:.3f}, gap={100 * f['gap']:.4f}%, "
                f"method={f['method']!r}, status={f['status']!r}, seconds={f['seconds']:.3f})")


def _penalty(v: Any) -> Any:
    """``unassigned_penalty`` as JSON data: one number, 4 numbers or a dict by priority
    (the Rust side reads each form and names a bad value)."""
    if v is None or isinstance(v, (int, float)):
        return v
    if isinstance(v, Mapping):
        return dict(v)
    return list(v)


def _current(v: Any) -> Optional[Dict[str, str]]:
    """``current`` as ticket id -> outlet id: a dict, or a frame with ticket_id and
    outlet_id columns (e.g. ``Dispatcher.dispatch_frame`` output; rows without an
    outlet are skipped)."""
    if v is None:
        return None
    if hasattr(v, "columns"):
        missing = {"ticket_id", "outlet_id"} - set(v.columns)
        if missing:
            raise _servnet.DataError(f"current: missing column(s) {sorted(missing)}")
        out = {}
        for t, o in zip(v["ticket_id"], v["outlet_id"]):
            if isinstance(o, str):
                out[str(t)] = o
        return out
    return {str(k): str(o) for k, o in dict(v).items()}


def assign(
    tickets: Any,
    dispatcher: "_servnet.Dispatcher",
    method: str = "auto",
    time_limit: float = 10.0,
    unassigned_penalty: Any = None,
    current: Any = None,
    move_cost: Optional[float] = None,
    late_days: Optional[int] = None,
    lateness_per_day: Optional[float] = None,
    quotas: Any = None,
    gap_tolerance: Optional[float] = None,
    progress: bool = False,
) -> AssignmentPlan:
    """Re-assigns a backlog jointly over the dispatcher's network, policy and ledger
    loads (``servnet_core::assign``): exact min-cost flow for unit tickets, MIP (HiGHS)
    or a heuristic with a proven lower bound otherwise.

    ``tickets``: a :class:`Tickets` or a DataFrame with the tickets.csv columns (they
    must not be booked in ``dispatcher``'s ledger already). ``method``: auto, flow, mip
    or heuristic. ``unassigned_penalty``: score points for leaving a ticket out, one
    number, 4 numbers or a dict by priority (default 10000/3000/1000/500).
    ``current``: promised tickets (dict ticket -> outlet, or a ``dispatch_frame``
    result); moving one costs ``move_cost`` points (default 20). ``late_days``: days
    past the SLA a ticket may be planned on, at ``lateness_per_day`` points each.
    ``quotas``: region quotas, a list of dicts (or a DataFrame) with ``id``,
    ``regions`` (codes), ``outlets`` (ids; empty: all) and ``max_units`` (per day);
    tickets a quota keeps out get the reason ``quota:<id>``. ``gap_tolerance``: the
    relative gap at which auto / mip stop (default 0.0005; 0 proves optimality within
    the time limit).

    >>> d = servnet.Dispatcher(net)
    >>> plan = servnet.assign(tickets, d, method="heuristic")
    >>> plan.summary()["status"]
    'feasible'
    >>> plan.to_pandas().columns[:3].tolist()
    ['ticket_id', 'outlet_id', 'day']
    """
    opts = _options(unassigned_penalty=_penalty(unassigned_penalty), current=_current(current),
                    move_cost=move_cost, late_days=late_days,
                    lateness_per_day=lateness_per_day, quotas=_quotas(quotas),
                    gap_tolerance=gap_tolerance)
    core = _run(progress, f"assign ({method})", time_limit, _servnet._assign, tickets,
                dispatcher, method, float(time_limit), opts, figures=_bar_figures)
    return AssignmentPlan(core, tickets, dispatcher)


def _bar_figures(core: "_servnet._AssignmentPlan") -> Dict[str, Any]:
    return dict(json.loads(core.figures()))


def compare_with_sequential(
    tickets: Any,
    network: "_servnet.Network",
    policy: Optional["_servnet.Policy"] = None,
    method: str = "auto",
    time_limit: float = 10.0,
    unassigned_penalty: Any = None,
    current: Any = None,
    move_cost: Optional[float] = None,
    late_days: Optional[int] = None,
    lateness_per_day: Optional[float] = None,
    quotas: Any = None,
    gap_tolerance: Optional[float] = None,
    progress: bool = False,
) -> AssignmentPlan:
    """Plans ``tickets`` jointly on a fresh dispatcher over ``network`` and dispatches
    them one by one in arrival order, both under ``policy`` without fallbacks, scored
    with the same objective (what ``servnet assign DIR`` prints). The plan's
    ``summary()`` adds ``sequential_objective``, ``sequential_assigned``,
    ``sequential_mean_distance_km``, ``sequential_seconds``.

    >>> p = servnet.compare_with_sequential(tickets, net, method="heuristic")
    >>> p.summary()["objective"] <= p.summary()["sequential_objective"]
    True
    """
    opts = _options(unassigned_penalty=_penalty(unassigned_penalty), current=_current(current),
                    move_cost=move_cost, late_days=late_days,
                    lateness_per_day=lateness_per_day, quotas=_quotas(quotas),
                    gap_tolerance=gap_tolerance)
    core = _run(progress, f"assign ({method})", time_limit, _servnet._compare_with_sequential,
                tickets, network, policy, method, float(time_limit), opts, figures=_bar_figures)
    return AssignmentPlan(core, tickets, network)
