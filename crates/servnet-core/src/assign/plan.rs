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
//! Ties break by index (tickets in backlog order, arcs by outlet then day), so the
//! same input gives the same plan.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::flow::{solve_transport, TransportProblem};
use super::mcf::{solve_layered, LayeredProblem};
use crate::dispatch::{dispatch_in_arrival_order, Dispatcher, Outcome, Policy, Rule};
use crate::model::{Network, Priority, Ticket};
use crate::{Error, Result};

/// Integer cost units per score point.
pub const COST_SCALE: f64 = 1000.0;

/// Components with at most this many arcs get a MIP pass under [`Method::Auto`] when
/// the heuristic leaves a gap.
pub const AUTO_MIP_ARCS: usize = 20_000;

/// Which algorithm solves each component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Flow for unit tickets; heuristic, then MIP on small components, for several units.
    Auto,
    /// Exact min-cost flow (unit tickets); components with multi-unit tickets use the
    /// heuristic (the flow relaxation plus repair).
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
        Ok(())
    }

    fn penalty(&self, p: Priority) -> f64 {
        let i = Priority::ALL.iter().position(|&q| q == p).unwrap_or(2);
        self.unassigned_penalty[i]
    }
}

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnassignedReason {
    /// No outlet passes the hard rules; the rule that stopped the most promising ones.
    Ineligible(Rule),
    /// Its eligible capacity went to tickets where it did more good (or every option
    /// costs more than its penalty).
    Capacity,
}

impl UnassignedReason {
    /// The snake_case name used in files.
    pub fn as_str(self) -> &'static str {
        match self {
            UnassignedReason::Ineligible(r) => r.as_str(),
            UnassignedReason::Capacity => "capacity",
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

    /// Writes one row per ticket: `ticket_id,outlet_id,day,units,score,distance_km,
    /// late_days,moved_from,move_gain,reason`.
    pub fn write_csv(&self, path: &Path) -> Result<()> {
        let err = |e: csv::Error| Error::Io {
            path: path.display().to_string(),
            source: std::io::Error::other(e.to_string()),
        };
        let mut w = csv::Writer::from_path(path).map_err(err)?;
        w.write_record([
            "ticket_id",
            "outlet_id",
            "day",
            "units",
            "score",
            "distance_km",
            "late_days",
            "moved_from",
            "move_gain",
            "reason",
        ])
        .map_err(err)?;
        for a in &self.assignments {
            w.write_record([
                a.ticket_id.clone(),
                a.outlet_id.clone(),
                a.day.to_string(),
                a.units.to_string(),
                format!("{:.3}", a.score),
                format!("{:.3}", a.distance_km),
                a.late_days.to_string(),
                a.moved_from.clone().unwrap_or_default(),
                a.move_gain.map(|g| format!("{g:.3}")).unwrap_or_default(),
                String::new(),
            ])
            .map_err(err)?;
        }
        for (id, r) in &self.unassigned {
            let mut row = vec![id.clone()];
            row.extend(std::iter::repeat_n(String::new(), 8));
            row.push(r.as_str().to_string());
            w.write_record(&row).map_err(err)?;
        }
        w.flush().map_err(|source| Error::Io {
            path: path.display().to_string(),
            source,
        })
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
    let eligible = backlog
        .par_iter()
        .map(|t| d.eligible(t, o.late_days))
        .collect::<Result<Vec<_>>>()?;
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
    let bucket_cap: Vec<u32> = keys.iter().map(|&(k, day)| d.offer_room(k, day)).collect();
    let bucket_group: Vec<u32> = keys
        .iter()
        .map(|&(k, day)| {
            let outlet = offer_outlet.get(&k).copied().unwrap_or(0);
            groups.get(&(outlet, day)).copied().unwrap_or(0)
        })
        .collect();
    let group_cap: Vec<u32> = gkeys
        .iter()
        .map(|&(o, day)| d.outlet_room(o, day))
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
    Ok(Problem {
        arcs,
        units,
        penalty,
        bucket_cap,
        bucket_group,
        group_cap,
        group_binds,
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
}

fn localise(p: &Problem, tickets: Vec<usize>) -> Local {
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
    Local { tickets, lp, binds }
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

fn evaluate_choice(lp: &LayeredProblem, choice: &[Option<usize>]) -> Result<i64> {
    let a: Vec<Option<u32>> = choice.iter().map(|c| c.map(|k| lp.arc_bucket[k])).collect();
    lp.evaluate(&a)
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
        let objective = evaluate_choice(lp, &choice)?;
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
    let objective = evaluate_choice(lp, &choice)?;
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
}

impl Room {
    fn new(lp: &LayeredProblem) -> Self {
        Room {
            bucket: lp.bucket_cap.iter().map(|&c| i64::from(c)).collect(),
            group: lp.group_cap.iter().map(|&c| i64::from(c)).collect(),
        }
    }
    fn fits(&self, lp: &LayeredProblem, b: u32, u: u32) -> bool {
        let g = lp.bucket_group[b as usize] as usize;
        self.bucket[b as usize] >= i64::from(u) && self.group[g] >= i64::from(u)
    }
    fn take(&mut self, lp: &LayeredProblem, b: u32, u: i64) {
        let g = lp.bucket_group[b as usize] as usize;
        self.bucket[b as usize] -= u;
        self.group[g] -= u;
    }
}

/// Flow relaxation (LP bound), keep unsplit tickets, repair split ones greedily
/// (most units first), then shift tickets to cheaper arcs with room until no shift helps.
// CSR loops index several parallel arrays by ticket.
#[allow(clippy::needless_range_loop)]
fn heuristic(l: &Local) -> Result<Answer> {
    let lp = &l.lp;
    let n = lp.tickets();
    let s = solve_layered(lp)?;
    let mut room = Room::new(lp);
    let mut choice: Vec<Option<usize>> = vec![None; n];
    let mut split = Vec::new();
    for t in 0..n {
        let u = lp.units[t];
        if s.unassigned[t] == u {
            continue;
        }
        match (lp.arc_start[t]..lp.arc_start[t + 1]).find(|&k| s.arc_flow[k] == u) {
            Some(k) => {
                choice[t] = Some(k);
                room.take(lp, lp.arc_bucket[k], i64::from(u));
            }
            None => split.push(t),
        }
    }
    split.sort_by_key(|&t| (std::cmp::Reverse(lp.units[t]), t));
    for t in split {
        let u = lp.units[t];
        let best = (lp.arc_start[t]..lp.arc_start[t + 1])
            .filter(|&k| {
                lp.arc_cost[k] < lp.unassigned_penalty[t] && room.fits(lp, lp.arc_bucket[k], u)
            })
            .min_by_key(|&k| (lp.arc_cost[k], k));
        if let Some(k) = best {
            choice[t] = Some(k);
            room.take(lp, lp.arc_bucket[k], i64::from(u));
        } else if let Some((k, v, kv)) = eject(lp, &room, &choice, t) {
            let old = choice[v].unwrap_or(kv);
            room.take(lp, lp.arc_bucket[old], -i64::from(lp.units[v]));
            room.take(lp, lp.arc_bucket[kv], i64::from(lp.units[v]));
            choice[v] = Some(kv);
            room.take(lp, lp.arc_bucket[k], i64::from(u));
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
                room.take(lp, lp.arc_bucket[k], -i64::from(u));
            }
            let best = (lp.arc_start[t]..lp.arc_start[t + 1])
                .filter(|&k| lp.arc_cost[k] < now && room.fits(lp, lp.arc_bucket[k], u))
                .min_by_key(|&k| (lp.arc_cost[k], k));
            if let Some(k) = best {
                choice[t] = Some(k);
                improved = true;
            }
            if let Some(k) = choice[t] {
                room.take(lp, lp.arc_bucket[k], i64::from(u));
            }
        }
        if !improved {
            break;
        }
    }
    let objective = evaluate_choice(lp, &choice)?;
    let lower_bound = s.lower_bound.min(objective);
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
    lp: &LayeredProblem,
    room: &Room,
    choice: &[Option<usize>],
    t: usize,
) -> Option<(usize, usize, usize)> {
    let u = i64::from(lp.units[t]);
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
                if ng == g || !room.fits(lp, nb, lp.units[v]) {
                    continue;
                }
                let delta = lp.arc_cost[k] + lp.arc_cost[kv] - lp.arc_cost[kv_old];
                if delta < lp.unassigned_penalty[t] && best.is_none_or(|x| delta < x.0) {
                    best = Some((delta, k, v, kv));
                }
            }
        }
    }
    best.map(|(_, k, v, kv)| (k, v, kv))
}

/// The binary program through HiGHS: x per arc, one row per ticket (`sum x <= 1`, the
/// slack is "unassigned"), one per bucket and per group (units). `None` when HiGHS
/// found no solution in time; the bound is returned either way.
/// A MIP outcome: the assignment (if any), the bound, whether the time limit hit.
type MipOutcome = (Option<Vec<Option<usize>>>, i64, bool);

fn mip(l: &Local, time_limit: f64) -> Result<MipOutcome> {
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
    for t in 0..n {
        let r = lp.arc_start[t]..lp.arc_start[t + 1];
        if r.is_empty() {
            continue;
        }
        pb.add_row(..=1.0, r.clone().map(|k| (x[k], 1.0)));
        for k in r {
            let b = lp.arc_bucket[k] as usize;
            let u = f64::from(lp.units[t]);
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
    let mut model = pb.optimise(Sense::Minimise);
    model.make_quiet();
    let opt = |e: highs::TrySetOptionError| Error::Solver(format!("HiGHS option: {e:?}"));
    model
        .try_set_option("time_limit", time_limit)
        .map_err(opt)?;
    model.try_set_option("mip_rel_gap", 0.0).map_err(opt)?;
    model.try_set_option("threads", 1).map_err(opt)?;
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

/// Heuristic, then the MIP within the time left; keeps the better plan and bound.
fn heuristic_then_mip(l: &Local, deadline: Option<Instant>, forced: bool) -> Result<Answer> {
    let mut ans = heuristic(l)?;
    if ans.status == PlanStatus::Optimal {
        return Ok(ans);
    }
    let left = deadline.map_or(0.0, |d| {
        d.saturating_duration_since(Instant::now()).as_secs_f64()
    });
    if left <= 0.0 {
        if forced {
            ans.status = PlanStatus::TimeLimit;
        }
        return Ok(ans);
    }
    let (choice, lb, timed_out) = mip(l, left)?;
    ans.method = Method::Mip;
    if let Some(c) = choice {
        // A solution HiGHS reports must pass our own check; if not, keep the heuristic.
        if let Ok(obj) = evaluate_choice(&l.lp, &c) {
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

fn solve_component(l: &Local, o: &AssignOptions, deadline: Option<Instant>) -> Result<Answer> {
    let unit = l.lp.units.iter().all(|&u| u == 1);
    match o.method {
        Method::Auto | Method::Flow if unit => exact_flow(l),
        Method::Flow | Method::Heuristic => heuristic(l),
        Method::Auto => {
            let dl = (l.lp.arc_bucket.len() <= AUTO_MIP_ARCS)
                .then_some(deadline)
                .flatten();
            heuristic_then_mip(l, dl, false)
        }
        Method::Mip => heuristic_then_mip(l, deadline, true),
    }
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
    let comps: Vec<Local> = components(&p)
        .into_iter()
        .map(|c| localise(&p, c))
        .collect();
    let answers = comps
        .par_iter()
        .map(|l| solve_component(l, options, deadline))
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
            (Ok(_), None) => unassigned.push((ticket.id.clone(), UnassignedReason::Capacity)),
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
/// sequential bookings are a feasible plan, an optimal joint plan is never worse.
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
                let t = index.get(a.ticket_id.as_str()).copied().unwrap_or(0);
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
