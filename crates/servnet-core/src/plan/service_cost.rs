//! The service cost of a plan: the folder's tickets replayed (arrival order, the
//! replay policy) on today's network and on the planned one, each booking costed by the
//! fee schedule (fees + travel, carry-in without travel). Fills the sites' expected cost
//! columns, the plan's cost by network x service kind x region tier, and the replay by
//! service package (SLA met per package, today and planned).

use super::network_plan::{NetworkPlan, PlanOptions};
use super::replay::{planned_network, replay_policy};
use crate::cost::{booked_trips, CostSummary, FeeSchedule, TicketCoster};
use crate::dispatch::{dispatch_in_arrival_order, Dispatcher, Outcome};
use crate::model::{Network, Ticket};
use crate::Result;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One line of a plan's service cost: a network, a service kind and a region tier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceCostRow {
    /// `today` (today's network) or `plan` (the planned one).
    pub network: String,
    /// Service kind (`repair`, ...).
    pub kind: String,
    /// Region tier (`A`, `B`, `C`; `?` for an unknown region).
    pub tier: String,
    /// Tickets booked in the replay.
    pub tickets: u64,
    /// Fees summed.
    pub fees: f64,
    /// Travel summed.
    pub travel: f64,
    /// `fees + travel`.
    pub total: f64,
    /// `total / tickets`.
    pub per_ticket: f64,
}

/// One line of a plan's replay by service package: a network and a package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PackageReplayRow {
    /// `today` or `plan`.
    pub network: String,
    /// The package (`A/vip/*`; `none`: tickets without a package).
    pub package: String,
    /// Tickets replayed.
    pub tickets: u64,
    /// Tickets booked.
    pub assigned: u64,
    /// Tickets booked within their deadline (the package's response commitment
    /// included).
    pub sla_met: u64,
    /// `sla_met / tickets`.
    pub sla_met_share: f64,
    /// Mean road km of the bookings (0 for carry-in).
    pub mean_km: f64,
}

/// The replay's bookings by outlet: tickets, fees, travel.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct OutletCost {
    tickets: u64,
    fees: f64,
    travel: f64,
}

/// Replays `tickets` on `network`: the cost summary and the cost by outlet id.
fn costed_replay(
    network: Network,
    tickets: &[Ticket],
    schedule: &FeeSchedule,
    label: &str,
) -> Result<(
    CostSummary,
    BTreeMap<String, OutletCost>,
    Vec<PackageReplayRow>,
)> {
    let d = Dispatcher::new(network, replay_policy(tickets))?;
    let outcomes = dispatch_in_arrival_order(&d, tickets)?;
    let by_package = package_rows(d.network(), tickets, &outcomes, label);
    let coster = TicketCoster::new(schedule, d.network(), tickets);
    let mut by_outlet: BTreeMap<String, OutletCost> = BTreeMap::new();
    for (t, o, km) in booked_trips(&outcomes) {
        if let Some(c) = coster.cost(t, o, km) {
            let e = by_outlet.entry(o.to_string()).or_default();
            e.tickets += 1;
            e.fees += c.fee;
            e.travel += c.travel;
        }
    }
    Ok((
        CostSummary::of_outcomes(&coster, &outcomes),
        by_outlet,
        by_package,
    ))
}

/// The replay's outcomes by the tickets' service packages.
fn package_rows(
    network: &Network,
    tickets: &[Ticket],
    outcomes: &[Outcome],
    label: &str,
) -> Vec<PackageReplayRow> {
    let package: BTreeMap<&str, String> = tickets
        .iter()
        .map(|t| {
            let p = network.ticket_package(t);
            (
                t.id.as_str(),
                p.map_or("none".to_string(), |p| p.key.to_string()),
            )
        })
        .collect();
    // tickets, assigned, sla met, km summed
    let mut acc: BTreeMap<&str, (u64, u64, u64, f64)> = BTreeMap::new();
    for o in outcomes {
        let id = match o {
            Outcome::Assigned(a) => a.ticket_id.as_str(),
            Outcome::Unassignable(u) => u.ticket_id.as_str(),
        };
        let Some(p) = package.get(id) else { continue };
        let e = acc.entry(p.as_str()).or_default();
        e.0 += 1;
        if let Outcome::Assigned(a) = o {
            e.1 += 1;
            e.2 += u64::from(a.sla_met);
            e.3 += a.breakdown.distance_km;
        }
    }
    acc.into_iter()
        .map(|(p, (n, booked, met, km))| PackageReplayRow {
            network: label.to_string(),
            package: p.to_string(),
            tickets: n,
            assigned: booked,
            sla_met: met,
            sla_met_share: if n > 0 { met as f64 / n as f64 } else { 1.0 },
            mean_km: if booked > 0 { km / booked as f64 } else { 0.0 },
        })
        .collect()
}

fn rows<'a>(network: &str, s: &'a CostSummary) -> impl Iterator<Item = ServiceCostRow> + 'a {
    let network = network.to_string();
    s.by_kind_tier
        .iter()
        .map(move |((k, t), (n, c))| ServiceCostRow {
            network: network.clone(),
            kind: k.as_str().to_string(),
            tier: t.map_or("?", |t| t.as_str()).to_string(),
            tickets: *n,
            fees: c.fee,
            travel: c.travel,
            total: c.total,
            per_ticket: c.total / (*n).max(1) as f64,
        })
}

/// The service cost of `plan` (made for `network` with `opts`): replays `tickets` on
/// today's network and on the planned one under `schedule`, writes each site's replay
/// tickets and cost (`today_*` at today's outlets, `replay_*` on the plan) and the plan's
/// [`NetworkPlan::service_cost`] and [`NetworkPlan::package_replay`] rows. Returns the two summaries (today, plan) for the
/// report. Without tickets nothing is replayed and every figure is 0.
pub fn add_service_cost(
    plan: &mut NetworkPlan,
    network: &Network,
    tickets: &[Ticket],
    schedule: &FeeSchedule,
    opts: &PlanOptions,
) -> Result<(CostSummary, CostSummary)> {
    let (today, today_by, today_pk) = costed_replay(network.clone(), tickets, schedule, "today")?;
    let planned = planned_network(plan, network, opts)?;
    let (after, after_by, after_pk) = costed_replay(planned, tickets, schedule, "plan")?;
    for s in &mut plan.sites {
        let t = today_by.get(&s.site_id).copied().unwrap_or_default();
        let a = after_by.get(&s.site_id).copied().unwrap_or_default();
        s.today_tickets = t.tickets;
        s.today_service_cost = t.fees + t.travel;
        s.replay_tickets = a.tickets;
        s.replay_fees = a.fees;
        s.replay_travel = a.travel;
        s.replay_service_cost = a.fees + a.travel;
    }
    plan.service_cost = rows("today", &today).chain(rows("plan", &after)).collect();
    plan.package_replay = today_pk.into_iter().chain(after_pk).collect();
    Ok((today, after))
}

/// The plan report's lines on service packages: coverage by commitment (today and the
/// plan) and, once replayed, SLA met by package (today and the plan). Empty without
/// packages.
pub fn package_text(plan: &NetworkPlan) -> String {
    let mut s = String::new();
    if plan.packages.iter().all(|p| p.packages == "none") {
        return s;
    }
    s += "coverage by service commitment (peak-day demand within its radius and response hours):\n";
    s += "  packages                                   demand  radius km  resp h  today  plan   plan km\n";
    for p in &plan.packages {
        s += &format!(
            "  {:<40} {:>8.1} {:>10.1} {:>7.1} {:>5.1}% {:>5.1}% {:>8.1}\n",
            p.packages,
            p.demand,
            p.radius_km,
            p.response_hours,
            100.0 * p.served_today,
            100.0 * p.served_plan,
            p.mean_km_plan
        );
    }
    if !plan.package_replay.is_empty() {
        s += "replay by service package (SLA met within the package's commitment; mean km):\n";
        let today: BTreeMap<&str, &PackageReplayRow> = plan
            .package_replay
            .iter()
            .filter(|r| r.network == "today")
            .map(|r| (r.package.as_str(), r))
            .collect();
        for r in plan.package_replay.iter().filter(|r| r.network == "plan") {
            let t = today.get(r.package.as_str());
            s += &format!(
                "  {:<24} {:>7} tickets  today {:>5.1}% ({:>5.1} km)  plan {:>5.1}% ({:>5.1} km)\n",
                r.package,
                r.tickets,
                t.map_or(0.0, |t| 100.0 * t.sla_met_share),
                t.map_or(0.0, |t| t.mean_km),
                100.0 * r.sla_met_share,
                r.mean_km
            );
        }
    }
    s
}
