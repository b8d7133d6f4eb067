//! Where the rows of dispatch and assign tables are, for `--out` as GeoParquet or
//! GeoJSON: ticket -> outlet lines.

use servnet_core::model::{Network, Ticket};
use servnet_export::{Locations, Places};

/// The (lon, lat) of every ticket and of every outlet, by id.
pub fn places(tickets: &[Ticket], network: &Network) -> (Places, Places) {
    let t = tickets
        .iter()
        .map(|t| (t.id.clone(), (t.lon, t.lat)))
        .collect();
    let o = network
        .outlets()
        .iter()
        .map(|o| (o.id.clone(), (o.lon, o.lat)))
        .collect();
    (t, o)
}

/// A line per row from its ticket (`ticket_id`) to its outlet (`outlet_id`); a point at
/// the ticket when unassigned.
pub fn links<'a>(tickets: &'a Places, outlets: &'a Places) -> Locations<'a> {
    Locations::Links {
        from: "ticket_id",
        from_at: tickets,
        to: "outlet_id",
        to_at: outlets,
    }
}
