//! `servnet.Dispatcher` and `servnet.read_tickets`; the other dispatch classes are in
//! the child modules: `policy` (`Policy`), `ticket` (`Ticket`, `Tickets`) and `outcome`
//! (`Assignment`, `Unassignable`, `Explanation`, `DispatchSummary`).

mod change;
mod chunked;
mod columns;
mod outcome;
mod policy;
mod ticket;

pub(crate) use outcome::{PyAssignment, PyDispatchSummary, PyExplanation, PyUnassignable};
pub(crate) use policy::PyPolicy;
pub(crate) use ticket::{read_tickets_file, tickets_from_frame, PyTicket, PyTickets};

use crate::convert;
use crate::error;
use crate::network::PyNetwork;
use change::{change_arg, statuses};
use chrono::{NaiveDate, NaiveDateTime};
use columns::OutcomeCols;
use outcome::{outcome_py, TERM_NAMES};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use servnet_core::assign::BaselineDispatcher;
use servnet_core::dispatch::NetworkChange;
use servnet_core::dispatch::{arrival_order, Breakdown, Dispatcher, Outcome, Policy, SummaryTally};
use servnet_core::model::{Network, Ticket};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};

/// Tickets dispatched between two checks for Ctrl-C in long loops.
const SIGNAL_EVERY: usize = 16_384;

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
    /// Every call reads through [`PyDispatcher::read`]; `apply` takes the write side.
    inner: Arc<RwLock<Dispatcher>>,
    /// The network shown (the dispatcher's, replaced by `apply`).
    network: Mutex<Py<PyNetwork>>,
    policy: Py<PyPolicy>,
    /// The network's time zone (a change keeps it).
    tz: chrono_tz::Tz,
}

/// The error of a lock a panicking call left poisoned.
fn poisoned() -> servnet_core::Error {
    servnet_core::Error::Ledger {
        store: "dispatcher".into(),
        message: "a call stopped midway while holding this dispatcher (poisoned lock); \
                  build a new Dispatcher"
            .into(),
    }
}

/// The dispatcher behind `lock`, read-locked (many readers at once).
///
/// Lock discipline (no deadlock with the GIL): a guard is taken either inside
/// `py.detach` and dropped before it returns, or with the GIL held and dropped before
/// the GIL is released; so no guard holder ever waits for the GIL.
pub(crate) fn read_lock(
    lock: &RwLock<Dispatcher>,
) -> servnet_core::Result<RwLockReadGuard<'_, Dispatcher>> {
    lock.read().map_err(|_| poisoned())
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
        self.tz
    }

    /// The dispatcher, read-locked: every call but `apply` reads through here (see
    /// [`read_lock`] for when a guard may be held).
    pub(crate) fn read(&self) -> servnet_core::Result<RwLockReadGuard<'_, Dispatcher>> {
        read_lock(&self.inner)
    }

    /// [`Self::read`] with the GIL held (a short call that never releases the GIL).
    pub(crate) fn read_py(&self, py: Python<'_>) -> PyResult<RwLockReadGuard<'_, Dispatcher>> {
        self.read().map_err(|e| error::to_py(py, e))
    }

    /// The lock itself, for a call run on another thread (`servnet.assign`).
    pub(crate) fn shared(&self) -> Arc<RwLock<Dispatcher>> {
        Arc::clone(&self.inner)
    }

    /// Makes `network` (the dispatcher's after a change) the one :attr:`network` shows.
    fn show_network(&self, py: Python<'_>, network: Network) -> PyResult<()> {
        let shown = Py::new(py, PyNetwork::new(network))?;
        *self
            .network
            .lock()
            .map_err(|_| error::to_py(py, poisoned()))? = shown;
        Ok(())
    }

    /// The network shown.
    fn network_py(&self, py: Python<'_>) -> PyResult<Py<PyNetwork>> {
        let n = self
            .network
            .lock()
            .map_err(|_| error::to_py(py, poisoned()))?;
        Ok(n.clone_ref(py))
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
        let order = arrival_order(tickets);
        for chunk in order.chunks(SIGNAL_EVERY) {
            let done = py.detach(|| {
                let d = self.read()?;
                chunk
                    .iter()
                    .map(|&i| d.dispatch(&tickets[i]).map(|o| (i, o)))
                    .collect::<servnet_core::Result<Vec<_>>>()
            });
            for (i, o) in done.map_err(|e| error::to_py(py, e))? {
                each(i, o);
            }
            py.check_signals()?;
        }
        Ok(())
    }

    /// [`PyDispatcher::dispatch_frame`]'s work; a DataFrame goes `chunk` rows at a time.
    fn frame_outcomes<'py>(
        &self,
        py: Python<'py>,
        tickets: &Bound<'py, PyAny>,
        chunk: usize,
    ) -> PyResult<Bound<'py, PyAny>> {
        let rows = tickets.len()?;
        // What the caller freed (pandas' read of the frame) goes back first.
        crate::heap::trim_for(py, rows);
        // Each outcome goes to compact columns and the summary's tally as it comes: the
        // outcomes of a big frame are never all held.
        let mut tally = SummaryTally::default();
        let (cols, ids) = match tickets.cast::<PyTickets>() {
            Ok(t) => {
                let t = &t.get().inner;
                let mut cols = OutcomeCols::with_len(t.len());
                self.run_each(py, t, &mut |i, o| {
                    tally.add(&o);
                    cols.set(i, o);
                })?;
                (cols, None)
            }
            // A DataFrame: checked, then built and dispatched a chunk at a time; the
            // ticket ids come from its own column.
            Err(_) => {
                let mut cols = OutcomeCols::without_ids(rows);
                let ids = self.run_frame(py, tickets, chunk, &mut |i, o| {
                    tally.add(&o);
                    cols.set(i, o);
                })?;
                (cols, Some(ids))
            }
        };
        // The chunks' leftovers go back before the result columns are made.
        crate::heap::trim_for(py, rows);
        let (start, summary) = {
            let d = self.read_py(py)?;
            (d.start_date(), tally.finish(&d))
        };
        let mut columns = Vec::new();
        let mut dtypes = Vec::new();
        for (name, values, dtype) in cols.into_columns(py, start, ids)? {
            columns.push((name, values));
            dtypes.extend(dtype.map(|t| (name, t)));
        }
        let frame = convert::to_frame(py, columns, &dtypes)?;
        let summary = PyDispatchSummary { inner: summary };
        frame
            .getattr("attrs")?
            .set_item("summary", Py::new(py, summary)?)?;
        Ok(frame)
    }

    /// A tickets argument: `Tickets` (no copy) or a DataFrame (converted, validated).
    fn tickets_arg<'a>(&self, v: &'a Bound<'_, PyAny>) -> PyResult<TicketsArg<'a>> {
        if let Ok(t) = v.cast::<PyTickets>() {
            return Ok(TicketsArg::Borrowed(&t.get().inner));
        }
        let net = self.network_py(v.py())?;
        Ok(TicketsArg::Owned(tickets_from_frame(v, net.get())?))
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
            Py::new(py, PyNetwork::new(inner.network().clone()))?
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
            tz: inner.network().time_zone(),
            inner: Arc::new(RwLock::new(inner)),
            network: Mutex::new(network),
            policy,
        })
    }

    /// The network dispatched over.
    #[getter]
    fn network(&self, py: Python<'_>) -> PyResult<Py<PyNetwork>> {
        self.network_py(py)
    }

    /// The policy in force.
    #[getter]
    fn policy(&self, py: Python<'_>) -> Py<PyPolicy> {
        self.policy.clone_ref(py)
    }

    /// Day 0 of the ledger once known (the policy's, or the first ticket's date).
    #[getter]
    fn start_date(&self, py: Python<'_>) -> PyResult<Option<chrono::NaiveDate>> {
        Ok(self.read_py(py)?.start_date())
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
            .detach(|| self.read()?.dispatch(t))
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
    /// Memory: a frame is checked a chunk of rows at a time, then read again from its own
    /// rows a chunk at a time while the dispatcher fills (about 100 bytes per live
    /// booking); the result takes about 80 bytes a row. The C heap's free pages (what
    /// reading the frame freed) go back to the system first (glibc). For big files, read
    /// the repeated text as ``category`` and parse the times: pandas' default read of 1M
    /// tickets peaks at about 420 MB by itself, this one at about 260 MB, and read plus
    /// ``dispatch_frame`` at about 370 MB (BENCHMARKS.md, issue 21 target 2)::
    ///
    ///     tickets = pd.read_csv(path, keep_default_na=False,
    ///                           parse_dates=["created_at", "due_by"],
    ///                           dtype={c: "category" for c in ["region", "skill",
    ///                                  "priority", "customer_tier", "avoid", "preferred"]})
    ///
    /// >>> out = d.dispatch_frame(pd.read_csv("data/sample/tickets.csv"))
    /// >>> out["outlet_id"].notna().mean() > 0.9
    /// True
    fn dispatch_frame<'py>(
        &self,
        py: Python<'py>,
        tickets: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.frame_outcomes(py, tickets, SIGNAL_EVERY)
    }

    /// Test helper: :meth:`dispatch_frame` with a DataFrame checked and dispatched
    /// ``chunk`` rows at a time (16,384 in :meth:`dispatch_frame`).
    fn _dispatch_frame<'py>(
        &self,
        py: Python<'py>,
        tickets: &Bound<'py, PyAny>,
        chunk: usize,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.frame_outcomes(py, tickets, chunk)
    }

    /// Benchmark helper: dispatches `tickets` in arrival order entirely in Rust (no
    /// Python objects per ticket, GIL released) and returns the seconds the loop took,
    /// timed inside Rust. Used by python/benchmarks/bench_dispatch.py to measure the
    /// per-call overhead of :meth:`dispatch`.
    fn _time_dispatch(&self, py: Python<'_>, tickets: &Bound<'_, PyTickets>) -> PyResult<f64> {
        let tickets = &tickets.get().inner;
        let order = arrival_order(tickets);
        py.detach(|| {
            let d = self.read()?;
            let t = std::time::Instant::now();
            for &i in &order {
                d.dispatch(&tickets[i])?;
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
    /// ``remaining_skill``, ``remaining_outlet``, ``package``, ``mode``,
    /// ``package_weight``, ``reserve_held``, ``status`` (the outlet's, after any
    /// :meth:`apply`), ``route`` (``direct``: every hard rule within the SLA; else the
    /// policy's fallback dispatch would use when no outlet meets them, e.g. for a
    /// backlog ticket already past its due time). The first row is the outlet
    /// :meth:`dispatch` would book now.
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
        let (cands, status) = py
            .detach(|| {
                let d = self.read()?;
                let cands = d.candidates(t, k)?;
                let status = statuses(&d, cands.iter().map(|c| c.outlet_id.as_str()));
                Ok::<_, servnet_core::Error>((cands, status))
            })
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
        cols.push((
            "package",
            PyList::new(
                py,
                cands
                    .iter()
                    .map(|c| c.breakdown.package.map(|k| k.to_string())),
            )?
            .into_any(),
        ));
        cols.push((
            "mode",
            PyList::new(py, cands.iter().map(|c| c.breakdown.mode.as_str()))?.into_any(),
        ));
        cols.push(("package_weight", b(|x| x.package_weight)?));
        cols.push((
            "reserve_held",
            PyList::new(py, cands.iter().map(|c| c.breakdown.reserve_held))?.into_any(),
        ));
        cols.push(("status", PyList::new(py, status)?.into_any()));
        cols.push((
            "route",
            PyList::new(py, cands.iter().map(|c| convert::route_text(c.route)))?.into_any(),
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
            .detach(|| self.read()?.explain(t, outlet_id))
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
            .detach(|| self.read()?.hold(t, ttl, now))
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
            .read_py(py)?
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
        let now = now_arg(py, now, self.tz())?;
        let ids = self
            .read_py(py)?
            .expire_holds(now)
            .map_err(|e| error::to_py(py, e))?;
        Ok(ids.into_iter().map(String::from).collect())
    }

    /// Cancels a booking and returns its capacity; ``DataError`` if the ticket is unknown.
    ///
    /// >>> d.release("T1").outlet_id
    /// 'O0042'
    fn release(&self, py: Python<'_>, ticket_id: &str) -> PyResult<PyAssignment> {
        let a = self
            .read_py(py)?
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
            .read_py(py)?
            .complete(ticket_id, rating)
            .map_err(|e| error::to_py(py, e))?;
        Ok(PyAssignment { inner: a })
    }

    /// The current booking of a ticket, or None.
    fn assignment(&self, py: Python<'_>, ticket_id: &str) -> PyResult<Option<PyAssignment>> {
        Ok(self
            .read_py(py)?
            .assignment(ticket_id)
            .map(|a| PyAssignment { inner: a }))
    }

    /// Booked load per outlet skill and day (rows with bookings, plus every day-0 row):
    /// ``outlet_id``, ``skill``, ``day``, ``date`` (``day``'s calendar date,
    /// ``datetime64``, as in ``GET /v1/loads``), ``used``, ``capacity``,
    /// ``outlet_used``, ``outlet_cap``, ``status`` (the outlet's now: a suspended or
    /// closed outlet keeps its bookings). With a Redis ledger, Redis's current loads
    /// (every process's bookings).
    ///
    /// >>> d.loads().query("used > 0").head()
    fn loads<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        // A ledger shared with other processes: what they booked too.
        let (rows, dates, status) = py
            .detach(|| {
                let d = self.read()?;
                d.refresh()?;
                let rows = d.loads();
                let dates: Vec<Option<NaiveDate>> = rows.iter().map(|r| d.date_of(r.day)).collect();
                let status = statuses(&d, rows.iter().map(|r| r.outlet_id.as_str()));
                Ok::<_, servnet_core::Error>((rows, dates, status))
            })
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
                ("date", crate::columns::dates(py, &dates, |x| *x)?),
                ("used", col!(|r| r.used)),
                ("capacity", col!(|r| r.capacity)),
                ("outlet_used", col!(|r| r.outlet_used)),
                ("outlet_cap", col!(|r| r.outlet_cap)),
                ("status", PyList::new(py, status)?.into_any()),
            ],
            &[],
        )
    }

    /// Applies live changes to the network without a restart: a review's actions (the
    /// DataFrame of :func:`servnet.review`, or any frame or actions file with
    /// ``outlet_id`` and ``action``: suspend and remove set the outlet's status to
    /// suspended or closed, confirm to active, warn and keep change nothing), one change
    /// dict as ``POST /v1/network/changes`` takes it (``{"change": "outlet_status",
    /// "outlet_id": "O1", "status": "suspended"}``, ``skill_capacity``, ``outlet_cap``,
    /// ``add_outlets``), or a list of such dicts.
    ///
    /// All the changes apply, in order, or none (``DataError`` naming the change that
    /// failed). Bookings stay where they are; new tickets see the changed network;
    /// :attr:`network` is the changed one. A state folder's journal records the changes.
    /// Other calls wait while the search is rebuilt (once per call). Returns what
    /// changed (``outlet_status O0042 suspended``, ...).
    ///
    /// >>> actions = servnet.review("data/sample", "2026-12-01")
    /// >>> d.apply(actions)
    /// ['outlet_status O0107 closed', ...]
    fn apply(&self, py: Python<'_>, changes: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
        let changes = change_arg(changes)?;
        let network = py
            .detach(|| {
                let mut d = self.inner.write().map_err(|_| poisoned())?;
                d.apply_all(&changes)?;
                Ok::<_, servnet_core::Error>(d.network().clone())
            })
            .map_err(|e| error::to_py(py, e))?;
        self.show_network(py, network)?;
        Ok(changes.iter().map(NetworkChange::describe).collect())
    }

    /// Applies the network changes other processes recorded on a shared (Redis) ledger
    /// since this dispatcher last looked, in the order they were made, and returns how
    /// many change lists it applied (0 for a ledger of this process alone).
    /// :meth:`apply` does it first; ``servnet serve`` does it every second; a
    /// long-running dispatcher in Python calls it when it wants the others' changes.
    ///
    /// >>> other.apply({"change": "outlet_status", "outlet_id": "O1", "status": "suspended"})
    /// >>> d.sync_network()
    /// 1
    fn sync_network(&self, py: Python<'_>) -> PyResult<usize> {
        let (n, network) = py
            .detach(|| {
                let mut d = self.inner.write().map_err(|_| poisoned())?;
                let n = d.sync_network()?;
                Ok::<_, servnet_core::Error>((n, d.network().clone()))
            })
            .map_err(|e| error::to_py(py, e))?;
        if n > 0 {
            self.show_network(py, network)?;
        }
        Ok(n)
    }

    fn __reduce__(&self) -> PyResult<()> {
        Err(PyTypeError::new_err(
            "a servnet.Dispatcher holds live bookings and cannot be pickled; pickle its \
             .network and .policy and build a Dispatcher in each worker",
        ))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Dispatcher({})",
            self.network_py(py)?.get().__repr__()
        ))
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

/// Reads a data folder's network and its tickets file together, as ``servnet assign``
/// does (the tickets' cells are parsed while the network is read); ``(network,
/// tickets)``, no tickets file: none. Same checks as :meth:`Network.from_dir` and
/// :func:`read_tickets`. While the tickets are checked it also lays out the dispatcher
/// that a first :func:`compare_with_sequential` on the network under the default
/// policy uses (as ``servnet assign`` does), so that call does not lay it out alone.
///
/// Raises ``DataError`` naming file, line and field of every problem.
///
/// >>> net, tickets = servnet.read_network_and_tickets("data/sample")
/// >>> len(tickets)
/// 20000
#[pyfunction]
pub(crate) fn read_network_and_tickets(
    py: Python<'_>,
    path: PathBuf,
) -> PyResult<(PyNetwork, PyTickets)> {
    let (net, tickets, laid_out) = py
        .detach(|| {
            servnet_core::io::read_network_and_tickets_beside(&path, |network| {
                BaselineDispatcher::new(network.clone(), &Policy::default())
            })
        })
        .map_err(|e| error::to_py(py, e))?;
    // (a layout that failed is laid out again, and reported, by the comparison)
    let net = match laid_out {
        Ok(d) => PyNetwork::with_baseline(net, d),
        Err(_) => PyNetwork::new(net),
    };
    Ok((net, PyTickets::new(tickets)))
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
    m.add_function(wrap_pyfunction!(read_network_and_tickets, m)?)?;
    Ok(())
}
