//! Simulation: does a plan work in operation, not only on paper?
//!
//! [`peak_month_tickets`] draws the tickets of the forecast's busiest month (the month
//! with the most tickets over all skills): for every region, skill and day, a Poisson
//! count with mean `annual x month share / days in month`, each ticket at the region
//! point plus a Gaussian offset (`jitter_km`), created uniformly in working hours, due
//! `max_response_hours` later. Draws come from one seeded generator in a fixed loop
//! order, so the same seed gives the same tickets. Or replay a tickets file.
//!
//! [`plan_to_network`] turns the plan's open sites into a [`Network`]: kept outlets
//! keep their ratings, costs and priority; each open site offers every skill demanded
//! in the regions it serves; its outlet-wide `daily_cap` is technicians x tickets per
//! technician-day and each skill may use all of it (technicians are cross-skilled);
//! its service area is a radius reaching every region it serves. [`simulate`] then
//! dispatches the tickets in arrival order with the [`Dispatcher`] and reports the
//! SLA met, the utilisation spread and the unassigned tickets.

use std::collections::BTreeMap;
use std::time::Instant;

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use super::forecast::{days_in_month, Forecast};
use super::location::SplitMix64;
use super::network_plan::{NetworkPlan, PlanOptions};
use crate::dispatch::{dispatch_in_arrival_order, Dispatcher, Outcome, Policy};
use crate::model::{
    Network, Outlet, OutletSkill, OutletStatus, Region, ServiceArea, Skill, Ticket,
};
use crate::{Error, Result};

/// Options of the simulation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SimOptions {
    /// Seed of the ticket draw; default 1.
    pub seed: u64,
    /// Days of the peak month to draw, from its first day; 0 = the whole month.
    /// Default 7 (one week: a plan is sized for the peak day, a week shows carry-over).
    pub days: u32,
    /// Standard deviation of a ticket's offset from its region point, km; default 5.
    pub jitter_km: f64,
    /// Dispatch policy; `horizon_days` is raised to cover the days simulated + 3, and
    /// `start_date` is set to the first simulated day.
    pub policy: Policy,
    /// Cost per ticket of skills a site newly offers; default 80.
    pub new_skill_cost: f64,
    /// Share of the tickets simulated, (0, 1]; default 1. Below 1 the draw is thinned
    /// (a thinned Poisson process is Poisson) and every outlet's capacity is scaled by
    /// the same share (rounded up), so utilisation is kept and large networks simulate
    /// in seconds; SLA figures are then an approximation.
    pub sample: f64,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            seed: 1,
            days: 7,
            jitter_km: 5.0,
            policy: Policy::default(),
            new_skill_cost: 80.0,
            sample: 1.0,
        }
    }
}

/// Outcome of a simulation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimResult {
    /// First day simulated.
    pub start: Option<NaiveDate>,
    /// Days covered by the tickets.
    pub days: u32,
    /// Tickets dispatched.
    pub tickets: usize,
    /// Tickets booked.
    pub assigned: usize,
    /// Tickets booked within their SLA.
    pub sla_met: usize,
    /// `sla_met / tickets` (1 when there are no tickets).
    pub sla_met_share: f64,
    /// Tickets no outlet could take.
    pub unassigned: usize,
    /// Unassigned tickets by reason.
    pub unassigned_by_reason: BTreeMap<String, usize>,
    /// Bookings by route (direct, wider_radius, next_day, escalated).
    pub by_route: BTreeMap<String, usize>,
    /// Mean road km of booked tickets.
    pub mean_distance_km: f64,
    /// Per open outlet, mean daily utilisation over the days: min, p10, median, p90, max.
    pub utilisation: [f64; 5],
    /// Wall-clock seconds of dispatching.
    pub seconds: f64,
}

impl std::fmt::Display for SimResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pct = |x: usize| 100.0 * x as f64 / (self.tickets.max(1)) as f64;
        writeln!(
            f,
            "simulation:     {} tickets over {} day(s) from {}, dispatched in {:.1} s",
            self.tickets,
            self.days,
            self.start.map_or("-".to_string(), |d| d.to_string()),
            self.seconds
        )?;
        writeln!(
            f,
            "SLA met:        {:.1}%; assigned {:.1}%; unassigned {} {:?}",
            100.0 * self.sla_met_share,
            pct(self.assigned),
            self.unassigned,
            self.unassigned_by_reason
        )?;
        writeln!(
            f,
            "booked via:     {:?}; mean distance {:.1} km",
            self.by_route, self.mean_distance_km
        )?;
        let u = self.utilisation.map(|x| 100.0 * x);
        writeln!(
            f,
            "utilisation:    min {:.0}%, p10 {:.0}%, median {:.0}%, p90 {:.0}%, max {:.0}% (open outlets, mean over days)",
            u[0], u[1], u[2], u[3], u[4]
        )
    }
}

fn check_sample(sample: f64) -> Result<()> {
    if sample > 0.0 && sample <= 1.0 {
        Ok(())
    } else {
        Err(Error::argument(
            "sample",
            format!("expected a share in (0, 1], got {sample}"),
        ))
    }
}

/// Poisson draw: multiplication method below 30, normal approximation above.
fn poisson(rng: &mut SplitMix64, lambda: f64) -> u64 {
    if lambda <= 0.0 {
        return 0;
    }
    if lambda < 30.0 {
        let limit = (-lambda).exp();
        let mut k = 0;
        let mut p = rng.next_f64();
        while p > limit {
            k += 1;
            p *= rng.next_f64();
        }
        k
    } else {
        let z = rng.normal();
        (lambda + lambda.sqrt() * z).round().max(0.0) as u64
    }
}

/// The forecast's busiest month of `year` (1..=12): most tickets over all skills.
pub fn peak_month(forecast: &Forecast, year: i32) -> Result<u32> {
    let k = year_index(forecast, year)?;
    let mut best = (0, f64::NEG_INFINITY);
    for m in 0..12 {
        let mut v = 0.0;
        for s in 0..forecast.skills.len() {
            let share = forecast.monthly_share[[s, m]];
            for r in 0..forecast.regions.len() {
                v += forecast.tickets[[r, s, k]] * share;
            }
        }
        if v > best.1 {
            best = (m, v);
        }
    }
    Ok(best.0 as u32 + 1)
}

fn year_index(forecast: &Forecast, year: i32) -> Result<usize> {
    forecast.year_index(year).ok_or_else(|| {
        Error::argument(
            "year",
            format!("{year} is not a forecast year ({:?})", forecast.years),
        )
    })
}

/// Draws the tickets of the peak month of `year` (see the module docs). `network`
/// gives the region points and response hours and must match the forecast's regions.
pub fn peak_month_tickets(
    forecast: &Forecast,
    network: &Network,
    year: i32,
    opts: &SimOptions,
) -> Result<(NaiveDate, Vec<Ticket>)> {
    let k = year_index(forecast, year)?;
    check_sample(opts.sample)?;
    if network.regions().len() != forecast.regions.len() {
        return Err(Error::argument(
            "forecast",
            "the forecast was made for other regions than the network's",
        ));
    }
    let month = peak_month(forecast, year)?;
    let dim = days_in_month(year, month);
    let days = if opts.days == 0 {
        dim
    } else {
        opts.days.min(dim)
    };
    let start = NaiveDate::from_ymd_opt(year, month, 1)
        .ok_or_else(|| Error::argument("year", format!("no date for {year}-{month}")))?;
    let mut rng = SplitMix64::new(opts.seed);
    let skills: Vec<String> = forecast.skills.iter().map(Skill::to_string).collect();
    let mut tickets = Vec::new();
    for day in 0..days {
        let date = start + Duration::days(i64::from(day));
        let t0 = date.and_hms_opt(8, 0, 0).unwrap_or_default();
        for (r, region) in network.regions().iter().enumerate() {
            for (s, skill) in skills.iter().enumerate() {
                let lambda = forecast.tickets[[r, s, k]]
                    * forecast.monthly_share[[s, month as usize - 1]]
                    / f64::from(dim)
                    * opts.sample;
                let n = poisson(&mut rng, lambda);
                for _ in 0..n {
                    let dx = rng.normal() * opts.jitter_km;
                    let dy = rng.normal() * opts.jitter_km;
                    let lat = (region.lat + dy / 111.2).clamp(-89.9, 89.9);
                    let coslat = lat.to_radians().cos().max(0.01);
                    let lon = (region.lon + dx / (111.2 * coslat)).clamp(-180.0, 180.0);
                    let at = t0 + Duration::seconds((rng.next_f64() * 36_000.0) as i64);
                    let mut t = Ticket::new(
                        &format!("S{:08}", tickets.len() + 1),
                        lon,
                        lat,
                        &region.code,
                        skill,
                        at,
                    );
                    t.due_by = at + Duration::seconds((region.max_response_hours * 3600.0) as i64);
                    tickets.push(t);
                }
            }
        }
    }
    Ok((start, tickets))
}

/// The plan's open sites as a dispatchable [`Network`] over `base`'s regions (their
/// `max_travel_km` scaled by the plan's tier factors); see the module docs.
pub fn plan_to_network(
    plan: &NetworkPlan,
    base: &Network,
    plan_opts: &PlanOptions,
    sim: &SimOptions,
) -> Result<Network> {
    let regions: Vec<Region> = base
        .regions()
        .iter()
        .map(|r| {
            let mut r = r.clone();
            r.max_travel_km *= plan_opts.tier_radius_factor[r.tier as usize];
            r
        })
        .collect();
    check_sample(sim.sample)?;
    let tpd = plan_opts.staffing.tickets_per_technician_day;
    // Per listed site: skills demanded and the farthest region served.
    let mut skills: Vec<BTreeMap<String, ()>> = vec![BTreeMap::new(); plan.sites.len()];
    let mut reach = vec![0.0f64; plan.sites.len()];
    for (j, rp) in plan.regions.iter().enumerate() {
        for &(p, _) in &rp.served_by {
            if let Some(set) = skills.get_mut(p) {
                for (sk, _) in plan.region_skills.get(j).map(Vec::as_slice).unwrap_or(&[]) {
                    set.insert(sk.clone(), ());
                }
                let km = crate::geo::haversine_km(
                    plan.sites[p].lon,
                    plan.sites[p].lat,
                    base.regions()[j].lon,
                    base.regions()[j].lat,
                );
                reach[p] = reach[p].max(km.max(rp.radius_km));
            }
        }
    }
    let mut outlets = Vec::new();
    for (p, site) in plan.sites.iter().enumerate() {
        if site.technicians == 0 {
            continue;
        }
        let cap = (f64::from(site.technicians) * tpd * sim.sample)
            .ceil()
            .max(1.0) as u32;
        let mut o = match base.outlet_index(&site.site_id) {
            Some(i) => base.outlets()[i].clone(),
            None => Outlet {
                id: site.site_id.clone(),
                name: site.name.clone(),
                lon: site.lon,
                lat: site.lat,
                status: OutletStatus::Active,
                priority: 50,
                daily_cap: cap,
                area: ServiceArea::Radius(1.0),
                skills: Vec::new(),
            },
        };
        if o.status == OutletStatus::Suspended {
            o.status = OutletStatus::Active;
        }
        o.daily_cap = cap;
        o.area = ServiceArea::Radius(reach[p].max(10.0) + 10.0);
        let mut offers: BTreeMap<String, OutletSkill> = o
            .skills
            .drain(..)
            .map(|s| (s.skill.to_string(), s))
            .collect();
        for sk in skills[p].keys() {
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
                        cost_per_ticket: sim.new_skill_cost,
                    },
                );
            }
        }
        o.skills = offers
            .into_values()
            .map(|mut s| {
                s.daily_capacity = cap;
                s.load = 0;
                s
            })
            .collect();
        outlets.push(o);
    }
    Network::new(outlets, regions)
}

/// Dispatches `tickets` against the plan's outlets in arrival order (see the module
/// docs). Avoid lists and preferred outlets naming outlets the plan does not have are
/// dropped. Errors if the network cannot be built or a ticket is malformed.
pub fn simulate(
    plan: &NetworkPlan,
    base: &Network,
    plan_opts: &PlanOptions,
    tickets: &[Ticket],
    sim: &SimOptions,
    start: Option<NaiveDate>,
) -> Result<SimResult> {
    let net = plan_to_network(plan, base, plan_opts, sim)?;
    let first = start.or_else(|| tickets.iter().map(|t| t.created_at.date()).min());
    let last = tickets.iter().map(|t| t.created_at.date()).max();
    let days = match (first, last) {
        (Some(a), Some(b)) => ((b - a).num_days().max(0) + 1) as u32,
        _ => 1,
    };
    let mut policy = sim.policy.clone();
    policy.horizon_days = policy.horizon_days.max(days + 3).min(366);
    policy.start_date = first;
    let cleaned: Vec<Ticket> = tickets
        .iter()
        .map(|t| {
            let mut t = t.clone();
            t.avoid.retain(|o| net.outlet_index(o).is_some());
            if t.preferred
                .as_ref()
                .is_some_and(|o| net.outlet_index(o).is_none())
            {
                t.preferred = None;
            }
            t
        })
        .collect();
    let d = Dispatcher::new(net, policy)?;
    let started = Instant::now();
    let outcomes = dispatch_in_arrival_order(&d, &cleaned)?;
    let seconds = started.elapsed().as_secs_f64();
    let (mut assigned, mut sla, mut dist) = (0, 0, 0.0);
    let mut by_route: BTreeMap<String, usize> = BTreeMap::new();
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    for o in &outcomes {
        match o {
            Outcome::Assigned(a) => {
                assigned += 1;
                sla += usize::from(a.sla_met);
                dist += a.breakdown.distance_km;
                *by_route.entry(a.route.as_str().to_string()).or_default() += 1;
            }
            Outcome::Unassignable(u) => {
                *reasons.entry(u.reason.as_str().to_string()).or_default() += 1
            }
        }
    }
    let mut util: Vec<f64> = d
        .network()
        .outlets()
        .iter()
        .enumerate()
        .filter(|(_, o)| o.status.takes_tickets() && o.daily_cap > 0)
        .map(|(i, o)| {
            let used: u32 = (0..days).map(|day| d.outlet_used(i, day)).sum();
            f64::from(used) / (f64::from(o.daily_cap) * f64::from(days))
        })
        .collect();
    util.sort_by(f64::total_cmp);
    let q = |p: f64| {
        if util.is_empty() {
            0.0
        } else {
            util[((util.len() - 1) as f64 * p).round() as usize]
        }
    };
    Ok(SimResult {
        start: first,
        days,
        tickets: outcomes.len(),
        assigned,
        sla_met: sla,
        sla_met_share: if outcomes.is_empty() {
            1.0
        } else {
            sla as f64 / outcomes.len() as f64
        },
        unassigned: outcomes.len() - assigned,
        unassigned_by_reason: reasons,
        by_route,
        mean_distance_km: if assigned > 0 {
            dist / assigned as f64
        } else {
            0.0
        },
        utilisation: [q(0.0), q(0.1), q(0.5), q(0.9), q(1.0)],
        seconds,
    })
}

impl SimOptions {
    /// Checks the options before any work: `sample` in (0, 1], `jitter_km` in 0..=1000,
    /// `new_skill_cost` in 0..=1e9, and the policy's own numbers.
    pub fn check_bounds(&self) -> Result<()> {
        check_sample(self.sample)?;
        if !(self.jitter_km.is_finite() && (0.0..=1000.0).contains(&self.jitter_km)) {
            return Err(Error::argument(
                "jitter_km",
                format!("expected 0..=1000 km, got {}", self.jitter_km),
            ));
        }
        if !(self.new_skill_cost.is_finite() && (0.0..=1e9).contains(&self.new_skill_cost)) {
            return Err(Error::argument(
                "new_skill_cost",
                format!("expected a cost in 0..=1e9, got {}", self.new_skill_cost),
            ));
        }
        self.policy.validate()
    }
}
