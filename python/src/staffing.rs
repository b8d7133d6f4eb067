//! `servnet.staffing`: the Erlang B/C staffing formulas of `plan::staffing`.
//!
//! The rest of planning (forecast, outlet location, scenarios) is bound when it lands in
//! `servnet_core::plan`; results then follow `servnet._results.Result`.

use crate::error;
use pyo3::prelude::*;
use servnet_core::plan::staffing;

/// Erlang B: probability that an arrival finds all ``servers`` busy (M/M/c/c).
///
/// >>> round(servnet.staffing.erlang_b(2.0, 1.0, 3), 4)
/// 0.2105
#[pyfunction]
fn erlang_b(py: Python<'_>, arrival_rate: f64, service_rate: f64, servers: u32) -> PyResult<f64> {
    staffing::erlang_b(arrival_rate, service_rate, servers).map_err(|e| error::to_py(py, e))
}

/// Erlang C: probability that a ticket waits in an M/M/c queue (rates per time unit,
/// ``service_rate`` per technician). ``DataError`` if the queue is unstable.
///
/// >>> round(servnet.staffing.erlang_c(2.0, 1.0, 3), 4)
/// 0.4444
#[pyfunction]
fn erlang_c(py: Python<'_>, arrival_rate: f64, service_rate: f64, servers: u32) -> PyResult<f64> {
    staffing::erlang_c(arrival_rate, service_rate, servers).map_err(|e| error::to_py(py, e))
}

/// Share of tickets that wait at most ``target_wait`` (same time unit as the rates).
///
/// >>> round(servnet.staffing.service_level(2.0, 1.0, 3, 0.5), 3)
/// 0.730
#[pyfunction]
fn service_level(
    py: Python<'_>,
    arrival_rate: f64,
    service_rate: f64,
    servers: u32,
    target_wait: f64,
) -> PyResult<f64> {
    staffing::service_level(arrival_rate, service_rate, servers, target_wait)
        .map_err(|e| error::to_py(py, e))
}

/// Mean wait in queue over all tickets (ASA), in the time unit of the rates.
///
/// >>> round(servnet.staffing.mean_wait(2.0, 1.0, 3), 4)
/// 0.4444
#[pyfunction]
fn mean_wait(py: Python<'_>, arrival_rate: f64, service_rate: f64, servers: u32) -> PyResult<f64> {
    staffing::mean_wait(arrival_rate, service_rate, servers).map_err(|e| error::to_py(py, e))
}

/// Smallest number of technicians so that ``target_level`` of tickets wait at most
/// ``target_wait``.
///
/// >>> servnet.staffing.servers_for_service_level(2.0, 1.0, 0.8, 0.5)
/// 4
#[pyfunction]
fn servers_for_service_level(
    py: Python<'_>,
    arrival_rate: f64,
    service_rate: f64,
    target_level: f64,
    target_wait: f64,
) -> PyResult<u32> {
    py.detach(|| {
        staffing::servers_for_service_level(arrival_rate, service_rate, target_level, target_wait)
    })
    .map_err(|e| error::to_py(py, e))
}

/// Smallest number of technicians whose mean wait is at most ``max_mean_wait``.
///
/// >>> servnet.staffing.servers_for_mean_wait(2.0, 1.0, 0.1)
/// 4
#[pyfunction]
fn servers_for_mean_wait(
    py: Python<'_>,
    arrival_rate: f64,
    service_rate: f64,
    max_mean_wait: f64,
) -> PyResult<u32> {
    py.detach(|| staffing::servers_for_mean_wait(arrival_rate, service_rate, max_mean_wait))
        .map_err(|e| error::to_py(py, e))
}

/// Technicians so the peak day's work fits at a target utilisation:
/// ``ceil(peak_daily_units * handling_hours / (working_hours_per_day * utilisation_target))``.
///
/// >>> servnet.staffing.technicians_for_utilisation(30, 1.5, 8, 0.85)
/// 7
#[pyfunction]
fn technicians_for_utilisation(
    py: Python<'_>,
    peak_daily_units: f64,
    handling_hours: f64,
    working_hours_per_day: f64,
    utilisation_target: f64,
) -> PyResult<u32> {
    staffing::technicians_for_utilisation(
        peak_daily_units,
        handling_hours,
        working_hours_per_day,
        utilisation_target,
    )
    .map_err(|e| error::to_py(py, e))
}

/// Adds the `staffing` submodule.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let s = PyModule::new(m.py(), "staffing")?;
    s.add(
        "__doc__",
        "Erlang B/C staffing: technicians needed for response-time targets.",
    )?;
    s.add_function(wrap_pyfunction!(erlang_b, &s)?)?;
    s.add_function(wrap_pyfunction!(erlang_c, &s)?)?;
    s.add_function(wrap_pyfunction!(service_level, &s)?)?;
    s.add_function(wrap_pyfunction!(mean_wait, &s)?)?;
    s.add_function(wrap_pyfunction!(servers_for_service_level, &s)?)?;
    s.add_function(wrap_pyfunction!(servers_for_mean_wait, &s)?)?;
    s.add_function(wrap_pyfunction!(technicians_for_utilisation, &s)?)?;
    m.add_submodule(&s)
}
