//! The transportation problem of a CFLP with a fixed open set, solved exactly without
//! an LP: start from any feasible split (e.g. the greedy one) and cancel negative
//! cycles among the open sites until none is left.
//!
//! A cycle moves one unit of demand out of each site on it into the next: a unit of
//! point `k` from site `a` to site `b` costs `c_bk / d_k - c_ak / d_k`; a unit of spare
//! capacity ("slack") moves for free from a site that has some. The flow is optimal
//! exactly when no such cycle has negative cost (min-cost flow optimality), which
//! Bellman-Ford on the open sites (a complete digraph whose arc weight is the cheapest
//! such move) decides in `O(sites^3)`; the weights cost `O(split pairs x sites)`.
//!
//! At optimality the Bellman-Ford distances are the dual prices of the site
//! capacities: with `p_i` = (largest distance) - (site `i`'s distance), every point is
//! served by sites minimising `c_ij / d_j + p_i`, and sites with spare room have price
//! 0. Those prices let [`super::cflp_moves`] bound the cost of another open set.

use std::time::Instant;

const NONE: usize = usize::MAX;
const SLACK: usize = usize::MAX - 1;

/// Improves `split` (per point: `(site, fraction)` pairs, sorted by site, each point
/// served in full by sites of `open`) until no negative cycle is left, or `deadline`.
/// `c` is the site x point table of whole-point costs (`n` points), `cap` the capacity
/// of each open site (same order as `open`, ascending). Returns the capacity prices
/// per open site (see the module docs) when the result is proven optimal, None when
/// the deadline or the round limit came first. Points of zero demand are left where
/// they are.
pub(super) fn cancel_cycles(
    c: &[f64],
    n: usize,
    demand: &[f64],
    open: &[usize],
    cap: &[f64],
    split: &mut [Vec<(usize, f64)>],
    deadline: Instant,
) -> Option<Vec<f64>> {
    let s = open.len();
    if s < 2 {
        return Some(vec![0.0; s]);
    }
    let pos = |i: usize| open.binary_search(&i).ok();
    let unit = |i: usize, k: usize| c[i * n + k] / demand[k];
    let mut room: Vec<f64> = cap.to_vec();
    let mut max_unit = 0.0f64;
    for (k, sk) in split.iter().enumerate() {
        if demand[k] <= 0.0 {
            continue;
        }
        for &(i, f) in sk {
            if let Some(a) = pos(i) {
                room[a] -= f * demand[k];
            }
        }
        for &i in open {
            let v = unit(i, k);
            if v.is_finite() {
                max_unit = max_unit.max(v.abs());
            }
        }
    }
    let eps = 1e-10 * max_unit.max(1e-9);
    let mut w = vec![f64::INFINITY; s * s];
    let mut arg = vec![NONE; s * s];
    let mut dist = vec![0.0f64; s];
    let mut pred = vec![NONE; s];
    for _round in 0..50 * n.max(1) {
        if Instant::now() >= deadline {
            return None;
        }
        w.fill(f64::INFINITY);
        arg.fill(NONE);
        for a in 0..s {
            if room[a] > 1e-9 * cap[a].abs().max(1.0) {
                for b in 0..s {
                    if b != a {
                        w[a * s + b] = 0.0;
                        arg[a * s + b] = SLACK;
                    }
                }
            }
        }
        for (k, sk) in split.iter().enumerate() {
            if demand[k] <= 0.0 {
                continue;
            }
            for &(i, f) in sk {
                let Some(a) = pos(i) else { continue };
                if f <= 0.0 {
                    continue;
                }
                let ca = unit(i, k);
                for (b, &ib) in open.iter().enumerate() {
                    let v = unit(ib, k) - ca;
                    if b != a && v < w[a * s + b] {
                        w[a * s + b] = v;
                        arg[a * s + b] = k;
                    }
                }
            }
        }
        // Bellman-Ford from a virtual source at distance 0 to every site.
        dist.fill(0.0);
        pred.fill(NONE);
        let mut last = NONE;
        for _ in 0..s {
            last = NONE;
            for a in 0..s {
                let da = dist[a];
                for b in 0..s {
                    let wab = w[a * s + b];
                    if wab.is_finite() && da + wab < dist[b] - eps {
                        dist[b] = da + wab;
                        pred[b] = a;
                        last = b;
                    }
                }
            }
            if last == NONE {
                return Some(prices(&dist));
            }
        }
        // A vertex still relaxing after s rounds leads back into a negative cycle.
        let mut x = last;
        for _ in 0..s {
            x = pred[x];
            if x == NONE {
                return None;
            }
        }
        let mut cycle = vec![x];
        let mut y = pred[x];
        while y != x && y != NONE && cycle.len() <= s {
            cycle.push(y);
            y = pred[y];
        }
        if y != x {
            return None;
        }
        // Edges (pred -> vertex): cycle[t + 1] -> cycle[t].
        let edges: Vec<(usize, usize)> = (0..cycle.len())
            .map(|t| (cycle[(t + 1) % cycle.len()], cycle[t]))
            .collect();
        let weight: f64 = edges.iter().map(|&(a, b)| w[a * s + b]).sum();
        if weight >= -eps {
            return Some(prices(&dist));
        }
        let mut delta = f64::INFINITY;
        for &(a, b) in &edges {
            let k = arg[a * s + b];
            let avail = if k == SLACK {
                room[a]
            } else {
                split[k]
                    .iter()
                    .find(|t| t.0 == open[a])
                    .map_or(0.0, |t| t.1 * demand[k])
            };
            delta = delta.min(avail);
        }
        if !(delta > 0.0 && delta.is_finite()) {
            return None;
        }
        for &(a, b) in &edges {
            let k = arg[a * s + b];
            if k == SLACK {
                // Spare room changes with the real units moved on the other edges.
                continue;
            }
            let f = delta / demand[k];
            let sk = &mut split[k];
            if let Some(t) = sk.iter_mut().find(|t| t.0 == open[a]) {
                t.1 -= f;
            }
            match sk.iter_mut().find(|t| t.0 == open[b]) {
                Some(t) => t.1 += f,
                None => sk.push((open[b], f)),
            }
            sk.retain(|t| t.1 > 1e-12);
            sk.sort_by_key(|t| t.0);
            room[a] += delta;
            room[b] -= delta;
        }
    }
    None
}

/// Site prices from Bellman-Ford distances: `max(dist) - dist_i` (>= 0, 0 at the
/// sites with spare room).
fn prices(dist: &[f64]) -> Vec<f64> {
    let top = dist.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    dist.iter().map(|d| (top - d).max(0.0)).collect()
}
