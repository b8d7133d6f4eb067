//! Outlet plans: how many outlets, where and how large, from a
//! [`Forecast`](super::forecast::Forecast), the current
//! [`Network`], the ticket history and population points.
//!
//! **Demand** sits where customers are: H3 cells below the region ([`super::demand`]),
//! one demand point per cell x product category ([`super::candidates`]). **Candidates**
//! are the existing outlets (each serves the product categories it has skills for) and
//! new sites in busy districts without an outlet; only pairs within reach are kept.
//!
//! **Costs** per year: running a site (`keep_fixed_cost`, `new_fixed_cost`),
//! technicians (size modules), vehicles (annual tickets x road km x cost per km), and the
//! one-off opening and closing costs spread over `amortisation_years`: a closure is not
//! free (per outlet and per technician it has today). A technician's time per ticket is
//! the hours on site plus the round trip ([`StaffingRule::ticket_hours`]), so a site
//! whose customers are far away needs more technicians for the same tickets: that, not
//! only the vehicle km, is what consolidation costs. The location model minimises fixed
//! costs + vehicle km + technician hours on the road (costed at a technician's annual
//! cost per peak-day hour) + a `missed_commitment_cost` per ticket served beyond its
//! commitment radius, plus opening and closing costs, with exactly `n` sites open
//! ([`super::location::sparse`]: swap local search and a Lagrangian bound), then caps
//! every site at `max_technicians` (overflow goes to the next open site with room) and
//! sizes it ([`super::staffing`]) for its peak-day hours. `max_closures` bounds how
//! many of today's outlets a plan may close.
//!
//! **Models** ([`PlanModel`]): `Auto` (the default) computes a cost-service
//! [frontier](super::frontier) over a range of outlet counts and plans the count it
//! recommends; `PMedian { p }` plans exactly `p` outlets; `Cover` opens, greedily, sites
//! until every point that a candidate can reach within its commitment radius is
//! covered, then improves that count with the same local search.
//!
//! **Must keep**: existing outlets with dispatch priority >= `must_keep_priority`
//! (regional centres) and, when `close_below_satisfaction` is set, those rated at or
//! above it. They are the only sites kept without demand, and the plan says why.
//!
//! Every plan is **replayed** ([`super::replay`]): the folder's real tickets dispatched
//! against the planned network at full capacity, next to the same tickets on today's
//! network.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::demand::DemandOptions;
use super::frontier::{FrontierOptions, FrontierRow, Recommendation};
use super::location::sparse::SparseOptions;
use super::location::SolveStatus;
use super::replay::NetworkFigures;
use crate::model::{Network, Tier};
use crate::{Error, Result};

pub use super::candidates::{NewSites, Reach as ReachOptions};
pub use super::plan_build::{frontier_counts, plan_network, PlanInputs};

/// Which location model places the outlets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanModel {
    /// A frontier over outlet counts; plan the recommended count.
    Auto,
    /// Exactly `p` outlets, least cost.
    PMedian {
        /// Outlets to open, must-keep ones included.
        p: usize,
    },
    /// Fewest outlets covering every coverable point, then least cost at that count.
    Cover,
}

impl PlanModel {
    /// `auto`, `pmedian` or `cover`.
    pub fn as_str(self) -> &'static str {
        match self {
            PlanModel::Auto => "auto",
            PlanModel::PMedian { .. } => "pmedian",
            PlanModel::Cover => "cover",
        }
    }

    /// Parses a model name (`None`: `auto`, or `pmedian` when `p` is given).
    pub fn parse(name: Option<&str>, p: Option<usize>) -> Result<Self> {
        match (name, p) {
            (None | Some("auto"), None) => Ok(PlanModel::Auto),
            (None | Some("auto") | Some("pmedian"), Some(p)) => Ok(PlanModel::PMedian { p }),
            (Some("pmedian"), None) => Err(Error::argument(
                "p",
                "model 'pmedian' needs --p N (or leave out --model: the frontier recommends a count)",
            )),
            (Some("cover"), _) => Ok(PlanModel::Cover),
            (Some(m @ ("maxcover" | "cflp")), _) => Err(Error::argument(
                "model",
                format!(
                    "'{m}' solves region points only (servnet_core::plan::location); plans run on demand cells: use auto, pmedian or cover"
                ),
            )),
            (Some(other), _) => Err(Error::argument(
                "model",
                format!("expected auto, pmedian or cover, got '{other}'"),
            )),
        }
    }
}

/// Annual costs of sites and technicians (any currency; the defaults are CNY a year,
/// explained in `docs/planning.md`).
///
/// The defaults describe the sample's network: service points of 1-25 technicians
/// (most 2-5), whose premises (a shopfront with a parts store and a front desk, 80,000
/// a year) cost less than one technician (120,000 a year with social insurance, van and
/// tools). Closing an outlet costs one year of its running cost (premises and today's
/// technicians), spread over the 5-year plan horizon. With technician time per ticket
/// including the round trip ([`StaffingRule::onsite_hours`]), a closure pays only where
/// the premises and the idle technician hours it saves exceed the longer trips.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SiteCosts {
    /// Running an existing outlet's premises for a year (rent, utilities, front desk;
    /// not its technicians); default 80,000.
    pub keep_fixed_cost: f64,
    /// Running a new outlet's premises for a year (a new lease at market rent); default
    /// 90,000.
    pub new_fixed_cost: f64,
    /// One-off cost of opening a site (fit-out, tools and parts stock, hiring and
    /// training); default 300,000.
    pub open_cost: f64,
    /// One-off cost of closing an outlet open today, per outlet (lease exit, fit-out
    /// written off, the local partner lost); default 80,000 (a year of its premises).
    pub close_cost: f64,
    /// One-off cost of closing an outlet open today, per technician it has today
    /// (severance for those who leave; relocation, recruiting and training where the
    /// tickets go); default 120,000 (a year of a technician). With `close_cost`, closing
    /// costs a year of the outlet's running cost: 320,000 for 2 technicians.
    pub close_cost_per_technician: f64,
    /// Years over which opening and closing costs are spread (the plan horizon);
    /// default 5.
    pub amortisation_years: f64,
    /// Technicians in one size module; default 1.
    pub technicians_per_module: u32,
    /// One module for a year (its technicians' pay, social insurance, van and tools);
    /// default 120,000.
    pub module_cost: f64,
    /// Most technicians at one site; default 30 (a site of 30 closes about 150 tickets
    /// a day: past that its vans cross the whole city and a network opens a second
    /// site; the sample's largest outlet today has 25).
    pub max_technicians: u32,
    /// Vehicle cost per ticket and road km between site and customer (the round trip's
    /// fuel and wear, 2 x 1 per km driven); default 2. The technician's time on the road
    /// is costed through the technicians it takes.
    pub travel_cost_per_km: f64,
    /// Cost the location model charges per ticket served beyond its commitment radius
    /// (compensation, lost goodwill); default 50. Not part of the annual cost.
    pub missed_commitment_cost: f64,
}

impl Default for SiteCosts {
    fn default() -> Self {
        SiteCosts {
            keep_fixed_cost: 80_000.0,
            new_fixed_cost: 90_000.0,
            open_cost: 300_000.0,
            close_cost: 80_000.0,
            close_cost_per_technician: 120_000.0,
            amortisation_years: 5.0,
            technicians_per_module: 1,
            module_cost: 120_000.0,
            max_technicians: 30,
            travel_cost_per_km: 2.0,
            missed_commitment_cost: 50.0,
        }
    }
}

impl SiteCosts {
    /// Opening cost per year of amortisation.
    pub fn open_per_year(&self) -> f64 {
        self.open_cost / self.amortisation_years
    }

    /// One-off cost of closing an outlet with `technicians_today` technicians.
    pub fn closing_cost(&self, technicians_today: f64) -> f64 {
        self.close_cost + self.close_cost_per_technician * technicians_today.max(0.0)
    }

    /// Closing cost per year of amortisation.
    pub fn close_per_year(&self, technicians_today: f64) -> f64 {
        self.closing_cost(technicians_today) / self.amortisation_years
    }

    /// Annual cost of `techs` technicians in whole modules.
    pub fn technician_cost(&self, techs: u32) -> f64 {
        f64::from(techs.div_ceil(self.technicians_per_module.max(1))) * self.module_cost
    }

    /// Annual cost of one technician (a module's cost over its technicians).
    pub fn per_technician(&self) -> f64 {
        self.module_cost / f64::from(self.technicians_per_module.max(1))
    }
}

/// How much one technician does: hours at the customer plus the round trip.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StaffingRule {
    /// How today's technicians are counted: technicians = `daily_cap` / this; default
    /// 6 (the sample data's convention, `daily_cap` = technicians x 6).
    pub tickets_per_technician_day: f64,
    /// Hours at the customer per ticket (diagnosis, repair or installation, paperwork),
    /// travel excluded; default 0.9. A ticket takes these plus the round trip, 2 x road
    /// km / `speed_kmh`: at 5 km from the site (6.5 road km each way, 0.43 h at 30 km/h)
    /// a technician closes 6 tickets in 8 hours, as `tickets_per_technician_day` says.
    pub onsite_hours: f64,
    /// Working hours per day; default 8.
    pub working_hours: f64,
    /// Planned utilisation at the peak day, (0, 1]; default 0.85.
    pub utilisation_target: f64,
}

impl Default for StaffingRule {
    fn default() -> Self {
        StaffingRule {
            tickets_per_technician_day: 6.0,
            onsite_hours: 0.9,
            working_hours: 8.0,
            utilisation_target: 0.85,
        }
    }
}

impl StaffingRule {
    /// Technician hours one ticket takes at `road_km` from its site: on site plus the
    /// round trip at `speed_kmh`.
    pub fn ticket_hours(&self, road_km: f64, speed_kmh: f64) -> f64 {
        self.onsite_hours + 2.0 * road_km / speed_kmh
    }

    /// Peak-day technician hours one technician gives at the utilisation target.
    pub fn hours_per_technician(&self) -> f64 {
        self.working_hours * self.utilisation_target
    }
}

/// A response-time commitment: travel + wait for a technician within the region's
/// `max_response_hours`, for `service_level` of the tickets (Erlang C sizing).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ResponseTarget {
    /// Share of tickets that must meet the commitment, (0, 1); default 0.8.
    pub service_level: f64,
}

impl Default for ResponseTarget {
    fn default() -> Self {
        ResponseTarget { service_level: 0.8 }
    }
}

/// Options of [`plan_network`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PlanOptions {
    /// The forecast year to plan for; `None`: the forecast's first year.
    pub year: Option<i32>,
    /// The location model; default `Auto` (frontier and recommendation).
    pub model: PlanModel,
    /// Site and technician costs.
    pub costs: SiteCosts,
    /// Technician productivity.
    pub staffing: StaffingRule,
    /// Existing outlets with at least this dispatch priority must be kept; default 90.
    pub must_keep_priority: u8,
    /// If set, existing outlets with satisfaction at or above it must be kept too.
    pub close_below_satisfaction: Option<f64>,
    /// Where new sites may open.
    pub new_sites: NewSites,
    /// Multiplies `max_travel_km` of tier A, B, C regions; default 1, 1, 1.
    pub tier_radius_factor: [f64; 3],
    /// Road km per great-circle km; default 1.3 (as the dispatch policy).
    pub detour_factor: f64,
    /// Door-to-door speed of a technician's van, km/h, for travel hours (technician
    /// time and response times); default 30 (a city's traffic, parking and the walk
    /// up; the dispatch policy's 40 is a reachability limit, not an average).
    pub speed_kmh: f64,
    /// Optional Erlang C sizing for a response-time service level.
    pub response: Option<ResponseTarget>,
    /// Demand cells (H3 resolution, ticket history vs population).
    pub demand: DemandOptions,
    /// Which site x point pairs are kept.
    pub reach: ReachOptions,
    /// Share of each tier's (A, B, C) peak-day demand that must be served within its
    /// commitment; default 0.95 each.
    pub service_target: [f64; 3],
    /// The outlet counts of the frontier.
    pub frontier: FrontierOptions,
    /// Recommend only counts whose replay meets SLA at least as often as today's network
    /// with mean distance at most this share above today's; default 0.05 (`None`: no
    /// replay guard).
    pub replay_guard: Option<f64>,
    /// Local search and bound options (default: 20 s of local search and at most 300
    /// bound steps per count; a solve without a warm start, the first count of a
    /// frontier or a single count, gets three times the bound steps).
    pub solve: SparseOptions,
    /// Close at most this many of today's open outlets (must-keep ones never close);
    /// `None`: no limit. With `max_closure_share`, the smaller limit holds.
    pub max_closures: Option<usize>,
    /// Close at most this share of today's open outlets, [0, 1]; `None`: no limit.
    pub max_closure_share: Option<f64>,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            year: None,
            model: PlanModel::Auto,
            costs: SiteCosts::default(),
            staffing: StaffingRule::default(),
            must_keep_priority: 90,
            close_below_satisfaction: None,
            new_sites: NewSites::default(),
            tier_radius_factor: [1.0; 3],
            detour_factor: 1.3,
            speed_kmh: 30.0,
            response: None,
            demand: DemandOptions::default(),
            reach: ReachOptions::default(),
            service_target: [0.95; 3],
            frontier: FrontierOptions::default(),
            replay_guard: Some(0.05),
            solve: SparseOptions {
                time_limit: 20.0,
                ..SparseOptions::default()
            },
            max_closures: None,
            max_closure_share: None,
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

impl SiteRule {
    /// `must_keep`, `may_close` or `new`.
    pub fn as_str(self) -> &'static str {
        match self {
            SiteRule::MustKeep => "must_keep",
            SiteRule::MayClose => "may_close",
            SiteRule::New => "new",
        }
    }
}

/// The plan's decision for a site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Existing outlet kept at today's size.
    Keep,
    /// Existing outlet kept with more technicians.
    Grow,
    /// Existing outlet kept with fewer technicians.
    Shrink,
    /// Existing outlet closed.
    Close,
    /// New outlet opened.
    Open,
}

impl Decision {
    /// `keep`, `grow`, `shrink`, `close` or `open`.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Keep => "keep",
            Decision::Grow => "grow",
            Decision::Shrink => "shrink",
            Decision::Close => "close",
            Decision::Open => "open",
        }
    }

    /// Whether the site is open in the plan.
    pub fn is_open(self) -> bool {
        self != Decision::Close
    }
}

/// One site of a plan (every existing outlet that is not closed today, and new sites
/// that open).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SitePlan {
    /// Outlet id, or `NEW-<H3 cell>` for a new site.
    pub site_id: String,
    /// Display name.
    pub name: String,
    /// Longitude.
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
    /// Code of the region the site lies in.
    pub region: String,
    /// Tier of that region.
    pub tier: Tier,
    /// What the plan was allowed to do.
    pub rule: SiteRule,
    /// What the plan does.
    pub decision: Decision,
    /// Product categories the site serves.
    pub categories: Vec<String>,
    /// Technicians today (`daily_cap / tickets per technician-day`; 0 for new sites).
    pub technicians_today: f64,
    /// Whether the outlet takes tickets today (status active or probation; false for new
    /// sites and for suspended or closed outlets). A plan's `closed` count is of the
    /// sites open today that it closes. Plans saved before this field read as open.
    #[serde(default = "open_by_default")]
    pub open_today: bool,
    /// Technicians in the plan (0 when closed).
    pub technicians: u32,
    /// Peak-day tickets the site can carry at the utilisation target (technician hours
    /// over the hours one of its tickets takes, round trip included).
    pub capacity: f64,
    /// Peak-day tickets assigned.
    pub assigned_demand: f64,
    /// Annual tickets assigned.
    pub annual_tickets: f64,
    /// Annual tickets it serves in today's network under the same forecast (0 for new
    /// sites).
    pub annual_tickets_today: f64,
    /// Peak-day tickets assigned that are within their commitment.
    pub served_demand: f64,
    /// Peak-day tickets it takes over from outlets the plan closes.
    pub takes_over: f64,
    /// The closed outlets it takes tickets over from, most first.
    pub takes_over_from: Vec<String>,
    /// For a closed outlet: the site that takes most of its tickets.
    pub goes_to: Option<String>,
    /// Peak-day technician hours assigned (on site + round trips) / technician hours.
    pub utilisation: f64,
    /// Mean road km from the site to its peak-day tickets (for a closed outlet: today's).
    pub mean_km: f64,
    /// Demand cells served.
    pub cells_served: usize,
    /// Service radius in the planned network (great-circle km).
    pub service_radius_km: f64,
    /// Annual cost: running + technicians + amortised opening or closing cost.
    pub cost: f64,
    /// Why the plan decides so.
    pub reason: String,
    /// The folder's tickets this outlet takes when replayed on today's network (0 for
    /// a new site, and before [`super::service_cost::add_service_cost`] runs).
    #[serde(default)]
    pub today_tickets: u64,
    /// Their service cost, fees + travel (fee schedule).
    #[serde(default)]
    pub today_service_cost: f64,
    /// The folder's tickets the site takes when replayed on the plan.
    #[serde(default)]
    pub replay_tickets: u64,
    /// Their fees (fee schedule; default: the outlet's `cost_per_ticket`).
    #[serde(default)]
    pub replay_fees: f64,
    /// Their travel (per road km; 0 for carry-in).
    #[serde(default)]
    pub replay_travel: f64,
    /// `replay_fees + replay_travel`.
    #[serde(default)]
    pub replay_service_cost: f64,
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
    /// Demand cells.
    pub cells: usize,
    /// Commitment radius (road km).
    pub radius_km: f64,
    /// Share of peak-day demand within commitment, 0..1.
    pub served_share: f64,
    /// Mean road km to the serving site (peak-day weighted).
    pub mean_km: f64,
}

/// One demand cell of a plan (all its product categories together).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellPlan {
    /// H3 index (hex).
    pub cell: String,
    /// Region code.
    pub region: String,
    /// Longitude of the cell centre.
    pub lon: f64,
    /// Latitude of the cell centre.
    pub lat: f64,
    /// Peak-day tickets.
    pub peak_day: f64,
    /// Share of them served within commitment.
    pub served_share: f64,
    /// The site serving most of them.
    pub site: Option<String>,
}

/// Per-tier totals.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TierTotals {
    /// Regions in the tier.
    pub regions: usize,
    /// Open outlets in the tier's regions.
    pub outlets: usize,
    /// Peak-day demand.
    pub demand: f64,
    /// Peak-day demand within commitment.
    pub served: f64,
    /// Share of peak-day demand that some candidate can reach within commitment.
    pub coverable: f64,
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
    /// Existing outlets kept (keep, grow or shrink).
    pub kept: usize,
    /// Outlets open today (active or probation) that the plan closes (suspended ones
    /// it leaves closed are not counted).
    pub closed: usize,
    /// New outlets opened.
    pub new: usize,
    /// Technicians over all open outlets.
    pub technicians: u32,
    /// Annual running costs of open sites.
    pub fixed_cost: f64,
    /// Annual technician (module) costs.
    pub technician_cost: f64,
    /// Annual travel costs.
    pub travel_cost: f64,
    /// Opening and closing costs per year of amortisation.
    pub open_close_cost: f64,
    /// Sum of the four costs.
    pub cost: f64,
    /// Peak-day demand, all regions.
    pub demand: f64,
    /// Share of peak-day demand within its commitment, 0..1.
    pub served_share: f64,
    /// Mean response hours (travel + expected wait), peak-day weighted.
    pub mean_response_hours: f64,
    /// 95th percentile response hours.
    pub p95_response_hours: f64,
    /// Per tier.
    pub by_tier: BTreeMap<Tier, TierTotals>,
    /// Solver status at the planned count.
    pub status: SolveStatus,
    /// Objective of the location model (fixed + travel + missed commitments +
    /// opening and closing).
    pub objective: f64,
    /// Its Lagrangian lower bound.
    pub lower_bound: f64,
    /// Relative gap between them.
    pub gap: f64,
    /// Seconds spent locating (all counts).
    pub solve_seconds: f64,
}

/// An outlet plan: per site, per region, totals, the frontier it was chosen from and
/// its replay against today's network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkPlan {
    /// Demand points used (cell x product category).
    pub demand_points: usize,
    /// Demand cells (H3, resolution in the options).
    pub demand_cells: usize,
    /// Candidate sites (existing outlets not closed today, and new sites).
    pub candidates: usize,
    /// Site x point pairs kept.
    pub pairs: usize,
    /// The count the frontier recommends (`None` for `pmedian` / `cover`).
    pub recommended_outlets: Option<usize>,
    /// Why that count (or what prevents a better one).
    pub recommendation: Option<Recommendation>,
    /// The cost-service frontier (empty for `pmedian` / `cover`).
    pub frontier: Vec<FrontierRow>,
    /// The plan's figures, with its replay.
    pub replay: NetworkFigures,
    /// Today's network under the same forecast and costs, with its replay (today's
    /// capacities).
    pub current: NetworkFigures,
    /// Today's open outlets sized for the forecast like the plan (technicians, every
    /// skill of the categories they serve), with their replay: the difference to
    /// `current` is what resizing gives, the difference to `replay` what moving, opening
    /// and closing outlets gives.
    #[serde(default)]
    pub resized: NetworkFigures,
    /// Existing outlets (kept or closed) and opened new sites.
    pub sites: Vec<SitePlan>,
    /// One row per region, in the network's order.
    pub regions: Vec<RegionPlan>,
    /// The demand cells, sorted by H3 index.
    pub cells: Vec<CellPlan>,
    /// Totals.
    pub totals: PlanTotals,
    /// Skills demanded per product category (what a site serving it offers).
    pub category_skills: BTreeMap<String, Vec<String>>,
    /// Peak-day demand and its coverage by service commitment (the packages sharing a
    /// radius and response time; see [`PackageCoverage`]).
    #[serde(default)]
    pub packages: Vec<PackageCoverage>,
    /// The replay's service cost by network (`today`, `plan`) x kind x tier; empty
    /// until [`super::service_cost::add_service_cost`] runs (`servnet plan` and Python
    /// `plan` run it when tickets are given).
    #[serde(default)]
    pub service_cost: Vec<super::service_cost::ServiceCostRow>,
    /// The replay by service package and network (`today`, `plan`); filled with
    /// `service_cost`.
    #[serde(default)]
    pub package_replay: Vec<super::service_cost::PackageReplayRow>,
}

/// Peak-day demand of one service commitment and how much of it is served within its
/// commitment, today and in the plan. Demand in a region is split by package: the
/// customer tier by the region's share of VIP tickets in the history, the kind by the
/// forecast's skills. An on-site package's radius is the region's x its response hours /
/// the region's (capped at 1); a carry-in package's is its `carry_in_km`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PackageCoverage {
    /// The packages sharing the commitment, `+`-joined (`none`: no package).
    pub packages: String,
    /// Peak-day demand.
    pub demand: f64,
    /// Commitment radius, road km (demand-weighted mean over regions).
    pub radius_km: f64,
    /// Response hours committed (demand-weighted mean).
    pub response_hours: f64,
    /// Share of the demand within commitment on today's network.
    pub served_today: f64,
    /// Share of the demand within commitment in the plan.
    pub served_plan: f64,
    /// Mean road km to the serving site in the plan.
    pub mean_km_plan: f64,
}

/// Satisfaction of an outlet over all its skills (Bayesian average, 1..5).
pub(crate) fn outlet_satisfaction(net: &Network, o: usize) -> f64 {
    let outlet = &net.outlets()[o];
    let (sum, count) = outlet.skills.iter().fold((0.0, 0.0), |(s, c), k| {
        (s + k.rating_sum, c + f64::from(k.rating_count))
    });
    let prior = crate::model::DEFAULT_PRIOR_WEIGHT;
    (sum + prior * net.mean_rating()) / (count + prior)
}

impl NetworkPlan {
    /// The plan's sites as CSV text: one row per site with its decision, size, demand,
    /// the tickets it takes over, cost and reason (the table of `servnet plan --out`,
    /// through [`crate::io`]'s writer).
    pub fn sites_csv(&self) -> Result<String> {
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
            "annual cost:    {:.1} M = running {:.1} M + technicians {:.1} M + travel {:.1} M + opening/closing {:.1} M",
            self.cost / 1e6,
            self.fixed_cost / 1e6,
            self.technician_cost / 1e6,
            self.travel_cost / 1e6,
            self.open_close_cost / 1e6
        )?;
        writeln!(
            f,
            "served:         {:.1}% of {:.0} peak-day tickets within the tier commitment; response mean {:.2} h, p95 {:.2} h",
            100.0 * self.served_share,
            self.demand,
            self.mean_response_hours,
            self.p95_response_hours
        )?;
        writeln!(
            f,
            "tier  regions  outlets  peak-day demand  served  coverable"
        )?;
        for (t, v) in &self.by_tier {
            let pct = |x: f64| {
                if v.demand > 0.0 {
                    100.0 * x / v.demand
                } else {
                    100.0
                }
            };
            writeln!(
                f,
                "{:>4}  {:>7}  {:>7}  {:>15.0}  {:>5.1}%  {:>8.1}%",
                t.as_str(),
                v.regions,
                v.outlets,
                v.demand,
                pct(v.served),
                pct(v.coverable)
            )?;
        }
        writeln!(
            f,
            "solver:         {:?}, objective {:.1} M, bound {:.1} M, gap {:.3}%, {:.2} s",
            self.status,
            self.objective / 1e6,
            self.lower_bound / 1e6,
            100.0 * self.gap,
            self.solve_seconds
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
            ("costs.open_cost", c.open_cost),
            ("costs.close_cost", c.close_cost),
            (
                "costs.close_cost_per_technician",
                c.close_cost_per_technician,
            ),
            ("costs.module_cost", c.module_cost),
            ("costs.travel_cost_per_km", c.travel_cost_per_km),
            ("costs.missed_commitment_cost", c.missed_commitment_cost),
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

fn open_by_default() -> bool {
    true
}
