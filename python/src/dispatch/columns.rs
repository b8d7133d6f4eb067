//! `dispatch_frame`'s result columns: each outcome goes into compact columns as it comes
//! (the outcomes of a big frame are never all held), and the columns become numpy arrays
//! and coded text one at a time, each Rust column freed once its array is made.

use crate::convert;
use chrono::NaiveDate;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyList};
use servnet_core::dispatch::{Outcome, SmolStr};
use std::collections::BTreeMap;

/// A code for a missing value.
const NONE: u32 = u32::MAX;

/// A text column as codes into its distinct values (outlets, routes, reasons: few distinct
/// values for many rows).
struct Coded {
    codes: Vec<u32>,
    values: Vec<SmolStr>,
    index: BTreeMap<SmolStr, u32>,
}

impl Coded {
    fn new(n: usize) -> Self {
        Coded {
            codes: vec![NONE; n],
            values: Vec::new(),
            index: BTreeMap::new(),
        }
    }

    /// Row `i` holds `text`.
    fn set(&mut self, i: usize, text: &str) {
        let code = match self.index.get(text) {
            Some(&k) => k,
            None => {
                let k = self.values.len() as u32;
                self.values.push(SmolStr::new(text));
                self.index.insert(SmolStr::new(text), k);
                k
            }
        };
        if let Some(c) = self.codes.get_mut(i) {
            *c = code;
        }
    }

    /// The column as `(codes, categories)` for `servnet._frames.make_frame`'s `"text"`
    /// columns: `int32` codes (-1 missing) into the values in sorted order, so the
    /// result does not depend on which row came first.
    fn into_py(self, py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
        let sorted: Vec<(SmolStr, u32)> = self.index.into_iter().collect();
        let mut rank = vec![0u32; self.values.len()];
        for (r, (_, k)) in sorted.iter().enumerate() {
            rank[*k as usize] = r as u32;
        }
        drop(self.values);
        let codes = numpy(py, "int32", &self.codes, |&c| {
            let c = if c == NONE {
                -1
            } else {
                rank[c as usize] as i32
            };
            c.to_ne_bytes()
        })?;
        let categories = PyList::new(py, sorted.iter().map(|(s, _)| s.as_str()))?;
        Ok((codes, categories).into_pyobject(py)?.into_any())
    }
}

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
        // Microseconds since 1970 (NaT: i64::MIN), viewed as datetime64[us].
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1);
        let date = numpy(py, "int64", &day, |&d| {
            (d != NONE)
                .then(|| servnet_core::io::day_date(start, d))
                .flatten()
                .zip(epoch)
                .map_or(i64::MIN, |(d, e)| (d - e).num_days() * 86_400_000_000)
                .to_ne_bytes()
        })?
        .call_method1("view", ("datetime64[us]",))?;
        let day_mask = numpy(py, "bool", &day, |&d| [u8::from(d == NONE)])?;
        let day_values = numpy(py, "int64", &day, |&d| {
            i64::from(if d == NONE { 0 } else { d }).to_ne_bytes()
        })?;
        drop(day);
        let day = (day_values, day_mask).into_pyobject(py)?.into_any();
        let score_py = numpy(py, "float64", &score, |x| x.to_ne_bytes())?;
        drop(score);
        let dist_py = numpy(py, "float64", &dist, |x| x.to_ne_bytes())?;
        drop(dist);
        let sla_py = numpy(py, "bool", &sla, |&x| [u8::from(x)])?;
        drop(sla);
        Ok(vec![
            ("ticket_id", ticket_py, None),
            ("outlet_id", outlet, Some("text")),
            ("day", day, Some("Int64")),
            ("date", date, None),
            ("score", score_py, None),
            ("distance_km", dist_py, None),
            ("sla_met", sla_py, None),
            ("route", route.into_py(py)?, Some("text")),
            ("reason", reason.into_py(py)?, Some("text")),
        ])
    }
}

/// A writable numpy array of `dtype` with one item per element of `v`, each written as
/// the native bytes `item` gives: the array's memory (a `bytearray`) is filled in place,
/// with no copy between.
pub(super) fn numpy<'py, T, const N: usize>(
    py: Python<'py>,
    dtype: &str,
    v: &[T],
    item: impl Fn(&T) -> [u8; N],
) -> PyResult<Bound<'py, PyAny>> {
    let bytes = PyByteArray::new_with(py, v.len() * N, |b| {
        for (out, x) in b.chunks_exact_mut(N).zip(v) {
            out.copy_from_slice(&item(x));
        }
        Ok(())
    })?;
    py.import("numpy")?
        .call_method1("frombuffer", (bytes, dtype))
}
