//! Exact min-cost flow for the bipartite transport structure of batch assignment.
//!
//! Tickets have unit demand; buckets (outlet x skill x day) have integer capacities;
//! each ticket has a short list of eligible buckets with integer costs and may stay
//! unassigned at a penalty. This is a transportation problem, and [`solve_transport`]
//! solves it exactly in three steps:
//!
//! 1. a forward auction with ε-scaling (each bucket a heap of priced slots) finds
//!    near-optimal bucket prices and an assignment fast, also where capacity is tight
//!    and shortest paths would each cross a large congested region. It is only a warm
//!    start: nothing in it needs to be exact;
//! 2. the exact phase keeps each ticket where the auction put it only if that is
//!    exactly its cheapest option at the bucket prices (a bucket's price is its
//!    cheapest slot), so complementary slackness holds for every placed ticket;
//! 3. every ticket left over is routed along a shortest augmenting path, found by
//!    Dijkstra on reduced costs. The search runs over buckets only (a ticket in a
//!    bucket is reached at the bucket's distance, because its assignment arc is
//!    tight), stops as soon as no shorter path can exist, and skips the tail of each
//!    ticket's cost-sorted arc list once the arc cost alone cannot beat the best path.
//!    The dual potentials (bucket prices `p_b >= 0`, ticket values `u_t`) are updated
//!    after each path so that complementary slackness holds throughout. A bucket the
//!    auction left priced but not full (a "deficit") is a valid path end; those still
//!    left at the end are filled by the mirror search, backwards from the bucket to a
//!    place a ticket can leave, which lowers prices instead of raising them.
//!
//! The proof of optimality is the dual bound: for any prices `p >= 0`,
//! `sum_t min(penalty_t, min_b (c_tb + p_b)) - sum_b cap_b * p_b` is a lower bound on
//! every assignment (Lagrangian relaxation of the capacities). It is recomputed from
//! the final prices, independently of the search, and equals the objective when the
//! solution is optimal.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Instant;

use crate::rng::SplitMix64;
use crate::{Error, Result};

/// Largest absolute value accepted for a cost or penalty (2^40), so that sums along
/// augmenting paths and dual prices cannot overflow `i64`.
pub const MAX_ABS_COST: i64 = 1 << 40;

/// A transport problem: unit-demand tickets, capacitated buckets, sparse arcs.
///
/// Arcs are in CSR form: ticket `t`'s arcs are `arc_start[t]..arc_start[t + 1]` in
/// `arc_bucket` / `arc_cost`. If a ticket lists the same bucket twice, the cheaper arc
/// is used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportProblem {
    /// Number of tickets (n).
    pub tickets: usize,
    /// Number of buckets (m); a bucket is an outlet x skill x day capacity.
    pub buckets: usize,
    /// Capacity of each bucket (length m).
    pub capacity: Vec<u32>,
    /// CSR offsets, length n + 1, starting at 0 and non-decreasing.
    pub arc_start: Vec<usize>,
    /// Bucket index of each arc.
    pub arc_bucket: Vec<u32>,
    /// Cost of each arc.
    pub arc_cost: Vec<i64>,
    /// Cost of leaving each ticket unassigned (length n).
    pub unassigned_penalty: Vec<i64>,
}

impl TransportProblem {
    /// Builds a problem from per-ticket arc lists `(bucket, cost)`, checking it.
    pub fn from_lists(
        capacity: Vec<u32>,
        arcs: &[Vec<(u32, i64)>],
        unassigned_penalty: Vec<i64>,
    ) -> Result<Self> {
        let mut arc_start = Vec::with_capacity(arcs.len() + 1);
        let mut arc_bucket = Vec::new();
        let mut arc_cost = Vec::new();
        arc_start.push(0);
        for list in arcs {
            for &(b, c) in list {
                arc_bucket.push(b);
                arc_cost.push(c);
            }
            arc_start.push(arc_bucket.len());
        }
        let p = TransportProblem {
            tickets: arcs.len(),
            buckets: capacity.len(),
            capacity,
            arc_start,
            arc_bucket,
            arc_cost,
            unassigned_penalty,
        };
        p.validate()?;
        Ok(p)
    }

    /// Checks lengths, offsets, bucket indices and cost magnitudes.
    pub fn validate(&self) -> Result<()> {
        let (n, m) = (self.tickets, self.buckets);
        if m >= (u32::MAX - 2) as usize || n >= (u32::MAX - 2) as usize {
            return Err(Error::argument(
                "buckets",
                "at most 2^32 - 3 tickets/buckets",
            ));
        }
        if self.capacity.len() != m {
            return Err(Error::argument(
                "capacity",
                format!("expected {m} entries, got {}", self.capacity.len()),
            ));
        }
        if self.unassigned_penalty.len() != n {
            return Err(Error::argument(
                "unassigned_penalty",
                format!(
                    "expected {n} entries, got {}",
                    self.unassigned_penalty.len()
                ),
            ));
        }
        if self.arc_start.len() != n + 1 || self.arc_start.first() != Some(&0) {
            return Err(Error::argument(
                "arc_start",
                format!("expected {} offsets starting at 0", n + 1),
            ));
        }
        if self.arc_start.windows(2).any(|w| w[0] > w[1]) {
            return Err(Error::argument(
                "arc_start",
                "offsets must be non-decreasing",
            ));
        }
        let total = self.arc_start[n];
        if self.arc_bucket.len() != total || self.arc_cost.len() != total {
            return Err(Error::argument(
                "arc_bucket",
                format!(
                    "expected {total} arcs, got {} buckets and {} costs",
                    self.arc_bucket.len(),
                    self.arc_cost.len()
                ),
            ));
        }
        if let Some(k) = self.arc_bucket.iter().position(|&b| b as usize >= m) {
            return Err(Error::argument(
                "arc_bucket",
                format!(
                    "arc {k} names bucket {} but there are {m}",
                    self.arc_bucket[k]
                ),
            ));
        }
        let bad = |v: &i64| !(-MAX_ABS_COST..=MAX_ABS_COST).contains(v);
        if let Some(k) = self.arc_cost.iter().position(bad) {
            return Err(Error::argument(
                "arc_cost",
                format!("arc {k} cost {} exceeds +-2^40", self.arc_cost[k]),
            ));
        }
        if let Some(t) = self.unassigned_penalty.iter().position(bad) {
            return Err(Error::argument(
                "unassigned_penalty",
                format!("ticket {t} penalty exceeds +-2^40"),
            ));
        }
        Ok(())
    }

    /// The arcs of ticket `t` as `(bucket, cost)` pairs, in input order.
    pub fn arcs(&self, t: usize) -> impl Iterator<Item = (u32, i64)> + '_ {
        let r = self.arc_start[t]..self.arc_start[t + 1];
        self.arc_bucket[r.clone()]
            .iter()
            .copied()
            .zip(self.arc_cost[r].iter().copied())
    }

    /// Objective of an assignment, or an error if it is infeasible (unknown arc,
    /// bucket over capacity, wrong length).
    pub fn evaluate(&self, assignment: &[Option<u32>]) -> Result<i64> {
        if assignment.len() != self.tickets {
            return Err(Error::argument(
                "assignment",
                "one entry per ticket expected",
            ));
        }
        let mut load = vec![0u64; self.buckets];
        let mut total: i64 = 0;
        for (t, a) in assignment.iter().enumerate() {
            match a {
                None => total += self.unassigned_penalty[t],
                Some(b) => {
                    let cost = self
                        .arcs(t)
                        .filter(|&(bb, _)| bb == *b)
                        .map(|(_, c)| c)
                        .min()
                        .ok_or_else(|| {
                            Error::argument("assignment", format!("ticket {t} has no arc to {b}"))
                        })?;
                    total += cost;
                    load[*b as usize] += 1;
                }
            }
        }
        if let Some(b) = (0..self.buckets).find(|&b| load[b] > u64::from(self.capacity[b])) {
            return Err(Error::argument(
                "assignment",
                format!(
                    "bucket {b} holds {} > capacity {}",
                    load[b], self.capacity[b]
                ),
            ));
        }
        Ok(total)
    }

    /// The dual (Lagrangian) bound for bucket prices `price >= 0`:
    /// `sum_t min(penalty_t, min_b (c_tb + p_b)) - sum_b cap_b p_b`. Valid for any
    /// non-negative prices; equal to the optimum for optimal prices.
    pub fn dual_bound(&self, price: &[i64]) -> Result<i64> {
        if price.len() != self.buckets || price.iter().any(|&p| p < 0) {
            return Err(Error::argument(
                "price",
                "one non-negative price per bucket",
            ));
        }
        let mut lb: i128 = 0;
        for t in 0..self.tickets {
            let best = self
                .arcs(t)
                .map(|(b, c)| i128::from(c) + i128::from(price[b as usize]))
                .fold(i128::from(self.unassigned_penalty[t]), i128::min);
            lb += best;
        }
        for (b, &p) in price.iter().enumerate() {
            lb -= i128::from(p) * i128::from(self.capacity[b]);
        }
        i64::try_from(lb).map_err(|_| Error::Solver("dual bound overflows i64".into()))
    }
}

/// Counters from one [`solve_transport`] run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TransportStats {
    /// Tickets the auction placed that the exact phase kept where they were.
    pub warm_start_kept: usize,
    /// Shortest augmenting paths run (one per ticket the warm start left over).
    pub augmentations: usize,
    /// Buckets settled by Dijkstra, summed over all augmentations.
    pub buckets_scanned: u64,
    /// Arcs relaxed, summed over all augmentations.
    pub arcs_scanned: u64,
    /// Bids made by the auction warm start (0 when it did not run).
    pub auction_bids: u64,
    /// Backward shortest paths that filled priced buckets left with room.
    pub deficit_paths: u64,
    /// Seconds until the exact phase started (validation, sorting, warm start).
    pub start_seconds: f64,
    /// Wall-clock seconds of the solve (validation included).
    pub seconds: f64,
}

/// An optimal solution of a [`TransportProblem`] with its dual certificate.
#[derive(Debug, Clone, PartialEq)]
pub struct TransportSolution {
    /// Bucket of each ticket, `None` if it stays unassigned (and pays its penalty).
    pub assignment: Vec<Option<u32>>,
    /// Total cost: arc costs plus penalties of unassigned tickets.
    pub objective: i64,
    /// Dual bound from `bucket_price` (see [`TransportProblem::dual_bound`]); equals
    /// `objective` when optimality is proven.
    pub lower_bound: i64,
    /// Dual price of each bucket's capacity (>= 0; 0 when the bucket has room): the
    /// cost saved by one more unit of capacity there.
    pub bucket_price: Vec<i64>,
    /// Counters and time.
    pub stats: TransportStats,
}

impl TransportSolution {
    /// True when the dual bound proves the assignment optimal.
    pub fn is_optimal(&self) -> bool {
        self.lower_bound == self.objective
    }
}

const UNROUTED: u32 = u32::MAX;
const DUMMY: u32 = u32::MAX - 1;
const INF: i64 = i64::MAX / 4;

/// Where the current best augmenting path ends.
#[derive(Debug, Clone, Copy)]
enum Terminal {
    /// A bucket with spare capacity.
    Bucket(u32),
    /// This ticket gives up its place and stays unassigned.
    Unassigned(u32),
}

/// Solver state: arcs sorted by cost, primal assignment, dual potentials, and the
/// Dijkstra buffers reused across augmentations.
struct Ssp<'a> {
    p: &'a TransportProblem,
    start: Vec<usize>,
    /// Arcs as (cost, bucket), sorted per ticket; packed for cache locality.
    arc: Vec<(i64, u32)>,
    /// Remaining capacity of each bucket.
    room: Vec<u32>,
    /// Bucket (or UNROUTED / DUMMY) of each ticket.
    assign: Vec<u32>,
    /// Position of a ticket inside `members[assign[t]]`.
    pos: Vec<u32>,
    members: Vec<Vec<u32>>,
    price: Vec<i64>,
    value: Vec<i64>,
    dist: Vec<i64>,
    settled: Vec<bool>,
    pred: Vec<u32>,
    touched: Vec<u32>,
    settled_list: Vec<u32>,
    heap: BinaryHeap<Reverse<(i64, u32)>>,
    /// Reverse arcs per bucket (CSR), only built when deficits need filling.
    rev_start: Vec<usize>,
    rev: Vec<(u32, i64)>,
    /// Backward search: the bucket a bucket's `pred` ticket moves into, and its cost.
    target: Vec<u32>,
    via_cost: Vec<i64>,
    best: i64,
    terminal: Terminal,
    stats: TransportStats,
}

impl<'a> Ssp<'a> {
    fn new(p: &'a TransportProblem) -> Self {
        // Per ticket: sort by (cost, bucket) (after dropping repeated buckets),
        // so scans can stop early and ties go to the lowest bucket index.
        let mut start = Vec::with_capacity(p.tickets + 1);
        let mut arc = Vec::with_capacity(p.arc_bucket.len());
        let mut buf: Vec<(u32, i64)> = Vec::new();
        start.push(0);
        for t in 0..p.tickets {
            let r = p.arc_start[t]..p.arc_start[t + 1];
            let (bs, cs) = (&p.arc_bucket[r.clone()], &p.arc_cost[r]);
            // Fast path: already sorted (as `random_transport` emits). A repeated
            // bucket is harmless once sorted: its cheapest arc comes first and wins.
            if (1..bs.len()).all(|i| (cs[i - 1], bs[i - 1]) < (cs[i], bs[i])) {
                arc.extend(cs.iter().copied().zip(bs.iter().copied()));
            } else {
                buf.clear();
                buf.extend(bs.iter().copied().zip(cs.iter().copied()));
                buf.sort_unstable();
                buf.dedup_by_key(|a| a.0);
                buf.sort_unstable_by_key(|&(b, c)| (c, b));
                arc.extend(buf.iter().map(|&(b, c)| (c, b)));
            }
            start.push(arc.len());
        }
        let (n, m) = (p.tickets, p.buckets);
        Ssp {
            p,
            start,
            arc,
            room: p.capacity.clone(),
            assign: vec![UNROUTED; n],
            pos: vec![0; n],
            members: p
                .capacity
                .iter()
                .map(|&c| Vec::with_capacity(c as usize))
                .collect(),
            price: vec![0; m],
            value: vec![0; n],
            dist: vec![INF; m],
            settled: vec![false; m],
            pred: vec![UNROUTED; m],
            touched: Vec::new(),
            settled_list: Vec::new(),
            heap: BinaryHeap::new(),
            rev_start: Vec::new(),
            rev: Vec::new(),
            target: Vec::new(),
            via_cost: Vec::new(),
            best: INF,
            terminal: Terminal::Unassigned(0),
            stats: TransportStats::default(),
        }
    }

    fn has_room(&self, b: usize) -> bool {
        self.room[b] > 0
    }

    fn place(&mut self, t: u32, b: u32) {
        let old = self.assign[t as usize];
        if old != b && (old as usize) < self.p.buckets {
            let list = &mut self.members[old as usize];
            let i = self.pos[t as usize] as usize;
            list.swap_remove(i);
            self.room[old as usize] += 1;
            if let Some(&moved) = list.get(i) {
                self.pos[moved as usize] = i as u32;
            }
        }
        if old != b && (b as usize) < self.p.buckets {
            self.pos[t as usize] = self.members[b as usize].len() as u32;
            self.members[b as usize].push(t);
            self.room[b as usize] -= 1;
        }
        self.assign[t as usize] = b;
    }

    /// Exact start from approximate prices (the auction's) and assignment: a
    /// ticket keeps its bucket only where that is exactly its cheapest option at
    /// these prices; the rest are left for the shortest paths. A bucket with a
    /// positive price and room (a deficit) is a valid path end (it still needs
    /// tickets), and its price is first lowered as far as complementary slackness
    /// of the placed tickets allows.
    fn warm_start(&mut self, price: Vec<i64>, assign: &[u32]) {
        self.price = price;
        for (t, &a) in assign.iter().enumerate() {
            let pen = self.p.unassigned_penalty[t];
            let (mut u, mut own) = (pen, INF);
            for k in self.start[t]..self.start[t + 1] {
                let (c, b) = self.arc[k];
                u = u.min(c + self.price[b as usize]);
                if b == a && own == INF {
                    own = c + self.price[b as usize];
                }
            }
            self.value[t] = u;
            let keep = if a == DUMMY {
                pen == u
            } else {
                (a as usize) < self.p.buckets && own == u && self.has_room(a as usize)
            };
            if keep {
                self.place(t as u32, a);
                self.stats.warm_start_kept += 1;
            }
        }
        self.lower_deficits();
    }

    fn is_deficit(&self, b: usize) -> bool {
        self.price[b] > 0 && self.room[b] > 0
    }

    /// Lowers the price of each deficit bucket to the largest value that keeps every
    /// placed ticket's own option its cheapest (or to 0).
    fn lower_deficits(&mut self) {
        let m = self.p.buckets;
        let deficit: Vec<bool> = (0..m).map(|b| self.is_deficit(b)).collect();
        if !deficit.contains(&true) {
            return;
        }
        let mut floor = vec![0i64; m];
        for t in 0..self.p.tickets {
            let a = self.assign[t];
            if a == UNROUTED {
                continue;
            }
            let u = self.value[t];
            for k in self.start[t]..self.start[t + 1] {
                let (c, b) = self.arc[k];
                if u - c <= 0 {
                    break;
                }
                if deficit[b as usize] && b != a {
                    floor[b as usize] = floor[b as usize].max(u - c);
                }
            }
        }
        for b in (0..m).filter(|&b| deficit[b]) {
            let delta = self.price[b] - floor[b].min(self.price[b]);
            self.price[b] -= delta;
            for &t in &self.members[b] {
                self.value[t as usize] -= delta;
            }
        }
    }

    /// Removes every remaining deficit: its price drops to 0 and each placed ticket
    /// that now prefers it is unrouted (which may free a slot in another priced
    /// bucket, repeated until none is left). Returns whether anything changed.
    fn zero_deficits(&mut self) -> bool {
        let m = self.p.buckets;
        let mut changed = false;
        loop {
            let list: Vec<usize> = (0..m).filter(|&b| self.is_deficit(b)).collect();
            if list.is_empty() {
                return changed;
            }
            changed = true;
            for b in list {
                let d = self.price[b];
                self.price[b] = 0;
                for &t in &self.members[b] {
                    self.value[t as usize] -= d;
                }
            }
            for t in 0..self.p.tickets {
                if self.assign[t] == UNROUTED {
                    continue;
                }
                let u = self.value[t];
                let violated = self.arc[self.start[t]..self.start[t + 1]]
                    .iter()
                    .take_while(|a| a.0 < u)
                    .any(|&(c, b)| c + self.price[b as usize] < u);
                if violated {
                    self.place(t as u32, UNROUTED);
                }
            }
        }
    }

    /// Reverse arcs (ticket, cost) per bucket, built on first use.
    fn build_rev(&mut self) {
        if !self.rev_start.is_empty() {
            return;
        }
        let m = self.p.buckets;
        let mut start = vec![0usize; m + 1];
        for &(_, b) in &self.arc {
            start[b as usize + 1] += 1;
        }
        for b in 0..m {
            start[b + 1] += start[b];
        }
        let mut fill = start.clone();
        let mut rev = vec![(0u32, 0i64); self.arc.len()];
        for t in 0..self.p.tickets {
            for &(c, b) in &self.arc[self.start[t]..self.start[t + 1]] {
                rev[fill[b as usize]] = (t as u32, c);
                fill[b as usize] += 1;
            }
        }
        self.rev_start = start;
        self.rev = rev;
        self.target = vec![UNROUTED; m];
        self.via_cost = vec![0; m];
    }

    /// One unit into deficit bucket `b0` along a shortest path that starts where a
    /// unit can leave (a bucket giving up a ticket at its price, or an unassigned
    /// ticket): Dijkstra backwards over reverse arcs, the mirror of [`Ssp::augment`].
    /// The path may also be empty: then `b0`'s price simply falls (to 0 at most).
    fn fill_deficit(&mut self, b0: usize) {
        self.stats.deficit_paths += 1;
        let mut best = self.price[b0];
        // (ticket, bucket it joins) when the path starts at an unassigned ticket.
        let mut start_ticket: Option<(u32, u32, i64)> = None;
        let mut start_bucket: Option<u32> = None;
        self.dist[b0] = 0;
        self.touched.push(b0 as u32);
        self.heap.push(Reverse((0, b0 as u32)));
        while let Some(Reverse((d, x))) = self.heap.pop() {
            let xi = x as usize;
            if self.settled[xi] || d > self.dist[xi] {
                continue;
            }
            if d >= best {
                break;
            }
            self.settled[xi] = true;
            self.settled_list.push(x);
            self.stats.buckets_scanned += 1;
            let base = d + self.price[xi];
            for i in self.rev_start[xi]..self.rev_start[xi + 1] {
                let (t, c) = self.rev[i];
                let a = self.assign[t as usize];
                if a == x || a == UNROUTED {
                    continue;
                }
                let dt = base + c - self.value[t as usize];
                if dt >= best {
                    continue;
                }
                self.stats.arcs_scanned += 1;
                if a == DUMMY {
                    best = dt;
                    start_ticket = Some((t, x, c));
                    start_bucket = None;
                    continue;
                }
                let y = a as usize;
                if self.settled[y] || dt >= self.dist[y] {
                    continue;
                }
                if self.dist[y] == INF {
                    self.touched.push(a);
                }
                self.dist[y] = dt;
                self.pred[y] = t;
                self.target[y] = x;
                self.via_cost[y] = c;
                if dt + self.price[y] < best {
                    best = dt + self.price[y];
                    start_bucket = Some(a);
                    start_ticket = None;
                }
                self.heap.push(Reverse((dt, a)));
            }
        }
        for &x in &self.settled_list {
            let xi = x as usize;
            let delta = best - self.dist[xi];
            self.price[xi] -= delta;
            for &t in &self.members[xi] {
                self.value[t as usize] -= delta;
            }
        }
        // Moves (ticket, into bucket, arc cost) from the start of the path to b0.
        let mut moves: Vec<(u32, u32, i64)> = Vec::new();
        let mut cur = if let Some((t, x, c)) = start_ticket {
            moves.push((t, x, c));
            x
        } else {
            start_bucket.unwrap_or(b0 as u32)
        };
        while cur as usize != b0 {
            let ci = cur as usize;
            moves.push((self.pred[ci], self.target[ci], self.via_cost[ci]));
            cur = self.target[ci];
        }
        // Apply from the b0 end so that no bucket goes over capacity.
        for &(t, x, c) in moves.iter().rev() {
            self.place(t, x);
            self.value[t as usize] = c + self.price[x as usize];
        }
        for &b in &self.touched {
            self.dist[b as usize] = INF;
            self.settled[b as usize] = false;
        }
        self.touched.clear();
        self.settled_list.clear();
        self.heap.clear();
    }

    /// Fills every deficit with [`Ssp::fill_deficit`]; false if `budget` paths were
    /// not enough (the caller then falls back to [`Ssp::zero_deficits`]).
    fn fill_deficits(&mut self, mut budget: u64) -> bool {
        let list: Vec<usize> = (0..self.p.buckets)
            .filter(|&b| self.is_deficit(b))
            .collect();
        if list.is_empty() {
            return true;
        }
        self.build_rev();
        for b in list {
            while self.is_deficit(b) {
                if budget == 0 {
                    return false;
                }
                budget -= 1;
                self.fill_deficit(b);
            }
        }
        !(0..self.p.buckets).any(|b| self.is_deficit(b))
    }

    /// Relaxes the arcs of ticket `t`, reached at distance `d` (it sits in bucket
    /// `from`, or is the source).
    fn relax(&mut self, t: usize, d: i64, from: u32) {
        let ut = self.value[t];
        for k in self.start[t]..self.start[t + 1] {
            let (c, b) = self.arc[k];
            // Prices are >= 0, so no later (costlier) arc can beat `best` either.
            if c >= self.best - d + ut {
                break;
            }
            self.stats.arcs_scanned += 1;
            let bi = b as usize;
            if b == from || self.settled[bi] {
                continue;
            }
            let nd = d + c + self.price[bi] - ut;
            if nd < self.dist[bi] {
                if self.dist[bi] == INF {
                    self.touched.push(b);
                }
                self.dist[bi] = nd;
                self.pred[bi] = t as u32;
                if self.has_room(bi) {
                    if nd < self.best {
                        self.best = nd;
                        self.terminal = Terminal::Bucket(b);
                    }
                } else {
                    self.heap.push(Reverse((nd, b)));
                }
            }
        }
    }

    /// Routes every unrouted ticket, in index order.
    fn route_all(&mut self) {
        for t in 0..self.p.tickets {
            if self.assign[t] == UNROUTED {
                self.augment(t);
            }
        }
    }

    /// Routes unrouted ticket `s` along a shortest augmenting path.
    fn augment(&mut self, s: usize) {
        self.stats.augmentations += 1;
        // Value of s: its cheapest option at current prices, so reduced costs >= 0.
        let mut us = self.p.unassigned_penalty[s];
        for k in self.start[s]..self.start[s + 1] {
            let (c, b) = self.arc[k];
            us = us.min(c + self.price[b as usize]);
        }
        self.value[s] = us;
        self.best = self.p.unassigned_penalty[s] - us;
        self.terminal = Terminal::Unassigned(s as u32);
        self.relax(s, 0, UNROUTED);
        while let Some(Reverse((d, b))) = self.heap.pop() {
            let bi = b as usize;
            if self.settled[bi] || d > self.dist[bi] {
                continue;
            }
            if d >= self.best {
                break;
            }
            self.settled[bi] = true;
            self.settled_list.push(b);
            self.stats.buckets_scanned += 1;
            for i in 0..self.members[bi].len() {
                let t = self.members[bi][i] as usize;
                let dd = d + self.p.unassigned_penalty[t] - self.value[t];
                if dd < self.best {
                    self.best = dd;
                    self.terminal = Terminal::Unassigned(t as u32);
                }
                self.relax(t, d, b);
            }
        }
        // Dual update: everything settled closer than `best` moves up by the slack,
        // which keeps reduced costs >= 0 and makes the path tight.
        let best = self.best;
        for &b in &self.settled_list {
            let bi = b as usize;
            let delta = best - self.dist[bi];
            self.price[bi] += delta;
            for &t in &self.members[bi] {
                self.value[t as usize] += delta;
            }
        }
        self.value[s] += best;
        // Augment backwards along the predecessor chain.
        let mut cur = match self.terminal {
            Terminal::Bucket(b) => b,
            Terminal::Unassigned(t) => {
                let from = self.assign[t as usize];
                self.place(t, DUMMY);
                from
            }
        };
        while cur != UNROUTED {
            let t = self.pred[cur as usize];
            let from = self.assign[t as usize];
            self.place(t, cur);
            cur = from;
        }
        for &b in &self.touched {
            self.dist[b as usize] = INF;
            self.settled[b as usize] = false;
        }
        self.touched.clear();
        self.settled_list.clear();
        self.heap.clear();
    }
}

const NO_OWNER: u32 = u32::MAX;

/// Forward auction with ε-scaling, used only as a warm start: it finds near-optimal
/// bucket prices fast, even when capacity is tight, because one bid costs one scan
/// of a ticket's arcs while one shortest path in a congested region settles dozens
/// of buckets. Nothing here needs to be exact; [`Ssp::warm_start`] keeps only what
/// satisfies complementary slackness exactly and the shortest paths finish the job.
///
/// A bucket is a binary min-heap of slots, each with its own price and owner (the
/// "similar objects" form of the transport auction): a bidder takes the cheapest
/// slot, evicting its owner.
struct Auction<'a, C> {
    start: &'a [usize],
    /// The exact phase's sorted arcs, with costs narrowed to `i32` where they fit
    /// (half the memory traffic in the bid loop).
    arc: &'a [(C, u32)],
    pen: &'a [i64],
    slot_start: Vec<usize>,
    slot_price: Vec<i64>,
    slot_owner: Vec<u32>,
    /// Cheapest slot price of each bucket (INF without slots), for the bid scans.
    min_price: Vec<i64>,
    /// Bucket of each ticket, DUMMY, or UNROUTED.
    assign: Vec<u32>,
    queue: std::collections::VecDeque<u32>,
    bids: u64,
}

impl<'a, C: Copy + Into<i64>> Auction<'a, C> {
    fn new(ssp: &'a Ssp<'_>, arc: &'a [(C, u32)]) -> Self {
        let p = ssp.p;
        // A bucket never needs more slots than tickets that can reach it.
        let mut indeg = vec![0usize; p.buckets];
        for &(_, b) in &ssp.arc {
            indeg[b as usize] += 1;
        }
        let mut slot_start = Vec::with_capacity(p.buckets + 1);
        slot_start.push(0usize);
        let mut total = 0usize;
        for (&cap, &deg) in p.capacity.iter().zip(&indeg) {
            total += (cap as usize).min(deg);
            slot_start.push(total);
        }
        let min_price = slot_start
            .windows(2)
            .map(|w| if w[0] < w[1] { 0 } else { INF })
            .collect();
        Auction {
            start: &ssp.start,
            arc,
            pen: &p.unassigned_penalty,
            slot_start,
            slot_price: vec![0; total],
            min_price,
            slot_owner: vec![NO_OWNER; total],
            assign: vec![UNROUTED; p.tickets],
            queue: std::collections::VecDeque::new(),
            bids: 0,
        }
    }

    /// Restores the heap order of bucket slots `s..e` after the root's price rose.
    fn sift_down(&mut self, s: usize, e: usize) {
        let mut k = 0usize;
        let len = e - s;
        loop {
            let l = 2 * k + 1;
            if l >= len {
                break;
            }
            let r = l + 1;
            let c = if r < len && self.slot_price[s + r] < self.slot_price[s + l] {
                r
            } else {
                l
            };
            if self.slot_price[s + c] >= self.slot_price[s + k] {
                break;
            }
            self.slot_price.swap(s + k, s + c);
            self.slot_owner.swap(s + k, s + c);
            k = c;
        }
    }

    /// One ε-phase: every ticket starts unassigned (prices kept) and bids until all
    /// hold a slot or chose to stay unassigned.
    fn phase(&mut self, eps: i64, drop: i64) {
        if drop > 0 {
            // Monotone, so every bucket stays a heap.
            for p in &mut self.slot_price {
                *p = (*p - drop).max(0);
            }
            for p in &mut self.min_price {
                if *p < INF {
                    *p = (*p - drop).max(0);
                }
            }
        }
        self.slot_owner.fill(NO_OWNER);
        self.assign.fill(UNROUTED);
        self.queue.clear();
        self.queue.extend(0..self.assign.len() as u32);
        while let Some(i) = self.queue.pop_front() {
            self.bids += 1;
            let i = i as usize;
            let (mut w1, mut b1, mut c1, mut w2) = (self.pen[i], DUMMY, 0i64, INF);
            for &(c, b) in &self.arc[self.start[i]..self.start[i + 1]] {
                let c: i64 = c.into();
                // Prices are >= 0: no costlier arc can improve the two best values.
                if c >= w2 {
                    break;
                }
                let v = c + self.min_price[b as usize];
                if v < w1 {
                    w2 = w1;
                    (w1, b1, c1) = (v, b, c);
                } else if v < w2 {
                    w2 = v;
                }
            }
            if b1 == DUMMY {
                self.assign[i] = DUMMY;
                continue;
            }
            let (s, e) = (
                self.slot_start[b1 as usize],
                self.slot_start[b1 as usize + 1],
            );
            // The bucket's next-cheapest slot competes too.
            for k in [s + 1, s + 2] {
                if k < e {
                    w2 = w2.min(c1 + self.slot_price[k]);
                }
            }
            let evicted = self.slot_owner[s];
            if evicted != NO_OWNER {
                self.assign[evicted as usize] = UNROUTED;
                self.queue.push_back(evicted);
            }
            self.slot_price[s] = w2 - c1 + eps;
            self.slot_owner[s] = i as u32;
            self.assign[i] = b1;
            self.sift_down(s, e);
            self.min_price[b1 as usize] = self.slot_price[s];
        }
    }

    /// Price of each bucket for the exact phase: its cheapest slot.
    fn bucket_prices(&self) -> Vec<i64> {
        self.slot_start
            .windows(2)
            .map(|w| {
                if w[0] < w[1] {
                    self.slot_price[w[0]]
                } else {
                    0
                }
            })
            .collect()
    }
}

/// The auction's ε values, coarse to fine: the largest arc cost / 16, divided by 4
/// per phase, down to 4 (measured on the seeded spatial instances: a coarser first
/// phase saves the long price war from 0 at tight capacity, and a final phase at
/// ε = 2 cost more bids than the exact phase saves).
fn auction_schedule(arc: &[(i64, u32)]) -> Vec<i64> {
    let cmax = arc.iter().map(|a| a.0.abs()).max().unwrap_or(0);
    let mut e = (cmax / 16).max(1);
    let mut out = vec![e];
    while e > 4 {
        e = (e / 4).max(4);
        out.push(e);
    }
    out
}

/// Runs the ε-scaling auction over `arc` (the exact phase's arcs, possibly with
/// narrower costs) and returns its bucket prices, assignment and bid count.
fn run_auction<C: Copy + Into<i64>>(ssp: &Ssp<'_>, arc: &[(C, u32)]) -> (Vec<i64>, Vec<u32>, u64) {
    let mut auction = Auction::new(ssp, arc);
    let mut prev = 0;
    for e in auction_schedule(&ssp.arc) {
        // Start each phase a little below the last one's prices (2.5 ε of the last
        // phase), so that fewer buckets end priced with room (each costs a backward
        // path below). 2 ε left several hundred such buckets at tightness 0.98,
        // whose backward paths took longer than the extra bids of 2.5 ε.
        auction.phase(e, 5 * prev / 2);
        prev = e;
    }
    (auction.bucket_prices(), auction.assign, auction.bids)
}

/// Solves a [`TransportProblem`] to proven optimality (auction warm start, then
/// successive shortest paths with dual potentials). Deterministic: the same input
/// gives the same output (fixed bidding and routing orders, ties to the lowest index).
///
/// `Err` only for malformed input; every ticket can always stay unassigned, so a
/// problem is never infeasible.
pub fn solve_transport(problem: &TransportProblem) -> Result<TransportSolution> {
    let clock = Instant::now();
    problem.validate()?;
    let mut ssp = Ssp::new(problem);
    let narrow: Option<Vec<(i32, u32)>> = ssp
        .arc
        .iter()
        .map(|&(c, b)| i32::try_from(c).ok().map(|c| (c, b)))
        .collect();
    let (price, assign, bids) = match &narrow {
        Some(arc) => run_auction(&ssp, arc),
        None => run_auction(&ssp, &ssp.arc),
    };
    drop(narrow);
    ssp.stats.auction_bids = bids;
    ssp.warm_start(price, &assign);
    ssp.stats.start_seconds = clock.elapsed().as_secs_f64();
    ssp.route_all();
    // Priced buckets left with room are filled backwards; if that ever ran out of
    // budget, they are cleared (prices to 0, tickets that now prefer them unrouted)
    // and re-routed. Neither kind of path creates new ones.
    let budget = 4 * problem.tickets as u64 + problem.buckets as u64;
    if !ssp.fill_deficits(budget) {
        while ssp.zero_deficits() {
            ssp.route_all();
        }
    }
    let assignment: Vec<Option<u32>> = ssp
        .assign
        .iter()
        .map(|&b| ((b as usize) < problem.buckets).then_some(b))
        .collect();
    let mut objective: i64 = 0;
    for t in 0..problem.tickets {
        objective += match ssp.assign[t] {
            DUMMY => problem.unassigned_penalty[t],
            b => ssp.arc[ssp.start[t]..ssp.start[t + 1]]
                .iter()
                .find(|a| a.1 == b)
                .map(|a| a.0)
                .ok_or_else(|| Error::Solver(format!("ticket {t} left unrouted")))?,
        };
    }
    let lower_bound = problem.dual_bound(&ssp.price)?;
    let mut stats = std::mem::take(&mut ssp.stats);
    stats.seconds = clock.elapsed().as_secs_f64();
    Ok(TransportSolution {
        assignment,
        objective,
        lower_bound,
        bucket_price: ssp.price,
        stats,
    })
}

/// Side of the square (in metres) that [`random_transport`] scatters points on.
pub const RANDOM_SIDE: f64 = 100_000.0;

/// A seeded, spatially structured instance like real dispatch: `n` tickets and `m`
/// buckets at uniform random points on a 100 km square; each ticket has arcs to its
/// `arcs_per_ticket` nearest buckets with cost = distance in metres (rounded); total
/// capacity is `ceil(n / tightness)` split over buckets with weights uniform in
/// [0.5, 1.5); leaving a ticket unassigned costs 200 km (more than any arc).
///
/// `tightness` is demand over capacity: 0.9 means 10% spare capacity overall (but
/// local shortages still force long reassignment chains).
pub fn random_transport(
    n: usize,
    m: usize,
    arcs_per_ticket: usize,
    tightness: f64,
    seed: u64,
) -> Result<TransportProblem> {
    if m == 0 {
        return Err(Error::argument("m", "at least one bucket"));
    }
    if !(tightness > 0.0 && tightness.is_finite()) {
        return Err(Error::argument("tightness", "must be a positive number"));
    }
    let mut rng = SplitMix64::new(seed);
    let point = |rng: &mut SplitMix64| [rng.next_f64() * RANDOM_SIDE, rng.next_f64() * RANDOM_SIDE];
    let bucket_at: Vec<[f64; 2]> = (0..m).map(|_| point(&mut rng)).collect();
    let weight: Vec<f64> = (0..m).map(|_| 0.5 + rng.next_f64()).collect();
    let wsum: f64 = weight.iter().sum();
    let total = (n as f64 / tightness).ceil();
    let capacity: Vec<u32> = weight
        .iter()
        .map(|w| (total * w / wsum).round().min(f64::from(u32::MAX - 1)) as u32)
        .collect();
    let tree = rstar::RTree::bulk_load(
        bucket_at
            .iter()
            .enumerate()
            .map(|(b, &p)| rstar::primitives::GeomWithData::new(p, b as u32))
            .collect(),
    );
    let k = arcs_per_ticket.min(m);
    let mut arc_start = Vec::with_capacity(n + 1);
    let mut arc_bucket = Vec::with_capacity(n * k);
    let mut arc_cost = Vec::with_capacity(n * k);
    arc_start.push(0);
    for _ in 0..n {
        let q = point(&mut rng);
        for near in tree.nearest_neighbor_iter(&q).take(k) {
            let p = near.geom();
            let d = ((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2)).sqrt();
            arc_bucket.push(near.data);
            arc_cost.push(d.round() as i64);
        }
        arc_start.push(arc_bucket.len());
    }
    Ok(TransportProblem {
        tickets: n,
        buckets: m,
        capacity,
        arc_start,
        arc_bucket,
        arc_cost,
        unassigned_penalty: vec![2 * RANDOM_SIDE as i64; n],
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use good_lp::{constraint, variable, Expression, ProblemVariables, Solution, SolverModel};
    use proptest::prelude::*;

    /// The transport LP (integral: the constraint matrix is totally unimodular),
    /// solved by HiGHS: the obviously-correct reference.
    fn lp_optimum(p: &TransportProblem) -> i64 {
        if p.arc_bucket.is_empty() {
            return p.unassigned_penalty.iter().sum();
        }
        let mut vars = ProblemVariables::new();
        let x: Vec<Vec<_>> = (0..p.tickets)
            .map(|t| {
                p.arcs(t)
                    .map(|_| vars.add(variable().min(0).max(1)))
                    .collect()
            })
            .collect();
        let mut obj = Expression::from(0.0);
        let mut per_bucket: Vec<Expression> = vec![Expression::from(0.0); p.buckets];
        let mut constant = 0.0;
        let mut rows = Vec::new();
        for (t, xt) in x.iter().enumerate() {
            let pen = p.unassigned_penalty[t] as f64;
            constant += pen;
            let mut row = Expression::from(0.0);
            for (k, (b, c)) in p.arcs(t).enumerate() {
                obj += (c as f64 - pen) * xt[k];
                row += xt[k];
                per_bucket[b as usize] += xt[k];
            }
            rows.push(constraint!(row <= 1));
        }
        let mut model = vars.minimise(obj.clone()).using(good_lp::highs);
        for r in rows {
            model = model.with(r);
        }
        for (b, e) in per_bucket.into_iter().enumerate() {
            model = model.with(constraint!(e <= p.capacity[b] as f64));
        }
        let sol = model.solve().unwrap();
        (sol.eval(&obj) + constant).round() as i64
    }

    fn small_problem() -> impl Strategy<Value = TransportProblem> {
        (1usize..9, 1usize..5).prop_flat_map(|(n, m)| {
            let arcs = proptest::collection::vec(
                proptest::collection::vec((0..m as u32, -5i64..25), 0..=m.min(4)),
                n,
            );
            (
                proptest::collection::vec(0u32..3, m),
                arcs,
                proptest::collection::vec(0i64..40, n),
            )
                .prop_map(|(cap, arcs, pen)| TransportProblem::from_lists(cap, &arcs, pen).unwrap())
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        /// On small random instances (negative costs, duplicate arcs, zero capacities
        /// included) the objective equals the LP optimum, the assignment is feasible
        /// (capacities respected, every ticket on one of its own arcs) and the dual
        /// bound proves it.
        #[test]
        fn matches_highs_lp_on_small_instances(p in small_problem()) {
            let s = solve_transport(&p).unwrap();
            prop_assert_eq!(p.evaluate(&s.assignment).unwrap(), s.objective);
            prop_assert_eq!(s.objective, lp_optimum(&p));
            prop_assert_eq!(s.lower_bound, s.objective);
        }
    }

    /// Spatial instances of moderate size with local shortages: proven optimal and
    /// equal to HiGHS.
    #[test]
    fn matches_highs_lp_on_spatial_instances() {
        for (seed, tight) in [(1, 0.8), (2, 0.95), (3, 1.1)] {
            let p = random_transport(300, 30, 6, tight, seed).unwrap();
            let s = solve_transport(&p).unwrap();
            assert!(s.is_optimal(), "seed {seed}");
            assert_eq!(p.evaluate(&s.assignment).unwrap(), s.objective);
            assert_eq!(s.objective, lp_optimum(&p), "seed {seed}");
        }
    }

    /// Tight and over-demanded spatial instances (0.98 to 1.2; on the larger ones the
    /// auction leaves priced buckets with room, which the exact phase must fill
    /// backwards): the assignment is feasible, its objective equals the independently
    /// recomputed dual bound and HiGHS' LP optimum, and a second solve gives the same
    /// answer.
    #[test]
    fn tight_and_overdemanded_instances_are_exact() {
        let mut deficit_paths = 0;
        let cases = [
            (400, 40, 4, 0.99),
            (400, 40, 5, 0.99),
            (400, 40, 6, 1.0),
            (400, 40, 7, 1.2),
            (400, 40, 8, 1.2),
            (1000, 60, 9, 0.98),
            (1000, 60, 9, 0.99),
        ];
        for (n, m, seed, tight) in cases {
            let p = random_transport(n, m, 8, tight, seed).unwrap();
            let s = solve_transport(&p).unwrap();
            assert_eq!(p.evaluate(&s.assignment).unwrap(), s.objective);
            assert_eq!(p.dual_bound(&s.bucket_price).unwrap(), s.objective);
            assert!(s.is_optimal(), "seed {seed}");
            assert_eq!(s.objective, lp_optimum(&p), "seed {seed}");
            assert_eq!(solve_transport(&p).unwrap().assignment, s.assignment);
            deficit_paths += s.stats.deficit_paths;
        }
        // The backward paths were exercised.
        assert!(deficit_paths > 0);
    }

    /// Costs beyond `i32` (the auction then bids on the `i64` arcs): scaling every
    /// cost and penalty by 2^20 scales the optimum exactly.
    #[test]
    fn wide_costs_are_exact() {
        let p = random_transport(1000, 60, 8, 0.98, 9).unwrap();
        let base = solve_transport(&p).unwrap();
        let mut wide = p.clone();
        wide.arc_cost.iter_mut().for_each(|c| *c <<= 20);
        wide.unassigned_penalty.iter_mut().for_each(|c| *c <<= 20);
        assert!(wide.arc_cost.iter().any(|&c| c > i64::from(i32::MAX)));
        let s = solve_transport(&wide).unwrap();
        assert!(s.is_optimal());
        assert_eq!(s.objective, base.objective << 20);
        assert_eq!(wide.evaluate(&s.assignment).unwrap(), s.objective);
    }

    /// The generator is deterministic in its seed and gives each ticket its nearest
    /// buckets.
    #[test]
    fn generator_is_seeded() {
        let a = random_transport(50, 10, 4, 0.9, 7).unwrap();
        assert_eq!(a, random_transport(50, 10, 4, 0.9, 7).unwrap());
        assert_ne!(a, random_transport(50, 10, 4, 0.9, 8).unwrap());
        assert_eq!(a.arc_bucket.len(), 200);
        assert!(random_transport(5, 0, 4, 0.9, 1).is_err());
    }

    /// Malformed input is an error, never a panic.
    #[test]
    fn bad_input_is_an_error() {
        let mut p = random_transport(10, 3, 2, 0.9, 1).unwrap();
        p.arc_bucket[0] = 9;
        assert!(solve_transport(&p).is_err());
        let mut p = random_transport(10, 3, 2, 0.9, 1).unwrap();
        p.arc_start.pop();
        assert!(solve_transport(&p).is_err());
        let mut p = random_transport(10, 3, 2, 0.9, 1).unwrap();
        p.arc_cost[0] = i64::MAX;
        assert!(solve_transport(&p).is_err());
    }

    /// Empty problems are fine.
    #[test]
    fn empty_problem() {
        let p = TransportProblem::from_lists(vec![], &[], vec![]).unwrap();
        let s = solve_transport(&p).unwrap();
        assert_eq!((s.objective, s.lower_bound), (0, 0));
    }

    /// Speed check on the sizes; run with
    /// `cargo test --release -p servnet-core transport_timing -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn transport_timing() {
        let all = [
            (10_000, 1_000, 30, 0.9),
            (10_000, 1_000, 30, 0.98),
            (100_000, 5_000, 20, 0.9),
            (100_000, 5_000, 35, 0.9),
            (100_000, 5_000, 50, 0.9),
            (100_000, 5_000, 35, 0.98),
            (100_000, 5_000, 35, 1.05),
        ];
        // SERVNET_TIMING=0,3 picks cases by index.
        let pick: Vec<usize> = std::env::var("SERVNET_TIMING")
            .map(|v| v.split(',').filter_map(|x| x.parse().ok()).collect())
            .unwrap_or_else(|_| (0..all.len()).collect());
        for &(n, m, k, tight) in pick.iter().filter_map(|&i| all.get(i)) {
            let p = random_transport(n, m, k, tight, 42).unwrap();
            let s = solve_transport(&p).unwrap();
            println!(
                "| {n} x {m} | {k} | {tight} | {:.3} s (start {:.3}) | {} | {} | {} | kept {} bids {} aug {} buckets {} arcs {} |",
                s.stats.seconds,
                s.stats.start_seconds,
                s.objective,
                s.lower_bound,
                s.is_optimal(),
                s.stats.warm_start_kept,
                s.stats.auction_bids,
                s.stats.augmentations,
                s.stats.buckets_scanned,
                s.stats.arcs_scanned
            );
        }
    }
}
