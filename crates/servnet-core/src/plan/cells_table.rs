//! A network plan's demand cells as a table for [`crate::io`]'s writers (`plan
//! --cells`): where demand is, how much of it the plan serves, and which site serves it.

use super::network_plan::NetworkPlan;
use crate::io::{Column, Tabular};

const COLUMNS: &[Column] = &[
    Column::text("cell"),
    Column::text("region"),
    Column::number("lon"),
    Column::number("lat"),
    Column::number("peak_day"),
    Column::number("served_share"),
    Column::text("site"),
];

/// One row per demand cell of a plan (H3 index, region, centre, peak-day tickets, share
/// served within commitment, the serving site's id; empty when none serves it).
pub struct CellsTable<'a>(pub &'a NetworkPlan);

impl Tabular for CellsTable<'_> {
    fn columns(&self) -> &'static [Column] {
        COLUMNS
    }

    fn len(&self) -> usize {
        self.0.cells.len()
    }

    fn row(&self, i: usize, out: &mut Vec<String>) {
        let Some(c) = self.0.cells.get(i) else { return };
        out.extend([
            c.cell.clone(),
            c.region.clone(),
            format!("{:.6}", c.lon),
            format!("{:.6}", c.lat),
            format!("{:.3}", c.peak_day),
            format!("{:.4}", c.served_share),
            c.site.clone().unwrap_or_default(),
        ]);
    }
}
