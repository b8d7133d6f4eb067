use super::types::{Outcome, Rule};
use super::Dispatcher;
use crate::model::Ticket;
use crate::Result;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// The order a live dispatch system sees `tickets` in: by `created_at`, then by id (so
/// tickets opened at the same time go in one order whatever the input order). Returns
/// indices into `tickets`.
pub fn arrival_order(tickets: &[Ticket]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..tickets.len()).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (&tickets[a], &tickets[b]);
        a.created_at
            .cmp(&b.created_at)
            .then_with(|| a.id.cmp(&b.id))
    });
    order
}

/// The date of the first of `tickets` to arrive (`None` for none): the ledger's day 0
/// when they are dispatched in [`arrival_order`] under a policy without a `start_date`.
pub fn first_arrival_date(tickets: &[Ticket]) -> Option<chrono::NaiveDate> {
    tickets.iter().map(|t| t.created_at.date()).min()
}

/// Dispatches tickets one by one in [`arrival_order`], as a live dispatch system would
/// see them; returns outcomes in that order.
pub fn dispatch_in_arrival_order(d: &Dispatcher, tickets: &[Ticket]) -> Result<Vec<Outcome>> {
    arrival_order(tickets)
        .into_iter()
        .map(|i| d.dispatch(&tickets[i]))
        .collect()
}

/// Headline figures of a day of dispatch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DispatchSummary {
    /// Tickets dispatched.
    pub tickets: usize,
    /// Tickets booked.
    pub assigned: usize,
    /// Tickets booked within their SLA.
    pub sla_met: usize,
    /// Mean road km of booked tickets.
    pub mean_distance_km: f64,
    /// 95th percentile road km of booked tickets.
    pub p95_distance_km: f64,
    /// Mean satisfaction (1..5) of the outlets that took the tickets.
    pub mean_satisfaction: f64,
    /// Outlet-wide utilisation on day 0 of open outlets: min, median, max.
    pub utilisation: [f64; 3],
    /// Bookings by how they were found.
    pub by_route: BTreeMap<String, usize>,
    /// Unassignable tickets by reason.
    pub unassignable: BTreeMap<String, usize>,
}

impl DispatchSummary {
    /// Summarises `outcomes` produced by `d`.
    pub fn new(d: &Dispatcher, outcomes: &[Outcome]) -> Self {
        let mut tally = SummaryTally::default();
        for o in outcomes {
            tally.add(o);
        }
        tally.finish(d)
    }
}

/// A [`DispatchSummary`] counted outcome by outcome, so that a caller streaming
/// outcomes to a file need not keep them (8 bytes per assigned ticket, for the p95).
#[derive(Debug, Clone, Default)]
pub struct SummaryTally {
    tickets: usize,
    dist: Vec<f64>,
    sla: usize,
    sat: f64,
    by_route: BTreeMap<String, usize>,
    unassignable: BTreeMap<String, usize>,
}

impl SummaryTally {
    /// Counts one outcome.
    pub fn add(&mut self, o: &Outcome) {
        self.tickets += 1;
        match o {
            Outcome::Assigned(a) => {
                self.dist.push(a.breakdown.distance_km);
                self.sat += a.breakdown.satisfaction;
                self.sla += usize::from(a.sla_met);
                if let Some(n) = self.by_route.get_mut(a.route.as_str()) {
                    *n += 1;
                } else {
                    self.by_route.insert(a.route.as_str().to_string(), 1);
                }
            }
            Outcome::Unassignable(u) => {
                let reason = Rule::as_str(u.reason);
                if let Some(n) = self.unassignable.get_mut(reason) {
                    *n += 1;
                } else {
                    self.unassignable.insert(reason.to_string(), 1);
                }
            }
        }
    }

    /// The summary of the outcomes counted, with `d`'s day-0 utilisation.
    pub fn finish(self, d: &Dispatcher) -> DispatchSummary {
        let SummaryTally {
            tickets,
            mut dist,
            sla,
            sat,
            by_route,
            unassignable,
        } = self;
        dist.sort_by(f64::total_cmp);
        let n = dist.len();
        let mut util: Vec<f64> = d
            .network()
            .outlets()
            .iter()
            .enumerate()
            .filter(|(_, o)| o.status.takes_tickets() && o.daily_cap > 0)
            .map(|(i, o)| f64::from(d.outlet_used(i, 0)) / f64::from(o.daily_cap))
            .collect();
        util.sort_by(f64::total_cmp);
        let pick = |v: &[f64], q: f64| {
            if v.is_empty() {
                0.0
            } else {
                v[((v.len() - 1) as f64 * q).round() as usize]
            }
        };
        DispatchSummary {
            tickets,
            assigned: n,
            sla_met: sla,
            mean_distance_km: if n > 0 {
                dist.iter().sum::<f64>() / n as f64
            } else {
                0.0
            },
            p95_distance_km: pick(&dist, 0.95),
            mean_satisfaction: if n > 0 { sat / n as f64 } else { 0.0 },
            utilisation: [pick(&util, 0.0), pick(&util, 0.5), pick(&util, 1.0)],
            by_route,
            unassignable,
        }
    }
}

impl fmt::Display for DispatchSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pct = |x: usize| {
            if self.tickets > 0 {
                100.0 * x as f64 / self.tickets as f64
            } else {
                0.0
            }
        };
        writeln!(f, "tickets:        {}", self.tickets)?;
        writeln!(
            f,
            "assigned:       {} ({:.1}%)",
            self.assigned,
            pct(self.assigned)
        )?;
        writeln!(
            f,
            "SLA met:        {} ({:.1}% of all tickets)",
            self.sla_met,
            pct(self.sla_met)
        )?;
        writeln!(
            f,
            "distance km:    mean {:.1}, p95 {:.1}",
            self.mean_distance_km, self.p95_distance_km
        )?;
        writeln!(
            f,
            "satisfaction:   mean {:.2} of the outlets chosen",
            self.mean_satisfaction
        )?;
        writeln!(
            f,
            "utilisation:    min {:.0}%, median {:.0}%, max {:.0}% (outlet-wide, day 0, open outlets)",
            100.0 * self.utilisation[0],
            100.0 * self.utilisation[1],
            100.0 * self.utilisation[2]
        )?;
        let routes: Vec<String> = self
            .by_route
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        writeln!(f, "booked via:     {}", routes.join(", "))?;
        let un: Vec<String> = self
            .unassignable
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        writeln!(
            f,
            "unassignable:   {}",
            if un.is_empty() {
                "none".to_string()
            } else {
                un.join(", ")
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::arrival_order;
    use crate::model::Ticket;
    use chrono::NaiveDate;

    #[test]
    fn arrival_order_is_by_creation_then_id_whatever_the_input_order() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let at = |h| day.and_hms_opt(h, 0, 0).unwrap();
        let t = |id: &str, h| Ticket::new(id, 121.0, 31.0, "R", "repair:tv", at(h));
        let tickets = [t("T3", 9), t("T2", 8), t("T1", 9), t("T0", 10)];
        let ids: Vec<&str> = arrival_order(&tickets)
            .into_iter()
            .map(|i| tickets[i].id.as_str())
            .collect();
        assert_eq!(ids, ["T2", "T1", "T3", "T0"]);
        let mut reversed = tickets.clone();
        reversed.reverse();
        let again: Vec<&str> = arrival_order(&reversed)
            .into_iter()
            .map(|i| reversed[i].id.as_str())
            .collect();
        assert_eq!(again, ids);
        assert_eq!(super::first_arrival_date(&tickets), Some(day));
        assert_eq!(super::first_arrival_date(&[]), None);
    }
}
