//! `Dispatcher.dispatch_frame` of a DataFrame a chunk at a time, in two passes: every
//! chunk of rows is converted and checked ([`TicketCheck`]: the same problems as a
//! check of the whole frame; nothing is dispatched from a frame with problems), keeping
//! only each ticket's id and (created_at, position); then the tickets are read again
//! from the frame's own rows a chunk at a time in arrival order, built and dispatched.
//! Neither the frame's text, nor its typed columns, nor all its tickets are ever held.
//!
//! Each chunk read-locks the dispatcher on its own (a guard is never held while the GIL
//! is taken back: see `read_lock`), so a `Dispatcher.apply` from another thread may land
//! between chunks: the tickets after it see the changed network, as in a loop of
//! `dispatch` calls. The check stays valid across it: a network change touches outlets
//! only (status, capacity, cap, new outlets), so the regions and time zone a ticket is
//! checked against stay and the skills offered only grow.

use super::PyDispatcher;
use crate::columns::numpy;
use crate::error;
use crate::frame;
use crate::heap;
use chrono::NaiveDateTime;
use pyo3::prelude::*;
use pyo3::types::PySlice;
use servnet_core::dispatch::Outcome;
use servnet_core::io::{FrameTickets, TicketCheck};

/// The argument name and the file a tickets frame stands for.
const NAME: &str = "tickets";
const FILE: &str = "tickets.csv";

impl PyDispatcher {
    /// Checks DataFrame `df`'s tickets `chunk` rows at a time, then dispatches them in
    /// arrival order (created_at, then id) `chunk` at a time, handing each outcome with
    /// the ticket's row position to `each`. Returns the tickets' ids as a column in row
    /// order (the frame's own `id` values where they are already the ids as read: no
    /// second copy).
    pub(super) fn run_frame<'py>(
        &self,
        py: Python<'py>,
        df: &Bound<'py, PyAny>,
        chunk: usize,
        each: &mut dyn FnMut(usize, Outcome),
    ) -> PyResult<Bound<'py, PyAny>> {
        let chunk = chunk.max(1);
        let rows = frame::frame_len(NAME, df)?;
        let iloc = df.getattr("iloc")?;
        let slice = |a: usize, b: usize| iloc.get_item(PySlice::new(py, a as isize, b as isize, 1));
        let mut check = TicketCheck::new(rows);
        let mut arrivals: Vec<(NaiveDateTime, u32)> = Vec::with_capacity(rows);
        let mut as_read = true;
        let mut from = 0;
        loop {
            let to = rows.min(from + chunk);
            let part = frame::frame_cols(NAME, FILE, &slice(from, to)?)?;
            as_read &= frame::ids_as_read(&part, "id");
            py.detach(|| {
                let d = self.read()?;
                // Positions fit u32: frame_len bounds the rows.
                check.check(&part.frame, d.network(), &mut |r, t| {
                    arrivals.push((t.created_at, r as u32));
                });
                Ok::<_, servnet_core::Error>(())
            })
            .map_err(|e| error::to_py(py, e))?;
            drop(part);
            py.check_signals()?;
            if to >= rows {
                break;
            }
            from = to;
        }
        let ids = check
            .finish()
            .map_err(|e| frame::rows_error(py, e, NAME, FILE, df))?;
        // Ties in created_at go by id, as `arrival_order` orders tickets (ids are
        // distinct: no two keys are equal).
        let id = |r: u32| ids.get(r as usize);
        arrivals.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| id(a.1).cmp(&id(b.1))));
        let id_column = frame::id_column(df, "id", as_read, &ids)?;
        drop(ids);
        let order: Vec<u32> = arrivals.into_iter().map(|(_, r)| r).collect();
        // The check's leftovers go back before the dispatcher fills.
        heap::trim_for(py, rows);
        let take = df.getattr("take")?;
        for rows in order.chunks(chunk) {
            // Rows in a run (a frame in arrival order): a slice, not a copy.
            let run = rows.windows(2).all(|w| w[1] == w[0] + 1);
            let part = match (run, rows.first(), rows.last()) {
                (true, Some(&a), Some(&b)) => slice(a as usize, b as usize + 1)?,
                _ => take.call1((numpy(py, "int64", rows, |&r| i64::from(r).to_ne_bytes())?,))?,
            };
            let part = frame::frame_cols(NAME, FILE, &part)?;
            let done = py.detach(|| {
                let d = self.read()?;
                let local: Vec<usize> = (0..rows.len()).collect();
                let tickets = FrameTickets::new(&part.frame, false).read(&local, d.network())?;
                tickets
                    .into_iter()
                    .map(|(r, t)| d.dispatch(&t).map(|o| (rows[r] as usize, o)))
                    .collect::<servnet_core::Result<Vec<_>>>()
            });
            for (r, o) in done.map_err(|e| frame::frame_error(py, e, &[&part]))? {
                each(r, o);
            }
            py.check_signals()?;
        }
        Ok(id_column)
    }
}
