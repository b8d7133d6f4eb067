//! Coverage models: a point is covered by a site when their matrix entry (a distance)
//! is at most the point's radius (its service-level commitment, e.g. 30 km in tier A).
//!
//! - Set covering: open sites of least total cost (or fewest sites) so every point is
//!   covered. [`set_covering_mip`] (HiGHS) and [`set_covering_greedy`] (Chvatal's
//!   ratio greedy, then redundant sites dropped).
//! - Maximal coverage: open `p` sites covering the most demand.
//!   [`max_coverage_mip`] (HiGHS) and [`max_coverage_greedy`], whose upper bound uses
//!   submodularity: after any greedy step `k`, `OPT <= covered_k + p * best_gain_k+1`.
//!
//! For maximal coverage the result's `objective` is the covered demand and
//! `lower_bound` holds an **upper** bound on it (the problem is a maximisation).

use std::time::Instant;

use highs::{RowProblem, Sense};

use super::{
    highs_util, relative_gap, Assignment, LocationInstance, LocationResult, Method, SolveOptions,
    SolveStatus,
};
use crate::{Error, Result};

/// What set covering minimises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum CoverCost {
    /// The number of open sites.
    Count,
    /// The sum of the open sites' fixed costs.
    FixedCost,
}

/// For each point, the sites covering it (ascending). Validates the radii.
fn coverage(inst: &LocationInstance, radius: &[f64]) -> Result<Vec<Vec<usize>>> {
    if radius.len() != inst.n_points() {
        return Err(Error::argument(
            "radius",
            format!("expected {} radii, got {}", inst.n_points(), radius.len()),
        ));
    }
    if let Some(j) = radius.iter().position(|r| r.is_nan() || *r < 0.0) {
        return Err(Error::argument(
            "radius",
            format!("point {j}: radius must be >= 0"),
        ));
    }
    let m = inst.matrix();
    Ok((0..inst.n_points())
        .map(|j| {
            (0..inst.n_sites())
                .filter(|&i| m.get(i, j) <= radius[j])
                .collect()
        })
        .collect())
}

fn site_weight(inst: &LocationInstance, i: usize, what: CoverCost) -> f64 {
    match what {
        CoverCost::Count => 1.0,
        CoverCost::FixedCost => inst.sites()[i].fixed_cost,
    }
}

/// Each point's nearest open covering site.
fn assign_covered(
    inst: &LocationInstance,
    cover: &[Vec<usize>],
    open: &[bool],
) -> Vec<Option<usize>> {
    let m = inst.matrix();
    cover
        .iter()
        .enumerate()
        .map(|(j, cs)| {
            cs.iter()
                .copied()
                .filter(|&i| open[i])
                .min_by(|&a, &b| m.get(a, j).total_cmp(&m.get(b, j)).then(a.cmp(&b)))
        })
        .collect()
}

/// The `Infeasible` answer (nothing opened) when some point no site can cover.
fn uncoverable(
    inst: &LocationInstance,
    cover: &[Vec<usize>],
    method: Method,
    started: Instant,
) -> Option<LocationResult> {
    cover.iter().any(|c| c.is_empty()).then(|| {
        finish(
            inst,
            cover,
            vec![false; inst.n_sites()],
            f64::INFINITY,
            f64::INFINITY,
            SolveStatus::Infeasible,
            method,
            started,
        )
    })
}

#[allow(clippy::too_many_arguments)]
fn finish(
    inst: &LocationInstance,
    cover: &[Vec<usize>],
    open_flags: Vec<bool>,
    objective: f64,
    bound: f64,
    status: SolveStatus,
    method: Method,
    started: Instant,
) -> LocationResult {
    let open: Vec<usize> = (0..open_flags.len()).filter(|&i| open_flags[i]).collect();
    let gap = relative_gap(objective, bound);
    LocationResult {
        modules: open.iter().map(|_| Vec::new()).collect(),
        open,
        assignment: Assignment::Single(assign_covered(inst, cover, &open_flags)),
        objective,
        lower_bound: bound,
        gap,
        status: if status == SolveStatus::Feasible && gap == 0.0 {
            SolveStatus::Optimal
        } else {
            status
        },
        method,
        seconds: started.elapsed().as_secs_f64(),
    }
}

/// Set covering by MIP (HiGHS). Points no site can cover make it `Infeasible`.
///
/// Errors if `radius` has the wrong length or a negative entry, or HiGHS fails.
pub fn set_covering_mip(
    inst: &LocationInstance,
    radius: &[f64],
    what: CoverCost,
    opts: &SolveOptions,
) -> Result<LocationResult> {
    let started = Instant::now();
    let cover = coverage(inst, radius)?;
    let m = inst.n_sites();
    if let Some(none) = uncoverable(inst, &cover, Method::Mip, started) {
        return Ok(none);
    }
    let mut pb = RowProblem::default();
    let x: Vec<_> = (0..m)
        .map(|i| pb.add_integer_column(site_weight(inst, i, what), 0..=1))
        .collect();
    for cs in &cover {
        pb.add_row(1.0.., cs.iter().map(|&i| (x[i], 1.0)));
    }
    let out = highs_util::solve(pb, Sense::Minimise, opts.time_limit, opts.mip_rel_gap, true)?;
    let flags: Vec<bool> = if out.columns.is_empty() {
        vec![false; m]
    } else {
        (0..m).map(|i| out.columns[x[i].index()] > 0.5).collect()
    };
    let objective = if out.columns.is_empty() {
        f64::INFINITY
    } else {
        out.objective
    };
    Ok(finish(
        inst,
        &cover,
        flags,
        objective,
        out.bound.min(objective),
        out.status,
        Method::Mip,
        started,
    ))
}

/// Set covering by Chvatal's greedy (most newly covered points per unit cost; ties by
/// lowest index), then dropping sites whose points are all covered twice, costliest
/// first. The bound is `max_j min_{i covers j} cost_i` (weak but valid).
///
/// Errors as [`set_covering_mip`].
pub fn set_covering_greedy(
    inst: &LocationInstance,
    radius: &[f64],
    what: CoverCost,
) -> Result<LocationResult> {
    let started = Instant::now();
    let cover = coverage(inst, radius)?;
    let m = inst.n_sites();
    if let Some(none) = uncoverable(inst, &cover, Method::Greedy, started) {
        return Ok(none);
    }
    let mut covers_of: Vec<Vec<usize>> = vec![Vec::new(); m];
    for (j, cs) in cover.iter().enumerate() {
        for &i in cs {
            covers_of[i].push(j);
        }
    }
    let mut covered = vec![false; cover.len()];
    let mut left = cover.len();
    let mut open = vec![false; m];
    while left > 0 {
        let mut best: Option<(f64, usize)> = None;
        for i in (0..m).filter(|&i| !open[i]) {
            let new = covers_of[i].iter().filter(|&&j| !covered[j]).count() as f64;
            if new == 0.0 {
                continue;
            }
            let score = new / site_weight(inst, i, what).max(1e-12);
            if best.is_none_or(|b| score > b.0) {
                best = Some((score, i));
            }
        }
        let Some((_, i)) = best else { break };
        open[i] = true;
        for &j in &covers_of[i] {
            if !covered[j] {
                covered[j] = true;
                left -= 1;
            }
        }
    }
    // Drop redundant sites, costliest first.
    let mut count = vec![0usize; cover.len()];
    for (j, cs) in cover.iter().enumerate() {
        count[j] = cs.iter().filter(|&&i| open[i]).count();
    }
    let mut order: Vec<usize> = (0..m).filter(|&i| open[i]).collect();
    order.sort_by(|&a, &b| {
        site_weight(inst, b, what)
            .total_cmp(&site_weight(inst, a, what))
            .then(a.cmp(&b))
    });
    for i in order {
        if covers_of[i].iter().all(|&j| count[j] >= 2) {
            open[i] = false;
            for &j in &covers_of[i] {
                count[j] -= 1;
            }
        }
    }
    let objective: f64 = (0..m)
        .filter(|&i| open[i])
        .map(|i| site_weight(inst, i, what))
        .sum();
    let bound = cover
        .iter()
        .map(|cs| {
            cs.iter()
                .map(|&i| site_weight(inst, i, what))
                .fold(f64::INFINITY, f64::min)
        })
        .fold(0.0, f64::max);
    Ok(finish(
        inst,
        &cover,
        open,
        objective,
        bound.min(objective),
        SolveStatus::Feasible,
        Method::Greedy,
        started,
    ))
}

fn check_p(inst: &LocationInstance, p: usize) -> Result<()> {
    if p == 0 || p > inst.n_sites() {
        return Err(Error::argument(
            "p",
            format!("expected 1..={} sites, got {p}", inst.n_sites()),
        ));
    }
    Ok(())
}

/// Maximal coverage by MIP (HiGHS): open exactly `p` sites (`x_i`), `z_j <= sum of
/// covering x_i`, maximise covered demand `sum d_j z_j`.
///
/// Errors if `p` is out of range, the radii are bad, or HiGHS fails.
pub fn max_coverage_mip(
    inst: &LocationInstance,
    radius: &[f64],
    p: usize,
    opts: &SolveOptions,
) -> Result<LocationResult> {
    let started = Instant::now();
    check_p(inst, p)?;
    let cover = coverage(inst, radius)?;
    let m = inst.n_sites();
    let mut pb = RowProblem::default();
    let x: Vec<_> = (0..m).map(|_| pb.add_integer_column(0.0, 0..=1)).collect();
    let z: Vec<_> = inst
        .demand()
        .iter()
        .map(|&d| pb.add_column(d, 0.0..=1.0))
        .collect();
    for (j, cs) in cover.iter().enumerate() {
        let mut row: Vec<_> = cs.iter().map(|&i| (x[i], -1.0)).collect();
        row.push((z[j], 1.0));
        pb.add_row(..=0.0, row);
    }
    let py = p as f64;
    pb.add_row(py..=py, x.iter().map(|&c| (c, 1.0)));
    let out = highs_util::solve(pb, Sense::Maximise, opts.time_limit, opts.mip_rel_gap, true)?;
    let flags: Vec<bool> = if out.columns.is_empty() {
        vec![false; m]
    } else {
        (0..m).map(|i| out.columns[x[i].index()] > 0.5).collect()
    };
    let objective = covered_demand(inst, &cover, &flags);
    Ok(finish(
        inst,
        &cover,
        flags,
        objective,
        out.bound.max(objective),
        out.status,
        Method::Mip,
        started,
    ))
}

fn covered_demand(inst: &LocationInstance, cover: &[Vec<usize>], open: &[bool]) -> f64 {
    cover
        .iter()
        .zip(inst.demand())
        .filter(|(cs, _)| cs.iter().any(|&i| open[i]))
        .map(|(_, d)| d)
        .sum()
}

/// Maximal coverage by greedy (largest newly covered demand; ties by lowest index),
/// with the submodularity upper bound described in the module docs.
///
/// Errors if `p` is out of range or the radii are bad.
pub fn max_coverage_greedy(
    inst: &LocationInstance,
    radius: &[f64],
    p: usize,
) -> Result<LocationResult> {
    let started = Instant::now();
    check_p(inst, p)?;
    let cover = coverage(inst, radius)?;
    let m = inst.n_sites();
    let d = inst.demand();
    let mut covers_of: Vec<Vec<usize>> = vec![Vec::new(); m];
    for (j, cs) in cover.iter().enumerate() {
        for &i in cs {
            covers_of[i].push(j);
        }
    }
    let mut covered = vec![false; cover.len()];
    let mut open = vec![false; m];
    let mut value = 0.0;
    let mut upper = f64::INFINITY;
    for step in 0..=p {
        let mut best: Option<(f64, usize)> = None;
        let mut gains: Vec<f64> = Vec::with_capacity(m);
        for i in 0..m {
            let g: f64 = if open[i] {
                0.0
            } else {
                covers_of[i]
                    .iter()
                    .filter(|&&j| !covered[j])
                    .map(|&j| d[j])
                    .sum()
            };
            gains.push(g);
            if !open[i] && best.is_none_or(|b| g > b.0) {
                best = Some((g, i));
            }
        }
        // OPT <= value + sum of the p largest gains (submodularity).
        gains.sort_by(|a, b| b.total_cmp(a));
        upper = upper.min(value + gains.iter().take(p).sum::<f64>());
        if step == p {
            break;
        }
        let Some((g, i)) = best else { break };
        open[i] = true;
        value += g;
        for &j in &covers_of[i] {
            covered[j] = true;
        }
    }
    Ok(finish(
        inst,
        &cover,
        open,
        value,
        upper.max(value),
        SolveStatus::Feasible,
        Method::Greedy,
        started,
    ))
}
