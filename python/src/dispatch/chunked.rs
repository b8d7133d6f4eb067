//! `Dispatcher.dispatch_frame` of a DataFrame a chunk at a time: the frame's typed
//! columns are checked whole first (nothing is dispatched from a frame with problems),
//! keeping only each ticket's (created_at, position); then those columns are dropped and
//! the tickets are read again from the frame's own rows a chunk at a time in arrival
//! order (`df.take`), built and dispatched. Neither the frame's text nor all its tickets
//! are ever held, and its typed columns not while the dispatcher fills.

use super::columns::numpy;
use super::{PyDispatcher, SIGNAL_EVERY};
use crate::frame;
use chrono::NaiveDateTime;
use pyo3::prelude::*;
use servnet_core::dispatch::Outcome;
use servnet_core::io::FrameTickets;

impl PyDispatcher {
    /// Checks DataFrame `df`'s tickets, then dispatches them in arrival order (created_at,
    /// then id), handing each outcome with the ticket's row position to `each`. Returns
    /// the tickets' ids as a column in row order (the frame's own `id` values where they
    /// are already the ids as read: no second copy).
    pub(super) fn run_frame<'py>(
        &self,
        py: Python<'py>,
        df: &Bound<'py, PyAny>,
        each: &mut dyn FnMut(usize, Outcome),
    ) -> PyResult<Bound<'py, PyAny>> {
        let cols = frame::frame_cols("tickets", "tickets.csv", df)?;
        let frame = &cols.frame;
        let mut arrivals: Vec<(NaiveDateTime, u32)> = Vec::with_capacity(frame.rows);
        py.detach(|| {
            let d = self.read()?;
            servnet_core::io::tickets_from_frame(frame, d.network(), SIGNAL_EVERY, &mut |chunk| {
                // Positions fit u32: frame_cols bounds the rows.
                arrivals.extend(chunk.iter().map(|(r, t)| (t.created_at, *r as u32)));
            })
        })
        .map_err(|e| frame::frame_error(py, e, &[&cols]))?;
        // Ties in created_at go by id, as `arrival_order` orders tickets.
        let ids = frame.column("id");
        let id = |r: u32| ids.map(|c| c.text(r as usize));
        arrivals.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| id(a.1).cmp(&id(b.1))));
        let order: Vec<u32> = arrivals.into_iter().map(|(_, r)| r).collect();
        let id_column = frame::id_column(df, &cols, "id")?;
        // The whole frame's columns go before the dispatcher fills: each chunk's rows are
        // taken from the frame again and read alone (ids were checked for duplicates
        // above).
        drop(cols);
        let take = df.getattr("take")?;
        for chunk in order.chunks(SIGNAL_EVERY) {
            let part =
                take.call1((numpy(py, "int64", chunk, |&r| i64::from(r).to_ne_bytes())?,))?;
            let part = frame::frame_cols("tickets", "tickets.csv", &part)?;
            let done = py.detach(|| {
                let d = self.read()?;
                let rows: Vec<usize> = (0..chunk.len()).collect();
                let tickets = FrameTickets::new(&part.frame, false).read(&rows, d.network())?;
                tickets
                    .into_iter()
                    .map(|(r, t)| d.dispatch(&t).map(|o| (chunk[r] as usize, o)))
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
