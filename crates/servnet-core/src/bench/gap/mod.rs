//! The generalised assignment problem (GAP): jobs with agent-dependent weights and
//! costs, agents with capacities; minimise total cost with every job on exactly one
//! agent (or, if allowed, unassigned at a penalty).
//!
//! Two solvers share one result type, [`GapSolution`]:
//! * [`solve_mip`]: the exact binary program through HiGHS, with a time limit; it
//!   reports the best solution, HiGHS' dual (best) bound and the gap;
//! * [`solve_lagrangian`]: for sizes a MIP cannot take. Relaxing the assignment
//!   constraints with multipliers `lambda_j` leaves one 0/1 knapsack per agent (solved
//!   exactly by dynamic programming), a bound at least as strong as the LP relaxation.
//!   Subgradient steps improve the bound; each knapsack solution is repaired into a
//!   feasible assignment and improved by shift / swap / ejection moves.
//!
//! Bench-only (the `bench` feature): the hidden `servnet bench-gap` command compares
//! these solvers with published optima; the product's own batch assignment is
//! [`crate::assign`].
//!
//! Maximisation problems (OR-Library gap1-12) are solved as [`GapInstance::negated`].

mod lagrangian;
mod mip;

pub use crate::solver::SolveStatus;
pub use lagrangian::{solve_lagrangian, LagrangianOptions};
pub use mip::{solve_mip, MipOptions};

use super::orlib_tokens::Tokens;
use crate::{Error, Result};
use std::time::Instant;

/// One GAP instance, minimisation. Matrices are agent-major: entry `(i, j)` is at
/// `i * jobs + j`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GapInstance {
    /// Number of agents (m).
    pub agents: usize,
    /// Number of jobs (n).
    pub jobs: usize,
    /// Cost of job j on agent i (m x n).
    pub cost: Vec<i64>,
    /// Capacity used by job j on agent i (m x n), >= 0.
    pub weight: Vec<i64>,
    /// Capacity of each agent (m), >= 0.
    pub capacity: Vec<i64>,
    /// If set, job j may stay unassigned at cost `penalty[j]`; if `None`, every job
    /// must be assigned.
    pub unassigned_penalty: Option<Vec<i64>>,
}

/// Which solver produced a [`GapSolution`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GapMethod {
    /// Binary program through HiGHS.
    Mip,
    /// Lagrangian relaxation (per-agent knapsacks) + repair + local search.
    Lagrangian,
}

/// Result of a GAP solve.
#[derive(Debug, Clone, PartialEq)]
pub struct GapSolution {
    /// Agent of each job (`None`: unassigned, only when penalties allow it, or when
    /// no feasible solution was found).
    pub assignment: Vec<Option<usize>>,
    /// Cost of `assignment`, `None` if no feasible solution was found.
    pub objective: Option<i64>,
    /// A proven lower bound on the optimum (rounded up: costs are integers).
    pub lower_bound: i64,
    /// `(objective - lower_bound) / max(1, |objective|)`, `None` without a solution.
    pub gap: Option<f64>,
    /// How the solve ended.
    pub status: SolveStatus,
    /// Which solver.
    pub method: GapMethod,
    /// Wall-clock seconds.
    pub seconds: f64,
}

impl GapInstance {
    /// Parses an OR-Library multi-instance file (gap1..gap12, gapa..gapd): P, then
    /// per problem `m n`, costs (m x n), weights (m x n), capacities (m).
    pub fn parse_orlib(text: &str) -> Result<Vec<GapInstance>> {
        let mut tok = Tokens::new("GAP instance text", text);
        let p = tok.size("number of problems P", 1_000_000)?;
        let mut out = Vec::with_capacity(p.min(64));
        for _ in 0..p {
            out.push(Self::parse_one(&mut tok)?);
        }
        tok.end()?;
        Ok(out)
    }

    /// Parses a single-instance file in Yagiura's format (as OR-Library, without P).
    pub fn parse_yagiura(text: &str) -> Result<GapInstance> {
        let mut tok = Tokens::new("GAP instance text", text);
        let g = Self::parse_one(&mut tok)?;
        tok.end()?;
        Ok(g)
    }

    fn parse_one(tok: &mut Tokens<'_>) -> Result<GapInstance> {
        let m = tok.size("number of agents m", 1_000_000)?;
        let n = tok.size("number of jobs n", 100_000_000)?;
        if m.saturating_mul(n) > 100_000_000 {
            return Err(Error::argument("m x n", format!("{m} x {n} is too large")));
        }
        let mut cost = Vec::with_capacity(m * n);
        for _ in 0..m * n {
            cost.push(tok.integer("cost")?);
        }
        let mut weight = Vec::with_capacity(m * n);
        for _ in 0..m * n {
            weight.push(tok.integer("weight")?);
        }
        let mut capacity = Vec::with_capacity(m);
        for _ in 0..m {
            capacity.push(tok.integer("capacity")?);
        }
        let g = GapInstance {
            agents: m,
            jobs: n,
            cost,
            weight,
            capacity,
            unassigned_penalty: None,
        };
        g.validate()?;
        Ok(g)
    }

    /// Checks sizes, signs (weights and capacities >= 0) and magnitudes (|x| <= 2^40).
    pub fn validate(&self) -> Result<()> {
        let mn = self.agents.saturating_mul(self.jobs);
        if self.cost.len() != mn || self.weight.len() != mn || self.capacity.len() != self.agents {
            return Err(Error::argument(
                "GapInstance",
                format!(
                    "cost and weight need m x n = {mn} entries, capacity m = {}",
                    self.agents
                ),
            ));
        }
        let big = 1i64 << 40;
        if self.cost.iter().any(|c| c.abs() > big) {
            return Err(Error::argument("cost", "|cost| must be <= 2^40"));
        }
        if self
            .weight
            .iter()
            .chain(&self.capacity)
            .any(|&w| !(0..=big).contains(&w))
        {
            return Err(Error::argument(
                "weight",
                "weights and capacities must be in 0..=2^40",
            ));
        }
        if let Some(p) = &self.unassigned_penalty {
            if p.len() != self.jobs || p.iter().any(|c| c.abs() > big) {
                return Err(Error::argument(
                    "unassigned_penalty",
                    "one |penalty| <= 2^40 per job",
                ));
            }
        }
        Ok(())
    }

    /// The same instance with costs (and penalties) negated: maximising `cost` is
    /// minimising the negated instance.
    pub fn negated(&self) -> GapInstance {
        GapInstance {
            cost: self.cost.iter().map(|c| -c).collect(),
            unassigned_penalty: self
                .unassigned_penalty
                .as_ref()
                .map(|p| p.iter().map(|c| -c).collect()),
            ..self.clone()
        }
    }

    fn at(&self, i: usize, j: usize) -> usize {
        i * self.jobs + j
    }

    /// Cost of an assignment, or an error naming the violated constraint.
    pub fn evaluate(&self, assignment: &[Option<usize>]) -> Result<i64> {
        if assignment.len() != self.jobs {
            return Err(Error::argument("assignment", "one entry per job expected"));
        }
        let mut load = vec![0i64; self.agents];
        let mut total = 0i64;
        for (j, a) in assignment.iter().enumerate() {
            match (a, &self.unassigned_penalty) {
                (Some(i), _) if *i < self.agents => {
                    total += self.cost[self.at(*i, j)];
                    load[*i] += self.weight[self.at(*i, j)];
                }
                (None, Some(p)) => total += p[j],
                _ => {
                    return Err(Error::argument(
                        "assignment",
                        format!("job {j} is not on a valid agent"),
                    ))
                }
            }
        }
        if let Some(i) = (0..self.agents).find(|&i| load[i] > self.capacity[i]) {
            return Err(Error::argument(
                "assignment",
                format!("agent {i} load {} > capacity {}", load[i], self.capacity[i]),
            ));
        }
        Ok(total)
    }
}

/// The Lagrangian heuristic for `lagrangian_share` of `time_limit` seconds, then the MIP
/// (one HiGHS thread) started from its plan for the rest: the MIP only has to improve
/// on the heuristic, and the better of the two bounds is reported. Method `Mip` when
/// the MIP improved the plan, else `Lagrangian`.
pub fn solve_combined(
    g: &GapInstance,
    time_limit: f64,
    lagrangian_share: f64,
) -> Result<GapSolution> {
    let clock = Instant::now();
    if !(time_limit.is_finite() && time_limit > 0.0) {
        return Err(Error::argument("time_limit", "must be > 0 seconds"));
    }
    let share = if lagrangian_share.is_finite() {
        lagrangian_share.clamp(0.05, 0.95)
    } else {
        0.3
    };
    let h = solve_lagrangian(
        g,
        &LagrangianOptions {
            time_limit: share * time_limit,
            ..LagrangianOptions::default()
        },
    )?;
    let left = time_limit - clock.elapsed().as_secs_f64();
    if h.status == SolveStatus::Optimal || left <= 0.05 {
        return Ok(GapSolution {
            seconds: clock.elapsed().as_secs_f64(),
            ..h
        });
    }
    let mip = solve_mip(
        g,
        &MipOptions {
            time_limit: left,
            threads: 1,
            start: h.objective.map(|_| h.assignment.clone()),
        },
    )?;
    let lower_bound = h.lower_bound.max(mip.lower_bound);
    let (assignment, objective, method) = match (h.objective, mip.objective) {
        (_, Some(b)) if h.objective.is_none_or(|a| b < a) => {
            (mip.assignment, mip.objective, GapMethod::Mip)
        }
        _ => (h.assignment, h.objective, GapMethod::Lagrangian),
    };
    let status = match objective {
        Some(o) if o <= lower_bound => SolveStatus::Optimal,
        Some(_) => SolveStatus::Feasible,
        None => mip.status,
    };
    let lower_bound = objective.map_or(lower_bound, |o| lower_bound.min(o));
    Ok(finish(
        g,
        assignment,
        objective,
        lower_bound,
        status,
        method,
        clock,
    ))
}

pub(super) fn finish(
    g: &GapInstance,
    assignment: Vec<Option<usize>>,
    objective: Option<i64>,
    lower_bound: i64,
    status: SolveStatus,
    method: GapMethod,
    clock: Instant,
) -> GapSolution {
    let gap = objective.map(|o| o.saturating_sub(lower_bound) as f64 / (o.abs().max(1)) as f64);
    let assignment = if objective.is_some() {
        assignment
    } else {
        vec![None; g.jobs]
    };
    GapSolution {
        assignment,
        objective,
        lower_bound,
        gap,
        status,
        method,
        seconds: clock.elapsed().as_secs_f64(),
    }
}

#[cfg(test)]
mod tests;
