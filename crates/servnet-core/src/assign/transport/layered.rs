//! Exact min-cost flow on the three-layer network of batch assignment with outlet-wide
//! caps:
//!
//! ```text
//! ticket --(cost)--> bucket (offer x day, cap) --> group (outlet x day, cap) --> sink
//!    \____________________(unassigned penalty)_______________________________/
//! ```
//!
//! A pure transport model cannot carry both the skill capacity of an offer and the
//! outlet-wide daily cap that couples an outlet's skills; this network can, and stays a
//! network flow, so it is solved exactly (and integrally) by successive shortest paths:
//! each ticket's supply is routed along shortest augmenting paths found by Dijkstra on
//! reduced costs (node potentials keep them non-negative). Each search stops when the
//! sink is settled and only settled nodes' potentials move, so tickets whose cheapest
//! option still has room cost a handful of heap operations.
//!
//! Tickets of `u > 1` units send `u` units at `floor(cost / u)` per unit; the flow may
//! then split a ticket over several buckets. That is the LP relaxation of the
//! generalised assignment problem (weights equal across buckets), which
//! [`LayeredSolution::lower_bound`] turns into a valid bound; the batch assignment
//! heuristic repairs split tickets into a feasible plan.
//!
//! Proof of the answer: the Lagrangian bound computed from the final potentials,
//! `sum_t min(pen_t, min_b (c_tb + u_t (p_b + q_g(b)))) - sum_b cap_b p_b - sum_g cap_g q_g`,
//! is valid for any prices `p, q >= 0` and equals the objective for unit tickets.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::{Error, Result};

/// The three-layer assignment network. Arcs are in CSR form per ticket, as in
/// [`super::flow::TransportProblem`]; costs are for the whole ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayeredProblem {
    /// Units of each ticket (its supply), >= 1.
    pub units: Vec<u32>,
    /// Capacity of each bucket (offer x day).
    pub bucket_cap: Vec<u32>,
    /// Group (outlet x day) of each bucket.
    pub bucket_group: Vec<u32>,
    /// Capacity of each group.
    pub group_cap: Vec<u32>,
    /// CSR offsets, one per ticket plus one.
    pub arc_start: Vec<usize>,
    /// Bucket of each arc.
    pub arc_bucket: Vec<u32>,
    /// Cost of each arc (whole ticket).
    pub arc_cost: Vec<i64>,
    /// Cost of leaving each ticket unassigned (whole ticket).
    pub unassigned_penalty: Vec<i64>,
}

/// The optimal flow of a [`LayeredProblem`].
#[derive(Debug, Clone, PartialEq)]
pub struct LayeredSolution {
    /// Units sent along each arc (aligned with `arc_bucket`).
    pub arc_flow: Vec<u32>,
    /// Units of each ticket left unassigned.
    pub unassigned: Vec<u32>,
    /// Cost of the flow in true (whole-ticket) costs when no ticket is split; for
    /// split tickets each unit is charged `cost / units` (rounded down).
    pub objective: i64,
    /// A valid lower bound on every integral assignment (Lagrangian, from the duals).
    pub lower_bound: i64,
    /// Augmenting paths run.
    pub augmentations: usize,
}

impl LayeredProblem {
    /// Number of tickets.
    pub fn tickets(&self) -> usize {
        self.units.len()
    }

    /// Checks lengths, offsets, indices, units and cost magnitudes.
    pub fn validate(&self) -> Result<()> {
        let n = self.units.len();
        let bad = |name: &str, msg: String| Err(Error::argument(name, msg));
        if self.unassigned_penalty.len() != n {
            return bad("unassigned_penalty", format!("expected {n} entries"));
        }
        if self.units.contains(&0) {
            return bad("units", "every ticket needs >= 1 unit".into());
        }
        if self.bucket_group.len() != self.bucket_cap.len() {
            return bad("bucket_group", "one group per bucket".into());
        }
        if self
            .bucket_group
            .iter()
            .any(|&g| g as usize >= self.group_cap.len())
        {
            return bad("bucket_group", "group index out of range".into());
        }
        if self.arc_start.len() != n + 1
            || self.arc_start.first() != Some(&0)
            || self.arc_start.windows(2).any(|w| w[0] > w[1])
        {
            return bad("arc_start", format!("expected {} offsets from 0", n + 1));
        }
        let total = self.arc_start[n];
        if self.arc_bucket.len() != total || self.arc_cost.len() != total {
            return bad("arc_bucket", format!("expected {total} arcs"));
        }
        if self
            .arc_bucket
            .iter()
            .any(|&b| b as usize >= self.bucket_cap.len())
        {
            return bad("arc_bucket", "bucket index out of range".into());
        }
        let big =
            |v: &i64| !(-super::problem::MAX_ABS_COST..=super::problem::MAX_ABS_COST).contains(v);
        if self.arc_cost.iter().any(big) || self.unassigned_penalty.iter().any(big) {
            return bad("arc_cost", "costs must be within +-2^40".into());
        }
        Ok(())
    }

    /// Cost of an integral assignment (`None`: unassigned), or an error if it breaks a
    /// capacity or uses an arc the ticket does not have.
    pub fn evaluate(&self, assignment: &[Option<u32>]) -> Result<i64> {
        if assignment.len() != self.tickets() {
            return Err(Error::argument("assignment", "one entry per ticket"));
        }
        let mut bl = vec![0u64; self.bucket_cap.len()];
        let mut gl = vec![0u64; self.group_cap.len()];
        let mut total = 0i64;
        for (t, a) in assignment.iter().enumerate() {
            match a {
                None => total += self.unassigned_penalty[t],
                Some(b) => {
                    let c = (self.arc_start[t]..self.arc_start[t + 1])
                        .filter(|&k| self.arc_bucket[k] == *b)
                        .map(|k| self.arc_cost[k])
                        .min()
                        .ok_or_else(|| {
                            Error::argument("assignment", format!("ticket {t} has no arc to {b}"))
                        })?;
                    total += c;
                    bl[*b as usize] += u64::from(self.units[t]);
                    gl[self.bucket_group[*b as usize] as usize] += u64::from(self.units[t]);
                }
            }
        }
        if let Some(b) = (0..bl.len()).find(|&b| bl[b] > u64::from(self.bucket_cap[b])) {
            return Err(Error::argument(
                "assignment",
                format!("bucket {b} over capacity"),
            ));
        }
        if let Some(g) = (0..gl.len()).find(|&g| gl[g] > u64::from(self.group_cap[g])) {
            return Err(Error::argument(
                "assignment",
                format!("group {g} over capacity"),
            ));
        }
        Ok(total)
    }

    /// The Lagrangian bound for bucket prices `p >= 0` and group prices `q >= 0`.
    pub fn dual_bound(&self, p: &[i64], q: &[i64]) -> i64 {
        let mut lb: i128 = 0;
        for t in 0..self.tickets() {
            let u = i128::from(self.units[t]);
            let best = (self.arc_start[t]..self.arc_start[t + 1])
                .map(|k| {
                    let b = self.arc_bucket[k] as usize;
                    let g = self.bucket_group[b] as usize;
                    i128::from(self.arc_cost[k]) + u * i128::from(p[b] + q[g])
                })
                .fold(i128::from(self.unassigned_penalty[t]), i128::min);
            lb += best;
        }
        for (b, &pb) in p.iter().enumerate() {
            lb -= i128::from(pb) * i128::from(self.bucket_cap[b]);
        }
        for (g, &qg) in q.iter().enumerate() {
            lb -= i128::from(qg) * i128::from(self.group_cap[g]);
        }
        i64::try_from(lb).unwrap_or(i64::MIN)
    }
}

const NONE: u32 = u32::MAX;

/// Residual graph with edges in pairs (`e`, `e ^ 1`).
struct Graph {
    head: Vec<usize>,
    to: Vec<u32>,
    cap: Vec<u32>,
    cost: Vec<i64>,
    adj: Vec<u32>,
}

/// Solves a [`LayeredProblem`] by successive shortest paths. Exact (and integral) for
/// unit tickets; the LP relaxation of the GAP otherwise. Deterministic.
// CSR loops index several parallel arrays by ticket and arc.
#[allow(clippy::needless_range_loop)]
pub fn solve_layered(p: &LayeredProblem) -> Result<LayeredSolution> {
    p.validate()?;
    let n = p.tickets();
    let nb = p.bucket_cap.len();
    let ng = p.group_cap.len();
    let sink = n + nb + ng;
    let nodes = sink + 1;
    // Edge list: per ticket its arcs then the unassigned edge; bucket -> group; group -> sink.
    let mut from = Vec::new();
    let mut g = Graph {
        head: Vec::new(),
        to: Vec::new(),
        cap: Vec::new(),
        cost: Vec::new(),
        adj: Vec::new(),
    };
    let add = |g: &mut Graph, from: &mut Vec<u32>, u: usize, v: usize, cap: u32, c: i64| {
        from.push(u as u32);
        g.to.push(v as u32);
        g.cap.push(cap);
        g.cost.push(c);
        from.push(v as u32);
        g.to.push(u as u32);
        g.cap.push(0);
        g.cost.push(-c);
    };
    for t in 0..n {
        let u = i64::from(p.units[t]);
        let per = |c: i64| c.div_euclid(u);
        let range = p.arc_start[t]..p.arc_start[t + 1];
        // Shift a ticket's per-unit costs so they are >= 0 (every unit leaves the ticket
        // on exactly one edge, so the optimum does not change).
        let shift = range
            .clone()
            .map(|k| per(p.arc_cost[k]))
            .fold(per(p.unassigned_penalty[t]), i64::min);
        for k in range {
            let b = n + p.arc_bucket[k] as usize;
            add(
                &mut g,
                &mut from,
                t,
                b,
                p.units[t],
                per(p.arc_cost[k]) - shift,
            );
        }
        add(
            &mut g,
            &mut from,
            t,
            sink,
            p.units[t],
            per(p.unassigned_penalty[t]) - shift,
        );
    }
    let first_bucket_edge = g.to.len();
    for b in 0..nb {
        let gi = n + nb + p.bucket_group[b] as usize;
        add(&mut g, &mut from, n + b, gi, p.bucket_cap[b], 0);
    }
    for (gi, &cap) in p.group_cap.iter().enumerate() {
        add(&mut g, &mut from, n + nb + gi, sink, cap, 0);
    }
    // Adjacency in CSR, edges of a node in insertion order.
    let mut deg = vec![0usize; nodes + 1];
    for &u in &from {
        deg[u as usize + 1] += 1;
    }
    for i in 0..nodes {
        deg[i + 1] += deg[i];
    }
    g.head = deg.clone();
    g.adj = vec![0; from.len()];
    let mut fill = deg;
    for (e, &u) in from.iter().enumerate() {
        g.adj[fill[u as usize]] = e as u32;
        fill[u as usize] += 1;
    }

    let mut h = vec![0i64; nodes];
    let mut dist = vec![i64::MAX; nodes];
    let mut pred = vec![NONE; nodes];
    let mut done = vec![false; nodes];
    let mut touched: Vec<u32> = Vec::new();
    let mut settled: Vec<u32> = Vec::new();
    let mut heap = BinaryHeap::new();
    let mut augmentations = 0usize;
    for s in 0..n {
        let mut supply = p.units[s];
        while supply > 0 {
            augmentations += 1;
            dist[s] = 0;
            touched.push(s as u32);
            heap.push(Reverse((0i64, s as u32)));
            while let Some(Reverse((d, v))) = heap.pop() {
                let vi = v as usize;
                if done[vi] || d > dist[vi] {
                    continue;
                }
                done[vi] = true;
                settled.push(v);
                if vi == sink {
                    break;
                }
                for &e in &g.adj[g.head[vi]..g.head[vi + 1]] {
                    let e = e as usize;
                    if g.cap[e] == 0 {
                        continue;
                    }
                    let w = g.to[e] as usize;
                    if done[w] {
                        continue;
                    }
                    let nd = d + g.cost[e] + h[vi] - h[w];
                    if nd < dist[w] {
                        if dist[w] == i64::MAX {
                            touched.push(w as u32);
                        }
                        dist[w] = nd;
                        pred[w] = e as u32;
                        heap.push(Reverse((nd, w as u32)));
                    }
                }
            }
            heap.clear();
            if !done[sink] {
                return Err(Error::Solver("sink unreachable (internal)".into()));
            }
            let dt = dist[sink];
            for &v in &settled {
                h[v as usize] += dist[v as usize] - dt;
            }
            // Bottleneck and augmentation.
            let mut amount = supply;
            let mut v = sink;
            while v != s {
                let e = pred[v] as usize;
                amount = amount.min(g.cap[e]);
                v = from[e] as usize;
            }
            let mut v = sink;
            while v != s {
                let e = pred[v] as usize;
                g.cap[e] -= amount;
                g.cap[e ^ 1] += amount;
                v = from[e] as usize;
            }
            supply -= amount;
            for &v in &touched {
                dist[v as usize] = i64::MAX;
                done[v as usize] = false;
                pred[v as usize] = NONE;
            }
            touched.clear();
            settled.clear();
        }
    }
    // Read the flow back: ticket t's edges come first, in arc order then unassigned.
    let mut arc_flow = vec![0u32; p.arc_bucket.len()];
    let mut unassigned = vec![0u32; n];
    let mut objective: i64 = 0;
    let mut e = 0usize;
    for t in 0..n {
        let u = i64::from(p.units[t]);
        for k in p.arc_start[t]..p.arc_start[t + 1] {
            arc_flow[k] = g.cap[e + 1];
            objective += if arc_flow[k] == p.units[t] {
                p.arc_cost[k]
            } else {
                i64::from(arc_flow[k]) * p.arc_cost[k].div_euclid(u)
            };
            e += 2;
        }
        unassigned[t] = g.cap[e + 1];
        objective += if unassigned[t] == p.units[t] {
            p.unassigned_penalty[t]
        } else {
            i64::from(unassigned[t]) * p.unassigned_penalty[t].div_euclid(u)
        };
        e += 2;
    }
    debug_assert_eq!(e, first_bucket_edge);
    // Duals: the price of a bucket's (group's) capacity is the potential drop across
    // its edge, when positive.
    let price: Vec<i64> = (0..nb)
        .map(|b| {
            let gi = n + nb + p.bucket_group[b] as usize;
            (h[gi] - h[n + b]).max(0)
        })
        .collect();
    let gprice: Vec<i64> = (0..ng)
        .map(|gi| (h[sink] - h[n + nb + gi]).max(0))
        .collect();
    let lower_bound = p.dual_bound(&price, &gprice);
    Ok(LayeredSolution {
        arc_flow,
        unassigned,
        objective,
        lower_bound,
        augmentations,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn tiny() -> LayeredProblem {
        // Two tickets, one outlet with two skills (buckets 0, 1) and an outlet-wide cap of 1.
        LayeredProblem {
            units: vec![1, 1],
            bucket_cap: vec![1, 1],
            bucket_group: vec![0, 0],
            group_cap: vec![1],
            arc_start: vec![0, 1, 2],
            arc_bucket: vec![0, 1],
            arc_cost: vec![5, 3],
            unassigned_penalty: vec![100, 10],
        }
    }

    /// The outlet-wide cap binds: the cheaper-to-leave ticket stays out.
    #[test]
    fn outlet_cap_couples_skills() {
        let p = tiny();
        let s = solve_layered(&p).unwrap();
        assert_eq!(s.arc_flow, vec![1, 0]);
        assert_eq!(s.objective, 15);
        assert_eq!(s.lower_bound, 15);
    }

    /// Empty problems are fine.
    #[test]
    fn empty() {
        let p = LayeredProblem {
            units: vec![],
            bucket_cap: vec![],
            bucket_group: vec![],
            group_cap: vec![],
            arc_start: vec![0],
            arc_bucket: vec![],
            arc_cost: vec![],
            unassigned_penalty: vec![],
        };
        let s = solve_layered(&p).unwrap();
        assert_eq!((s.objective, s.lower_bound), (0, 0));
    }
}
