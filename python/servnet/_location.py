"""Capacitated facility location on your own arrays (``servnet.capacitated_location``):
the Python face of ``servnet_core::plan::location::cflp``."""

from __future__ import annotations

from typing import Any, Dict

import numpy as np
import pandas as pd

from servnet import _servnet


def capacitated_location(fixed_cost: Any, capacity: Any, demand: Any, cost: Any, *,
                         cost_basis: str = "total", time_limit: float = 10.0,
                         method: str = "heuristic") -> Dict[str, Any]:
    """Which candidate sites to open, and who serves whom, at least fixed + serving cost
    with every site within its capacity (multi-source: a point's demand may be split).

    ``fixed_cost`` and ``capacity`` have one value per site (``inf``: uncapacitated),
    ``demand`` one per demand point, ``cost`` is sites x points (``inf`` where a site may
    not serve a point): with ``cost_basis="total"`` the cost of serving all of the
    point's demand from that site (OR-Library ``cap`` files), with ``"per_unit"`` a cost
    per unit of demand (e.g. km).

    ``method="heuristic"`` (default): Lagrangian relaxation with a proven lower bound,
    Lagrangian site fixing and a restricted MIP, within ``time_limit`` seconds
    (OR-Library capa/b/c and 100 x 1,000 Cornuejols-type instances: within 0.5% of the
    optimum in a few seconds). ``"mip"``: HiGHS on the full model (small instances).

    Returns a dict: ``open`` (site indices), ``objective``, ``lower_bound``, ``gap``
    (relative, to the bound), ``status``, ``method``, ``seconds`` and ``flows``, a
    DataFrame (site, point, fraction, units) of every served share.
    """
    f = np.asarray(fixed_cost, dtype=float).ravel()
    cap = np.asarray(capacity, dtype=float).ravel()
    d = np.asarray(demand, dtype=float).ravel()
    c = np.asarray(cost, dtype=float)
    if c.shape != (len(f), len(d)):
        raise ValueError(f"capacitated_location: cost has shape {c.shape}, expected "
                         f"(sites, points) = ({len(f)}, {len(d)})")
    if cost_basis not in ("total", "per_unit"):
        raise ValueError(f"capacitated_location: cost_basis must be 'total' or 'per_unit', "
                         f"got {cost_basis!r}")
    r = _servnet._cflp(f.tolist(), cap.tolist(), d.tolist(), c.ravel().tolist(),
                       per_unit=cost_basis == "per_unit", time_limit=float(time_limit),
                       method=method)
    site, point, fraction = r.pop("flows")
    flows = pd.DataFrame({"site": np.asarray(site, dtype=np.int64),
                          "point": np.asarray(point, dtype=np.int64),
                          "fraction": np.asarray(fraction, dtype=float)})
    flows["units"] = flows["fraction"] * d[flows["point"].to_numpy()] if len(d) else 0.0
    r["flows"] = flows
    return r
