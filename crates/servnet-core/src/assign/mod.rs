//! Batch assignment: the joint re-assignment of a backlog of tickets to outlets,
//! [`assign`], built from the dispatcher's rules.
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
//!    ([`transport::solve_layered`]). Tickets of several units make it a GAP: the
//!    heuristic solves the flow relaxation (a valid LP bound), fixes every ticket it does
//!    not split and repairs the rest greedily, then improves by shifts; the MIP (HiGHS,
//!    sparse, time limit) proves or closes the gap where it can.
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
//!
//! The files: `options` (what the caller sets), `problem` (the backlog as arcs,
//! buckets, groups and side rows), `components` (independent parts, their exact flow
//! and the answer type), `heuristic` (Lagrangian pricing, repair, shifts), `mip`
//! (HiGHS on the components that need it), `result` (the plan and why tickets are
//! out), `baseline` (the same backlog dispatched one by one), and `transport` (the
//! exact flow solvers).

mod baseline;
mod components;
mod export;
mod heuristic;
mod keys;
mod live;
mod mip;
mod options;
mod problem;
mod result;
mod table;
pub mod transport;

/// The steps of [`compare_with_sequential`], for timing them one by one.
#[cfg(feature = "bench")]
pub(crate) mod phases {
    pub(crate) use super::baseline::{batch_policy, score};
    pub(crate) use super::{prepare, solve_built};
}

pub use crate::solver::SolveStatus;
pub use baseline::{
    compare_with_sequential, compare_with_sequential_on, BaselineDispatcher, SequentialBaseline,
};
pub use export::transport_instance;
pub use options::{AssignOptions, Method, RegionQuota, AUTO_MIP_ARCS, DEFAULT_GAP_TOLERANCE};
pub use problem::COST_SCALE;
pub use result::{AssignmentPlan, PlannedAssignment, UnassignedReason};

use crate::dispatch::Dispatcher;
use crate::model::Ticket;
use crate::Result;
use components::{components, first_pass, localise, Local, LocalIds};
use live::LiveTotals;
use mip::{mip_pass, pick_for_mip};
use problem::{build, Arc, Side};
use rayon::prelude::*;
use result::quota_reason;
use std::time::Instant;

/// How general a method is (flow < heuristic < mip): the plan reports the most general
/// any component needed.
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
    let (p, clock) = prepare(backlog, dispatcher, options)?;
    solve_built(&p, clock, backlog, dispatcher, options)
}

/// Checks the options and builds the backlog's problem from the dispatcher's rules at
/// its current loads (eligibility on every core), with the instant the plan started
/// (its `seconds` count the build). Once built, solving it reads only the dispatcher's
/// network and start date, not its ledger: the sequential baseline books on the same
/// dispatcher while the problem is solved.
pub(crate) fn prepare(
    backlog: &[Ticket],
    dispatcher: &Dispatcher,
    options: &AssignOptions,
) -> Result<(problem::Problem, Instant)> {
    let clock = Instant::now();
    options.validate()?;
    Ok((build(dispatcher, backlog, options)?, clock))
}

/// Solves `p` (built from `backlog` at `clock`) into the plan.
pub(crate) fn solve_built(
    p: &problem::Problem,
    clock: Instant,
    backlog: &[Ticket],
    dispatcher: &Dispatcher,
    options: &AssignOptions,
) -> Result<AssignmentPlan> {
    let deadline = (options.time_limit > 0.0)
        .then(|| clock + std::time::Duration::from_secs_f64(options.time_limit.min(1e7)));
    let groups = components(p);
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
    let mut ids = LocalIds::new(p);
    let mut comps: Vec<Local> = groups
        .into_iter()
        .zip(&comp_sides)
        .map(|(c, sides)| localise(p, c, sides, &pos, &mut ids))
        .collect();
    let first = comps
        .par_iter_mut()
        .map(|l| first_pass(l, options))
        .collect::<Result<Vec<_>>>()?;
    let fixed: i64 = (0..backlog.len())
        .filter(|&t| p.arcs[t].is_err())
        .map(|t| p.penalty[t])
        .sum();
    let pick = pick_for_mip(&comps, &first, fixed, options);
    let forced = options.method == Method::Mip;
    let tolerance = options.gap_tolerance / 2.0;
    // Live figures for a progress bar: the first pass's, then every MIP's improvements.
    let live = crate::solver::progress::current().map(|p| LiveTotals::new(p, fixed, &first));
    let answers = comps
        .par_iter()
        .zip(first)
        .zip(pick)
        .enumerate()
        .map(|(i, ((l, a), p))| {
            if p {
                mip_pass(
                    l,
                    a,
                    deadline,
                    forced,
                    tolerance,
                    live.as_ref().map(|t| (t, i)),
                )
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
    let mut status = SolveStatus::Optimal;
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
                let reason = quota_reason(p, &chosen, t, list)
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
                    .filter(|&c| outlets.get(a.outlet as usize).is_none_or(|o| &o.id != c));
                let move_gain = from.and_then(|c| {
                    let old = dispatcher.network().outlet_index(c)? as u32;
                    let best = list
                        .iter()
                        .filter(|x| x.outlet == old)
                        .map(Arc::score_cost)
                        .min()?;
                    Some((best - a.score_cost()) as f64 / COST_SCALE)
                });
                assignments.push(PlannedAssignment {
                    ticket_id: ticket.id.clone(),
                    outlet_id: outlets
                        .get(a.outlet as usize)
                        .map(|o| o.id.clone())
                        .unwrap_or_default(),
                    day: a.day,
                    date: crate::io::day_date(dispatcher.start_date(), a.day),
                    units: ticket.units,
                    score: a.score,
                    distance_km: a.distance_km,
                    late_days: a.late_days,
                    moved_from: from.cloned(),
                    move_gain,
                })
            }
        }
    }
    let lower_bound = lower_bound.min(objective);
    let obj = objective as f64 / COST_SCALE;
    let plan = AssignmentPlan {
        assignments,
        unassigned,
        objective: obj,
        lower_bound: lower_bound as f64 / COST_SCALE,
        gap: (objective - lower_bound) as f64 / (objective.abs() as f64).max(COST_SCALE),
        method,
        status,
        components: comps.len(),
        seconds: clock.elapsed().as_secs_f64(),
    };
    Ok(plan)
}
