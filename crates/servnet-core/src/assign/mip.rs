//! The MIP (HiGHS, warm-started with the heuristic's plan) on the components whose gap
//! the tolerance does not accept.

use super::components::{evaluate_choice, status_of, Answer, Local};
use super::live::LiveTotals;
use super::options::{AssignOptions, Method, AUTO_MIP_ARCS};
use super::problem::COST_SCALE;
use crate::solver::highs_driver::{self, Observe, Settings};
use crate::solver::SolveStatus;
use crate::Result;
use highs::{Col, RowProblem, Sense};
use std::time::Instant;

/// A MIP outcome: the assignment (if any), the bound, whether the time limit hit.
type MipOutcome = (Option<Vec<Option<usize>>>, i64, bool);

/// The binary program through HiGHS: x per arc, one row per ticket (`sum x <= 1`, the
/// slack is "unassigned"), one per bucket, group and side row (units). Starts from
/// `start` (a feasible plan) and stops once the gap is within `tolerance` of `floor`
/// (a known lower bound). `None` when HiGHS found no better solution; the bound is
/// returned either way.
pub(super) fn mip(
    l: &Local,
    time_limit: f64,
    start: &[Option<usize>],
    floor: i64,
    tolerance: f64,
    live: Option<(&LiveTotals, usize)>,
) -> Result<MipOutcome> {
    let lp = &l.lp;
    let n = lp.tickets();
    let mut pb = RowProblem::default();
    let constant: i64 = lp.unassigned_penalty.iter().sum();
    let x: Vec<_> = (0..n)
        .flat_map(|t| (lp.arc_start[t]..lp.arc_start[t + 1]).map(move |k| (t, k)))
        .map(|(t, k)| {
            pb.add_integer_column((lp.arc_cost[k] - lp.unassigned_penalty[t]) as f64, 0..=1)
        })
        .collect();
    let mut bucket_rows: Vec<Vec<(Col, f64)>> = vec![Vec::new(); lp.bucket_cap.len()];
    let mut group_rows: Vec<Vec<(Col, f64)>> = vec![Vec::new(); lp.group_cap.len()];
    let mut arc_units = vec![0.0; lp.arc_bucket.len()];
    for t in 0..n {
        let r = lp.arc_start[t]..lp.arc_start[t + 1];
        if r.is_empty() {
            continue;
        }
        pb.add_row(..=1.0, r.clone().map(|k| (x[k], 1.0)));
        for k in r {
            let b = lp.arc_bucket[k] as usize;
            let u = f64::from(lp.units[t]);
            arc_units[k] = u;
            bucket_rows[b].push((x[k], u));
            group_rows[lp.bucket_group[b] as usize].push((x[k], u));
        }
    }
    for (b, row) in bucket_rows.into_iter().enumerate() {
        pb.add_row(..=f64::from(lp.bucket_cap[b]), row);
    }
    for (g, row) in group_rows.into_iter().enumerate() {
        pb.add_row(..=f64::from(lp.group_cap[g]), row);
    }
    for (r, arcs) in l.side_arcs.iter().enumerate() {
        pb.add_row(
            ..=f64::from(l.side_cap[r]),
            arcs.iter().map(|&k| (x[k], arc_units[k])),
        );
    }
    // Costs are integers: an absolute gap below 1 is a proof of optimality.
    let abs_gap = (tolerance * (floor.max(0) as f64).max(COST_SCALE)).max(0.5);
    // Warm start: the heuristic's plan is the incumbent (and so the cutoff).
    let mut cols = vec![0.0; x.len()];
    for &k in start.iter().flatten() {
        if let Some(c) = cols.get_mut(k) {
            *c = 1.0;
        }
    }
    // HiGHS' live figures of this component, as the whole plan's (progress bars)
    let report = |primal: f64, dual: f64| {
        if let Some((totals, comp)) = live {
            let objective = primal.is_finite().then(|| primal.round() as i64 + constant);
            let bound = dual
                .is_finite()
                .then(|| (dual - 1e-6).ceil() as i64 + constant);
            totals.offer(comp, objective, bound);
        }
    };
    let out = highs_driver::run(
        pb,
        Sense::Minimise,
        &Settings {
            time_limit,
            mip: true,
            mip_rel_gap: Some(0.0),
            mip_abs_gap: Some(abs_gap),
            threads: Some(1),
            start: Some(&cols),
            observe: if live.is_some() {
                Observe::Mapped(&report)
            } else {
                Observe::Nothing
            },
            ..Settings::default()
        },
    )?;
    let timed_out = out.stopped;
    let bound = out.bound;
    let lower_bound = if bound.is_finite() {
        (bound - 1e-6).ceil() as i64 + constant
    } else {
        i64::MIN
    };
    if out.columns.is_empty() {
        return Ok((None, lower_bound, timed_out));
    }
    let cols = out.columns;
    let choice = (0..n)
        .map(|t| (lp.arc_start[t]..lp.arc_start[t + 1]).find(|&k| cols[k] > 0.5))
        .collect();
    Ok((Some(choice), lower_bound, timed_out))
}

/// The MIP on a component within the time left, warm-started from the heuristic's
/// answer `ans`, stopping at `tolerance` (relative to the bound); keeps the better plan
/// and bound. Without time left, `forced` marks the answer as stopped by the limit.
pub(super) fn mip_pass(
    l: &Local,
    mut ans: Answer,
    deadline: Option<Instant>,
    forced: bool,
    tolerance: f64,
    live: Option<(&LiveTotals, usize)>,
) -> Result<Answer> {
    let left = deadline.map_or(0.0, |d| {
        d.saturating_duration_since(Instant::now()).as_secs_f64()
    });
    if left <= 0.0 {
        if forced {
            ans.status = SolveStatus::TimeLimit;
        }
        return Ok(ans);
    }
    let (choice, lb, timed_out) = mip(l, left, &ans.choice, ans.lower_bound, tolerance, live)?;
    ans.method = Method::Mip;
    if let Some(c) = choice {
        // A solution HiGHS reports must pass our own check; if not, keep the heuristic.
        if let Ok(obj) = evaluate_choice(l, &c) {
            if obj < ans.objective {
                ans.objective = obj;
                ans.choice = c;
            }
        }
    }
    ans.lower_bound = ans.lower_bound.max(lb).min(ans.objective);
    ans.status = status_of(ans.objective, ans.lower_bound, timed_out);
    Ok(ans)
}

/// The components that get a MIP pass, given the first-pass answers and `fixed` (the
/// penalties of tickets no outlet can take, part of the plan's objective and bound):
/// none for flow and heuristic; otherwise, when the plan's gap exceeds the tolerance, those with the
/// largest gaps (ties by index) until the others' gaps sum to at most half the
/// tolerance's budget. Each MIP then stops within half the tolerance of its own
/// objective, so the plan ends within the tolerance wherever the MIPs finish.
/// (Auto skips components above [`AUTO_MIP_ARCS`].)
pub(super) fn pick_for_mip(
    comps: &[Local],
    first: &[Answer],
    fixed: i64,
    o: &AssignOptions,
) -> Vec<bool> {
    let mut pick = vec![false; comps.len()];
    if !matches!(o.method, Method::Auto | Method::Mip) {
        return pick;
    }
    let total: i64 = fixed + first.iter().map(|a| a.objective).sum::<i64>();
    let budget = o.gap_tolerance * (total.abs() as f64).max(COST_SCALE);
    let gap = |a: &Answer| (a.objective - a.lower_bound).max(0);
    let mut rest: i64 = first.iter().map(gap).sum();
    if rest as f64 <= budget && o.gap_tolerance > 0.0 {
        return pick;
    }
    let mut order: Vec<usize> = (0..comps.len())
        .filter(|&c| first[c].status != SolveStatus::Optimal)
        .filter(|&c| o.method == Method::Mip || comps[c].lp.arc_bucket.len() <= AUTO_MIP_ARCS)
        .collect();
    order.sort_by_key(|&c| (std::cmp::Reverse(gap(&first[c])), c));
    for c in order {
        if o.gap_tolerance > 0.0 && rest as f64 <= budget / 2.0 {
            break;
        }
        pick[c] = true;
        rest -= gap(&first[c]);
    }
    pick
}
