//! The exact min-cost flow solvers of batch assignment: [`solve_transport`] for the
//! bipartite transport structure (this file, with `problem`, `auction` and `ssp`), and
//! [`solve_layered`] for the three-layer network with outlet-wide caps (`layered`).
//!
//! **Transport.**
//!
//! Tickets have unit demand; buckets (outlet x skill x day) have integer capacities;
//! each ticket has a short list of eligible buckets with integer costs and may stay
//! unassigned at a penalty. This is a transportation problem, and [`solve_transport`]
//! solves it exactly in three steps:
//!
//! 1. a forward auction with ε-scaling (each bucket a heap of priced slots) finds
//!    near-optimal bucket prices and an assignment fast, also where capacity is tight
//!    and shortest paths would each cross a large congested region. It is only a warm
//!    start: nothing in it needs to be exact;
//! 2. the exact phase keeps each ticket where the auction put it only if that is
//!    exactly its cheapest option at the bucket prices (a bucket's price is its
//!    cheapest slot), so complementary slackness holds for every placed ticket;
//! 3. every ticket left over is routed along a shortest augmenting path, found by
//!    Dijkstra on reduced costs. The search runs over buckets only (a ticket in a
//!    bucket is reached at the bucket's distance, because its assignment arc is
//!    tight), stops as soon as no shorter path can exist, and skips the tail of each
//!    ticket's cost-sorted arc list once the arc cost alone cannot beat the best path.
//!    The dual potentials (bucket prices `p_b >= 0`, ticket values `u_t`) are updated
//!    after each path so that complementary slackness holds throughout. A bucket the
//!    auction left priced but not full (a "deficit") is a valid path end; those still
//!    left at the end are filled by the mirror search, backwards from the bucket to a
//!    place a ticket can leave, which lowers prices instead of raising them.
//!
//! The proof of optimality is the dual bound: for any prices `p >= 0`,
//! `sum_t min(penalty_t, min_b (c_tb + p_b)) - sum_b cap_b * p_b` is a lower bound on
//! every assignment (Lagrangian relaxation of the capacities). It is recomputed from
//! the final prices, independently of the search, and equals the objective when the
//! solution is optimal.

mod auction;
mod layered;
mod problem;
mod ssp;

pub use layered::{solve_layered, LayeredProblem, LayeredSolution};
pub use problem::{TransportProblem, TransportSolution, TransportStats, MAX_ABS_COST};

use crate::{Error, Result};
use auction::run_auction;
use ssp::{Ssp, DUMMY};
use std::time::Instant;

/// Solves a [`TransportProblem`] to proven optimality (auction warm start, then
/// successive shortest paths with dual potentials). Deterministic: the same input
/// gives the same output (fixed bidding and routing orders, ties to the lowest index).
///
/// `Err` only for malformed input; every ticket can always stay unassigned, so a
/// problem is never infeasible.
pub fn solve_transport(problem: &TransportProblem) -> Result<TransportSolution> {
    let clock = Instant::now();
    problem.validate()?;
    let mut ssp = Ssp::new(problem);
    let narrow: Option<Vec<(i32, u32)>> = ssp
        .arc
        .iter()
        .map(|&(c, b)| i32::try_from(c).ok().map(|c| (c, b)))
        .collect();
    let (price, assign, bids) = match &narrow {
        Some(arc) => run_auction(&ssp, arc),
        None => run_auction(&ssp, &ssp.arc),
    };
    drop(narrow);
    ssp.stats.auction_bids = bids;
    ssp.warm_start(price, &assign);
    ssp.stats.start_seconds = clock.elapsed().as_secs_f64();
    ssp.route_all();
    // Priced buckets left with room are filled backwards; if that ever ran out of
    // budget, they are cleared (prices to 0, tickets that now prefer them unrouted)
    // and re-routed. Neither kind of path creates new ones.
    let budget = 4 * problem.tickets as u64 + problem.buckets as u64;
    if !ssp.fill_deficits(budget) {
        while ssp.zero_deficits() {
            ssp.route_all();
        }
    }
    let assignment: Vec<Option<u32>> = ssp
        .assign
        .iter()
        .map(|&b| ((b as usize) < problem.buckets).then_some(b))
        .collect();
    let mut objective: i64 = 0;
    for t in 0..problem.tickets {
        objective += match ssp.assign[t] {
            DUMMY => problem.unassigned_penalty[t],
            b => ssp.arc[ssp.start[t]..ssp.start[t + 1]]
                .iter()
                .find(|a| a.1 == b)
                .map(|a| a.0)
                .ok_or_else(|| Error::Solver(format!("ticket {t} left unrouted")))?,
        };
    }
    let lower_bound = problem.dual_bound(&ssp.price)?;
    let mut stats = std::mem::take(&mut ssp.stats);
    stats.seconds = clock.elapsed().as_secs_f64();
    Ok(TransportSolution {
        assignment,
        objective,
        lower_bound,
        bucket_price: ssp.price,
        stats,
    })
}

#[cfg(test)]
mod tests;
