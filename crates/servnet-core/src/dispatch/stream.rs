//! A data folder's tickets dispatched as `servnet dispatch` does, without holding the
//! day's tickets or outcomes: the folder is checked whole first (every problem reported
//! before anything is booked), then `tickets.csv` is read, dispatched and written a chunk
//! at a time, so memory holds the network and the ledger, not the tickets.

use super::summary::SummaryTally;
use super::{DispatchSummary, Dispatcher, OutcomeTable};
use crate::cost::{CostSummary, CostedOutcomes, FeeSchedule, TicketCoster};
use crate::io::{read_checked_tickets_chunked, read_network, read_planning, read_tickets_chunked};
use crate::io::{CsvRows, Format, Output};
use crate::io::{Tabular, UTF8_BOM};
use crate::model::Network;
use crate::{Error, Result};
use chrono::{NaiveDate, NaiveDateTime};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Tickets read, dispatched and written per step when a tickets file is streamed.
pub const STREAM_CHUNK: usize = 16_384;

/// A data folder whose `tickets.csv` is valid and already in arrival order
/// (`created_at`, then id), so it can be dispatched as it is read.
#[derive(Debug)]
pub struct OrderedTickets {
    /// The folder's network.
    pub network: Network,
    /// The tickets file.
    pub path: PathBuf,
    /// The first ticket's date (`None` when the file has no rows): ledger day 0 when
    /// the policy has no `start_date`.
    pub first_date: Option<NaiveDate>,
}

/// Checks a data folder as [`crate::io::read_dir`] does (every problem of every file,
/// together), reading `tickets.csv` a chunk at a time. `Some` when the tickets can be
/// streamed to `out`: a CSV tickets file in arrival order and a CSV output; `None` when
/// they must be read whole (JSON tickets or output, no tickets file, or tickets out of
/// order, which are dispatched sorted).
pub fn arrival_ordered_csv(dir: &Path, out: &Output) -> Result<Option<OrderedTickets>> {
    let path = dir.join("tickets.csv");
    let json_out = matches!(
        out,
        Output::File {
            format: Format::Json,
            ..
        }
    );
    if json_out || !path.exists() {
        return Ok(None);
    }
    let network = read_network(dir)?;
    let mut last: Option<(NaiveDateTime, String)> = None;
    let mut first_date = None;
    let mut in_order = true;
    let tickets = read_tickets_chunked(&path, &network, STREAM_CHUNK, &mut |chunk| {
        for t in chunk {
            first_date = first_date.or(Some(t.created_at.date()));
            if let Some((at, id)) = &last {
                in_order &= (*at, id.as_str()) <= (t.created_at, t.id.as_str());
            }
            last = Some((t.created_at, t.id));
        }
    });
    let planning = read_planning(dir, &network);
    if tickets.is_err() || planning.is_err() {
        let mut issues = Vec::new();
        for e in [tickets.err(), planning.err()].into_iter().flatten() {
            match e {
                Error::Invalid(v) => issues.extend(v),
                other => return Err(other),
            }
        }
        return Err(Error::Invalid(issues));
    }
    Ok(in_order.then_some(OrderedTickets {
        network,
        path,
        first_date,
    }))
}

/// Dispatches the tickets of `tickets` (checked by [`arrival_ordered_csv`]) one by one a
/// chunk at a time, writing each outcome to `out` as a row of the
/// [`OutcomeTable`] CSV with the `fee, travel, cost` columns of [`CostedOutcomes`] under
/// `fees` (with a byte-order mark for Excel CSV) as it comes. Returns the day's summary,
/// its costs and the seconds spent dispatching (reading and writing excluded). On
/// an error nothing is written to a file output (it is replaced atomically).
pub fn dispatch_csv_streamed(
    d: &Dispatcher,
    tickets: &Path,
    out: &Output,
    fees: &FeeSchedule,
) -> Result<(DispatchSummary, CostSummary, f64)> {
    let excel = matches!(
        out,
        Output::File {
            format: Format::ExcelCsv,
            ..
        }
    );
    let mut tally = SummaryTally::default();
    let mut costs = CostSummary::default();
    let mut secs = 0.0;
    // The first error of the dispatch or the read; a writer error comes back from
    // `write_with` itself.
    let mut failed: Option<Error> = None;
    let written = out.write_with(|w| {
        if excel {
            w.write_all(UTF8_BOM)?;
        }
        let no_tickets = TicketCoster::new(fees, d.network(), &[]);
        let mut rows = CsvRows::new(
            CostedOutcomes(OutcomeTable(&[], None), &no_tickets).columns(),
            w,
        )?;
        let mut io_error = None;
        // The folder was checked whole (`arrival_ordered_csv`): no duplicate ids to
        // look for again, so their set is not held beside the ledger.
        let read = read_checked_tickets_chunked(tickets, d.network(), STREAM_CHUNK, &mut |chunk| {
            if failed.is_some() || io_error.is_some() {
                return;
            }
            let t0 = Instant::now();
            let mut outcomes = Vec::with_capacity(chunk.len());
            for t in &chunk {
                match d.dispatch(t) {
                    Ok(o) => outcomes.push(o),
                    Err(e) => {
                        failed = Some(e);
                        break;
                    }
                }
            }
            secs += t0.elapsed().as_secs_f64();
            for o in &outcomes {
                tally.add(o);
            }
            let coster = TicketCoster::new(fees, d.network(), &chunk);
            costs.absorb(CostSummary::of_outcomes(&coster, &outcomes));
            let table = CostedOutcomes(OutcomeTable(&outcomes, d.start_date()), &coster);
            if let Err(e) = rows.write(&table) {
                io_error = Some(e);
            }
        });
        if let Err(e) = read {
            failed.get_or_insert(e);
        }
        match (io_error, &failed) {
            (Some(e), _) => Err(e),
            (None, Some(_)) => Err(std::io::Error::other("dispatch stopped")),
            (None, None) => rows.finish(),
        }
    });
    match (failed, written) {
        (Some(e), _) => Err(e),
        (None, Err(e)) => Err(e),
        (None, Ok(())) => Ok((tally.finish(d), costs, secs)),
    }
}
