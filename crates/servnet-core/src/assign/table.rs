//! An assignment plan as a table for [`crate::io`]'s writers (the CLI's `--out`).

use super::AssignmentPlan;
use crate::io::{Column, Tabular};

const COLUMNS: &[Column] = &[
    Column::text("ticket_id"),
    Column::text("outlet_id"),
    Column::number("day"),
    Column::number("units"),
    Column::number("score"),
    Column::number("distance_km"),
    Column::number("late_days"),
    Column::text("moved_from"),
    Column::number("move_gain"),
    Column::text("reason"),
];

/// One row per planned ticket (backlog order), then one per unassigned ticket with
/// only `ticket_id` and `reason`.
impl Tabular for AssignmentPlan {
    fn columns(&self) -> &'static [Column] {
        COLUMNS
    }

    fn len(&self) -> usize {
        self.assignments.len() + self.unassigned.len()
    }

    fn row(&self, i: usize, out: &mut Vec<String>) {
        if let Some(a) = self.assignments.get(i) {
            out.extend([
                a.ticket_id.clone(),
                a.outlet_id.clone(),
                a.day.to_string(),
                a.units.to_string(),
                format!("{:.3}", a.score),
                format!("{:.3}", a.distance_km),
                a.late_days.to_string(),
                a.moved_from.clone().unwrap_or_default(),
                a.move_gain.map(|g| format!("{g:.3}")).unwrap_or_default(),
                String::new(),
            ]);
        } else if let Some((id, r)) = self.unassigned.get(i - self.assignments.len()) {
            out.push(id.clone());
            out.extend(std::iter::repeat_n(String::new(), 8));
            out.push(r.to_string());
        }
    }
}
