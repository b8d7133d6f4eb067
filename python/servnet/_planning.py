"""Planning: the Python face of ``servnet_core::plan`` (forecast, repair curves, outlet
plan, simulation, scenarios).

Every call converts its arguments, runs the Rust engine on a worker thread with the GIL
released (``servnet._calls``), and wraps the answer in a :class:`servnet.Result`
subclass: ``to_pandas()``, ``summary()``, ``repr``, ``_repr_html_``, pickle.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Union

from servnet import _fanout, _servnet
from servnet._calls import _frame, _options, _outer_bar, _run
from servnet._results import Result


def __getattr__(name: str) -> Any:
    # Pickles made before AssignmentPlan moved to servnet._assign name it here.
    if name == "AssignmentPlan":
        from servnet._assign import AssignmentPlan

        return AssignmentPlan
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    campaigns: Any = True,
    **options: Any,
) -> Forecast:
    """Expected tickets per region x skill x year from the installed base x repair
    curves (less retirements), the sales plan and the per-unit service rates, with the
    peak month and peak day.

    ``campaigns``: proactive campaigns counted as demand, as ``servnet plan`` counts
    them: ``True`` (default) the planning data's (its folder's campaigns.csv, see
    ``planning.campaigns``), ``False`` none (``--no-campaigns``), or a campaigns file
    path or DataFrame (``--campaigns F``). A campaign adds its work to its skill in
    its regions and months (docs/formats.md, campaigns.csv); the plan sizes what the
    forecast counts. ``to_pandas("sources")`` names the campaigns counted.

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
    if hasattr(campaigns, "__fspath__"):
        campaigns = str(campaigns)
    core = _servnet._forecast(planning, network, int(start_year), int(years),
                              _options(**options), campaigns)
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

_FRONTIER_COLUMNS = ["n_outlets", "open", "kept", "new", "closed", "technicians", "annual_cost",
                     "fixed_cost", "technician_cost", "travel_cost", "open_close_cost",
                     "served_share", "served_a", "served_b", "served_c", "mean_response_hours",
                     "p95_response_hours", "gap", "replay_sla_met_share", "replay_mean_km",
                     "replay_unassigned", "meets_targets", "efficient"]


def _frontier_records(rows: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    out = []
    for r in rows:
        r = dict(r)
        a, b, c = r.pop("served_by_tier")
        r.update(served_a=a, served_b=b, served_c=c)
        out.append(r)
    return out


try:  # pandas is a dependency of the DataFrame API; the engine itself does not need it
    import pandas as _pd
except ImportError:  # pragma: no cover
    _pd = None


if _pd is not None:

    class FrontierFrame(_pd.DataFrame):
        """The cost-service frontier: one row per outlet count (``servnet.frontier``).

        A pandas DataFrame (columns as ``servnet plan --frontier``: n_outlets,
        annual_cost, served_share, served_a/b/c, response hours, gap, replay figures,
        meets_targets, efficient) whose ``plot()`` draws annual cost and served share
        against the outlet count, the recommended count marked. ``attrs`` holds
        ``recommended_outlets``, ``recommendation`` and ``today`` (today's network).
        """

        @property
        def _constructor(self) -> Any:
            return FrontierFrame

        def plot(self, ax: Any = None, **kwargs: Any) -> Any:  # type: ignore[override]
            """Annual cost (bars, left axis) and served share / replay SLA (lines,
            right axis) by outlet count; the recommended count and today's cost marked.
            Returns the matplotlib Axes of the cost."""
            import matplotlib.pyplot as plt

            df = self.sort_values("n_outlets")
            own = ax is None
            if ax is None:
                _, ax = plt.subplots(figsize=(9, 5.2))
            rec = self.attrs.get("recommended_outlets")
            colours = ["tab:green" if n == rec else ("tab:blue" if e else "0.7")
                       for n, e in zip(df["n_outlets"], df["efficient"])]
            step = df["n_outlets"].diff().median() if len(df) > 1 else 10.0
            width = max(1.0, 0.6 * float(step if step == step else 10.0))
            ax.bar(df["n_outlets"], df["annual_cost"] / 1e6, width=width, color=colours,
                   label="annual cost (green: recommended; blue: no cheaper count serves more)")
            today = self.attrs.get("today") or {}
            if today.get("annual_cost"):
                ax.axhline(today["annual_cost"] / 1e6, color="tab:red", linestyle="--",
                           linewidth=1, label="today's network")
            lo = float(df["annual_cost"].min()) / 1e6
            hi = max(float(df["annual_cost"].max()) / 1e6, today.get("annual_cost", 0) / 1e6)
            ax.set_ylim(lo - 0.15 * (hi - lo + 1), hi + 0.1 * (hi - lo + 1))
            ax.set_xlabel("outlets open")
            ax.set_ylabel("annual cost, M")
            ax2 = ax.twinx()
            ax2.plot(df["n_outlets"], 100 * df["served_share"], "o-", color="tab:orange",
                     label="forecast peak day served in commitment")
            if df["replay_sla_met_share"].notna().any():
                ax2.plot(df["n_outlets"], 100 * df["replay_sla_met_share"], "s--",
                         color="tab:brown", markersize=4, label="replay: SLA met")
            ax2.set_ylabel("%")
            h1, l1 = ax.get_legend_handles_labels()
            h2, l2 = ax2.get_legend_handles_labels()
            ax.legend(h1 + h2, l1 + l2, loc="upper center", bbox_to_anchor=(0.5, -0.13),
                      ncol=2, fontsize="small", frameon=False)
            if own:
                ax.figure.subplots_adjust(bottom=0.27)
            title = "Cost-service frontier"
            if rec is not None:
                title += f": {rec} outlets recommended"
            ax.set_title(title)
            return ax


def _frontier_frame(rows: List[Dict[str, Any]], attrs: Dict[str, Any]) -> Any:
    df = FrontierFrame.from_records(_frontier_records(rows), columns=_FRONTIER_COLUMNS)
    df.attrs.update(attrs)
    return df


_COMPARE = [
    ("outlets open", "outlets"),
    ("technicians (sized for the forecast)", "technicians"),
    ("annual cost", "annual_cost"),
    ("forecast peak day served in commitment", "served_share"),
    ("mean response hours", "mean_response_hours"),
    ("replay: tickets", "tickets"),
    ("replay: SLA met share", "sla_met_share"),
    ("replay: mean km", "mean_km"),
    ("replay: p95 km", "p95_km"),
    ("replay: via fallback", "fallbacks"),
    ("replay: unassigned", "unassigned"),
]


class NetworkPlan(Result):
    """An outlet plan (``servnet.plan``): how many outlets, where, how large, proven by
    replaying the real tickets next to today's network.

    ``to_pandas()``: one row per site (the CLI's plan.csv: decision keep / grow / shrink /
    close / open, technicians today and planned, demand, tickets taken over, cost,
    reason); ``to_pandas("regions")``: per region; ``to_pandas("frontier")`` or
    :attr:`frontier`: the cost-service frontier (auto model); ``to_pandas("cells")``: the
    demand cells (H3 index, point, peak day, share served, serving site);
    ``to_pandas("packages")``: peak-day demand, radius, response hours and share served
    today and in the plan by service commitment; ``to_pandas("service_cost")``: the
    replay's fees and travel by network (today / plan) x kind x tier (the sites carry
    ``today_service_cost`` and ``replay_service_cost``, listed fees + travel);
    ``to_pandas("package_replay")``: SLA met by package, today and planned; :meth:`comparison`: today,
    today's outlets re-sized, and the plan side by side; ``summary()``: totals,
    ``recommended_outlets``, ``recommendation``, ``replay``, ``current`` and ``resized``;
    ``plot()``: a map.
    """

    def __init__(self, core: "_servnet._NetworkPlan", network: Optional["_servnet.Network"] = None) -> None:
        import pandas as pd

        self._core = core
        self._network = network
        self._borders: Optional[List[Dict[str, Any]]] = None
        view = json.loads(core.view())
        sites = pd.DataFrame.from_records(view["sites"])
        for col in ("categories", "takes_over_from"):
            if col in sites.columns:
                sites[col] = sites[col].map(";".join)
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
        rec = view.get("recommendation") or {}
        order = ["model", "p", "year", "open", "kept", "closed", "new", "technicians", "cost",
                 "fixed_cost", "technician_cost", "travel_cost", "open_close_cost", "demand",
                 "served_share", "mean_response_hours", "p95_response_hours", "status",
                 "objective", "lower_bound", "gap", "solve_seconds", "by_tier"]
        figures: Dict[str, Any] = {k: totals[k] for k in order if k in totals}
        figures.update({k: v for k, v in totals.items() if k not in figures})
        figures.update(
            demand_points=view["demand_points"], demand_cells=view["demand_cells"],
            candidates=view["candidates"], pairs=view["pairs"],
            recommended_outlets=view["recommended_outlets"],
            recommendation=rec.get("reason"),
            replay=view["replay"], current=view["current"],
            resized=view.get("resized", view["current"]))
        frontier = _frontier_frame(view["frontier"], {
            "recommended_outlets": view["recommended_outlets"],
            "recommendation": rec.get("reason"), "today": view["current"]})
        cells = pd.DataFrame.from_records(view.get("cells", []),
                                          columns=["cell", "region", "lon", "lat", "peak_day",
                                                   "served_share", "site"])
        # Coverage by service commitment, the replay's service cost (network x kind x
        # tier) and the replay by package (empty without packages / tickets).
        extra = {k: pd.DataFrame.from_records(view.get(k) or [])
                 for k in ("packages", "service_cost", "package_replay")}
        super().__init__("NetworkPlan", {"sites": sites, "regions": regions,
                                         "frontier": frontier, "cells": cells, **extra}, figures)

    @property
    def frontier(self) -> Any:
        """The cost-service frontier (a DataFrame with ``plot()``; empty unless auto)."""
        return self.tables["frontier"]

    def comparison(self) -> Any:
        """Today's network, today's outlets re-sized for the forecast like the plan, and
        the plan, side by side: outlets, technicians and annual cost under the same
        forecast and costs, and the replay of the real tickets (SLA met, mean and p95 km,
        fallbacks, unassigned). ``today`` replays today's capacities; ``today_resized``
        separates what resizing gives from what moving outlets gives."""
        import pandas as pd

        f = self.figures
        cols = {"today": f["current"], "today_resized": f["resized"], "plan": f["replay"]}
        return pd.DataFrame({c: [v[k] for _, k in _COMPARE] for c, v in cols.items()},
                            index=[name for name, _ in _COMPARE], dtype=object)

    def to_geopandas(self, name: str = "sites") -> Any:
        """A table with locations as a GeoDataFrame in EPSG:4326 (needs the ``geo``
        extra): ``"sites"`` (points; every column of ``to_pandas()``), ``"cells"``
        (demand cell centres; ``site`` is the serving site's id), ``"regions"`` (region
        points, when the plan was made from a network), ``"takes_over"`` (a line from
        each closed outlet to the site taking most of its tickets: ``from_site``,
        ``to_site``), ``"assignments"`` (a line from each served cell to its site:
        ``cell``, ``site``, ``peak_day``, ``served_share``), ``"coverage"`` (each open
        site's service area: the polygon around the great-circle circle of its
        ``service_radius_km``, the farthest demand it takes plus 2 km and the radius the
        planned network gives it, so every cell it serves lies inside; a circle rather
        than the union of its cells because dispatch on the planned network uses that
        radius). Every link names sites by id. Write it with ``.to_file("plan.geojson")``
        or ``.to_parquet(...)``."""
        import geopandas as gpd
        from shapely.geometry import LineString

        sites = self.tables["sites"]
        if name == "coverage":
            from servnet._geo import site_coverage

            return site_coverage(sites)
        if name in ("sites", "cells", "regions"):
            df = self.tables[name]
            if "lon" not in df.columns:
                raise ValueError(f"to_geopandas('{name}'): this plan has no locations for "
                                 f"{name} (make the plan with servnet.plan(network, ...))")
            return gpd.GeoDataFrame(df.copy(), geometry=gpd.points_from_xy(df["lon"], df["lat"]),
                                    crs="EPSG:4326")
        pos = {r.site_id: (r.lon, r.lat) for r in sites.itertuples()}
        if name == "takes_over":
            rows = [{"from_site": r.site_id, "to_site": r.goes_to,
                     "geometry": LineString([(r.lon, r.lat), pos[r.goes_to]])}
                    for r in sites[sites["decision"] == "close"].itertuples()
                    if isinstance(r.goes_to, str) and r.goes_to in pos]
            cols = ["from_site", "to_site", "geometry"]
        elif name == "assignments":
            cells = self.tables["cells"]
            rows = [{"cell": c.cell, "site": c.site, "peak_day": c.peak_day,
                     "served_share": c.served_share,
                     "geometry": LineString([(c.lon, c.lat), pos[c.site]])}
                    for c in cells.itertuples() if isinstance(c.site, str) and c.site in pos]
            cols = ["cell", "site", "peak_day", "served_share", "geometry"]
        else:
            raise ValueError(f"to_geopandas: unknown table '{name}' (sites, cells, regions, "
                             "takes_over, assignments, coverage)")
        return gpd.GeoDataFrame(_frame(rows, cols), geometry="geometry", crs="EPSG:4326")

    def sites_csv(self) -> str:
        """The per-site table exactly as ``servnet plan --out`` writes it."""
        return str(self._core.sites_csv())

    def frontier_csv(self) -> str:
        """The frontier exactly as ``servnet plan --frontier`` writes it."""
        return str(self._core.frontier_csv())

    def planned_network(self, network: "_servnet.Network") -> "_servnet.Network":
        """The plan as a :class:`Network` (today's outlets, closed ones with status
        ``closed``; new sites added): dispatch tickets on it with a ``Dispatcher``."""
        return self._core.planned_network(network)

    def write_network(self, path: Any, network: "_servnet.Network", tickets: Any = None) -> None:
        """Writes the planned network as a data folder that ``servnet dispatch`` reads;
        ``tickets``: a tickets.csv path to copy beside it."""
        import shutil
        from pathlib import Path

        self._core.write_network(str(path), network)
        if tickets is not None:
            shutil.copy(Path(tickets), Path(path) / "tickets.csv")

    def __repr__(self) -> str:
        f = self.figures
        rep, cur = f["replay"], f["current"]
        return (f"NetworkPlan({f['model']}, {f['year']}: {f['open']} open ({f['kept']} kept, "
                f"{f['new']} new), {f['closed']} closed, {f['technicians']} technicians, "
                f"cost {f['cost'] / 1e6:,.1f} M (today {cur['annual_cost'] / 1e6:,.1f} M), "
                f"served {100 * f['served_share']:.1f}%, replay SLA {100 * rep['sla_met_share']:.2f}% "
                f"(today {100 * cur['sla_met_share']:.2f}%), gap {100 * f['gap']:.2f}%)")

    def borders(self) -> List[Dict[str, Any]]:
        """The network's region polygons the maps draw (``[{"code", "name", "polygons"}]``,
        rings of (lon, lat)); empty when the plan was not made from a network or the
        network has no region polygons."""
        if self._borders is None:
            from servnet import _maps

            net = self.__dict__.get("_network")
            self._borders = _maps.region_borders(net) if net is not None else []
        return self._borders

    def __getstate__(self) -> Dict[str, Any]:
        state = dict(self.__dict__)
        state["_borders"] = self.borders()
        state.pop("_network", None)
        return state

    def plot(self, ax: Any = None, *, region: Union[None, str, Sequence[str]] = None,
             bbox: Optional[Tuple[float, float, float, float]] = None,
             demand: bool = True, assignments: bool = False,
             takes_over: Optional[bool] = None, closed: bool = True,
             extent: Optional[Tuple[float, float, float, float]] = None,
             gridsize: int = 70) -> Any:
        """A static map of the plan (matplotlib; works offline): the network's region
        borders, demand as a heat layer (peak-day tickets summed per hexagon, log colour
        scale; cells served beyond their commitment outlined in black), sites in one
        style per decision (kept, grown, shrunk, new; closed ones faint), marker area by
        technicians (planned; today's for closed outlets), a legend with counts and
        marker sizes. Aspect: 1 / cos(latitude), so distances look right.

        ``region``: a region code or name, or several: zoom to them (outlined);
        ``bbox=(lon0, lat0, lon1, lat1)``: zoom to a box (``extent=(lon0, lon1, lat0,
        lat1)`` is the older form); ``assignments=True``: a line from each demand cell to
        its site; ``takes_over``: a dashed line from each closed outlet to the site
        taking most of its tickets (default: on when zoomed); ``closed=False`` hides
        closed outlets; ``demand=False`` hides the heat layer; ``gridsize``: hexagons
        across the map. Returns the Axes."""
        from servnet import _maps

        return _maps.plot_plan(self, self.borders(), ax, region=region, bbox=bbox,
                               extent=extent, demand=demand, assignments=assignments,
                               takes_over=takes_over, closed=closed, gridsize=gridsize)

    def explore(self, path: Any = "plan_map.html", *,
                region: Union[None, str, Sequence[str]] = None,
                bbox: Optional[Tuple[float, float, float, float]] = None,
                tiles: Optional[str] = "CartoDB positron", offline: bool = False,
                leaflet_dir: Any = None, assignments: bool = False) -> Any:
        """An interactive map (Leaflet, via folium: the ``map`` extra) written to the
        HTML file ``path``; returns its Path. Layers, each switchable: region borders
        (tooltip: name, code), demand (one circle per demand cell, colour and size by
        peak-day tickets), sites per decision (kept, grown, shrunk, new, closed -- faint;
        size by technicians; tooltip: id, name, technicians today and planned), and with
        ``assignments=True`` a line from each cell to its site; a legend.

        ``region`` / ``bbox=(lon0, lat0, lon1, lat1)``: the initial view, as in
        :meth:`plot`. ``tiles``: a folium tile name, or None for no base map.
        ``offline=True``: a page that needs no network -- no tiles, Leaflet embedded from
        a local copy (``leaflet_dir``, else ``$SERVNET_LEAFLET_DIR``, else Debian's
        ``libjs-leaflet`` in /usr/share/javascript/leaflet), every other external
        script or style sheet left out."""
        from servnet import _maps

        return _maps.explore_plan(self, self.borders(), path, region=region, bbox=bbox,
                                  tiles=tiles, offline=offline, leaflet_dir=leaflet_dir,
                                  assignments=assignments)


def plan(
    network: "_servnet.Network",
    forecast: Forecast,
    model: Optional[str] = None,
    p: Optional[int] = None,
    time_limit: float = 20.0,
    response: bool = False,
    progress: bool = False,
    year: Optional[int] = None,
    tickets: Any = None,
    population: Any = None,
    executor: Any = None,
    fee_schedule: Any = None,
    **options: Any,
) -> NetworkPlan:
    """Plans the outlet network for one forecast year on demand cells below the region
    (``plan_network``): with no ``model`` and no ``p`` a cost-service frontier over
    outlet counts recommends the count (``model="auto"``); ``p=N`` (``pmedian``) plans
    exactly N outlets; ``cover`` the fewest covering every coverable cell. Decides per
    outlet keep / grow / shrink / close and where to open, sizes technicians, and replays
    ``tickets`` against the plan and today's network.

    ``tickets`` (a Tickets, DataFrame or tickets.csv path) places demand where customers
    called from and is replayed; ``population`` (a DataFrame with region, lon, lat,
    population, a population.csv path or a data folder) spreads demand where history is
    thin. ``options`` override ``PlanOptions`` fields, nested ones as dicts: e.g.
    ``costs={"close_cost": 5e5, "max_technicians": 40}``, ``demand={"resolution": 7}``,
    ``max_closures=100`` or ``max_closure_share=0.1`` (at most that many of today's
    outlets close), ``frontier={"cost_tolerance": 0}`` (always the cheapest count),
    ``service_target=[0.95, 0.9, 0.9]``, ``frontier={"steps": 8}``,
    ``new_sites={"enabled": False}``, ``replay_guard=None``, ``solve={"time_limit": 5}``.
    ``time_limit`` is per outlet count.

    With ``tickets``, the replay is costed per site (``today_service_cost``,
    ``replay_service_cost`` ... in ``to_pandas()``, by kind and tier in
    ``to_pandas("service_cost")``) by ``fee_schedule`` (a data folder with
    fee_schedule.csv or the file; default: each outlet's listed fee + 2.0 per road km).

    ``executor`` (any ``concurrent.futures.Executor``: a thread or process pool,
    ``distributed.Client.get_executor()``) plans the frontier's counts as separate jobs
    on it, each solved cold (not warm-started from its neighbour, so figures can differ
    from the one-call frontier within the solver's gap), joined and recommended by the
    engine: the same plan whichever executor and however many workers.

    >>> p = servnet.plan(net, fc, tickets=DATA / "tickets.csv", population=DATA)
    >>> p.summary()["recommended_outlets"]  # doctest: +SKIP
    1413
    """
    if not isinstance(forecast, Forecast):
        raise TypeError("forecast: expected a servnet.Forecast (from servnet.forecast)")
    if tickets is not None and not isinstance(tickets, (str, bytes)) and hasattr(tickets, "__fspath__"):
        tickets = str(tickets)
    if population is not None and hasattr(population, "__fspath__"):
        population = str(population)
    _fanout.check_executor(executor)
    if executor is not None and model in (None, "auto") and p is None:
        return _plan_points(network, forecast, year, float(time_limit), bool(response),
                            tickets, population, progress, executor, options)
    core = _run(progress, f"plan ({model or ('pmedian' if p else 'auto')})", None, _servnet._plan,
                network, forecast._core, model, p, year, float(time_limit), bool(response),
                tickets, population, _options(**options),
                fee_schedule=None if fee_schedule is None else str(fee_schedule),
                figures=lambda c: dict(json.loads(c.view())["totals"]))
    return NetworkPlan(core, network)


def _plan_points(network: "_servnet.Network", forecast: Forecast, year: Optional[int],
                 time_limit: float, response: bool, tickets: Any, population: Any,
                 progress: bool, executor: Any, options: Dict[str, Any]) -> NetworkPlan:
    """The auto model's frontier, one count per job on ``executor``."""
    counts = _servnet._frontier_counts(network, forecast._core, year, time_limit, response,
                                       tickets, population, _options(**options))
    base = dict(options.get("frontier") or {})
    shared = [_fanout.pack(executor, x) for x in (network, forecast._core, tickets, population)]
    jobs = []
    for n in counts:
        opts = dict(options)
        opts["frontier"] = {**base, "counts": [int(n)]}
        jobs.append((shared[0], shared[1], year, time_limit, response, shared[2], shared[3],
                     _options(**opts)))
    bar = _outer_bar(progress, len(jobs), "frontier", "count")
    try:
        cores = _fanout.run_all(executor, _fanout.plan_point, jobs,
                                (lambda _: bar.update(1)) if bar is not None else None)
    finally:
        if bar is not None:
            bar.close()
    return NetworkPlan(_servnet._combine_frontier(cores), network)


def frontier(
    network: "_servnet.Network",
    forecast: Forecast,
    tickets: Any = None,
    population: Any = None,
    time_limit: float = 20.0,
    progress: bool = False,
    year: Optional[int] = None,
    executor: Any = None,
    **options: Any,
) -> Any:
    """The cost-service frontier over outlet counts (``servnet plan --frontier``) as a
    DataFrame with ``plot()``; ``attrs["recommended_outlets"]`` and
    ``attrs["recommendation"]`` say which count the tool recommends and why. Arguments
    as :func:`plan` (``options`` e.g. ``frontier={"steps": 16, "min": 200}``);
    ``executor`` solves the counts as separate jobs on it (see :func:`plan`).

    >>> f = servnet.frontier(net, fc, tickets=DATA / "tickets.csv", population=DATA)
    >>> f.plot()  # doctest: +SKIP
    """
    p = plan(network, forecast, model="auto", time_limit=time_limit, progress=progress,
             year=year, tickets=tickets, population=population, executor=executor, **options)
    return p.frontier


# --------------------------------------------------------------------------- simulation


class SimulationResult(Result):
    """Dispatch of a drawn peak month (or given tickets) against a plan
    (``servnet.simulate``). ``summary()`` / ``to_pandas()``: tickets, assigned,
    sla_met_share, unassigned (by reason), bookings by route, mean distance and the
    utilisation quantiles of open outlets (min, p10, median, p90, max)."""

    def __init__(self, core: "_servnet._Simulation") -> None:
        self._core = core
        figures = json.loads(core.view())
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
    ``tickets`` (a Tickets, DataFrame or path) instead. ``options``: jitter_km, policy
    (a :class:`Policy`). (Every plan already replays its ``tickets`` at full capacity:
    ``NetworkPlan.comparison()``.)

    >>> s = servnet.simulate(net, p, fc, days=1, sample=0.1)
    >>> s.summary()["tickets"]  # doctest: +SKIP
    3473
    """
    if not isinstance(plan, NetworkPlan):
        raise TypeError("plan: expected a servnet.NetworkPlan (from servnet.plan)")
    fc = forecast._core if forecast is not None else None
    core = _run(progress, "simulate", None, _servnet._simulate, network, plan._core, fc,
                int(days), float(sample), int(seed), tickets, _options(**options))
    return SimulationResult(core)


def simulate_many(
    network: "_servnet.Network",
    plan: NetworkPlan,
    forecast: Optional[Forecast] = None,
    seeds: Iterable[int] = (1, 2, 3),
    days: int = 1,
    sample: float = 0.1,
    tickets: Any = None,
    progress: bool = False,
    executor: Any = None,
    **options: Any,
) -> Any:
    """:func:`simulate` once per seed: a DataFrame with one row of figures per seed
    (index ``seed``, in the order given). ``executor`` (any
    ``concurrent.futures.Executor``, e.g. ``distributed.Client.get_executor()``) runs
    the seeds as separate jobs; the rows are the same as serially.

    >>> servnet.simulate_many(net, p, fc, seeds=range(1, 9)).describe()  # doctest: +SKIP
    """
    import pandas as pd

    if not isinstance(plan, NetworkPlan):
        raise TypeError("plan: expected a servnet.NetworkPlan (from servnet.plan)")
    _fanout.check_executor(executor)
    seeds = [int(x) for x in seeds]
    if len(set(seeds)) != len(seeds):
        raise _servnet.DataError("invalid argument 'seeds': a seed is given twice")
    if tickets is not None and not isinstance(tickets, (str, bytes)) and hasattr(tickets, "__fspath__"):
        tickets = str(tickets)
    fc = forecast._core if forecast is not None else None
    opts = _options(**options)
    net_, plan_, fc_, tickets_ = [_fanout.pack(executor, x)
                                  for x in (network, plan._core, fc, tickets)]
    jobs = [(net_, plan_, fc_, int(days), float(sample), seed, tickets_, opts) for seed in seeds]
    bar = _outer_bar(progress, len(jobs), "simulate", "seed")
    try:
        cores = _fanout.run_all(executor, _fanout.simulate_point, jobs,
                                (lambda _: bar.update(1)) if bar is not None else None)
    finally:
        if bar is not None:
            bar.close()
    rows = []
    for seed, core in zip(seeds, cores):
        f = SimulationResult(core).figures
        rows.append({"seed": seed, **{k: v for k, v in f.items() if not isinstance(v, (dict, list))}})
    frame = pd.DataFrame.from_records(rows)
    return frame.set_index("seed") if len(frame) else frame


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
    model: Optional[str] = None,
    p: Optional[int] = None,
    time_limit: float = 20.0,
    response: bool = False,
    days: int = 1,
    sample: float = 0.1,
    seed: int = 1,
    year: Optional[int] = None,
    progress: bool = False,
    tickets: Any = None,
    population: Any = None,
    forecast_options: Optional[Dict[str, Any]] = None,
    plan_options: Optional[Dict[str, Any]] = None,
    sim_options: Optional[Dict[str, Any]] = None,
    return_plans: bool = False,
    executor: Any = None,
) -> Any:
    """Runs each scenario through forecast, plan and a simulated peak month (one after
    the other, each solve using both cores) and returns one row per scenario, side by
    side: tickets, peak_day, outlets_open, closed, new, technicians, cost,
    recommended_outlets, served_share, sla_met_share, unassigned, utilisation_median
    (index: name). ``tickets`` and ``population`` as in :func:`plan`.
    With ``return_plans=True`` returns ``(frame, {name: NetworkPlan})``.
    ``executor`` (any ``concurrent.futures.Executor``: a thread or process pool,
    ``distributed.Client.get_executor()``) runs the scenarios as separate jobs on it;
    rows come back in the order given, the same as serially.

    >>> servnet.compare_scenarios(planning, net, [servnet.Scenario("base"),
    ...     servnet.Scenario("growth", sales_factor=1.3)], 2026, p=400)  # doctest: +SKIP
    """
    import pandas as pd

    items = [s if isinstance(s, Scenario) else Scenario(str(s)) for s in scenarios]
    _fanout.check_executor(executor)
    shared = [_fanout.pack(executor, x) for x in (
        planning, network, str(tickets) if hasattr(tickets, "__fspath__") else tickets,
        str(population) if hasattr(population, "__fspath__") else population)]
    jobs = [(shared[0], shared[1], s.to_json(), int(start_year), int(years), model, p, year,
             float(time_limit), bool(response), int(days), float(sample), int(seed),
             shared[2], shared[3],
             json.dumps(forecast_options or {}), json.dumps(plan_options or {}),
             json.dumps(sim_options or {})) for s in items]
    outer = _outer_bar(progress, len(items), "scenarios", "scenario")

    def done(k: int) -> None:
        if outer is not None:
            outer.set_postfix_str(items[k].name)
            outer.update(1)

    try:
        results = _fanout.run_all(executor, _fanout.scenario_point, jobs, done)
    finally:
        if outer is not None:
            outer.close()
    rows = []
    plans: Dict[str, NetworkPlan] = {}
    for s, (text, core) in zip(items, results):
        rows.append(json.loads(text)["row"])
        if return_plans:
            plans[s.name] = NetworkPlan(core, network)
    frame = pd.DataFrame.from_records(rows)
    if len(frame):
        frame = frame.set_index("name")
    return (frame, plans) if return_plans else frame
