//! A data frame's tickets checked a chunk of rows at a time, as [`super::tickets_from_frame`]
//! checks the whole frame: the same problems in the same order (lines counted in the
//! whole frame), duplicate ids found across chunks. Nothing of a chunk is kept but its
//! ids, so the frame's typed columns are never all held.

use super::frame::{Frame, Texts};
use super::table::Problems;
use super::ticket_frame::FrameTickets;
use super::tickets::SeenIds;
use crate::model::{Network, Ticket};
use crate::Result;
use hashbrown::HashTable;
use std::hash::BuildHasher;
use std::sync::Arc;

/// Checks a frame's tickets chunk after chunk ([`TicketCheck::check`]), then reports
/// every problem at once ([`TicketCheck::finish`]).
pub struct TicketCheck {
    problems: Problems,
    ids: IdSet,
    /// Rows checked so far: the first row of the next chunk.
    rows: usize,
}

impl TicketCheck {
    /// A check of a frame of about `rows` rows (room for their ids).
    pub fn new(rows: usize) -> Self {
        TicketCheck {
            problems: Problems::default(),
            ids: IdSet::with_capacity(rows),
            rows: 0,
        }
    }

    /// Checks `part`, the frame's next `part.rows` rows, against `network`, handing each
    /// valid ticket with its row in the whole frame to `each`. The header's problems
    /// (repeated or missing columns) are reported with the first chunk only.
    pub fn check(
        &mut self,
        part: &Arc<Frame>,
        network: &Network,
        each: &mut dyn FnMut(usize, Ticket),
    ) {
        let rows: Vec<usize> = (0..part.rows).collect();
        let first = self.rows;
        let read = FrameTickets::new(part, false).read_rows(
            &rows,
            network,
            &mut self.problems,
            first == 0,
            first,
            Some(&mut self.ids),
        );
        for (r, t) in read {
            each(first + r, t);
        }
        self.rows += part.rows;
    }

    /// `Err` with every problem (and a count of those over the cap), else each row's
    /// ticket id as read, by row.
    pub fn finish(self) -> Result<Texts> {
        self.problems.finish()?;
        Ok(self.ids.into_texts())
    }
}

/// Ticket ids seen so far: their texts end to end, the row each was first seen on, and a
/// table of their numbers (4 bytes an entry) by text. 1M ids of 8 characters take about
/// 30 MB.
struct IdSet {
    texts: Texts,
    /// Per id: the row it was first seen on, or [`NO_ROW`].
    rows: Vec<u32>,
    table: HashTable<u32>,
}

/// [`IdSet::rows`]' mark of an id seen without a line.
const NO_ROW: u32 = u32::MAX;

impl IdSet {
    fn with_capacity(n: usize) -> Self {
        IdSet {
            // Room for ids of 8 bytes; longer ones grow the buffer.
            texts: Texts::with_capacity(n, n.saturating_mul(8)),
            rows: Vec::with_capacity(n),
            table: HashTable::with_capacity(n),
        }
    }

    /// The number of `id` (of hash `h`), if seen.
    fn find(&self, h: u64, id: &str) -> Option<usize> {
        let texts = &self.texts;
        self.table
            .find(h, |&k| texts.get(k as usize) == Some(id))
            .map(|&k| k as usize)
    }

    /// The ids in the order they were seen: each row's, by row, once every row's ticket
    /// was valid.
    fn into_texts(self) -> Texts {
        self.texts
    }
}

impl SeenIds for IdSet {
    fn first(&self, id: &str, _row: usize) -> Option<Option<u64>> {
        let k = self.find(rustc_hash::FxBuildHasher.hash_one(id), id)?;
        Some(match self.rows.get(k).copied() {
            Some(NO_ROW) | None => None,
            Some(r) => Some(u64::from(r) + 2),
        })
    }

    fn insert(&mut self, id: &str, _row: usize, line: Option<u64>) {
        let hasher = rustc_hash::FxBuildHasher;
        let h = hasher.hash_one(id);
        if self.find(h, id).is_some() {
            return;
        }
        let k = self.texts.len() as u32;
        self.texts.push(id);
        let row = line
            .and_then(|l| l.checked_sub(2))
            .and_then(|r| u32::try_from(r).ok())
            .unwrap_or(NO_ROW);
        self.rows.push(row);
        let texts = &self.texts;
        self.table.insert_unique(h, k, |&j| {
            hasher.hash_one(texts.get(j as usize).unwrap_or_default())
        });
    }
}
