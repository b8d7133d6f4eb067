//! An assignment plan as a table for [`crate::io`]'s writers (the CLI's `--out`).

use super::AssignmentPlan;
use crate::io::{Column, RowText, Tabular};

const COLUMNS: &[Column] = &[
    Column::text("ticket_id"),
    Column::text("outlet_id"),
    Column::number("day"),
    Column::text("date"),
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
        let mut text = RowText::default();
        self.row_text(i, &mut text);
        text.into_cells(out);
    }

    fn row_text(&self, i: usize, out: &mut RowText) {
        if let Some(a) = self.assignments.get(i) {
            out.push(&a.ticket_id);
            out.push(&a.outlet_id);
            out.push_int(u64::from(a.day));
            match a.date {
                Some(d) => out.push_date(d),
                None => out.push(""),
            }
            out.push_int(u64::from(a.units));
            out.push_fixed(a.score, 3);
            out.push_fixed(a.distance_km, 3);
            out.push_int(u64::from(a.late_days));
            out.push(a.moved_from.as_deref().unwrap_or_default());
            match a.move_gain {
                Some(g) => out.push_fixed(g, 3),
                None => out.push(""),
            }
            out.push("");
        } else if let Some((id, r)) = self.unassigned.get(i - self.assignments.len()) {
            out.push(id);
            out.push_empty(9);
            out.push_fmt(format_args!("{r}"));
        }
    }
}
