//! Joint re-assignment of a backlog of tickets: [`assign`].
//!
//! 1. **Eligibility** comes from the dispatcher's hard rules (skill, status, area,
//!    travel limit, SLA days, room left in the ledger); each eligible (outlet skill,
//!    day) is an arc whose cost is the dispatch score (x1000, rounded), plus lateness
//!    for days past the SLA when allowed, plus the caller's move cost for tickets
//!    already promised elsewhere. Leaving a ticket out costs a penalty by priority.
//! 2. **Buckets** are offer x day (skill capacity); **groups** are outlet x day (the
//!    outlet-wide cap). A group *can bind* when its room is below both its buckets'
//!    room and the units that could reach it.
//! 3. **Components**: tickets linked by shared buckets (and by groups that can bind) are
//!    independent problems, solved in parallel with rayon.
//! 4. **Per component**: unit tickets are a network flow, solved exactly: the
//!    transport solver when no group can bind, else the three-layer flow
//!    ([`super::mcf`]). Tickets of several units make it a GAP: the heuristic solves
//!    the flow relaxation (a valid LP bound), fixes every ticket it does not split and
//!    repairs the rest greedily, then improves by shifts; the MIP (HiGHS, sparse, time
//!    limit) proves or closes the gap where it can.
//!
//! 5. **Side rows**: region quotas ([`RegionQuota`], units per day over a set of
//!    outlets and regions) and the policy's emergency reserve (a bucket or group that an
//!    emergency can reach gets its full room; a row keeps the other tickets within
//!    `floor(cap * (1 - reserve))`, as dispatch does) are capacities over arcs that
//!    cross buckets, so a component with one that can bind is no longer a pure flow:
//!    the MIP carries them as rows; the heuristic prices them into the flow's costs
//!    (subgradient on their multipliers, a Lagrangian bound) and its repair respects
//!    them. Tickets on one such row are in one component.
//! 6. **Gap tolerance**: under auto and mip, the heuristic answers first; if the plan's
//!    gap is within [`AssignOptions::gap_tolerance`] no MIP runs; otherwise the
//!    components with the largest gaps get a MIP, warm-started with the heuristic's
//!    plan, stopping at half the tolerance.
//!
//! Ties break by index (tickets in backlog order, arcs by outlet then day), so the
//! same input gives the same plan.

use std::collections::BTreeMap;
use std::time::Instant;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::flow::{solve_transport, TransportProblem};
use super::mcf::{solve_layered, LayeredProblem, LayeredSolution};
use crate::dispatch::{dispatch_in_arrival_order, Dispatcher, Outcome, Policy, Rule};
use crate::model::{Network, Priority, Ticket};
use crate::{Error, Result};

/// Integer cost units per score point.
pub const COST_SCALE: f64 = 1000.0;

/// Components with at most this many arcs get a MIP pass under [`Method::Auto`] when
/// the heuristic leaves a gap.
pub const AUTO_MIP_ARCS: usize = 20_000;

/// Default [`AssignOptions::gap_tolerance`]: 0.05%. On the sample day (20,000
/// tickets) that is about 600 score points, less than the penalty of one normal ticket
/// left out and far below the error of the inputs (road km from a detour factor,
/// satisfaction from averages); proving the last 0.03% cost 10x the time.
pub const DEFAULT_GAP_TOLERANCE: f64 = 5e-4;

/// Which algorithm solves each component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Flow for unit tickets without side rows; otherwise the heuristic, then the MIP on
    /// small components while the plan's gap exceeds the tolerance.
    Auto,
    /// Exact min-cost flow (unit tickets); components with multi-unit tickets or a
    /// binding quota / reserve row use the heuristic (the flow relaxation plus repair).
    Flow,
    /// Binary program through HiGHS with the time limit (heuristic if no solution).
    Mip,
    /// Flow relaxation + repair + shifts, with the LP bound.
    Heuristic,
}

impl Method {
    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Auto => "auto",
            Method::Flow => "flow",
            Method::Mip => "mip",
            Method::Heuristic => "heuristic",
        }
    }
}

impl std::str::FromStr for Method {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "auto" => Ok(Method::Auto),
            "flow" => Ok(Method::Flow),
            "mip" => Ok(Method::Mip),
            "heuristic" => Ok(Method::Heuristic),
            _ => Err(Error::argument(
                "method",
                format!("expected auto, flow, mip or heuristic, got '{s}'"),
            )),
        }
    }
}

/// How a plan's solve ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanStatus {
    /// Proven optimal: objective equals the lower bound.
    Optimal,
    /// Feasible with a known gap (heuristic finished, or the MIP stopped early).
    Feasible,
    /// A time limit stopped a solver; the plan is the best found (never worse than the
    /// heuristic's).
    TimeLimit,
}

/// Options of [`assign`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AssignOptions {
    /// Algorithm choice.
    pub method: Method,
    /// Wall-clock limit in seconds for MIP solves (0: no MIP is run).
    pub time_limit: f64,
    /// Penalty (score points) for leaving a ticket unassigned, by priority: emergency,
    /// high, normal, low.
    pub unassigned_penalty: [f64; 4],
    /// Days past the SLA a ticket may be planned on (0: SLA days only).
    pub late_days: u32,
    /// Score points per day past the SLA.
    pub lateness_per_day: f64,
    /// Tickets already promised: ticket id -> outlet id.
    pub current: BTreeMap<String, String>,
    /// Score points charged for moving a promised ticket to another outlet.
    pub move_cost: f64,
    /// Region quotas: caps on the units a set of outlets may take from a set of regions
    /// per day. Quotas that can bind couple the components they touch.
    pub quotas: Vec<RegionQuota>,
    /// Relative gap at which a component's plan is good enough: [`Method::Auto`] and
    /// [`Method::Mip`] skip the MIP when the heuristic's gap is within it, and stop
    /// the MIP once its gap is (0: prove optimality wherever the time limit allows).
    pub gap_tolerance: f64,
}

/// A cap on the ticket units that some outlets may take from some regions on one day.
///
/// Regions carry a service commitment (tier, response hours, travel limit); a quota
/// keeps an outlet's capacity for the regions it is committed to, e.g. a tier-A city
/// outlet takes at most 20 units a day from the surrounding tier-C regions, or a
/// partner contracted for a region is sent at most so many units a day from it. Like
/// every capacity in the model, it counts ticket units per day, and it applies to each
/// day of the plan separately; the outlets listed share it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionQuota {
    /// Name used in unassigned reasons (`quota:<id>`), unique among the quotas.
    pub id: String,
    /// Region codes whose tickets count toward the quota (at least one).
    pub regions: Vec<String>,
    /// Outlet ids sharing the quota; empty means every outlet.
    #[serde(default)]
    pub outlets: Vec<String>,
    /// Ticket units per day the outlets together may take from the regions.
    pub max_units: u32,
}

impl Default for AssignOptions {
    fn default() -> Self {
        AssignOptions {
            method: Method::Auto,
            time_limit: 10.0,
            unassigned_penalty: [10_000.0, 3_000.0, 1_000.0, 500.0],
            late_days: 0,
            lateness_per_day: 50.0,
            current: BTreeMap::new(),
            move_cost: 20.0,
            quotas: Vec::new(),
            gap_tolerance: DEFAULT_GAP_TOLERANCE,
        }
    }
}

impl AssignOptions {
    fn validate(&self) -> Result<()> {
        let ok = |v: f64| v.is_finite() && v >= 0.0;
        if self.time_limit.is_nan() || self.time_limit < 0.0 {
            return Err(Error::argument("time_limit", "expected >= 0 seconds"));
        }
        if !self.unassigned_penalty.iter().all(|&v| ok(v) && v < 1e9) {
            return Err(Error::argument(
                "unassigned_penalty",
                "expected finite penalties in [0, 1e9)",
            ));
        }
        if !(ok(self.lateness_per_day) && self.lateness_per_day < 1e9) {
            return Err(Error::argument("lateness_per_day", "expected in [0, 1e9)"));
        }
        if !(ok(self.move_cost) && self.move_cost < 1e9) {
            return Err(Error::argument("move_cost", "expected in [0, 1e9)"));
        }
        if !(ok(self.gap_tolerance) && self.gap_tolerance < 1.0) {
            return Err(Error::argument(
                "gap_tolerance",
                format!("expected a share in [0, 1), got {}", self.gap_tolerance),
            ));
        }
        Ok(())
    }

    /// Region and outlet indices of each quota, checked against the network.
    fn resolve_quotas(&self, n: &Network) -> Result<Vec<QuotaScope>> {
        let mut ids = std::collections::BTreeSet::new();
        self.quotas
            .iter()
            .enumerate()
            .map(|(i, q)| {
                let field = |f: &str| format!("quotas[{i}].{f}");
                if q.id.is_empty() || !ids.insert(q.id.as_str()) {
                    return Err(Error::argument(
                        &field("id"),
                        format!("quota id '{}' is empty or appears twice", q.id),
                    ));
                }
                if q.regions.is_empty() {
                    return Err(Error::argument(
                        &field("regions"),
                        format!("quota '{}' lists no region", q.id),
                    ));
                }
                let mut regions = vec![false; n.regions().len()];
                for code in &q.regions {
                    let r = n.region_index(code).ok_or_else(|| {
                        Error::argument(
                            &field("regions"),
                            format!("quota '{}': unknown region '{code}'", q.id),
                        )
                    })?;
                    regions[r] = true;
                }
                let outlets = if q.outlets.is_empty() {
                    None
                } else {
                    let mut v = vec![false; n.outlets().len()];
                    for id in &q.outlets {
                        let o = n.outlet_index(id).ok_or_else(|| {
                            Error::argument(
                                &field("outlets"),
                                format!("quota '{}': unknown outlet '{id}'", q.id),
                            )
                        })?;
                        v[o] = true;
                    }
                    Some(v)
                };
                Ok((regions, outlets))
            })
            .collect()
    }

    fn penalty(&self, p: Priority) -> f64 {
        let i = Priority::ALL.iter().position(|&q| q == p).unwrap_or(2);
        self.unassigned_penalty[i]
    }
}

/// A quota's regions (by index) and outlets (by index; `None`: all).
type QuotaScope = (Vec<bool>, Option<Vec<bool>>);

/// Per key: demand (units) and the (ticket, arc position) pairs of a side row.
type SideRows<K> = BTreeMap<K, (u64, Vec<(u32, u32)>)>;

/// One ticket's place in the plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedAssignment {
    /// Ticket id.
    pub ticket_id: String,
    /// Outlet id.
    pub outlet_id: String,
    /// Day from the ledger's start.
    pub day: u32,
    /// Units the ticket takes.
    pub units: u32,
    /// Dispatch score at the planned outlet and day (lower is better).
    pub score: f64,
    /// Road km.
    pub distance_km: f64,
    /// Days past the SLA (0 = within it).
    pub late_days: u32,
    /// The outlet it was promised to, if the plan moves it.
    pub moved_from: Option<String>,
    /// For a move: best score at the old outlet minus the new score (what pays for
    /// the move cost). `None` when the old outlet is no longer eligible.
    pub move_gain: Option<f64>,
}

/// Why a ticket is not in the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnassignedReason {
    /// No outlet passes the hard rules; the rule that stopped the most promising ones.
    Ineligible(Rule),
    /// Its eligible capacity went to tickets where it did more good (or every option
    /// costs more than its penalty).
    Capacity,
    /// This region quota (by id) is what kept it out: an eligible outlet had room, but
    /// the quota was used up (or is smaller than the ticket).
    Quota(String),
}

impl UnassignedReason {
    /// The snake_case name of the kind of reason (`quota` for any quota).
    pub fn as_str(&self) -> &'static str {
        match self {
            UnassignedReason::Ineligible(r) => r.as_str(),
            UnassignedReason::Capacity => "capacity",
            UnassignedReason::Quota(_) => "quota",
        }
    }
}

impl std::fmt::Display for UnassignedReason {
    /// The text used in files: the rule or `capacity`, or `quota:<id>`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UnassignedReason::Quota(id) => write!(f, "quota:{id}"),
            r => f.write_str(r.as_str()),
        }
    }
}

/// The answer of [`assign`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssignmentPlan {
    /// Planned tickets, in backlog order.
    pub assignments: Vec<PlannedAssignment>,
    /// Tickets left out, in backlog order.
    pub unassigned: Vec<(String, UnassignedReason)>,
    /// Total cost: scores + lateness + move costs + penalties (score points).
    pub objective: f64,
    /// A proven lower bound on the objective (score points).
    pub lower_bound: f64,
    /// `(objective - lower_bound) / max(1, |objective|)`.
    pub gap: f64,
    /// The most general method any component needed (flow < heuristic < mip).
    pub method: Method,
    /// How the solve ended (the worst over components).
    pub status: PlanStatus,
    /// Independent components solved.
    pub components: usize,
    /// Wall-clock seconds, eligibility included.
    pub seconds: f64,
}

impl AssignmentPlan {
    /// Mean road km of the planned tickets (0 when none).
    pub fn mean_distance_km(&self) -> f64 {
        let n = self.assignments.len();
        if n == 0 {
            return 0.0;
        }
        self.assignments.iter().map(|a| a.distance_km).sum::<f64>() / n as f64
    }
}

/// One arc of the global problem.
#[derive(Clone, Copy)]
struct Arc {
    bucket: u32,
    cost: i64,
    /// Score-only cost (no lateness, no move cost), for move gains.
    score_cost: i64,
    e: crate::dispatch::EligibleArc,
}

/// The backlog turned into a capacitated assignment problem.
struct Problem {
    /// Per ticket: its arcs (by outlet, then day) or why it has none.
    arcs: Vec<std::result::Result<Vec<Arc>, Rule>>,
    units: Vec<u32>,
    penalty: Vec<i64>,
    bucket_cap: Vec<u32>,
    bucket_group: Vec<u32>,
    group_cap: Vec<u32>,
    group_binds: Vec<bool>,
    /// Capacities on sets of arcs that are neither a bucket nor a group (only those
    /// that can bind): emergency reserves and region quotas.
    sides: Vec<Side>,
    /// Per ticket: the first quota that removed one of its arcs (quota below its units).
    quota_removed: Vec<Option<usize>>,
}

/// A side constraint: at most `cap` units over a set of arcs.
struct Side {
    cap: u32,
    /// (ticket, position in the ticket's arc list), in ticket order.
    arcs: Vec<(u32, u32)>,
    /// The quota it comes from; `None`: the share of a bucket or group that
    /// non-emergency tickets may use (the policy's emergency reserve).
    quota: Option<usize>,
}

fn to_cost(score: f64) -> i64 {
    (score * COST_SCALE).round() as i64
}

fn build(d: &Dispatcher, backlog: &[Ticket], o: &AssignOptions) -> Result<Problem> {
    let mut seen = std::collections::BTreeSet::new();
    for t in backlog {
        if !seen.insert(t.id.as_str()) {
            return Err(Error::argument(
                "backlog",
                format!("ticket id '{}' appears twice", t.id),
            ));
        }
    }
    if let Some(first) = backlog.iter().map(|t| t.created_at.date()).min() {
        d.init_start(first);
    }
    let current: Vec<Option<u32>> = backlog
        .iter()
        .map(|t| {
            o.current.get(&t.id).map(|id| {
                d.network()
                    .outlet_index(id)
                    .map(|i| i as u32)
                    .ok_or_else(|| Error::Unknown {
                        kind: "outlet",
                        id: id.clone(),
                    })
            })
        })
        .map(Option::transpose)
        .collect::<Result<_>>()?;
    let net = d.network();
    let quotas = o.resolve_quotas(net)?;
    let mut eligible = backlog
        .par_iter()
        .map(|t| d.eligible(t, o.late_days))
        .collect::<Result<Vec<_>>>()?;
    let region: Vec<Option<usize>> = backlog
        .iter()
        .map(|t| net.region_index(&t.region))
        .collect();
    let covers = |q: usize, t: usize, outlet: u32| -> bool {
        let (rs, os) = &quotas[q];
        region[t].is_some_and(|r| rs[r]) && os.as_ref().is_none_or(|v| v[outlet as usize])
    };
    // A quota smaller than the ticket closes the arcs it covers.
    let mut quota_removed: Vec<Option<usize>> = vec![None; backlog.len()];
    for (t, e) in eligible.iter_mut().enumerate() {
        let (Ok(list), Some(removed)) = (e, quota_removed.get_mut(t)) else {
            continue;
        };
        let u = backlog[t].units;
        list.retain(|a| {
            let q =
                (0..quotas.len()).find(|&q| covers(q, t, a.outlet) && o.quotas[q].max_units < u);
            if let Some(q) = q {
                removed.get_or_insert(q);
            }
            q.is_none()
        });
    }
    let mut buckets: BTreeMap<(u32, u32), u32> = BTreeMap::new();
    for arcs in eligible.iter().flatten().flatten() {
        let n = buckets.len() as u32;
        buckets.entry((arcs.offer, arcs.day)).or_insert(n);
    }
    // Number buckets in (offer, day) order, groups in (outlet, day) order.
    let keys: Vec<(u32, u32)> = buckets.keys().copied().collect();
    for (i, k) in keys.iter().enumerate() {
        buckets.insert(*k, i as u32);
    }
    let mut offer_outlet: BTreeMap<u32, u32> = BTreeMap::new();
    for a in eligible.iter().flatten().flatten() {
        offer_outlet.insert(a.offer, a.outlet);
    }
    let mut groups: BTreeMap<(u32, u32), u32> = BTreeMap::new();
    for &(offer, day) in &keys {
        groups.insert((offer_outlet.get(&offer).copied().unwrap_or(0), day), 0);
    }
    let gkeys: Vec<(u32, u32)> = groups.keys().copied().collect();
    for (i, k) in gkeys.iter().enumerate() {
        groups.insert(*k, i as u32);
    }
    // Emergencies may use the policy's reserve: a bucket (group) any emergency can
    // reach gets its full room, and a side row keeps the others within their share.
    let reserve = d.policy().emergency_reserve > 0.0;
    let mut em_bucket = vec![false; keys.len()];
    if reserve {
        for (t, e) in eligible.iter().enumerate() {
            if backlog[t].priority != Priority::Emergency {
                continue;
            }
            for a in e.iter().flatten() {
                if let Some(&b) = buckets.get(&(a.offer, a.day)) {
                    em_bucket[b as usize] = true;
                }
            }
        }
    }
    let full_offer_room = |k: u32, day: u32| d.offer_room_for(k, day, true);
    let full_outlet_room = |oi: u32, day: u32| d.outlet_room_for(oi, day, true);
    let normal_bucket: Vec<u32> = keys.iter().map(|&(k, day)| d.offer_room(k, day)).collect();
    let bucket_cap: Vec<u32> = keys
        .iter()
        .enumerate()
        .map(|(b, &(k, day))| {
            if em_bucket[b] {
                full_offer_room(k, day)
            } else {
                normal_bucket[b]
            }
        })
        .collect();
    let bucket_group: Vec<u32> = keys
        .iter()
        .map(|&(k, day)| {
            let outlet = offer_outlet.get(&k).copied().unwrap_or(0);
            groups.get(&(outlet, day)).copied().unwrap_or(0)
        })
        .collect();
    let mut em_group = vec![false; gkeys.len()];
    for (b, &g) in bucket_group.iter().enumerate() {
        em_group[g as usize] |= em_bucket[b];
    }
    let normal_group: Vec<u32> = gkeys
        .iter()
        .map(|&(o, day)| d.outlet_room(o, day))
        .collect();
    let group_cap: Vec<u32> = gkeys
        .iter()
        .enumerate()
        .map(|(g, &(o, day))| {
            if em_group[g] {
                full_outlet_room(o, day)
            } else {
                normal_group[g]
            }
        })
        .collect();
    let mut arcs = Vec::with_capacity(backlog.len());
    let mut units = Vec::with_capacity(backlog.len());
    let mut penalty = Vec::with_capacity(backlog.len());
    let mut demand = vec![0u64; group_cap.len()];
    for (i, (t, e)) in backlog.iter().zip(eligible).enumerate() {
        units.push(t.units);
        penalty.push(to_cost(o.penalty(t.priority)));
        arcs.push(e.map(|list| {
            list.into_iter()
                .map(|e| {
                    let bucket = buckets.get(&(e.offer, e.day)).copied().unwrap_or(0);
                    let score_cost = to_cost(e.b.score);
                    let mut extra = f64::from(e.late_days) * o.lateness_per_day;
                    if current[i].is_some_and(|c| c != e.outlet) {
                        extra += o.move_cost;
                    }
                    Arc {
                        bucket,
                        cost: score_cost + to_cost(extra),
                        score_cost,
                        e,
                    }
                })
                .collect::<Vec<_>>()
        }));
    }
    // A group can bind if its room is below both its buckets' room and its demand.
    let mut group_bucket_room = vec![0u64; group_cap.len()];
    for (b, &g) in bucket_group.iter().enumerate() {
        group_bucket_room[g as usize] += u64::from(bucket_cap[b]);
    }
    for (t, list) in arcs.iter().enumerate() {
        if let Ok(list) = list {
            let mut gs: Vec<u32> = list
                .iter()
                .map(|a| bucket_group[a.bucket as usize])
                .collect();
            gs.dedup();
            for g in gs {
                demand[g as usize] += u64::from(units[t]);
            }
        }
    }
    let group_binds = (0..group_cap.len())
        .map(|g| u64::from(group_cap[g]) < group_bucket_room[g].min(demand[g]))
        .collect();
    // Side rows, kept only where they can bind (their demand exceeds their cap).
    let mut sides = Vec::new();
    if reserve {
        let mut by_bucket: SideRows<u32> = BTreeMap::new();
        let mut by_group: SideRows<u32> = BTreeMap::new();
        for (t, list) in arcs.iter().enumerate() {
            let (Ok(list), false) = (list, backlog[t].priority == Priority::Emergency) else {
                continue;
            };
            for (j, a) in list.iter().enumerate() {
                let b = a.bucket as usize;
                let g = bucket_group[b] as usize;
                for (map, key, mixed) in [
                    (&mut by_bucket, b, em_bucket[b]),
                    (&mut by_group, g, em_group[g]),
                ] {
                    if mixed {
                        let e = map.entry(key as u32).or_default();
                        e.0 += u64::from(units[t]);
                        e.1.push((t as u32, j as u32));
                    }
                }
            }
        }
        for (normal, map) in [(&normal_bucket, by_bucket), (&normal_group, by_group)] {
            for (key, (dem, list)) in map {
                let cap = normal[key as usize];
                if dem > u64::from(cap) {
                    sides.push(Side {
                        cap,
                        arcs: list,
                        quota: None,
                    });
                }
            }
        }
    }
    if !quotas.is_empty() {
        let mut rows: SideRows<(usize, u32)> = BTreeMap::new();
        for (t, list) in arcs.iter().enumerate() {
            let Ok(list) = list else { continue };
            for (j, a) in list.iter().enumerate() {
                for q in (0..quotas.len()).filter(|&q| covers(q, t, a.e.outlet)) {
                    let e = rows.entry((q, a.e.day)).or_default();
                    e.0 += u64::from(units[t]);
                    e.1.push((t as u32, j as u32));
                }
            }
        }
        for ((q, _day), (dem, list)) in rows {
            let cap = o.quotas[q].max_units;
            if dem > u64::from(cap) {
                sides.push(Side {
                    cap,
                    arcs: list,
                    quota: Some(q),
                });
            }
        }
    }
    Ok(Problem {
        arcs,
        units,
        penalty,
        bucket_cap,
        bucket_group,
        group_cap,
        group_binds,
        sides,
        quota_removed,
    })
}

/// Union-find with path halving; the root is the smallest index (deterministic).
struct Dsu(Vec<u32>);

impl Dsu {
    fn find(&mut self, mut x: usize) -> usize {
        while self.0[x] as usize != x {
            self.0[x] = self.0[self.0[x] as usize];
            x = self.0[x] as usize;
        }
        x
    }
    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            let (lo, hi) = (ra.min(rb), ra.max(rb));
            self.0[hi] = lo as u32;
        }
    }
}

/// Tickets (with arcs) grouped into independent components, each in backlog order.
/// Tickets sharing a bucket, a group that can bind, or a side row are in one component.
fn components(p: &Problem) -> Vec<Vec<usize>> {
    let n = p.arcs.len();
    let nb = p.bucket_cap.len();
    let mut dsu = Dsu((0..(n + nb + p.group_cap.len()) as u32).collect());
    for (t, list) in p.arcs.iter().enumerate() {
        if let Ok(list) = list {
            for a in list {
                dsu.union(t, n + a.bucket as usize);
            }
        }
    }
    for (b, &g) in p.bucket_group.iter().enumerate() {
        if p.group_binds[g as usize] {
            dsu.union(n + b, n + nb + g as usize);
        }
    }
    for side in &p.sides {
        if let Some(&(first, _)) = side.arcs.first() {
            for &(t, _) in &side.arcs {
                dsu.union(first as usize, t as usize);
            }
        }
    }
    let mut by_root: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for t in 0..n {
        if p.arcs[t].is_ok() {
            let r = dsu.find(t);
            by_root.entry(r).or_default().push(t);
        }
    }
    by_root.into_values().collect()
}

/// A component's own problem with local indices.
struct Local {
    tickets: Vec<usize>,
    lp: LayeredProblem,
    binds: bool,
    /// Side rows: capacity and local arcs.
    side_cap: Vec<u32>,
    side_arcs: Vec<Vec<usize>>,
    /// Per local arc, its side rows (empty when the component has none).
    arc_sides: Vec<Vec<u32>>,
}

impl Local {
    fn sides_of(&self, k: usize) -> &[u32] {
        self.arc_sides.get(k).map_or(&[], |v| v.as_slice())
    }
}

/// `pos[t]`: the local index of ticket `t` in its component; `sides`: the side rows
/// whose tickets are in this component.
fn localise(p: &Problem, tickets: Vec<usize>, sides: &[&Side], pos: &[u32]) -> Local {
    let mut bmap: BTreeMap<u32, u32> = BTreeMap::new();
    let mut gmap: BTreeMap<u32, u32> = BTreeMap::new();
    let mut lp = LayeredProblem {
        units: Vec::with_capacity(tickets.len()),
        bucket_cap: Vec::new(),
        bucket_group: Vec::new(),
        group_cap: Vec::new(),
        arc_start: vec![0],
        arc_bucket: Vec::new(),
        arc_cost: Vec::new(),
        unassigned_penalty: Vec::with_capacity(tickets.len()),
    };
    let mut binds = false;
    for &t in &tickets {
        if let Ok(list) = &p.arcs[t] {
            for a in list {
                let next = bmap.len() as u32;
                let b = *bmap.entry(a.bucket).or_insert_with(|| {
                    let g = p.bucket_group[a.bucket as usize];
                    let gn = gmap.len() as u32;
                    let gl = *gmap.entry(g).or_insert(gn);
                    if gl as usize == lp.group_cap.len() {
                        lp.group_cap.push(p.group_cap[g as usize]);
                        binds |= p.group_binds[g as usize];
                    }
                    lp.bucket_cap.push(p.bucket_cap[a.bucket as usize]);
                    lp.bucket_group.push(gl);
                    next
                });
                lp.arc_bucket.push(b);
                lp.arc_cost.push(a.cost);
            }
        }
        lp.arc_start.push(lp.arc_bucket.len());
        lp.units.push(p.units[t]);
        lp.unassigned_penalty.push(p.penalty[t]);
    }
    let side_cap: Vec<u32> = sides.iter().map(|s| s.cap).collect();
    let side_arcs: Vec<Vec<usize>> = sides
        .iter()
        .map(|s| {
            s.arcs
                .iter()
                .map(|&(t, j)| lp.arc_start[pos[t as usize] as usize] + j as usize)
                .collect()
        })
        .collect();
    let mut arc_sides = Vec::new();
    if !sides.is_empty() {
        arc_sides = vec![Vec::new(); lp.arc_bucket.len()];
        for (r, list) in side_arcs.iter().enumerate() {
            for &k in list {
                arc_sides[k].push(r as u32);
            }
        }
    }
    Local {
        tickets,
        lp,
        binds,
        side_cap,
        side_arcs,
        arc_sides,
    }
}

/// A component's answer: the local arc index of each ticket (None: unassigned).
struct Answer {
    choice: Vec<Option<usize>>,
    objective: i64,
    lower_bound: i64,
    method: Method,
    status: PlanStatus,
}

fn arc_of(lp: &LayeredProblem, t: usize, b: u32) -> Option<usize> {
    (lp.arc_start[t]..lp.arc_start[t + 1])
        .filter(|&k| lp.arc_bucket[k] == b)
        .min_by_key(|&k| (lp.arc_cost[k], k))
}

/// The cost of a choice of arcs, or an error if it breaks a bucket, group or side row.
fn evaluate_choice(l: &Local, choice: &[Option<usize>]) -> Result<i64> {
    let lp = &l.lp;
    let mut used = vec![0u64; l.side_cap.len()];
    let mut total = 0i64;
    let mut buckets = Vec::with_capacity(choice.len());
    for (t, c) in choice.iter().enumerate() {
        match *c {
            None => {
                total += lp.unassigned_penalty[t];
                buckets.push(None);
            }
            Some(k) => {
                if !(lp.arc_start[t]..lp.arc_start[t + 1]).contains(&k) {
                    return Err(Error::argument(
                        "assignment",
                        format!("ticket {t} has no arc {k}"),
                    ));
                }
                total += lp.arc_cost[k];
                buckets.push(Some(lp.arc_bucket[k]));
                for &r in l.sides_of(k) {
                    used[r as usize] += u64::from(lp.units[t]);
                }
            }
        }
    }
    if let Some(r) = (0..used.len()).find(|&r| used[r] > u64::from(l.side_cap[r])) {
        return Err(Error::argument(
            "assignment",
            format!("side row {r} over capacity"),
        ));
    }
    // Buckets and groups (the arc chosen may not be the bucket's cheapest: cost above).
    lp.evaluate(&buckets)?;
    Ok(total)
}

fn exact_flow(l: &Local) -> Result<Answer> {
    let lp = &l.lp;
    if !l.binds {
        let tp = TransportProblem {
            tickets: lp.tickets(),
            buckets: lp.bucket_cap.len(),
            capacity: lp.bucket_cap.clone(),
            arc_start: lp.arc_start.clone(),
            arc_bucket: lp.arc_bucket.clone(),
            arc_cost: lp.arc_cost.clone(),
            unassigned_penalty: lp.unassigned_penalty.clone(),
        };
        let s = solve_transport(&tp)?;
        let choice = s
            .assignment
            .iter()
            .enumerate()
            .map(|(t, a)| a.and_then(|b| arc_of(lp, t, b)))
            .collect::<Vec<_>>();
        let objective = evaluate_choice(l, &choice)?;
        return Ok(Answer {
            choice,
            objective,
            lower_bound: s.lower_bound,
            method: Method::Flow,
            status: status_of(objective, s.lower_bound, false),
        });
    }
    let s = solve_layered(lp)?;
    let choice = (0..lp.tickets())
        .map(|t| (lp.arc_start[t]..lp.arc_start[t + 1]).find(|&k| s.arc_flow[k] > 0))
        .collect::<Vec<_>>();
    let objective = evaluate_choice(l, &choice)?;
    Ok(Answer {
        choice,
        objective,
        lower_bound: s.lower_bound,
        method: Method::Flow,
        status: status_of(objective, s.lower_bound, false),
    })
}

fn status_of(objective: i64, lower_bound: i64, timed_out: bool) -> PlanStatus {
    if objective <= lower_bound {
        PlanStatus::Optimal
    } else if timed_out {
        PlanStatus::TimeLimit
    } else {
        PlanStatus::Feasible
    }
}

/// Room tracker for repair and local search.
struct Room {
    bucket: Vec<i64>,
    group: Vec<i64>,
    side: Vec<i64>,
}

impl Room {
    fn new(l: &Local) -> Self {
        Room {
            bucket: l.lp.bucket_cap.iter().map(|&c| i64::from(c)).collect(),
            group: l.lp.group_cap.iter().map(|&c| i64::from(c)).collect(),
            side: l.side_cap.iter().map(|&c| i64::from(c)).collect(),
        }
    }
    /// Whether arc `k` has room for `u` units.
    fn fits(&self, l: &Local, k: usize, u: u32) -> bool {
        let b = l.lp.arc_bucket[k] as usize;
        let g = l.lp.bucket_group[b] as usize;
        let u = i64::from(u);
        self.bucket[b] >= u
            && self.group[g] >= u
            && l.sides_of(k).iter().all(|&r| self.side[r as usize] >= u)
    }
    /// Books `u` units on arc `k` (negative: releases them).
    fn take(&mut self, l: &Local, k: usize, u: i64) {
        let b = l.lp.arc_bucket[k] as usize;
        let g = l.lp.bucket_group[b] as usize;
        self.bucket[b] -= u;
        self.group[g] -= u;
        for &r in l.sides_of(k) {
            self.side[r as usize] -= u;
        }
    }
}

/// Rounds of subgradient on the side rows' prices in [`heuristic`].
const LAGRANGE_ROUNDS: usize = 30;

/// Flow relaxation (LP bound), keep unsplit tickets, repair split ones greedily
/// (most units first), then shift tickets to cheaper arcs with room until no shift
/// helps. Side rows (reserve, quotas) are priced into the flow's costs by subgradient
/// (a Lagrangian bound) and enforced by the repair.
fn heuristic(l: &Local) -> Result<Answer> {
    let lp = &l.lp;
    if l.side_cap.is_empty() {
        let s = solve_layered(lp)?;
        return repair(l, &s, s.lower_bound);
    }
    let mut lambda = vec![0i64; l.side_cap.len()];
    let mut priced = lp.clone();
    let mut best: Option<Answer> = None;
    let mut best_lb = i64::MIN;
    let (mut theta, mut stall) = (1.0f64, 0);
    for _round in 0..LAGRANGE_ROUNDS {
        for t in 0..lp.tickets() {
            let u = i64::from(lp.units[t]);
            for k in lp.arc_start[t]..lp.arc_start[t + 1] {
                let price: i64 = l.sides_of(k).iter().map(|&r| lambda[r as usize]).sum();
                priced.arc_cost[k] = lp.arc_cost[k].saturating_add(u.saturating_mul(price));
            }
        }
        let s = solve_layered(&priced)?;
        let charge: i64 = lambda
            .iter()
            .zip(&l.side_cap)
            .map(|(&p, &c)| p.saturating_mul(i64::from(c)))
            .sum();
        let lb = s.lower_bound.saturating_sub(charge);
        if lb > best_lb {
            best_lb = lb;
            stall = 0;
        } else {
            stall += 1;
            if stall >= 3 {
                theta /= 2.0;
                stall = 0;
            }
        }
        let a = repair(l, &s, best_lb)?;
        if best.as_ref().is_none_or(|b| a.objective < b.objective) {
            best = Some(a);
        }
        let ub = best.as_ref().map_or(i64::MAX, |b| b.objective);
        if ub <= best_lb || theta < 1e-3 {
            break;
        }
        // Subgradient: each side row's use by the flow minus its cap.
        let g: Vec<i64> = l
            .side_arcs
            .iter()
            .zip(&l.side_cap)
            .map(|(arcs, &c)| {
                arcs.iter().map(|&k| i64::from(s.arc_flow[k])).sum::<i64>() - i64::from(c)
            })
            .collect();
        let norm: f64 = g
            .iter()
            .zip(&lambda)
            .filter(|(&gi, &p)| gi > 0 || p > 0)
            .map(|(&gi, _)| (gi as f64) * (gi as f64))
            .sum();
        if norm == 0.0 {
            break;
        }
        let step = theta * (ub - best_lb) as f64 / norm;
        for (p, &gi) in lambda.iter_mut().zip(&g) {
            *p = ((*p as f64) + step * gi as f64).round().clamp(0.0, 1e9) as i64;
        }
    }
    let mut ans = match best {
        Some(a) => a,
        None => repair(l, &solve_layered(lp)?, best_lb)?,
    };
    ans.lower_bound = best_lb.min(ans.objective);
    ans.status = status_of(ans.objective, ans.lower_bound, false);
    Ok(ans)
}

/// A feasible plan from a flow solution `s` (possibly with priced costs): keep the
/// tickets it does not split where they still fit, repair the rest greedily (most units
/// first, at the true costs), then shift. `lower_bound` is carried into the answer.
// CSR loops index several parallel arrays by ticket.
#[allow(clippy::needless_range_loop)]
fn repair(l: &Local, s: &LayeredSolution, lower_bound: i64) -> Result<Answer> {
    let lp = &l.lp;
    let n = lp.tickets();
    let mut room = Room::new(l);
    let mut choice: Vec<Option<usize>> = vec![None; n];
    let mut split = Vec::new();
    // With side rows the flow may overfill them: keep first the tickets whose place
    // saves the most against leaving them out (ties by index); otherwise all fit.
    let mut order: Vec<usize> = (0..n).collect();
    if !l.side_cap.is_empty() {
        order.sort_by_key(|&t| {
            let k = (lp.arc_start[t]..lp.arc_start[t + 1]).find(|&k| s.arc_flow[k] > 0);
            let saving = k.map_or(i64::MIN, |k| lp.unassigned_penalty[t] - lp.arc_cost[k]);
            (std::cmp::Reverse(saving), t)
        });
    }
    for t in order {
        let u = lp.units[t];
        if s.unassigned[t] == u {
            continue;
        }
        match (lp.arc_start[t]..lp.arc_start[t + 1]).find(|&k| s.arc_flow[k] == u) {
            Some(k) if room.fits(l, k, u) => {
                choice[t] = Some(k);
                room.take(l, k, i64::from(u));
            }
            _ => split.push(t),
        }
    }
    split.sort_by_key(|&t| (std::cmp::Reverse(lp.units[t]), t));
    for t in split {
        let u = lp.units[t];
        let best = (lp.arc_start[t]..lp.arc_start[t + 1])
            .filter(|&k| lp.arc_cost[k] < lp.unassigned_penalty[t] && room.fits(l, k, u))
            .min_by_key(|&k| (lp.arc_cost[k], k));
        if let Some(k) = best {
            choice[t] = Some(k);
            room.take(l, k, i64::from(u));
        } else if let Some((k, v, kv)) = eject(l, &room, &choice, t) {
            let old = choice[v].unwrap_or(kv);
            room.take(l, old, -i64::from(lp.units[v]));
            room.take(l, kv, i64::from(lp.units[v]));
            choice[v] = Some(kv);
            room.take(l, k, i64::from(u));
            choice[t] = Some(k);
        }
    }
    // Shifts: each ticket to its cheapest arc with room, while that lowers the cost.
    for _pass in 0..10 {
        let mut improved = false;
        for t in 0..n {
            let u = lp.units[t];
            let now = choice[t].map_or(lp.unassigned_penalty[t], |k| lp.arc_cost[k]);
            if let Some(k) = choice[t] {
                room.take(l, k, -i64::from(u));
            }
            let best = (lp.arc_start[t]..lp.arc_start[t + 1])
                .filter(|&k| lp.arc_cost[k] < now && room.fits(l, k, u))
                .min_by_key(|&k| (lp.arc_cost[k], k));
            if let Some(k) = best {
                choice[t] = Some(k);
                improved = true;
            }
            if let Some(k) = choice[t] {
                room.take(l, k, i64::from(u));
            }
        }
        if !improved {
            break;
        }
    }
    let objective = evaluate_choice(l, &choice)?;
    let lower_bound = lower_bound.min(objective);
    Ok(Answer {
        choice,
        objective,
        lower_bound,
        method: Method::Heuristic,
        status: status_of(objective, lower_bound, false),
    })
}

/// An ejection for ticket `t` that fits nowhere: put it on arc `k` after moving one
/// ticket `v` from `k`'s bucket (or group) to its arc `kv` with room. Returns the
/// cheapest such move if it beats leaving `t` out.
fn eject(
    l: &Local,
    room: &Room,
    choice: &[Option<usize>],
    t: usize,
) -> Option<(usize, usize, usize)> {
    let lp = &l.lp;
    let u = i64::from(lp.units[t]);
    let has_sides = !l.side_cap.is_empty();
    let mut best: Option<(i64, usize, usize, usize)> = None;
    for k in lp.arc_start[t]..lp.arc_start[t + 1] {
        if lp.arc_cost[k] >= lp.unassigned_penalty[t] {
            continue;
        }
        let b = lp.arc_bucket[k];
        let g = lp.bucket_group[b as usize];
        let need_b = u - room.bucket[b as usize];
        let need_g = u - room.group[g as usize];
        for (v, c) in choice.iter().enumerate() {
            let Some(kv_old) = *c else { continue };
            let bv = lp.arc_bucket[kv_old];
            let uv = i64::from(lp.units[v]);
            let same_b = bv == b;
            let same_g = lp.bucket_group[bv as usize] == g;
            if !((same_b && uv >= need_b.max(need_g))
                || (!same_b && same_g && need_b <= 0 && uv >= need_g))
            {
                continue;
            }
            for kv in lp.arc_start[v]..lp.arc_start[v + 1] {
                let nb = lp.arc_bucket[kv];
                let ng = lp.bucket_group[nb as usize];
                if ng == g || !room.fits(l, kv, lp.units[v]) {
                    continue;
                }
                let delta = lp.arc_cost[k] + lp.arc_cost[kv] - lp.arc_cost[kv_old];
                if delta >= lp.unassigned_penalty[t] || best.is_some_and(|x| delta >= x.0) {
                    continue;
                }
                if has_sides && !sides_allow(l, room, (k, u), (kv_old, kv, uv)) {
                    continue;
                }
                best = Some((delta, k, v, kv));
            }
        }
    }
    best.map(|(_, k, v, kv)| (k, v, kv))
}

/// Whether the side rows allow moving `uv` units from arc `from` to arc `to` and then
/// booking `u` units on arc `k`.
fn sides_allow(
    l: &Local,
    room: &Room,
    (k, u): (usize, i64),
    (from, to, uv): (usize, usize, i64),
) -> bool {
    let after = |r: u32| {
        let mut x = room.side[r as usize];
        if l.sides_of(from).contains(&r) {
            x += uv;
        }
        if l.sides_of(to).contains(&r) {
            x -= uv;
        }
        x
    };
    l.sides_of(to).iter().all(|&r| after(r) >= 0) && l.sides_of(k).iter().all(|&r| after(r) >= u)
}

/// A MIP outcome: the assignment (if any), the bound, whether the time limit hit.
type MipOutcome = (Option<Vec<Option<usize>>>, i64, bool);

/// The binary program through HiGHS: x per arc, one row per ticket (`sum x <= 1`, the
/// slack is "unassigned"), one per bucket, group and side row (units). Starts from
/// `start` (a feasible plan) and stops once the gap is within `tolerance` of `floor`
/// (a known lower bound). `None` when HiGHS found no better solution; the bound is
/// returned either way.
fn mip(
    l: &Local,
    time_limit: f64,
    start: &[Option<usize>],
    floor: i64,
    tolerance: f64,
) -> Result<MipOutcome> {
    use highs::{HighsModelStatus as S, RowProblem, Sense};
    let lp = &l.lp;
    let n = lp.tickets();
    let mut pb = RowProblem::default();
    let constant: i64 = lp.unassigned_penalty.iter().sum();
    let x: Vec<_> = (0..n)
        .flat_map(|t| (lp.arc_start[t]..lp.arc_start[t + 1]).map(move |k| (t, k)))
        .map(|(t, k)| {
            pb.add_integer_column((lp.arc_cost[k] - lp.unassigned_penalty[t]) as f64, 0..=1)
        })
        .collect();
    let mut bucket_rows: Vec<Vec<(highs::Col, f64)>> = vec![Vec::new(); lp.bucket_cap.len()];
    let mut group_rows: Vec<Vec<(highs::Col, f64)>> = vec![Vec::new(); lp.group_cap.len()];
    let mut arc_units = vec![0.0; lp.arc_bucket.len()];
    for t in 0..n {
        let r = lp.arc_start[t]..lp.arc_start[t + 1];
        if r.is_empty() {
            continue;
        }
        pb.add_row(..=1.0, r.clone().map(|k| (x[k], 1.0)));
        for k in r {
            let b = lp.arc_bucket[k] as usize;
            let u = f64::from(lp.units[t]);
            arc_units[k] = u;
            bucket_rows[b].push((x[k], u));
            group_rows[lp.bucket_group[b] as usize].push((x[k], u));
        }
    }
    for (b, row) in bucket_rows.into_iter().enumerate() {
        pb.add_row(..=f64::from(lp.bucket_cap[b]), row);
    }
    for (g, row) in group_rows.into_iter().enumerate() {
        pb.add_row(..=f64::from(lp.group_cap[g]), row);
    }
    for (r, arcs) in l.side_arcs.iter().enumerate() {
        pb.add_row(
            ..=f64::from(l.side_cap[r]),
            arcs.iter().map(|&k| (x[k], arc_units[k])),
        );
    }
    let mut model = pb.optimise(Sense::Minimise);
    model.make_quiet();
    let opt = |e: highs::TrySetOptionError| Error::Solver(format!("HiGHS option: {e:?}"));
    model
        .try_set_option("time_limit", time_limit)
        .map_err(opt)?;
    // Costs are integers: an absolute gap below 1 is a proof of optimality.
    let abs_gap = (tolerance * (floor.max(0) as f64).max(COST_SCALE)).max(0.5);
    model.try_set_option("mip_rel_gap", 0.0).map_err(opt)?;
    model.try_set_option("mip_abs_gap", abs_gap).map_err(opt)?;
    model.try_set_option("threads", 1).map_err(opt)?;
    // Warm start: the heuristic's plan is the incumbent (and so the cutoff).
    let mut cols = vec![0.0; x.len()];
    for &k in start.iter().flatten() {
        if let Some(c) = cols.get_mut(k) {
            *c = 1.0;
        }
    }
    model
        .try_set_solution(Some(&cols), None, None, None)
        .map_err(|s| Error::Solver(format!("HiGHS start: {s:?}")))?;
    let solved = model
        .try_solve()
        .map_err(|s| Error::Solver(format!("HiGHS run failed: {s:?}")))?;
    let timed_out = matches!(
        solved.status(),
        S::ReachedTimeLimit | S::ReachedInterrupt | S::ReachedIterationLimit
    );
    let bound = solved
        .double_info_value(c"mip_dual_bound")
        .map_err(|s| Error::Solver(format!("HiGHS mip_dual_bound: {s:?}")))?;
    let lower_bound = if bound.is_finite() {
        (bound - 1e-6).ceil() as i64 + constant
    } else {
        i64::MIN
    };
    if solved.primal_solution_status() != highs::HighsSolutionStatus::Feasible {
        return Ok((None, lower_bound, timed_out));
    }
    let cols = solved.get_solution().columns().to_vec();
    let choice = (0..n)
        .map(|t| (lp.arc_start[t]..lp.arc_start[t + 1]).find(|&k| cols[k] > 0.5))
        .collect();
    Ok((Some(choice), lower_bound, timed_out))
}

/// The MIP on a component within the time left, warm-started from the heuristic's
/// answer `ans`, stopping at `tolerance` (relative to the bound); keeps the better plan
/// and bound. Without time left, `forced` marks the answer as stopped by the limit.
fn mip_pass(
    l: &Local,
    mut ans: Answer,
    deadline: Option<Instant>,
    forced: bool,
    tolerance: f64,
) -> Result<Answer> {
    let left = deadline.map_or(0.0, |d| {
        d.saturating_duration_since(Instant::now()).as_secs_f64()
    });
    if left <= 0.0 {
        if forced {
            ans.status = PlanStatus::TimeLimit;
        }
        return Ok(ans);
    }
    let (choice, lb, timed_out) = mip(l, left, &ans.choice, ans.lower_bound, tolerance)?;
    ans.method = Method::Mip;
    if let Some(c) = choice {
        // A solution HiGHS reports must pass our own check; if not, keep the heuristic.
        if let Ok(obj) = evaluate_choice(l, &c) {
            if obj < ans.objective {
                ans.objective = obj;
                ans.choice = c;
            }
        }
    }
    ans.lower_bound = ans.lower_bound.max(lb).min(ans.objective);
    ans.status = status_of(ans.objective, ans.lower_bound, timed_out);
    Ok(ans)
}

/// First pass on a component: the exact flow where it applies, else the heuristic.
fn first_pass(l: &Local, o: &AssignOptions) -> Result<Answer> {
    let unit = l.lp.units.iter().all(|&u| u == 1);
    match o.method {
        Method::Auto | Method::Flow if unit && l.side_cap.is_empty() => exact_flow(l),
        _ => heuristic(l),
    }
}

/// The components that get a MIP pass, given the first-pass answers and `fixed` (the
/// penalties of tickets no outlet can take, part of the plan's objective and bound):
/// none for flow and heuristic; otherwise, when the plan's gap exceeds the tolerance, those with the
/// largest gaps (ties by index) until the others' gaps sum to at most half the
/// tolerance's budget. Each MIP then stops within half the tolerance of its own
/// objective, so the plan ends within the tolerance wherever the MIPs finish.
/// (Auto skips components above [`AUTO_MIP_ARCS`].)
fn pick_for_mip(comps: &[Local], first: &[Answer], fixed: i64, o: &AssignOptions) -> Vec<bool> {
    let mut pick = vec![false; comps.len()];
    if !matches!(o.method, Method::Auto | Method::Mip) {
        return pick;
    }
    let total: i64 = fixed + first.iter().map(|a| a.objective).sum::<i64>();
    let budget = o.gap_tolerance * (total.abs() as f64).max(COST_SCALE);
    let gap = |a: &Answer| (a.objective - a.lower_bound).max(0);
    let mut rest: i64 = first.iter().map(gap).sum();
    if rest as f64 <= budget && o.gap_tolerance > 0.0 {
        return pick;
    }
    let mut order: Vec<usize> = (0..comps.len())
        .filter(|&c| first[c].status != PlanStatus::Optimal)
        .filter(|&c| o.method == Method::Mip || comps[c].lp.arc_bucket.len() <= AUTO_MIP_ARCS)
        .collect();
    order.sort_by_key(|&c| (std::cmp::Reverse(gap(&first[c])), c));
    for c in order {
        if o.gap_tolerance > 0.0 && rest as f64 <= budget / 2.0 {
            break;
        }
        pick[c] = true;
        rest -= gap(&first[c]);
    }
    pick
}

fn rank(m: Method) -> u8 {
    match m {
        Method::Auto | Method::Flow => 0,
        Method::Heuristic => 1,
        Method::Mip => 2,
    }
}

/// Re-assigns `backlog` jointly over the dispatcher's network, policy and current
/// ledger loads (the backlog's own tickets must not be booked in that ledger).
///
/// `Err` only for bad input (unknown region or outlet, duplicate ticket ids, bad
/// options); no eligible outlet, too little capacity or a time limit are answers.
pub fn assign(
    backlog: &[Ticket],
    dispatcher: &Dispatcher,
    options: &AssignOptions,
) -> Result<AssignmentPlan> {
    let clock = Instant::now();
    options.validate()?;
    let deadline = (options.time_limit > 0.0)
        .then(|| clock + std::time::Duration::from_secs_f64(options.time_limit.min(1e7)));
    let p = build(dispatcher, backlog, options)?;
    let groups = components(&p);
    let mut pos = vec![0u32; backlog.len()];
    let mut comp_of = vec![0u32; backlog.len()];
    for (c, list) in groups.iter().enumerate() {
        for (i, &t) in list.iter().enumerate() {
            pos[t] = i as u32;
            comp_of[t] = c as u32;
        }
    }
    let mut comp_sides: Vec<Vec<&Side>> = vec![Vec::new(); groups.len()];
    for side in &p.sides {
        if let Some(&(t, _)) = side.arcs.first() {
            comp_sides[comp_of[t as usize] as usize].push(side);
        }
    }
    let comps: Vec<Local> = groups
        .into_iter()
        .zip(&comp_sides)
        .map(|(c, sides)| localise(&p, c, sides, &pos))
        .collect();
    let first = comps
        .par_iter()
        .map(|l| first_pass(l, options))
        .collect::<Result<Vec<_>>>()?;
    let fixed: i64 = (0..backlog.len())
        .filter(|&t| p.arcs[t].is_err())
        .map(|t| p.penalty[t])
        .sum();
    let pick = pick_for_mip(&comps, &first, fixed, options);
    let forced = options.method == Method::Mip;
    let tolerance = options.gap_tolerance / 2.0;
    let answers = comps
        .par_iter()
        .zip(first)
        .zip(pick)
        .map(|((l, a), p)| {
            if p {
                mip_pass(l, a, deadline, forced, tolerance)
            } else {
                Ok(a)
            }
        })
        .collect::<Result<Vec<_>>>()?;
    // Collect per ticket.
    let mut chosen: Vec<Option<Arc>> = vec![None; backlog.len()];
    let mut objective: i64 = 0;
    let mut lower_bound: i64 = 0;
    let mut method = Method::Flow;
    let mut status = PlanStatus::Optimal;
    for (l, a) in comps.iter().zip(&answers) {
        objective += a.objective;
        lower_bound = lower_bound.saturating_add(a.lower_bound);
        if rank(a.method) > rank(method) {
            method = a.method;
        }
        status = status.max(a.status);
        for (i, &t) in l.tickets.iter().enumerate() {
            if let (Some(k), Ok(list)) = (a.choice[i], &p.arcs[t]) {
                let local = k - l.lp.arc_start[i];
                chosen[t] = list.get(local).copied();
            }
        }
    }
    let mut assignments = Vec::new();
    let mut unassigned = Vec::new();
    for (t, ticket) in backlog.iter().enumerate() {
        match (&p.arcs[t], chosen[t]) {
            (Err(rule), _) => {
                objective += p.penalty[t];
                lower_bound += p.penalty[t];
                unassigned.push((ticket.id.clone(), UnassignedReason::Ineligible(*rule)));
            }
            (Ok(list), None) => {
                let reason = quota_reason(&p, &chosen, t, list)
                    .or(p.quota_removed[t])
                    .and_then(|q| options.quotas.get(q))
                    .map_or(UnassignedReason::Capacity, |q| {
                        UnassignedReason::Quota(q.id.clone())
                    });
                unassigned.push((ticket.id.clone(), reason));
            }
            (Ok(list), Some(a)) => {
                let outlets = dispatcher.network().outlets();
                let from = options
                    .current
                    .get(&ticket.id)
                    .filter(|&c| outlets.get(a.e.outlet as usize).is_none_or(|o| &o.id != c));
                let move_gain = from.and_then(|c| {
                    let old = dispatcher.network().outlet_index(c)? as u32;
                    let best = list
                        .iter()
                        .filter(|x| x.e.outlet == old)
                        .map(|x| x.score_cost)
                        .min()?;
                    Some((best - a.score_cost) as f64 / COST_SCALE)
                });
                assignments.push(PlannedAssignment {
                    ticket_id: ticket.id.clone(),
                    outlet_id: outlets
                        .get(a.e.outlet as usize)
                        .map(|o| o.id.clone())
                        .unwrap_or_default(),
                    day: a.e.day,
                    units: ticket.units,
                    score: a.e.b.score,
                    distance_km: a.e.b.distance_km,
                    late_days: a.e.late_days,
                    moved_from: from.cloned(),
                    move_gain,
                })
            }
        }
    }
    let lower_bound = lower_bound.min(objective);
    let obj = objective as f64 / COST_SCALE;
    Ok(AssignmentPlan {
        assignments,
        unassigned,
        objective: obj,
        lower_bound: lower_bound as f64 / COST_SCALE,
        gap: (objective - lower_bound) as f64 / (objective.abs() as f64).max(COST_SCALE),
        method,
        status,
        components: comps.len(),
        seconds: clock.elapsed().as_secs_f64(),
    })
}

/// The quota that keeps unassigned ticket `t` out: the first arc (by outlet, day)
/// whose bucket, group and reserve rows have room for it at the plan's loads but one of
/// whose quota rows does not; that quota's index.
fn quota_reason(p: &Problem, chosen: &[Option<Arc>], t: usize, list: &[Arc]) -> Option<usize> {
    if !p.sides.iter().any(|s| s.quota.is_some()) {
        return None;
    }
    let mut bucket = vec![0u64; p.bucket_cap.len()];
    let mut group = vec![0u64; p.group_cap.len()];
    for (v, a) in chosen.iter().enumerate() {
        if let Some(a) = a {
            bucket[a.bucket as usize] += u64::from(p.units[v]);
            group[p.bucket_group[a.bucket as usize] as usize] += u64::from(p.units[v]);
        }
    }
    let u = u64::from(p.units[t]);
    let room = |s: &Side| {
        let used: u64 = s
            .arcs
            .iter()
            .filter(|&&(v, j)| {
                let v = v as usize;
                let on = match (&p.arcs[v], chosen[v]) {
                    (Ok(l), Some(a)) => l.get(j as usize).is_some_and(|x| {
                        x.bucket == a.bucket && x.e.day == a.e.day && x.e.outlet == a.e.outlet
                    }),
                    _ => false,
                };
                on
            })
            .map(|&(v, _)| u64::from(p.units[v as usize]))
            .sum();
        u64::from(s.cap).saturating_sub(used)
    };
    list.iter().enumerate().find_map(|(j, a)| {
        let b = a.bucket as usize;
        let g = p.bucket_group[b] as usize;
        let on_arc = |s: &&Side| s.arcs.binary_search(&(t as u32, j as u32)).is_ok();
        let open = bucket[b] + u <= u64::from(p.bucket_cap[b])
            && group[g] + u <= u64::from(p.group_cap[g])
            && p.sides
                .iter()
                .filter(|s| s.quota.is_none())
                .filter(on_arc)
                .all(|s| room(s) >= u);
        if !open {
            return None;
        }
        p.sides
            .iter()
            .filter(|s| s.quota.is_some())
            .filter(on_arc)
            .find(|s| room(s) < u)
            .and_then(|s| s.quota)
    })
}

/// Sequential dispatch of the same tickets, scored with the plan's objective.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SequentialBaseline {
    /// The objective of [`assign`] evaluated on the sequential bookings (score points).
    pub objective: f64,
    /// Tickets booked.
    pub assigned: usize,
    /// Mean road km of booked tickets.
    pub mean_distance_km: f64,
    /// Wall-clock seconds of the sequential dispatch.
    pub seconds: f64,
}

/// Plans `backlog` jointly and, on a fresh dispatcher over the same network and
/// capacities, dispatches it one by one in arrival order; both under `policy` without
/// fallbacks (so both obey the same hard rules), and both scored with the plan's
/// objective (arc costs at the starting loads, penalties, move costs). Since the
/// sequential bookings are a feasible plan, an optimal joint plan is never worse
/// (with region quotas it may be: dispatch knows no quotas, the plan keeps them).
pub fn compare_with_sequential(
    backlog: &[Ticket],
    network: &Network,
    policy: &Policy,
    options: &AssignOptions,
) -> Result<(AssignmentPlan, SequentialBaseline)> {
    let mut policy = policy.clone();
    policy.fallback.clear();
    if policy.start_date.is_none() {
        policy.start_date = backlog.iter().map(|t| t.created_at.date()).min();
    }
    let joint = Dispatcher::new(network.clone(), policy.clone())?;
    let plan = assign(backlog, &joint, options)?;
    let p = build(&joint, backlog, options)?;
    let fresh = Dispatcher::new(network.clone(), policy)?;
    let clock = Instant::now();
    let outcomes = dispatch_in_arrival_order(&fresh, backlog)?;
    let seconds = clock.elapsed().as_secs_f64();
    let index: BTreeMap<&str, usize> = backlog
        .iter()
        .enumerate()
        .map(|(i, t)| (t.id.as_str(), i))
        .collect();
    let mut total: i64 = 0;
    let (mut assigned, mut km) = (0usize, 0.0);
    for out in &outcomes {
        match out {
            Outcome::Assigned(a) => {
                let t = index.get(&*a.ticket_id).copied().unwrap_or(0);
                let outlet = network.outlet_index(&a.outlet_id).map(|i| i as u32);
                let cost = p.arcs[t].as_ref().ok().and_then(|list| {
                    list.iter()
                        .filter(|x| Some(x.e.outlet) == outlet && x.e.day == a.day)
                        .map(|x| x.cost)
                        .min()
                });
                total += cost.unwrap_or_else(|| to_cost(a.breakdown.score));
                assigned += 1;
                km += a.breakdown.distance_km;
            }
            Outcome::Unassignable(u) => {
                let t = index.get(u.ticket_id.as_str()).copied().unwrap_or(0);
                total += p.penalty[t];
            }
        }
    }
    Ok((
        plan,
        SequentialBaseline {
            objective: total as f64 / COST_SCALE,
            assigned,
            mean_distance_km: if assigned > 0 {
                km / assigned as f64
            } else {
                0.0
            },
            seconds,
        },
    ))
}
