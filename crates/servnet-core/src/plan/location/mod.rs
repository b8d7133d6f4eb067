//! Facility location on a plain, index-based instance: which candidate sites to open,
//! and which demand points each serves.
//!
//! Models (each returns a [`LocationResult`] with objective, a valid lower bound and
//! the gap between them):
//!
//! - [`pmedian`]: least total weighted distance with exactly `p` open sites; exact MIP
//!   for small cases, greedy + fast interchange with a Lagrangian bound for large ones.
//! - [`cflp`]: capacitated facility location (fixed costs, capacities, size modules),
//!   multi-source or single-source; MIP with a time limit, and a Lagrangian heuristic.
//! - [`covering`]: set covering (every point within its radius at least cost) and
//!   maximal coverage (most demand covered with `p` sites); MIP and greedy.
//! - [`sparse`]: sites x points kept sparse (only pairs within reach) with fixed
//!   costs and a count, for national scale: swap local search and a Lagrangian bound.
//!
//! The OR-Library readers and the synthetic instances used to measure these models are
//! in `crate::bench::location` (the `bench` feature).
//!
//! A later step builds [`LocationInstance`]s from the network and the forecast; this
//! layer knows nothing of outlets or tickets. MIPs use the `highs` crate directly
//! (good_lp's own dependency) because good_lp does not expose HiGHS's MIP dual bound.

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

pub mod cflp;
mod cflp_flow;
mod cflp_moves;
pub mod covering;
// The shared HiGHS driver, under the name these models call it by.
use crate::solver::highs_driver as highs_util;
pub mod pmedian;
pub mod sparse;

/// An extra block of capacity a site can be built with (e.g. one more service bay).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SizeModule {
    /// Capacity added by one module, in demand units.
    pub capacity: f64,
    /// Cost of one module.
    pub cost: f64,
    /// Most modules of this kind the site can take.
    pub max_count: u32,
}

/// A candidate site.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Site {
    /// Cost of opening the site (0 for p-median / covering-by-count).
    pub fixed_cost: f64,
    /// Capacity when open, before modules; `f64::INFINITY` for uncapacitated.
    pub capacity: f64,
    /// Optional size modules (only usable when the site is open).
    pub modules: Vec<SizeModule>,
}

impl Site {
    /// An uncapacitated site with the given fixed cost and no modules.
    pub fn uncapacitated(fixed_cost: f64) -> Self {
        Site {
            fixed_cost,
            capacity: f64::INFINITY,
            modules: Vec::new(),
        }
    }

    /// Largest capacity the site can reach with all its modules.
    pub fn max_capacity(&self) -> f64 {
        self.capacity
            + self
                .modules
                .iter()
                .map(|m| m.capacity * f64::from(m.max_count))
                .sum::<f64>()
    }
}

/// How the matrix entries turn into assignment costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CostBasis {
    /// Entry `(i, j)` is a distance (or cost per unit); serving point `j` fully from
    /// site `i` costs `demand[j] * entry`. Covering reads the entry as a distance.
    PerUnit,
    /// Entry `(i, j)` is the cost of serving all of point `j`'s demand from site `i`
    /// (OR-Library `cap*` files).
    Total,
}

/// A dense sites x demand-points matrix of `f64`, row-major by site.
///
/// `f64::INFINITY` marks a forbidden pair (site cannot serve that point).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostMatrix {
    rows: usize,
    cols: usize,
    data: Vec<f64>,
}

impl CostMatrix {
    /// A matrix from row-major data (`rows * cols` entries, `data[i * cols + j]`).
    ///
    /// Errors if the length does not match or an entry is NaN or negative.
    pub fn new(rows: usize, cols: usize, data: Vec<f64>) -> Result<Self> {
        if rows.checked_mul(cols) != Some(data.len()) {
            return Err(Error::argument(
                "data",
                format!("expected {rows} x {cols} entries, got {}", data.len()),
            ));
        }
        if let Some(k) = data.iter().position(|v| v.is_nan() || *v < 0.0) {
            return Err(Error::argument(
                "data",
                format!(
                    "entry ({}, {}) is {}; expected >= 0 or +inf",
                    k / cols.max(1),
                    k % cols.max(1),
                    data[k]
                ),
            ));
        }
        Ok(CostMatrix { rows, cols, data })
    }

    /// Number of rows (sites).
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns (demand points).
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Entry `(site, point)`.
    pub fn get(&self, site: usize, point: usize) -> f64 {
        self.data[site * self.cols + point]
    }

    /// One site's row.
    pub fn row(&self, site: usize) -> &[f64] {
        &self.data[site * self.cols..(site + 1) * self.cols]
    }
}

/// A facility location instance: candidate sites, demand points, and the matrix
/// linking them. Build it with [`LocationInstance::new`], which validates once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocationInstance {
    sites: Vec<Site>,
    demand: Vec<f64>,
    matrix: CostMatrix,
    basis: CostBasis,
}

impl LocationInstance {
    /// Validates and builds an instance.
    ///
    /// Errors if the matrix shape does not match the sites and points, a demand or
    /// fixed cost is negative or not finite, a capacity is negative or NaN, or a
    /// module has a negative or non-finite capacity or cost.
    pub fn new(
        sites: Vec<Site>,
        demand: Vec<f64>,
        matrix: CostMatrix,
        basis: CostBasis,
    ) -> Result<Self> {
        if matrix.rows() != sites.len() || matrix.cols() != demand.len() {
            return Err(Error::argument(
                "matrix",
                format!(
                    "shape {} x {} does not match {} sites x {} demand points",
                    matrix.rows(),
                    matrix.cols(),
                    sites.len(),
                    demand.len()
                ),
            ));
        }
        let finite_nonneg = |v: f64| v.is_finite() && v >= 0.0;
        if let Some(j) = demand.iter().position(|d| !finite_nonneg(*d)) {
            return Err(Error::argument(
                "demand",
                format!(
                    "point {j}: expected a finite number >= 0, got {}",
                    demand[j]
                ),
            ));
        }
        for (i, s) in sites.iter().enumerate() {
            if !finite_nonneg(s.fixed_cost) {
                return Err(Error::argument(
                    "sites",
                    format!(
                        "site {i}: fixed cost {} must be finite and >= 0",
                        s.fixed_cost
                    ),
                ));
            }
            if s.capacity.is_nan() || s.capacity < 0.0 {
                return Err(Error::argument(
                    "sites",
                    format!("site {i}: capacity {} must be >= 0", s.capacity),
                ));
            }
            if s.modules
                .iter()
                .any(|m| !finite_nonneg(m.capacity) || !finite_nonneg(m.cost))
            {
                return Err(Error::argument(
                    "sites",
                    format!("site {i}: module capacity and cost must be finite and >= 0"),
                ));
            }
        }
        Ok(LocationInstance {
            sites,
            demand,
            matrix,
            basis,
        })
    }

    /// The candidate sites.
    pub fn sites(&self) -> &[Site] {
        &self.sites
    }

    /// Demand (weight) per demand point.
    pub fn demand(&self) -> &[f64] {
        &self.demand
    }

    /// The sites x points matrix.
    pub fn matrix(&self) -> &CostMatrix {
        &self.matrix
    }

    /// How matrix entries become costs.
    pub fn basis(&self) -> CostBasis {
        self.basis
    }

    /// Number of candidate sites.
    pub fn n_sites(&self) -> usize {
        self.sites.len()
    }

    /// Number of demand points.
    pub fn n_points(&self) -> usize {
        self.demand.len()
    }

    /// Cost of serving all of point `j` from site `i` (`+inf` if forbidden).
    pub fn assign_cost(&self, i: usize, j: usize) -> f64 {
        let m = self.matrix.get(i, j);
        match self.basis {
            CostBasis::Total => m,
            CostBasis::PerUnit => {
                if self.demand[j] == 0.0 && m.is_finite() {
                    0.0
                } else {
                    self.demand[j] * m
                }
            }
        }
    }

    /// Total demand over all points.
    pub fn total_demand(&self) -> f64 {
        self.demand.iter().sum()
    }

    /// All assignment costs as a dense row-major `Vec` (site-major).
    pub(crate) fn cost_table(&self) -> Vec<f64> {
        let n = self.n_points();
        let mut out = Vec::with_capacity(self.n_sites() * n);
        for i in 0..self.n_sites() {
            for j in 0..n {
                out.push(self.assign_cost(i, j));
            }
        }
        out
    }
}

pub use crate::solver::SolveStatus;

/// Which algorithm produced a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Method {
    /// Mixed-integer programming with HiGHS.
    Mip,
    /// Greedy construction plus fast interchange local search, Lagrangian bound.
    GreedyInterchange,
    /// Lagrangian relaxation with subgradient optimisation and a repair heuristic.
    Lagrangian,
    /// Greedy construction only (bound from a simple relaxation or none).
    Greedy,
}

/// Which site(s) serve each demand point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Assignment {
    /// Each point is served by one site, or by none (`None`: not covered / infeasible).
    Single(Vec<Option<usize>>),
    /// Each point's demand is split: `(site, fraction)` pairs, fractions summing to 1,
    /// sorted by site index.
    Split(Vec<Vec<(usize, f64)>>),
}

/// The common result of every location model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LocationResult {
    /// Open sites, ascending.
    pub open: Vec<usize>,
    /// For each open site (same order as `open`), how many of each of its size
    /// modules are built; empty vectors where a site has no modules.
    pub modules: Vec<Vec<u32>>,
    /// Which site(s) serve each demand point.
    pub assignment: Assignment,
    /// Objective of the returned solution (cost; for maximal coverage the covered
    /// demand, and then `lower_bound` is an upper bound: see `gap`).
    pub objective: f64,
    /// A valid bound on the optimum: a lower bound for minimisation; for maximal
    /// coverage (a maximisation) an upper bound.
    pub lower_bound: f64,
    /// Relative gap `|objective - bound| / max(|objective|, 1e-9)`; 0 when proven optimal.
    pub gap: f64,
    /// How the solve ended.
    pub status: SolveStatus,
    /// The algorithm used.
    pub method: Method,
    /// Wall-clock seconds spent.
    pub seconds: f64,
}

/// Relative gap between a solution value and a bound.
pub(crate) fn relative_gap(objective: f64, bound: f64) -> f64 {
    if !objective.is_finite() || !bound.is_finite() {
        return f64::INFINITY;
    }
    let diff = (objective - bound).abs();
    if diff <= 1e-9 * objective.abs().max(1.0) {
        0.0
    } else {
        diff / objective.abs().max(1e-9)
    }
}

/// Options shared by the solvers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SolveOptions {
    /// Wall-clock limit in seconds for MIP solves and heuristic improvement phases.
    pub time_limit: f64,
    /// Relative gap at which a MIP stops as optimal (HiGHS `mip_rel_gap`).
    pub mip_rel_gap: f64,
    /// Seed for any randomised step (perturbations); the same seed gives the same result.
    pub seed: u64,
    /// Subgradient iterations for Lagrangian bounds.
    pub lagrangian_iterations: usize,
    /// Perturbation rounds of the iterated local search (0: plain local search).
    pub perturbations: usize,
}

impl Default for SolveOptions {
    fn default() -> Self {
        SolveOptions {
            time_limit: 60.0,
            mip_rel_gap: 1e-6,
            seed: 0x5EED,
            lagrangian_iterations: 600,
            perturbations: 0,
        }
    }
}

pub(crate) use crate::rng::SplitMix64;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests;
