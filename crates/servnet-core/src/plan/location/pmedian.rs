//! p-median: open exactly `p` sites so the total weighted cost of serving every demand
//! point from its nearest open site is least. Capacities and fixed costs are ignored.
//!
//! - [`pmedian_mip`]: the classic MIP (`x_ij <= y_i`) solved by HiGHS; exact for
//!   small instances (a few hundred points).
//! - [`pmedian_heuristic`]: greedy construction, then Whitaker's fast interchange
//!   (best improving swap per pass, candidates evaluated in parallel with rayon, each in
//!   `O(n + p)` from the nearest / second-nearest open site of every point), optionally
//!   iterated with seeded perturbations. The gap is reported against
//!   [`pmedian_lower_bound`], a Lagrangian relaxation of the assignment constraints
//!   whose value is a valid lower bound at every subgradient iteration.

use std::time::Instant;

use highs::{RowProblem, Sense};
use rayon::prelude::*;

use super::{
    highs_util, relative_gap, Assignment, LocationInstance, LocationResult, Method, SolveOptions,
    SolveStatus, SplitMix64,
};
use crate::solver::subgradient::StepSchedule;
use crate::{Error, Result};

fn check_p(inst: &LocationInstance, p: usize) -> Result<()> {
    if p == 0 || p > inst.n_sites() {
        return Err(Error::argument(
            "p",
            format!("expected 1..={} open sites, got {p}", inst.n_sites()),
        ));
    }
    if inst.n_points() == 0 {
        return Err(Error::argument("instance", "no demand points"));
    }
    Ok(())
}

/// A cost table with forbidden pairs replaced by a finite penalty larger than any
/// feasible solution, so sums and differences stay finite. Returns (table, penalty).
fn penalised_costs(inst: &LocationInstance) -> (Vec<f64>, f64) {
    let mut c = inst.cost_table();
    let max_finite = c
        .iter()
        .copied()
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    let penalty = (max_finite + 1.0) * (inst.n_points() as f64 + 1.0) * 4.0;
    for v in &mut c {
        if !v.is_finite() {
            *v = penalty;
        }
    }
    (c, penalty)
}

/// Nearest and second-nearest open site of every point, for fast swap evaluation.
struct State {
    n: usize,
    open: Vec<usize>,
    slot: Vec<usize>,
    phi1: Vec<usize>,
    d1: Vec<f64>,
    phi2: Vec<usize>,
    d2: Vec<f64>,
}

const NONE: usize = usize::MAX;

impl State {
    fn new(c: &[f64], m: usize, n: usize, open: Vec<usize>, far: f64) -> Self {
        let mut slot = vec![NONE; m];
        for (k, &i) in open.iter().enumerate() {
            slot[i] = k;
        }
        let mut s = State {
            n,
            open,
            slot,
            phi1: vec![NONE; n],
            d1: vec![far; n],
            phi2: vec![NONE; n],
            d2: vec![far; n],
        };
        for j in 0..n {
            s.refresh(c, j, far);
        }
        s
    }

    /// Recomputes nearest and second nearest of point `j` over the open sites
    /// (ties: lowest site index, since `open` is kept sorted).
    fn refresh(&mut self, c: &[f64], j: usize, far: f64) {
        let n = self.n;
        let (mut b1, mut v1, mut b2, mut v2) = (NONE, far, NONE, far);
        for &i in &self.open {
            let v = c[i * n + j];
            if v < v1 || b1 == NONE {
                b2 = b1;
                v2 = v1;
                b1 = i;
                v1 = v;
            } else if v < v2 || b2 == NONE {
                b2 = i;
                v2 = v;
            }
        }
        self.phi1[j] = b1;
        self.d1[j] = v1;
        self.phi2[j] = b2;
        self.d2[j] = v2;
    }

    fn objective(&self) -> f64 {
        self.d1.iter().sum()
    }

    /// Best swap (insert, remove, profit) over all closed candidates, or None if no
    /// swap improves by more than a relative 1e-12.
    fn best_swap(&self, c: &[f64], m: usize, far: f64) -> Option<(usize, usize, f64)> {
        let n = self.n;
        let p = self.open.len();
        let best = (0..m)
            .into_par_iter()
            .filter(|&i| self.slot[i] == NONE)
            .map_init(
                || vec![0.0f64; p],
                |loss, i| {
                    loss.iter_mut().for_each(|v| *v = 0.0);
                    let row = &c[i * n..(i + 1) * n];
                    let mut gain = 0.0;
                    for j in 0..n {
                        let v = row[j];
                        if v < self.d1[j] {
                            gain += self.d1[j] - v;
                        } else {
                            let d2 = if self.phi2[j] == NONE {
                                far
                            } else {
                                self.d2[j]
                            };
                            loss[self.slot[self.phi1[j]]] += v.min(d2) - self.d1[j];
                        }
                    }
                    let mut r = 0;
                    for k in 1..p {
                        if loss[k] < loss[r] {
                            r = k;
                        }
                    }
                    (gain - loss[r], i, self.open[r])
                },
            )
            .reduce(
                || (f64::NEG_INFINITY, NONE, NONE),
                |a, b| {
                    // larger profit wins; ties by lowest (insert, remove)
                    if b.0 > a.0 || (b.0 == a.0 && (b.1, b.2) < (a.1, a.2)) {
                        b
                    } else {
                        a
                    }
                },
            );
        let tol = 1e-12 * self.objective().abs().max(1.0);
        (best.1 != NONE && best.0 > tol).then_some((best.1, best.2, best.0))
    }

    /// Opens `ins`, closes `rem`, and updates nearest / second nearest.
    fn apply_swap(&mut self, c: &[f64], ins: usize, rem: usize, far: f64) {
        let n = self.n;
        let k = self.slot[rem];
        self.slot[rem] = NONE;
        self.open[k] = ins;
        self.open.sort_unstable();
        for (s, &i) in self.open.iter().enumerate() {
            self.slot[i] = s;
        }
        for j in 0..n {
            let v = c[ins * n + j];
            if self.phi1[j] == rem || self.phi2[j] == rem {
                self.refresh(c, j, far);
            } else if v < self.d1[j] || (v == self.d1[j] && ins < self.phi1[j]) {
                self.phi2[j] = self.phi1[j];
                self.d2[j] = self.d1[j];
                self.phi1[j] = ins;
                self.d1[j] = v;
            } else if v < self.d2[j] || (v == self.d2[j] && ins < self.phi2[j]) {
                self.phi2[j] = ins;
                self.d2[j] = v;
            }
        }
    }

    /// Runs best-improvement fast interchange to a local optimum (or the deadline).
    fn local_search(&mut self, c: &[f64], m: usize, far: f64, deadline: Instant) {
        while Instant::now() < deadline {
            match self.best_swap(c, m, far) {
                Some((ins, rem, _)) => self.apply_swap(c, ins, rem, far),
                None => break,
            }
        }
    }
}

/// Greedy construction: open, one at a time, the site that lowers the cost most.
fn greedy(c: &[f64], m: usize, n: usize, p: usize, far: f64) -> Vec<usize> {
    let mut d1 = vec![far; n];
    let mut is_open = vec![false; m];
    let mut open = Vec::with_capacity(p);
    for _ in 0..p {
        let best = (0..m)
            .into_par_iter()
            .filter(|&i| !is_open[i])
            .map(|i| {
                let row = &c[i * n..(i + 1) * n];
                let g: f64 = row.iter().zip(&d1).map(|(v, d)| (d - v).max(0.0)).sum();
                (g, i)
            })
            .reduce(
                || (f64::NEG_INFINITY, NONE),
                |a, b| {
                    if b.0 > a.0 || (b.0 == a.0 && b.1 < a.1) {
                        b
                    } else {
                        a
                    }
                },
            );
        if best.1 == NONE {
            break;
        }
        let i = best.1;
        is_open[i] = true;
        open.push(i);
        for (d, v) in d1.iter_mut().zip(&c[i * n..(i + 1) * n]) {
            if *v < *d {
                *d = *v;
            }
        }
    }
    open.sort_unstable();
    open
}

/// Columns sorted by cost: for each point, sites ascending by cost (ties by index).
struct SortedColumns {
    sites: Vec<Vec<u32>>,
    costs: Vec<Vec<f64>>,
}

impl SortedColumns {
    fn new(c: &[f64], m: usize, n: usize) -> Self {
        let (sites, costs) = (0..n)
            .into_par_iter()
            .map(|j| {
                let mut idx: Vec<u32> = (0..m as u32).collect();
                idx.sort_by(|&a, &b| {
                    c[a as usize * n + j]
                        .total_cmp(&c[b as usize * n + j])
                        .then(a.cmp(&b))
                });
                let cs = idx.iter().map(|&i| c[i as usize * n + j]).collect();
                (idx, cs)
            })
            .unzip();
        SortedColumns { sites, costs }
    }
}

/// Lagrangian lower bound for p-median (assignment constraints relaxed with
/// multipliers `u_j`): `L(u) = sum_j u_j + sum of the p smallest
/// rho_i = sum_j min(0, c_ij - u_j)`. Every `L(u)` is a valid lower bound; the best
/// over `iterations` subgradient steps (Polyak step toward `upper`) is returned.
/// When all costs are integers the bound is rounded up to the next integer.
///
/// `upper` is the value of any feasible solution (it only sets step sizes).
pub fn pmedian_lower_bound(
    inst: &LocationInstance,
    p: usize,
    upper: f64,
    iterations: usize,
) -> Result<f64> {
    check_p(inst, p)?;
    let (c, _) = penalised_costs(inst);
    let (m, n) = (inst.n_sites(), inst.n_points());
    let cols = SortedColumns::new(&c, m, n);
    Ok(lagrangian(&c, &cols, m, n, p, upper, iterations, None))
}

#[allow(clippy::too_many_arguments)]
fn lagrangian(
    c: &[f64],
    cols: &SortedColumns,
    m: usize,
    n: usize,
    p: usize,
    upper: f64,
    iterations: usize,
    start: Option<&[f64]>,
) -> f64 {
    // Start from the second-cheapest cost per point (or the caller's guess).
    let mut u: Vec<f64> = match start {
        Some(s) => s.to_vec(),
        None => cols
            .costs
            .iter()
            .map(|cs| cs.get(1).or(cs.first()).copied().unwrap_or(0.0))
            .collect(),
    };
    let integral = c.iter().all(|v| v.fract() == 0.0);
    let mut best = f64::NEG_INFINITY;
    let mut schedule = StepSchedule::new(2.0, 20, 1e-5);
    let mut chosen = vec![false; m];
    for _ in 0..iterations.max(1) {
        let rho = (0..n)
            .into_par_iter()
            .fold(
                || vec![0.0f64; m],
                |mut acc, j| {
                    for (k, &v) in cols.costs[j].iter().enumerate() {
                        if v >= u[j] {
                            break;
                        }
                        acc[cols.sites[j][k] as usize] += v - u[j];
                    }
                    acc
                },
            )
            .reduce(
                || vec![0.0f64; m],
                |mut a, b| {
                    a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
                    a
                },
            );
        let mut order: Vec<usize> = (0..m).collect();
        order.sort_by(|&a, &b| rho[a].total_cmp(&rho[b]).then(a.cmp(&b)));
        chosen.iter_mut().for_each(|x| *x = false);
        for &i in &order[..p] {
            chosen[i] = true;
        }
        let value: f64 = u.iter().sum::<f64>() + order[..p].iter().map(|&i| rho[i]).sum::<f64>();
        let improved = best == f64::NEG_INFINITY || value > best + 1e-12 * best.abs().max(1.0);
        if improved {
            best = value;
        }
        schedule.record(improved);
        let target = if integral { upper - 0.5 } else { upper };
        if best >= target - 1e-9 * upper.abs().max(1.0) || schedule.spent() {
            break;
        }
        let g: Vec<f64> = (0..n)
            .into_par_iter()
            .map(|j| {
                let mut served = 0.0;
                for (k, &v) in cols.costs[j].iter().enumerate() {
                    if v >= u[j] {
                        break;
                    }
                    if chosen[cols.sites[j][k] as usize] {
                        served += 1.0;
                    }
                }
                1.0 - served
            })
            .collect();
        let norm: f64 = g.iter().map(|x| x * x).sum();
        if norm == 0.0 {
            break; // the relaxed solution is feasible, hence optimal
        }
        let step = schedule.step((upper - value).max(1e-9 * upper.abs().max(1.0)), norm);
        for (uj, gj) in u.iter_mut().zip(&g) {
            *uj = (*uj + step * gj).max(0.0);
        }
    }
    if integral {
        (best - 1e-6).ceil()
    } else {
        best
    }
}

fn result_from(
    inst: &LocationInstance,
    state: &State,
    penalty: f64,
    bound: f64,
    method: Method,
    started: Instant,
) -> LocationResult {
    let infeasible = state.d1.iter().any(|&d| d >= penalty);
    let objective: f64 = if infeasible {
        f64::INFINITY
    } else {
        state.objective()
    };
    let gap = relative_gap(objective, bound);
    LocationResult {
        open: state.open.clone(),
        modules: state.open.iter().map(|_| Vec::new()).collect(),
        assignment: Assignment::Single(
            (0..inst.n_points())
                .map(|j| (!infeasible || state.d1[j] < penalty).then_some(state.phi1[j]))
                .collect(),
        ),
        objective,
        lower_bound: bound,
        gap,
        status: if infeasible {
            SolveStatus::Infeasible
        } else if gap == 0.0 {
            SolveStatus::Optimal
        } else {
            SolveStatus::Feasible
        },
        method,
        seconds: started.elapsed().as_secs_f64(),
    }
}

/// Greedy + fast interchange (+ `opts.perturbations` rounds of seeded perturbation
/// and re-optimisation), with a Lagrangian lower bound and the gap to it.
///
/// Deterministic for a given `opts.seed` unless `opts.time_limit` cuts the search.
/// Errors if `p` is 0 or more than the number of sites.
pub fn pmedian_heuristic(
    inst: &LocationInstance,
    p: usize,
    opts: &SolveOptions,
) -> Result<LocationResult> {
    check_p(inst, p)?;
    let started = Instant::now();
    let deadline = started + std::time::Duration::from_secs_f64(opts.time_limit.max(0.0));
    let (m, n) = (inst.n_sites(), inst.n_points());
    let (c, penalty) = penalised_costs(inst);
    let far = penalty * 2.0;
    let open = greedy(&c, m, n, p, far);
    let mut state = State::new(&c, m, n, open, far);
    state.local_search(&c, m, far, deadline);
    let cols = SortedColumns::new(&c, m, n);
    let mut best_open = state.open.clone();
    let mut best_value = state.objective();
    let mut bound = lagrangian(
        &c,
        &cols,
        m,
        n,
        p,
        best_value,
        opts.lagrangian_iterations,
        None,
    );
    let mut rng = SplitMix64::new(opts.seed);
    for _ in 0..opts.perturbations {
        if Instant::now() >= deadline || best_value <= bound {
            break;
        }
        // Replace a few open sites by random closed ones, then re-optimise.
        let mut trial = State::new(&c, m, n, best_open.clone(), far);
        let k = 1 + rng.below((p / 10).clamp(1, 5));
        for _ in 0..k.min(m - p) {
            let rem = trial.open[rng.below(p)];
            let mut ins = rng.below(m);
            while trial.slot[ins] != NONE {
                ins = (ins + 1) % m;
            }
            trial.apply_swap(&c, ins, rem, far);
        }
        trial.local_search(&c, m, far, deadline);
        let v = trial.objective();
        if v < best_value - 1e-12 * best_value.abs().max(1.0) {
            best_value = v;
            best_open = trial.open.clone();
        }
    }
    if best_value > bound {
        // A second bound run from scratch with the final upper bound can only help.
        bound = bound.max(lagrangian(
            &c,
            &cols,
            m,
            n,
            p,
            best_value,
            opts.lagrangian_iterations,
            None,
        ));
    }
    let state = State::new(&c, m, n, best_open, far);
    Ok(result_from(
        inst,
        &state,
        penalty,
        bound.min(state.objective()),
        Method::GreedyInterchange,
        started,
    ))
}

/// Exact p-median by MIP (HiGHS) within `opts.time_limit`: binary `y_i`, continuous
/// `x_ij` for allowed pairs, `sum_i x_ij = 1`, `x_ij <= y_i`, `sum_i y_i = p`.
///
/// The heuristic's solution is not passed as a start; the returned bound is HiGHS's
/// MIP dual bound. Errors if `p` is out of range or HiGHS fails.
pub fn pmedian_mip(
    inst: &LocationInstance,
    p: usize,
    opts: &SolveOptions,
) -> Result<LocationResult> {
    check_p(inst, p)?;
    let started = Instant::now();
    let (m, n) = (inst.n_sites(), inst.n_points());
    let mut pb = RowProblem::default();
    let y: Vec<_> = (0..m).map(|_| pb.add_integer_column(0.0, 0..=1)).collect();
    let mut x: Vec<Vec<(usize, highs::Col)>> = vec![Vec::new(); n];
    for (j, xj) in x.iter_mut().enumerate() {
        for i in 0..m {
            let cost = inst.assign_cost(i, j);
            if cost.is_finite() {
                xj.push((i, pb.add_column(cost, 0.0..=1.0)));
            }
        }
    }
    for xj in &x {
        let row: Vec<_> = xj.iter().map(|&(_, col)| (col, 1.0)).collect();
        pb.add_row(1.0..=1.0, &row);
        for &(i, col) in xj {
            pb.add_row(..=0.0, [(col, 1.0), (y[i], -1.0)]);
        }
    }
    let py = p as f64;
    pb.add_row(py..=py, y.iter().map(|&c| (c, 1.0)));
    let out = highs_util::solve(pb, Sense::Minimise, opts.time_limit, opts.mip_rel_gap, true)?;
    let mut open = Vec::new();
    let mut assign = vec![None; n];
    if !out.columns.is_empty() {
        open = (0..m).filter(|&i| out.columns[i] > 0.5).collect();
        for (j, xj) in x.iter().enumerate() {
            // nearest open site (the MIP's x is optimal for its y up to ties)
            assign[j] = xj
                .iter()
                .filter(|(i, _)| out.columns[*i] > 0.5)
                .map(|&(i, _)| (inst.assign_cost(i, j), i))
                .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)))
                .map(|t| t.1);
        }
    }
    let objective = if out.columns.is_empty() {
        f64::INFINITY
    } else {
        assign
            .iter()
            .enumerate()
            .map(|(j, a)| a.map_or(f64::INFINITY, |i| inst.assign_cost(i, j)))
            .sum()
    };
    let bound = out.bound.min(objective);
    Ok(LocationResult {
        modules: open.iter().map(|_| Vec::new()).collect(),
        open,
        assignment: Assignment::Single(assign),
        objective,
        lower_bound: bound,
        gap: relative_gap(objective, bound),
        status: out.status,
        method: Method::Mip,
        seconds: started.elapsed().as_secs_f64(),
    })
}
