//! The same backlog dispatched one ticket at a time, scored as the plan is:
//! what joint assignment gains over sequential dispatch.

use super::options::AssignOptions;
use super::problem::{to_cost, Problem, COST_SCALE};
use super::result::AssignmentPlan;
use super::{prepare, solve_built};
use crate::dispatch::{arrival_order, Assignment, Dispatcher, Policy};
use crate::model::{Network, Ticket};
use crate::Result;
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// `policy` without its fallbacks: the plan and the sequential dispatch it is compared
/// with obey the same hard rules.
fn no_fallbacks(policy: &Policy) -> Policy {
    let mut policy = policy.clone();
    policy.fallback.clear();
    policy
}

/// `policy` as both sides of [`compare_with_sequential`] use it: no fallbacks, and day
/// 0 the backlog's first day unless the policy sets it.
pub(crate) fn batch_policy(policy: &Policy, backlog: &[Ticket]) -> Policy {
    let mut policy = no_fallbacks(policy);
    if policy.start_date.is_none() {
        policy.start_date = backlog.iter().map(|t| t.created_at.date()).min();
    }
    policy
}

/// A fresh dispatcher for [`compare_with_sequential_on`]: `policy` without fallbacks
/// over `network`, laid out before the backlog is known (so that a caller can build it
/// while the backlog is read); day 0 is the policy's, else the backlog's first day, as
/// in [`compare_with_sequential`].
pub struct BaselineDispatcher(Dispatcher);

impl BaselineDispatcher {
    /// Lays `network` out under `policy` without its fallbacks.
    pub fn new(network: Network, policy: &Policy) -> Result<Self> {
        Ok(BaselineDispatcher(Dispatcher::new(
            network,
            no_fallbacks(policy),
        )?))
    }
}

/// Sequential dispatch of the same tickets, scored with the plan's objective.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SequentialBaseline {
    /// The objective of [`super::assign`] evaluated on the sequential bookings (score points).
    pub objective: f64,
    /// Tickets booked.
    pub assigned: usize,
    /// Mean road km of booked tickets.
    pub mean_distance_km: f64,
    /// Wall-clock seconds of the sequential dispatch.
    pub seconds: f64,
}

/// Plans `backlog` jointly and, on the same network and capacities (the plan's
/// dispatcher, once the plan's arcs are built at its starting loads), dispatches it one
/// by one in arrival order; both under `policy` without
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
    let d = BaselineDispatcher::new(network.clone(), &batch_policy(policy, backlog))?;
    compare_with_sequential_on(backlog, d, options)
}

/// [`compare_with_sequential`] on a dispatcher laid out beforehand (over the network
/// and policy the comparison is to use).
pub fn compare_with_sequential_on(
    backlog: &[Ticket],
    d: BaselineDispatcher,
    options: &AssignOptions,
) -> Result<(AssignmentPlan, SequentialBaseline)> {
    // One dispatcher (one network copy, one index) for both sides: the plan's problem
    // is built first, from the fresh ledger with every core on eligibility (which fixes
    // day 0 if the policy did not); then the plan is solved while the baseline books the
    // same tickets one by one on that dispatcher (solving no longer reads its ledger).
    let d = d.0;
    let network = d.network();
    let (p, clock) = prepare(backlog, &d, options)?;
    // (the plan's progress figures go to the caller's observer, on rayon's thread too)
    let (plan, sequential) = rayon::join(
        crate::solver::progress::carried(|| solve_built(&p, clock, backlog, &d, options)),
        || {
            let clock = Instant::now();
            // The outcomes come in this order: outcome i is ticket order[i] (no look-up
            // by id string per ticket).
            let order = arrival_order(backlog);
            let outcomes = order
                .iter()
                .map(|&i| d.dispatch_undiagnosed(&backlog[i]))
                .collect::<Result<Vec<_>>>()?;
            let seconds = clock.elapsed().as_secs_f64();
            // Scored here, while the plan may still be solving.
            let (total, assigned, km) = score(&p, network, &order, &outcomes);
            Ok::<_, crate::Error>((total, assigned, km, seconds))
        },
    );
    let plan = plan?;
    let (total, assigned, km, seconds) = sequential?;
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

/// The plan's objective of the sequential bookings (`booked[i]` is ticket `order[i]`'s,
/// `None`: not booked), the tickets booked and their summed km.
pub(crate) fn score(
    p: &Problem,
    network: &Network,
    order: &[usize],
    booked: &[Option<Assignment>],
) -> (i64, usize, f64) {
    let mut total: i64 = 0;
    let (mut assigned, mut km) = (0usize, 0.0);
    for (&t, booking) in order.iter().zip(booked) {
        match booking {
            Some(a) => {
                let outlet = network.outlet_index(&a.outlet_id).map(|i| i as u32);
                let cost = p.arcs[t].as_ref().ok().and_then(|list| {
                    list.iter()
                        .filter(|x| Some(x.outlet) == outlet && x.day == a.day)
                        .map(|x| p.cost(t, x))
                        .min()
                });
                total += cost.unwrap_or_else(|| to_cost(a.breakdown.score));
                assigned += 1;
                km += a.breakdown.distance_km;
            }
            None => {
                total += p.penalty[t];
            }
        }
    }
    (total, assigned, km)
}
