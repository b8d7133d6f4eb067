//! [`plan_network`]: demand cells -> candidates and pairs -> frontier or one count ->
//! capacity cap, sizing, costs -> decisions and reasons -> replay (method in
//! [`super::network_plan`]'s module docs).

use std::collections::BTreeMap;
use std::time::Instant;

use super::candidates::{self, BuildArgs, Problem};
use super::demand::{demand_cells, PopulationPoint};
use super::evaluate::{evaluate, Eval};
use super::forecast::Forecast;
use super::frontier::{mark_efficient, recommend, FrontierRow};
use super::location::sparse::{solve_count, SparseInstance, SparseOptions, SparseResult};
use super::location::SolveStatus;
use super::network_plan::{
    outlet_satisfaction, CellPlan, Decision, NetworkPlan, PackageCoverage, PlanModel, PlanOptions,
    PlanTotals, RegionPlan, SitePlan, SiteRule, TierTotals,
};
use super::replay::{planned_network, replay, NetworkFigures};
use crate::model::{CustomerTier, Network, Ticket, Tier};
use crate::{Error, Result};

/// What a plan is made from.
#[derive(Debug, Clone, Copy)]
pub struct PlanInputs<'a> {
    /// Today's network (outlets and regions).
    pub network: &'a Network,
    /// The forecast, made for `network`'s regions.
    pub forecast: &'a Forecast,
    /// Ticket history: places demand in cells, and is replayed against the plan and
    /// today's network (may be empty).
    pub tickets: &'a [Ticket],
    /// Population points below the region (may be empty).
    pub population: &'a [PopulationPoint],
}

fn check(inputs: &PlanInputs<'_>, opts: &PlanOptions) -> Result<usize> {
    opts.check_bounds()?;
    let net = inputs.network;
    let fc = inputs.forecast;
    if fc
        .regions
        .iter()
        .map(String::as_str)
        .ne(net.regions().iter().map(|r| r.code.as_str()))
    {
        return Err(Error::argument(
            "forecast",
            "the forecast was made for other regions than the network's",
        ));
    }
    let year = opts
        .year
        .unwrap_or_else(|| fc.years.first().copied().unwrap_or(0));
    let k = fc.year_index(year).ok_or_else(|| {
        Error::argument(
            "year",
            format!("{year} is not a forecast year ({:?})", fc.years),
        )
    })?;
    let pos = |v: f64| v.is_finite() && v > 0.0;
    let nonneg = |v: f64| v.is_finite() && v >= 0.0;
    if !opts.tier_radius_factor.iter().all(|f| pos(*f)) {
        return Err(Error::argument(
            "tier_radius_factor",
            "expected three numbers > 0",
        ));
    }
    if !(opts.detour_factor >= 1.0 && opts.detour_factor.is_finite() && pos(opts.speed_kmh)) {
        return Err(Error::argument(
            "detour_factor",
            "expected detour_factor >= 1 and speed_kmh > 0",
        ));
    }
    let st = &opts.staffing;
    if !(pos(st.tickets_per_technician_day)
        && pos(st.onsite_hours)
        && pos(st.working_hours)
        && pos(st.utilisation_target)
        && st.utilisation_target <= 1.0)
    {
        return Err(Error::argument(
            "staffing",
            "expected tickets per technician-day > 0, onsite hours > 0, working hours > 0 and utilisation in (0, 1]",
        ));
    }
    let c = &opts.costs;
    if ![
        c.keep_fixed_cost,
        c.new_fixed_cost,
        c.open_cost,
        c.close_cost,
        c.close_cost_per_technician,
        c.module_cost,
        c.travel_cost_per_km,
        c.missed_commitment_cost,
    ]
    .iter()
    .all(|v| nonneg(*v))
        || !pos(c.amortisation_years)
        || c.technicians_per_module == 0
        || c.max_technicians == 0
    {
        return Err(Error::argument(
            "costs",
            "expected costs finite and >= 0, amortisation_years > 0, technicians_per_module >= 1 and max_technicians >= 1",
        ));
    }
    if !opts
        .service_target
        .iter()
        .all(|t| t.is_finite() && (0.0..=1.0).contains(t))
    {
        return Err(Error::argument(
            "service_target",
            "expected three shares in [0, 1]",
        ));
    }
    if !(pos(opts.reach.factor) && opts.reach.max_pairs >= 1) {
        return Err(Error::argument(
            "reach",
            "expected factor > 0 and max_pairs >= 1",
        ));
    }
    if opts.replay_guard.is_some_and(|g| !nonneg(g)) {
        return Err(Error::argument("replay_guard", "expected a share >= 0"));
    }
    if !nonneg(opts.frontier.cost_tolerance) {
        return Err(Error::argument(
            "frontier.cost_tolerance",
            "expected a share >= 0",
        ));
    }
    if opts
        .max_closure_share
        .is_some_and(|s| !(s.is_finite() && (0.0..=1.0).contains(&s)))
    {
        return Err(Error::argument(
            "max_closure_share",
            "expected a share in [0, 1]",
        ));
    }
    Ok(k)
}

/// Site rules: forced (must keep) and the reason text of must-keep sites.
fn rules(pb: &Problem, net: &Network, opts: &PlanOptions) -> Vec<(SiteRule, String)> {
    pb.cands
        .iter()
        .map(|c| match c.outlet {
            None => (SiteRule::New, String::new()),
            Some(o) => {
                let outlet = &net.outlets()[o];
                if outlet.priority >= opts.must_keep_priority {
                    (
                        SiteRule::MustKeep,
                        format!(
                            "must keep: dispatch priority {} >= {} (regional centre)",
                            outlet.priority, opts.must_keep_priority
                        ),
                    )
                } else if let Some(t) = opts
                    .close_below_satisfaction
                    .filter(|&t| outlet_satisfaction(net, o) >= t)
                {
                    (
                        SiteRule::MustKeep,
                        format!(
                            "must keep: satisfaction {:.2} >= {t}",
                            outlet_satisfaction(net, o)
                        ),
                    )
                } else {
                    (SiteRule::MayClose, String::new())
                }
            }
        })
        .collect()
}

/// Annual cost of one road km between a site and a point: the vehicle's km over the
/// year's tickets, and the technicians the round trips take on the peak day.
fn km_cost(p: &super::candidates::Point, opts: &PlanOptions) -> f64 {
    let c = &opts.costs;
    let st = &opts.staffing;
    let road_hours_per_km = 2.0 / opts.speed_kmh;
    p.annual * c.travel_cost_per_km
        + p.peak * road_hours_per_km * c.per_technician() / st.hours_per_technician()
}

fn instance(pb: &Problem, forced: &[bool], opts: &PlanOptions) -> Result<SparseInstance> {
    let c = &opts.costs;
    let mut constant = 0.0;
    let fixed: Vec<f64> = pb
        .cands
        .iter()
        .zip(forced)
        .map(|(cand, &f)| match cand.outlet {
            None => c.new_fixed_cost + c.open_per_year(),
            Some(_) if cand.open_today && !f => {
                let close = c.close_per_year(cand.techs_today);
                constant += close;
                c.keep_fixed_cost - close
            }
            Some(_) => c.keep_fixed_cost,
        })
        .collect();
    let mut unserved = Vec::with_capacity(pb.points.len());
    let mut pairs = Vec::with_capacity(pb.points.len());
    for (j, p) in pb.points.iter().enumerate() {
        let per_km = km_cost(p, opts);
        unserved.push(
            2.0 * p.radius * opts.reach.factor * per_km + p.annual * c.missed_commitment_cost,
        );
        pairs.push(
            pb.pairs(j)
                .map(|(i, km)| {
                    let miss = if km > p.radius {
                        c.missed_commitment_cost
                    } else {
                        0.0
                    };
                    (i as u32, km * per_km + p.annual * miss)
                })
                .collect(),
        );
    }
    SparseInstance::new(fixed, forced.to_vec(), unserved, pairs, constant)
}

/// Today's open outlets the plan may close, kept open but for `max_closures` /
/// `max_closure_share` of today's open outlets.
/// Returns the instance and the limit (`None`: no limit).
fn closure_limit(
    inst: SparseInstance,
    today: &[bool],
    forced: &[bool],
    opts: &PlanOptions,
) -> Result<(SparseInstance, Option<usize>)> {
    let n_today = today.iter().filter(|t| **t).count();
    let by_share = opts
        .max_closure_share
        .map(|s| (s * n_today as f64 + 1e-9).floor() as usize);
    let limit = match (opts.max_closures, by_share) {
        (Some(a), Some(b)) => a.min(b),
        (a, b) => match a.or(b) {
            Some(x) => x,
            None => return Ok((inst, None)),
        },
    };
    let group: Vec<bool> = today.iter().zip(forced).map(|(t, f)| *t && !f).collect();
    let size = group.iter().filter(|g| **g).count();
    Ok((
        inst.with_group_minimum(group, size.saturating_sub(limit))?,
        Some(limit),
    ))
}

/// How many more of today's outlets idle-site pruning may close under the limit.
fn prune_budget(limit: Option<usize>, today: &[bool], open: &[bool]) -> Option<usize> {
    let closed = today.iter().zip(open).filter(|(t, o)| **t && !**o).count();
    Some(limit.map_or(usize::MAX, |l| l.saturating_sub(closed)))
}

const TIERS: [Tier; 3] = [Tier::A, Tier::B, Tier::C];

/// Plan figures of an evaluation (replay fields left at their defaults).
fn figures(e: &Eval) -> NetworkFigures {
    NetworkFigures {
        outlets: e.n_open(),
        technicians: e.technicians,
        annual_cost: e.cost(),
        served_share: e.served_share(),
        mean_response_hours: e.mean_resp,
        sla_met_share: 1.0,
        ..NetworkFigures::default()
    }
}

/// Context shared by the assembly of every count.
struct Ctx<'a> {
    inputs: &'a PlanInputs<'a>,
    opts: &'a PlanOptions,
    pb: &'a Problem,
    rules: &'a [(SiteRule, String)],
    current: &'a Eval,
    year: i32,
    category_skills: BTreeMap<String, Vec<String>>,
    coverable: [f64; 3],
}

/// Per-site and per-region tables and totals of an evaluation.
fn assemble(ctx: &Ctx<'_>, e: &Eval, sol: Option<&SparseResult>, seconds: f64) -> NetworkPlan {
    let (pb, opts, net) = (ctx.pb, ctx.opts, ctx.inputs.network);
    let regions = net.regions();
    let st = &opts.staffing;
    let c = &opts.costs;
    let m = pb.cands.len();
    // Takes over: demand whose outlet today closes, per new serving site.
    let mut takes = vec![0.0; m];
    let mut from: Vec<BTreeMap<usize, f64>> = vec![BTreeMap::new(); m];
    let mut goes: Vec<BTreeMap<usize, f64>> = vec![BTreeMap::new(); m];
    let mut cells: Vec<std::collections::BTreeSet<usize>> =
        vec![std::collections::BTreeSet::new(); m];
    let mut served_d = vec![0.0; m];
    let mut far = vec![0.0f64; m];
    // Peak x road km: in the plan per serving site; today and in the plan per outlet
    // that closes (its customers' trips before and after).
    let mut km_w = vec![0.0; m];
    let mut moved = vec![(0.0, 0.0, 0.0); m];
    for (j, p) in pb.points.iter().enumerate() {
        if let Some(s) = e.assign[j] {
            cells[s].insert(p.cell);
            if e.served[j] {
                served_d[s] += p.peak;
            }
            far[s] = far[s].max(e.km[j] / opts.detour_factor);
            if e.km[j].is_finite() {
                km_w[s] += p.peak * e.km[j];
            }
        }
        if let Some(q) = ctx.current.assign[j] {
            if !e.open[q] {
                if let Some(s) = e.assign[j] {
                    takes[s] += p.peak;
                    *from[s].entry(q).or_default() += p.peak;
                    *goes[q].entry(s).or_default() += p.peak;
                    if ctx.current.km[j].is_finite() && e.km[j].is_finite() {
                        let w = &mut moved[q];
                        w.0 += p.peak;
                        w.1 += p.peak * ctx.current.km[j];
                        w.2 += p.peak * e.km[j];
                    }
                }
            }
        }
    }
    let top = |map: &BTreeMap<usize, f64>| -> Vec<(usize, f64)> {
        let mut v: Vec<(usize, f64)> = map.iter().map(|(&k, &x)| (k, x)).collect();
        v.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        v
    };
    let mut sites = Vec::new();
    for (i, cand) in pb.cands.iter().enumerate() {
        let open = e.open[i];
        if cand.outlet.is_none() && !open {
            continue;
        }
        let (rule, must_reason) = &ctx.rules[i];
        let techs = if open { e.techs[i] } else { 0 };
        let today = cand.techs_today.round() as u32;
        let decision = match (cand.outlet, open) {
            (None, _) => Decision::Open,
            (Some(_), false) => Decision::Close,
            (Some(_), true) if !cand.open_today || techs > today => Decision::Grow,
            (Some(_), true) if techs < today => Decision::Shrink,
            _ => Decision::Keep,
        };
        let region = &regions[cand.region];
        let reason = match decision {
            Decision::Close => match top(&goes[i]).first() {
                Some(&(s, x)) => {
                    let (w, before, after) = moved[i];
                    let (before, after) = if w > 0.0 {
                        (before / w, after / w)
                    } else {
                        (0.0, 0.0)
                    };
                    let to = &pb.cands[s];
                    format!(
                        "closed: {:.0} tickets a year ({:.1} on the peak day) with {} technicians today; {} ({:.1} km away) takes {:.1} of them, {} sites in all; its customers' trips {:.1} -> {:.1} road km; saves {:.0} a year in running cost, closing costs {:.0} once",
                        ctx.current.annual[i],
                        ctx.current.load[i],
                        cand.techs_today.round(),
                        to.id,
                        crate::geo::haversine_km(cand.lon, cand.lat, to.lon, to.lat),
                        x,
                        goes[i].len(),
                        before,
                        after,
                        c.keep_fixed_cost,
                        c.closing_cost(cand.techs_today)
                    )
                }
                None if !cand.open_today => {
                    "closed: not taking tickets today and not needed".into()
                }
                None => "closed: no demand of its own today".into(),
            },
            _ if *rule == SiteRule::MustKeep && e.load[i] <= 0.0 => {
                format!("{must_reason}; kept with no demand")
            }
            _ if *rule == SiteRule::MustKeep => format!(
                "{must_reason}; serves {:.1} peak-day tickets in {} cells",
                e.load[i],
                cells[i].len()
            ),
            Decision::Open => format!(
                "new: serves {:.1} peak-day tickets in {} cells ({:.1} taken over from closed outlets)",
                e.load[i],
                cells[i].len(),
                takes[i]
            ),
            _ => format!(
                "serves {:.1} peak-day tickets in {} cells; technicians {} -> {}",
                e.load[i],
                cells[i].len(),
                cand.techs_today.round(),
                techs
            ),
        };
        let tech_hours = st.working_hours * f64::from(techs);
        // Hours one of its tickets takes (on site + the round trip at its mean distance).
        let per_ticket = if e.load[i] > 0.0 {
            e.hours[i] / e.load[i]
        } else {
            st.onsite_hours
        };
        let cost = if open {
            (if cand.outlet.is_some() {
                c.keep_fixed_cost
            } else {
                c.new_fixed_cost + c.open_per_year()
            }) + c.technician_cost(techs)
        } else if cand.open_today {
            c.close_per_year(cand.techs_today)
        } else {
            0.0
        };
        sites.push(SitePlan {
            site_id: cand.id.clone(),
            name: cand.name.clone(),
            lon: cand.lon,
            lat: cand.lat,
            region: region.code.clone(),
            tier: region.tier,
            rule: *rule,
            decision,
            categories: (0..pb.categories.len())
                .filter(|&k| cand.serves[k])
                .map(|k| pb.categories[k].clone())
                .collect(),
            technicians_today: cand.techs_today,
            open_today: cand.open_today,
            technicians: techs,
            capacity: tech_hours * st.utilisation_target / per_ticket,
            assigned_demand: if open { e.load[i] } else { 0.0 },
            annual_tickets: if open { e.annual[i] } else { 0.0 },
            annual_tickets_today: ctx.current.annual[i],
            served_demand: served_d[i],
            takes_over: takes[i],
            takes_over_from: top(&from[i])
                .into_iter()
                .map(|(q, _)| pb.cands[q].id.clone())
                .collect(),
            goes_to: top(&goes[i]).first().map(|&(s, _)| pb.cands[s].id.clone()),
            utilisation: if tech_hours > 0.0 {
                e.hours[i] / tech_hours
            } else {
                0.0
            },
            mean_km: if open && e.load[i] > 0.0 {
                km_w[i] / e.load[i]
            } else if !open && moved[i].0 > 0.0 {
                moved[i].1 / moved[i].0
            } else {
                0.0
            },
            cells_served: cells[i].len(),
            service_radius_km: if open { far[i] + 2.0 } else { 0.0 },
            cost,
            reason,
            today_tickets: 0,
            today_service_cost: 0.0,
            replay_tickets: 0,
            replay_fees: 0.0,
            replay_travel: 0.0,
            replay_service_cost: 0.0,
        });
    }
    // Regions.
    let nr = regions.len();
    let mut agg = vec![(0.0, 0.0, 0.0, 0.0); nr]; // peak, annual, served, km x peak
    let mut ncell = vec![std::collections::BTreeSet::new(); nr];
    for (j, p) in pb.points.iter().enumerate() {
        let a = &mut agg[p.region];
        a.0 += p.peak;
        a.1 += p.annual;
        if e.served[j] {
            a.2 += p.peak;
        }
        if e.km[j].is_finite() {
            a.3 += p.peak * e.km[j];
        }
        ncell[p.region].insert(p.cell);
    }
    let region_plans: Vec<RegionPlan> = regions
        .iter()
        .enumerate()
        .map(|(r, reg)| {
            let (peak, annual, served, kmw) = agg[r];
            RegionPlan {
                region: reg.code.clone(),
                tier: reg.tier,
                peak_day: peak,
                annual,
                cells: ncell[r].len(),
                radius_km: reg.max_travel_km * opts.tier_radius_factor[reg.tier as usize],
                served_share: if peak > 0.0 { served / peak } else { 1.0 },
                mean_km: if peak > 0.0 { kmw / peak } else { 0.0 },
            }
        })
        .collect();
    // Cells: peak, served and the main serving site over their categories.
    let mut cell_agg: Vec<(f64, f64, BTreeMap<usize, f64>)> =
        vec![(0.0, 0.0, BTreeMap::new()); pb.cells.len()];
    for (j, p) in pb.points.iter().enumerate() {
        let a = &mut cell_agg[p.cell];
        a.0 += p.peak;
        if e.served[j] {
            a.1 += p.peak;
        }
        if let Some(s) = e.assign[j] {
            *a.2.entry(s).or_default() += p.peak;
        }
    }
    let cell_plans: Vec<CellPlan> = pb
        .cells
        .iter()
        .zip(&cell_agg)
        .map(|(c, (peak, served, by))| CellPlan {
            cell: c.cell_hex(),
            region: regions[c.region].code.clone(),
            lon: c.lon,
            lat: c.lat,
            peak_day: *peak,
            served_share: if *peak > 0.0 { served / peak } else { 1.0 },
            site: top(by).first().map(|&(s, _)| pb.cands[s].id.clone()),
        })
        .collect();
    let mut by_tier: BTreeMap<Tier, TierTotals> = BTreeMap::new();
    for (t, tier) in TIERS.iter().enumerate() {
        let n = regions.iter().filter(|r| r.tier == *tier).count();
        if n == 0 {
            continue;
        }
        by_tier.insert(
            *tier,
            TierTotals {
                regions: n,
                outlets: sites
                    .iter()
                    .filter(|s| s.tier == *tier && s.decision.is_open())
                    .count(),
                demand: e.by_tier[t].0,
                served: e.by_tier[t].1,
                coverable: ctx.coverable[t] * e.by_tier[t].0,
            },
        );
    }
    let (objective, lower_bound, gap, status) = match sol {
        Some(s) => (s.objective, s.lower_bound, s.gap, s.status),
        None => (e.cost(), f64::NAN, f64::NAN, SolveStatus::Feasible),
    };
    NetworkPlan {
        demand_points: pb.points.len(),
        demand_cells: pb.cells.len(),
        candidates: pb.cands.len(),
        pairs: pb.pair_site.len(),
        recommended_outlets: None,
        recommendation: None,
        frontier: Vec::new(),
        replay: figures(e),
        current: figures(ctx.current),
        resized: figures(ctx.current),
        sites,
        regions: region_plans,
        cells: cell_plans,
        totals: PlanTotals {
            model: opts.model,
            year: ctx.year,
            open: e.n_open(),
            kept: e.kept,
            closed: e.closed,
            new: e.new,
            technicians: e.technicians,
            fixed_cost: e.fixed,
            technician_cost: e.tech_cost,
            travel_cost: e.travel,
            open_close_cost: e.open_close,
            cost: e.cost(),
            demand: e.by_tier.iter().map(|t| t.0).sum(),
            served_share: e.served_share(),
            mean_response_hours: e.mean_resp,
            p95_response_hours: e.p95_resp,
            by_tier,
            status,
            objective,
            lower_bound,
            gap,
            solve_seconds: seconds,
        },
        category_skills: ctx.category_skills.clone(),
        packages: package_coverage(pb, e, ctx.current),
        service_cost: Vec::new(),
        package_replay: Vec::new(),
    }
}

/// Demand and coverage by service commitment, today (`today`) and in the plan (`e`).
fn package_coverage(pb: &Problem, e: &Eval, today: &Eval) -> Vec<PackageCoverage> {
    let n = pb.commitments.len();
    // demand, radius x demand, hours x demand, served today, served plan, km x demand
    let mut acc = vec![[0.0f64; 6]; n];
    for (j, p) in pb.points.iter().enumerate() {
        let Some(a) = acc.get_mut(p.commitment) else {
            continue;
        };
        a[0] += p.peak;
        a[1] += p.peak * p.radius;
        a[2] += p.peak * p.hours;
        if today.served.get(j).copied().unwrap_or(false) {
            a[3] += p.peak;
        }
        if e.served.get(j).copied().unwrap_or(false) {
            a[4] += p.peak;
        }
        if let Some(km) = e.km.get(j).filter(|k| k.is_finite()) {
            a[5] += p.peak * km;
        }
    }
    let share = |x: f64, d: f64| if d > 0.0 { x / d } else { 1.0 };
    let mean = |x: f64, d: f64| if d > 0.0 { x / d } else { 0.0 };
    pb.commitments
        .iter()
        .zip(&acc)
        .map(|(name, a)| PackageCoverage {
            packages: name.clone(),
            demand: a[0],
            radius_km: mean(a[1], a[0]),
            response_hours: mean(a[2], a[0]),
            served_today: share(a[3], a[0]),
            served_plan: share(a[4], a[0]),
            mean_km_plan: mean(a[5], a[0]),
        })
        .collect()
}

/// Share of VIP tickets per region (the network's order) in `tickets`; 0 for a region
/// without tickets.
fn vip_shares(net: &Network, tickets: &[Ticket]) -> Vec<f64> {
    let index: BTreeMap<&str, usize> = net
        .regions()
        .iter()
        .enumerate()
        .map(|(i, r)| (r.code.as_str(), i))
        .collect();
    let mut n = vec![(0u64, 0u64); index.len()];
    for t in tickets {
        if let Some(&i) = index.get(t.region.as_str()) {
            n[i].0 += 1;
            n[i].1 += u64::from(t.customer_tier == CustomerTier::Vip);
        }
    }
    n.iter()
        .map(|&(all, vip)| {
            if all > 0 {
                vip as f64 / all as f64
            } else {
                0.0
            }
        })
        .collect()
}

/// Replays the inputs' tickets against a plan; fills `plan.replay`'s replay fields.
fn replay_plan(ctx: &Ctx<'_>, plan: &mut NetworkPlan) -> Result<()> {
    if ctx.inputs.tickets.is_empty() {
        return Ok(());
    }
    let net = planned_network(plan, ctx.inputs.network, ctx.opts)?;
    let s = replay(net, ctx.inputs.tickets)?;
    plan.replay.set_replay(&s);
    Ok(())
}

/// Greedy set cover on the commitment radius from the forced sites; the open flags.
fn greedy_cover(pb: &Problem, forced: &[bool]) -> Vec<bool> {
    let m = pb.cands.len();
    let mut open = forced.to_vec();
    let mut covered: Vec<bool> = (0..pb.points.len())
        .map(|j| {
            pb.pairs(j)
                .any(|(i, km)| open[i] && km <= pb.points[j].radius)
        })
        .collect();
    let mut by_site: Vec<Vec<usize>> = vec![Vec::new(); m];
    for j in 0..pb.points.len() {
        for (i, km) in pb.pairs(j) {
            if km <= pb.points[j].radius {
                by_site[i].push(j);
            }
        }
    }
    loop {
        let best = (0..m)
            .filter(|&i| !open[i])
            .map(|i| {
                let g: f64 = by_site[i]
                    .iter()
                    .filter(|&&j| !covered[j])
                    .map(|&j| pb.points[j].peak)
                    .sum();
                (i, g)
            })
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
        match best {
            Some((i, g)) if g > 0.0 => {
                open[i] = true;
                for &j in &by_site[i] {
                    covered[j] = true;
                }
            }
            _ => break,
        }
    }
    open
}

/// What `Setup` holds: the problem, per-candidate rules, must-keep flags, today's
/// open flags, and the location instance with its closure limit.
type Setup = (
    Problem,
    Vec<(SiteRule, String)>,
    Vec<bool>,
    Vec<bool>,
    (SparseInstance, Option<usize>),
);

/// Demand cells, candidates and the location instance of forecast year `k`.
fn setup(inputs: &PlanInputs<'_>, opts: &PlanOptions, k: usize) -> Result<Setup> {
    let net = inputs.network;
    let cells = demand_cells(net, inputs.tickets, inputs.population, &opts.demand)?;
    let pb = candidates::build(
        cells,
        &BuildArgs {
            network: net,
            forecast: inputs.forecast,
            year_index: k,
            radius_factor: opts.tier_radius_factor,
            detour: opts.detour_factor,
            tickets_per_technician_day: opts.staffing.tickets_per_technician_day,
            new_sites: &opts.new_sites,
            reach: &opts.reach,
            vip_share: vip_shares(net, inputs.tickets),
        },
    )?;
    if pb.cands.is_empty() {
        return Err(Error::argument(
            "network",
            "no candidate sites (no open outlets and no new sites)",
        ));
    }
    let rules = rules(&pb, net, opts);
    let forced: Vec<bool> = rules.iter().map(|r| r.0 == SiteRule::MustKeep).collect();
    // Today's network under the same forecast and costs.
    let today: Vec<bool> = pb.cands.iter().map(|c| c.open_today).collect();
    let inst = closure_limit(instance(&pb, &forced, opts)?, &today, &forced, opts)?;
    Ok((pb, rules, forced, today, inst))
}

/// The outlet counts the auto model's frontier evaluates for these inputs, in the
/// order it solves them (descending). Plan each alone with `frontier.counts = [n]`
/// (e.g. on several workers) and join the points with
/// [`combine_points`](super::frontier::combine_points).
///
/// Errors: as [`plan_network`].
pub fn frontier_counts(inputs: &PlanInputs<'_>, opts: &PlanOptions) -> Result<Vec<usize>> {
    let k = check(inputs, opts)?;
    let (pb, _, _, today, (inst, _)) = setup(inputs, opts, k)?;
    let n_today = today.iter().filter(|o| **o).count();
    Ok(opts
        .frontier
        .counts(n_today, inst.min_count(), pb.cands.len()))
}

/// Plans the outlet network for one forecast year (see [`super::network_plan`]).
///
/// Errors: the forecast does not match the network's regions, the year is not in the
/// forecast, bad options, `p` out of range, or no candidate sites.
pub fn plan_network(inputs: &PlanInputs<'_>, opts: &PlanOptions) -> Result<NetworkPlan> {
    let k = check(inputs, opts)?;
    let (pb, rules, forced, today, (inst, limit)) = setup(inputs, opts, k)?;
    let net = inputs.network;
    let fc = inputs.forecast;
    let year = fc.years[k];
    let (_, today_assign) = inst.evaluate(&today);
    let current = evaluate(&pb, opts, &forced, today.clone(), today_assign, None)?;
    let mut coverable = [0.0; 3];
    let mut tier_demand = [0.0; 3];
    for (j, p) in pb.points.iter().enumerate() {
        tier_demand[p.tier] += p.peak;
        if pb.pairs(j).any(|(_, km)| km <= p.radius) {
            coverable[p.tier] += p.peak;
        }
    }
    for t in 0..3 {
        coverable[t] = if tier_demand[t] > 0.0 {
            coverable[t] / tier_demand[t]
        } else {
            1.0
        };
    }
    let mut category_skills: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for s in &fc.skills {
        category_skills
            .entry(s.category.clone())
            .or_default()
            .push(s.to_string());
    }
    let ctx = Ctx {
        inputs,
        opts,
        pb: &pb,
        rules: &rules,
        current: &current,
        year,
        category_skills,
        coverable,
    };
    let mut current_fig = figures(&current);
    let mut resized_fig = figures(&current);
    if !inputs.tickets.is_empty() {
        let s = replay(net.clone(), inputs.tickets)?;
        current_fig.set_replay(&s);
        let today_sized = assemble(&ctx, &current, None, 0.0);
        let s = replay(planned_network(&today_sized, net, opts)?, inputs.tickets)?;
        resized_fig.set_replay(&s);
    }
    let started = Instant::now();
    let n_today = today.iter().filter(|o| **o).count();
    let mut plan = match opts.model {
        PlanModel::PMedian { p } => {
            let sol = solve_count(&inst, p, Some(&today), None, &cold(opts))?;
            let open = flags(&sol, pb.cands.len());
            let budget = prune_budget(limit, &today, &open);
            let e = evaluate(&pb, opts, &forced, open, sol.assignment.clone(), budget)?;
            let mut plan = assemble(&ctx, &e, Some(&sol), started.elapsed().as_secs_f64());
            replay_plan(&ctx, &mut plan)?;
            plan
        }
        PlanModel::Cover => {
            let start = greedy_cover(&pb, &forced);
            let p = start
                .iter()
                .filter(|o| **o)
                .count()
                .max(inst.min_count())
                .max(1);
            let sol = solve_count(&inst, p, Some(&start), None, &cold(opts))?;
            let open = flags(&sol, pb.cands.len());
            let budget = prune_budget(limit, &today, &open);
            let e = evaluate(&pb, opts, &forced, open, sol.assignment.clone(), budget)?;
            let mut plan = assemble(&ctx, &e, Some(&sol), started.elapsed().as_secs_f64());
            replay_plan(&ctx, &mut plan)?;
            plan
        }
        PlanModel::Auto => {
            let counts = opts
                .frontier
                .counts(n_today, inst.min_count(), pb.cands.len());
            if counts.is_empty() {
                return Err(Error::argument(
                    "frontier",
                    "no outlet count to evaluate (check frontier.min / max / counts)",
                ));
            }
            let mut start = today.clone();
            let mut mult: Option<Vec<f64>> = None;
            let mut rows = Vec::new();
            let mut plans = Vec::new();
            for (step, &n) in counts.iter().enumerate() {
                crate::solver::progress::report_stage(|| {
                    format!("{n} outlets ({} of {})", step + 1, counts.len())
                });
                let solve = match mult {
                    Some(_) => opts.solve.clone(),
                    None => cold(opts),
                };
                let sol = solve_count(&inst, n, Some(&start), mult.as_deref(), &solve)?;
                start = flags(&sol, pb.cands.len());
                mult = Some(sol.multipliers.clone());
                let budget = prune_budget(limit, &today, &start);
                let e = evaluate(
                    &pb,
                    opts,
                    &forced,
                    start.clone(),
                    sol.assignment.clone(),
                    budget,
                )?;
                let mut plan = assemble(&ctx, &e, Some(&sol), started.elapsed().as_secs_f64());
                replay_plan(&ctx, &mut plan)?;
                let targets = opts.service_target;
                let has_replay = !inputs.tickets.is_empty();
                rows.push(FrontierRow {
                    n_outlets: n,
                    open: e.n_open(),
                    kept: e.kept,
                    new: e.new,
                    closed: e.closed,
                    technicians: e.technicians,
                    annual_cost: e.cost(),
                    fixed_cost: e.fixed,
                    technician_cost: e.tech_cost,
                    travel_cost: e.travel,
                    open_close_cost: e.open_close,
                    served_share: e.served_share(),
                    served_by_tier: [e.tier_share(0), e.tier_share(1), e.tier_share(2)],
                    mean_response_hours: e.mean_resp,
                    p95_response_hours: e.p95_resp,
                    gap: sol.gap,
                    replay_sla_met_share: has_replay.then_some(plan.replay.sla_met_share),
                    replay_mean_km: has_replay.then_some(plan.replay.mean_km),
                    replay_unassigned: has_replay.then_some(plan.replay.unassigned),
                    meets_targets: (0..3).all(|t| e.tier_share(t) >= targets[t] - 1e-12),
                    efficient: false,
                });
                plans.push(plan);
            }
            mark_efficient(&mut rows);
            let rec = recommend(
                &rows,
                opts.service_target,
                coverable,
                opts.replay_guard,
                opts.frontier.cost_tolerance,
                &current_fig,
            );
            let pick = rec
                .as_ref()
                .and_then(|r| rows.iter().position(|x| x.n_outlets == r.n_outlets))
                .unwrap_or(0);
            let mut plan = plans.swap_remove(pick);
            plan.totals.solve_seconds = started.elapsed().as_secs_f64();
            plan.recommended_outlets = rec.as_ref().map(|r| r.n_outlets);
            plan.recommendation = rec;
            plan.frontier = rows;
            plan
        }
    };
    plan.current = current_fig;
    plan.resized = resized_fig;
    Ok(plan)
}

/// Solve options without a warm start: three times the bound steps (the sample's first
/// count needs about 600 to close its gap below 0.1%; warm-started counts need far fewer).
fn cold(opts: &PlanOptions) -> SparseOptions {
    SparseOptions {
        bound_iterations: opts.solve.bound_iterations.saturating_mul(3),
        ..opts.solve.clone()
    }
}

fn flags(sol: &SparseResult, m: usize) -> Vec<bool> {
    let mut v = vec![false; m];
    for &i in &sol.open {
        v[i] = true;
    }
    v
}
