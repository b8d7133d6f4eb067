//! `servnet.Policy`, `servnet.Ticket`, `servnet.Tickets`, `servnet.Dispatcher` and the
//! dispatch results (`Assignment`, `Unassignable`, `Explanation`, `DispatchSummary`).

use crate::convert::{self, FrameText};
use crate::error;
use crate::network::PyNetwork;
use chrono::{NaiveDateTime, TimeZone};
use pyo3::exceptions::{PyIndexError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};
use serde::de::DeserializeOwned;
use serde::Serialize;
use servnet_core::dispatch::{
    Assignment, Breakdown, Candidate, DispatchSummary, Dispatcher, Fallback, Outcome, Policy,
    SummaryTally, Unassignable, Weights,
};
use servnet_core::model::Ticket;
use std::path::PathBuf;

/// Tickets dispatched between two checks for Ctrl-C in long loops.
const SIGNAL_EVERY: usize = 16_384;

fn to_json<T: Serialize>(py: Python<'_>, what: &str, v: &T) -> PyResult<Vec<u8>> {
    serde_json::to_vec(v).map_err(|e| error::argument(py, what, e.to_string()))
}

fn from_json<T: DeserializeOwned>(py: Python<'_>, what: &str, b: &[u8]) -> PyResult<T> {
    serde_json::from_slice(b).map_err(|e| error::argument(py, what, e.to_string()))
}

/// `(cls._from_json, (json_bytes,))` for `__reduce__`.
fn reduce_json<'py, T: Serialize>(
    slf: &Bound<'py, PyAny>,
    what: &str,
    v: &T,
) -> PyResult<Bound<'py, PyTuple>> {
    let py = slf.py();
    let json = to_json(py, what, v)?;
    let ctor = slf.get_type().getattr("_from_json")?;
    PyTuple::new(
        py,
        [
            ctor,
            PyTuple::new(py, [PyBytes::new(py, &json)])?.into_any(),
        ],
    )
}

fn breakdown_dict<'py>(py: Python<'py>, b: &Breakdown) -> PyResult<Bound<'py, PyDict>> {
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
    Ok(d)
}

const TERM_NAMES: [&str; 7] = [
    "term_distance",
    "term_satisfaction",
    "term_load",
    "term_cost",
    "term_priority",
    "term_probation",
    "term_preferred",
];

// ---------------------------------------------------------------------------------------
// Policy

/// How the dispatcher filters and ranks outlets (immutable; pickles).
///
/// Every argument is optional; the defaults are servnet's balanced policy.
/// ``weights`` is a dict with any of ``distance``, ``satisfaction``, ``load``, ``cost``,
/// ``priority``, ``probation``, ``preferred`` (km-equivalents; missing keys keep their
/// default). ``fallback`` is a list of steps tried in order when no outlet passes the
/// hard rules: ``"wider_radius:1.5"``, ``"next_day:2"``, ``"escalate"`` (or tuples
/// ``("wider_radius", 1.5)``). ``start_date`` is day 0 of the load ledger (date or ISO
/// text; default: the date of the first ticket dispatched).
///
/// >>> p = servnet.Policy(weights={"distance": 1.0, "load": 0.0}, horizon_days=3)
/// >>> p.weights["load"], p.horizon_days
/// (0.0, 3)
/// >>> servnet.Policy(fallback=["escalate"]).fallback
/// ['escalate']
#[pyclass(frozen, module = "servnet", name = "Policy")]
#[derive(Clone)]
pub(crate) struct PyPolicy {
    pub(crate) inner: Policy,
}

fn fallback_arg(py: Python<'_>, v: &Bound<'_, PyAny>) -> PyResult<Fallback> {
    let bad = || {
        error::argument(
            py,
            "fallback",
            "expected 'wider_radius:<factor>', 'next_day:<days>' or 'escalate'",
        )
    };
    let (kind, arg): (String, Option<f64>) = if let Ok(s) = v.cast::<PyString>() {
        let s = s.to_cow()?;
        match s.split_once(':') {
            Some((k, a)) => (
                k.trim().to_string(),
                Some(a.trim().parse().map_err(|_| bad())?),
            ),
            None => (s.trim().to_string(), None),
        }
    } else if let Ok((k, a)) = v.extract::<(String, f64)>() {
        (k, Some(a))
    } else {
        return Err(bad());
    };
    match (kind.as_str(), arg) {
        ("wider_radius", Some(x)) => Ok(Fallback::WiderRadius(x)),
        ("wider_radius", None) => Ok(Fallback::WiderRadius(1.5)),
        ("next_day", Some(x)) if x >= 0.0 && x.fract() == 0.0 => Ok(Fallback::NextDay(x as u32)),
        ("next_day", None) => Ok(Fallback::NextDay(1)),
        ("escalate", None) => Ok(Fallback::Escalate),
        _ => Err(bad()),
    }
}

fn fallback_text(f: &Fallback) -> String {
    match f {
        Fallback::WiderRadius(x) => format!("wider_radius:{x}"),
        Fallback::NextDay(n) => format!("next_day:{n}"),
        Fallback::Escalate => "escalate".to_string(),
    }
}

fn set_weights(py: Python<'_>, w: &mut Weights, d: &Bound<'_, PyDict>) -> PyResult<()> {
    for (k, v) in d.iter() {
        let k: String = k.extract()?;
        let v: f64 = v
            .extract()
            .map_err(|_| error::argument(py, &format!("weights.{k}"), "expected a number"))?;
        let slot = match k.as_str() {
            "distance" => &mut w.distance,
            "satisfaction" => &mut w.satisfaction,
            "load" => &mut w.load,
            "cost" => &mut w.cost,
            "priority" => &mut w.priority,
            "probation" => &mut w.probation,
            "preferred" => &mut w.preferred,
            _ => {
                return Err(error::argument(
                    py,
                    "weights",
                    format!("unknown weight '{k}' (expected distance, satisfaction, load, cost, priority, probation, preferred)"),
                ))
            }
        };
        *slot = v;
    }
    Ok(())
}

#[pymethods]
impl PyPolicy {
    #[new]
    #[pyo3(signature = (*, weights=None, detour_factor=None, speed_kmh=None, prior_weight=None,
        emergency_reserve=None, horizon_days=None, start_date=None, fallback=None,
        centre_priority=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        weights: Option<&Bound<'_, PyDict>>,
        detour_factor: Option<f64>,
        speed_kmh: Option<f64>,
        prior_weight: Option<f64>,
        emergency_reserve: Option<f64>,
        horizon_days: Option<&Bound<'_, PyAny>>,
        start_date: Option<&Bound<'_, PyAny>>,
        fallback: Option<&Bound<'_, PyAny>>,
        centre_priority: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let mut p = Policy::default();
        if let Some(w) = weights {
            set_weights(py, &mut p.weights, w)?;
        }
        p.detour_factor = detour_factor.unwrap_or(p.detour_factor);
        p.speed_kmh = speed_kmh.unwrap_or(p.speed_kmh);
        p.prior_weight = prior_weight.unwrap_or(p.prior_weight);
        p.emergency_reserve = emergency_reserve.unwrap_or(p.emergency_reserve);
        if let Some(h) = horizon_days.filter(|v| !v.is_none()) {
            p.horizon_days = convert::whole("horizon_days", h, 1, 366)? as u32;
        }
        if let Some(c) = centre_priority.filter(|v| !v.is_none()) {
            p.centre_priority = convert::whole("centre_priority", c, 0, 100)? as u8;
        }
        if let Some(d) = start_date.filter(|d| !d.is_none()) {
            p.start_date = Some(convert::date_arg("start_date", d)?);
        }
        if let Some(f) = fallback.filter(|f| !f.is_none()) {
            p.fallback = f
                .try_iter()?
                .map(|x| fallback_arg(py, &x?))
                .collect::<PyResult<_>>()?;
        }
        p.validate().map_err(|e| error::to_py(py, e))?;
        Ok(PyPolicy { inner: p })
    }

    /// The CLI's ``nearest`` policy: distance only (nearest outlet with capacity).
    ///
    /// >>> servnet.Policy.nearest().weights["satisfaction"]
    /// 0.0
    #[staticmethod]
    fn nearest() -> Self {
        PyPolicy {
            inner: Policy::nearest(),
        }
    }

    /// Score weights as a dict.
    #[getter]
    fn weights<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let w = &self.inner.weights;
        let d = PyDict::new(py);
        for (k, v) in [
            ("distance", w.distance),
            ("satisfaction", w.satisfaction),
            ("load", w.load),
            ("cost", w.cost),
            ("priority", w.priority),
            ("probation", w.probation),
            ("preferred", w.preferred),
        ] {
            d.set_item(k, v)?;
        }
        Ok(d)
    }
    /// Road km per great-circle km.
    #[getter]
    fn detour_factor(&self) -> f64 {
        self.inner.detour_factor
    }
    /// Travel speed in km/h for the SLA rule.
    #[getter]
    fn speed_kmh(&self) -> f64 {
        self.inner.speed_kmh
    }
    /// Pseudo-ratings of the network mean in satisfaction scores.
    #[getter]
    fn prior_weight(&self) -> f64 {
        self.inner.prior_weight
    }
    /// Share of capacity kept for emergency tickets.
    #[getter]
    fn emergency_reserve(&self) -> f64 {
        self.inner.emergency_reserve
    }
    /// Days the load ledger covers.
    #[getter]
    fn horizon_days(&self) -> u32 {
        self.inner.horizon_days
    }
    /// Day 0 of the ledger, or None (the first ticket's date).
    #[getter]
    fn start_date(&self) -> Option<chrono::NaiveDate> {
        self.inner.start_date
    }
    /// Fallback steps, as text.
    #[getter]
    fn fallback(&self) -> Vec<String> {
        self.inner.fallback.iter().map(fallback_text).collect()
    }
    /// Dispatch priority from which an outlet is a regional centre.
    #[getter]
    fn centre_priority(&self) -> u8 {
        self.inner.centre_priority
    }

    /// The policy as a JSON string (the CLI's ``--policy-file`` format).
    ///
    /// >>> '"horizon_days":7' in servnet.Policy().to_json()
    /// True
    fn to_json(&self, py: Python<'_>) -> PyResult<String> {
        serde_json::to_string(&self.inner).map_err(|e| error::argument(py, "policy", e.to_string()))
    }

    /// Reads a policy from JSON (fields as in :meth:`to_json`; missing ones default).
    #[staticmethod]
    fn from_json(py: Python<'_>, text: &str) -> PyResult<Self> {
        Self::_from_json(py, text.as_bytes())
    }

    #[staticmethod]
    fn _from_json(py: Python<'_>, b: &[u8]) -> PyResult<Self> {
        let p: Policy = from_json(py, "policy", b)?;
        p.validate().map_err(|e| error::to_py(py, e))?;
        Ok(PyPolicy { inner: p })
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        reduce_json(slf.as_any(), "policy", &slf.get().inner)
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PyPolicy>()
            .is_ok_and(|o| o.get().inner == self.inner)
    }

    fn __repr__(&self) -> String {
        let w = &self.inner.weights;
        format!(
            "Policy(weights={{distance: {}, satisfaction: {}, load: {}, cost: {}, priority: {}, probation: {}, preferred: {}}}, detour_factor={}, speed_kmh={}, horizon_days={}, fallback={:?})",
            w.distance, w.satisfaction, w.load, w.cost, w.priority, w.probation, w.preferred,
            self.inner.detour_factor, self.inner.speed_kmh, self.inner.horizon_days,
            self.fallback()
        )
    }
}

// ---------------------------------------------------------------------------------------
// Tickets

/// A service ticket, built once and dispatched with no per-call conversion.
///
/// Arguments as the tickets.csv columns; ``created_at`` / ``due_by`` are datetimes or
/// ISO text (``due_by`` defaults to 48 h after ``created_at``); ``avoid`` a list of
/// outlet ids. Immutable; pickles.
///
/// >>> t = servnet.Ticket("T1", 121.47, 31.23, "CN-310000", "repair:tv",
/// ...                    "2026-11-23T08:15:00")
/// >>> t.due_by
/// datetime.datetime(2026, 11, 25, 8, 15)
#[pyclass(frozen, module = "servnet", name = "Ticket")]
pub(crate) struct PyTicket {
    pub(crate) inner: Ticket,
    /// The times were given with a zone and are held in UTC: a dispatcher converts them
    /// to its network's wall clock.
    pub(crate) utc: bool,
}

#[pymethods]
impl PyTicket {
    #[new]
    #[pyo3(signature = (id, lon, lat, region, skill, created_at, due_by=None, *, units=None,
        priority="normal", customer_tier="standard", avoid=Vec::new(), preferred=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        id: String,
        lon: f64,
        lat: f64,
        region: String,
        skill: String,
        created_at: &Bound<'_, PyAny>,
        due_by: Option<&Bound<'_, PyAny>>,
        units: Option<&Bound<'_, PyAny>>,
        priority: &str,
        customer_tier: &str,
        avoid: Vec<String>,
        preferred: Option<String>,
    ) -> PyResult<Self> {
        let units = match units.filter(|v| !v.is_none()) {
            Some(u) => convert::whole("units", u, 1, i128::from(u32::MAX))? as u32,
            None => 1,
        };
        let (inner, utc) = convert::make_ticket(
            py,
            id,
            lon,
            lat,
            region,
            skill,
            created_at,
            due_by,
            units,
            priority,
            customer_tier,
            avoid,
            preferred,
            None,
        )?;
        Ok(PyTicket { inner, utc })
    }

    /// Builds a ticket from a dict with the tickets.csv column names.
    ///
    /// >>> servnet.Ticket.from_dict({"id": "T1", "lon": 121.47, "lat": 31.23,
    /// ...     "region": "CN-310000", "skill": "repair:tv",
    /// ...     "created_at": "2026-11-23T08:15"}).units
    /// 1
    #[staticmethod]
    fn from_dict(d: &Bound<'_, PyDict>) -> PyResult<Self> {
        let (inner, utc) = convert::ticket_from_dict(d, None)?;
        Ok(PyTicket { inner, utc })
    }

    #[getter]
    fn id(&self) -> &str {
        &self.inner.id
    }
    #[getter]
    fn lon(&self) -> f64 {
        self.inner.lon
    }
    #[getter]
    fn lat(&self) -> f64 {
        self.inner.lat
    }
    #[getter]
    fn region(&self) -> &str {
        &self.inner.region
    }
    #[getter]
    fn skill(&self) -> &str {
        &self.inner.skill
    }
    #[getter]
    fn units(&self) -> u32 {
        self.inner.units
    }
    #[getter]
    fn priority(&self) -> &'static str {
        self.inner.priority.as_str()
    }
    /// Naive (the network's wall clock) or, if given with a zone, aware in UTC.
    #[getter]
    fn created_at<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.time(py, self.inner.created_at)
    }
    #[getter]
    fn due_by<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.time(py, self.inner.due_by)
    }
    #[getter]
    fn customer_tier(&self) -> &'static str {
        match self.inner.customer_tier {
            servnet_core::model::CustomerTier::Standard => "standard",
            servnet_core::model::CustomerTier::Vip => "vip",
        }
    }
    #[getter]
    fn avoid(&self) -> Vec<String> {
        self.inner.avoid.clone()
    }
    #[getter]
    fn preferred(&self) -> Option<String> {
        self.inner.preferred.clone()
    }

    /// The ticket as a dict with the tickets.csv column names.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("id", self.id())?;
        d.set_item("lon", self.lon())?;
        d.set_item("lat", self.lat())?;
        d.set_item("region", self.region())?;
        d.set_item("skill", self.skill())?;
        d.set_item("units", self.units())?;
        d.set_item("priority", self.priority())?;
        d.set_item("created_at", self.created_at(py)?)?;
        d.set_item("due_by", self.due_by(py)?)?;
        d.set_item("customer_tier", self.customer_tier())?;
        d.set_item("avoid", self.avoid())?;
        d.set_item("preferred", self.preferred())?;
        Ok(d)
    }

    #[staticmethod]
    fn _from_json(py: Python<'_>, b: &[u8]) -> PyResult<Self> {
        let (inner, utc): (Ticket, bool) = from_json(py, "ticket", b)?;
        Ok(PyTicket { inner, utc })
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        let t = slf.get();
        reduce_json(slf.as_any(), "ticket", &(&t.inner, t.utc))
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PyTicket>()
            .is_ok_and(|o| o.get().inner == self.inner && o.get().utc == self.utc)
    }

    fn __repr__(&self) -> String {
        let t = &self.inner;
        format!(
            "Ticket({:?}, {}, {}, {:?}, {:?}, '{}', due_by='{}', units={}, priority={:?})",
            t.id,
            t.lon,
            t.lat,
            t.region,
            t.skill,
            t.created_at,
            t.due_by,
            t.units,
            t.priority.as_str()
        )
    }
}

impl PyTicket {
    fn time<'py>(&self, py: Python<'py>, t: NaiveDateTime) -> PyResult<Bound<'py, PyAny>> {
        if self.utc {
            Ok(chrono::Utc
                .from_utc_datetime(&t)
                .into_pyobject(py)?
                .into_any())
        } else {
            Ok(t.into_pyobject(py)?.into_any())
        }
    }

    /// The ticket on the wall clock of `tz` (a dispatcher's network zone).
    fn in_zone(&self, tz: chrono_tz::Tz) -> Option<Ticket> {
        self.utc.then(|| {
            let local = |t: NaiveDateTime| convert::PyTime::Utc(t).local(tz);
            Ticket {
                created_at: local(self.inner.created_at),
                due_by: local(self.inner.due_by),
                ..self.inner.clone()
            }
        })
    }
}

/// A validated list of tickets (from a file or a DataFrame), checked against a network.
///
/// >>> tickets = servnet.read_tickets("data/sample/tickets.csv", net)
/// >>> len(tickets), tickets[0].id
/// (20000, 'T000001')
#[pyclass(frozen, module = "servnet", name = "Tickets")]
pub(crate) struct PyTickets {
    pub(crate) inner: Vec<Ticket>,
}

/// Reads a tickets file (CSV or JSON, docs/formats.md) and checks it against `network`.
pub(crate) fn read_tickets_file(
    py: Python<'_>,
    path: PathBuf,
    network: &PyNetwork,
) -> PyResult<PyTickets> {
    let net = network.inner.clone();
    let tickets = py
        .detach(|| servnet_core::io::read_tickets(&path, &net))
        .map_err(|e| error::to_py(py, e))?;
    Ok(PyTickets { inner: tickets })
}

/// Tickets from a DataFrame with the tickets.csv columns, validated like the file.
pub(crate) fn tickets_from_frame(
    df: &Bound<'_, PyAny>,
    network: &PyNetwork,
) -> PyResult<Vec<Ticket>> {
    let py = df.py();
    let text: FrameText = convert::frame_text("tickets", "tickets.csv", df)?;
    let net = network.inner.clone();
    let csv = &text.csv;
    py.detach(|| servnet_core::io::tickets_from_csv("tickets.csv", csv, &net))
        .map_err(|e| convert::frame_error(py, e, &[&text]))
}

#[pymethods]
impl PyTickets {
    /// Tickets from a DataFrame with the tickets.csv columns (``created_at`` / ``due_by``
    /// as datetime64 or ISO text; ``avoid`` as lists or ``;``-text), validated against
    /// ``network`` like the file. Raises ``DataError`` naming frame, row and column.
    ///
    /// >>> df = pd.read_csv("data/sample/tickets.csv")
    /// >>> len(servnet.Tickets.from_frame(df, net))
    /// 20000
    #[staticmethod]
    fn from_frame(df: &Bound<'_, PyAny>, network: &PyNetwork) -> PyResult<Self> {
        Ok(PyTickets {
            inner: tickets_from_frame(df, network)?,
        })
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }

    fn __getitem__(&self, i: isize) -> PyResult<PyTicket> {
        let n = self.inner.len() as isize;
        let k = if i < 0 { i + n } else { i };
        if k < 0 || k >= n {
            return Err(PyIndexError::new_err("ticket index out of range"));
        }
        Ok(PyTicket {
            inner: self.inner[k as usize].clone(),
            utc: false,
        })
    }

    /// The tickets as a DataFrame with the tickets.csv columns.
    ///
    /// >>> tickets.to_pandas().columns[:3].tolist()
    /// ['id', 'lon', 'lat']
    fn to_pandas<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let t = &self.inner;
        macro_rules! col {
            ($f:expr) => {
                PyList::new(py, t.iter().map($f))?.into_any()
            };
        }
        convert::to_frame(
            py,
            vec![
                ("id", col!(|x| x.id.as_str())),
                ("lon", col!(|x| x.lon)),
                ("lat", col!(|x| x.lat)),
                ("region", col!(|x| x.region.as_str())),
                ("skill", col!(|x| x.skill.as_str())),
                ("units", col!(|x| x.units)),
                ("priority", col!(|x| x.priority.as_str())),
                ("created_at", col!(|x| x.created_at)),
                ("due_by", col!(|x| x.due_by)),
                (
                    "customer_tier",
                    col!(|x| match x.customer_tier {
                        servnet_core::model::CustomerTier::Standard => "standard",
                        servnet_core::model::CustomerTier::Vip => "vip",
                    }),
                ),
                ("avoid", col!(|x| x.avoid.join(";"))),
                ("preferred", col!(|x| x.preferred.as_deref())),
            ],
            &[],
        )
    }

    #[staticmethod]
    fn _from_json(py: Python<'_>, b: &[u8]) -> PyResult<Self> {
        Ok(PyTickets {
            inner: from_json(py, "tickets", b)?,
        })
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        reduce_json(slf.as_any(), "tickets", &slf.get().inner)
    }

    fn __repr__(&self) -> String {
        format!("Tickets({} tickets)", self.inner.len())
    }
}

// ---------------------------------------------------------------------------------------
// Results

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
        Ok(PyAssignment {
            inner: from_json(py, "assignment", b)?,
        })
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        reduce_json(slf.as_any(), "assignment", &slf.get().inner)
    }

    /// Equal when every public field is (internal indices are not compared).
    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other.cast::<PyAssignment>().is_ok_and(|o| {
            serde_json::to_value(&o.get().inner).ok() == serde_json::to_value(&self.inner).ok()
        })
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
            .map(fallback_text)
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
        Ok(PyUnassignable {
            inner: from_json(py, "unassignable", b)?,
        })
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        reduce_json(slf.as_any(), "unassignable", &slf.get().inner)
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PyUnassignable>()
            .is_ok_and(|o| o.get().inner == self.inner)
    }

    fn __repr__(&self) -> String {
        format!(
            "Unassignable(ticket_id={:?}, reason={:?})",
            self.inner.ticket_id,
            self.reason()
        )
    }
}

fn outcome_py(py: Python<'_>, o: Outcome) -> PyResult<Py<PyAny>> {
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
    Ok(d)
}

/// Why an outlet was (not) chosen for a ticket, and what would change the answer.
///
/// >>> e = d.explain(t, "O0007")
/// >>> print(e)
/// O0007 is eligible (day 0) but scores 14.20 vs 9.87 for O0042: it loses by 4.33, ...
#[pyclass(frozen, module = "servnet", name = "Explanation")]
pub(crate) struct PyExplanation {
    inner: servnet_core::dispatch::Explanation,
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
    fn new(dispatcher: &PyDispatcher, outcomes: &Bound<'_, PyAny>) -> PyResult<Self> {
        let outcomes: Vec<Outcome> = outcomes
            .try_iter()?
            .map(|o| outcome_from_py(&o?))
            .collect::<PyResult<_>>()?;
        Ok(PyDispatchSummary {
            inner: DispatchSummary::new(&dispatcher.inner, &outcomes),
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
        let text = to_json(py, "summary", &self.inner)?;
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
        Ok(PyDispatchSummary {
            inner: from_json(py, "summary", b)?,
        })
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        reduce_json(slf.as_any(), "summary", &slf.get().inner)
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

// ---------------------------------------------------------------------------------------
// Dispatcher

/// Per-ticket dispatch over a network: books capacity in a ledger so no outlet is ever
/// booked past it; thread-safe (calls release the GIL).
///
/// The ledger is in memory by default (this process only). ``ledger=
/// "redis://HOST:PORT/DB[?namespace=NAME]"`` shares it with every Dispatcher, in any
/// process, on that Redis and namespace (the policy needs a ``start_date`` unless the
/// namespace has one; docs/redis-ledger.md); a ledger that fails raises
/// ``LedgerError``. With ``state="folder"`` it is the journal of that state folder:
/// every booking, hold, release, completion and rating is on disk before the call
/// returns, and a Dispatcher opened on the same folder later (after a crash too) has
/// exactly those bookings. One process opens a folder at a time.
///
/// Not picklable (it holds live bookings): pickle its ``network`` and ``policy`` and
/// build a Dispatcher per worker.
///
/// >>> d = servnet.Dispatcher(net, servnet.Policy())
/// >>> a = d.dispatch({"id": "T1", "lon": 121.47, "lat": 31.23, "region": "CN-310000",
/// ...                 "skill": "repair:air_conditioner", "created_at": "2026-11-23T08:15"})
/// >>> a.assigned
/// True
#[pyclass(frozen, module = "servnet", name = "Dispatcher")]
pub(crate) struct PyDispatcher {
    pub(crate) inner: std::sync::Arc<Dispatcher>,
    network: Py<PyNetwork>,
    policy: Py<PyPolicy>,
}

/// A ticket argument: a `Ticket` (no copy) or a dict (converted).
enum TicketArg<'a> {
    Borrowed(&'a Ticket),
    Owned(Ticket),
}

impl TicketArg<'_> {
    fn get(&self) -> &Ticket {
        match self {
            TicketArg::Borrowed(t) => t,
            TicketArg::Owned(t) => t,
        }
    }
}

/// A ticket argument on the wall clock of `tz`, the dispatcher's network zone.
fn ticket_arg<'a>(v: &'a Bound<'_, PyAny>, tz: chrono_tz::Tz) -> PyResult<TicketArg<'a>> {
    if let Ok(t) = v.cast::<PyTicket>() {
        let t = t.get();
        return Ok(match t.in_zone(tz) {
            Some(local) => TicketArg::Owned(local),
            None => TicketArg::Borrowed(&t.inner),
        });
    }
    if let Ok(d) = v.cast::<PyDict>() {
        return Ok(TicketArg::Owned(convert::ticket_from_dict(d, Some(tz))?.0));
    }
    Err(PyTypeError::new_err(format!(
        "expected a servnet.Ticket or a dict, got {}",
        v.get_type().name()?
    )))
}

impl PyDispatcher {
    /// The network's time zone: every time argument ends on its wall clock.
    fn tz(&self) -> chrono_tz::Tz {
        self.inner.network().time_zone()
    }

    /// Dispatches `tickets` in arrival order (created_at, then id) in chunks with the GIL
    /// released, checking for Ctrl-C between chunks; outcomes in input order.
    fn run(&self, py: Python<'_>, tickets: &[Ticket]) -> PyResult<Vec<Outcome>> {
        let mut out: Vec<Option<Outcome>> = vec![None; tickets.len()];
        self.run_each(py, tickets, &mut |i, o| out[i] = Some(o))?;
        Ok(out.into_iter().flatten().collect())
    }

    /// Dispatches `tickets` in arrival order, handing each outcome with the ticket's
    /// position to `each` (a chunk at a time, between checks for Ctrl-C).
    fn run_each(
        &self,
        py: Python<'_>,
        tickets: &[Ticket],
        each: &mut dyn FnMut(usize, Outcome),
    ) -> PyResult<()> {
        let mut order: Vec<u32> = (0..tickets.len() as u32).collect();
        order.sort_by(|&a, &b| {
            let (a, b) = (&tickets[a as usize], &tickets[b as usize]);
            a.created_at
                .cmp(&b.created_at)
                .then_with(|| a.id.cmp(&b.id))
        });
        for chunk in order.chunks(SIGNAL_EVERY) {
            let done = py.detach(|| {
                chunk
                    .iter()
                    .map(|&i| self.inner.dispatch(&tickets[i as usize]).map(|o| (i, o)))
                    .collect::<servnet_core::Result<Vec<_>>>()
            });
            for (i, o) in done.map_err(|e| error::to_py(py, e))? {
                each(i as usize, o);
            }
            py.check_signals()?;
        }
        Ok(())
    }

    /// A tickets argument: `Tickets` (no copy) or a DataFrame (converted, validated).
    fn tickets_arg<'a>(&self, v: &'a Bound<'_, PyAny>) -> PyResult<TicketsArg<'a>> {
        if let Ok(t) = v.cast::<PyTickets>() {
            return Ok(TicketsArg::Borrowed(&t.get().inner));
        }
        Ok(TicketsArg::Owned(tickets_from_frame(
            v,
            self.network.get(),
        )?))
    }
}

enum TicketsArg<'a> {
    Borrowed(&'a [Ticket]),
    Owned(Vec<Ticket>),
}

impl TicketsArg<'_> {
    fn get(&self) -> &[Ticket] {
        match self {
            TicketsArg::Borrowed(t) => t,
            TicketsArg::Owned(t) => t,
        }
    }
}

/// `now` on the wall clock of `tz`; by default the current instant.
fn now_arg(
    py: Python<'_>,
    v: Option<&Bound<'_, PyAny>>,
    tz: chrono_tz::Tz,
) -> PyResult<NaiveDateTime> {
    match v {
        Some(v) if !v.is_none() => convert::time_arg("now", v, tz),
        _ => {
            let dt = py.import("datetime")?;
            let utc = dt.getattr("timezone")?.getattr("utc")?;
            let now = dt.getattr("datetime")?.call_method1("now", (utc,))?;
            convert::time_arg("now", &now, tz)
        }
    }
}

#[pymethods]
impl PyDispatcher {
    #[new]
    #[pyo3(signature = (network, policy=None, *, ledger=None, state=None))]
    fn new(
        py: Python<'_>,
        network: Bound<'_, PyNetwork>,
        policy: Option<Bound<'_, PyPolicy>>,
        ledger: Option<String>,
        state: Option<std::path::PathBuf>,
    ) -> PyResult<Self> {
        let policy = match policy {
            Some(p) => p.unbind(),
            None => Py::new(
                py,
                PyPolicy {
                    inner: Policy::default(),
                },
            )?,
        };
        let net = (*network.get().inner).clone();
        let pol = policy.get().inner.clone();
        let inner = py
            .detach(|| match (&state, ledger.as_deref()) {
                (Some(_), Some(l)) => Err(servnet_core::Error::argument(
                    "ledger",
                    format!(
                        "'{l}' and state= both given: a dispatcher keeps its bookings in one \
                         ledger (state= a folder's journal, or ledger= memory or redis://...)"
                    ),
                )),
                (Some(dir), _) => Dispatcher::open(net, pol, dir),
                (None, Some(url)) => {
                    Dispatcher::with_ledger(net, pol, servnet_redis::open_ledger(url)?)
                }
                (None, None) => Dispatcher::new(net, pol),
            })
            .map_err(|e| error::to_py(py, e))?;
        // A state folder may hold network changes: the dispatcher's network is then
        // the one to show.
        let network = if inner.network().outlets() == network.get().inner.outlets() {
            network.unbind()
        } else {
            Py::new(
                py,
                PyNetwork {
                    inner: std::sync::Arc::new(inner.network().clone()),
                },
            )?
        };
        let policy = if state.is_some() && inner.policy() != &policy.get().inner {
            Py::new(
                py,
                PyPolicy {
                    inner: inner.policy().clone(),
                },
            )?
        } else {
            policy
        };
        Ok(PyDispatcher {
            inner: std::sync::Arc::new(inner),
            network,
            policy,
        })
    }

    /// The network dispatched over.
    #[getter]
    fn network(&self, py: Python<'_>) -> Py<PyNetwork> {
        self.network.clone_ref(py)
    }

    /// The policy in force.
    #[getter]
    fn policy(&self, py: Python<'_>) -> Py<PyPolicy> {
        self.policy.clone_ref(py)
    }

    /// Day 0 of the ledger once known (the policy's, or the first ticket's date).
    #[getter]
    fn start_date(&self) -> Option<chrono::NaiveDate> {
        self.inner.start_date()
    }

    /// Picks the best outlet for a ticket (a :class:`Ticket` or a dict with the
    /// tickets.csv column names) and books its capacity.
    ///
    /// Returns :class:`Assignment` or :class:`Unassignable` (check ``.assigned``).
    /// Idempotent per ticket id. Raises ``DataError`` for bad input (unknown region or
    /// outlet ids, bad coordinates, zero units).
    ///
    /// >>> d.dispatch(t).outlet_id
    /// 'O0042'
    fn dispatch(&self, py: Python<'_>, ticket: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let t = ticket_arg(ticket, self.tz())?;
        let t = t.get();
        let o = py
            .detach(|| self.inner.dispatch(t))
            .map_err(|e| error::to_py(py, e))?;
        outcome_py(py, o)
    }

    /// Dispatches many tickets (a :class:`Tickets` or a DataFrame) in arrival order and
    /// returns the outcome objects in input order.
    ///
    /// >>> outcomes = d.dispatch_many(tickets)
    /// >>> servnet.DispatchSummary(d, outcomes).tickets == len(tickets)
    /// True
    fn dispatch_many(
        &self,
        py: Python<'_>,
        tickets: &Bound<'_, PyAny>,
    ) -> PyResult<Vec<Py<PyAny>>> {
        let arg = self.tickets_arg(tickets)?;
        let outcomes = self.run(py, arg.get())?;
        outcomes.into_iter().map(|o| outcome_py(py, o)).collect()
    }

    /// Dispatches a whole frame of tickets (DataFrame with the tickets.csv columns, or
    /// :class:`Tickets`) in arrival order (``created_at``, then ``id``), as a live system
    /// would, with the GIL released; Ctrl-C stops it with ``KeyboardInterrupt`` (bookings
    /// made so far stay).
    ///
    /// Returns a DataFrame in input order with the CLI's columns: ``ticket_id``,
    /// ``outlet_id``, ``day``, ``date`` (``day``'s calendar date, ``datetime64``; day 0
    /// is :attr:`start_date`), ``score``, ``distance_km``, ``sla_met``, ``route``,
    /// ``reason`` (``outlet_id``/``day``/``date``/``route`` missing and ``reason`` set
    /// when unassignable); ``.attrs["summary"]`` holds the :class:`DispatchSummary`.
    ///
    /// >>> out = d.dispatch_frame(pd.read_csv("data/sample/tickets.csv"))
    /// >>> out["outlet_id"].notna().mean() > 0.9
    /// True
    fn dispatch_frame<'py>(
        &self,
        py: Python<'py>,
        tickets: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let arg = self.tickets_arg(tickets)?;
        // Each outcome goes to compact columns and the summary's tally as it comes: the
        // outcomes of a big frame are never all held.
        let mut cols = convert::OutcomeCols::with_len(arg.get().len());
        let mut tally = SummaryTally::default();
        self.run_each(py, arg.get(), &mut |i, o| {
            tally.add(&o);
            cols.set(i, o);
        })?;
        let frame = convert::to_frame(
            py,
            cols.into_columns(py, self.inner.start_date())?,
            &[("day", "Int64"), ("date", "date")],
        )?;
        let summary = PyDispatchSummary {
            inner: tally.finish(&self.inner),
        };
        frame
            .getattr("attrs")?
            .set_item("summary", Py::new(py, summary)?)?;
        Ok(frame)
    }

    /// Benchmark helper: dispatches `tickets` in arrival order entirely in Rust (no
    /// Python objects per ticket, GIL released) and returns the seconds the loop took,
    /// timed inside Rust. Used by python/benchmarks/bench_dispatch.py to measure the
    /// per-call overhead of :meth:`dispatch`.
    fn _time_dispatch(&self, py: Python<'_>, tickets: &Bound<'_, PyTickets>) -> PyResult<f64> {
        let tickets = &tickets.get().inner;
        let mut order: Vec<&Ticket> = tickets.iter().collect();
        order.sort_by(|a, b| {
            a.created_at
                .cmp(&b.created_at)
                .then_with(|| a.id.cmp(&b.id))
        });
        py.detach(|| {
            let t = std::time::Instant::now();
            for x in &order {
                self.inner.dispatch(x)?;
            }
            Ok(t.elapsed().as_secs_f64())
        })
        .map_err(|e| error::to_py(py, e))
    }

    /// Eligible outlets for a ticket, best first, at most ``k``, with the score breakdown;
    /// books nothing.
    ///
    /// Columns: ``outlet_id``, ``day``, ``score``, ``distance_km``, ``satisfaction``,
    /// ``load_ratio``, ``cost``, ``priority``, ``probation``, ``preferred``, the weighted
    /// terms ``term_distance`` ... ``term_preferred`` (they sum to ``score``),
    /// ``remaining_skill``, ``remaining_outlet``.
    ///
    /// >>> d.candidates(t, k=3)[["outlet_id", "score", "distance_km"]]
    #[pyo3(signature = (ticket, k=None))]
    fn candidates<'py>(
        &self,
        py: Python<'py>,
        ticket: &Bound<'py, PyAny>,
        k: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let k = match k.filter(|v| !v.is_none()) {
            Some(k) => convert::whole("k", k, 0, 1 << 32)? as usize,
            None => 10,
        };
        let t = ticket_arg(ticket, self.tz())?;
        let t = t.get();
        let cands = py
            .detach(|| self.inner.candidates(t, k))
            .map_err(|e| error::to_py(py, e))?;
        let b = |f: fn(&Breakdown) -> f64| -> PyResult<Bound<'py, PyAny>> {
            Ok(PyList::new(py, cands.iter().map(|c| f(&c.breakdown)))?.into_any())
        };
        let mut cols = vec![
            (
                "outlet_id",
                PyList::new(py, cands.iter().map(|c| c.outlet_id.as_str()))?.into_any(),
            ),
            (
                "day",
                PyList::new(py, cands.iter().map(|c| c.day))?.into_any(),
            ),
            ("score", b(|x| x.score)?),
            ("distance_km", b(|x| x.distance_km)?),
            ("satisfaction", b(|x| x.satisfaction)?),
            ("load_ratio", b(|x| x.load_ratio)?),
            ("cost", b(|x| x.cost)?),
            (
                "priority",
                PyList::new(py, cands.iter().map(|c| c.breakdown.priority))?.into_any(),
            ),
            (
                "probation",
                PyList::new(py, cands.iter().map(|c| c.breakdown.probation))?.into_any(),
            ),
            (
                "preferred",
                PyList::new(py, cands.iter().map(|c| c.breakdown.preferred))?.into_any(),
            ),
        ];
        for (i, name) in TERM_NAMES.iter().enumerate() {
            cols.push((
                name,
                PyList::new(py, cands.iter().map(|c| c.breakdown.terms[i]))?.into_any(),
            ));
        }
        cols.push((
            "remaining_skill",
            PyList::new(py, cands.iter().map(|c| c.remaining_skill))?.into_any(),
        ));
        cols.push((
            "remaining_outlet",
            PyList::new(py, cands.iter().map(|c| c.remaining_outlet))?.into_any(),
        ));
        convert::to_frame(py, cols, &[])
    }

    /// Why ``outlet_id`` was (not) chosen for the ticket, and what would change it.
    ///
    /// >>> print(d.explain(t, "O0007"))
    fn explain(
        &self,
        py: Python<'_>,
        ticket: &Bound<'_, PyAny>,
        outlet_id: &str,
    ) -> PyResult<PyExplanation> {
        let t = ticket_arg(ticket, self.tz())?;
        let t = t.get();
        let e = py
            .detach(|| self.inner.explain(t, outlet_id))
            .map_err(|e| error::to_py(py, e))?;
        Ok(PyExplanation { inner: e })
    }

    /// Books a ticket as a hold until ``now + ttl`` (a ``datetime.timedelta``); confirm
    /// it with :meth:`confirm` using ``outcome.hold``. ``now`` defaults to the local time.
    ///
    /// >>> h = d.hold(t, datetime.timedelta(minutes=15), now=t.created_at)
    /// >>> d.confirm(h.hold, now=t.created_at).hold is None
    /// True
    #[pyo3(signature = (ticket, ttl, now=None))]
    fn hold(
        &self,
        py: Python<'_>,
        ticket: &Bound<'_, PyAny>,
        ttl: chrono::Duration,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let t = ticket_arg(ticket, self.tz())?;
        let t = t.get();
        let now = now_arg(py, now, self.tz())?;
        let o = py
            .detach(|| self.inner.hold(t, ttl, now))
            .map_err(|e| error::to_py(py, e))?;
        outcome_py(py, o)
    }

    /// Turns a hold into a firm assignment; ``DataError`` if unknown or expired at ``now``.
    #[pyo3(signature = (hold, now=None))]
    fn confirm(
        &self,
        py: Python<'_>,
        hold: &Bound<'_, PyAny>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyAssignment> {
        let hold = convert::whole("hold", hold, 0, i128::from(u64::MAX))? as u64;
        let now = now_arg(py, now, self.tz())?;
        let a = self
            .inner
            .confirm(hold, now)
            .map_err(|e| error::to_py(py, e))?;
        Ok(PyAssignment { inner: a })
    }

    /// Releases every hold expired at ``now``; returns their ticket ids.
    #[pyo3(signature = (now=None))]
    fn expire_holds(
        &self,
        py: Python<'_>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Vec<String>> {
        let ids = self
            .inner
            .expire_holds(now_arg(py, now, self.tz())?)
            .map_err(|e| error::to_py(py, e))?;
        Ok(ids.into_iter().map(String::from).collect())
    }

    /// Cancels a booking and returns its capacity; ``DataError`` if the ticket is unknown.
    ///
    /// >>> d.release("T1").outlet_id
    /// 'O0042'
    fn release(&self, py: Python<'_>, ticket_id: &str) -> PyResult<PyAssignment> {
        let a = self
            .inner
            .release(ticket_id)
            .map_err(|e| error::to_py(py, e))?;
        Ok(PyAssignment { inner: a })
    }

    /// Marks a booking done; a follow-up ``rating`` in 1..5 updates the outlet's
    /// satisfaction for that skill.
    ///
    /// >>> d.complete("T1", rating=5).outlet_id
    /// 'O0042'
    #[pyo3(signature = (ticket_id, rating=None))]
    fn complete(
        &self,
        py: Python<'_>,
        ticket_id: &str,
        rating: Option<f64>,
    ) -> PyResult<PyAssignment> {
        let a = self
            .inner
            .complete(ticket_id, rating)
            .map_err(|e| error::to_py(py, e))?;
        Ok(PyAssignment { inner: a })
    }

    /// The current booking of a ticket, or None.
    fn assignment(&self, ticket_id: &str) -> Option<PyAssignment> {
        self.inner
            .assignment(ticket_id)
            .map(|a| PyAssignment { inner: a })
    }

    /// Booked load per outlet skill and day (rows with bookings, plus every day-0 row):
    /// ``outlet_id``, ``skill``, ``day``, ``date`` (``day``'s calendar date,
    /// ``datetime64``, as in ``GET /v1/loads``), ``used``, ``capacity``,
    /// ``outlet_used``, ``outlet_cap``. With a Redis ledger, Redis's current loads
    /// (every process's bookings).
    ///
    /// >>> d.loads().query("used > 0").head()
    fn loads<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        // A ledger shared with other processes: what they booked too.
        let rows = py
            .detach(|| self.inner.refresh().map(|()| self.inner.loads()))
            .map_err(|e| error::to_py(py, e))?;
        macro_rules! col {
            ($f:expr) => {
                PyList::new(py, rows.iter().map($f))?.into_any()
            };
        }
        convert::to_frame(
            py,
            vec![
                ("outlet_id", col!(|r| r.outlet_id.as_str())),
                ("skill", col!(|r| r.skill.as_str())),
                ("day", col!(|r| r.day)),
                (
                    "date",
                    col!(|r| self.inner.date_of(r.day).map(|d| d.to_string())),
                ),
                ("used", col!(|r| r.used)),
                ("capacity", col!(|r| r.capacity)),
                ("outlet_used", col!(|r| r.outlet_used)),
                ("outlet_cap", col!(|r| r.outlet_cap)),
            ],
            &[("date", "date")],
        )
    }

    fn __reduce__(&self) -> PyResult<()> {
        Err(PyTypeError::new_err(
            "a servnet.Dispatcher holds live bookings and cannot be pickled; pickle its \
             .network and .policy and build a Dispatcher in each worker",
        ))
    }

    fn __repr__(&self) -> String {
        format!("Dispatcher({})", self.network.get().__repr__())
    }
}

/// Reads a tickets file (CSV or JSON, docs/formats.md), validated against ``network``.
///
/// Raises ``DataError`` naming file, line and field of every problem.
///
/// >>> tickets = servnet.read_tickets("data/sample/tickets.csv", net)
/// >>> len(tickets)
/// 20000
#[pyfunction]
pub(crate) fn read_tickets(
    py: Python<'_>,
    path: PathBuf,
    network: &Bound<'_, PyNetwork>,
) -> PyResult<PyTickets> {
    read_tickets_file(py, path, network.get())
}

/// Registers the dispatch classes.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyPolicy>()?;
    m.add_class::<PyTicket>()?;
    m.add_class::<PyTickets>()?;
    m.add_class::<PyAssignment>()?;
    m.add_class::<PyUnassignable>()?;
    m.add_class::<PyExplanation>()?;
    m.add_class::<PyDispatchSummary>()?;
    m.add_class::<PyDispatcher>()?;
    m.add_function(wrap_pyfunction!(read_tickets, m)?)?;
    Ok(())
}
