//! `dispatch_frame`'s result columns: each outcome goes into compact columns as it comes
//! (the outcomes of a big frame are never all held), and the columns become numpy arrays
//! and coded text one at a time, each Rust column freed once its array is made.

use crate::columns::{dates, masked_int64, numpy, Coded};
use crate::convert;
use chrono::NaiveDate;
use pyo3::prelude::*;
use pyo3::types::PyList;
use servnet_core::dispatch::{Outcome, SmolStr};

/// A day for a ticket not booked.
const NONE: u32 = u32::MAX;

/// Outcome columns filled by ticket position as outcomes come (27 bytes per ticket plus
/// the ticket id when the caller has no column of them, where an [`Outcome`] with its
/// diagnosis takes several hundred).
pub(crate) struct OutcomeCols {
    /// Empty when the caller gives the ticket id column ([`OutcomeCols::without_ids`]).
    ticket: Vec<SmolStr>,
    outlet: Coded,
    /// [`NONE`] when unassigned.
    day: Vec<u32>,
    score: Vec<f64>,
    dist: Vec<f64>,
    sla: Vec<bool>,
    route: Coded,
    reason: Coded,
}

impl OutcomeCols {
    /// Columns of `n` rows, each unassignable with no reason until set.
    pub(crate) fn with_len(n: usize) -> Self {
        let mut c = Self::without_ids(n);
        c.ticket = vec![SmolStr::default(); n];
        c
    }

    /// [`OutcomeCols::with_len`] keeping no ticket ids: the caller hands its own column
    /// of them to [`OutcomeCols::into_columns`].
    pub(crate) fn without_ids(n: usize) -> Self {
        OutcomeCols {
            ticket: Vec::new(),
            outlet: Coded::new(n),
            day: vec![NONE; n],
            score: vec![f64::NAN; n],
            dist: vec![f64::NAN; n],
            sla: vec![false; n],
            route: Coded::new(n),
            reason: Coded::new(n),
        }
    }

    /// Row `i` from `o` (rows past the end are ignored).
    pub(crate) fn set(&mut self, i: usize, o: Outcome) {
        if i >= self.score.len() {
            return;
        }
        let ticket_id = match o {
            Outcome::Assigned(a) => {
                self.outlet.set(i, &a.outlet_id);
                self.day[i] = a.day;
                self.score[i] = a.breakdown.score;
                self.dist[i] = a.breakdown.distance_km;
                self.sla[i] = a.sla_met;
                self.route.set(i, &convert::route_text(a.route));
                a.ticket_id
            }
            Outcome::Unassignable(u) => {
                self.reason.set(i, u.reason.as_str());
                u.ticket_id
            }
        };
        if let Some(t) = self.ticket.get_mut(i) {
            *t = ticket_id;
        }
    }

    /// The columns: `ticket_id` (`tickets` when given), `outlet_id`, `day`, `date`,
    /// `score`, `distance_km`, `sla_met`, `route`, `reason` (the CLI's), with the dtypes
    /// to give `servnet._frames.make_frame`. `date` is ledger day 0 `start` plus the
    /// booking's `day` (`datetime64[us]`, NaT without a start or a booking); `day` is
    /// `Int64` from its values and mask; numbers and flags are numpy arrays; the text
    /// columns are codes into their distinct values. Each Rust column is freed as soon
    /// as its array is made.
    #[allow(clippy::type_complexity)]
    pub(crate) fn into_columns<'py>(
        self,
        py: Python<'py>,
        start: Option<NaiveDate>,
        tickets: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Vec<(&'static str, Bound<'py, PyAny>, Option<&'static str>)>> {
        let OutcomeCols {
            ticket,
            outlet,
            day,
            score,
            dist,
            sla,
            route,
            reason,
        } = self;
        let ticket_py = match tickets {
            Some(t) => t,
            None => PyList::new(py, ticket.iter().map(|s| s.as_str()))?.into_any(),
        };
        drop(ticket);
        let outlet = outlet.into_py(py)?;
        let date = dates(py, &day, |&d| {
            (d != NONE)
                .then(|| servnet_core::io::day_date(start, d))
                .flatten()
        })?;
        let day_py = masked_int64(py, &day, |&d| (d != NONE).then_some(i64::from(d)))?;
        drop(day);
        let score_py = numpy(py, "float64", &score, |x| x.to_ne_bytes())?;
        drop(score);
        let dist_py = numpy(py, "float64", &dist, |x| x.to_ne_bytes())?;
        drop(dist);
        let sla_py = numpy(py, "bool", &sla, |&x| [u8::from(x)])?;
        drop(sla);
        Ok(vec![
            ("ticket_id", ticket_py, None),
            ("outlet_id", outlet, Some("text")),
            ("day", day_py, Some("Int64")),
            ("date", date, None),
            ("score", score_py, None),
            ("distance_km", dist_py, None),
            ("sla_met", sla_py, None),
            ("route", route.into_py(py)?, Some("text")),
            ("reason", reason.into_py(py)?, Some("text")),
        ])
    }
}
