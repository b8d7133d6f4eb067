//! Dispatch outcomes as a table for [`crate::io`]'s writers (the CLI's `--out`).

use super::{Outcome, Route};
use crate::io::{Column, Tabular};

/// Outcomes written one row per ticket:
/// `ticket_id,outlet_id,day,date,score,distance_km,sla_met,route,reason,package,mode`
/// (`outlet_id` empty and `reason` set when unassignable; `package` empty without a
/// service package). The second field is the ledger's start
/// date ([`super::Dispatcher::start_date`]): `date` is it plus `day` (empty when `None`).
pub struct OutcomeTable<'a>(pub &'a [Outcome], pub Option<chrono::NaiveDate>);

const COLUMNS: &[Column] = &[
    Column::text("ticket_id"),
    Column::text("outlet_id"),
    Column::number("day"),
    Column::text("date"),
    Column::number("score"),
    Column::number("distance_km"),
    Column::bool("sla_met"),
    Column::text("route"),
    Column::text("reason"),
    Column::text("package"),
    Column::text("mode"),
];

/// A route as written in files: `wider_radius_x<factor>` with its factor.
pub fn route_text(r: Route) -> String {
    match r {
        Route::WiderRadius(x) => format!("wider_radius_x{x}"),
        other => other.as_str().to_string(),
    }
}

impl Tabular for OutcomeTable<'_> {
    fn columns(&self) -> &'static [Column] {
        COLUMNS
    }

    fn len(&self) -> usize {
        self.0.len()
    }

    fn row(&self, i: usize, out: &mut Vec<String>) {
        match self.0.get(i) {
            Some(Outcome::Assigned(a)) => out.extend([
                a.ticket_id.to_string(),
                a.outlet_id.to_string(),
                a.day.to_string(),
                crate::io::day_date(self.1, a.day)
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
                format!("{:.3}", a.breakdown.score),
                format!("{:.3}", a.breakdown.distance_km),
                a.sla_met.to_string(),
                route_text(a.route),
                String::new(),
                a.breakdown
                    .package
                    .map(|k| k.to_string())
                    .unwrap_or_default(),
                a.breakdown.mode.as_str().to_string(),
            ]),
            Some(Outcome::Unassignable(u)) => out.extend([
                u.ticket_id.to_string(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                "false".into(),
                String::new(),
                u.reason.as_str().to_string(),
                String::new(),
                String::new(),
            ]),
            None => {}
        }
    }
}
