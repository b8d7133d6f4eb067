//! Location bindings: `_cflp`, the capacitated facility location solvers behind
//! `servnet.capacitated_location` (converts arrays, calls
//! `servnet_core::plan::location::cflp`, returns plain values).

use crate::error;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use servnet_core::plan::location::cflp::{cflp_heuristic, cflp_mip, Sourcing};
use servnet_core::plan::location::{
    Assignment, CostBasis, CostMatrix, LocationInstance, Site, SolveOptions,
};
use servnet_core::Error;

/// Multi-source CFLP on dense arrays: `cost` is sites x points, row-major, `+inf` where
/// a site may not serve a point. `method`: `heuristic` (Lagrangian) or `mip` (HiGHS).
/// Returns a dict: open, objective, lower_bound, gap, status, method, seconds, and
/// `flows` as three lists (site, point, fraction).
#[pyfunction]
#[pyo3(signature = (fixed_cost, capacity, demand, cost, per_unit=false, time_limit=10.0,
                    method="heuristic"))]
#[allow(clippy::too_many_arguments)]
fn _cflp<'py>(
    py: Python<'py>,
    fixed_cost: Vec<f64>,
    capacity: Vec<f64>,
    demand: Vec<f64>,
    cost: Vec<f64>,
    per_unit: bool,
    time_limit: f64,
    method: &str,
) -> PyResult<Bound<'py, PyDict>> {
    let heuristic = match method {
        "heuristic" => true,
        "mip" => false,
        other => {
            return Err(error::argument(
                py,
                "method",
                format!("expected 'heuristic' or 'mip', got '{other}'"),
            ))
        }
    };
    if fixed_cost.len() != capacity.len() {
        return Err(error::argument(
            py,
            "capacity",
            format!(
                "{} capacities for {} fixed costs (one per site)",
                capacity.len(),
                fixed_cost.len()
            ),
        ));
    }
    if !(time_limit.is_finite() && time_limit > 0.0) {
        return Err(error::argument(
            py,
            "time_limit",
            format!("expected seconds > 0, got {time_limit}"),
        ));
    }
    let (m, n) = (fixed_cost.len(), demand.len());
    let sites = fixed_cost
        .iter()
        .zip(&capacity)
        .map(|(&f, &c)| Site {
            fixed_cost: f,
            capacity: c,
            modules: Vec::new(),
        })
        .collect();
    let basis = if per_unit {
        CostBasis::PerUnit
    } else {
        CostBasis::Total
    };
    let opts = SolveOptions {
        time_limit,
        ..SolveOptions::default()
    };
    let solved = py.detach(move || {
        let matrix = CostMatrix::new(m, n, cost)?;
        let inst = LocationInstance::new(sites, demand, matrix, basis)?;
        if heuristic {
            cflp_heuristic(&inst, Sourcing::Multi, &opts)
        } else {
            cflp_mip(&inst, Sourcing::Multi, &opts)
        }
    });
    let r = solved.map_err(|e: Error| error::to_py(py, e))?;
    let (mut site, mut point, mut fraction) = (Vec::new(), Vec::new(), Vec::new());
    if let Assignment::Split(split) = &r.assignment {
        for (j, s) in split.iter().enumerate() {
            for &(i, f) in s {
                site.push(i);
                point.push(j);
                fraction.push(f);
            }
        }
    }
    let out = PyDict::new(py);
    out.set_item("open", r.open)?;
    out.set_item("objective", r.objective)?;
    out.set_item("lower_bound", r.lower_bound)?;
    out.set_item("gap", r.gap)?;
    out.set_item("status", format!("{:?}", r.status).to_lowercase())?;
    out.set_item("method", format!("{:?}", r.method).to_lowercase())?;
    out.set_item("seconds", r.seconds)?;
    out.set_item("flows", (site, point, fraction))?;
    Ok(out)
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_cflp, m)?)
}
