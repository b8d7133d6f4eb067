//! Review actions: one per outlet reviewed, with its reason and figures, and the network
//! changes that carry them out.

use super::options::Severity;
use super::scorecard::{NetworkRates, Scorecard};
use crate::dispatch::NetworkChange;
use crate::io::{Column, Tabular};
use crate::model::OutletStatus;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// What the review decides for one outlet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// A probation outlet passed its evaluation: it becomes active.
    Confirm,
    /// Nothing to do (or a probation outlet not yet due).
    Keep,
    /// A rate is past its warning level.
    Warn,
    /// A rate is past its suspension level: no new tickets until reinstated.
    Suspend,
    /// A rate is past its removal level, or a probation outlet failed: closed.
    Remove,
}

impl Action {
    /// `confirm`, `keep`, `warn`, `suspend` or `remove`.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Confirm => "confirm",
            Action::Keep => "keep",
            Action::Warn => "warn",
            Action::Suspend => "suspend",
            Action::Remove => "remove",
        }
    }

    /// How hard the action is on the outlet: confirm and keep 0, warn 1, suspend 2,
    /// remove 3.
    pub fn severity(self) -> u8 {
        match self {
            Action::Confirm | Action::Keep => 0,
            Action::Warn => 1,
            Action::Suspend => 2,
            Action::Remove => 3,
        }
    }

    /// The outlet status the action sets, if any (confirm: active, suspend: suspended,
    /// remove: closed).
    pub fn status(self) -> Option<OutletStatus> {
        match self {
            Action::Confirm => Some(OutletStatus::Active),
            Action::Suspend => Some(OutletStatus::Suspended),
            Action::Remove => Some(OutletStatus::Closed),
            Action::Keep | Action::Warn => None,
        }
    }

    pub(crate) fn of_active(s: Severity) -> Self {
        match s {
            Severity::Ok => Action::Keep,
            Severity::Warn => Action::Warn,
            Severity::Suspend => Action::Suspend,
            Severity::Remove => Action::Remove,
        }
    }
}

impl FromStr for Action {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "confirm" => Ok(Action::Confirm),
            "keep" => Ok(Action::Keep),
            "warn" => Ok(Action::Warn),
            "suspend" => Ok(Action::Suspend),
            "remove" => Ok(Action::Remove),
            _ => Err(format!(
                "expected one of confirm, keep, warn, suspend, remove; got '{s}'"
            )),
        }
    }
}

/// One outlet reviewed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewRow {
    /// The outlet.
    pub outlet_id: String,
    /// Its display name.
    pub name: String,
    /// Its status before the review.
    pub status: OutletStatus,
    /// The decision.
    pub action: Action,
    /// Why: every rate past a level with its figures, or that all are within them.
    pub reason: String,
    /// Probation outlets: the day probation began (`status_since`, else the first month
    /// of record).
    pub since: Option<NaiveDate>,
    /// Probation outlets: the day the evaluation is due.
    pub evaluation_due: Option<NaiveDate>,
    /// First month judged.
    pub from: NaiveDate,
    /// Month after the last month judged.
    pub to: NaiveDate,
    /// The record over those months.
    pub card: Scorecard,
}

/// The review of every probation and active outlet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Review {
    /// The review date.
    pub as_of: NaiveDate,
    /// The network's rates over the active outlets' window (the prior).
    pub network: NetworkRates,
    /// One row per outlet reviewed, by outlet id.
    pub rows: Vec<ReviewRow>,
}

impl Review {
    /// Outlets per action, in the order confirm, keep, warn, suspend, remove.
    pub fn counts(&self) -> [(Action, usize); 5] {
        [
            Action::Confirm,
            Action::Keep,
            Action::Warn,
            Action::Suspend,
            Action::Remove,
        ]
        .map(|a| (a, self.rows.iter().filter(|r| r.action == a).count()))
    }
}

/// The network changes that carry out `actions` (outlet id, action): confirm makes an
/// outlet active, suspend suspends it, remove closes it; keep and warn change nothing.
/// In outlet-id order, one change per outlet (a later row for the same outlet wins).
pub fn review_changes<'a>(
    actions: impl IntoIterator<Item = (&'a str, Action)>,
) -> Vec<NetworkChange> {
    let mut by_outlet = std::collections::BTreeMap::new();
    for (id, a) in actions {
        by_outlet.insert(id, a);
    }
    by_outlet
        .into_iter()
        .filter_map(|(id, a)| {
            a.status().map(|status| NetworkChange::OutletStatus {
                outlet_id: id.to_string(),
                status,
            })
        })
        .collect()
}

/// The review as a table (`servnet review --out`).
pub struct ReviewTable<'a>(pub &'a Review);

const COLUMNS: &[Column] = &[
    Column::text("outlet_id"),
    Column::text("name"),
    Column::text("status"),
    Column::text("action"),
    Column::text("reason"),
    Column::text("since"),
    Column::text("evaluation_due"),
    Column::text("from_month"),
    Column::text("to_month"),
    Column::number("months"),
    Column::number("tickets"),
    Column::number("sla_met"),
    Column::number("sla_rate"),
    Column::number("sla_shrunk"),
    Column::number("ratings"),
    Column::number("rating_mean"),
    Column::number("rating_shrunk"),
    Column::number("complaints"),
    Column::number("complaint_rate"),
    Column::number("complaint_shrunk"),
    Column::number("repeat_repairs_30d"),
    Column::number("repeat_rate"),
    Column::number("repeat_shrunk"),
];

impl Tabular for ReviewTable<'_> {
    fn columns(&self) -> &'static [Column] {
        COLUMNS
    }
    fn len(&self) -> usize {
        self.0.rows.len()
    }
    fn row(&self, i: usize, out: &mut Vec<String>) {
        let Some(r) = self.0.rows.get(i) else { return };
        let date = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        let month = |d: NaiveDate| d.format("%Y-%m").to_string();
        let opt = |x: Option<f64>, p: usize| x.map(|v| format!("{v:.p$}")).unwrap_or_default();
        let c = &r.card;
        out.extend([
            r.outlet_id.clone(),
            r.name.clone(),
            r.status.as_str().to_string(),
            r.action.as_str().to_string(),
            r.reason.clone(),
            date(r.since),
            date(r.evaluation_due),
            month(r.from),
            month(r.to),
            c.months.to_string(),
            c.tickets.to_string(),
            format!("{:.0}", c.sla.events),
            opt(c.sla.raw, 4),
            format!("{:.4}", c.sla.shrunk),
            c.rating.base.to_string(),
            opt(c.rating.raw, 3),
            format!("{:.3}", c.rating.shrunk),
            format!("{:.0}", c.complaints.events),
            opt(c.complaints.raw, 4),
            format!("{:.4}", c.complaints.shrunk),
            format!("{:.0}", c.repeat_repairs.events),
            opt(c.repeat_repairs.raw, 4),
            format!("{:.4}", c.repeat_repairs.shrunk),
        ]);
    }
}
