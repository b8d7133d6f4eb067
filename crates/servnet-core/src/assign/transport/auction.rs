//! The auction warm start of [`super::solve_transport`]: a forward auction with
//! epsilon-scaling, each bucket a heap of priced slots.

use super::ssp::{Ssp, DUMMY, INF, UNROUTED};

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

/// The auction's ε values, coarse to fine: the largest arc cost (or `top` if larger)
/// / 16, divided by 4
/// per phase, down to 4 (measured on the seeded spatial instances: a coarser first
/// phase saves the long price war from 0 at tight capacity, and a final phase at
/// ε = 2 cost more bids than the exact phase saves).
fn auction_schedule(arc: &[(i64, u32)], top: i64) -> Vec<i64> {
    let cmax = arc.iter().map(|a| a.0.abs()).max().unwrap_or(0).max(top);
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
pub(super) fn run_auction<C: Copy + Into<i64>>(
    ssp: &Ssp<'_>,
    arc: &[(C, u32)],
) -> (Vec<i64>, Vec<u32>, u64) {
    let mut auction = Auction::new(ssp, arc);
    let mut prev = 0;
    // Demand above capacity: prices must climb to the penalties, and a first ε scaled
    // to the arc costs alone makes that a long price war (100k x 5k at tightness 1.05:
    // 15.7 s of CPU, 4.3 s with ε from the penalties). Where capacity suffices the
    // coarse start costs more than it saves (at 0.98: 3.8 s -> 23 s), so only then.
    let slots = auction.slot_start.last().copied().unwrap_or(0);
    let routable = (0..auction.assign.len())
        .filter(|&t| auction.start[t] < auction.start[t + 1])
        .count();
    let top = if routable > slots {
        auction.pen.iter().copied().max().unwrap_or(0)
    } else {
        0
    };
    for e in auction_schedule(&ssp.arc, top) {
        // Start each phase a little below the last one's prices (2.5 ε of the last
        // phase), so that fewer buckets end priced with room (each costs a backward
        // path below). 2 ε left several hundred such buckets at tightness 0.98,
        // whose backward paths took longer than the extra bids of 2.5 ε.
        auction.phase(e, 5 * prev / 2);
        prev = e;
    }
    (auction.bucket_prices(), auction.assign, auction.bids)
}
