//! Outlet plans: which outlets to keep, close or open, and how large, from a
//! [`Forecast`] and the current [`Network`].
//!
//! **Demand points** are the regions: each region's peak-day tickets (all skills) of
//! the planning year at its representative point. **Candidate sites** are the existing
//! outlets (not `closed`) and, with [`PlanOptions::new_sites`], one new site at each
//! region point without an outlet nearby (within 1 km). Each existing outlet gets a
//! [`SiteRule`]:
//!
//! - `MustKeep`: regional centres (dispatch priority >= [`PlanOptions::must_keep_priority`]),
//!   and, when [`PlanOptions::close_below_satisfaction`] is set, every outlet whose
//!   satisfaction (Bayesian average over its skills) is at or above it;
//! - `MayClose`: the others (only low-satisfaction ones when the threshold is set).
//!
//! Distances are road km = great-circle km x `detour_factor`, as in dispatch. A region's
//! **commitment radius** is its `max_travel_km` x the tier's `tier_radius_factor`.
//!
//! **Models** ([`PlanModel`]), all through [`super::location`]:
//!
//! - `Cover`: fewest sites so every coverable region is within its radius;
//! - `MaxCover { p }`: `p` sites (must-keep included) covering the most peak-day demand;
//! - `PMedian { p }`: `p` sites (must-keep included), least demand-weighted road km;
//! - `Cflp`: least annual cost = fixed costs + size modules + travel (annual tickets x
//!   road km x cost per km), with capacity in modules of technicians.
//!
//! Must-keep sites are handled exactly for the first three: points the kept sites
//! already cover are taken out (cover) or zero-weighted (max cover), and p-median
//! distances become `min(d_ij, distance to the nearest kept site)`, so the solver
//! chooses only the free sites. For CFLP kept sites cost nothing to open in the model
//! (their fixed cost is added afterwards, and they are kept even when unused).
//! Instances up to [`PlanOptions::exact_limit`] sites x points go to the MIP (HiGHS,
//! with the time limit), larger ones to the heuristics; gap and bound are reported.
//!
//! **Sizing.** Each open site's technicians are the larger of (a) the utilisation
//! rule `ceil(peak-day tickets / (tickets per technician-day x utilisation target))`
//! ([`super::staffing::technicians_for_utilisation`]), at least 1; and (b) with a
//! [`ResponseTarget`], the Erlang C staffing
//! ([`super::staffing::servers_for_service_level`]) that answers `service_level` of
//! the tickets within the tightest wait budget among the regions it serves, where a
//! region's budget is `max_response_hours - travel hours` and arrivals are spread over
//! the working hours (the queue runs on the working-hours clock). Modules are
//! technicians rounded up to whole modules. Placing and sizing interact, so with a
//! response target the plan iterates: locate, size; for `Cflp`, a site whose Erlang
//! staffing exceeds what its capacity model assumed is de-rated (its module capacity
//! scaled by assumed / needed) and the model is solved again, up to
//! `ResponseTarget::iterations` times. A region is **covered** when the site serving it
//! is within its radius and, with a response target, the site's staffing answers
//! `service_level` of tickets within the region's budget.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::forecast::Forecast;
use super::location::{
    cflp::{cflp_heuristic, cflp_mip, Sourcing},
    covering::{
        max_coverage_greedy, max_coverage_mip, set_covering_greedy, set_covering_mip, CoverCost,
    },
    pmedian::{pmedian_heuristic, pmedian_mip},
    Assignment, CostBasis, CostMatrix, LocationInstance, LocationResult, Method, Site, SizeModule,
    SolveOptions, SolveStatus,
};
use super::staffing;
use crate::geo::haversine_km;
use crate::model::{Network, OutletStatus, Tier};
use crate::{Error, Result};

/// Which location model places the outlets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanModel {
    /// Set covering: fewest sites within every region's commitment radius.
    Cover,
    /// Maximal coverage with `p` sites in total.
    MaxCover {
        /// Sites to open, must-keep sites included.
        p: usize,
    },
    /// p-median with `p` sites in total.
    PMedian {
        /// Sites to open, must-keep sites included.
        p: usize,
    },
    /// Capacitated facility location with size modules (multi-source).
    Cflp,
}

impl PlanModel {
    /// `cover`, `maxcover`, `pmedian` or `cflp`.
    pub fn as_str(self) -> &'static str {
        match self {
            PlanModel::Cover => "cover",
            PlanModel::MaxCover { .. } => "maxcover",
            PlanModel::PMedian { .. } => "pmedian",
            PlanModel::Cflp => "cflp",
        }
    }

    /// Parses a model name; `p` is required for `maxcover` and `pmedian`.
    pub fn parse(name: &str, p: Option<usize>) -> Result<Self> {
        let need_p =
            || p.ok_or_else(|| Error::argument("p", format!("model '{name}' needs --p N")));
        match name {
            "cover" => Ok(PlanModel::Cover),
            "maxcover" => Ok(PlanModel::MaxCover { p: need_p()? }),
            "pmedian" => Ok(PlanModel::PMedian { p: need_p()? }),
            "cflp" => Ok(PlanModel::Cflp),
            _ => Err(Error::argument(
                "model",
                format!("expected cover, maxcover, pmedian or cflp, got '{name}'"),
            )),
        }
    }
}

/// Annual costs of sites and technicians (any currency, e.g. CNY per year).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SiteCosts {
    /// Running an existing outlet for a year (rent, overhead); default 200,000.
    pub keep_fixed_cost: f64,
    /// Running a new outlet for a year, opening cost amortised; default 350,000.
    pub new_fixed_cost: f64,
    /// Technicians in one size module; default 2.
    pub technicians_per_module: u32,
    /// One module for a year (its technicians' pay and tools); default 240,000.
    pub module_cost: f64,
    /// Most modules per site; default 200 (400 technicians: the sample data's forecast
    /// needs about 1.2 M tickets on the peak day from about 1,500 sites).
    pub max_modules: u32,
    /// Travel cost per ticket and road km; default 2.
    pub travel_cost_per_km: f64,
}

impl Default for SiteCosts {
    fn default() -> Self {
        SiteCosts {
            keep_fixed_cost: 200_000.0,
            new_fixed_cost: 350_000.0,
            technicians_per_module: 2,
            module_cost: 240_000.0,
            max_modules: 200,
            travel_cost_per_km: 2.0,
        }
    }
}

/// How much one technician does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StaffingRule {
    /// Tickets one technician closes in a working day, travel included; default 6
    /// (the sample data's `daily_cap` = technicians x 6).
    pub tickets_per_technician_day: f64,
    /// Working hours per day; default 8.
    pub working_hours: f64,
    /// Planned utilisation at the peak day, (0, 1]; default 0.85.
    pub utilisation_target: f64,
}

impl Default for StaffingRule {
    fn default() -> Self {
        StaffingRule {
            tickets_per_technician_day: 6.0,
            working_hours: 8.0,
            utilisation_target: 0.85,
        }
    }
}

impl StaffingRule {
    /// Hours per ticket: working hours / tickets per technician-day.
    pub fn handling_hours(&self) -> f64 {
        self.working_hours / self.tickets_per_technician_day
    }

    /// Peak-day tickets one technician carries at the utilisation target.
    pub fn effective_capacity(&self) -> f64 {
        self.tickets_per_technician_day * self.utilisation_target
    }
}

/// A response-time commitment: travel + wait for a technician within the region's
/// `max_response_hours`, for `service_level` of the tickets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ResponseTarget {
    /// Share of tickets that must meet the commitment, (0, 1); default 0.8.
    pub service_level: f64,
    /// Locate-and-size rounds for `Cflp`; default 3.
    pub iterations: u32,
}

impl Default for ResponseTarget {
    fn default() -> Self {
        ResponseTarget {
            service_level: 0.8,
            iterations: 3,
        }
    }
}

/// Options of [`plan_network`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PlanOptions {
    /// The forecast year to plan for; `None`: the forecast's first year.
    pub year: Option<i32>,
    /// The location model; default `Cover`.
    pub model: PlanModel,
    /// Site and technician costs.
    pub costs: SiteCosts,
    /// Technician productivity.
    pub staffing: StaffingRule,
    /// Existing outlets with at least this dispatch priority must be kept; default 90.
    pub must_keep_priority: u8,
    /// If set, existing outlets with satisfaction at or above it must be kept and only
    /// those below may close; if `None` (default) every outlet but the centres may close.
    pub close_below_satisfaction: Option<f64>,
    /// Add a candidate site at every region point with no outlet within 1 km; default true.
    pub new_sites: bool,
    /// Multiplies `max_travel_km` of tier A, B, C regions; default 1, 1, 1.
    pub tier_radius_factor: [f64; 3],
    /// Road km per great-circle km; default 1.3 (as the dispatch policy).
    pub detour_factor: f64,
    /// Travel speed for response times, km/h; default 40 (as the dispatch policy).
    pub speed_kmh: f64,
    /// Optional response-time commitment (travel + Erlang C wait).
    pub response: Option<ResponseTarget>,
    /// Solver options (time limit, seed...).
    pub solve: SolveOptions,
    /// Largest sites x points solved by MIP; larger instances use heuristics.
    /// Default 60,000.
    pub exact_limit: usize,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            year: None,
            model: PlanModel::Cover,
            costs: SiteCosts::default(),
            staffing: StaffingRule::default(),
            must_keep_priority: 90,
            close_below_satisfaction: None,
            new_sites: true,
            tier_radius_factor: [1.0; 3],
            detour_factor: 1.3,
            speed_kmh: 40.0,
            response: None,
            solve: SolveOptions {
                time_limit: 30.0,
                ..SolveOptions::default()
            },
            exact_limit: 60_000,
        }
    }
}

/// What a plan may do with a candidate site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SiteRule {
    /// An existing outlet that stays open.
    MustKeep,
    /// An existing outlet the plan may close.
    MayClose,
    /// A new site the plan may open.
    New,
}

/// The plan's decision for a site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Existing outlet kept.
    Keep,
    /// Existing outlet closed.
    Close,
    /// New outlet opened.
    Open,
}

impl Decision {
    /// `keep`, `close` or `open`.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Keep => "keep",
            Decision::Close => "close",
            Decision::Open => "open",
        }
    }
}

/// One site of a plan (existing outlets, and new sites that open).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SitePlan {
    /// Outlet id, or `NEW-<region code>` for a new site.
    pub site_id: String,
    /// Display name.
    pub name: String,
    /// Longitude.
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
    /// Code of the nearest region point.
    pub region: String,
    /// Tier of that region.
    pub tier: Tier,
    /// What the plan was allowed to do.
    pub rule: SiteRule,
    /// What the plan does.
    pub decision: Decision,
    /// Size modules built (0 when closed).
    pub modules: u32,
    /// Technicians (0 when closed).
    pub technicians: u32,
    /// Peak-day tickets the site can carry at the utilisation target.
    pub capacity: f64,
    /// Peak-day tickets assigned.
    pub assigned_demand: f64,
    /// Assigned / (technicians x tickets per technician-day).
    pub utilisation: f64,
    /// Peak-day tickets assigned that are within their commitment.
    pub covered_demand: f64,
    /// Regions served (any share).
    pub regions_served: usize,
    /// Annual fixed + module cost of the site (0 when closed).
    pub cost: f64,
}

/// How one region is served.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegionPlan {
    /// Region code.
    pub region: String,
    /// Tier.
    pub tier: Tier,
    /// Peak-day tickets.
    pub peak_day: f64,
    /// Annual tickets.
    pub annual: f64,
    /// Serving sites (index into `NetworkPlan::sites`) and shares, summing to 1, or
    /// empty when not served.
    pub served_by: Vec<(usize, f64)>,
    /// Road km to the (first) serving site.
    pub distance_km: f64,
    /// Commitment radius (road km).
    pub radius_km: f64,
    /// Share of the region's demand within its commitment, 0..1.
    pub covered: f64,
}

/// Per-tier totals.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TierTotals {
    /// Regions in the tier.
    pub regions: usize,
    /// Open outlets whose nearest region is in the tier.
    pub outlets: usize,
    /// Peak-day demand.
    pub demand: f64,
    /// Peak-day demand within commitment.
    pub covered: f64,
}

/// Headline figures of a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanTotals {
    /// The model.
    pub model: PlanModel,
    /// The year planned for.
    pub year: i32,
    /// Open outlets (kept + new).
    pub open: usize,
    /// Existing outlets kept.
    pub kept: usize,
    /// Existing outlets closed.
    pub closed: usize,
    /// New outlets opened.
    pub new: usize,
    /// Technicians over all open outlets.
    pub technicians: u32,
    /// Annual fixed costs of open sites.
    pub fixed_cost: f64,
    /// Annual module (technician) costs.
    pub module_cost: f64,
    /// Annual travel costs.
    pub travel_cost: f64,
    /// Sum of the three costs.
    pub cost: f64,
    /// Peak-day demand, all regions.
    pub demand: f64,
    /// Share of peak-day demand within its commitment, 0..1.
    pub covered_share: f64,
    /// Per tier.
    pub by_tier: BTreeMap<Tier, TierTotals>,
    /// Solver status of the (last) location solve.
    pub status: SolveStatus,
    /// Algorithm.
    pub method: Method,
    /// Relative gap of the location solve to its bound.
    pub gap: f64,
    /// Seconds spent in location solves.
    pub solve_seconds: f64,
    /// Locate-and-size rounds done.
    pub rounds: u32,
}

/// An outlet plan: per site, per region, and totals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkPlan {
    /// Existing outlets (kept or closed) and opened new sites.
    pub sites: Vec<SitePlan>,
    /// One row per region, in the network's order.
    pub regions: Vec<RegionPlan>,
    /// Totals.
    pub totals: PlanTotals,
    /// Skills demanded per region in the planning year, aligned with `regions`
    /// (used to give outlets their skills in simulation).
    pub region_skills: Vec<Vec<(String, f64)>>,
}

/// Satisfaction of an outlet over all its skills (Bayesian average, 1..5).
fn outlet_satisfaction(net: &Network, o: usize) -> f64 {
    let outlet = &net.outlets()[o];
    let (sum, count) = outlet.skills.iter().fold((0.0, 0.0), |(s, c), k| {
        (s + k.rating_sum, c + f64::from(k.rating_count))
    });
    let prior = crate::model::DEFAULT_PRIOR_WEIGHT;
    (sum + prior * net.mean_rating()) / (count + prior)
}

struct Candidate {
    id: String,
    name: String,
    lon: f64,
    lat: f64,
    rule: SiteRule,
    fixed: f64,
}

/// The planning problem in plain arrays: candidates, demand points, road km.
struct Problem {
    cands: Vec<Candidate>,
    peak: Vec<f64>,
    annual: Vec<f64>,
    radius: Vec<f64>,
    hours: Vec<f64>,
    km: Vec<f64>, // cands x points, row-major
    n: usize,
}

impl Problem {
    fn km(&self, i: usize, j: usize) -> f64 {
        self.km[i * self.n + j]
    }
}

fn build_problem(net: &Network, fc: &Forecast, k: usize, opts: &PlanOptions) -> Problem {
    let regions = net.regions();
    let n = regions.len();
    let peak: Vec<f64> = (0..n)
        .map(|r| (0..fc.skills.len()).map(|s| fc.peak_day[[r, s, k]]).sum())
        .collect();
    let annual: Vec<f64> = (0..n)
        .map(|r| (0..fc.skills.len()).map(|s| fc.tickets[[r, s, k]]).sum())
        .collect();
    let tier_f = |t: Tier| opts.tier_radius_factor[t as usize];
    let radius: Vec<f64> = regions
        .iter()
        .map(|r| r.max_travel_km * tier_f(r.tier))
        .collect();
    let hours: Vec<f64> = regions.iter().map(|r| r.max_response_hours).collect();
    let mut cands = Vec::new();
    for (o, outlet) in net.outlets().iter().enumerate() {
        if outlet.status == OutletStatus::Closed {
            continue;
        }
        let must = outlet.priority >= opts.must_keep_priority
            || opts
                .close_below_satisfaction
                .is_some_and(|t| outlet_satisfaction(net, o) >= t);
        cands.push(Candidate {
            id: outlet.id.clone(),
            name: outlet.name.clone(),
            lon: outlet.lon,
            lat: outlet.lat,
            rule: if must {
                SiteRule::MustKeep
            } else {
                SiteRule::MayClose
            },
            fixed: opts.costs.keep_fixed_cost,
        });
    }
    if opts.new_sites {
        for r in regions {
            let near = cands
                .iter()
                .any(|c| haversine_km(c.lon, c.lat, r.lon, r.lat) <= 1.0);
            if !near {
                cands.push(Candidate {
                    id: format!("NEW-{}", r.code),
                    name: format!("{} new outlet", r.name),
                    lon: r.lon,
                    lat: r.lat,
                    rule: SiteRule::New,
                    fixed: opts.costs.new_fixed_cost,
                });
            }
        }
    }
    let mut km = Vec::with_capacity(cands.len() * n);
    for c in &cands {
        for r in regions {
            km.push(haversine_km(c.lon, c.lat, r.lon, r.lat) * opts.detour_factor);
        }
    }
    Problem {
        cands,
        peak,
        annual,
        radius,
        hours,
        km,
        n,
    }
}

/// Open sites (candidate indices, ascending) and per point `(site, share)` lists.
struct Located {
    open: Vec<usize>,
    serve: Vec<Vec<(usize, f64)>>,
    result: LocationResult,
}

fn nearest_open(pb: &Problem, open: &[usize], j: usize) -> Vec<(usize, f64)> {
    open.iter()
        .copied()
        .min_by(|&a, &b| pb.km(a, j).total_cmp(&pb.km(b, j)).then(a.cmp(&b)))
        .map(|i| vec![(i, 1.0)])
        .unwrap_or_default()
}

fn instance(
    sites: &[usize],
    points: &[usize],
    site: impl Fn(usize) -> Site,
    entry: impl Fn(usize, usize) -> f64,
    demand: impl Fn(usize) -> f64,
    basis: CostBasis,
) -> Result<LocationInstance> {
    let mut data = Vec::with_capacity(sites.len() * points.len());
    for &i in sites {
        for &j in points {
            data.push(entry(i, j));
        }
    }
    LocationInstance::new(
        sites.iter().map(|&i| site(i)).collect(),
        points.iter().map(|&j| demand(j)).collect(),
        CostMatrix::new(sites.len(), points.len(), data)?,
        basis,
    )
}

fn empty_result(method: Method) -> LocationResult {
    LocationResult {
        open: Vec::new(),
        modules: Vec::new(),
        assignment: Assignment::Single(Vec::new()),
        objective: 0.0,
        lower_bound: 0.0,
        gap: 0.0,
        status: SolveStatus::Optimal,
        method,
        seconds: 0.0,
    }
}

fn check_p(p: usize, forced: usize, free: usize) -> Result<usize> {
    if p < forced.max(1) || p - forced > free {
        return Err(Error::argument(
            "p",
            format!(
                "expected {}..={} sites ({forced} must be kept, {free} optional), got {p}",
                forced.max(1),
                forced + free
            ),
        ));
    }
    Ok(p - forced)
}

/// Locates with the chosen model; `derate[i]` scales site `i`'s module capacity (CFLP).
fn locate(pb: &Problem, opts: &PlanOptions, derate: &[f64]) -> Result<Located> {
    let m = pb.cands.len();
    let forced: Vec<usize> = (0..m)
        .filter(|&i| pb.cands[i].rule == SiteRule::MustKeep)
        .collect();
    let free: Vec<usize> = (0..m)
        .filter(|&i| pb.cands[i].rule != SiteRule::MustKeep)
        .collect();
    let all_points: Vec<usize> = (0..pb.n).collect();
    let exact = |sites: usize, points: usize| sites * points <= opts.exact_limit;
    let covered_by_forced = |j: usize| forced.iter().any(|&i| pb.km(i, j) <= pb.radius[j]);
    let uncap = |_: usize| Site::uncapacitated(0.0);
    let (mut open, result) = match opts.model {
        PlanModel::Cover => {
            // Points no forced site covers and some free site can.
            let points: Vec<usize> = all_points
                .iter()
                .copied()
                .filter(|&j| {
                    !covered_by_forced(j) && free.iter().any(|&i| pb.km(i, j) <= pb.radius[j])
                })
                .collect();
            if points.is_empty() || free.is_empty() {
                (Vec::new(), empty_result(Method::Greedy))
            } else {
                let inst = instance(
                    &free,
                    &points,
                    uncap,
                    |i, j| pb.km(i, j),
                    |j| pb.peak[j],
                    CostBasis::PerUnit,
                )?;
                let radius: Vec<f64> = points.iter().map(|&j| pb.radius[j]).collect();
                let r = if exact(free.len(), points.len()) {
                    set_covering_mip(&inst, &radius, CoverCost::Count, &opts.solve)?
                } else {
                    set_covering_greedy(&inst, &radius, CoverCost::Count)?
                };
                (r.open.iter().map(|&k| free[k]).collect(), r)
            }
        }
        PlanModel::MaxCover { p } => {
            let p_free = check_p(p, forced.len(), free.len())?;
            if p_free == 0 {
                (Vec::new(), empty_result(Method::Greedy))
            } else {
                let inst = instance(
                    &free,
                    &all_points,
                    uncap,
                    |i, j| pb.km(i, j),
                    |j| {
                        if covered_by_forced(j) {
                            0.0
                        } else {
                            pb.peak[j]
                        }
                    },
                    CostBasis::PerUnit,
                )?;
                let r = if exact(free.len(), pb.n) {
                    max_coverage_mip(&inst, &pb.radius, p_free, &opts.solve)?
                } else {
                    max_coverage_greedy(&inst, &pb.radius, p_free)?
                };
                (r.open.iter().map(|&k| free[k]).collect(), r)
            }
        }
        PlanModel::PMedian { p } => {
            let p_free = check_p(p, forced.len(), free.len())?;
            if p_free == 0 {
                (Vec::new(), empty_result(Method::Greedy))
            } else {
                let kept: Vec<f64> = all_points
                    .iter()
                    .map(|&j| {
                        forced
                            .iter()
                            .map(|&i| pb.km(i, j))
                            .fold(f64::INFINITY, f64::min)
                    })
                    .collect();
                let inst = instance(
                    &free,
                    &all_points,
                    uncap,
                    |i, j| pb.km(i, j).min(kept[j]),
                    |j| pb.peak[j],
                    CostBasis::PerUnit,
                )?;
                let r = if exact(free.len(), pb.n) {
                    pmedian_mip(&inst, p_free, &opts.solve)?
                } else {
                    pmedian_heuristic(&inst, p_free, &opts.solve)?
                };
                (r.open.iter().map(|&k| free[k]).collect(), r)
            }
        }
        PlanModel::Cflp => {
            let c = &opts.costs;
            let per_module =
                f64::from(c.technicians_per_module) * opts.staffing.effective_capacity();
            let sites: Vec<usize> = (0..m).collect();
            let inst = instance(
                &sites,
                &all_points,
                |i| Site {
                    fixed_cost: if pb.cands[i].rule == SiteRule::MustKeep {
                        0.0
                    } else {
                        pb.cands[i].fixed
                    },
                    capacity: 0.0,
                    modules: vec![SizeModule {
                        capacity: per_module * derate[i],
                        cost: c.module_cost,
                        max_count: c.max_modules,
                    }],
                },
                |i, j| pb.annual[j] * pb.km(i, j) * c.travel_cost_per_km,
                |j| pb.peak[j],
                CostBasis::Total,
            )?;
            let r = if exact(m, pb.n) {
                cflp_mip(&inst, Sourcing::Multi, &opts.solve)?
            } else {
                cflp_heuristic(&inst, Sourcing::Multi, &opts.solve)?
            };
            let serve = match &r.assignment {
                Assignment::Split(v) => v.clone(),
                Assignment::Single(v) => v
                    .iter()
                    .map(|o| o.map(|i| vec![(i, 1.0)]).unwrap_or_default())
                    .collect(),
            };
            let mut open: BTreeSet<usize> = r.open.iter().copied().collect();
            open.extend(forced.iter().copied());
            return Ok(Located {
                open: open.into_iter().collect(),
                serve,
                result: r,
            });
        }
    };
    open.extend(forced.iter().copied());
    open.sort_unstable();
    open.dedup();
    let serve = (0..pb.n).map(|j| nearest_open(pb, &open, j)).collect();
    Ok(Located {
        open,
        serve,
        result,
    })
}

/// Per open site: technicians needed and whether each served point meets its response
/// budget (travel + wait), given the staffing.
struct Sized {
    techs: Vec<u32>,
    /// Technicians the capacity model assumed (utilisation rule), for de-rating.
    util_techs: Vec<u32>,
    /// Per point, aligned with its serving sites: within commitment or not.
    ok: Vec<Vec<bool>>,
}

fn size_sites(pb: &Problem, opts: &PlanOptions, loc: &Located) -> Result<Sized> {
    let m = pb.cands.len();
    let st = &opts.staffing;
    let mut load = vec![0.0; m];
    let mut budget = vec![f64::INFINITY; m];
    for (j, serve) in loc.serve.iter().enumerate() {
        for &(i, share) in serve {
            load[i] += share * pb.peak[j];
            if share > 0.0 && pb.peak[j] > 0.0 {
                let travel = pb.km(i, j) / opts.speed_kmh;
                let b = pb.hours[j] - travel;
                if b > 0.0 {
                    budget[i] = budget[i].min(b);
                }
            }
        }
    }
    let mut techs = vec![0u32; m];
    let mut util_techs = vec![0u32; m];
    let mu = 1.0 / st.handling_hours();
    for &i in &loc.open {
        let u = staffing::technicians_for_utilisation(
            load[i],
            st.handling_hours(),
            st.working_hours,
            st.utilisation_target,
        )?
        .max(1);
        util_techs[i] = u;
        techs[i] = u;
        if let (Some(rt), true) = (&opts.response, load[i] > 0.0 && budget[i].is_finite()) {
            let lambda = load[i] / st.working_hours;
            let e = staffing::servers_for_service_level(lambda, mu, rt.service_level, budget[i])?;
            techs[i] = techs[i].max(e);
        }
    }
    let ok = loc
        .serve
        .iter()
        .enumerate()
        .map(|(j, serve)| {
            serve
                .iter()
                .map(|&(i, _)| {
                    if pb.km(i, j) > pb.radius[j] {
                        return false;
                    }
                    match &opts.response {
                        None => true,
                        Some(rt) => {
                            let wait = pb.hours[j] - pb.km(i, j) / opts.speed_kmh;
                            if wait < 0.0 {
                                return false;
                            }
                            if load[i] <= 0.0 {
                                return true;
                            }
                            staffing::service_level(load[i] / st.working_hours, mu, techs[i], wait)
                                .is_ok_and(|sl| sl >= rt.service_level - 1e-12)
                        }
                    }
                })
                .collect()
        })
        .collect();
    Ok(Sized {
        techs,
        util_techs,
        ok,
    })
}

/// Plans the outlet network for one forecast year: locate with the chosen model, size
/// every open site, report per site, per region and totals (see the module docs for
/// the method). `forecast` must be made for `network`'s regions.
///
/// Errors: the forecast does not match the network's regions, the year is not in the
/// forecast, `p` out of range, bad options, or a solver failure.
pub fn plan_network(
    network: &Network,
    forecast: &Forecast,
    opts: &PlanOptions,
) -> Result<NetworkPlan> {
    opts.check_bounds()?;
    let codes: Vec<&str> = network.regions().iter().map(|r| r.code.as_str()).collect();
    if forecast
        .regions
        .iter()
        .map(String::as_str)
        .ne(codes.iter().copied())
    {
        return Err(Error::argument(
            "forecast",
            "the forecast was made for other regions than the network's",
        ));
    }
    let year = opts
        .year
        .unwrap_or_else(|| forecast.years.first().copied().unwrap_or(0));
    let k = forecast.year_index(year).ok_or_else(|| {
        Error::argument(
            "year",
            format!("{year} is not a forecast year ({:?})", forecast.years),
        )
    })?;
    if opts
        .tier_radius_factor
        .iter()
        .any(|f| !(f.is_finite() && *f > 0.0))
    {
        return Err(Error::argument(
            "tier_radius_factor",
            "expected three numbers > 0",
        ));
    }
    if !(opts.detour_factor >= 1.0 && opts.speed_kmh > 0.0) {
        return Err(Error::argument(
            "detour_factor",
            "expected detour_factor >= 1 and speed_kmh > 0",
        ));
    }
    let st = &opts.staffing;
    if !(st.tickets_per_technician_day > 0.0
        && st.working_hours > 0.0
        && st.utilisation_target > 0.0
        && st.utilisation_target <= 1.0)
        || opts.costs.technicians_per_module == 0
    {
        return Err(Error::argument(
            "staffing",
            "expected tickets per technician-day > 0, working hours > 0, utilisation in (0, 1] and >= 1 technician per module",
        ));
    }
    let pb = build_problem(network, forecast, k, opts);
    if pb.cands.is_empty() {
        return Err(Error::argument(
            "network",
            "no candidate sites (no open outlets and no new sites)",
        ));
    }
    let mut derate = vec![1.0; pb.cands.len()];
    let rounds_max = opts.response.as_ref().map_or(1, |r| r.iterations.max(1));
    let mut solve_seconds = 0.0;
    let mut rounds = 0;
    let (loc, sized) = loop {
        rounds += 1;
        let loc = locate(&pb, opts, &derate)?;
        solve_seconds += loc.result.seconds;
        let sized = size_sites(&pb, opts, &loc)?;
        let mut changed = false;
        if opts.model == PlanModel::Cflp && opts.response.is_some() {
            for &i in &loc.open {
                if sized.techs[i] > sized.util_techs[i] {
                    derate[i] *= f64::from(sized.util_techs[i]) / f64::from(sized.techs[i]);
                    changed = true;
                }
            }
        }
        if !changed || rounds >= rounds_max {
            break (loc, sized);
        }
    };
    Ok(assemble(
        network,
        forecast,
        k,
        year,
        opts,
        &pb,
        &loc,
        &sized,
        rounds,
        solve_seconds,
    ))
}

#[allow(clippy::too_many_arguments)]
fn assemble(
    network: &Network,
    fc: &Forecast,
    k: usize,
    year: i32,
    opts: &PlanOptions,
    pb: &Problem,
    loc: &Located,
    sized: &Sized,
    rounds: u32,
    solve_seconds: f64,
) -> NetworkPlan {
    let c = &opts.costs;
    let st = &opts.staffing;
    let regions = network.regions();
    let is_open: Vec<bool> = {
        let mut v = vec![false; pb.cands.len()];
        for &i in &loc.open {
            v[i] = true;
        }
        v
    };
    // Listed sites: every existing candidate, and the new sites that open.
    let listed: Vec<usize> = (0..pb.cands.len())
        .filter(|&i| pb.cands[i].rule != SiteRule::New || is_open[i])
        .collect();
    let mut pos = vec![usize::MAX; pb.cands.len()];
    for (p, &i) in listed.iter().enumerate() {
        pos[i] = p;
    }
    let mut sites: Vec<SitePlan> = listed
        .iter()
        .map(|&i| {
            let cand = &pb.cands[i];
            let nearest = (0..pb.n)
                .min_by(|&a, &b| pb.km(i, a).total_cmp(&pb.km(i, b)))
                .unwrap_or(0);
            let open = is_open[i];
            let techs = if open { sized.techs[i] } else { 0 };
            let modules = techs.div_ceil(c.technicians_per_module);
            SitePlan {
                site_id: cand.id.clone(),
                name: cand.name.clone(),
                lon: cand.lon,
                lat: cand.lat,
                region: regions
                    .get(nearest)
                    .map(|r| r.code.clone())
                    .unwrap_or_default(),
                tier: regions.get(nearest).map_or(Tier::C, |r| r.tier),
                rule: cand.rule,
                decision: match (cand.rule, open) {
                    (SiteRule::New, _) => Decision::Open,
                    (_, true) => Decision::Keep,
                    (_, false) => Decision::Close,
                },
                modules,
                technicians: techs,
                capacity: f64::from(techs) * st.effective_capacity(),
                assigned_demand: 0.0,
                utilisation: 0.0,
                covered_demand: 0.0,
                regions_served: 0,
                cost: if open {
                    cand.fixed + f64::from(modules) * c.module_cost
                } else {
                    0.0
                },
            }
        })
        .collect();
    let mut travel_cost = 0.0;
    let mut by_tier: BTreeMap<Tier, TierTotals> = BTreeMap::new();
    let mut region_plans = Vec::with_capacity(pb.n);
    let mut region_skills = Vec::with_capacity(pb.n);
    for (j, r) in regions.iter().enumerate() {
        let serve = &loc.serve[j];
        let mut covered = 0.0;
        for (&(i, share), &ok) in serve.iter().zip(&sized.ok[j]) {
            travel_cost += share * pb.annual[j] * pb.km(i, j) * c.travel_cost_per_km;
            if ok {
                covered += share;
            }
            if let Some(s) = sites.get_mut(pos[i]) {
                s.assigned_demand += share * pb.peak[j];
                s.regions_served += 1;
                if ok {
                    s.covered_demand += share * pb.peak[j];
                }
            }
        }
        let covered = covered.min(1.0);
        let t = by_tier.entry(r.tier).or_default();
        t.regions += 1;
        t.demand += pb.peak[j];
        t.covered += pb.peak[j] * covered;
        region_plans.push(RegionPlan {
            region: r.code.clone(),
            tier: r.tier,
            peak_day: pb.peak[j],
            annual: pb.annual[j],
            served_by: serve.iter().map(|&(i, s)| (pos[i], s)).collect(),
            distance_km: serve.first().map_or(f64::INFINITY, |&(i, _)| pb.km(i, j)),
            radius_km: pb.radius[j],
            covered,
        });
        region_skills.push(
            fc.skills
                .iter()
                .enumerate()
                .filter(|(s, _)| fc.peak_day[[j, *s, k]] > 0.0)
                .map(|(s, sk)| (sk.to_string(), fc.peak_day[[j, s, k]]))
                .collect(),
        );
    }
    let (mut kept, mut closed, mut new, mut techs) = (0, 0, 0, 0u32);
    let (mut fixed_cost, mut module_cost) = (0.0, 0.0);
    for (s, &i) in sites.iter_mut().zip(&listed) {
        let per_tech = st.tickets_per_technician_day * f64::from(s.technicians);
        s.utilisation = if per_tech > 0.0 {
            s.assigned_demand / per_tech
        } else {
            0.0
        };
        match s.decision {
            Decision::Keep => kept += 1,
            Decision::Close => closed += 1,
            Decision::Open => new += 1,
        }
        if is_open[i] {
            techs += s.technicians;
            fixed_cost += pb.cands[i].fixed;
            module_cost += f64::from(s.modules) * c.module_cost;
            by_tier.entry(s.tier).or_default().outlets += 1;
        }
    }
    let demand: f64 = pb.peak.iter().sum();
    let covered: f64 = by_tier.values().map(|t| t.covered).sum();
    NetworkPlan {
        sites,
        regions: region_plans,
        totals: PlanTotals {
            model: opts.model,
            year,
            open: kept + new,
            kept,
            closed,
            new,
            technicians: techs,
            fixed_cost,
            module_cost,
            travel_cost,
            cost: fixed_cost + module_cost + travel_cost,
            demand,
            covered_share: if demand > 0.0 { covered / demand } else { 1.0 },
            by_tier,
            status: loc.result.status,
            method: loc.result.method,
            gap: loc.result.gap,
            solve_seconds,
            rounds,
        },
        region_skills,
    }
}

impl NetworkPlan {
    /// The plan's sites as CSV text: one row per site with its decision and size.
    pub fn sites_csv(&self) -> crate::Result<String> {
        crate::io::table_csv_string(self)
    }
}

impl std::fmt::Display for PlanTotals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "plan ({}, {}): {} outlets open ({} kept, {} new), {} closed, {} technicians",
            self.model.as_str(),
            self.year,
            self.open,
            self.kept,
            self.new,
            self.closed,
            self.technicians
        )?;
        writeln!(
            f,
            "annual cost:    {:.1} M = fixed {:.1} M + technicians {:.1} M + travel {:.1} M",
            self.cost / 1e6,
            self.fixed_cost / 1e6,
            self.module_cost / 1e6,
            self.travel_cost / 1e6
        )?;
        writeln!(
            f,
            "covered:        {:.1}% of {:.0} peak-day tickets within the tier commitment",
            100.0 * self.covered_share,
            self.demand
        )?;
        writeln!(f, "tier  regions  outlets  peak-day demand  covered")?;
        for (t, v) in &self.by_tier {
            writeln!(
                f,
                "{:>4}  {:>7}  {:>7}  {:>15.0}  {:>6.1}%",
                t.as_str(),
                v.regions,
                v.outlets,
                v.demand,
                if v.demand > 0.0 {
                    100.0 * v.covered / v.demand
                } else {
                    100.0
                }
            )?;
        }
        writeln!(
            f,
            "solver:         {:?} by {:?}, gap {:.3}%, {:.2} s, {} round(s)",
            self.status,
            self.method,
            100.0 * self.gap,
            self.solve_seconds,
            self.rounds
        )
    }
}

impl PlanOptions {
    /// Checks the numeric options before any work: every cost finite in `0..=1e12`
    /// (a negative cost would make a plan look cheaper than free), at least one
    /// technician per module, and a solver time limit that is a number of seconds >= 0.
    pub fn check_bounds(&self) -> Result<()> {
        let c = &self.costs;
        for (name, v) in [
            ("costs.keep_fixed_cost", c.keep_fixed_cost),
            ("costs.new_fixed_cost", c.new_fixed_cost),
            ("costs.module_cost", c.module_cost),
            ("costs.travel_cost_per_km", c.travel_cost_per_km),
        ] {
            if !(v.is_finite() && (0.0..=1e12).contains(&v)) {
                return Err(Error::argument(
                    name,
                    format!("expected a cost in 0..=1e12, got {v}"),
                ));
            }
        }
        if c.technicians_per_module == 0 {
            return Err(Error::argument(
                "costs.technicians_per_module",
                "expected at least 1 technician per module",
            ));
        }
        let t = self.solve.time_limit;
        if t.is_nan() || t < 0.0 {
            return Err(Error::argument(
                "time_limit",
                format!("expected a number of seconds >= 0, got {t}"),
            ));
        }
        Ok(())
    }
}
