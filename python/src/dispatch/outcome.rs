//! The dispatch results: `Assignment`, `Unassignable`, `Explanation` and
//! `DispatchSummary` (plain data; they pickle).

use super::PyDispatcher;
use crate::convert;
use crate::plain::{self, PlainData};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyTuple};
use servnet_core::dispatch::{
    Assignment, Breakdown, Candidate, DispatchSummary, Fallback, Outcome, Unassignable,
};
use std::borrow::Cow;

pub(super) fn breakdown_dict<'py>(py: Python<'py>, b: &Breakdown) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("score", b.score)?;
    d.set_item("distance_km", b.distance_km)?;
    d.set_item("satisfaction", b.satisfaction)?;
    d.set_item("load_ratio", b.load_ratio)?;
    d.set_item("cost", b.cost)?;
    d.set_item("priority", b.priority)?;
    d.set_item("probation", b.probation)?;
    d.set_item("preferred", b.preferred)?;
    for (name, t) in TERM_NAMES.iter().zip(b.terms) {
        d.set_item(*name, t)?;
    }
    d.set_item("package", b.package.map(|k| k.to_string()))?;
    d.set_item("mode", b.mode.as_str())?;
    d.set_item("package_weight", b.package_weight)?;
    d.set_item("reserve_held", b.reserve_held)?;
    Ok(d)
}

pub(super) const TERM_NAMES: [&str; 8] = [
    "term_distance",
    "term_satisfaction",
    "term_load",
    "term_cost",
    "term_priority",
    "term_probation",
    "term_preferred",
    "term_package",
];

/// A ticket booked on an outlet for a day (plain data; pickles).
///
/// >>> a = d.dispatch(t)
/// >>> a.assigned, a.outlet_id, a.day, round(a.distance_km, 1)
/// (True, 'O0042', 0, 3.2)
#[pyclass(frozen, module = "servnet", name = "Assignment")]
pub(crate) struct PyAssignment {
    pub(crate) inner: Assignment,
}

#[pymethods]
impl PyAssignment {
    /// Always True (an :class:`Unassignable` has False): ``if d.dispatch(t).assigned``.
    #[getter]
    fn assigned(&self) -> bool {
        true
    }
    #[getter]
    fn ticket_id(&self) -> &str {
        &self.inner.ticket_id
    }
    #[getter]
    fn outlet_id(&self) -> &str {
        &self.inner.outlet_id
    }
    #[getter]
    fn skill(&self) -> &str {
        &self.inner.skill
    }
    /// Day of service counted from the ledger's start date.
    #[getter]
    fn day(&self) -> u32 {
        self.inner.day
    }
    #[getter]
    fn units(&self) -> u32 {
        self.inner.units
    }
    /// Total score (lower is better).
    #[getter]
    fn score(&self) -> f64 {
        self.inner.breakdown.score
    }
    /// Road km.
    #[getter]
    fn distance_km(&self) -> f64 {
        self.inner.breakdown.distance_km
    }
    /// Bayesian-average satisfaction (1..5) of the outlet for the skill.
    #[getter]
    fn satisfaction(&self) -> f64 {
        self.inner.breakdown.satisfaction
    }
    #[getter]
    fn sla_met(&self) -> bool {
        self.inner.sla_met
    }
    /// ``direct``, ``wider_radius_x<factor>``, ``next_day`` or ``escalated``.
    #[getter]
    fn route(&self) -> String {
        convert::route_text(self.inner.route)
    }
    /// Hold id while the booking is a hold waiting for :meth:`Dispatcher.confirm`.
    #[getter]
    fn hold(&self) -> Option<u64> {
        self.inner.hold
    }
    /// Score parts: values and weighted terms (``term_*``), which sum to ``score``.
    #[getter]
    fn breakdown<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        breakdown_dict(py, &self.inner.breakdown)
    }

    /// The assignment as a flat dict.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("ticket_id", self.ticket_id())?;
        d.set_item("outlet_id", self.outlet_id())?;
        d.set_item("skill", self.skill())?;
        d.set_item("day", self.day())?;
        d.set_item("units", self.units())?;
        d.set_item("sla_met", self.sla_met())?;
        d.set_item("route", self.route())?;
        d.set_item("hold", self.hold())?;
        d.update(breakdown_dict(py, &self.inner.breakdown)?.as_mapping())?;
        Ok(d)
    }

    #[staticmethod]
    fn _from_json(py: Python<'_>, b: &[u8]) -> PyResult<Self> {
        plain::restore(py, b)
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        plain::reduce(slf)
    }

    /// Equal when every public field is (internal indices are not compared).
    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        plain::same(self, other)
    }

    fn __repr__(&self) -> String {
        let a = &self.inner;
        format!(
            "Assignment(ticket_id={:?}, outlet_id={:?}, day={}, score={:.3}, distance_km={:.3}, sla_met={}, route={:?})",
            a.ticket_id,
            a.outlet_id,
            a.day,
            a.breakdown.score,
            a.breakdown.distance_km,
            if a.sla_met { "True" } else { "False" },
            self.route()
        )
    }
}

/// No outlet can take the ticket, and why (plain data; pickles).
///
/// ``reason`` is the hard rule that excluded most of the outlets offering the skill
/// (``no_skill``, ``status``, ``avoided``, ``outside_area``, ``too_far``,
/// ``sla_unreachable``, ``skill_full``, ``outlet_full``, ``outside_horizon``);
/// ``counts`` how many outlets failed each rule first.
///
/// >>> u = d.dispatch(far_away_ticket)
/// >>> u.assigned, u.reason
/// (False, 'outside_area')
#[pyclass(frozen, module = "servnet", name = "Unassignable")]
pub(crate) struct PyUnassignable {
    pub(crate) inner: Unassignable,
}

#[pymethods]
impl PyUnassignable {
    /// Always False.
    #[getter]
    fn assigned(&self) -> bool {
        false
    }
    #[getter]
    fn ticket_id(&self) -> &str {
        &self.inner.ticket_id
    }
    #[getter]
    fn reason(&self) -> &'static str {
        self.inner.reason.as_str()
    }
    #[getter]
    fn counts<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (k, v) in &self.inner.counts {
            d.set_item(k.as_str(), v)?;
        }
        Ok(d)
    }
    #[getter]
    fn fallbacks_tried(&self) -> Vec<String> {
        self.inner
            .fallbacks_tried
            .iter()
            .map(Fallback::to_string)
            .collect()
    }

    /// As a flat dict.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("ticket_id", self.ticket_id())?;
        d.set_item("reason", self.reason())?;
        d.set_item("counts", self.counts(py)?)?;
        d.set_item("fallbacks_tried", self.fallbacks_tried())?;
        Ok(d)
    }

    #[staticmethod]
    fn _from_json(py: Python<'_>, b: &[u8]) -> PyResult<Self> {
        plain::restore(py, b)
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        plain::reduce(slf)
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        plain::same(self, other)
    }

    fn __repr__(&self) -> String {
        format!(
            "Unassignable(ticket_id={:?}, reason={:?})",
            self.inner.ticket_id,
            self.reason()
        )
    }
}

pub(super) fn outcome_py(py: Python<'_>, o: Outcome) -> PyResult<Py<PyAny>> {
    Ok(match o {
        Outcome::Assigned(a) => Py::new(py, PyAssignment { inner: a })?.into_any(),
        Outcome::Unassignable(u) => Py::new(py, PyUnassignable { inner: u })?.into_any(),
    })
}

fn outcome_from_py(v: &Bound<'_, PyAny>) -> PyResult<Outcome> {
    if let Ok(a) = v.cast::<PyAssignment>() {
        return Ok(Outcome::Assigned(a.get().inner.clone()));
    }
    if let Ok(u) = v.cast::<PyUnassignable>() {
        return Ok(Outcome::Unassignable(u.get().inner.clone()));
    }
    Err(PyTypeError::new_err(format!(
        "expected Assignment or Unassignable, got {}",
        v.get_type().name()?
    )))
}

fn candidate_dict<'py>(py: Python<'py>, c: &Candidate) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("outlet_id", c.outlet_id.as_str())?;
    d.set_item("day", c.day)?;
    d.update(breakdown_dict(py, &c.breakdown)?.as_mapping())?;
    d.set_item("remaining_skill", c.remaining_skill)?;
    d.set_item("remaining_outlet", c.remaining_outlet)?;
    d.set_item("route", convert::route_text(c.route))?;
    Ok(d)
}

/// Why an outlet was (not) chosen for a ticket, and what would change the answer.
///
/// >>> e = d.explain(t, "O0007")
/// >>> print(e)
/// O0007 is eligible (day 0) but scores 14.20 vs 9.87 for O0042: it loses by 4.33, ...
#[pyclass(frozen, module = "servnet", name = "Explanation")]
pub(crate) struct PyExplanation {
    pub(super) inner: servnet_core::dispatch::Explanation,
}

#[pymethods]
impl PyExplanation {
    #[getter]
    fn outlet_id(&self) -> &str {
        &self.inner.outlet_id
    }
    /// The first hard rule the outlet fails, or None if it is eligible.
    #[getter]
    fn failed(&self) -> Option<&'static str> {
        self.inner.failed.map(|r| r.as_str())
    }
    /// Its score breakdown if eligible.
    #[getter]
    fn breakdown<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        self.inner
            .breakdown
            .as_ref()
            .map(|b| breakdown_dict(py, b))
            .transpose()
    }
    /// The best candidate now, as a dict (None when no outlet is eligible).
    #[getter]
    fn best<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        self.inner
            .best
            .as_ref()
            .map(|c| candidate_dict(py, c))
            .transpose()
    }
    /// Score difference to the best (0 when this is the best).
    #[getter]
    fn score_gap(&self) -> Option<f64> {
        self.inner.score_gap
    }
    /// Human-readable explanation.
    #[getter]
    fn text(&self) -> &str {
        &self.inner.text
    }
    fn __str__(&self) -> &str {
        &self.inner.text
    }
    fn __repr__(&self) -> String {
        format!("Explanation({:?})", self.inner.text)
    }
}

/// Headline figures of a run of dispatch: assigned share, SLA, distances, utilisation,
/// routes and reasons. Build it from outcomes, or read ``dispatch_frame(...).attrs
/// ["summary"]``. Plain data; pickles.
///
/// >>> s = servnet.DispatchSummary(d, [d.dispatch(t) for t in tickets])
/// >>> s.assigned <= s.tickets
/// True
#[pyclass(frozen, module = "servnet", name = "DispatchSummary")]
pub(crate) struct PyDispatchSummary {
    pub(crate) inner: DispatchSummary,
}

#[pymethods]
impl PyDispatchSummary {
    #[new]
    fn new(
        py: Python<'_>,
        dispatcher: &PyDispatcher,
        outcomes: &Bound<'_, PyAny>,
    ) -> PyResult<Self> {
        let outcomes: Vec<Outcome> = outcomes
            .try_iter()?
            .map(|o| outcome_from_py(&o?))
            .collect::<PyResult<_>>()?;
        Ok(PyDispatchSummary {
            inner: DispatchSummary::new(&*dispatcher.read_py(py)?, &outcomes),
        })
    }
    #[getter]
    fn tickets(&self) -> usize {
        self.inner.tickets
    }
    #[getter]
    fn assigned(&self) -> usize {
        self.inner.assigned
    }
    #[getter]
    fn sla_met(&self) -> usize {
        self.inner.sla_met
    }
    #[getter]
    fn mean_distance_km(&self) -> f64 {
        self.inner.mean_distance_km
    }
    #[getter]
    fn p95_distance_km(&self) -> f64 {
        self.inner.p95_distance_km
    }
    #[getter]
    fn mean_satisfaction(&self) -> f64 {
        self.inner.mean_satisfaction
    }
    /// Outlet-wide utilisation on day 0 of open outlets: (min, median, max).
    #[getter]
    fn utilisation(&self) -> (f64, f64, f64) {
        let u = self.inner.utilisation;
        (u[0], u[1], u[2])
    }
    #[getter]
    fn by_route(&self) -> std::collections::BTreeMap<String, usize> {
        self.inner.by_route.clone()
    }
    #[getter]
    fn unassignable(&self) -> std::collections::BTreeMap<String, usize> {
        self.inner.unassignable.clone()
    }

    /// Every figure as a dict (``summary()`` in the result-object convention).
    fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let text = plain::to_json(py, "summary", &self.inner)?;
        py.import("json")?
            .getattr("loads")?
            .call1((PyBytes::new(py, &text),))
            .map(Bound::unbind)
    }

    /// Same as :meth:`to_dict`.
    fn summary(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.to_dict(py)
    }

    /// The figures as a one-column DataFrame (figure -> value).
    fn to_pandas<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        py.import("servnet._results")?
            .getattr("summary_frame")?
            .call1((self.to_dict(py)?,))
    }

    fn _repr_html_(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        py.import("servnet._results")?
            .getattr("summary_html")?
            .call1(("Dispatch summary", self.to_dict(py)?))
            .map(Bound::unbind)
    }

    #[staticmethod]
    fn _from_json(py: Python<'_>, b: &[u8]) -> PyResult<Self> {
        plain::restore(py, b)
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        plain::reduce(slf)
    }

    fn __str__(&self) -> String {
        self.inner.to_string()
    }

    fn __repr__(&self) -> String {
        format!(
            "DispatchSummary(tickets={}, assigned={}, sla_met={}, mean_distance_km={:.2})",
            self.inner.tickets,
            self.inner.assigned,
            self.inner.sla_met,
            self.inner.mean_distance_km
        )
    }
}

impl PlainData for PyAssignment {
    type Data = Assignment;
    const WHAT: &'static str = "assignment";
    fn data(&self) -> Cow<'_, Assignment> {
        Cow::Borrowed(&self.inner)
    }
    fn from_data(_py: Python<'_>, inner: Assignment) -> PyResult<Self> {
        Ok(PyAssignment { inner })
    }
}

impl PlainData for PyUnassignable {
    type Data = Unassignable;
    const WHAT: &'static str = "unassignable";
    fn data(&self) -> Cow<'_, Unassignable> {
        Cow::Borrowed(&self.inner)
    }
    fn from_data(_py: Python<'_>, inner: Unassignable) -> PyResult<Self> {
        Ok(PyUnassignable { inner })
    }
}

impl PlainData for PyDispatchSummary {
    type Data = DispatchSummary;
    const WHAT: &'static str = "summary";
    fn data(&self) -> Cow<'_, DispatchSummary> {
        Cow::Borrowed(&self.inner)
    }
    fn from_data(_py: Python<'_>, inner: DispatchSummary) -> PyResult<Self> {
        Ok(PyDispatchSummary { inner })
    }
}
