//! `servnet.assign` / `servnet.compare_with_sequential`: joint re-assignment of a
//! backlog (`servnet_core::assign`). Both return `_AssignmentPlan`, the Rust plan that
//! `servnet.AssignmentPlan` (`servnet/_assign.py`) holds and reads through `figures()`
//! and `frame()` (`view()`: the whole plan as JSON).

use crate::columns::{self, Coded};
use crate::dispatch::{tickets_from_frame, PyDispatcher, PyPolicy, PyTickets};
use crate::error;
use crate::network::PyNetwork;
use crate::plain::{self, PlainData};
use crate::run::{self, blocking};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};
use serde::{Deserialize, Serialize};
use servnet_core::assign::{
    assign, compare_with_sequential, compare_with_sequential_on, AssignOptions, AssignmentPlan,
    PlannedAssignment, SequentialBaseline, UnassignedReason,
};
use servnet_core::dispatch::Policy;
use servnet_core::model::Ticket;
use servnet_core::Error;
use std::borrow::Cow;
use std::sync::Arc;

/// The backlog: a `Tickets`' own list (shared, not copied) or a frame's tickets.
fn backlog(tickets: &Bound<'_, PyAny>, network: &PyNetwork) -> PyResult<Arc<Vec<Ticket>>> {
    match tickets.cast::<PyTickets>() {
        Ok(t) => Ok(Arc::clone(&t.get().inner)),
        Err(_) => tickets_from_frame(tickets, network).map(Arc::new),
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
            #[serde(flatten)]
            head: Headline<'a>,
            assignments: &'a [PlannedAssignment],
            unassigned: Vec<(&'a str, String)>,
        }
        let p = &self.inner.plan;
        let v = View {
            head: self.headline(),
            assignments: &p.assignments,
            unassigned: p
                .unassigned
                .iter()
                .map(|(t, r)| (t.as_str(), r.to_string()))
                .collect(),
        };
        run::to_json(&v).map_err(|e| error::to_py(py, e))
    }

    /// The headline figures as JSON, without the rows (`view()` less `assignments`
    /// and `unassigned`, plus their counts `assigned` and `unassigned`).
    fn figures(&self, py: Python<'_>) -> PyResult<String> {
        #[derive(Serialize)]
        struct Figures<'a> {
            #[serde(flatten)]
            head: Headline<'a>,
            assigned: usize,
            unassigned: usize,
        }
        let p = &self.inner.plan;
        let v = Figures {
            head: self.headline(),
            assigned: p.assignments.len(),
            unassigned: p.unassigned.len(),
        };
        run::to_json(&v).map_err(|e| error::to_py(py, e))
    }

    /// The plan as a DataFrame built column by column (planned tickets, then the
    /// unassigned ones with their `reason`): the rows `view()` holds, as numpy arrays
    /// and coded text (one Python string per ticket id, none per other cell).
    fn frame<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let p = &self.inner.plan;
        let rows: Vec<Row<'_>> = p
            .assignments
            .iter()
            .map(Row::Planned)
            .chain(p.unassigned.iter().map(|(t, r)| Row::Unassigned(t, r)))
            .collect();
        let n = rows.len();
        let number = |f: fn(&PlannedAssignment) -> f64| {
            columns::numpy(py, "float64", &rows, move |r| {
                r.planned().map_or(f64::NAN, f).to_ne_bytes()
            })
        };
        let whole = |f: fn(&PlannedAssignment) -> u32| {
            columns::masked_int64(py, &rows, move |r| r.planned().map(|a| i64::from(f(a))))
        };
        let reasons: Vec<Option<String>> = rows
            .iter()
            .map(|r| match r {
                Row::Planned(_) => None,
                Row::Unassigned(_, why) => Some(why.to_string()),
            })
            .collect();
        let ticket = PyList::new(
            py,
            rows.iter().map(|r| match r {
                Row::Planned(a) => a.ticket_id.as_str(),
                Row::Unassigned(t, _) => t.as_str(),
            }),
        )?;
        let text = |t: Coded| t.into_py(py);
        crate::convert::to_frame(
            py,
            vec![
                ("ticket_id", ticket.into_any()),
                (
                    "outlet_id",
                    text(Coded::of(
                        n,
                        rows.iter()
                            .map(|r| r.planned().map(|a| a.outlet_id.as_str())),
                    ))?,
                ),
                ("day", whole(|a| a.day)?),
                (
                    "date",
                    columns::dates(py, &rows, |r| r.planned().and_then(|a| a.date))?,
                ),
                ("units", whole(|a| a.units)?),
                ("score", number(|a| a.score)?),
                ("distance_km", number(|a| a.distance_km)?),
                ("late_days", whole(|a| a.late_days)?),
                (
                    "moved_from",
                    text(Coded::of(
                        n,
                        rows.iter()
                            .map(|r| r.planned().and_then(|a| a.moved_from.as_deref())),
                    ))?,
                ),
                ("move_gain", number(|a| a.move_gain.unwrap_or(f64::NAN))?),
                (
                    "reason",
                    text(Coded::of(n, reasons.iter().map(|r| r.as_deref())))?,
                ),
            ],
            &[
                ("outlet_id", "text"),
                ("day", "Int64"),
                ("units", "Int64"),
                ("late_days", "Int64"),
                ("moved_from", "text"),
                ("reason", "text"),
            ],
        )
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
    let disp = d.shared();
    let plan = blocking(py, progress, move || {
        assign(&tickets, &*crate::dispatch::read_lock(&disp)?, &opts)
    })?;
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
    // The dispatcher `read_network_and_tickets` laid out (default policy): the first
    // comparison takes it (it is not kept), and uses it under the default policy.
    let laid_out = network.take_baseline().filter(|_| pol == Policy::default());
    let (plan, seq) = blocking(py, progress, move || match laid_out {
        Some(d) => compare_with_sequential_on(&tickets, d, &opts),
        None => compare_with_sequential(&tickets, &net, &pol, &opts),
    })?;
    Ok(PyAssignmentPlan {
        inner: PlanAndBaseline {
            plan,
            sequential: Some(seq),
        },
    })
}

/// A row of the plan's frame: a planned ticket, or an unassigned one and why.
enum Row<'a> {
    Planned(&'a PlannedAssignment),
    Unassigned(&'a String, &'a UnassignedReason),
}

impl<'a> Row<'a> {
    /// The planned assignment (`None`: unassigned).
    fn planned(&self) -> Option<&'a PlannedAssignment> {
        match self {
            Row::Planned(a) => Some(a),
            Row::Unassigned(..) => None,
        }
    }
}

/// Adds the assignment functions.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyAssignmentPlan>()?;
    m.add_function(wrap_pyfunction!(_assign, m)?)?;
    m.add_function(wrap_pyfunction!(_compare_with_sequential, m)?)?;
    Ok(())
}

/// The figures `view()` and `figures()` share.
#[derive(Serialize)]
struct Headline<'a> {
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

impl PyAssignmentPlan {
    fn headline(&self) -> Headline<'_> {
        let p = &self.inner.plan;
        Headline {
            objective: p.objective,
            lower_bound: p.lower_bound,
            gap: p.gap,
            method: p.method,
            status: p.status.as_str(),
            components: p.components,
            seconds: p.seconds,
            mean_distance_km: p.mean_distance_km(),
            sequential: self.inner.sequential.as_ref(),
        }
    }
}
