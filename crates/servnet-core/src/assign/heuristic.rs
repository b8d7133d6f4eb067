//! The heuristic for components with multi-unit tickets or side rows: the flow
//! relaxation (an LP bound), side rows priced by subgradient (a Lagrangian bound),
//! split tickets repaired greedily, then shifts to cheaper arcs with room.

use super::components::{evaluate_choice, status_of, Answer, Local};
use super::options::Method;
use super::transport::{solve_layered, LayeredSolution};
use crate::solver::subgradient::StepSchedule;
use crate::Result;

/// Room tracker for repair and local search.
struct Room {
    bucket: Vec<i64>,
    group: Vec<i64>,
    side: Vec<i64>,
}

impl Room {
    fn new(l: &Local) -> Self {
        Room {
            bucket: l.lp.bucket_cap.iter().map(|&c| i64::from(c)).collect(),
            group: l.lp.group_cap.iter().map(|&c| i64::from(c)).collect(),
            side: l.side_cap.iter().map(|&c| i64::from(c)).collect(),
        }
    }
    /// Whether arc `k` has room for `u` units.
    fn fits(&self, l: &Local, k: usize, u: u32) -> bool {
        let b = l.lp.arc_bucket[k] as usize;
        let g = l.lp.bucket_group[b] as usize;
        let u = i64::from(u);
        self.bucket[b] >= u
            && self.group[g] >= u
            && l.sides_of(k).iter().all(|&r| self.side[r as usize] >= u)
    }
    /// Books `u` units on arc `k` (negative: releases them).
    fn take(&mut self, l: &Local, k: usize, u: i64) {
        let b = l.lp.arc_bucket[k] as usize;
        let g = l.lp.bucket_group[b] as usize;
        self.bucket[b] -= u;
        self.group[g] -= u;
        for &r in l.sides_of(k) {
            self.side[r as usize] -= u;
        }
    }
}

/// Rounds of subgradient on the side rows' prices in [`heuristic`].
const LAGRANGE_ROUNDS: usize = 30;

/// Flow relaxation (LP bound), keep unsplit tickets, repair split ones greedily
/// (most units first), then shift tickets to cheaper arcs with room until no shift
/// helps. Side rows (reserve, quotas) are priced into the flow's costs by subgradient
/// (a Lagrangian bound) and enforced by the repair.
pub(super) fn heuristic(l: &Local) -> Result<Answer> {
    let lp = &l.lp;
    if l.side_cap.is_empty() {
        let s = solve_layered(lp)?;
        return repair(l, &s, s.lower_bound);
    }
    let mut lambda = vec![0i64; l.side_cap.len()];
    let mut priced = lp.clone();
    let mut best: Option<Answer> = None;
    let mut best_lb = i64::MIN;
    let mut schedule = StepSchedule::new(1.0, 3, 1e-3);
    for _round in 0..LAGRANGE_ROUNDS {
        for t in 0..lp.tickets() {
            let u = i64::from(lp.units[t]);
            for k in lp.arc_start[t]..lp.arc_start[t + 1] {
                let price: i64 = l.sides_of(k).iter().map(|&r| lambda[r as usize]).sum();
                priced.arc_cost[k] = lp.arc_cost[k].saturating_add(u.saturating_mul(price));
            }
        }
        let s = solve_layered(&priced)?;
        let charge: i64 = lambda
            .iter()
            .zip(&l.side_cap)
            .map(|(&p, &c)| p.saturating_mul(i64::from(c)))
            .sum();
        let lb = s.lower_bound.saturating_sub(charge);
        let improved = lb > best_lb;
        if improved {
            best_lb = lb;
        }
        schedule.record(improved);
        let a = repair(l, &s, best_lb)?;
        if best.as_ref().is_none_or(|b| a.objective < b.objective) {
            best = Some(a);
        }
        let ub = best.as_ref().map_or(i64::MAX, |b| b.objective);
        if ub <= best_lb || schedule.spent() {
            break;
        }
        // Subgradient: each side row's use by the flow minus its cap.
        let g: Vec<i64> = l
            .side_arcs
            .iter()
            .zip(&l.side_cap)
            .map(|(arcs, &c)| {
                arcs.iter().map(|&k| i64::from(s.arc_flow[k])).sum::<i64>() - i64::from(c)
            })
            .collect();
        let norm: f64 = g
            .iter()
            .zip(&lambda)
            .filter(|(&gi, &p)| gi > 0 || p > 0)
            .map(|(&gi, _)| (gi as f64) * (gi as f64))
            .sum();
        if norm == 0.0 {
            break;
        }
        let step = schedule.step((ub - best_lb) as f64, norm);
        for (p, &gi) in lambda.iter_mut().zip(&g) {
            *p = ((*p as f64) + step * gi as f64).round().clamp(0.0, 1e9) as i64;
        }
    }
    let mut ans = match best {
        Some(a) => a,
        None => repair(l, &solve_layered(lp)?, best_lb)?,
    };
    ans.lower_bound = best_lb.min(ans.objective);
    ans.status = status_of(ans.objective, ans.lower_bound, false);
    Ok(ans)
}

/// A feasible plan from a flow solution `s` (possibly with priced costs): keep the
/// tickets it does not split where they still fit, repair the rest greedily (most units
/// first, at the true costs), then shift. `lower_bound` is carried into the answer.
// CSR loops index several parallel arrays by ticket.
#[allow(clippy::needless_range_loop)]
pub(super) fn repair(l: &Local, s: &LayeredSolution, lower_bound: i64) -> Result<Answer> {
    let lp = &l.lp;
    let n = lp.tickets();
    let mut room = Room::new(l);
    let mut choice: Vec<Option<usize>> = vec![None; n];
    let mut split = Vec::new();
    // With side rows the flow may overfill them: keep first the tickets whose place
    // saves the most against leaving them out (ties by index); otherwise all fit.
    let mut order: Vec<usize> = (0..n).collect();
    if !l.side_cap.is_empty() {
        order.sort_by_key(|&t| {
            let k = (lp.arc_start[t]..lp.arc_start[t + 1]).find(|&k| s.arc_flow[k] > 0);
            let saving = k.map_or(i64::MIN, |k| lp.unassigned_penalty[t] - lp.arc_cost[k]);
            (std::cmp::Reverse(saving), t)
        });
    }
    for t in order {
        let u = lp.units[t];
        if s.unassigned[t] == u {
            continue;
        }
        match (lp.arc_start[t]..lp.arc_start[t + 1]).find(|&k| s.arc_flow[k] == u) {
            Some(k) if room.fits(l, k, u) => {
                choice[t] = Some(k);
                room.take(l, k, i64::from(u));
            }
            _ => split.push(t),
        }
    }
    split.sort_by_key(|&t| (std::cmp::Reverse(lp.units[t]), t));
    for t in split {
        let u = lp.units[t];
        let best = (lp.arc_start[t]..lp.arc_start[t + 1])
            .filter(|&k| lp.arc_cost[k] < lp.unassigned_penalty[t] && room.fits(l, k, u))
            .min_by_key(|&k| (lp.arc_cost[k], k));
        if let Some(k) = best {
            choice[t] = Some(k);
            room.take(l, k, i64::from(u));
        } else if let Some((k, v, kv)) = eject(l, &room, &choice, t) {
            let old = choice[v].unwrap_or(kv);
            room.take(l, old, -i64::from(lp.units[v]));
            room.take(l, kv, i64::from(lp.units[v]));
            choice[v] = Some(kv);
            room.take(l, k, i64::from(u));
            choice[t] = Some(k);
        }
    }
    // Shifts: each ticket to its cheapest arc with room, while that lowers the cost.
    for _pass in 0..10 {
        let mut improved = false;
        for t in 0..n {
            let u = lp.units[t];
            let now = choice[t].map_or(lp.unassigned_penalty[t], |k| lp.arc_cost[k]);
            if let Some(k) = choice[t] {
                room.take(l, k, -i64::from(u));
            }
            let best = (lp.arc_start[t]..lp.arc_start[t + 1])
                .filter(|&k| lp.arc_cost[k] < now && room.fits(l, k, u))
                .min_by_key(|&k| (lp.arc_cost[k], k));
            if let Some(k) = best {
                choice[t] = Some(k);
                improved = true;
            }
            if let Some(k) = choice[t] {
                room.take(l, k, i64::from(u));
            }
        }
        if !improved {
            break;
        }
    }
    let objective = evaluate_choice(l, &choice)?;
    let lower_bound = lower_bound.min(objective);
    Ok(Answer {
        choice,
        objective,
        lower_bound,
        method: Method::Heuristic,
        status: status_of(objective, lower_bound, false),
    })
}

/// An ejection for ticket `t` that fits nowhere: put it on arc `k` after moving one
/// ticket `v` from `k`'s bucket (or group) to its arc `kv` with room. Returns the
/// cheapest such move if it beats leaving `t` out.
fn eject(
    l: &Local,
    room: &Room,
    choice: &[Option<usize>],
    t: usize,
) -> Option<(usize, usize, usize)> {
    let lp = &l.lp;
    let u = i64::from(lp.units[t]);
    let has_sides = !l.side_cap.is_empty();
    let mut best: Option<(i64, usize, usize, usize)> = None;
    for k in lp.arc_start[t]..lp.arc_start[t + 1] {
        if lp.arc_cost[k] >= lp.unassigned_penalty[t] {
            continue;
        }
        let b = lp.arc_bucket[k];
        let g = lp.bucket_group[b as usize];
        let need_b = u - room.bucket[b as usize];
        let need_g = u - room.group[g as usize];
        for (v, c) in choice.iter().enumerate() {
            let Some(kv_old) = *c else { continue };
            let bv = lp.arc_bucket[kv_old];
            let uv = i64::from(lp.units[v]);
            let same_b = bv == b;
            let same_g = lp.bucket_group[bv as usize] == g;
            if !((same_b && uv >= need_b.max(need_g))
                || (!same_b && same_g && need_b <= 0 && uv >= need_g))
            {
                continue;
            }
            for kv in lp.arc_start[v]..lp.arc_start[v + 1] {
                let nb = lp.arc_bucket[kv];
                let ng = lp.bucket_group[nb as usize];
                if ng == g || !room.fits(l, kv, lp.units[v]) {
                    continue;
                }
                let delta = lp.arc_cost[k] + lp.arc_cost[kv] - lp.arc_cost[kv_old];
                if delta >= lp.unassigned_penalty[t] || best.is_some_and(|x| delta >= x.0) {
                    continue;
                }
                if has_sides && !sides_allow(l, room, (k, u), (kv_old, kv, uv)) {
                    continue;
                }
                best = Some((delta, k, v, kv));
            }
        }
    }
    best.map(|(_, k, v, kv)| (k, v, kv))
}

/// Whether the side rows allow moving `uv` units from arc `from` to arc `to` and then
/// booking `u` units on arc `k`.
fn sides_allow(
    l: &Local,
    room: &Room,
    (k, u): (usize, i64),
    (from, to, uv): (usize, usize, i64),
) -> bool {
    let after = |r: u32| {
        let mut x = room.side[r as usize];
        if l.sides_of(from).contains(&r) {
            x += uv;
        }
        if l.sides_of(to).contains(&r) {
            x -= uv;
        }
        x
    };
    l.sides_of(to).iter().all(|&r| after(r) >= 0) && l.sides_of(k).iter().all(|&r| after(r) >= u)
}
