//! Facility location on sparse site x point pairs, for national scale.
//!
//! A [`SparseInstance`] lists, per demand point, only the candidate sites within reach
//! (with the cost of serving the whole point from each), plus an *unserved* cost paid
//! when no open site of its list serves it. A site has a fixed cost (which may be
//! negative: keeping an outlet instead of paying to close it) and may be forced open.
//! The problem with a count, "open exactly `p` sites (the forced ones included) at
//! least fixed + assignment cost", is the p-median when fixed costs are 0.
//!
//! [`solve_count`] is a heuristic with a proven bound:
//!
//! - start from a given open set (e.g. today's outlets, or the solution at another
//!   count), reach `p` by greedy drops (least cost increase, losses kept incrementally)
//!   or greedy adds (largest saving, gains kept incrementally);
//! - fast swap local search (Resende and Werneck's gain / loss / extra decomposition):
//!   every pass evaluates every (insert, remove) pair in `O(pairs)` with rayon, applies
//!   the best improving swap and refreshes only the points the two sites touch;
//! - Lagrangian relaxation of the assignment constraints, with subgradient steps:
//!   `L(λ) = Σ λ_j + Σ min(0, u_j - λ_j) + min over p sites (forced ones first) of
//!   Σ (f_i + Σ_j min(0, c_ij - λ_j))`, a valid lower bound at every λ. Multipliers can be
//!   warm-started from another count ([`SparseResult::multipliers`]).
//!
//! Every step is deterministic: ties go to the lower site index.

use std::time::Instant;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{relative_gap, SolveStatus};
use crate::{Error, Result};

const NONE: u32 = u32::MAX;

/// Sites x points kept sparse: per point its reachable sites and their costs.
#[derive(Debug, Clone)]
pub struct SparseInstance {
    n_sites: usize,
    fixed: Vec<f64>,
    forced: Vec<bool>,
    unserved: Vec<f64>,
    constant: f64,
    // At least `min_group_open` of the sites flagged in `group` stay open.
    group: Vec<bool>,
    min_group_open: usize,
    // By point (CSR), each list sorted by (cost, site).
    offsets: Vec<usize>,
    sites: Vec<u32>,
    costs: Vec<f64>,
    // By site (transposed CSR).
    t_offsets: Vec<usize>,
    t_points: Vec<u32>,
    t_costs: Vec<f64>,
}

impl SparseInstance {
    /// Validates and builds an instance: `pairs[j]` lists `(site, cost)` for point `j`;
    /// `unserved[j]` is point `j`'s cost when none of its sites is open; `constant` is
    /// added to every objective and bound (e.g. closing costs written as negative fixed
    /// costs). Errors on a site index out of range, a duplicate pair, a NaN, negative or
    /// infinite cost, or shapes that do not match.
    pub fn new(
        fixed: Vec<f64>,
        forced: Vec<bool>,
        unserved: Vec<f64>,
        pairs: Vec<Vec<(u32, f64)>>,
        constant: f64,
    ) -> Result<Self> {
        let n_sites = fixed.len();
        if forced.len() != n_sites || unserved.len() != pairs.len() {
            return Err(Error::argument(
                "instance",
                "fixed / forced lengths or unserved / pairs lengths differ",
            ));
        }
        if n_sites >= NONE as usize {
            return Err(Error::argument("instance", "too many sites"));
        }
        if let Some(i) = fixed.iter().position(|f| !f.is_finite()) {
            return Err(Error::argument(
                "fixed",
                format!("site {i}: fixed cost must be finite"),
            ));
        }
        if let Some(j) = unserved.iter().position(|u| !(u.is_finite() && *u >= 0.0)) {
            return Err(Error::argument(
                "unserved",
                format!("point {j}: unserved cost must be finite and >= 0"),
            ));
        }
        if !constant.is_finite() {
            return Err(Error::argument("constant", "must be finite"));
        }
        let mut offsets = Vec::with_capacity(pairs.len() + 1);
        offsets.push(0);
        let total: usize = pairs.iter().map(Vec::len).sum();
        let (mut sites, mut costs) = (Vec::with_capacity(total), Vec::with_capacity(total));
        let mut count = vec![0usize; n_sites];
        for (j, mut list) in pairs.into_iter().enumerate() {
            let mut ids: Vec<u32> = list.iter().map(|p| p.0).collect();
            ids.sort_unstable();
            if let Some(w) = ids.windows(2).find(|w| w[0] == w[1]) {
                return Err(Error::argument(
                    "pairs",
                    format!("point {j}: site {} listed twice", w[0]),
                ));
            }
            list.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
            for &(i, c) in &list {
                if i as usize >= n_sites || !(c.is_finite() && c >= 0.0) {
                    return Err(Error::argument(
                        "pairs",
                        format!("point {j}: site {i} out of range or cost {c} not finite >= 0"),
                    ));
                }
                count[i as usize] += 1;
                sites.push(i);
                costs.push(c);
            }
            offsets.push(sites.len());
        }
        let mut t_offsets = Vec::with_capacity(n_sites + 1);
        t_offsets.push(0);
        for c in &count {
            t_offsets.push(t_offsets.last().copied().unwrap_or(0) + c);
        }
        let mut fill = t_offsets.clone();
        let mut t_points = vec![0u32; total];
        let mut t_costs = vec![0.0; total];
        for j in 0..offsets.len() - 1 {
            for k in offsets[j]..offsets[j + 1] {
                let i = sites[k] as usize;
                t_points[fill[i]] = j as u32;
                t_costs[fill[i]] = costs[k];
                fill[i] += 1;
            }
        }
        Ok(SparseInstance {
            n_sites,
            fixed,
            forced,
            unserved,
            constant,
            group: vec![false; n_sites],
            min_group_open: 0,
            offsets,
            sites,
            costs,
            t_offsets,
            t_points,
            t_costs,
        })
    }

    /// Requires at least `min_open` of the sites flagged in `group` to be open in every
    /// solution (forced ones count): e.g. today's outlets, to bound how many a plan
    /// closes. The bound stays valid: its relaxed site choice keeps the same minimum.
    /// Errors if `group` is not one flag per site or flags fewer than `min_open` sites.
    pub fn with_group_minimum(mut self, group: Vec<bool>, min_open: usize) -> Result<Self> {
        if group.len() != self.n_sites {
            return Err(Error::argument("group", "one flag per site expected"));
        }
        let size = group.iter().filter(|g| **g).count();
        if min_open > size {
            return Err(Error::argument(
                "min_open",
                format!("{min_open} of a group of {size} sites cannot stay open"),
            ));
        }
        self.group = group;
        self.min_group_open = min_open;
        Ok(self)
    }

    /// Sites of the group that must be open besides the forced ones.
    fn group_free_minimum(&self) -> usize {
        let forced_in = (0..self.n_sites)
            .filter(|&i| self.group[i] && self.forced[i])
            .count();
        self.min_group_open.saturating_sub(forced_in)
    }

    /// Smallest feasible count: the forced sites and the group's minimum.
    pub fn min_count(&self) -> usize {
        self.n_forced() + self.group_free_minimum()
    }

    /// Number of candidate sites.
    pub fn n_sites(&self) -> usize {
        self.n_sites
    }

    /// Number of demand points.
    pub fn n_points(&self) -> usize {
        self.unserved.len()
    }

    /// Number of (site, point) pairs kept.
    pub fn n_pairs(&self) -> usize {
        self.sites.len()
    }

    /// Sites forced open.
    pub fn n_forced(&self) -> usize {
        self.forced.iter().filter(|f| **f).count()
    }

    fn list(&self, j: usize) -> (&[u32], &[f64]) {
        let r = self.offsets[j]..self.offsets[j + 1];
        (&self.sites[r.clone()], &self.costs[r])
    }

    fn column(&self, i: usize) -> (&[u32], &[f64]) {
        let r = self.t_offsets[i]..self.t_offsets[i + 1];
        (&self.t_points[r.clone()], &self.t_costs[r])
    }

    /// The cost of the open set `open` (flags per site): constant + fixed costs + each
    /// point at its cheapest open site (or unserved), and that assignment.
    pub fn evaluate(&self, open: &[bool]) -> (f64, Vec<Option<usize>>) {
        let st = State::new(self, open.to_vec());
        let assign = st
            .s1
            .iter()
            .map(|&s| (s != NONE).then_some(s as usize))
            .collect();
        (st.objective(self), assign)
    }
}

/// Options of [`solve_count`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SparseOptions {
    /// Seconds for the local search (each count); default 30.
    pub time_limit: f64,
    /// Most swap passes; default 10,000.
    pub max_passes: usize,
    /// Subgradient iterations of the bound; default 300.
    pub bound_iterations: usize,
    /// Stop the bound once the gap is at most this; default 0.001.
    pub target_gap: f64,
}

impl Default for SparseOptions {
    fn default() -> Self {
        SparseOptions {
            time_limit: 30.0,
            max_passes: 10_000,
            bound_iterations: 300,
            target_gap: 0.001,
        }
    }
}

/// Result of [`solve_count`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SparseResult {
    /// Open sites, ascending.
    pub open: Vec<usize>,
    /// Serving site of every point (`None`: unserved).
    pub assignment: Vec<Option<usize>>,
    /// Objective (constant + fixed + assignment costs).
    pub objective: f64,
    /// Lagrangian lower bound on the optimum at this count.
    pub lower_bound: f64,
    /// Relative gap.
    pub gap: f64,
    /// `Optimal` when the gap closed, else `Feasible`.
    pub status: SolveStatus,
    /// Swaps applied by the local search.
    pub swaps: usize,
    /// Seconds spent.
    pub seconds: f64,
    /// The bound's best multipliers (one per point), to warm-start another count.
    #[serde(skip)]
    pub multipliers: Vec<f64>,
}

/// Per point: cheapest and second cheapest open site (or unserved).
struct State {
    open: Vec<bool>,
    s1: Vec<u32>,
    d1: Vec<f64>,
    d2: Vec<f64>,
}

impl State {
    fn new(inst: &SparseInstance, open: Vec<bool>) -> Self {
        let n = inst.n_points();
        let mut s = State {
            open,
            s1: vec![NONE; n],
            d1: vec![0.0; n],
            d2: vec![0.0; n],
        };
        let cols: Vec<(u32, f64, f64)> = (0..n)
            .into_par_iter()
            .map(|j| s.best_two(inst, j))
            .collect();
        for (j, (a, b, c)) in cols.into_iter().enumerate() {
            s.s1[j] = a;
            s.d1[j] = b;
            s.d2[j] = c;
        }
        s
    }

    fn best_two(&self, inst: &SparseInstance, j: usize) -> (u32, f64, f64) {
        let u = inst.unserved[j];
        let (sites, costs) = inst.list(j);
        let mut first: Option<(u32, f64)> = None;
        for (&i, &c) in sites.iter().zip(costs) {
            if c >= u {
                break;
            }
            if self.open[i as usize] {
                match first {
                    None => first = Some((i, c)),
                    Some((i1, c1)) => return (i1, c1, c),
                }
            }
        }
        match first {
            Some((i1, c1)) => (i1, c1, u),
            None => (NONE, u, u),
        }
    }

    fn refresh(&mut self, inst: &SparseInstance, j: usize) {
        let (a, b, c) = self.best_two(inst, j);
        self.s1[j] = a;
        self.d1[j] = b;
        self.d2[j] = c;
    }

    fn objective(&self, inst: &SparseInstance) -> f64 {
        let fixed: f64 = (0..inst.n_sites)
            .filter(|&i| self.open[i])
            .map(|i| inst.fixed[i])
            .sum();
        inst.constant + fixed + self.d1.iter().sum::<f64>()
    }

    fn count(&self) -> usize {
        self.open.iter().filter(|o| **o).count()
    }

    fn group_open(&self, inst: &SparseInstance) -> usize {
        (0..inst.n_sites)
            .filter(|&i| self.open[i] && inst.group[i])
            .count()
    }

    /// Opens the group's sites with the largest saving until the group's minimum holds.
    fn fill_group(&mut self, inst: &SparseInstance) {
        let mut have = self.group_open(inst);
        while have < inst.min_group_open {
            let gain = self.gains(inst);
            let Some(i) = self.best_closed(inst, &gain, |i| inst.group[i]) else {
                break;
            };
            self.open[i] = true;
            have += 1;
            let (pts, _) = inst.column(i);
            for &j in pts {
                self.refresh(inst, j as usize);
            }
        }
    }

    /// Loss of closing each open site: its points move to their second choice.
    fn losses(&self, inst: &SparseInstance) -> Vec<f64> {
        let mut loss = vec![0.0; inst.n_sites];
        for j in 0..inst.n_points() {
            let s = self.s1[j];
            if s != NONE {
                loss[s as usize] += self.d2[j] - self.d1[j];
            }
        }
        loss
    }

    /// Gain of opening each closed site alone.
    fn gains(&self, inst: &SparseInstance) -> Vec<f64> {
        (0..inst.n_sites)
            .into_par_iter()
            .map(|i| {
                if self.open[i] {
                    return 0.0;
                }
                let (pts, cs) = inst.column(i);
                pts.iter()
                    .zip(cs)
                    .map(|(&j, &c)| (self.d1[j as usize] - c).max(0.0))
                    .sum()
            })
            .collect()
    }

    /// Greedy drops down to `p` open sites (least cost increase first).
    fn drop_to(&mut self, inst: &SparseInstance, p: usize) {
        let mut loss = self.losses(inst);
        let mut n_open = self.count();
        let mut group_open = self.group_open(inst);
        while n_open > p {
            let slack = group_open > inst.min_group_open;
            let best = (0..inst.n_sites)
                .filter(|&i| self.open[i] && !inst.forced[i] && (slack || !inst.group[i]))
                .min_by(|&a, &b| {
                    (loss[a] - inst.fixed[a])
                        .total_cmp(&(loss[b] - inst.fixed[b]))
                        .then(a.cmp(&b))
                });
            let Some(r) = best else { break };
            self.open[r] = false;
            n_open -= 1;
            if inst.group[r] {
                group_open -= 1;
            }
            let (pts, _) = inst.column(r);
            for &j in pts {
                let j = j as usize;
                if self.s1[j] != NONE {
                    loss[self.s1[j] as usize] -= self.d2[j] - self.d1[j];
                }
                self.refresh(inst, j);
                if self.s1[j] != NONE {
                    loss[self.s1[j] as usize] += self.d2[j] - self.d1[j];
                }
            }
        }
    }

    /// The closed site (among those `eligible`) with the largest saving net of its fixed
    /// cost; ties go to the lower index.
    fn best_closed(
        &self,
        inst: &SparseInstance,
        gain: &[f64],
        eligible: impl Fn(usize) -> bool,
    ) -> Option<usize> {
        (0..inst.n_sites)
            .filter(|&i| !self.open[i] && eligible(i))
            .max_by(|&a, &b| {
                (gain[a] - inst.fixed[a])
                    .total_cmp(&(gain[b] - inst.fixed[b]))
                    .then(b.cmp(&a))
            })
    }

    /// Greedy adds up to `p` open sites (largest saving first).
    fn add_to(&mut self, inst: &SparseInstance, p: usize) {
        let mut gain = self.gains(inst);
        let mut n_open = self.count();
        while n_open < p {
            let Some(i) = self.best_closed(inst, &gain, |_| true) else {
                break;
            };
            self.open[i] = true;
            n_open += 1;
            let (pts, _) = inst.column(i);
            for &j in pts {
                let j = j as usize;
                let old = self.d1[j];
                self.refresh(inst, j);
                let new = self.d1[j];
                if new < old {
                    let (sites, costs) = inst.list(j);
                    for (&k, &c) in sites.iter().zip(costs) {
                        if !self.open[k as usize] {
                            gain[k as usize] -= (old - c).max(0.0) - (new - c).max(0.0);
                        }
                    }
                }
            }
        }
    }

    /// The best improving swap (insert, remove, profit), if any.
    fn best_swap(&self, inst: &SparseInstance) -> Option<(usize, usize, f64)> {
        let loss = self.losses(inst);
        // Removable sites by (fixed - loss), best first.
        let mut removable: Vec<usize> = (0..inst.n_sites)
            .filter(|&r| self.open[r] && !inst.forced[r])
            .collect();
        if removable.is_empty() {
            return None;
        }
        let rscore = |r: usize| inst.fixed[r] - loss[r];
        removable.sort_by(|&a, &b| rscore(b).total_cmp(&rscore(a)).then(a.cmp(&b)));
        // A swap may close a group site only for another one, or with the group above
        // its minimum.
        let slack = self.group_open(inst) > inst.min_group_open;
        let allowed = |i: usize, r: usize| slack || !inst.group[r] || inst.group[i];
        let eps = 1e-9 * self.objective(inst).abs().max(1.0);
        let best = (0..inst.n_sites)
            .into_par_iter()
            .filter(|&i| !self.open[i])
            .filter_map(|i| {
                let (pts, cs) = inst.column(i);
                let mut gain = 0.0;
                let mut extra: Vec<(u32, f64)> = Vec::new();
                for (&j, &c) in pts.iter().zip(cs) {
                    let j = j as usize;
                    let (d1, d2) = (self.d1[j], self.d2[j]);
                    if c < d1 {
                        gain += d1 - c;
                    }
                    let s = self.s1[j];
                    if s != NONE && c < d2 {
                        extra.push((s, d2 - c.max(d1)));
                    }
                }
                extra.sort_by_key(|e| e.0);
                let mut merged: Vec<(u32, f64)> = Vec::with_capacity(extra.len());
                for (r, v) in extra {
                    match merged.last_mut() {
                        Some(last) if last.0 == r => last.1 += v,
                        _ => merged.push((r, v)),
                    }
                }
                let base = gain - inst.fixed[i];
                let mut best: Option<(usize, f64)> = None;
                let mut consider = |r: usize, v: f64| {
                    if best.is_none_or(|(br, bv)| v > bv || (v == bv && r < br)) {
                        best = Some((r, v));
                    }
                };
                for &(r, e) in &merged {
                    if !inst.forced[r as usize] && allowed(i, r as usize) {
                        consider(r as usize, base + e + rscore(r as usize));
                    }
                }
                if let Some(&r) = removable.iter().find(|&&r| {
                    allowed(i, r) && merged.binary_search_by_key(&(r as u32), |e| e.0).is_err()
                }) {
                    consider(r, base + rscore(r));
                }
                best.filter(|b| b.1 > eps).map(|(r, v)| (i, r, v))
            })
            .reduce_with(|a, b| {
                if b.2 > a.2 || (b.2 == a.2 && (b.0, b.1) < (a.0, a.1)) {
                    b
                } else {
                    a
                }
            });
        best
    }

    fn swap(&mut self, inst: &SparseInstance, i: usize, r: usize) {
        self.open[i] = true;
        self.open[r] = false;
        for site in [i, r] {
            let (pts, _) = inst.column(site);
            for &j in pts {
                self.refresh(inst, j as usize);
            }
        }
    }
}

/// Lagrangian bound for `p` open sites; returns (best bound, its multipliers).
fn lagrangian(
    inst: &SparseInstance,
    p: usize,
    upper: f64,
    start: Vec<f64>,
    opts: &SparseOptions,
) -> (f64, Vec<f64>) {
    let n = inst.n_points();
    let forced: Vec<usize> = (0..inst.n_sites).filter(|&i| inst.forced[i]).collect();
    let free: Vec<usize> = (0..inst.n_sites).filter(|&i| !inst.forced[i]).collect();
    let k_free = p.saturating_sub(forced.len()).min(free.len());
    // The relaxed choice keeps the group's minimum: its best sites first, then the best
    // of the rest (exact for "k sites, at least g of the group").
    let group_free: Vec<usize> = free.iter().copied().filter(|&i| inst.group[i]).collect();
    let g_min = inst.group_free_minimum().min(k_free);
    let mut lambda = start;
    let mut best = (f64::NEG_INFINITY, lambda.clone());
    let mut theta = 2.0;
    let mut stall = 0;
    let mut chosen = vec![false; inst.n_sites];
    for _ in 0..opts.bound_iterations {
        let rho: Vec<f64> = (0..inst.n_sites)
            .into_par_iter()
            .map(|i| {
                let (pts, cs) = inst.column(i);
                inst.fixed[i]
                    + pts
                        .iter()
                        .zip(cs)
                        .map(|(&j, &c)| (c - lambda[j as usize]).min(0.0))
                        .sum::<f64>()
            })
            .collect();
        let by_rho = |a: &usize, b: &usize| rho[*a].total_cmp(&rho[*b]).then(a.cmp(b));
        chosen.iter_mut().for_each(|c| *c = false);
        for &i in &forced {
            chosen[i] = true;
        }
        if g_min > 0 {
            let mut g = group_free.clone();
            if g_min < g.len() {
                g.select_nth_unstable_by(g_min - 1, by_rho);
            }
            for &i in g.iter().take(g_min) {
                chosen[i] = true;
            }
        }
        let mut order: Vec<usize> = free.iter().copied().filter(|&i| !chosen[i]).collect();
        let k_rest = k_free - g_min;
        if k_rest > 0 && k_rest < order.len() {
            order.select_nth_unstable_by(k_rest - 1, by_rho);
        }
        for &i in order.iter().take(k_rest) {
            chosen[i] = true;
        }
        let sel: f64 = (0..inst.n_sites)
            .filter(|&i| chosen[i])
            .map(|i| rho[i])
            .sum();
        let lam_sum: f64 = (0..n)
            .map(|j| lambda[j] + (inst.unserved[j] - lambda[j]).min(0.0))
            .sum();
        let value = inst.constant + lam_sum + sel;
        if value > best.0 + 1e-12 * value.abs().max(1.0) {
            best = (value, lambda.clone());
            // A bar shows the bound as it rises (never above the plan it is a bound of).
            crate::solver::progress::report_bound(value.min(upper));
            stall = 0;
        } else {
            stall += 1;
            if stall >= 25 {
                theta *= 0.5;
                stall = 0;
            }
        }
        if relative_gap(upper, best.0) <= opts.target_gap || theta < 1e-5 {
            break;
        }
        let g: Vec<f64> = (0..n)
            .into_par_iter()
            .map(|j| {
                let (sites, costs) = inst.list(j);
                let mut g = 1.0;
                if inst.unserved[j] < lambda[j] {
                    g -= 1.0;
                }
                for (&i, &c) in sites.iter().zip(costs) {
                    if c >= lambda[j] {
                        break;
                    }
                    if chosen[i as usize] {
                        g -= 1.0;
                    }
                }
                g
            })
            .collect();
        let norm: f64 = g.iter().map(|x| x * x).sum();
        if norm <= 0.0 {
            // The relaxed solution is feasible: the bound is the optimum.
            best = (value, lambda.clone());
            break;
        }
        let step = theta * (upper - value).max(1e-9 * upper.abs().max(1.0)) / norm;
        for (l, gj) in lambda.iter_mut().zip(&g) {
            *l += step * gj;
        }
    }
    best
}

/// Opens exactly `p` sites (forced ones included) at least cost (see the module docs),
/// starting from `start` (flags per site; `None`: the forced sites) and warm-starting the
/// bound from `multipliers` when given (one per point).
///
/// Errors if `p` is below the forced count (plus the group's minimum, see
/// [`SparseInstance::with_group_minimum`]) or above the number of sites, or the start or
/// multipliers have the wrong length.
pub fn solve_count(
    inst: &SparseInstance,
    p: usize,
    start: Option<&[bool]>,
    multipliers: Option<&[f64]>,
    opts: &SparseOptions,
) -> Result<SparseResult> {
    let started = Instant::now();
    let forced = inst.n_forced();
    let least = inst.min_count().max(1);
    if p < least || p > inst.n_sites {
        let group = if inst.min_group_open > 0 {
            format!(", {} more to keep open", inst.group_free_minimum())
        } else {
            String::new()
        };
        return Err(Error::argument(
            "p",
            format!(
                "expected {least}..={} open sites ({forced} forced{group}), got {p}",
                inst.n_sites
            ),
        ));
    }
    let mut open: Vec<bool> = match start {
        Some(s) if s.len() == inst.n_sites => s.to_vec(),
        Some(_) => return Err(Error::argument("start", "one flag per site expected")),
        None => vec![false; inst.n_sites],
    };
    for (o, f) in open.iter_mut().zip(&inst.forced) {
        *o |= *f;
    }
    let mut st = State::new(inst, open);
    st.fill_group(inst);
    let n_open = st.count();
    if n_open > p {
        st.drop_to(inst, p);
    } else if n_open < p {
        st.add_to(inst, p);
    }
    // A bar shows the plan's cost from the first plan on, and after every swap.
    crate::solver::progress::report_incumbent(st.objective(inst));
    let mut swaps = 0;
    for _ in 0..opts.max_passes {
        if started.elapsed().as_secs_f64() > opts.time_limit {
            break;
        }
        match st.best_swap(inst) {
            Some((i, r, _)) => {
                st.swap(inst, i, r);
                swaps += 1;
                crate::solver::progress::report_incumbent(st.objective(inst));
            }
            None => break,
        }
    }
    let objective = st.objective(inst);
    crate::solver::progress::report_incumbent(objective);
    let lam0 = match multipliers {
        Some(m) if m.len() == inst.n_points() => m.to_vec(),
        Some(_) => return Err(Error::argument("multipliers", "one per point expected")),
        None => st.d2.clone(),
    };
    let (lb, lambda) = lagrangian(inst, p, objective, lam0, opts);
    let lower_bound = lb.min(objective);
    crate::solver::progress::report_bound(lower_bound);
    let gap = relative_gap(objective, lower_bound);
    Ok(SparseResult {
        open: (0..inst.n_sites).filter(|&i| st.open[i]).collect(),
        assignment: st
            .s1
            .iter()
            .map(|&s| (s != NONE).then_some(s as usize))
            .collect(),
        objective,
        lower_bound,
        gap,
        status: if gap <= 1e-9 {
            SolveStatus::Optimal
        } else {
            SolveStatus::Feasible
        },
        swaps,
        seconds: started.elapsed().as_secs_f64(),
        multipliers: lambda,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// All subsets of `m` sites of size `p` containing the forced ones: the exact optimum.
    fn brute_force(inst: &SparseInstance, p: usize) -> f64 {
        let m = inst.n_sites();
        let mut best = f64::INFINITY;
        for mask in 0u32..(1 << m) {
            if mask.count_ones() as usize != p {
                continue;
            }
            let open: Vec<bool> = (0..m).map(|i| mask & (1 << i) != 0).collect();
            if (0..m).any(|i| inst.forced[i] && !open[i]) {
                continue;
            }
            if (0..m).filter(|&i| inst.group[i] && open[i]).count() < inst.min_group_open {
                continue;
            }
            best = best.min(inst.evaluate(&open).0);
        }
        best
    }

    fn instance() -> impl Strategy<Value = (SparseInstance, usize)> {
        (3usize..8, 4usize..14).prop_flat_map(|(m, n)| {
            (
                prop::collection::vec(-5.0f64..20.0, m),
                prop::collection::vec(prop::bool::weighted(0.15), m),
                prop::collection::vec(prop::collection::vec((0..m as u32, 0.0f64..50.0), 1..5), n),
                1usize..=m,
            )
                .prop_map(move |(fixed, forced, raw, p)| {
                    let pairs: Vec<Vec<(u32, f64)>> = raw
                        .into_iter()
                        .map(|mut l| {
                            l.sort_by_key(|x| x.0);
                            l.dedup_by_key(|x| x.0);
                            l
                        })
                        .collect();
                    let unserved = vec![60.0; pairs.len()];
                    let f = forced.iter().filter(|x| **x).count();
                    let inst = SparseInstance::new(fixed, forced, unserved, pairs, 3.0).unwrap();
                    (inst, p.max(f.max(1)).min(m))
                })
        })
    }

    proptest! {
        /// The bound never exceeds the exact optimum, the solution never beats it, the
        /// reported objective is the cost of the returned open set, exactly `p` sites
        /// are open and the forced ones among them. A progress bar watching the solve
        /// (which sees every plan and bound as they are found) ends at the answer's
        /// objective and bound: no live figure was ever past them.
        #[test]
        fn bound_and_solution_bracket_the_optimum((inst, p) in instance()) {
            let live = crate::Progress::new();
            let r = crate::observed(&live, || {
                solve_count(&inst, p, None, None, &SparseOptions::default())
            })
            .unwrap();
            prop_assert_eq!(live.bound(), Some(r.lower_bound));
            let inc = live.incumbent().unwrap_or(f64::NAN);
            prop_assert!((inc - r.objective).abs() <= 1e-9 * r.objective.abs().max(1.0), "{} vs {}", inc, r.objective);
            let opt = brute_force(&inst, p);
            prop_assert!(r.lower_bound <= opt + 1e-6 * opt.abs().max(1.0), "{} > {opt}", r.lower_bound);
            prop_assert!(r.objective >= opt - 1e-6 * opt.abs().max(1.0));
            let mut open = vec![false; inst.n_sites()];
            for &i in &r.open {
                open[i] = true;
            }
            prop_assert_eq!(r.open.len(), p);
            prop_assert!((0..inst.n_sites()).all(|i| !inst.forced[i] || open[i]));
            let (value, assign) = inst.evaluate(&open);
            prop_assert!((value - r.objective).abs() <= 1e-9 * value.abs().max(1.0));
            prop_assert_eq!(assign, r.assignment);
        }
    }

    /// An instance with a group (e.g. today's outlets) of which at least some must stay
    /// open, and a feasible count.
    fn grouped() -> impl Strategy<Value = (SparseInstance, usize)> {
        instance().prop_flat_map(|(inst, p)| {
            let m = inst.n_sites();
            (
                Just(inst),
                Just(p),
                prop::collection::vec(prop::bool::weighted(0.6), m),
                0usize..=m,
            )
                .prop_map(|(inst, p, group, k)| {
                    let size = group.iter().filter(|g| **g).count();
                    let inst = inst.with_group_minimum(group, k.min(size)).unwrap();
                    let p = p.max(inst.min_count().max(1)).min(inst.n_sites());
                    (inst, p)
                })
        })
    }

    proptest! {
        /// With a group minimum (a closure limit), the bound still never exceeds the
        /// exact optimum of the limited problem, the solution never beats it, and the
        /// solution keeps the group's minimum open.
        #[test]
        fn a_group_minimum_holds_and_the_bound_stays_valid((inst, p) in grouped()) {
            let r = solve_count(&inst, p, None, None, &SparseOptions::default()).unwrap();
            let opt = brute_force(&inst, p);
            prop_assert!(r.lower_bound <= opt + 1e-6 * opt.abs().max(1.0), "{} > {opt}", r.lower_bound);
            prop_assert!(r.objective >= opt - 1e-6 * opt.abs().max(1.0));
            prop_assert_eq!(r.open.len(), p);
            let kept = r.open.iter().filter(|&&i| inst.group[i]).count();
            prop_assert!(kept >= inst.min_group_open, "{kept} < {}", inst.min_group_open);
        }
    }

    /// A duplicate pair or a cost that is not finite is an argument error.
    #[test]
    fn bad_instances_are_errors() {
        assert!(SparseInstance::new(
            vec![0.0; 2],
            vec![false; 2],
            vec![1.0],
            vec![vec![(0, 1.0), (0, 2.0)]],
            0.0
        )
        .is_err());
        assert!(SparseInstance::new(
            vec![0.0; 2],
            vec![false; 2],
            vec![1.0],
            vec![vec![(5, 1.0)]],
            0.0
        )
        .is_err());
        assert!(SparseInstance::new(
            vec![0.0; 2],
            vec![false; 2],
            vec![1.0],
            vec![vec![(1, f64::NAN)]],
            0.0
        )
        .is_err());
        let ok = SparseInstance::new(
            vec![0.0; 2],
            vec![true; 2],
            vec![1.0],
            vec![vec![(1, 0.5)]],
            0.0,
        )
        .unwrap();
        assert!(
            solve_count(&ok, 1, None, None, &SparseOptions::default()).is_err(),
            "p below the forced count"
        );
    }
}
