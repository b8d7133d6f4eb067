//! Independent components of the problem (tickets linked by shared buckets, groups
//! that can bind and side rows), each as a local layered flow; the answer type, and the
//! first pass: the exact flow where it applies, else the heuristic.

use super::heuristic::heuristic;
use super::options::{AssignOptions, Method};
use super::problem::{Problem, Side};
use super::transport::{solve_layered, solve_transport, LayeredProblem, TransportProblem};
use crate::solver::SolveStatus;
use crate::{Error, Result};

/// Union-find with path halving; the root is the smallest index (deterministic).
struct Dsu(Vec<u32>);

impl Dsu {
    fn find(&mut self, mut x: usize) -> usize {
        while self.0[x] as usize != x {
            self.0[x] = self.0[self.0[x] as usize];
            x = self.0[x] as usize;
        }
        x
    }
    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            let (lo, hi) = (ra.min(rb), ra.max(rb));
            self.0[hi] = lo as u32;
        }
    }
}

/// Tickets (with arcs) grouped into independent components, each in backlog order.
/// Tickets sharing a bucket, a group that can bind, or a side row are in one component.
pub(super) fn components(p: &Problem) -> Vec<Vec<usize>> {
    let n = p.arcs.len();
    let nb = p.bucket_cap.len();
    let mut dsu = Dsu((0..(n + nb + p.group_cap.len()) as u32).collect());
    for (t, list) in p.arcs.iter().enumerate() {
        if let Ok(list) = list {
            for a in list {
                dsu.union(t, n + a.bucket as usize);
            }
        }
    }
    for (b, &g) in p.bucket_group.iter().enumerate() {
        if p.group_binds[g as usize] {
            dsu.union(n + b, n + nb + g as usize);
        }
    }
    for side in &p.sides {
        if let Some(&(first, _)) = side.arcs.first() {
            for &(t, _) in &side.arcs {
                dsu.union(first as usize, t as usize);
            }
        }
    }
    // A root is its component's smallest ticket, so components come in root order.
    let mut comp_of_root = vec![u32::MAX; n];
    let mut out: Vec<Vec<usize>> = Vec::new();
    for t in 0..n {
        if p.arcs[t].is_ok() {
            let r = dsu.find(t);
            if comp_of_root[r] == u32::MAX {
                comp_of_root[r] = out.len() as u32;
                out.push(Vec::new());
            }
            out[comp_of_root[r] as usize].push(t);
        }
    }
    out
}

/// Scratch for [`localise`]: the local number of each global bucket and group (a
/// bucket is in one component; a group that cannot bind may be in several, so its
/// number is kept with the component that set it).
pub(super) struct LocalIds {
    bucket: Vec<u32>,
    group: Vec<u32>,
    group_owner: Vec<u32>,
    next_owner: u32,
}

impl LocalIds {
    pub(super) fn new(p: &Problem) -> Self {
        LocalIds {
            bucket: vec![u32::MAX; p.bucket_cap.len()],
            group: vec![0; p.group_cap.len()],
            group_owner: vec![u32::MAX; p.group_cap.len()],
            next_owner: 0,
        }
    }
}

/// A component's own problem with local indices.
pub(super) struct Local {
    pub(super) tickets: Vec<usize>,
    pub(super) lp: LayeredProblem,
    pub(super) binds: bool,
    /// Side rows: capacity and local arcs.
    pub(super) side_cap: Vec<u32>,
    pub(super) side_arcs: Vec<Vec<usize>>,
    /// Per local arc, its side rows (empty when the component has none).
    pub(super) arc_sides: Vec<Vec<u32>>,
}

impl Local {
    pub(super) fn sides_of(&self, k: usize) -> &[u32] {
        self.arc_sides.get(k).map_or(&[], |v| v.as_slice())
    }
}

/// `pos[t]`: the local index of ticket `t` in its component; `sides`: the side rows
/// whose tickets are in this component.
pub(super) fn localise(
    p: &Problem,
    tickets: Vec<usize>,
    sides: &[&Side],
    pos: &[u32],
    ids: &mut LocalIds,
) -> Local {
    let owner = ids.next_owner;
    ids.next_owner += 1;
    // Sized from the counts: no growth (and no page touched twice) per arc.
    let n_arcs: usize = tickets
        .iter()
        .map(|&t| p.arcs[t].as_ref().map_or(0, Vec::len))
        .sum();
    let mut arc_start = Vec::with_capacity(tickets.len() + 1);
    arc_start.push(0);
    let mut lp = LayeredProblem {
        units: Vec::with_capacity(tickets.len()),
        bucket_cap: Vec::new(),
        bucket_group: Vec::new(),
        group_cap: Vec::new(),
        arc_start,
        arc_bucket: Vec::with_capacity(n_arcs),
        arc_cost: Vec::with_capacity(n_arcs),
        unassigned_penalty: Vec::with_capacity(tickets.len()),
    };
    let mut binds = false;
    for &t in &tickets {
        if let Ok(list) = &p.arcs[t] {
            for a in list {
                let gb = a.bucket as usize;
                if ids.bucket[gb] == u32::MAX {
                    let g = p.bucket_group[gb] as usize;
                    if ids.group_owner[g] != owner {
                        ids.group_owner[g] = owner;
                        ids.group[g] = lp.group_cap.len() as u32;
                        lp.group_cap.push(p.group_cap[g]);
                        binds |= p.group_binds[g];
                    }
                    ids.bucket[gb] = lp.bucket_cap.len() as u32;
                    lp.bucket_cap.push(p.bucket_cap[gb]);
                    lp.bucket_group.push(ids.group[g]);
                }
                let b = ids.bucket[gb];
                lp.arc_bucket.push(b);
                lp.arc_cost.push(p.cost(t, a));
            }
        }
        lp.arc_start.push(lp.arc_bucket.len());
        lp.units.push(p.units[t]);
        lp.unassigned_penalty.push(p.penalty[t]);
    }
    let side_cap: Vec<u32> = sides.iter().map(|s| s.cap).collect();
    let side_arcs: Vec<Vec<usize>> = sides
        .iter()
        .map(|s| {
            s.arcs
                .iter()
                .map(|&(t, j)| lp.arc_start[pos[t as usize] as usize] + j as usize)
                .collect()
        })
        .collect();
    let mut arc_sides = Vec::new();
    if !sides.is_empty() {
        arc_sides = vec![Vec::new(); lp.arc_bucket.len()];
        for (r, list) in side_arcs.iter().enumerate() {
            for &k in list {
                arc_sides[k].push(r as u32);
            }
        }
    }
    Local {
        tickets,
        lp,
        binds,
        side_cap,
        side_arcs,
        arc_sides,
    }
}

/// A component's answer: the local arc index of each ticket (None: unassigned).
pub(super) struct Answer {
    pub(super) choice: Vec<Option<usize>>,
    pub(super) objective: i64,
    pub(super) lower_bound: i64,
    pub(super) method: Method,
    pub(super) status: SolveStatus,
}

/// The cheapest of ticket `t`'s arcs into bucket `b` (ties by position).
fn arc_of(lp: &LayeredProblem, t: usize, b: u32) -> Option<usize> {
    (lp.arc_start[t]..lp.arc_start[t + 1])
        .filter(|&k| lp.arc_bucket[k] == b)
        .min_by_key(|&k| (lp.arc_cost[k], k))
}

/// The cost of a choice of arcs, or an error if it breaks a bucket, group or side row.
pub(super) fn evaluate_choice(l: &Local, choice: &[Option<usize>]) -> Result<i64> {
    let lp = &l.lp;
    let mut used = vec![0u64; l.side_cap.len()];
    let mut total = 0i64;
    let mut buckets = Vec::with_capacity(choice.len());
    for (t, c) in choice.iter().enumerate() {
        match *c {
            None => {
                total += lp.unassigned_penalty[t];
                buckets.push(None);
            }
            Some(k) => {
                if !(lp.arc_start[t]..lp.arc_start[t + 1]).contains(&k) {
                    return Err(Error::argument(
                        "assignment",
                        format!("ticket {t} has no arc {k}"),
                    ));
                }
                total += lp.arc_cost[k];
                buckets.push(Some(lp.arc_bucket[k]));
                for &r in l.sides_of(k) {
                    used[r as usize] += u64::from(lp.units[t]);
                }
            }
        }
    }
    if let Some(r) = (0..used.len()).find(|&r| used[r] > u64::from(l.side_cap[r])) {
        return Err(Error::argument(
            "assignment",
            format!("side row {r} over capacity"),
        ));
    }
    // Buckets and groups (the arc chosen may not be the bucket's cheapest: cost above).
    lp.evaluate(&buckets)?;
    Ok(total)
}

/// Unit tickets without side rows: the exact flow (transport solver when no group can
/// bind, else the layered flow), proven optimal by its dual bound.
fn exact_flow(l: &mut Local) -> Result<Answer> {
    if !l.binds {
        // The transport solver reads the component's own arrays: lent, not copied, and
        // given back before the answer is read from them.
        let lp = &mut l.lp;
        use std::mem::take;
        let tp = TransportProblem {
            tickets: lp.tickets(),
            buckets: lp.bucket_cap.len(),
            capacity: take(&mut lp.bucket_cap),
            arc_start: take(&mut lp.arc_start),
            arc_bucket: take(&mut lp.arc_bucket),
            arc_cost: take(&mut lp.arc_cost),
            unassigned_penalty: take(&mut lp.unassigned_penalty),
        };
        let solved = solve_transport(&tp);
        lp.bucket_cap = tp.capacity;
        lp.arc_start = tp.arc_start;
        lp.arc_bucket = tp.arc_bucket;
        lp.arc_cost = tp.arc_cost;
        lp.unassigned_penalty = tp.unassigned_penalty;
        let s = solved?;
        let lp = &l.lp;
        let choice = s
            .assignment
            .iter()
            .enumerate()
            .map(|(t, a)| a.and_then(|b| arc_of(lp, t, b)))
            .collect::<Vec<_>>();
        let objective = evaluate_choice(l, &choice)?;
        return Ok(Answer {
            choice,
            objective,
            lower_bound: s.lower_bound,
            method: Method::Flow,
            status: status_of(objective, s.lower_bound, false),
        });
    }
    let lp = &l.lp;
    let s = solve_layered(lp)?;
    let choice = (0..lp.tickets())
        .map(|t| (lp.arc_start[t]..lp.arc_start[t + 1]).find(|&k| s.arc_flow[k] > 0))
        .collect::<Vec<_>>();
    let objective = evaluate_choice(l, &choice)?;
    Ok(Answer {
        choice,
        objective,
        lower_bound: s.lower_bound,
        method: Method::Flow,
        status: status_of(objective, s.lower_bound, false),
    })
}

/// How a component's solve ended: optimal when the objective meets the bound, else
/// stopped by the time limit or feasible.
pub(super) fn status_of(objective: i64, lower_bound: i64, timed_out: bool) -> SolveStatus {
    if objective <= lower_bound {
        SolveStatus::Optimal
    } else if timed_out {
        SolveStatus::TimeLimit
    } else {
        SolveStatus::Feasible
    }
}

/// First pass on a component: the exact flow where it applies, else the heuristic.
pub(super) fn first_pass(l: &mut Local, o: &AssignOptions) -> Result<Answer> {
    let unit = l.lp.units.iter().all(|&u| u == 1);
    match o.method {
        Method::Auto | Method::Flow if unit && l.side_cap.is_empty() => exact_flow(l),
        _ => heuristic(l),
    }
}
