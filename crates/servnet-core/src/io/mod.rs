//! Reading the data folder described in `docs/formats.md`: CSV (or JSON) tables and
//! GeoJSON polygons, with errors that name the file, the line and the field.
//!
//! Readers never stop at the first problem: every bad value in every file is reported
//! (up to [`crate::model::MAX_ISSUES`]).

mod campaigns;
mod fixed;
mod frame;
mod geojson;
mod network;
mod network_out;
mod options;
mod outlet_history;
mod packages;
mod planning;
mod population;
mod settlement;
mod summary;
mod table;
mod ticket_check;
mod ticket_frame;
pub(crate) mod tickets;
mod write;

pub use campaigns::{
    campaigns_from_csv, campaigns_from_frame, read_campaigns, read_campaigns_in, MAX_CAMPAIGNS,
};
pub use frame::{Frame, FrameColumn, Texts, MISSING_CODE};
pub use network::{network_from_frames, read_network, NetworkFrames};
pub use network_out::{write_network, write_network_for_excel};
pub use options::overlay;
pub use outlet_history::{
    outlet_history_from_csv, read_outlet_history, read_review_actions, MAX_MONTHLY,
};
pub use packages::{packages_from_csv, packages_from_frame, read_packages};
pub use planning::{planning_from_frames, read_planning};
pub use population::{population_from_csv, population_from_frame, read_population};
pub use settlement::{
    bookings_from_csv, fee_schedule_from_csv, read_bookings, read_fee_schedule, MAX_FEE,
    MAX_ROAD_KM,
};
pub use table::{day_date, parse_time, parse_time_in};
pub use ticket_check::TicketCheck;
pub use ticket_frame::FrameTickets;
pub use tickets::{
    read_checked_tickets_chunked, read_tickets, read_tickets_chunked, tickets_from_csv,
    tickets_from_frame, tickets_from_frame_rows,
};
pub use write::{
    check_target, data_files, table_csv, table_csv_string, table_json, write_atomic, write_text,
    CellKind, Column, CsvRows, Format, Output, RowText, Tabular, UTF8_BOM,
};

use crate::model::{Network, PlanningData, Ticket};
use crate::Result;
use std::path::Path;

/// Everything in a data folder.
#[derive(Debug, Clone)]
pub struct DataSet {
    /// Outlets and regions.
    pub network: Network,
    /// The day's tickets (empty when there is no tickets file).
    pub tickets: Vec<Ticket>,
    /// Planning inputs (empty when there are no planning files).
    pub planning: PlanningData,
}

/// Reads and validates every file of a data folder; all problems in all files are
/// reported together.
pub fn read_dir(dir: &Path) -> Result<DataSet> {
    read_dir_beside(dir, |_| ()).map(|(data, ())| data)
}

/// [`read_dir`], running `beside` on the network while the tickets are checked against
/// it (`servnet assign` lays out its dispatcher there); its answer comes with the data.
pub fn read_dir_beside<R: Send>(
    dir: &Path,
    beside: impl FnOnce(&Network) -> R + Send,
) -> Result<(DataSet, R)> {
    let (network, (tickets, extra)) = network_and_tickets(dir, beside)?;
    let planning = read_planning(dir, &network);
    match (tickets, planning) {
        (Ok(tickets), Ok(planning)) => Ok((
            DataSet {
                network,
                tickets,
                planning,
            },
            extra,
        )),
        (t, p) => {
            let mut issues = Vec::new();
            for e in [t.err(), p.err()].into_iter().flatten() {
                match e {
                    crate::Error::Invalid(v) => issues.extend(v),
                    other => return Err(other),
                }
            }
            Err(crate::Error::Invalid(issues))
        }
    }
}

/// Reads and validates a data folder's network and tickets (no tickets file: none),
/// as [`read_dir`] reads them, without the planning files.
pub fn read_network_and_tickets(dir: &Path) -> Result<(Network, Vec<Ticket>)> {
    read_network_and_tickets_beside(dir, |_| ()).map(|(network, tickets, ())| (network, tickets))
}

/// [`read_network_and_tickets`], running `beside` on the network while the tickets are
/// checked against it, as [`read_dir_beside`] does.
pub fn read_network_and_tickets_beside<R: Send>(
    dir: &Path,
    beside: impl FnOnce(&Network) -> R + Send,
) -> Result<(Network, Vec<Ticket>, R)> {
    let (network, (tickets, extra)) = network_and_tickets(dir, beside)?;
    Ok((network, tickets?, extra))
}

/// The folder's network, and its tickets checked against it beside `beside`'s run on
/// the network. The tickets' cells need no network: they are read while the network is
/// read.
#[allow(clippy::type_complexity)]
fn network_and_tickets<R: Send>(
    dir: &Path,
    beside: impl FnOnce(&Network) -> R + Send,
) -> Result<(Network, (Result<Vec<Ticket>>, R))> {
    let (network, ticket_file) = rayon::join(|| read_network(dir), || ticket_file_in(dir));
    let network = network?;
    let both = rayon::join(
        || match ticket_file {
            Ok(Some(f)) => f.tickets(&network),
            Ok(None) => Ok(Vec::new()),
            Err(e) => Err(e),
        },
        || beside(&network),
    );
    Ok((network, both))
}

/// The folder's tickets file, read (cells only), if it has one.
pub(crate) fn ticket_file_in(dir: &Path) -> Result<Option<tickets::TicketFile>> {
    for name in ["tickets.csv", "tickets.json"] {
        let p = dir.join(name);
        if p.exists() {
            return tickets::TicketFile::read(&p).map(Some);
        }
    }
    Ok(None)
}
