//! Outlet governance: scorecards from the monthly outlet history, and the actions a
//! review decides (confirm or remove probation outlets at the end of probation; keep,
//! warn, suspend or remove active ones), each with its reason and figures.
//!
//! Rates are shrunk toward the network's rates over the review window (beta-binomial
//! posterior mean with `prior_tickets` pseudo-tickets; the same form for the rating mean
//! and complaints), so an outlet with a handful of tickets stays near the network and
//! only a sustained record moves it past a threshold. Actions are monotone: a worse record
//! (more misses, complaints or repeats, lower ratings) never gets a milder action.

mod actions;
mod history;
mod options;
mod scorecard;

pub use actions::{review_changes, Action, Review, ReviewRow, ReviewTable};
pub use history::{add_months, month_start, OutletMonth};
pub use options::{Levels, ReviewOptions, Severity};
pub use scorecard::{NetworkRates, Rate, Scorecard};

use crate::model::{Network, OutletStatus};
use crate::{Error, Result};
use chrono::{Datelike, NaiveDate};
use std::collections::BTreeMap;

/// The outlet history of a data folder (`outlet_history.csv`) and the day each outlet's
/// status began (`outlets.csv`'s optional `status_since`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OutletHistory {
    /// One row per outlet and month, in outlet-id then month order.
    pub months: Vec<OutletMonth>,
    /// `status_since` by outlet id (outlets that give it).
    pub status_since: BTreeMap<String, NaiveDate>,
}

/// Reviews every probation and active outlet of `network` as of `as_of`: only complete
/// months before `as_of` count.
pub fn review(
    network: &Network,
    history: &OutletHistory,
    as_of: NaiveDate,
    opts: &ReviewOptions,
) -> Result<Review> {
    opts.validate()?;
    let this_month = month_start(as_of);
    let window_from = add_months(this_month, -(opts.window_months as i32))
        .ok_or_else(|| Error::argument("as_of", format!("{as_of} is out of range")))?;
    let mut by_outlet: BTreeMap<&str, Vec<&OutletMonth>> = BTreeMap::new();
    for m in &history.months {
        by_outlet.entry(m.outlet_id.as_str()).or_default().push(m);
    }
    let in_span = |m: &&OutletMonth, from: NaiveDate| m.month >= from && m.month < this_month;
    let network_rates = NetworkRates::pooled(
        history
            .months
            .iter()
            .filter(|m| m.month >= window_from && m.month < this_month),
    );
    let mut outlets: Vec<_> = network
        .outlets()
        .iter()
        .filter(|o| o.status.takes_tickets())
        .collect();
    outlets.sort_by(|a, b| a.id.cmp(&b.id));
    let mut rows = Vec::with_capacity(outlets.len());
    for o in outlets {
        let record = by_outlet.get(o.id.as_str()).map_or(&[][..], Vec::as_slice);
        let row = if o.status == OutletStatus::Probation {
            let since = history
                .status_since
                .get(&o.id)
                .copied()
                .or_else(|| record.iter().map(|m| m.month).min());
            // Probation counts from the first whole month.
            let first = since.and_then(|s| {
                if s.day() == 1 {
                    Some(s)
                } else {
                    add_months(s, 1)
                }
            });
            let due = first.and_then(|f| add_months(f, opts.probation_months as i32));
            let from = since.map_or(this_month, month_start);
            let card = Scorecard::new(
                record.iter().filter(|m| in_span(m, from)).copied(),
                &network_rates,
                opts,
            );
            let breaches = card.breaches(opts);
            let worst = breaches.first().map_or(Severity::Ok, |b| b.severity);
            let list = breaches.iter().map(|b| b.text.as_str()).collect::<Vec<_>>();
            let (action, reason) = match (since, due) {
                (Some(s), Some(d)) if as_of >= d => {
                    if worst >= opts.probation_fails_at {
                        (
                            Action::Remove,
                            format!(
                                "probation since {s} failed its evaluation (due {d}): {}",
                                list.join("; ")
                            ),
                        )
                    } else {
                        let mut r = format!(
                            "probation since {s} passed its evaluation (due {d}): {}",
                            card.summary()
                        );
                        if !list.is_empty() {
                            r.push_str(&format!("; noted: {}", list.join("; ")));
                        }
                        (Action::Confirm, r)
                    }
                }
                (Some(s), Some(d)) => (
                    Action::Keep,
                    format!(
                        "on probation since {s}; evaluation due {d}; so far {}",
                        card.summary()
                    ),
                ),
                _ => (
                    Action::Keep,
                    "on probation with no start date (status_since) and no record; evaluation not yet possible".to_string(),
                ),
            };
            ReviewRow {
                outlet_id: o.id.clone(),
                name: o.name.clone(),
                status: o.status,
                action,
                reason,
                since,
                evaluation_due: due,
                from,
                to: this_month,
                card,
            }
        } else {
            let card = Scorecard::new(
                record.iter().filter(|m| in_span(m, window_from)).copied(),
                &network_rates,
                opts,
            );
            let breaches = card.breaches(opts);
            let worst = breaches.first().map_or(Severity::Ok, |b| b.severity);
            let action = Action::of_active(worst);
            let mut reason = if breaches.is_empty() {
                format!("all rates within the warning levels: {}", card.summary())
            } else {
                breaches
                    .iter()
                    .map(|b| b.text.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            };
            if card.tickets == 0 {
                reason = format!(
                    "no tickets in the last {} months (judged at the network's rates); {reason}",
                    opts.window_months
                );
            }
            ReviewRow {
                outlet_id: o.id.clone(),
                name: o.name.clone(),
                status: o.status,
                action,
                reason,
                since: history.status_since.get(&o.id).copied(),
                evaluation_due: None,
                from: window_from,
                to: this_month,
                card,
            }
        };
        rows.push(row);
    }
    Ok(Review {
        as_of,
        network: network_rates,
        rows,
    })
}

#[cfg(test)]
mod tests;
