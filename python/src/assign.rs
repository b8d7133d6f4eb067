//! `servnet.assign` / `servnet.compare_with_sequential`: joint re-assignment of a
//! backlog (`servnet_core::assign`). Both return `_AssignmentPlan`, the Rust plan that
//! `servnet.AssignmentPlan` (`servnet/_assign.py`) holds and reads through `view()`.

use crate::dispatch::{tickets_from_frame, PyDispatcher, PyPolicy, PyTickets};
use crate::error;
use crate::network::PyNetwork;
use crate::plain::{self, PlainData};
use crate::run::{self, blocking};
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use serde::{Deserialize, Serialize};
use servnet_core::assign::{
    assign, compare_with_sequential, AssignOptions, AssignmentPlan, PlannedAssignment,
    SequentialBaseline,
};
use servnet_core::dispatch::Policy;
use servnet_core::model::Ticket;
use servnet_core::Error;
use std::borrow::Cow;

fn backlog(tickets: &Bound<'_, PyAny>, network: &PyNetwork) -> PyResult<Vec<Ticket>> {
    match tickets.cast::<PyTickets>() {
        Ok(t) => Ok(t.get().inner.clone()),
        Err(_) => tickets_from_frame(tickets, network),
    }
}

/// Options: the defaults with `method` / `time_limit` set and `options` (JSON object
/// text: unassigned_penalty, late_days, lateness_per_day, current, move_cost, quotas,
/// gap_tolerance) over them. `unassigned_penalty` may be given in any form
/// [`AssignOptions::unassigned_penalty_from`] reads.
fn options(method: &str, time_limit: f64, options: &str) -> servnet_core::Result<AssignOptions> {
    let base = AssignOptions {
        method: method.parse()?,
        time_limit,
        ..Default::default()
    };
    let mut extra: serde_json::Value = serde_json::from_str(options)
        .map_err(|e| Error::argument("assign options", format!("not JSON: {e}")))?;
    if let Some(p) = extra.get_mut("unassigned_penalty") {
        *p = serde_json::json!(AssignOptions::unassigned_penalty_from(p)?);
    }
    run::overlay(&base, &extra.to_string(), "assign options")
}

/// A plan and, after `compare_with_sequential`, its sequential baseline, as pickled.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct PlanAndBaseline {
    plan: AssignmentPlan,
    sequential: Option<SequentialBaseline>,
}

/// The Rust plan behind `servnet.AssignmentPlan`.
#[pyclass(frozen, module = "servnet._servnet", name = "_AssignmentPlan")]
pub(crate) struct PyAssignmentPlan {
    inner: PlanAndBaseline,
}

#[pymethods]
impl PyAssignmentPlan {
    /// The plan as JSON: `assignments`, `unassigned` as `[ticket_id, reason]` with the
    /// reason as files write it (`capacity`, `quota:<id>`, ...), the headline figures
    /// of the core (`objective`, ..., `mean_distance_km`) and `sequential` (or null).
    fn view(&self, py: Python<'_>) -> PyResult<String> {
        #[derive(Serialize)]
        struct View<'a> {
            assignments: &'a [PlannedAssignment],
            unassigned: Vec<(&'a str, String)>,
            objective: f64,
            lower_bound: f64,
            gap: f64,
            method: servnet_core::assign::Method,
            status: &'a str,
            components: usize,
            seconds: f64,
            mean_distance_km: f64,
            sequential: Option<&'a SequentialBaseline>,
        }
        let p = &self.inner.plan;
        let v = View {
            assignments: &p.assignments,
            unassigned: p
                .unassigned
                .iter()
                .map(|(t, r)| (t.as_str(), r.to_string()))
                .collect(),
            objective: p.objective,
            lower_bound: p.lower_bound,
            gap: p.gap,
            method: p.method,
            status: p.status.as_str(),
            components: p.components,
            seconds: p.seconds,
            mean_distance_km: p.mean_distance_km(),
            sequential: self.inner.sequential.as_ref(),
        };
        run::to_json(&v).map_err(|e| error::to_py(py, e))
    }

    #[staticmethod]
    fn _from_json(py: Python<'_>, b: &[u8]) -> PyResult<Self> {
        plain::restore(py, b)
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        plain::reduce(slf)
    }
}

impl PlainData for PyAssignmentPlan {
    type Data = PlanAndBaseline;
    const WHAT: &'static str = "assignment plan";
    fn data(&self) -> Cow<'_, PlanAndBaseline> {
        Cow::Borrowed(&self.inner)
    }
    fn from_data(_py: Python<'_>, inner: PlanAndBaseline) -> PyResult<Self> {
        Ok(PyAssignmentPlan { inner })
    }
}

/// Plans `tickets` jointly over the dispatcher's network, policy and ledger loads.
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
) -> PyResult<PyAssignmentPlan> {
    let d = dispatcher.get();
    let net: Bound<'_, PyNetwork> = dispatcher.getattr("network")?.cast_into()?;
    let tickets = backlog(tickets, net.get())?;
    let opts = self::options(method, time_limit, options).map_err(|e| error::to_py(py, e))?;
    let disp = d.inner.clone();
    let plan = blocking(py, progress, move || assign(&tickets, &disp, &opts))?;
    Ok(PyAssignmentPlan {
        inner: PlanAndBaseline {
            plan,
            sequential: None,
        },
    })
}

/// Plans `tickets` jointly and dispatches them one by one on a fresh dispatcher (as
/// `servnet assign` does); the plan carries the sequential baseline.
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
) -> PyResult<PyAssignmentPlan> {
    let tickets = backlog(tickets, network)?;
    let opts = self::options(method, time_limit, options).map_err(|e| error::to_py(py, e))?;
    let net = network.inner.clone();
    let pol = policy.map_or_else(Policy::default, |p| p.inner.clone());
    let (plan, seq) = blocking(py, progress, move || {
        compare_with_sequential(&tickets, &net, &pol, &opts)
    })?;
    Ok(PyAssignmentPlan {
        inner: PlanAndBaseline {
            plan,
            sequential: Some(seq),
        },
    })
}

/// Adds the assignment functions.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyAssignmentPlan>()?;
    m.add_function(wrap_pyfunction!(_assign, m)?)?;
    m.add_function(wrap_pyfunction!(_compare_with_sequential, m)?)?;
    Ok(())
}
