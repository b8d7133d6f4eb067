//! Capacitated facility location (CFLP) with fixed costs and size modules.
//!
//! Minimise fixed costs of open sites + module costs + assignment costs, every demand
//! point served in full, each site's load within its capacity (base capacity when
//! open, plus `capacity` per module built).
//!
//! - Multi-source: a point's demand may be split (fractions `y_ij` in `[0, 1]`,
//!   Beasley 1988; the OR-Library `capopt` values are for this variant).
//! - Single-source: each point is served by one site (`y_ij` binary).
//!
//! [`cflp_mip`] is the strong MIP (with `y_ij <= x_i` and the aggregate capacity cut)
//! solved by HiGHS within a time limit; it reports HiGHS's MIP dual bound.
//! [`cflp_heuristic`] is a Lagrangian heuristic for sizes a MIP cannot take: the demand
//! constraints are relaxed; each site's subproblem is a continuous knapsack (modules
//! relaxed to capacity bought per unit) and the aggregate capacity constraint is kept
//! through its LP relaxation, so every iterate gives a valid lower bound. Open sets
//! from the subproblems are repaired to enough capacity and their transportation
//! problem solved (greedy, then cycle cancelling; an LP where sites have modules);
//! a local search over single moves and pairs of moves (`cflp_moves.rs`),
//! Lagrangian fixing with a restricted MIP, and a drop phase improve the best one.

use crate::solver::progress;
use std::time::{Duration, Instant};

use highs::{RowProblem, Sense};
use rayon::prelude::*;

use super::{
    highs_util, relative_gap, Assignment, LocationInstance, LocationResult, Method, SolveOptions,
    SolveStatus,
};
use crate::solver::subgradient::StepSchedule;
use crate::{Error, Result};

/// Multi-source (split demand) or single-source (one site per point).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Sourcing {
    /// Demand may be split over several sites.
    Multi,
    /// Each demand point is served by exactly one site.
    Single,
}

fn check(inst: &LocationInstance) -> Result<()> {
    if inst.n_sites() == 0 || inst.n_points() == 0 {
        return Err(Error::argument(
            "instance",
            "needs at least one site and one point",
        ));
    }
    Ok(())
}

/// Exact CFLP by MIP (HiGHS) within `opts.time_limit` seconds.
///
/// Returns the best solution found with HiGHS's dual bound and gap; status `Optimal`,
/// `TimeLimit` or `Infeasible` (no solution exists or none was found in time).
/// Errors only if the instance is empty or HiGHS fails.
pub fn cflp_mip(
    inst: &LocationInstance,
    sourcing: Sourcing,
    opts: &SolveOptions,
) -> Result<LocationResult> {
    check(inst)?;
    let started = Instant::now();
    let (m, n) = (inst.n_sites(), inst.n_points());
    let demand = inst.demand();
    let mut pb = RowProblem::default();
    let x: Vec<_> = inst
        .sites()
        .iter()
        .map(|s| pb.add_integer_column(s.fixed_cost, 0..=1))
        .collect();
    let z: Vec<Vec<_>> = inst
        .sites()
        .iter()
        .map(|s| {
            s.modules
                .iter()
                .map(|md| pb.add_integer_column(md.cost, 0.0..=f64::from(md.max_count)))
                .collect()
        })
        .collect();
    // y columns per site: (point, col)
    let mut y: Vec<Vec<(usize, highs::Col)>> = vec![Vec::new(); m];
    let mut by_point: Vec<Vec<highs::Col>> = vec![Vec::new(); n];
    for (i, yi) in y.iter_mut().enumerate() {
        for (j, bp) in by_point.iter_mut().enumerate() {
            let cost = inst.assign_cost(i, j);
            if cost.is_finite() {
                let col = match sourcing {
                    Sourcing::Multi => pb.add_column(cost, 0.0..=1.0),
                    Sourcing::Single => pb.add_integer_column(cost, 0..=1),
                };
                yi.push((j, col));
                bp.push(col);
            }
        }
    }
    for cols in &by_point {
        pb.add_row(1.0..=1.0, cols.iter().map(|&c| (c, 1.0)));
    }
    let mut all_finite = true;
    for (i, s) in inst.sites().iter().enumerate() {
        for &(_, col) in &y[i] {
            pb.add_row(..=0.0, [(col, 1.0), (x[i], -1.0)]);
        }
        for (k, md) in s.modules.iter().enumerate() {
            pb.add_row(..=0.0, [(z[i][k], 1.0), (x[i], -f64::from(md.max_count))]);
        }
        if s.capacity.is_finite() {
            let mut row: Vec<_> = y[i].iter().map(|&(j, col)| (col, demand[j])).collect();
            row.push((x[i], -s.capacity));
            for (k, md) in s.modules.iter().enumerate() {
                row.push((z[i][k], -md.capacity));
            }
            pb.add_row(..=0.0, row);
        } else {
            all_finite = false;
        }
    }
    if all_finite {
        let mut row = Vec::new();
        for (i, s) in inst.sites().iter().enumerate() {
            row.push((x[i], s.capacity));
            for (k, md) in s.modules.iter().enumerate() {
                row.push((z[i][k], md.capacity));
            }
        }
        pb.add_row(inst.total_demand().., row);
    }
    let out = highs_util::solve(pb, Sense::Minimise, opts.time_limit, opts.mip_rel_gap, true)?;
    if out.columns.is_empty() {
        return Ok(empty_result(
            out.status,
            out.bound,
            Method::Mip,
            started,
            sourcing,
            n,
        ));
    }
    let v = &out.columns;
    let open: Vec<usize> = (0..m).filter(|&i| v[x[i].index()] > 0.5).collect();
    let modules = open
        .iter()
        .map(|&i| {
            z[i].iter()
                .map(|c| v[c.index()].round().max(0.0) as u32)
                .collect()
        })
        .collect();
    let mut split: Vec<Vec<(usize, f64)>> = vec![Vec::new(); n];
    for (i, yi) in y.iter().enumerate() {
        for &(j, col) in yi {
            if v[col.index()] > 1e-9 {
                split[j].push((i, v[col.index()]));
            }
        }
    }
    let assignment = to_assignment(split, sourcing);
    let objective = out.objective;
    let bound = out.bound.min(objective);
    Ok(LocationResult {
        open,
        modules,
        assignment,
        objective,
        lower_bound: bound,
        gap: relative_gap(objective, bound),
        status: out.status,
        method: Method::Mip,
        seconds: started.elapsed().as_secs_f64(),
    })
}

fn to_assignment(split: Vec<Vec<(usize, f64)>>, sourcing: Sourcing) -> Assignment {
    match sourcing {
        Sourcing::Multi => Assignment::Split(split),
        Sourcing::Single => Assignment::Single(
            split
                .iter()
                .map(|s| {
                    s.iter()
                        .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
                        .map(|t| t.0)
                })
                .collect(),
        ),
    }
}

fn empty_result(
    status: SolveStatus,
    bound: f64,
    method: Method,
    started: Instant,
    sourcing: Sourcing,
    n: usize,
) -> LocationResult {
    LocationResult {
        open: Vec::new(),
        modules: Vec::new(),
        assignment: match sourcing {
            Sourcing::Multi => Assignment::Split(vec![Vec::new(); n]),
            Sourcing::Single => Assignment::Single(vec![None; n]),
        },
        objective: f64::INFINITY,
        lower_bound: bound,
        gap: f64::INFINITY,
        status,
        method,
        seconds: started.elapsed().as_secs_f64(),
    }
}

/// A primal solution of the heuristic.
pub(super) struct Primal {
    /// Fixed, module and assignment costs.
    pub(super) cost: f64,
    /// Open sites, ascending.
    pub(super) open: Vec<usize>,
    /// Modules built per open site (same order as `open`).
    pub(super) modules: Vec<Vec<u32>>,
    /// Per point: `(site, fraction)` pairs, sorted by site.
    pub(super) split: Vec<Vec<(usize, f64)>>,
}

/// Solves the transportation problem (multi-source) for a fixed open set, with module
/// counts as continuous variables rounded up afterwards. `k` limits each point to its
/// `k` cheapest open sites (None: all). Returns None if infeasible.
pub(super) fn transport(
    inst: &LocationInstance,
    c: &[f64],
    open: &[usize],
    k: Option<usize>,
    time_limit: f64,
) -> Result<Option<Primal>> {
    let n = inst.n_points();
    let demand = inst.demand();
    let mut pb = RowProblem::default();
    let mut arcs: Vec<Vec<(usize, highs::Col)>> = vec![Vec::new(); open.len()];
    let mut by_point: Vec<Vec<highs::Col>> = vec![Vec::new(); n];
    for (j, bp) in by_point.iter_mut().enumerate() {
        let mut cand: Vec<(f64, usize)> = open
            .iter()
            .enumerate()
            .filter(|(_, &i)| c[i * n + j].is_finite())
            .map(|(s, &i)| (c[i * n + j], s))
            .collect();
        cand.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        if let Some(k) = k {
            cand.truncate(k);
        }
        if cand.is_empty() {
            return Ok(None);
        }
        for (cost, s) in cand {
            let col = pb.add_column(cost, 0.0..=1.0);
            arcs[s].push((j, col));
            bp.push(col);
        }
    }
    for cols in &by_point {
        pb.add_row(1.0..=1.0, cols.iter().map(|&c| (c, 1.0)));
    }
    let mut mods: Vec<Vec<highs::Col>> = Vec::with_capacity(open.len());
    for (s, &i) in open.iter().enumerate() {
        let site = &inst.sites()[i];
        let mc: Vec<_> = site
            .modules
            .iter()
            .map(|md| pb.add_column(md.cost, 0.0..=f64::from(md.max_count)))
            .collect();
        if site.capacity.is_finite() {
            let mut row: Vec<_> = arcs[s].iter().map(|&(j, col)| (col, demand[j])).collect();
            for (kk, md) in site.modules.iter().enumerate() {
                row.push((mc[kk], -md.capacity));
            }
            pb.add_row(..=site.capacity, row);
        }
        mods.push(mc);
    }
    let out = highs_util::solve(pb, Sense::Minimise, time_limit, 0.0, false)?;
    if out.status != SolveStatus::Optimal || out.columns.is_empty() {
        return Ok(None);
    }
    let v = &out.columns;
    let mut split: Vec<Vec<(usize, f64)>> = vec![Vec::new(); n];
    let mut cost = 0.0;
    let mut modules = Vec::with_capacity(open.len());
    for (s, &i) in open.iter().enumerate() {
        let site = &inst.sites()[i];
        cost += site.fixed_cost;
        for &(j, col) in &arcs[s] {
            let f = v[col.index()];
            if f > 1e-9 {
                split[j].push((i, f));
                cost += f * c[i * n + j];
            }
        }
        let counts: Vec<u32> = mods[s]
            .iter()
            .map(|col| (v[col.index()] - 1e-7).ceil().max(0.0) as u32)
            .collect();
        for (kk, md) in site.modules.iter().enumerate() {
            cost += f64::from(counts[kk]) * md.cost;
        }
        modules.push(counts);
    }
    for s in &mut split {
        s.sort_by_key(|t| t.0);
    }
    Ok(Some(Primal {
        cost,
        open: open.to_vec(),
        modules,
        split,
    }))
}

/// A feasible transport for `open` without an LP: points in decreasing order of regret
/// (second cheapest minus cheapest open site), each served by its cheapest open sites
/// with room left, per unit of demand. None if some site has modules (their cost needs
/// the LP) or a point finds no room.
fn greedy_transport(inst: &LocationInstance, c: &[f64], open: &[usize]) -> Option<Primal> {
    let n = inst.n_points();
    let demand = inst.demand();
    if open.is_empty() || open.iter().any(|&i| !inst.sites()[i].modules.is_empty()) {
        return None;
    }
    let mut left: Vec<f64> = open.iter().map(|&i| inst.sites()[i].capacity).collect();
    let mut regret: Vec<(f64, usize)> = (0..n)
        .map(|j| {
            let (mut a, mut b) = (f64::INFINITY, f64::INFINITY);
            for &i in open {
                let v = c[i * n + j];
                if v < a {
                    b = a;
                    a = v;
                } else if v < b {
                    b = v;
                }
            }
            let r = if b.is_finite() { b - a } else { f64::INFINITY };
            (r, j)
        })
        .collect();
    regret.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)));
    let mut split: Vec<Vec<(usize, f64)>> = vec![Vec::new(); n];
    let mut cost: f64 = open.iter().map(|&i| inst.sites()[i].fixed_cost).sum();
    let mut order: Vec<(f64, usize)> = Vec::with_capacity(open.len());
    for &(_, j) in &regret {
        sites_by_cost(c, n, j, open, &mut order);
        let mut need = demand[j];
        let mut served = 0.0;
        for &(cost_j, s) in &order {
            if demand[j] <= 0.0 {
                split[j].push((open[s], 1.0));
                cost += cost_j;
                served = 1.0;
                break;
            }
            if need <= 1e-12 * demand[j] {
                break;
            }
            let take = need.min(left[s]);
            if take <= 0.0 {
                continue;
            }
            let f = take / demand[j];
            left[s] -= take;
            need -= take;
            served += f;
            cost += f * cost_j;
            split[j].push((open[s], f));
        }
        if served < 1.0 - 1e-9 {
            return None;
        }
        split[j].sort_by_key(|t| t.0);
    }
    Some(Primal {
        cost,
        open: open.to_vec(),
        modules: vec![Vec::new(); open.len()],
        split,
    })
}

/// Transport with restricted arcs first, all arcs if that fails.
fn transport_any(
    inst: &LocationInstance,
    c: &[f64],
    open: &[usize],
    time_limit: f64,
) -> Result<Option<Primal>> {
    if let Some(p) = exact_transport(inst, c, open, time_limit) {
        return Ok(Some(p));
    }
    if open.len() > 20 {
        if let Some(p) = transport(inst, c, open, Some(20), time_limit)? {
            return Ok(Some(p));
        }
    }
    transport(inst, c, open, None, time_limit)
}

/// The greedy transport improved to optimality by cycle cancelling
/// ([`super::cflp_flow`]); None where sites have modules, the greedy finds no room,
/// or the time ran out before optimality was proven.
fn exact_transport(
    inst: &LocationInstance,
    c: &[f64],
    open: &[usize],
    time_limit: f64,
) -> Option<Primal> {
    if !open.windows(2).all(|w| w[0] < w[1]) {
        return None;
    }
    let p = greedy_transport(inst, c, open)?;
    let deadline = Instant::now() + Duration::from_secs_f64(time_limit.clamp(0.0, 1e6));
    optimal_from(inst, c, open, p.split, deadline).map(|(p, _)| p)
}

/// The optimal transport of the sorted open set `open` (no modules), improved from the
/// feasible `split` by cycle cancelling ([`super::cflp_flow`]), with its cost and the
/// open sites' capacity prices; None if `deadline` came before optimality was proven.
pub(super) fn optimal_from(
    inst: &LocationInstance,
    c: &[f64],
    open: &[usize],
    mut split: Vec<Vec<(usize, f64)>>,
    deadline: Instant,
) -> Option<(Primal, Vec<f64>)> {
    let n = inst.n_points();
    let cap: Vec<f64> = open.iter().map(|&i| inst.sites()[i].capacity).collect();
    let prices =
        super::cflp_flow::cancel_cycles(c, n, inst.demand(), open, &cap, &mut split, deadline)?;
    let cost = open
        .iter()
        .map(|&i| inst.sites()[i].fixed_cost)
        .sum::<f64>()
        + split
            .iter()
            .enumerate()
            .flat_map(|(j, s)| s.iter().map(move |&(i, f)| f * c[i * n + j]))
            .sum::<f64>();
    let p = Primal {
        cost,
        open: open.to_vec(),
        modules: vec![Vec::new(); open.len()],
        split,
    };
    Some((p, prices))
}

/// Writes to `order` the positions in `open` of the sites that may serve point `j`,
/// with their cost, cheapest first (ties by position).
pub(super) fn sites_by_cost(
    c: &[f64],
    n: usize,
    j: usize,
    open: &[usize],
    order: &mut Vec<(f64, usize)>,
) {
    order.clear();
    order.extend(
        open.iter()
            .enumerate()
            .filter(|(_, &i)| c[i * n + j].is_finite())
            .map(|(s, &i)| (c[i * n + j], s)),
    );
    order.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
}

/// Lagrangian subproblem of one site: continuous knapsack over points with negative
/// reduced cost, capacity = base + modules bought per unit. Returns (value incl. fixed
/// cost, fractions taken per point).
fn site_subproblem(
    inst: &LocationInstance,
    i: usize,
    cand: &[(usize, f64)],
) -> (f64, Vec<(usize, f64)>) {
    let site = &inst.sites()[i];
    let demand = inst.demand();
    // items: (ratio, reduced cost, point)
    let mut items: Vec<(f64, f64, usize)> = cand
        .iter()
        .map(|&(j, r)| {
            let ratio = if demand[j] > 0.0 {
                r / demand[j]
            } else {
                f64::NEG_INFINITY
            };
            (ratio, r, j)
        })
        .collect();
    items.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.2.cmp(&b.2)));
    // capacity pieces: (unit cost, amount), base first at cost 0
    let mut pieces: Vec<(f64, f64)> = vec![(0.0, site.capacity)];
    let mut mods: Vec<(f64, f64)> = site
        .modules
        .iter()
        .filter(|md| md.capacity > 0.0 && md.max_count > 0)
        .map(|md| (md.cost / md.capacity, md.capacity * f64::from(md.max_count)))
        .collect();
    mods.sort_by(|a, b| a.0.total_cmp(&b.0));
    pieces.extend(mods);
    let mut value = site.fixed_cost;
    let mut taken = Vec::new();
    let mut piece = 0;
    let mut left = pieces[0].1;
    for (ratio, r, j) in items {
        let mut need = demand[j];
        if need == 0.0 {
            value += r;
            taken.push((j, 1.0));
            continue;
        }
        let mut frac = 0.0;
        while need > 1e-12 && piece < pieces.len() {
            if ratio + pieces[piece].0 >= 0.0 {
                break;
            }
            let amount = need.min(left);
            frac += amount / demand[j];
            value += amount * (ratio + pieces[piece].0);
            need -= amount;
            left -= amount;
            if left <= 1e-12 {
                piece += 1;
                left = pieces.get(piece).map_or(0.0, |p| p.1);
            }
        }
        if frac > 0.0 {
            taken.push((j, frac.min(1.0)));
        }
        if piece >= pieces.len() || ratio + pieces[piece].0 >= 0.0 {
            break;
        }
    }
    (value, taken)
}

/// Lagrangian heuristic for large multi-source CFLP (see the module docs).
///
/// Errors for [`Sourcing::Single`] (not implemented yet: use [`cflp_mip`]), an empty
/// instance, or a point no site may serve.
/// Stops after `opts.lagrangian_iterations` subgradient steps or `opts.time_limit`.
pub fn cflp_heuristic(
    inst: &LocationInstance,
    sourcing: Sourcing,
    opts: &SolveOptions,
) -> Result<LocationResult> {
    check(inst)?;
    if sourcing == Sourcing::Single {
        return Err(Error::argument(
            "sourcing",
            "the Lagrangian heuristic supports multi-source only; use cflp_mip",
        ));
    }
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(opts.time_limit.max(0.0));
    let (m, n) = (inst.n_sites(), inst.n_points());
    let c = inst.cost_table();
    let total = inst.total_demand();
    let max_cap: Vec<f64> = inst.sites().iter().map(|s| s.max_capacity()).collect();
    // Sorted columns: per point, sites by ascending cost.
    let cols: Vec<Vec<(f64, usize)>> = (0..n)
        .into_par_iter()
        .map(|j| {
            let mut v: Vec<(f64, usize)> = (0..m)
                .filter(|&i| c[i * n + j].is_finite())
                .map(|i| (c[i * n + j], i))
                .collect();
            v.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            v
        })
        .collect();
    if let Some(j) = cols.iter().position(|v| v.is_empty()) {
        return Err(Error::argument(
            "matrix",
            format!("point {j} has no allowed site"),
        ));
    }
    let mut u: Vec<f64> = cols.iter().map(|v| v[0].0).collect();
    let mut best_bound = f64::NEG_INFINITY;
    let mut best_l0 = f64::NEG_INFINITY;
    let mut best_values: Vec<f64> = Vec::new();
    let mut best: Option<Primal> = None;
    let trace = std::env::var_os("SERVNET_TRACE_CFLP").is_some();
    let mut schedule = StepSchedule::new(1.0, 15, 1e-4);
    let iters = opts.lagrangian_iterations.max(1);
    let mut tried: Vec<Vec<usize>> = Vec::new();
    let mut chosen_count = vec![0usize; m];
    let remaining = |d: Instant| d.saturating_duration_since(Instant::now()).as_secs_f64();
    // The subgradient gets at most 40% of the time; fixing and the restricted MIP the rest.
    let sub_deadline = started + Duration::from_secs_f64(0.4 * opts.time_limit.max(0.0));
    for it in 0..iters {
        if Instant::now() >= sub_deadline {
            break;
        }
        // Candidates per site: points whose reduced cost c_ij - u_j is negative.
        let mut cand: Vec<Vec<(usize, f64)>> = vec![Vec::new(); m];
        for (j, col) in cols.iter().enumerate() {
            for &(cost, i) in col {
                if cost >= u[j] {
                    break;
                }
                cand[i].push((j, cost - u[j]));
            }
        }
        let sub: Vec<(f64, Vec<(usize, f64)>)> =
            (0..m).map(|i| site_subproblem(inst, i, &cand[i])).collect();
        // Open negative sites; then the LP relaxation of the aggregate capacity cover.
        let mut order: Vec<usize> = (0..m).collect();
        order.sort_by(|&a, &b| sub[a].0.total_cmp(&sub[b].0).then(a.cmp(&b)));
        let mut chosen: Vec<usize> = order.iter().copied().filter(|&i| sub[i].0 < 0.0).collect();
        let mut value: f64 = u.iter().sum::<f64>() + chosen.iter().map(|&i| sub[i].0).sum::<f64>();
        let mut cap: f64 = chosen.iter().map(|&i| max_cap[i]).sum();
        if cap < total {
            let mut rest: Vec<usize> = order.iter().copied().filter(|&i| sub[i].0 >= 0.0).collect();
            rest.sort_by(|&a, &b| {
                (sub[a].0 / max_cap[a].max(1e-12))
                    .total_cmp(&(sub[b].0 / max_cap[b].max(1e-12)))
                    .then(a.cmp(&b))
            });
            for i in rest {
                if cap >= total {
                    break;
                }
                let f = ((total - cap) / max_cap[i].max(1e-12)).min(1.0);
                value += f * sub[i].0;
                cap += max_cap[i];
                chosen.push(i);
            }
            if cap < total - 1e-9 {
                return Ok(empty_result(
                    SolveStatus::Infeasible,
                    f64::INFINITY,
                    Method::Lagrangian,
                    started,
                    sourcing,
                    n,
                ));
            }
        }
        let improved = best_bound == f64::NEG_INFINITY
            || value > best_bound + 1e-12 * best_bound.abs().max(1.0);
        if improved {
            best_bound = value;
            progress::report_bound(value);
            // Site values and the cover-free bound at these multipliers, for fixing.
            best_l0 = u.iter().sum::<f64>() + sub.iter().map(|t| t.0.min(0.0)).sum::<f64>();
            best_values = sub.iter().map(|t| t.0).collect();
        }
        schedule.record(improved);
        for &i in &chosen {
            chosen_count[i] += 1;
        }
        // Primal: every 5 iterations, from the chosen set (greedy transport; the LP
        // where sites have modules or the greedy fails).
        if it % 5 == 0 || it + 1 == iters {
            let mut open = chosen.clone();
            open.sort_unstable();
            if !tried.contains(&open) {
                let p = match greedy_transport(inst, &c, &open) {
                    Some(p) => Some(p),
                    None => transport_any(inst, &c, &open, remaining(deadline))?,
                };
                if let Some(p) = p {
                    if best.as_ref().is_none_or(|b| p.cost < b.cost) {
                        progress::report_incumbent(p.cost);
                        best = Some(p);
                    }
                }
                tried.push(open);
            }
        }
        let ub = best.as_ref().map_or(best_bound * 1.1 + 1.0, |b| b.cost);
        if best_bound >= ub - 1e-9 * ub.abs().max(1.0) || schedule.spent() {
            break;
        }
        let mut g = vec![1.0f64; n];
        for &i in &chosen {
            for &(j, f) in &sub[i].1 {
                g[j] -= f;
            }
        }
        let norm: f64 = g.iter().map(|x| x * x).sum();
        if norm < 1e-18 {
            break;
        }
        let step = schedule.step((ub - value).max(1e-9 * ub.abs().max(1.0)), norm);
        for (uj, gj) in u.iter_mut().zip(&g) {
            *uj += step * gj;
        }
    }
    // The exact transportation problem for the best open set found.
    if let Some(b) = &best {
        if let Some(p) = transport_any(inst, &c, &b.open, remaining(deadline))? {
            if p.cost < b.cost {
                progress::report_incumbent(p.cost);
                best = Some(p);
            }
        }
    }
    // Local search over the open set (drop, add, swap), bounded by the transport's
    // capacity prices, solved exactly from the current flows, until 80% of the time.
    if let Some(b) = best.take() {
        let ls_deadline = started + Duration::from_secs_f64(0.8 * opts.time_limit.max(0.0));
        let (p, stats) = super::cflp_moves::improve_open_set(inst, &c, b, ls_deadline);
        if trace {
            eprintln!(
                "cflp: local search {:.2}s cost {:.3} {stats:?}",
                started.elapsed().as_secs_f64(),
                p.cost
            );
        }
        progress::report_incumbent(p.cost);
        best = Some(p);
    }
    if trace {
        eprintln!(
            "cflp: subgradient {:.2}s bound {best_bound:.3} incumbent {:?} primals {}",
            started.elapsed().as_secs_f64(),
            best.as_ref().map(|b| b.cost),
            tried.len()
        );
    }
    // Restricted MIP over the sites Lagrangian fixing leaves free, then the drop phase.
    if let Some(b) = &best {
        let cand = free_sites(&best_values, best_l0, b, &chosen_count);
        let budget = remaining(deadline) - 0.05 * opts.time_limit;
        if trace {
            eprintln!("cflp: {} free sites, budget {budget:.2}s", cand.len());
        }
        if budget > 0.2 {
            if let Some(p) = restricted_mip(inst, &c, &cand, 10, Some(b), budget)? {
                if p.cost < b.cost {
                    progress::report_incumbent(p.cost);
                    best = Some(p);
                }
            }
        }
        if trace {
            eprintln!(
                "cflp: restricted MIP done {:.2}s incumbent {:?}",
                started.elapsed().as_secs_f64(),
                best.as_ref().map(|b| b.cost)
            );
        }
    }
    // Drop phase: try closing the least used sites while it pays.
    if let Some(mut cur) = best.take() {
        let mut improved = true;
        while improved && Instant::now() < deadline {
            improved = false;
            let mut load: Vec<(f64, usize)> = cur
                .open
                .iter()
                .map(|&i| {
                    let l: f64 = cur
                        .split
                        .iter()
                        .enumerate()
                        .flat_map(|(j, s)| {
                            s.iter()
                                .filter(|t| t.0 == i)
                                .map(move |t| t.1 * inst.demand()[j])
                        })
                        .sum();
                    (l / max_cap[i].max(1e-12), i)
                })
                .collect();
            load.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            for &(_, i) in load.iter().take(8) {
                if Instant::now() >= deadline {
                    break;
                }
                let open: Vec<usize> = cur.open.iter().copied().filter(|&k| k != i).collect();
                let cap: f64 = open.iter().map(|&k| max_cap[k]).sum();
                if cap < total || open.is_empty() {
                    continue;
                }
                if let Some(p) = transport_any(inst, &c, &open, remaining(deadline))? {
                    if p.cost < cur.cost - 1e-9 * cur.cost.abs() {
                        progress::report_incumbent(p.cost);
                        cur = p;
                        improved = true;
                        break;
                    }
                }
            }
        }
        best = Some(cur);
    }
    let Some(best) = best else {
        return Ok(empty_result(
            SolveStatus::TimeLimit,
            best_bound,
            Method::Lagrangian,
            started,
            sourcing,
            n,
        ));
    };
    let bound = best_bound.min(best.cost);
    let gap = relative_gap(best.cost, bound);
    Ok(LocationResult {
        open: best.open,
        modules: best.modules,
        assignment: Assignment::Split(best.split),
        objective: best.cost,
        lower_bound: bound,
        gap,
        status: if gap == 0.0 {
            SolveStatus::Optimal
        } else {
            SolveStatus::Feasible
        },
        method: Method::Lagrangian,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Sites a solution cheaper than `incumbent` may open, by Lagrangian fixing: with site
/// values `values` (fixed cost plus the site's subproblem value) and the bound without
/// the aggregate capacity row `l0`, opening a site of value `v > 0` costs at least
/// `l0 + v`, so sites with `l0 + v >= incumbent` stay closed. The incumbent's sites are
/// always kept; at most `max(3 x its open count, 40)` sites, the most attractive
/// (lowest value, then most often chosen by the subproblems) first. Ascending.
fn free_sites(values: &[f64], l0: f64, incumbent: &Primal, chosen_count: &[usize]) -> Vec<usize> {
    let ub = incumbent.cost;
    let mut cand: Vec<usize> = (0..values.len())
        .filter(|&i| l0 + values[i].max(0.0) < ub - 1e-9 * ub.abs().max(1.0))
        .collect();
    cand.sort_by(|&a, &b| {
        values[a]
            .total_cmp(&values[b])
            .then(chosen_count[b].cmp(&chosen_count[a]))
            .then(a.cmp(&b))
    });
    cand.truncate((3 * incumbent.open.len()).max(40));
    cand.extend(incumbent.open.iter().copied());
    cand.sort_unstable();
    cand.dedup();
    cand
}

/// CFLP MIP restricted to `cand` sites and each point's `k` cheapest candidates (plus
/// the arcs `start` uses, which seeds HiGHS with that solution); any solution is
/// feasible for the full problem. None if nothing was found.
fn restricted_mip(
    inst: &LocationInstance,
    c: &[f64],
    cand: &[usize],
    k: usize,
    start: Option<&Primal>,
    time_limit: f64,
) -> Result<Option<Primal>> {
    let n = inst.n_points();
    let demand = inst.demand();
    let mut pb = RowProblem::default();
    let x: Vec<_> = cand
        .iter()
        .map(|&i| pb.add_integer_column(inst.sites()[i].fixed_cost, 0..=1))
        .collect();
    let z: Vec<Vec<_>> = cand
        .iter()
        .map(|&i| {
            inst.sites()[i]
                .modules
                .iter()
                .map(|md| pb.add_integer_column(md.cost, 0.0..=f64::from(md.max_count)))
                .collect()
        })
        .collect();
    let mut arcs: Vec<Vec<(usize, highs::Col)>> = vec![Vec::new(); cand.len()];
    let mut start_arcs: Vec<(highs::Col, f64)> = Vec::new();
    for j in 0..n {
        let mut near: Vec<(f64, usize)> = cand
            .iter()
            .enumerate()
            .filter(|(_, &i)| c[i * n + j].is_finite())
            .map(|(s, &i)| (c[i * n + j], s))
            .collect();
        near.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let used: &[(usize, f64)] = start.map_or(&[], |p| &p.split[j]);
        let mut kept = 0;
        near.retain(|&(_, s)| {
            kept += 1;
            kept <= k || used.iter().any(|t| t.0 == cand[s])
        });
        if near.is_empty() {
            return Ok(None);
        }
        let mut row = Vec::with_capacity(near.len());
        for (cost, s) in near {
            let col = pb.add_column(cost, 0.0..=1.0);
            start_arcs.push((
                col,
                used.iter().find(|t| t.0 == cand[s]).map_or(0.0, |t| t.1),
            ));
            arcs[s].push((j, col));
            row.push((col, 1.0));
            pb.add_row(..=0.0, [(col, 1.0), (x[s], -1.0)]);
        }
        pb.add_row(1.0..=1.0, row);
    }
    for (s, &i) in cand.iter().enumerate() {
        let site = &inst.sites()[i];
        for (kk, md) in site.modules.iter().enumerate() {
            pb.add_row(..=0.0, [(z[s][kk], 1.0), (x[s], -f64::from(md.max_count))]);
        }
        if site.capacity.is_finite() {
            let mut row: Vec<_> = arcs[s].iter().map(|&(j, col)| (col, demand[j])).collect();
            row.push((x[s], -site.capacity));
            for (kk, md) in site.modules.iter().enumerate() {
                row.push((z[s][kk], -md.capacity));
            }
            pb.add_row(..=0.0, row);
        }
    }
    // The starting solution, one value per column (columns are numbered in order).
    let columns = start.map(|p| {
        let mut v = vec![0.0; start_arcs.len() + x.len() + z.iter().map(Vec::len).sum::<usize>()];
        for (s, &i) in cand.iter().enumerate() {
            if let Ok(pos) = p.open.binary_search(&i) {
                v[x[s].index()] = 1.0;
                for (kk, col) in z[s].iter().enumerate() {
                    let count = p.modules.get(pos).and_then(|m| m.get(kk)).copied();
                    v[col.index()] = f64::from(count.unwrap_or(0));
                }
            }
        }
        for &(col, f) in &start_arcs {
            v[col.index()] = f;
        }
        v
    });
    let out = highs_util::run(
        pb,
        Sense::Minimise,
        &highs_util::Settings {
            time_limit: time_limit.max(0.01),
            mip: true,
            mip_rel_gap: Some(1e-6),
            random_seed: Some(0),
            start: columns.as_deref(),
            // its solutions are the whole problem's; its bound is only the restriction's
            observe: highs_util::Observe::IncumbentOnly,
            ..highs_util::Settings::default()
        },
    )?;
    if out.columns.is_empty() {
        return Ok(None);
    }
    let v = &out.columns;
    let open: Vec<usize> = (0..cand.len())
        .filter(|&s| v[x[s].index()] > 0.5)
        .map(|s| cand[s])
        .collect();
    // Re-solve the transportation problem exactly for the open set found.
    transport_any(inst, c, &open, time_limit)
}
