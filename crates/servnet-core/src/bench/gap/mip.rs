//! The GAP as a binary program through HiGHS, with a time limit.

use super::{finish, GapInstance, GapMethod, GapSolution};
use crate::solver::highs_driver::{self, Settings};
use crate::solver::SolveStatus;
use crate::{Error, Result};
use highs::{RowProblem, Sense};
use std::time::Instant;

/// Options of [`solve_mip`].
#[derive(Debug, Clone, PartialEq)]
pub struct MipOptions {
    /// Wall-clock limit in seconds for HiGHS.
    pub time_limit: f64,
    /// HiGHS threads (0 = HiGHS' default).
    pub threads: u32,
    /// A feasible assignment to start from (HiGHS' first incumbent), e.g. the
    /// Lagrangian heuristic's; `None`: HiGHS finds its own.
    pub start: Option<Vec<Option<usize>>>,
}

impl Default for MipOptions {
    fn default() -> Self {
        MipOptions {
            time_limit: 60.0,
            threads: 0,
            start: None,
        }
    }
}

/// Solves the GAP exactly as a binary program with HiGHS (directly through the `highs`
/// crate, which exposes the MIP dual bound that good_lp does not).
pub fn solve_mip(g: &GapInstance, options: &MipOptions) -> Result<GapSolution> {
    let clock = Instant::now();
    g.validate()?;
    if options.time_limit.is_nan() || options.time_limit <= 0.0 {
        return Err(Error::argument("time_limit", "must be > 0 seconds"));
    }
    let (m, n) = (g.agents, g.jobs);
    if n == 0 {
        return Ok(finish(
            g,
            vec![],
            Some(0),
            0,
            SolveStatus::Optimal,
            GapMethod::Mip,
            clock,
        ));
    }
    let mut pb = RowProblem::default();
    let x: Vec<_> = (0..m * n)
        .map(|k| pb.add_integer_column(g.cost[k] as f64, 0..=1))
        .collect();
    let u: Vec<_> = match &g.unassigned_penalty {
        Some(p) => p
            .iter()
            .map(|&c| Some(pb.add_integer_column(c as f64, 0..=1)))
            .collect(),
        None => vec![None; n],
    };
    for j in 0..n {
        let mut row: Vec<_> = (0..m).map(|i| (x[g.at(i, j)], 1.0)).collect();
        if let Some(c) = u[j] {
            row.push((c, 1.0));
        }
        pb.add_row(1.0..=1.0, row);
    }
    for i in 0..m {
        let row: Vec<_> = (0..n)
            .filter(|&j| g.weight[g.at(i, j)] != 0)
            .map(|j| (x[g.at(i, j)], g.weight[g.at(i, j)] as f64))
            .collect();
        pb.add_row(..=g.capacity[i] as f64, row);
    }
    // Columns are numbered in order: x (agent-major), then the unassigned ones.
    let start = options
        .start
        .as_ref()
        .filter(|a| a.len() == n && g.evaluate(a).is_ok())
        .map(|a| {
            let mut v = vec![0.0; m * n + u.iter().flatten().count()];
            for (j, agent) in a.iter().enumerate() {
                match (agent, u[j]) {
                    (Some(i), _) => v[x[g.at(*i, j)].index()] = 1.0,
                    (None, Some(c)) => v[c.index()] = 1.0,
                    (None, None) => {}
                }
            }
            v
        });
    let out = highs_driver::run(
        pb,
        Sense::Minimise,
        &Settings {
            time_limit: options.time_limit,
            mip: true,
            mip_rel_gap: Some(0.0),
            threads: (options.threads > 0).then_some(options.threads as i32),
            start: start.as_deref(),
            ..Settings::default()
        },
    )?;
    if out.status == SolveStatus::Infeasible {
        return Ok(finish(
            g,
            vec![],
            None,
            i64::MAX,
            SolveStatus::Infeasible,
            GapMethod::Mip,
            clock,
        ));
    }
    let has_solution = !out.columns.is_empty();
    let bound = out.bound;
    let mut lower_bound = if bound.is_finite() {
        (bound - 1e-6).ceil() as i64
    } else {
        i64::MIN
    };
    let (assignment, objective) = if has_solution {
        let cols = &out.columns;
        let a: Vec<Option<usize>> = (0..n)
            .map(|j| (0..m).find(|&i| cols[g.at(i, j)] > 0.5))
            .collect();
        let obj = g
            .evaluate(&a)
            .map_err(|e| Error::Solver(format!("HiGHS solution: {e}")))?;
        (a, Some(obj))
    } else {
        (vec![None; n], None)
    };
    let status = match (out.status, objective) {
        (SolveStatus::Optimal, Some(o)) => {
            lower_bound = o;
            SolveStatus::Optimal
        }
        (_, Some(o)) if lower_bound >= o => {
            lower_bound = o;
            SolveStatus::Optimal
        }
        _ if out.stopped => SolveStatus::TimeLimit,
        (_, Some(_)) => SolveStatus::Feasible,
        (other, None) => {
            return Err(Error::Solver(format!(
                "HiGHS ended with {other:?} and no solution"
            )))
        }
    };
    Ok(finish(
        g,
        assignment,
        objective,
        lower_bound,
        status,
        GapMethod::Mip,
        clock,
    ))
}
