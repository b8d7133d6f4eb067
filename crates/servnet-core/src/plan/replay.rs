//! Every plan proven by replay: the real tickets dispatched against the planned network
//! at full capacity, next to the same tickets on today's network.
//!
//! [`planned_network`] turns a plan into a dispatchable [`Network`] over the same
//! regions: every outlet of today stays in the list (closed ones with status `closed`,
//! so tickets that name them in `avoid` or `preferred` still read); a kept outlet keeps
//! its ratings, costs, priority and today's committed `load`, gets `daily_cap` = the
//! tickets its technicians close in a day at full utilisation (technician hours over the
//! hours one of its tickets takes, round trip included), offers every demanded skill of the product
//! categories it serves (technicians are cross-skilled within the site, each skill may
//! use the whole cap) and a radius service area reaching every cell it serves (at least
//! its region's `max_travel_km`); a new site is `active`, priority 50, unrated, at
//! [`NEW_SKILL_COST`] per ticket. [`crate::io::write_network`] writes it as a data folder
//! that `servnet dispatch` reads, so the replay can be checked independently.
//!
//! [`replay`] dispatches the tickets one by one in arrival order with the default
//! [`Policy`] (as `servnet dispatch` does) and reports SLA met, mean and p95 road km,
//! fallbacks used and unassigned tickets.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::network_plan::{Decision, NetworkPlan, PlanOptions};
use crate::dispatch::{dispatch_in_arrival_order, DispatchSummary, Dispatcher, Policy};
use crate::model::{Network, Outlet, OutletSkill, OutletStatus, ServiceArea, Skill, Ticket};
use crate::{Error, Result};

/// Cost per ticket of the skills a site newly offers.
pub const NEW_SKILL_COST: f64 = 80.0;

/// A network's figures under the plan's forecast and costs, and its replay.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct NetworkFigures {
    /// Open outlets.
    pub outlets: usize,
    /// Technicians (sized for the forecast's peak day).
    pub technicians: u32,
    /// Annual cost under the plan's cost model.
    pub annual_cost: f64,
    /// Share of the forecast's peak-day demand served within its commitment.
    pub served_share: f64,
    /// Mean response hours (travel + expected wait).
    pub mean_response_hours: f64,
    /// Tickets replayed (0: no replay).
    pub tickets: usize,
    /// Tickets booked.
    pub assigned: usize,
    /// Tickets booked within their SLA.
    pub sla_met: usize,
    /// `sla_met / tickets` (1 when no tickets were replayed).
    pub sla_met_share: f64,
    /// Mean road km of booked tickets.
    pub mean_km: f64,
    /// 95th percentile road km of booked tickets.
    pub p95_km: f64,
    /// Tickets booked through a fallback (wider radius, next day, escalation).
    pub fallbacks: usize,
    /// Tickets no outlet could take.
    pub unassigned: usize,
    /// Bookings by route.
    pub by_route: BTreeMap<String, usize>,
    /// Unassigned tickets by reason.
    pub unassigned_by_reason: BTreeMap<String, usize>,
}

impl NetworkFigures {
    /// Fills the replay fields from a dispatch summary.
    pub fn set_replay(&mut self, s: &DispatchSummary) {
        self.tickets = s.tickets;
        self.assigned = s.assigned;
        self.sla_met = s.sla_met;
        self.sla_met_share = if s.tickets > 0 {
            s.sla_met as f64 / s.tickets as f64
        } else {
            1.0
        };
        self.mean_km = s.mean_distance_km;
        self.p95_km = s.p95_distance_km;
        self.fallbacks = s
            .by_route
            .iter()
            .filter(|(k, _)| k.as_str() != "direct")
            .map(|(_, v)| v)
            .sum();
        self.unassigned = s.tickets - s.assigned;
        self.by_route = s.by_route.clone();
        self.unassigned_by_reason = s.unassignable.clone();
    }
}

/// The policy `servnet dispatch` uses: the default, starting on the first ticket's day.
pub fn replay_policy(tickets: &[Ticket]) -> Policy {
    Policy {
        start_date: tickets.iter().map(|t| t.created_at.date()).min(),
        ..Policy::default()
    }
}

/// Dispatches `tickets` in arrival order on `network` (see the module docs).
pub fn replay(network: Network, tickets: &[Ticket]) -> Result<DispatchSummary> {
    let d = Dispatcher::new(network, replay_policy(tickets))?;
    let outcomes = dispatch_in_arrival_order(&d, tickets)?;
    Ok(DispatchSummary::new(&d, &outcomes))
}

/// The plan as a dispatchable network over `base`'s regions (see the module docs).
pub fn planned_network(plan: &NetworkPlan, base: &Network, opts: &PlanOptions) -> Result<Network> {
    // Tickets a day at full utilisation: the plan's capacity is at the target.
    let util = opts.staffing.utilisation_target;
    let by_id: BTreeMap<&str, usize> = plan
        .sites
        .iter()
        .enumerate()
        .map(|(i, s)| (s.site_id.as_str(), i))
        .collect();
    let region_km: BTreeMap<&str, f64> = base
        .regions()
        .iter()
        .map(|r| (r.code.as_str(), r.max_travel_km))
        .collect();
    let offer = |o: &mut Outlet, categories: &[String], cap: u32| -> Result<()> {
        let mut offers: BTreeMap<String, OutletSkill> = o
            .skills
            .drain(..)
            .map(|s| (s.skill.to_string(), s))
            .collect();
        for c in categories {
            for sk in plan
                .category_skills
                .get(c)
                .map(Vec::as_slice)
                .unwrap_or(&[])
            {
                if !offers.contains_key(sk) {
                    let skill: Skill = sk.parse().map_err(|e| Error::argument("skill", e))?;
                    offers.insert(
                        sk.clone(),
                        OutletSkill {
                            skill,
                            daily_capacity: cap,
                            load: 0,
                            rating_sum: 0.0,
                            rating_count: 0,
                            cost_per_ticket: NEW_SKILL_COST,
                        },
                    );
                }
            }
        }
        o.skills = offers
            .into_values()
            .map(|mut s| {
                s.daily_capacity = cap;
                s.load = s.load.min(cap);
                s
            })
            .collect();
        Ok(())
    };
    let mut outlets = Vec::with_capacity(base.outlets().len() + plan.sites.len());
    for o in base.outlets() {
        let mut o = o.clone();
        match by_id.get(o.id.as_str()).map(|&i| &plan.sites[i]) {
            Some(s) if s.decision.is_open() => {
                let cap = (s.capacity / util).round().clamp(1.0, f64::from(u32::MAX)) as u32;
                o.daily_cap = cap;
                if o.status != OutletStatus::Probation {
                    o.status = OutletStatus::Active;
                }
                let reach = region_km.get(s.region.as_str()).copied().unwrap_or(0.0);
                o.area = ServiceArea::Radius(s.service_radius_km.max(reach));
                offer(&mut o, &s.categories, cap)?;
            }
            Some(_) => o.status = OutletStatus::Closed,
            None => {}
        }
        outlets.push(o);
    }
    for s in plan.sites.iter().filter(|s| s.decision == Decision::Open) {
        let cap = (s.capacity / util).round().clamp(1.0, f64::from(u32::MAX)) as u32;
        let reach = region_km.get(s.region.as_str()).copied().unwrap_or(0.0);
        let mut o = Outlet {
            id: s.site_id.clone(),
            name: s.name.clone(),
            lon: s.lon,
            lat: s.lat,
            status: OutletStatus::Active,
            priority: 50,
            daily_cap: cap,
            area: ServiceArea::Radius(s.service_radius_km.max(reach)),
            skills: Vec::new(),
        };
        offer(&mut o, &s.categories, cap)?;
        outlets.push(o);
    }
    Ok(Network::new(outlets, base.regions().to_vec())?.with_settings_of(base))
}
