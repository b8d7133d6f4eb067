//! `servnet.Ticket` and `servnet.Tickets`: tickets built once and dispatched with no
//! per-call conversion.

use crate::convert;
use crate::error;
use crate::frame;
use crate::network::PyNetwork;
use crate::plain::{self, PlainData};
use chrono::{NaiveDateTime, TimeZone};
use pyo3::exceptions::PyIndexError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};
use servnet_core::model::Ticket;
use std::borrow::Cow;
use std::path::PathBuf;

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
        plain::restore(py, b)
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        plain::reduce(slf)
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        plain::same(self, other)
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
    pub(super) fn in_zone(&self, tz: chrono_tz::Tz) -> Option<Ticket> {
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
    /// Shared, so that a solve on its own thread takes them without a copy.
    pub(crate) inner: std::sync::Arc<Vec<Ticket>>,
}

impl PyTickets {
    /// The list of `tickets`.
    pub(crate) fn new(tickets: Vec<Ticket>) -> Self {
        PyTickets {
            inner: std::sync::Arc::new(tickets),
        }
    }
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
    Ok(PyTickets::new(tickets))
}

/// Tickets from a DataFrame with the tickets.csv columns, validated like the file (the
/// columns cross typed, see [`crate::frame`]).
pub(crate) fn tickets_from_frame(
    df: &Bound<'_, PyAny>,
    network: &PyNetwork,
) -> PyResult<Vec<Ticket>> {
    let py = df.py();
    let cols = frame::frame_cols("tickets", "tickets.csv", df)?;
    let net = network.inner.clone();
    let frame = &cols.frame;
    let mut tickets = Vec::with_capacity(frame.rows);
    py.detach(|| {
        servnet_core::io::tickets_from_frame(frame, &net, FRAME_CHUNK, &mut |chunk| {
            tickets.extend(chunk.into_iter().map(|(_, t)| t));
        })
    })
    .map_err(|e| frame::frame_error(py, e, &[&cols]))?;
    Ok(tickets)
}

/// Rows of a frame's tickets built at a time.
pub(crate) const FRAME_CHUNK: usize = 65_536;

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
        Ok(PyTickets::new(tickets_from_frame(df, network)?))
    }

    /// Benchmark helper (scripts/bench_frames.py): the previous conversion, writing the
    /// frame as CSV text cell by cell and parsing it, to measure against `from_frame`.
    #[staticmethod]
    fn _from_frame_csv(df: &Bound<'_, PyAny>, network: &PyNetwork) -> PyResult<Self> {
        let py = df.py();
        let text = convert::frame_text("tickets", "tickets.csv", df)?;
        let net = network.inner.clone();
        let csv = &text.csv;
        let inner = py
            .detach(|| servnet_core::io::tickets_from_csv("tickets.csv", csv, &net))
            .map_err(|e| convert::frame_error(py, e, &[&text]))?;
        Ok(PyTickets::new(inner))
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
        plain::restore(py, b)
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        plain::reduce(slf)
    }

    fn __repr__(&self) -> String {
        format!("Tickets({} tickets)", self.inner.len())
    }
}

impl PlainData for PyTicket {
    /// The ticket and whether its times are UTC (see [`PyTicket::utc`]).
    type Data = (Ticket, bool);
    const WHAT: &'static str = "ticket";
    fn data(&self) -> Cow<'_, (Ticket, bool)> {
        Cow::Owned((self.inner.clone(), self.utc))
    }
    fn from_data(_py: Python<'_>, (inner, utc): (Ticket, bool)) -> PyResult<Self> {
        Ok(PyTicket { inner, utc })
    }
}

impl PlainData for PyTickets {
    type Data = Vec<Ticket>;
    const WHAT: &'static str = "tickets";
    fn data(&self) -> Cow<'_, Vec<Ticket>> {
        Cow::Borrowed(&self.inner)
    }
    fn from_data(_py: Python<'_>, inner: Vec<Ticket>) -> PyResult<Self> {
        Ok(PyTickets::new(inner))
    }
}
