"""servnet.capacitated_location: the plan it returns is feasible, costs what it says,
and its bound is below it; on a small instance it matches HiGHS' proven optimum."""


import numpy as np
import pytest

import servnet


def _instance(seed, m=8, n=30):
    rng = np.random.default_rng(seed)
    sites, points = rng.random((m, 2)), rng.random((n, 2))
    demand = rng.integers(5, 36, n).astype(float)
    capacity = rng.uniform(0.25, 0.6, m) * demand.sum()
    fixed = 100 + 400 * rng.random(m)
    dist = np.linalg.norm(sites[:, None, :] - points[None, :, :], axis=2)
    return fixed, capacity, demand, 10 * demand[None, :] * dist


def _check(r, fixed, capacity, demand, cost):
    f = r["flows"]
    served = f.groupby("point")["fraction"].sum().reindex(range(len(demand)), fill_value=0)
    assert np.allclose(served.to_numpy(), 1.0, atol=1e-6)
    assert set(f["site"]) <= set(r["open"])
    load = f.groupby("site")["units"].sum()
    assert (load <= capacity[load.index] * (1 + 1e-6)).all()
    total = fixed[r["open"]].sum() + (f["fraction"] * cost[f["site"], f["point"]]).sum()
    assert total == pytest.approx(r["objective"], rel=1e-9)
    assert r["lower_bound"] <= r["objective"] * (1 + 1e-9)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_heuristic_is_feasible_and_within_1pct_of_the_mip_optimum(seed):
    fixed, capacity, demand, cost = _instance(seed)
    h = servnet.capacitated_location(fixed, capacity, demand, cost, time_limit=20)
    _check(h, fixed, capacity, demand, cost)
    exact = servnet.capacitated_location(fixed, capacity, demand, cost, method="mip",
                                         time_limit=20)
    _check(exact, fixed, capacity, demand, cost)
    assert exact["status"] == "optimal"
    assert h["lower_bound"] <= exact["objective"] * (1 + 1e-9) <= h["objective"] * (1 + 2e-9)
    assert h["objective"] <= exact["objective"] * 1.01


def test_per_unit_costs_are_multiplied_by_demand():
    fixed, capacity, demand, cost = _instance(4, m=5, n=12)
    per_unit = cost / demand[None, :]
    a = servnet.capacitated_location(fixed, capacity, demand, cost, method="mip")
    b = servnet.capacitated_location(fixed, capacity, demand, per_unit, cost_basis="per_unit",
                                     method="mip")
    assert a["objective"] == pytest.approx(b["objective"], rel=1e-9)


def test_bad_shapes_and_options_are_refused():
    fixed, capacity, demand, cost = _instance(5, m=4, n=6)
    with pytest.raises(ValueError, match="shape"):
        servnet.capacitated_location(fixed, capacity, demand, cost.T)
    with pytest.raises(ValueError, match="cost_basis"):
        servnet.capacitated_location(fixed, capacity, demand, cost, cost_basis="km")
    with pytest.raises(servnet.ServnetError, match="method"):
        servnet.capacitated_location(fixed, capacity, demand, cost, method="fast")
    with pytest.raises(servnet.ServnetError, match="capacit"):
        servnet.capacitated_location(fixed, capacity[:2], demand, cost)
