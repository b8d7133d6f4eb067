//! An outlet's scorecard: its record over a span of months, raw and shrunk toward the
//! network so that few tickets cannot decide.

use super::history::OutletMonth;
use super::options::{Levels, ReviewOptions, Severity};
use serde::{Deserialize, Serialize};

/// Rates of the whole network over the review window: the prior every outlet's rates are
/// shrunk toward.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NetworkRates {
    /// Tickets of every outlet in the window.
    pub tickets: u64,
    /// Share of tickets within the commitment.
    pub sla: f64,
    /// Mean rating.
    pub rating: f64,
    /// Complaints per ticket.
    pub complaints: f64,
    /// Repeat repairs within 30 days per ticket.
    pub repeat_repairs: f64,
}

impl NetworkRates {
    /// Pooled rates of `months`; with no tickets (or ratings) the prior is neutral:
    /// every SLA met, rating 5, no complaint or repeat repair.
    pub fn pooled<'a>(months: impl IntoIterator<Item = &'a OutletMonth>) -> Self {
        let t = Totals::of(months);
        let per_ticket = |x: u64, neutral: f64| {
            if t.tickets > 0 {
                x as f64 / t.tickets as f64
            } else {
                neutral
            }
        };
        NetworkRates {
            tickets: t.tickets,
            sla: per_ticket(t.sla_met, 1.0),
            rating: if t.rating_count > 0 {
                t.rating_sum / t.rating_count as f64
            } else {
                5.0
            },
            complaints: per_ticket(t.complaints, 0.0),
            repeat_repairs: per_ticket(t.repeat_repairs, 0.0),
        }
    }
}

/// Sums of a span of months.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Totals {
    pub(crate) months: u32,
    pub(crate) tickets: u64,
    pub(crate) sla_met: u64,
    pub(crate) rating_sum: f64,
    pub(crate) rating_count: u64,
    pub(crate) complaints: u64,
    pub(crate) repeat_repairs: u64,
}

impl Totals {
    pub(crate) fn of<'a>(months: impl IntoIterator<Item = &'a OutletMonth>) -> Self {
        let mut t = Totals::default();
        for m in months {
            t.months += 1;
            t.tickets += u64::from(m.tickets);
            t.sla_met += u64::from(m.sla_met);
            t.rating_sum += m.rating_sum;
            t.rating_count += u64::from(m.rating_count);
            t.complaints += u64::from(m.complaints);
            t.repeat_repairs += u64::from(m.repeat_repairs_30d);
        }
        t
    }
}

/// One rate of a scorecard.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Rate {
    /// Events (SLA met, complaints...) or the rating sum.
    pub events: f64,
    /// Tickets (or ratings) it is counted over.
    pub base: u64,
    /// `events / base` (`None` without a base).
    pub raw: Option<f64>,
    /// `(events + prior x network) / (base + prior)`: the rate the rules judge.
    pub shrunk: f64,
}

impl Rate {
    fn new(events: f64, base: u64, prior: f64, network: f64) -> Self {
        let b = base as f64;
        let shrunk = if b + prior > 0.0 {
            (events + prior * network) / (b + prior)
        } else {
            network
        };
        Rate {
            events,
            base,
            raw: (base > 0).then(|| events / b),
            shrunk,
        }
    }
}

/// An outlet's record over the months it is judged on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scorecard {
    /// Months with a record.
    pub months: u32,
    /// Tickets in those months.
    pub tickets: u64,
    /// Share of tickets within the commitment.
    pub sla: Rate,
    /// Mean follow-up rating (base: ratings).
    pub rating: Rate,
    /// Complaints per ticket.
    pub complaints: Rate,
    /// Repeat repairs within 30 days per ticket.
    pub repeat_repairs: Rate,
}

/// One rate past a level: what the action's reason lists.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Breach {
    pub(crate) severity: Severity,
    pub(crate) text: String,
}

impl Scorecard {
    /// The scorecard of `months` with rates shrunk toward `network`.
    pub fn new<'a>(
        months: impl IntoIterator<Item = &'a OutletMonth>,
        network: &NetworkRates,
        opts: &ReviewOptions,
    ) -> Self {
        let t = Totals::of(months);
        let k = opts.prior_tickets;
        Scorecard {
            months: t.months,
            tickets: t.tickets,
            sla: Rate::new(t.sla_met as f64, t.tickets, k, network.sla),
            rating: Rate::new(
                t.rating_sum,
                t.rating_count,
                opts.prior_ratings,
                network.rating,
            ),
            complaints: Rate::new(t.complaints as f64, t.tickets, k, network.complaints),
            repeat_repairs: Rate::new(
                t.repeat_repairs as f64,
                t.tickets,
                k,
                network.repeat_repairs,
            ),
        }
    }

    /// Every rate past a level, worst first (ties in the order SLA, rating, complaints,
    /// repeat repairs).
    pub(crate) fn breaches(&self, opts: &ReviewOptions) -> Vec<Breach> {
        let mut out = Vec::new();
        let mut check = |name: &str, r: &Rate, l: &Levels, higher_is_better: bool, unit: &str| {
            let past = |level: f64| {
                if higher_is_better {
                    r.shrunk < level
                } else {
                    r.shrunk > level
                }
            };
            let (severity, level, word) = if past(l.remove) {
                (Severity::Remove, l.remove, "remove")
            } else if past(l.suspend) {
                (Severity::Suspend, l.suspend, "suspend")
            } else if past(l.warn) {
                (Severity::Warn, l.warn, "warn")
            } else {
                return;
            };
            let side = if higher_is_better { "below" } else { "above" };
            let raw = match r.raw {
                Some(x) => format!("{:.0}/{} = {x:.3}", r.events, r.base),
                None => "no record".to_string(),
            };
            out.push(Breach {
                severity,
                text: format!(
                    "{name} {:.3}{unit} ({raw}, shrunk) {side} the {word} level {level}",
                    r.shrunk
                ),
            });
        };
        check("SLA", &self.sla, &opts.sla, true, "");
        check("rating", &self.rating, &opts.rating, true, "");
        check(
            "complaints",
            &self.complaints,
            &opts.complaints,
            false,
            " per ticket",
        );
        check(
            "repeat repairs",
            &self.repeat_repairs,
            &opts.repeat_repairs,
            false,
            " per ticket",
        );
        out.sort_by_key(|b| std::cmp::Reverse(b.severity));
        out
    }

    /// A one-line summary of the shrunk rates.
    pub(crate) fn summary(&self) -> String {
        format!(
            "{} tickets in {} months: SLA {:.3}, rating {:.2}, complaints {:.3}, repeat repairs {:.3} per ticket (shrunk)",
            self.tickets,
            self.months,
            self.sla.shrunk,
            self.rating.shrunk,
            self.complaints.shrunk,
            self.repeat_repairs.shrunk
        )
    }
}
