//! A transport problem (unit tickets, capacitated buckets, sparse arcs in CSR form),
//! its checks and dual bound, and its solution with counters.

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
