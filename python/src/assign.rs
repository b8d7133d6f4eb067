//! `servnet.assign` / `servnet.compare_with_sequential`: joint re-assignment of a
//! backlog (`servnet_core::assign`). Results come back as serde JSON; the Python side
//! (`servnet/_planning.py`) wraps them in `servnet.AssignmentPlan`.

use crate::dispatch::{tickets_from_frame, PyDispatcher, PyPolicy, PyTickets};
use crate::error;
use crate::network::PyNetwork;
use crate::run::{self, blocking};
use pyo3::prelude::*;
use serde::Serialize;
use servnet_core::assign::{assign, compare_with_sequential, AssignOptions};
use servnet_core::dispatch::Policy;
use servnet_core::model::Ticket;

fn backlog(tickets: &Bound<'_, PyAny>, network: &PyNetwork) -> PyResult<Vec<Ticket>> {
    match tickets.cast::<PyTickets>() {
        Ok(t) => Ok(t.get().inner.clone()),
        Err(_) => tickets_from_frame(tickets, network),
    }
}

/// Options: the defaults with `method` / `time_limit` set and `options` (JSON object
/// text: unassigned_penalty, late_days, lateness_per_day, current, move_cost, quotas,
/// gap_tolerance) over them.
fn options(method: &str, time_limit: f64, options: &str) -> servnet_core::Result<AssignOptions> {
    let base = AssignOptions {
        method: method.parse()?,
        time_limit,
        ..Default::default()
    };
    run::overlay(&base, options, "assign options")
}

/// Plans `tickets` jointly over the dispatcher's network, policy and ledger loads;
/// returns the `AssignmentPlan` as JSON.
#[pyfunction]
#[pyo3(signature = (tickets, dispatcher, method, time_limit, options="{}", progress=None))]
fn _assign(
    py: Python<'_>,
    tickets: &Bound<'_, PyAny>,
    dispatcher: &Bound<'_, PyDispatcher>,
    method: &str,
    time_limit: f64,
    options: &str,
    progress: Option<&Bound<'_, PyAny>>,
) -> PyResult<String> {
    let d = dispatcher.get();
    let net: Bound<'_, PyNetwork> = dispatcher.getattr("network")?.cast_into()?;
    let tickets = backlog(tickets, net.get())?;
    let opts = self::options(method, time_limit, options).map_err(|e| error::to_py(py, e))?;
    let disp = d.inner.clone();
    let plan = blocking(py, progress, move || assign(&tickets, &disp, &opts))?;
    run::to_json(&plan).map_err(|e| error::to_py(py, e))
}

/// Plans `tickets` jointly and dispatches them one by one on a fresh dispatcher (as
/// `servnet assign` does); returns `{"plan": ..., "sequential": ...}` JSON.
#[pyfunction]
#[pyo3(signature = (tickets, network, policy, method, time_limit, options="{}", progress=None))]
#[allow(clippy::too_many_arguments)]
fn _compare_with_sequential(
    py: Python<'_>,
    tickets: &Bound<'_, PyAny>,
    network: &PyNetwork,
    policy: Option<&PyPolicy>,
    method: &str,
    time_limit: f64,
    options: &str,
    progress: Option<&Bound<'_, PyAny>>,
) -> PyResult<String> {
    let tickets = backlog(tickets, network)?;
    let opts = self::options(method, time_limit, options).map_err(|e| error::to_py(py, e))?;
    let net = network.inner.clone();
    let pol = policy.map_or_else(Policy::default, |p| p.inner.clone());
    let (plan, seq) = blocking(py, progress, move || {
        compare_with_sequential(&tickets, &net, &pol, &opts)
    })?;
    #[derive(Serialize)]
    struct Out<'a> {
        plan: &'a servnet_core::assign::AssignmentPlan,
        sequential: &'a servnet_core::assign::SequentialBaseline,
    }
    run::to_json(&Out {
        plan: &plan,
        sequential: &seq,
    })
    .map_err(|e| error::to_py(py, e))
}

/// Adds the assignment functions.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_assign, m)?)?;
    m.add_function(wrap_pyfunction!(_compare_with_sequential, m)?)?;
    Ok(())
}
