//! Simulation: does a plan work in operation, not only on paper?
//!
//! [`peak_month_tickets`] draws the tickets of the forecast's busiest month (the month
//! with the most tickets over all skills): for every region, skill and day, a Poisson
//! count with mean `annual x month share / days in month`. Each ticket is placed where
//! the plan's demand is: in one of the region's demand cells ([`CellPlan`]) drawn by its
//! peak-day demand, at a Gaussian offset of half the cell's edge from its centre (so the
//! drawn tickets spread over a city as the demand does); a region without cells (or no
//! cells given) puts it at the region point plus a Gaussian offset (`jitter_km`). It is
//! created uniformly in working hours, due `max_response_hours` later. Draws come from
//! one seeded generator in a fixed loop order, so the same seed gives the same tickets.
//! Or replay a tickets file.
//!
//! [`plan_to_network`] is the plan's dispatchable network
//! ([`super::replay::planned_network`]) with capacities scaled by the sample share.
//! [`simulate`] dispatches the tickets in arrival order with the [`Dispatcher`] and
//! reports the SLA met, the utilisation spread and the unassigned tickets. (The real
//! tickets of a data folder are replayed at full capacity by every plan:
//! [`super::replay`].)

use std::collections::BTreeMap;
use std::time::Instant;

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use super::forecast::{days_in_month, Forecast};
use super::location::SplitMix64;
use super::network_plan::{CellPlan, NetworkPlan, PlanOptions};
use super::replay::planned_network;
use crate::dispatch::{dispatch_in_arrival_order, Dispatcher, Outcome, Policy};
use crate::model::{Network, Outlet, Skill, Ticket};
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
    /// Standard deviation of a ticket's offset from its region point, km, where the
    /// region has no demand cells; default 5.
    pub jitter_km: f64,
    /// Dispatch policy; `horizon_days` is raised to cover the days simulated + 3, and
    /// `start_date` is set to the first simulated day.
    pub policy: Policy,
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

/// Per region: its demand cells as (lon, lat, cumulative weight, offset sd in km).
type Places = Vec<Vec<(f64, f64, f64, f64)>>;

fn places(network: &Network, cells: &[CellPlan]) -> Places {
    let mut out: Places = vec![Vec::new(); network.regions().len()];
    for c in cells.iter().filter(|c| c.peak_day > 0.0) {
        let Some(r) = network.region_index(&c.region) else {
            continue;
        };
        let sd = c
            .cell
            .parse::<h3o::CellIndex>()
            .map_or(0.5, |x| x.resolution().edge_length_km() / 2.0);
        let acc = out[r].last().map_or(0.0, |l| l.2) + c.peak_day;
        out[r].push((c.lon, c.lat, acc, sd));
    }
    out
}

/// Draws the tickets of the peak month of `year` (see the module docs): placed on
/// `cells` (a plan's [`NetworkPlan::cells`]; empty: at the region points). `network`
/// gives the region points and response hours and must match the forecast's regions.
pub fn peak_month_tickets(
    forecast: &Forecast,
    network: &Network,
    year: i32,
    cells: &[CellPlan],
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
    let places = places(network, cells);
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
                let here = &places[r];
                for _ in 0..n {
                    let (lon0, lat0, sd) = match here.last() {
                        Some(last) => {
                            let u = rng.next_f64() * last.2;
                            let i = here.partition_point(|c| c.2 <= u).min(here.len() - 1);
                            (here[i].0, here[i].1, here[i].3)
                        }
                        None => (region.lon, region.lat, opts.jitter_km),
                    };
                    let dx = rng.normal() * sd;
                    let dy = rng.normal() * sd;
                    let lat = (lat0 + dy / 111.2).clamp(-89.9, 89.9);
                    let coslat = lat.to_radians().cos().max(0.01);
                    let lon = (lon0 + dx / (111.2 * coslat)).clamp(-180.0, 180.0);
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

/// The plan as a dispatchable [`Network`] ([`planned_network`]) with every outlet's
/// capacity scaled by `sim.sample` (rounded up).
pub fn plan_to_network(
    plan: &NetworkPlan,
    base: &Network,
    plan_opts: &PlanOptions,
    sim: &SimOptions,
) -> Result<Network> {
    check_sample(sim.sample)?;
    let net = planned_network(plan, base, plan_opts)?;
    if sim.sample >= 1.0 {
        return Ok(net);
    }
    let scale = |x: u32| (f64::from(x) * sim.sample).ceil() as u32;
    let outlets: Vec<Outlet> = net
        .outlets()
        .iter()
        .map(|o| {
            let mut o = o.clone();
            o.daily_cap = scale(o.daily_cap);
            for s in &mut o.skills {
                s.daily_capacity = scale(s.daily_capacity);
                s.load = scale(s.load).min(s.daily_capacity);
            }
            o
        })
        .collect();
    Ok(Network::new(outlets, net.regions().to_vec())?.with_settings_of(&net))
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
    /// and the policy's own numbers.
    pub fn check_bounds(&self) -> Result<()> {
        check_sample(self.sample)?;
        if !(self.jitter_km.is_finite() && (0.0..=1000.0).contains(&self.jitter_km)) {
            return Err(Error::argument(
                "jitter_km",
                format!("expected 0..=1000 km, got {}", self.jitter_km),
            ));
        }
        self.policy.validate()
    }
}
