//! The backlog's batch-assignment problem exported as one [`TransportProblem`], so that
//! other solvers (`scripts/compare_assign.py`) can be run on exactly the arcs
//! [`super::assign`] solves.

use super::baseline::batch_policy;
use super::options::AssignOptions;
use super::problem::build;
use super::transport::TransportProblem;
use crate::dispatch::{Dispatcher, Policy};
use crate::model::{Network, Ticket};
use crate::{Error, Result};

/// The problem [`super::compare_with_sequential`] plans for `backlog`, as a transport problem: one
/// ticket per backlog ticket (those no outlet may take have no arcs), buckets as
/// numbered by the assignment, costs and penalties in its integer units, so its optimum
/// is the plan's objective times [`super::COST_SCALE`].
///
/// `Err` for bad input as [`super::assign`], and when the problem is not a transport
/// problem: tickets of several units, an outlet-wide cap or a side row (quota,
/// emergency reserve) that can bind.
pub fn transport_instance(
    backlog: &[Ticket],
    network: &Network,
    policy: &Policy,
    options: &AssignOptions,
) -> Result<TransportProblem> {
    options.validate()?;
    let dispatcher = Dispatcher::new(network.clone(), batch_policy(policy, backlog))?;
    let p = build(&dispatcher, backlog, options)?;
    let not = |why: &str| Error::argument("backlog", format!("not a transport problem: {why}"));
    if p.units.iter().any(|&u| u != 1) {
        return Err(not("a ticket has several units"));
    }
    if p.group_binds.iter().any(|&b| b) {
        return Err(not("an outlet-wide cap can bind"));
    }
    if !p.sides.is_empty() {
        return Err(not("a quota or the emergency reserve can bind"));
    }
    let lists: Vec<Vec<(u32, i64)>> = p
        .arcs
        .iter()
        .enumerate()
        .map(|(t, a)| {
            a.as_ref()
                .map(|l| l.iter().map(|x| (x.bucket, p.cost(t, x))).collect())
                .unwrap_or_default()
        })
        .collect();
    TransportProblem::from_lists(p.bucket_cap, &lists, p.penalty)
}
