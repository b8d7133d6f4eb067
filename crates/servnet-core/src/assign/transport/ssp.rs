//! Successive shortest paths on reduced costs (Dijkstra over buckets), forward from
//! unrouted tickets and backward from priced buckets with room; the solver's state.

use super::problem::{TransportProblem, TransportStats};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

pub(super) const UNROUTED: u32 = u32::MAX;
pub(super) const DUMMY: u32 = u32::MAX - 1;
pub(super) const INF: i64 = i64::MAX / 4;

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
pub(super) struct Ssp<'a> {
    pub(super) p: &'a TransportProblem,
    pub(super) start: Vec<usize>,
    /// Arcs as (cost, bucket), sorted per ticket; packed for cache locality.
    pub(super) arc: Vec<(i64, u32)>,
    /// Remaining capacity of each bucket.
    room: Vec<u32>,
    /// Bucket (or UNROUTED / DUMMY) of each ticket.
    pub(super) assign: Vec<u32>,
    /// Position of a ticket inside `members[assign[t]]`.
    pos: Vec<u32>,
    members: Vec<Vec<u32>>,
    pub(super) price: Vec<i64>,
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
    pub(super) stats: TransportStats,
}

/// Arcs `(cs[i], bs[i])` into `buf`, sorted by (cost, bucket). When the costs span less
/// than 2^32, each arc is sorted as one `u64` key (cost above its least, then bucket):
/// one compare per step instead of two, same order.
fn sort_arcs(cs: &[i64], bs: &[u32], buf: &mut Vec<(i64, u32)>, keys: &mut Vec<u64>) {
    buf.clear();
    let least = cs.iter().copied().min().unwrap_or(0);
    let most = cs.iter().copied().max().unwrap_or(0);
    match most.checked_sub(least).map(u32::try_from) {
        Some(Ok(_)) => {
            keys.clear();
            keys.extend(cs.iter().zip(bs).map(|(&c, &b)| {
                // (`c - least` is in 0..2^32: checked above)
                ((c - least) as u64) << 32 | u64::from(b)
            }));
            keys.sort_unstable();
            buf.extend(keys.iter().map(|&k| (least + (k >> 32) as i64, k as u32)));
        }
        _ => {
            buf.extend(cs.iter().copied().zip(bs.iter().copied()));
            buf.sort_unstable();
        }
    }
}

impl<'a> Ssp<'a> {
    pub(super) fn new(p: &'a TransportProblem) -> Self {
        // Per ticket: sort by (cost, bucket) (after dropping repeated buckets),
        // so scans can stop early and ties go to the lowest bucket index.
        let mut start = Vec::with_capacity(p.tickets + 1);
        let mut arc = Vec::with_capacity(p.arc_bucket.len());
        let mut buf: Vec<(i64, u32)> = Vec::new();
        let mut keys: Vec<u64> = Vec::new();
        // The last ticket that kept an arc into each bucket (repeats are dropped).
        let mut kept_by: Vec<u32> = Vec::new();
        start.push(0);
        for t in 0..p.tickets {
            let r = p.arc_start[t]..p.arc_start[t + 1];
            let (bs, cs) = (&p.arc_bucket[r.clone()], &p.arc_cost[r]);
            // Fast path: already sorted (as `random_transport` emits). A repeated
            // bucket is harmless once sorted: its cheapest arc comes first and wins.
            if (1..bs.len()).all(|i| (cs[i - 1], bs[i - 1]) < (cs[i], bs[i])) {
                arc.extend(cs.iter().copied().zip(bs.iter().copied()));
            } else {
                // One sort by (cost, bucket); a bucket's first arc is its cheapest, so
                // keeping only first arcs keeps what a dedup by bucket would.
                sort_arcs(cs, bs, &mut buf, &mut keys);
                if kept_by.is_empty() {
                    kept_by = vec![u32::MAX; p.buckets];
                }
                for &(c, b) in &buf {
                    match kept_by.get_mut(b as usize) {
                        Some(k) if *k == t as u32 => {}
                        Some(k) => {
                            *k = t as u32;
                            arc.push((c, b));
                        }
                        // (validated: a bucket is below `p.buckets`)
                        None => arc.push((c, b)),
                    }
                }
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
    pub(super) fn warm_start(&mut self, price: Vec<i64>, assign: &[u32]) {
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
    pub(super) fn zero_deficits(&mut self) -> bool {
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
    pub(super) fn fill_deficits(&mut self, mut budget: u64) -> bool {
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
    pub(super) fn route_all(&mut self) {
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

#[cfg(test)]
mod tests {
    use super::sort_arcs;

    /// Arcs sorted through packed keys come in the order of sorting the (cost, bucket)
    /// pairs themselves: negative costs, ties in cost, spans just under and over 2^32,
    /// the extremes of `i64`.
    #[test]
    fn packed_sort_is_the_pair_sort() {
        let mut x = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let spans = [1u64, 7, 1000, (1 << 32) - 1, 1 << 32, u64::MAX];
        let (mut buf, mut keys) = (Vec::new(), Vec::new());
        for (k, &span) in spans.iter().cycle().take(600).enumerate() {
            let n = k % 40;
            let base = (next() as i64) / 4;
            let cs: Vec<i64> = (0..n)
                .map(|_| match span {
                    u64::MAX => next() as i64,
                    _ => base.saturating_add((next() % span) as i64),
                })
                .collect();
            let bs: Vec<u32> = (0..n).map(|_| (next() % 50) as u32).collect();
            sort_arcs(&cs, &bs, &mut buf, &mut keys);
            let mut want: Vec<(i64, u32)> = cs.iter().copied().zip(bs.iter().copied()).collect();
            want.sort_unstable();
            assert_eq!(buf, want, "span {span}, {n} arcs");
        }
        let extremes = [i64::MIN, i64::MAX, 0, -1, i64::MIN, i64::MAX];
        sort_arcs(&extremes, &[3, 2, 1, 0, 0, 1], &mut buf, &mut keys);
        assert_eq!(
            buf,
            [
                (i64::MIN, 0),
                (i64::MIN, 3),
                (-1, 0),
                (0, 1),
                (i64::MAX, 1),
                (i64::MAX, 2)
            ]
        );
    }
}
