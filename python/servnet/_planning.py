"""Assignment and planning: the Python face of ``servnet_core::assign`` and
``servnet_core::plan`` (forecast, outlet plan, simulation, scenarios).

Every call converts its arguments, runs the Rust engine on a worker thread with the GIL
released (Ctrl-C raises ``KeyboardInterrupt`` at once; the abandoned solve finishes in
the background within its time limit), and wraps the answer in a :class:`servnet.Result`
subclass: ``to_pandas()``, ``summary()``, ``repr``, ``_repr_html_``, pickle.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from servnet import _servnet
from servnet._results import Result

_PRIORITIES = ("emergency", "high", "normal", "low")


# --------------------------------------------------------------------------- progress


class _Progress:
    """A tqdm bar over elapsed seconds of one solve (``total`` = its time limit), or a
    no-op when not asked for or tqdm is not installed."""

    def __init__(self, enabled: bool, desc: str, total: Optional[float]) -> None:
        self.bar: Any = None
        if not enabled:
            return
        try:
            from tqdm.auto import tqdm
        except ImportError:  # pragma: no cover - tqdm is optional
            return
        self.bar = tqdm(total=round(total, 1) if total else None, desc=desc, unit="s",
                        bar_format="{desc}: {n:.1f}/{total} s |{bar}| {elapsed}")

    @property
    def callback(self) -> Optional[Callable[[float], None]]:
        return self._tick if self.bar is not None else None

    def _tick(self, elapsed: float) -> None:
        total = self.bar.total
        self.bar.n = round(min(elapsed, total) if total else elapsed, 1)
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            if self.bar.total:
                self.bar.n = self.bar.total
            self.bar.close()


def _run(progress: bool, desc: str, total: Optional[float], call: Callable[..., Any],
         *args: Any, **kwargs: Any) -> Any:
    bar = _Progress(progress, desc, total)
    try:
        return call(*args, progress=bar.callback, **kwargs)
    finally:
        bar.close()


def _options(**kwargs: Any) -> str:
    """Keyword options that were given, as the JSON object the Rust side lays over its
    defaults (unknown names raise ``DataError`` naming the option)."""
    out: Dict[str, Any] = {}
    for k, v in kwargs.items():
        if v is None:
            continue
        if hasattr(v, "to_json") and callable(v.to_json):  # e.g. a servnet.Policy
            v = json.loads(v.to_json())
        _check_finite(k, v)
        out[k] = v
    return json.dumps(out)


def _check_finite(name: str, v: Any) -> None:
    if isinstance(v, float) and not math.isfinite(v):
        raise _servnet.DataError(f"invalid argument '{name}': expected a finite number, got {v}")
    if isinstance(v, (list, tuple)):
        for x in v:
            _check_finite(name, x)
    if isinstance(v, dict):
        for k, x in v.items():
            _check_finite(f"{name}.{k}", x)


def _frame(records: List[Dict[str, Any]], columns: Sequence[str]) -> Any:
    import pandas as pd

    return pd.DataFrame.from_records(records, columns=list(columns))


# --------------------------------------------------------------------------- assignment

_ASSIGN_COLUMNS = ["ticket_id", "outlet_id", "day", "units", "score", "distance_km",
                   "late_days", "moved_from", "move_gain", "reason"]


def _reason(r: Any) -> str:
    if isinstance(r, dict):  # {"ineligible": "no_skill"} or {"quota": "q1"}
        kind, value = next(iter(r.items()))
        return f"quota:{value}" if kind == "quota" else str(value)
    return str(r)


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

    ``to_pandas()``: one row per ticket (``outlet_id`` / ``day`` empty and ``reason`` set
    for unassigned ones); ``summary()``: objective, lower_bound, gap, method, status,
    components, seconds, tickets, assigned, unassigned, mean_distance_km (and the
    sequential baseline's figures after :func:`compare_with_sequential`).
    """

    def __init__(self, plan: Dict[str, Any], sequential: Optional[Dict[str, Any]] = None) -> None:
        import pandas as pd

        rows = [dict(a, reason=None) for a in plan["assignments"]]
        rows += [{"ticket_id": t, "reason": _reason(r)} for t, r in plan["unassigned"]]
        table = _frame(rows, _ASSIGN_COLUMNS)
        table["day"] = pd.array(table["day"], dtype="Int64")
        for c in ("units", "late_days"):
            table[c] = pd.array(table[c], dtype="Int64")
        n = len(plan["assignments"])
        dist = sum(a["distance_km"] for a in plan["assignments"]) / n if n else 0.0
        figures: Dict[str, Any] = {
            "objective": plan["objective"],
            "lower_bound": plan["lower_bound"],
            "gap": plan["gap"],
            "method": plan["method"],
            "status": plan["status"],
            "components": plan["components"],
            "seconds": plan["seconds"],
            "tickets": n + len(plan["unassigned"]),
            "assigned": n,
            "unassigned": len(plan["unassigned"]),
            "mean_distance_km": dist,
        }
        self.sequential: Optional[Dict[str, Any]] = sequential
        if sequential is not None:
            figures["sequential_objective"] = sequential["objective"]
            figures["sequential_assigned"] = sequential["assigned"]
            figures["sequential_mean_distance_km"] = sequential["mean_distance_km"]
            figures["sequential_seconds"] = sequential["seconds"]
        super().__init__("AssignmentPlan", {"assignments": table}, figures)

    def __repr__(self) -> str:
        f = self.figures
        return (f"AssignmentPlan(tickets={f['tickets']}, assigned={f['assigned']}, "
                f"objective={f['objective']:.3f}, gap={100 * f['gap']:.4f}%, "
                f"method={f['method']!r}, status={f['status']!r}, seconds={f['seconds']:.3f})")


def _penalty(v: Any) -> Optional[List[float]]:
    if v is None:
        return None
    if isinstance(v, (int, float)):
        return [float(v)] * 4
    if isinstance(v, Mapping):
        bad = set(v) - set(_PRIORITIES)
        if bad:
            raise _servnet.DataError(
                f"unassigned_penalty: unknown priority {sorted(bad)}; expected {list(_PRIORITIES)}")
        default = [10_000.0, 3_000.0, 1_000.0, 500.0]
        return [float(v.get(p, d)) for p, d in zip(_PRIORITIES, default)]
    vals = [float(x) for x in v]
    if len(vals) != 4:
        raise _servnet.DataError(
            "unassigned_penalty: expected 4 values (emergency, high, normal, low)")
    return vals


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
    text = _run(progress, f"assign ({method})", time_limit, _servnet._assign, tickets,
                dispatcher, method, float(time_limit), opts)
    return AssignmentPlan(json.loads(text))


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
    text = _run(progress, f"assign ({method})", time_limit, _servnet._compare_with_sequential,
                tickets, network, policy, method, float(time_limit), opts)
    out = json.loads(text)
    return AssignmentPlan(out["plan"], out["sequential"])


# --------------------------------------------------------------------------- forecast


class Forecast(Result):
    """Expected tickets per region, skill and year (``servnet.forecast``).

    ``to_pandas()``: region, skill, year, tickets, peak_month, peak_day (rows with
    tickets > 0; peak_month is the region's busiest month of its total, peak_day the
    skill's tickets on a day of it); ``to_pandas("totals")``: per year, with the
    network's peak month and day, the sum of the regions' peak days, units in service
    and a column per service kind; ``to_pandas("sources")``: which inputs and rates
    each skill's demand came from; ``warnings``: the stated assumptions (sales
    extrapolated past the plan, missing inputs), also in ``summary()`` and ``repr``;
    ``plot()``: demand by year and service kind.
    """

    def __init__(self, core: "_servnet._Forecast") -> None:
        import pandas as pd

        self._core = core
        view = json.loads(core.view())
        rows = _frame(view["rows"], ["region", "skill", "year", "tickets", "peak_month",
                                     "peak_day"])
        totals = pd.DataFrame(
            [{"year": t["year"], "tickets": t["tickets"], "peak_month": t["peak_month"],
              "peak_day": t["peak_day"], "regional_peak_day": t["regional_peak_day"],
              "units_in_service": t["units_in_service"], **t["by_kind"]}
             for t in view["totals"]])
        sources = _frame(view["sources"], ["skill", "forecast", "rate", "inputs"])
        self.options: Dict[str, Any] = view["options"]
        self.warnings: List[str] = [w["message"] for w in view["warnings"]]
        figures: Dict[str, Any] = {}
        for t in view["totals"]:
            figures[f"tickets_{t['year']}"] = t["tickets"]
            figures[f"peak_day_{t['year']}"] = t["peak_day"]
            figures[f"peak_month_{t['year']}"] = t["peak_month"]
        figures["warnings"] = list(self.warnings)
        super().__init__("Forecast", {"forecast": rows, "totals": totals, "sources": sources},
                         figures)

    @property
    def years(self) -> List[int]:
        """The forecast years."""
        return [int(y) for y in self.tables["totals"]["year"]]

    def __repr__(self) -> str:
        parts = ", ".join(f"{int(r.year)}: {r.tickets:,.0f} tickets, peak day {r.peak_day:,.0f}"
                          for r in self.tables["totals"].itertuples())
        warn = f"; {len(self.warnings)} warning(s)" if self.warnings else ""
        return f"Forecast({len(self.tables['forecast'])} rows; {parts}{warn})"

    def plot(self, ax: Any = None, peak_day: bool = False) -> Any:
        """Stacked bars of demand by year and service kind (annual tickets, or the peak
        day's with ``peak_day=True``); years whose sales are extrapolated are marked
        with a hatch. Returns the matplotlib Axes."""
        import matplotlib.pyplot as plt

        df = self.tables["forecast"].copy()
        df["kind"] = df["skill"].str.split(":").str[0]
        value = "peak_day" if peak_day else "tickets"
        pivot = df.pivot_table(index="year", columns="kind", values=value, aggfunc="sum")
        if ax is None:
            _, ax = plt.subplots(figsize=(7, 4))
        pivot.plot.bar(stacked=True, ax=ax, rot=0)
        extrapolated = {int(w.split(":")[0]) for w in self.warnings
                        if "sales are extrapolated" in w and w.split(":")[0].isdigit()}
        for i, year in enumerate(pivot.index):
            if int(year) in extrapolated:
                ax.bar(i, pivot.loc[year].sum(), width=0.5, fill=False, hatch="//",
                       edgecolor="dimgrey", linewidth=0, label="_nolegend_", zorder=3)
        ax.set_xlabel("year" + ("  (hatched: sales extrapolated past the plan)"
                                if extrapolated else ""))
        ax.set_ylabel("peak-day tickets" if peak_day else "tickets per year")
        ax.set_title("Forecast demand by service kind")
        ax.legend(title="kind", bbox_to_anchor=(1.01, 1), loc="upper left")
        ax.figure.tight_layout()
        return ax


def forecast(
    planning: "_servnet.PlanningData",
    network: "_servnet.Network",
    start_year: int,
    years: int = 1,
    **options: Any,
) -> Forecast:
    """Expected tickets per region x skill x year from the installed base x repair
    curves (less retirements), the sales plan and the per-unit service rates, with the
    peak month and peak day.

    ``options`` override ``ForecastOptions`` fields: delivery_per_sale,
    install_per_sale, maintenance_per_unit, inspection_per_unit (default: the data's
    service_rates), repair_rate_factor, sales_factor, sales_after_plan ("flat",
    "growth" or "zero") with sales_growth, retirement, day_peak_factor (unknown names
    raise ``DataError``). Years outside the data's window (first installed-base vintage
    .. last sales-plan year + 10) raise ``DataError`` naming ``year`` or ``years``.

    >>> fc = servnet.forecast(planning, net, 2026, years=3)
    >>> fc.warnings[0]                                           # doctest: +SKIP
    '2027: the sales plan ends in 2026; sales are extrapolated: ...'
    """
    rule = options.get("sales_after_plan")
    if rule is not None and rule not in ("flat", "growth", "zero"):
        raise _servnet.DataError(f"invalid argument 'sales_after_plan': expected flat, growth "
                                 f"or zero, got {rule!r}")
    core = _servnet._forecast(planning, network, int(start_year), int(years), _options(**options))
    return Forecast(core)


# --------------------------------------------------------------------------- repair curves

_CURVE_COLUMNS = ["model", "category", "age", "rate", "rate_lo", "rate_hi", "observed",
                  "observed_lo", "observed_hi", "exposure", "repairs"]


def fit_repair_curves(
    planning: "_servnet.PlanningData",
    network: "_servnet.Network",
    *,
    plot: bool = False,
    **options: Any,
) -> Any:
    """Repair rates by model and age estimated from the planning data's repair history,
    with the installed base as exposure: Weibull and bathtub curves fitted by maximum
    likelihood, chosen by AIC, sparse models pooled toward their category.

    Returns a DataFrame with one row per model and age: model, category, age, rate,
    rate_lo, rate_hi (the fitted rate and its 95% interval), observed, observed_lo,
    observed_hi (repairs / exposure with its exact-Poisson 95% interval), exposure,
    repairs. ``df.attrs["curves"]`` holds one row per model (family, source, parameters,
    AIC of each family, prior_weight, exposure, repairs) and ``df.attrs["warnings"]``
    what could not be used. ``plot=True`` also draws :func:`plot_repair_curves`.
    ``options`` override ``FitOptions``: max_age, prior_sd, min_repairs, retirement.

    Feed the result to the forecast with ``planning.with_repair_curves(df)``.
    """
    import pandas as pd

    fit = json.loads(_servnet._fit_repair_curves(planning, network, _options(**options)))
    df = _frame(fit["cells"], _CURVE_COLUMNS)
    for c in ("observed", "observed_lo", "observed_hi"):
        df[c] = df[c].astype(float)
    curves = pd.DataFrame([
        {"model": m["model"], "category": m["category"], "curve": m["curve"],
         "source": m["source"], "aic_weibull": m["aic_weibull"], "aic_bathtub": m["aic_bathtub"],
         "prior_weight": m["prior_weight"], "exposure": m["exposure"], "repairs": m["repairs"],
         **m["params"]} for m in fit["models"]])
    df.attrs["curves"] = curves
    df.attrs["warnings"] = list(fit["warnings"])
    if plot:
        plot_repair_curves(df)
    return df


def plot_repair_curves(
    fit: Any,
    models: Optional[Sequence[str]] = None,
    reference: Optional["_servnet.PlanningData"] = None,
    cols: int = 4,
) -> Any:
    """Small multiples, one per model: observed rates (points, with their 95% intervals)
    against the fitted curve (line, with its 95% band); ``reference`` (a PlanningData)
    adds its input curves as a dashed line (e.g. the curves a synthetic history was
    drawn from). Returns the matplotlib Figure."""
    import matplotlib.pyplot as plt

    names = list(models) if models is not None else list(dict.fromkeys(fit["model"]))
    if not names:
        raise ValueError("no models to plot")
    ref = reference.repair_rates(int(fit["age"].max())) if reference is not None else {}
    rows = (len(names) + cols - 1) // cols
    fig, axes = plt.subplots(rows, min(cols, len(names)), figsize=(3.2 * min(cols, len(names)),
                             2.6 * rows), sharex=True, squeeze=False)
    curves = fit.attrs.get("curves")
    family = dict(zip(curves["model"], curves["curve"])) if curves is not None else {}
    for ax, name in zip(axes.flat, names):
        d = fit[fit["model"] == name]
        ax.fill_between(d["age"], d["rate_lo"], d["rate_hi"], color="tab:blue", alpha=0.2,
                        label="fitted 95%")
        ax.plot(d["age"], d["rate"], color="tab:blue", label=f"fitted ({family.get(name, '')})")
        o = d[d["observed"].notna()]
        ax.errorbar(o["age"], o["observed"], yerr=[o["observed"] - o["observed_lo"],
                    o["observed_hi"] - o["observed"]], fmt="o", ms=3, color="black",
                    elinewidth=0.8, label="observed 95%")
        if name in ref:
            ax.plot(range(len(ref[name])), ref[name], "--", color="tab:red", label="input curve")
        ax.set_title(name, fontsize=9)
        ax.set_ylim(bottom=0)
    for ax in list(axes.flat)[len(names):]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("age (years)")
    for ax in axes[:, 0]:
        ax.set_ylabel("repairs per unit-year")
    axes.flat[0].legend(fontsize=7)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- plan

_DECISION_STYLE = {
    # label: (marker, colour, size scale)
    "kept": ("o", "tab:blue"),
    "new": ("*", "tab:green"),
    "closed": ("x", "tab:red"),
}


class NetworkPlan(Result):
    """A located and sized outlet network (``servnet.plan``).

    ``to_pandas()``: one row per site (the CLI's plan.csv columns); ``to_pandas(
    "regions")``: one row per region with its point, peak-day demand, commitment
    radius, distance and share covered; ``summary()``: the plan totals (what ``servnet
    plan`` prints); ``plot()``: a map.
    """

    def __init__(self, core: "_servnet._NetworkPlan", network: Optional["_servnet.Network"] = None) -> None:
        import pandas as pd

        self._core = core
        view = json.loads(core.view())
        sites = pd.DataFrame.from_records(view["sites"])
        regions = pd.DataFrame.from_records(view["regions"])
        if network is not None and len(regions):
            pts = network.regions()[["code", "lon", "lat"]].rename(columns={"code": "region"})
            regions = regions.merge(pts, on="region", how="left")
        totals = dict(view["totals"])
        model = totals.pop("model")
        if isinstance(model, dict):
            name, args = next(iter(model.items()))
            totals["model"] = name.replace("_", "")
            totals["p"] = args.get("p")
        else:
            totals["model"] = str(model).replace("_", "")
            totals["p"] = None
        totals["by_tier"] = {str(k): v for k, v in totals["by_tier"].items()}
        order = ["model", "p", "year", "open", "kept", "closed", "new", "technicians", "cost",
                 "fixed_cost", "module_cost", "travel_cost", "demand", "covered_share",
                 "status", "method", "gap", "solve_seconds", "rounds", "by_tier"]
        figures = {k: totals[k] for k in order if k in totals}
        figures.update({k: v for k, v in totals.items() if k not in figures})
        super().__init__("NetworkPlan", {"sites": sites, "regions": regions}, figures)

    def sites_csv(self) -> str:
        """The per-site table exactly as ``servnet plan --out`` writes it."""
        return str(self._core.sites_csv())

    def __repr__(self) -> str:
        f = self.figures
        return (f"NetworkPlan({f['model']}, {f['year']}: {f['open']} open ({f['kept']} kept, "
                f"{f['new']} new), {f['closed']} closed, {f['technicians']} technicians, "
                f"cost {f['cost'] / 1e6:,.1f} M, covered {100 * f['covered_share']:.1f}%, "
                f"{f['status']} by {f['method']} in {f['solve_seconds']:.2f} s)")

    def plot(self, ax: Any = None, radii: bool = True, assignments: bool = True,
             closed: bool = True) -> Any:
        """A map of the plan: demand points (regions) sized by peak-day volume, outlets
        sized by capacity with kept / new / closed in distinct styles, each region's
        commitment radius (``radii``) and lines from regions to the sites serving them
        (``assignments``). Returns the matplotlib Axes."""
        import matplotlib.pyplot as plt
        from matplotlib.collections import LineCollection, PatchCollection
        from matplotlib.patches import Ellipse

        sites = self.tables["sites"]
        regions = self.tables["regions"]
        if ax is None:
            _, ax = plt.subplots(figsize=(9, 8))
        has_points = "lon" in regions.columns
        if has_points and radii:
            patches = []
            for r in regions.itertuples():
                if not (r.radius_km > 0 and math.isfinite(r.radius_km)):
                    continue
                dlat = r.radius_km / 111.2
                dlon = dlat / max(math.cos(math.radians(r.lat)), 0.01)
                patches.append(Ellipse((r.lon, r.lat), 2 * dlon, 2 * dlat))
            ax.add_collection(PatchCollection(patches, facecolor="none", edgecolor="0.6",
                                              linewidth=0.4, alpha=0.5, zorder=1))
        if has_points and assignments:
            segs = []
            for r in regions.itertuples():
                for i, _share in r.served_by:
                    if 0 <= i < len(sites):
                        s = sites.iloc[i]
                        segs.append([(r.lon, r.lat), (s["lon"], s["lat"])])
            ax.add_collection(LineCollection(segs, colors="tab:purple", linewidths=0.5,
                                             alpha=0.5, zorder=2))
        if has_points:
            vol = regions["peak_day"].clip(lower=0)
            size = 4 + 200 * (vol / vol.max()) if vol.max() > 0 else 10
            ax.scatter(regions["lon"], regions["lat"], s=size, c="tab:orange", alpha=0.5,
                       edgecolors="none", label="demand (peak day)", zorder=3)
        cap_max = max(float(sites["capacity"].max()), 1.0) if len(sites) else 1.0
        groups = {
            "kept": sites[sites["decision"] == "keep"],
            "new": sites[(sites["decision"] == "open")],
            "closed": sites[(sites["decision"] == "close") & (sites["rule"] != "new")],
        }
        for label, df in groups.items():
            if label == "closed" and not closed:
                continue
            marker, colour = _DECISION_STYLE[label]
            size = 12 if label == "closed" else 10 + 250 * df["capacity"] / cap_max
            ax.scatter(df["lon"], df["lat"], s=size, marker=marker, c=colour,
                       linewidths=0.8, label=f"{label} ({len(df)})", zorder=4)
        ax.set_xlabel("longitude")
        ax.set_ylabel("latitude")
        ax.set_aspect(1.2)
        ax.autoscale_view()
        f = self.figures
        ax.set_title(f"{f['model']} plan {f['year']}: {f['open']} outlets, "
                     f"{100 * f['covered_share']:.1f}% covered")
        ax.legend(loc="lower right", fontsize="small", markerscale=0.7)
        return ax


def plan(
    network: "_servnet.Network",
    forecast: Forecast,
    model: str = "cover",
    p: Optional[int] = None,
    time_limit: float = 20.0,
    response: bool = False,
    progress: bool = False,
    year: Optional[int] = None,
    **options: Any,
) -> NetworkPlan:
    """Plans the outlet network for one forecast year (``plan_network``): which existing
    outlets to keep or close, where to open new ones (``model``: cover = fewest sites
    within every region's commitment radius, maxcover / pmedian with ``p`` sites,
    cflp = capacitated with size modules), and technicians per site.

    ``year`` defaults to the forecast's first year; ``response=True`` also sizes for the
    response-time target (Erlang C); ``progress=True`` shows a tqdm bar. ``options``
    override ``PlanOptions`` fields, nested ones as dicts: e.g. ``costs={"new_fixed_cost":
    5e5}``, ``staffing={"utilisation_target": 0.8}``, ``new_sites=False``,
    ``tier_radius_factor=[1, 1, 1.5]``, ``solve={"seed": 7}``.

    >>> p = servnet.plan(net, fc, model="pmedian", p=400)
    >>> p.summary()["open"]
    400
    """
    if not isinstance(forecast, Forecast):
        raise TypeError("forecast: expected a servnet.Forecast (from servnet.forecast)")
    core = _run(progress, f"plan ({model})", time_limit, _servnet._plan, network,
                forecast._core, model, p, year, float(time_limit), bool(response),
                _options(**options))
    return NetworkPlan(core, network)


# --------------------------------------------------------------------------- simulation


class SimulationResult(Result):
    """Dispatch of a drawn peak month (or given tickets) against a plan
    (``servnet.simulate``). ``summary()`` / ``to_pandas()``: tickets, assigned,
    sla_met_share, unassigned (by reason), bookings by route, mean distance and the
    utilisation quantiles of open outlets (min, p10, median, p90, max)."""

    def __init__(self, sim: Dict[str, Any]) -> None:
        figures = dict(sim)
        util = figures.pop("utilisation")
        for name, v in zip(("min", "p10", "median", "p90", "max"), util):
            figures[f"utilisation_{name}"] = v
        super().__init__("SimulationResult", {}, figures)

    def __repr__(self) -> str:
        f = self.figures
        return (f"SimulationResult(tickets={f['tickets']}, days={f['days']}, "
                f"sla_met={100 * f['sla_met_share']:.1f}%, unassigned={f['unassigned']}, "
                f"mean_distance_km={f['mean_distance_km']:.2f}, "
                f"utilisation_median={100 * f['utilisation_median']:.0f}%)")


def simulate(
    network: "_servnet.Network",
    plan: NetworkPlan,
    forecast: Optional[Forecast] = None,
    days: int = 1,
    sample: float = 0.1,
    seed: int = 1,
    tickets: Any = None,
    progress: bool = False,
    **options: Any,
) -> SimulationResult:
    """Dispatches the first ``days`` of the plan year's peak month, drawn from
    ``forecast`` (a ``sample`` share of the tickets against the same share of every
    outlet's capacity, seeded), against the plan's open outlets; or replays
    ``tickets`` (a Tickets, DataFrame or path) instead. ``options``: jitter_km,
    new_skill_cost, policy (a :class:`Policy`).

    >>> s = servnet.simulate(net, p, fc, days=1, sample=0.1)
    >>> s.summary()["tickets"]
    3172
    """
    if not isinstance(plan, NetworkPlan):
        raise TypeError("plan: expected a servnet.NetworkPlan (from servnet.plan)")
    fc = forecast._core if forecast is not None else None
    text = _run(progress, "simulate", None, _servnet._simulate, network, plan._core, fc,
                int(days), float(sample), int(seed), tickets, _options(**options))
    return SimulationResult(json.loads(text))


# --------------------------------------------------------------------------- scenarios


@dataclass
class Scenario:
    """Changed inputs of a what-if run: repair rates and the sales plan scaled, each
    tier's (A, B, C) commitment radius scaled.

    >>> servnet.Scenario("more repairs", repair_rate_factor=1.2)
    Scenario(name='more repairs', repair_rate_factor=1.2, sales_factor=1.0, tier_radius_factor=(1.0, 1.0, 1.0))
    """

    name: str = "base"
    repair_rate_factor: float = 1.0
    sales_factor: float = 1.0
    tier_radius_factor: Tuple[float, float, float] = field(default=(1.0, 1.0, 1.0))

    def to_json(self) -> str:
        d = asdict(self)
        d["tier_radius_factor"] = [float(x) for x in self.tier_radius_factor]
        return json.dumps(d)


def compare_scenarios(
    planning: "_servnet.PlanningData",
    network: "_servnet.Network",
    scenarios: Iterable[Union[Scenario, str]],
    start_year: int,
    years: int = 1,
    model: str = "cover",
    p: Optional[int] = None,
    time_limit: float = 20.0,
    response: bool = False,
    days: int = 1,
    sample: float = 0.1,
    seed: int = 1,
    year: Optional[int] = None,
    progress: bool = False,
    forecast_options: Optional[Dict[str, Any]] = None,
    plan_options: Optional[Dict[str, Any]] = None,
    sim_options: Optional[Dict[str, Any]] = None,
    return_plans: bool = False,
) -> Any:
    """Runs each scenario through forecast, plan and a simulated peak month (one after
    the other, each solve using both cores) and returns one row per scenario, side by
    side: tickets, peak_day, outlets_open, closed, new, technicians, cost,
    covered_share, sla_met_share, unassigned, utilisation_median (index: name).
    With ``return_plans=True`` returns ``(frame, {name: NetworkPlan})``.

    >>> servnet.compare_scenarios(planning, net, [servnet.Scenario("base"),
    ...     servnet.Scenario("growth", sales_factor=1.3)], 2026, model="cover")  # doctest: +SKIP
    """
    import pandas as pd

    items = [s if isinstance(s, Scenario) else Scenario(str(s)) for s in scenarios]
    outer = None
    if progress:
        try:
            from tqdm.auto import tqdm

            outer = tqdm(total=len(items), desc="scenarios", unit="scenario")
        except ImportError:  # pragma: no cover
            outer = None
    rows = []
    plans: Dict[str, NetworkPlan] = {}
    try:
        for s in items:
            if outer is not None:
                outer.set_postfix_str(s.name)
            text, core = _servnet._run_scenario(
                planning, network, s.to_json(), int(start_year), int(years), model, p, year,
                float(time_limit), bool(response), int(days), float(sample), int(seed),
                json.dumps(forecast_options or {}), json.dumps(plan_options or {}),
                json.dumps(sim_options or {}))
            rows.append(json.loads(text)["row"])
            if return_plans:
                plans[s.name] = NetworkPlan(core, network)
            if outer is not None:
                outer.update(1)
    finally:
        if outer is not None:
            outer.close()
    frame = pd.DataFrame.from_records(rows)
    if len(frame):
        frame = frame.set_index("name")
    return (frame, plans) if return_plans else frame
