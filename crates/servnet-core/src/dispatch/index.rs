//! A static packed R-tree over unit vectors whose nodes carry the least score key below
//! them, searched best-first on "distance lower bound + key".
//!
//! Why not `rstar`'s nearest-neighbour iterator: it orders by distance alone, so every
//! outlet closer than the best score minus the skill's least fixed terms is popped from
//! its heap (tens per ticket in a big city). Here a node is skipped as soon as its own
//! least key plus its distance bound loses, and a leaf's items are checked in a flat loop
//! without a heap operation each. Measured with callgrind on the 10k-outlet synthetic
//! network: see BENCHMARKS.md, "Instruction counts".

use crate::geo::{chord_to_km, EARTH_RADIUS_KM};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

/// Children per node (and items per leaf).
const FANOUT: usize = 8;

/// Slack on f32 chord lengths (unit sphere; ~13 m): covers the f32 rounding of points,
/// boxes and the query, so a lane's chord minus this never exceeds the exact chord.
const CHORD_SLACK: f32 = 2e-6;

/// Relative margin that makes f32 sums of non-negative terms safe lower bounds (the
/// rounding of a product and a sum is below 2^-22 of the result).
const SHRINK: f32 = 1.0 - 1.0 / (1u32 << 20) as f32;

/// Rounds a non-negative key down to f32 (so it stays a lower bound); NaN and negative
/// keys become +0.0 (never -0.0, whose bits would sort above every positive key).
pub(crate) fn round_down(key: f64) -> f32 {
    let f = (key.max(0.0) + 0.0) as f32;
    if f64::from(f) > key && f > 0.0 {
        f32::from_bits(f.to_bits() - 1)
    } else {
        f
    }
}

/// Rounds down to f32, negative and NaN to `NEG_INFINITY` (a floor never admits more).
fn round_down_floor(x: f64) -> f32 {
    if x >= 0.0 {
        round_down(x)
    } else {
        f32::NEG_INFINITY
    }
}

/// An upper bound of the great-circle km from `q` to every point of the box `lo..=hi`
/// (f32 corners, covering their rounding with the slack).
fn farthest_km(q: &[f64; 3], lo: [f32; 3], hi: [f32; 3]) -> f64 {
    let mut d2 = 0.0;
    for a in 0..3 {
        let d = (q[a] - f64::from(lo[a]))
            .abs()
            .max((q[a] - f64::from(hi[a])).abs());
        d2 += d * d;
    }
    chord_to_km(d2.sqrt() + 2.0 * f64::from(CHORD_SLACK))
}

/// Rounds up to f32 (so a limit never cuts an item off early).
pub(crate) fn round_up(x: f64) -> f32 {
    let f = x as f32;
    if f64::from(f) < x {
        f32::from_bits(
            f.to_bits()
                .wrapping_add(if f >= 0.0 { 1 } else { u32::MAX }),
        )
    } else {
        f
    }
}

/// Starts loading the cache line holding `x` into every cache level, without waiting for
/// it (a hint: no effect on results). A load whose value is then discarded (what this was
/// before) holds up the instructions after it until it arrives: the prefetch instruction
/// was 0.13 us faster per dispatch (p50, 20 alternating pairs at 10k outlets).
pub(crate) fn prefetch<T>(x: &T) {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse"))]
    safe_arch::prefetch_t0(x);
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse")))]
    let _ = x;
}

/// The larger of two numbers that are not NaN, as one instruction per vector: `f32::max`
/// also handles NaN, which took 3-4 more per lane (callgrind: ~250 instructions per
/// dispatch in the node distances).
fn larger(a: f32, b: f32) -> f32 {
    if a > b {
        a
    } else {
        b
    }
}

/// Loads a lane's key (f32 bits >= +0.0 sort like the numbers, so `fetch_min` lowers it).
fn load_keys(keys: &[AtomicU32; FANOUT]) -> [f32; FANOUT] {
    std::array::from_fn(|l| f32::from_bits(keys[l].load(Ordering::Relaxed)))
}

/// Up to `FANOUT` items of a leaf side by side: positions, keys, reaches and payloads in
/// three cache lines. Unused lanes are infinitely far.
#[repr(C, align(64))]
struct Leaf {
    xyz: [[f32; FANOUT]; 3],
    key: [AtomicU32; FANOUT],
    reach: [f32; FANOUT],
    data: [u32; FANOUT],
}

/// Up to `FANOUT` child boxes of an inner node with the least key and the largest reach
/// below each (four cache lines). Unused lanes are empty boxes, infinitely far.
#[repr(C, align(64))]
struct Node {
    lo: [[f32; FANOUT]; 3],
    hi: [[f32; FANOUT]; 3],
    key: [AtomicU32; FANOUT],
    reach: [f32; FANOUT],
}

impl Leaf {
    /// Starts loading each of the leaf's cache lines.
    fn prefetch(&self) {
        prefetch(&self.xyz[0][0]);
        prefetch(&self.xyz[2][7]);
        prefetch(&self.reach[7]);
    }

    /// Chords (f32, minus the slack, >= 0) from `q` to each item.
    fn chords(&self, q: &[f32; 3]) -> [f32; FANOUT] {
        let mut d2 = [0f32; FANOUT];
        for (a, &qa) in q.iter().enumerate() {
            for (l, acc) in d2.iter_mut().enumerate() {
                let d = self.xyz[a][l] - qa;
                *acc += d * d;
            }
        }
        for v in &mut d2 {
            *v = larger(v.sqrt() - CHORD_SLACK, 0.0);
        }
        d2
    }
}

impl Node {
    /// Starts loading each of the node's cache lines.
    fn prefetch(&self) {
        prefetch(&self.lo[0][0]);
        prefetch(&self.lo[2][7]);
        prefetch(&self.hi[1][7]);
        prefetch(&self.reach[7]);
    }

    /// Chords (f32, minus the slack, >= 0) from `q` to each child box (0 inside).
    fn chords(&self, q: &[f32; 3]) -> [f32; FANOUT] {
        let mut d2 = [0f32; FANOUT];
        for (a, &qa) in q.iter().enumerate() {
            for (l, acc) in d2.iter_mut().enumerate() {
                let d = larger(larger(self.lo[a][l] - qa, qa - self.hi[a][l]), 0.0);
                *acc += d * d;
            }
        }
        for v in &mut d2 {
            *v = larger(v.sqrt() - CHORD_SLACK, 0.0);
        }
        d2
    }
}

/// The per-search constants of the lane filter, in f32 and rounded so that it only
/// drops lanes the exact test would drop.
struct Filter {
    per_chord: f32,
    max_chord: f32,
    /// Chord -> reach units (earth radius / widen, shrunk; 0 without a reach test).
    reach_per_chord: f32,
}

impl Filter {
    /// Lower bounds of each lane's score (`per_chord * chord + key`), and the mask of
    /// lanes among `valid` within the chord limit, within reach and not above `cutoff`.
    fn apply(
        &self,
        chords: &[f32; FANOUT],
        keys: &[f32; FANOUT],
        reach: &[f32; FANOUT],
        valid: u32,
        cutoff: f32,
    ) -> ([f32; FANOUT], u32) {
        // Branch-free lane by lane, so the compiler vectorises it (SSE on any x86-64).
        let mut lb = [0f32; FANOUT];
        let mut ok = [0u32; FANOUT];
        for l in 0..FANOUT {
            let c = chords[l];
            lb[l] = (self.per_chord * c + keys[l]) * SHRINK;
            ok[l] = u32::from(c <= self.max_chord)
                & u32::from(c * self.reach_per_chord <= reach[l])
                & u32::from(lb[l] <= cutoff);
        }
        // Packed by halves of four lanes: one fold of eight became ~40 instructions of
        // bit shuffling after the vector compare (objdump).
        let half = |o: &[u32]| o.iter().enumerate().fold(0, |m, (l, &o)| m | o << l);
        let mask = half(&ok[..4]) | half(&ok[4..]) << 4;
        (lb, mask & valid)
    }
}

/// Mask of the first `n` lanes (n <= FANOUT).
fn lanes(n: usize) -> u32 {
    (1u32 << n.min(FANOUT)) - 1
}

/// A heap entry: an f32 lower bound (its bits, which sort like the numbers for values
/// >= 0) above the node's number, so one u64 compare orders them.
fn heap_entry(lb: f32, node: u32) -> u64 {
    (u64::from(lb.max(0.0).to_bits()) << 32) | u64::from(node)
}

/// Index of (x, y) on a Hilbert curve over a 2^16 x 2^16 grid.
fn hilbert(mut x: u32, mut y: u32) -> u64 {
    let n: u32 = 1 << 16;
    let mut d: u64 = 0;
    let mut s = n / 2;
    while s > 0 {
        let rx = u32::from(x & s > 0);
        let ry = u32::from(y & s > 0);
        d += u64::from(s) * u64::from(s) * u64::from((3 * rx) ^ ry);
        if ry == 0 {
            if rx == 1 {
                x = n - 1 - x;
                y = n - 1 - y;
            }
            std::mem::swap(&mut x, &mut y);
        }
        s /= 2;
    }
    d
}

/// One item to index: position on the unit sphere, (lon, lat) for ordering, a payload
/// and a score key (a lower bound of the item's non-distance score terms).
pub(crate) struct Entry {
    pub(crate) xyz: [f64; 3],
    pub(crate) lon: f64,
    pub(crate) lat: f64,
    pub(crate) data: u32,
    pub(crate) key: f64,
    /// Great-circle km beyond which the item cannot serve (`INFINITY`: no such limit).
    pub(crate) reach: f64,
    /// Great-circle km beyond which the item's area rule excludes every ticket, counting
    /// area rules that are not geometric (region lists) as 0: see `split_far`.
    pub(crate) area_reach: f64,
    /// Great-circle km within which the item's area rule admits every ticket (its
    /// radius; `NEG_INFINITY` for region lists and polygons): see `split_far`.
    pub(crate) area_floor: f64,
}

/// Packed R-tree, flatbush-style: items in Hilbert order, `FANOUT` per leaf; each level
/// above groups `FANOUT` nodes of the level below. Immutable except for keys, which may
/// only be lowered (so every stored key stays a valid lower bound).
///
/// Layout (measured, BENCHMARKS.md): a leaf's positions, keys, reaches and payloads share
/// three cache lines, and a node's boxes, keys and reaches four, since at 10k outlets
/// x 100 skills the trees (~10 MB) live in L3 and each line touched is a miss.
pub(crate) struct KeyedTree {
    len: usize,
    leaves: Vec<Leaf>,
    /// Inner levels, bottom up: node j of level 0 holds leaves 8j..8j+7; node j of level
    /// l holds nodes 8j..8j+7 of level l - 1. The last level has one node.
    levels: Vec<Vec<Node>>,
    /// Per level and node, the largest area reach below each lane.
    area_reach: Vec<Vec<[f32; FANOUT]>>,
    /// Days without room: `full[0][slot]` has bit `d` set when the item is known to have
    /// no room on the caller's day `d` (a day counted from its first); `full[h + 1][g]`
    /// when every item below group `g` at height `h` (leaves are height 0) has. A search
    /// skips items and whole groups full on every day it could book.
    full: Vec<Vec<AtomicU64>>,
    /// Days on which an item may be marked full for its outlet's cap while its own offer
    /// has room (set with the mark, kept until unmarked): `outlet_only[0][slot]` per
    /// item, and per group the union below it. A marked item without this bit has its
    /// offer full that day.
    outlet_only: Vec<Vec<AtomicU64>>,
    /// Per item and group (indexed as `full`), the least `area_floor` below, in km
    /// (rounded down).
    floor: Vec<Vec<f32>>,
}

/// Which groups [`KeyedTree::split_far`] may count as full in bulk: those all of whose
/// items are marked full (their offer, not only their outlet) on every day of `days`
/// and lie within `km` great-circle km of the query and within their area floor.
#[derive(Clone, Copy)]
pub(crate) struct FullTest {
    /// Day bits (non-zero).
    pub(crate) days: u64,
    /// Great-circle km.
    pub(crate) km: f64,
}

/// Heap entries name a group as (height << 28) | index, height 0 for leaves.
const LEVEL_SHIFT: u32 = 28;

/// The (height, index) of the group a heap entry names.
fn group_of(entry: u64) -> (usize, usize) {
    let id = entry as u32;
    (
        (id >> LEVEL_SHIFT) as usize,
        (id & ((1 << LEVEL_SHIFT) - 1)) as usize,
    )
}

/// Scratch for one search (kept per thread by the caller to avoid an allocation).
#[derive(Default)]
pub(crate) struct Scratch {
    frontier: Frontier,
}

/// The groups a search has yet to open, taken least first. Up to [`Frontier::SMALL`]
/// entries it is an unordered list scanned for its least entry: a binary heap's sifts
/// mispredicted a branch at about every other comparison (53 mispredictions per dispatch
/// at 10k outlets in callgrind's branch simulation, 46 with the list). Past that size (a
/// search that prunes little) its entries move to a binary heap, which takes every push
/// until it is empty again. Entries are distinct, so both take them in the same order.
#[derive(Default)]
struct Frontier {
    small: Vec<u64>,
    heap: BinaryHeap<Reverse<u64>>,
}

impl Frontier {
    const SMALL: usize = 48;

    fn clear(&mut self) {
        self.small.clear();
        self.heap.clear();
    }

    fn push(&mut self, entry: u64) {
        if self.heap.is_empty() && self.small.len() < Self::SMALL {
            self.small.push(entry);
        } else {
            self.heap.extend(self.small.drain(..).map(Reverse));
            self.heap.push(Reverse(entry));
        }
    }

    fn pop(&mut self) -> Option<u64> {
        if !self.heap.is_empty() {
            return self.heap.pop().map(|Reverse(e)| e);
        }
        let (mut at, mut least) = (0, *self.small.first()?);
        for (i, &e) in self.small.iter().enumerate().skip(1) {
            if e < least {
                (at, least) = (i, e);
            }
        }
        Some(self.small.swap_remove(at))
    }
}

/// Bounding box of boxes.
fn union<'a>(boxes: impl Iterator<Item = &'a ([f64; 3], [f64; 3])>) -> ([f64; 3], [f64; 3]) {
    let mut l = [f64::INFINITY; 3];
    let mut h = [f64::NEG_INFINITY; 3];
    for (bl, bh) in boxes {
        for i in 0..3 {
            l[i] = l[i].min(bl[i]);
            h[i] = h[i].max(bh[i]);
        }
    }
    (l, h)
}

/// What a parent node keeps of a group below it.
struct Summary {
    bbox: ([f64; 3], [f64; 3]),
    key: f32,
    reach: f32,
    area_reach: f32,
}

impl Summary {
    fn of(items: &[Summary]) -> Summary {
        Summary {
            bbox: union(items.iter().map(|s| &s.bbox)),
            key: items.iter().map(|s| s.key).fold(f32::INFINITY, f32::min),
            reach: items.iter().map(|s| s.reach).fold(0.0, f32::max),
            area_reach: items.iter().map(|s| s.area_reach).fold(0.0, f32::max),
        }
    }
}

/// The summaries of the groups below, bundled into nodes of `FANOUT` (with the nodes'
/// area reaches, kept apart as only rule counting reads them).
fn nodes(below: &[Summary]) -> (Vec<Node>, Vec<[f32; FANOUT]>) {
    below
        .chunks(FANOUT)
        .map(|chunk| {
            let mut n = Node {
                lo: [[f32::INFINITY; FANOUT]; 3],
                hi: [[f32::NEG_INFINITY; FANOUT]; 3],
                key: std::array::from_fn(|_| AtomicU32::new(f32::INFINITY.to_bits())),
                reach: [0.0; FANOUT],
            };
            let mut area = [0.0; FANOUT];
            for (l, sum) in chunk.iter().enumerate() {
                let (lo, hi) = sum.bbox;
                for a in 0..3 {
                    n.lo[a][l] = lo[a] as f32;
                    n.hi[a][l] = hi[a] as f32;
                }
                n.key[l] = AtomicU32::new(sum.key.to_bits());
                n.reach[l] = sum.reach;
                area[l] = sum.area_reach;
            }
            (n, area)
        })
        .unzip()
}

/// The order in which a tree stores its items: by this code, then by payload.
pub(crate) fn hilbert_code(lon: f64, lat: f64) -> u64 {
    let x = ((lon + 180.0) / 360.0 * 65535.0).clamp(0.0, 65535.0) as u32;
    let y = ((lat + 90.0) / 180.0 * 65535.0).clamp(0.0, 65535.0) as u32;
    hilbert(x, y)
}

impl KeyedTree {
    /// Builds the tree; returns it with each entry's (payload, slot), in tree order.
    pub(crate) fn new(mut entries: Vec<Entry>) -> (Self, Vec<(u32, u32)>) {
        entries.sort_by_key(|e| (hilbert_code(e.lon, e.lat), e.data));
        let slots = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.data, i as u32))
            .collect();
        let mut leaves = Vec::with_capacity(entries.len().div_ceil(FANOUT));
        let mut summary: Vec<Summary> = Vec::new();
        let mut floor = vec![entries
            .iter()
            .map(|e| round_down_floor(e.area_floor))
            .collect::<Vec<f32>>()];
        for chunk in entries.chunks(FANOUT) {
            let mut leaf = Leaf {
                xyz: [[f32::INFINITY; FANOUT]; 3],
                key: std::array::from_fn(|_| AtomicU32::new(f32::INFINITY.to_bits())),
                reach: [0.0; FANOUT],
                data: [u32::MAX; FANOUT],
            };
            for (l, e) in chunk.iter().enumerate() {
                for a in 0..3 {
                    leaf.xyz[a][l] = e.xyz[a] as f32;
                }
                leaf.key[l] = AtomicU32::new(round_down(e.key).to_bits());
                leaf.reach[l] = round_up(e.reach);
                leaf.data[l] = e.data;
            }
            let items: Vec<Summary> = chunk
                .iter()
                .map(|e| Summary {
                    bbox: (e.xyz, e.xyz),
                    key: round_down(e.key),
                    reach: round_up(e.reach),
                    area_reach: round_up(e.area_reach),
                })
                .collect();
            summary.push(Summary::of(&items));
            leaves.push(leaf);
        }
        let mut levels: Vec<Vec<Node>> = Vec::new();
        let mut area_reach = Vec::new();
        while summary.len() > 1 {
            let (level, area) = nodes(&summary);
            summary = summary.chunks(FANOUT).map(Summary::of).collect();
            levels.push(level);
            area_reach.push(area);
        }
        let atomics = |n: usize| (0..n).map(|_| AtomicU64::new(0)).collect::<Vec<_>>();
        let mut full = vec![atomics(entries.len()), atomics(leaves.len())];
        full.extend(levels.iter().map(|l| atomics(l.len())));
        let outlet_only = full.iter().map(|l| atomics(l.len())).collect();
        while floor.len() < full.len() {
            let below = floor.last().map_or(&[][..], |v| &v[..]);
            let up = below
                .chunks(FANOUT)
                .map(|c| c.iter().copied().fold(f32::INFINITY, f32::min))
                .collect();
            floor.push(up);
        }
        let tree = KeyedTree {
            area_reach,
            len: entries.len(),
            leaves,
            levels,
            full,
            outlet_only,
            floor,
        };
        (tree, slots)
    }

    /// Number of items.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Number of groups at `height` (0: leaves).
    fn groups_at(&self, height: usize) -> usize {
        if height == 0 {
            self.leaves.len()
        } else {
            self.levels.get(height - 1).map_or(0, Vec::len)
        }
    }

    /// Lowers the key of the item in `slot` (and of the nodes above it) to `key` if that
    /// is lower; a higher key is ignored, as the stored one is still a lower bound.
    pub(crate) fn lower_key(&self, slot: u32, key: f64) {
        let bits = round_down(key).to_bits();
        let mut i = slot as usize;
        if let Some(leaf) = self.leaves.get(i / FANOUT) {
            leaf.key[i % FANOUT].fetch_min(bits, Ordering::Relaxed);
        }
        i /= FANOUT;
        for level in &self.levels {
            if let Some(node) = level.get(i / FANOUT) {
                node.key[i % FANOUT].fetch_min(bits, Ordering::Relaxed);
            }
            i /= FANOUT;
        }
    }

    /// Records that the item in `slot` has no room on the days of `days` (bits), and so
    /// every group all of whose items have none; `outlet_only`: perhaps only for its
    /// outlet's cap (its offer may have room). The caller serialises `mark` and
    /// [`KeyedTree::unmark`] and checks the room under that lock.
    pub(crate) fn mark(&self, slot: u32, days: u64, outlet_only: bool) {
        if outlet_only {
            let mut i = slot as usize;
            for level in &self.outlet_only {
                let Some(b) = level.get(i) else { break };
                if b.fetch_or(days, Ordering::SeqCst) & days == days {
                    break;
                }
                i /= FANOUT;
            }
        }
        let mut i = slot as usize;
        let Some(item) = self.full[0].get(i) else {
            return;
        };
        item.fetch_or(days, Ordering::SeqCst);
        for h in 0..self.full.len() - 1 {
            let g = i / FANOUT;
            let below = &self.full[h];
            let all = below[g * FANOUT..((g + 1) * FANOUT).min(below.len())]
                .iter()
                .fold(u64::MAX, |m, b| m & b.load(Ordering::SeqCst));
            let Some(group) = self.full[h + 1].get(g) else {
                return;
            };
            let old = group.fetch_or(all & days, Ordering::SeqCst);
            if all & days & !old == 0 {
                return;
            }
            i = g;
        }
    }

    /// Records that the item in `slot` may have room again on the days of `days`.
    pub(crate) fn unmark(&self, slot: u32, days: u64) {
        // The union of the outlet-only bits below each group, from the item up.
        let mut i = slot as usize;
        if let Some(b) = self.outlet_only.first().and_then(|l| l.get(i)) {
            if b.fetch_and(!days, Ordering::SeqCst) & days != 0 {
                for h in 0..self.outlet_only.len() - 1 {
                    let g = i / FANOUT;
                    let below = &self.outlet_only[h];
                    let any = below[g * FANOUT..((g + 1) * FANOUT).min(below.len())]
                        .iter()
                        .fold(0, |m, b| m | b.load(Ordering::SeqCst));
                    let Some(group) = self.outlet_only[h + 1].get(g) else {
                        break;
                    };
                    if group.swap(any, Ordering::SeqCst) == any {
                        break;
                    }
                    i = g;
                }
            }
        }
        let mut i = slot as usize;
        for level in &self.full {
            let Some(group) = level.get(i) else {
                return;
            };
            if group.fetch_and(!days, Ordering::SeqCst) & days == 0 {
                return;
            }
            i /= FANOUT;
        }
    }

    /// Forgets every day without room (the days are renumbered).
    pub(crate) fn unmark_all(&mut self) {
        for level in self.full.iter_mut().chain(&mut self.outlet_only) {
            for b in level.iter_mut() {
                *b.get_mut() = 0;
            }
        }
    }

    /// Lanes of `mask` (children `first..` of a group at `height`, or items when
    /// `height` is 0 with `items`) not full on every day of `skip`.
    fn with_room(&self, level: usize, first: usize, mut mask: u32, skip: u64) -> u32 {
        if skip == 0 {
            return mask;
        }
        let Some(full) = self.full.get(level) else {
            return mask;
        };
        let mut m = mask;
        while m != 0 {
            let l = m.trailing_zeros() as usize;
            m &= m - 1;
            if full
                .get(first + l)
                .is_some_and(|b| b.load(Ordering::Relaxed) & skip == skip)
            {
                mask &= !(1 << l);
            }
        }
        mask
    }

    /// The leaf holding the item nearest to `q` (by chord), if any.
    pub(crate) fn nearest_leaf(&self, scratch: &mut Scratch, q: &[f64; 3]) -> Option<u32> {
        let qf = q.map(|v| v as f32);
        if self.len == 0 || self.len >= 1 << LEVEL_SHIFT {
            return None;
        }
        let heap = &mut scratch.frontier;
        heap.clear();
        heap.push(heap_entry(0.0, (self.levels.len() as u32) << LEVEL_SHIFT));
        let mut best: Option<(f32, u32)> = None;
        while let Some(entry) = heap.pop() {
            let lb = f32::from_bits((entry >> 32) as u32);
            if best.is_some_and(|(d, _)| lb > d) {
                break;
            }
            let (height, group) = group_of(entry);
            let first = group * FANOUT;
            if height == 0 {
                if let Some(leaf) = self.leaves.get(group) {
                    let chords = leaf.chords(&qf);
                    for &c in &chords[..(self.len - first).min(FANOUT)] {
                        if best.is_none_or(|(d, _)| c < d) {
                            best = Some((c, group as u32));
                        }
                    }
                }
                continue;
            }
            if let Some(node) = self.levels.get(height - 1).and_then(|l| l.get(group)) {
                let chords = node.chords(&qf);
                let below = ((height - 1) as u32) << LEVEL_SHIFT;
                for (l, &c) in chords[..(self.groups_at(height - 1) - first).min(FANOUT)]
                    .iter()
                    .enumerate()
                {
                    heap.push(heap_entry(c, below | (first + l) as u32));
                }
            }
        }
        heap.clear();
        best.map(|(_, leaf)| leaf)
    }

    /// Starts loading the nodes from the root down to `leaf`, and the leaf: a search
    /// about to run near that leaf then finds them in cache (their misses overlap instead
    /// of following one another down the tree).
    pub(crate) fn prefetch_path(&self, leaf: u32) {
        let mut i = leaf as usize;
        if let Some(l) = self.leaves.get(i) {
            l.prefetch();
        }
        for level in &self.levels {
            i /= FANOUT;
            if let Some(n) = level.get(i) {
                n.prefetch();
            }
        }
    }

    /// Best-first search from `q`: leaves are opened in order of `per_chord * chord +
    /// least key`, with `chord` a lower bound of the chord length (unit sphere) to the
    /// leaf's box; within a leaf, every item with chord `<= max_chord` and such a bound
    /// `<= cutoff` is passed, least bound first, to `visit(slot, data, chord lower bound,
    /// key)`, which returns the new cutoff. Stops when the next node's bound passes the
    /// cutoff (ties are visited, so the caller can break them). With `widen`, items (and
    /// nodes) farther than their reach x `widen` are skipped. Preconditions (the
    /// dispatcher's validation ensures them): `per_chord` finite and >= 0, `widen` >= 1,
    /// reaches > 0 or infinite. The chord limit is applied to lower bounds of chords, so
    /// `visit` must re-check it. Items and groups marked full on every day of `skip`
    /// ([`KeyedTree::mark`]) are skipped (0: none is).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn best_first(
        &self,
        scratch: &mut Scratch,
        q: &[f64; 3],
        max_chord: f64,
        widen: Option<f64>,
        mut cutoff: f64,
        per_chord: f64,
        skip: u64,
        mut visit: impl FnMut(u32, u32, f64, f64) -> f64,
    ) {
        let heap = &mut scratch.frontier;
        heap.clear();
        // Node numbers must fit below the level bits (the dispatcher rejects larger networks).
        if self.len == 0 || self.len >= 1 << LEVEL_SHIFT {
            return;
        }
        let qf = q.map(|v| v as f32);
        let filter = Filter {
            per_chord: round_down(per_chord),
            max_chord: round_up(max_chord),
            // Chord km <= great-circle km: beyond reach x widen even by chord, out of reach.
            reach_per_chord: widen.map_or(0.0, |w| round_down(EARTH_RADIUS_KM / w) * SHRINK),
        };
        heap.push(heap_entry(0.0, (self.levels.len() as u32) << LEVEL_SHIFT));
        while let Some(entry) = heap.pop() {
            if f64::from(f32::from_bits((entry >> 32) as u32)) > cutoff {
                break;
            }
            let (height, group) = group_of(entry);
            let first = group * FANOUT;
            if height == 0 {
                let Some(leaf) = self.leaves.get(group) else {
                    continue;
                };
                let chords = leaf.chords(&qf);
                let keys = load_keys(&leaf.key);
                let valid = lanes(self.len - first);
                let (lb, mask) = filter.apply(&chords, &keys, &leaf.reach, valid, round_up(cutoff));
                let mut mask = self.with_room(0, first, mask, skip);
                while mask != 0 {
                    let mut l = mask.trailing_zeros() as usize;
                    let mut rest = mask & (mask - 1);
                    while rest != 0 {
                        let j = rest.trailing_zeros() as usize;
                        rest &= rest - 1;
                        if lb[j] < lb[l] {
                            l = j;
                        }
                    }
                    mask &= !(1 << l);
                    if f64::from(lb[l]) > cutoff {
                        break;
                    }
                    let slot = (first + l) as u32;
                    let (chord, key) = (f64::from(chords[l]), f64::from(keys[l]));
                    cutoff = visit(slot, leaf.data[l], chord, key);
                }
                continue;
            }
            let Some(node) = self.levels.get(height - 1).and_then(|l| l.get(group)) else {
                continue;
            };
            let chords = node.chords(&qf);
            let keys = load_keys(&node.key);
            let valid = lanes(self.groups_at(height - 1) - first);
            let (lb, mask) = filter.apply(&chords, &keys, &node.reach, valid, round_up(cutoff));
            let mut mask = self.with_room(height, first, mask, skip);
            let below = ((height - 1) as u32) << LEVEL_SHIFT;
            while mask != 0 {
                let l = mask.trailing_zeros() as usize;
                mask &= mask - 1;
                heap.push(heap_entry(lb[l], below | (first + l) as u32));
            }
        }
        heap.clear();
    }

    /// Splits the items for counting rules: whole nodes beyond `max_chord` from `q` and
    /// beyond the largest area reach below them are skipped in bulk (their slot ranges
    /// are added to `bulk`); with `full`, items and groups that pass its test go to
    /// `bulk_full` in slot ranges; every other item goes to `item(slot, data)`. Bulk
    /// items are outside their area unless their area is not geometric (the caller
    /// checks those).
    pub(crate) fn split_far(
        &self,
        q: &[f64; 3],
        max_chord: f64,
        full: Option<FullTest>,
        mut item: impl FnMut(u32, u32),
        bulk: &mut Vec<std::ops::Range<usize>>,
        bulk_full: &mut Vec<std::ops::Range<usize>>,
    ) {
        // Whether the group `g` at `level` of `full` (0: items) is all full within reach.
        let all_full = |level: usize, g: usize, far_km: f64| {
            full.is_some_and(|t| {
                let (Some(f), Some(o), Some(&floor)) = (
                    self.full.get(level).and_then(|l| l.get(g)),
                    self.outlet_only.get(level).and_then(|l| l.get(g)),
                    self.floor.get(level).and_then(|l| l.get(g)),
                ) else {
                    return false;
                };
                t.days != 0
                    && f.load(Ordering::SeqCst) & t.days == t.days
                    && o.load(Ordering::SeqCst) & t.days == 0
                    && far_km <= t.km
                    && far_km <= f64::from(floor)
            })
        };
        let mut push_full = |range: std::ops::Range<usize>| match bulk_full.last_mut() {
            Some(last) if last.end == range.start => last.end = range.end,
            _ => bulk_full.push(range),
        };
        if self.len == 0 {
            return;
        }
        let qf = q.map(|v| v as f32);
        // (height, group); the root is the single group at the top.
        let mut stack = vec![(self.levels.len(), 0usize)];
        while let Some((height, group)) = stack.pop() {
            let first = group * FANOUT;
            if height == 0 {
                if let Some(leaf) = self.leaves.get(group) {
                    for (l, &d) in leaf.data[..(self.len - first).min(FANOUT)]
                        .iter()
                        .enumerate()
                    {
                        let at = [leaf.xyz[0][l], leaf.xyz[1][l], leaf.xyz[2][l]];
                        if full.is_some() && all_full(0, first + l, farthest_km(q, at, at)) {
                            push_full(first + l..first + l + 1);
                        } else {
                            item((first + l) as u32, d);
                        }
                    }
                }
                continue;
            }
            let Some(node) = self.levels.get(height - 1).and_then(|l| l.get(group)) else {
                continue;
            };
            let chords = node.chords(&qf);
            let n_below = self.groups_at(height - 1);
            for (c, &chord) in (first..(first + FANOUT).min(n_below)).zip(&chords) {
                let chord = f64::from(chord);
                let area_reach = self
                    .area_reach
                    .get(height - 1)
                    .and_then(|level| level.get(group))
                    .map_or(f32::INFINITY, |lanes| lanes[c - first]);
                let beyond_reach = chord * EARTH_RADIUS_KM > f64::from(area_reach);
                // Group c at height - 1 covers FANOUT^height items.
                let span = FANOUT.pow(height as u32);
                let l = c - first;
                if chord > max_chord && beyond_reach {
                    bulk.push(c * span..((c + 1) * span).min(self.len));
                } else if full.is_some()
                    && all_full(
                        height,
                        c,
                        farthest_km(
                            q,
                            [node.lo[0][l], node.lo[1][l], node.lo[2][l]],
                            [node.hi[0][l], node.hi[1][l], node.hi[2][l]],
                        ),
                    )
                {
                    push_full(c * span..((c + 1) * span).min(self.len));
                } else {
                    stack.push((height - 1, c));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::unit_vector;
    use crate::rng::SplitMix64;

    /// Squared Euclidean distance between two points.
    fn dist2(a: &[f64; 3], b: &[f64; 3]) -> f64 {
        let (x, y, z) = (a[0] - b[0], a[1] - b[1], a[2] - b[2]);
        x * x + y * y + z * z
    }

    fn entries(n: usize, seed: u64) -> Vec<Entry> {
        let mut rng = SplitMix64::new(seed);
        (0..n)
            .map(|i| {
                let lon = 100.0 + 20.0 * rng.next_f64();
                let lat = 20.0 + 20.0 * rng.next_f64();
                Entry {
                    xyz: unit_vector(lon, lat),
                    lon,
                    lat,
                    data: i as u32,
                    key: 30.0 * rng.next_f64(),
                    // Half the items serve only within 10-200 km (the reach filter).
                    reach: if i % 2 == 0 {
                        10.0 + 190.0 * rng.next_f64()
                    } else {
                        f64::INFINITY
                    },
                    area_reach: f64::INFINITY,
                    area_floor: f64::NEG_INFINITY,
                }
            })
            .collect()
    }

    /// The hint leaf holds an item as near the query as the nearest item (up to f32
    /// rounding), for trees of one leaf, one level and several.
    #[test]
    fn nearest_leaf_holds_the_nearest_item() {
        let mut scratch = Scratch::default();
        let mut rng = SplitMix64::new(11);
        for n in [0usize, 1, 9, 300, 5000] {
            let es = entries(n, n as u64 + 7);
            let points: Vec<[f64; 3]> = es.iter().map(|e| e.xyz).collect();
            let (tree, slots) = KeyedTree::new(es);
            let mut leaf_of = vec![0; n];
            for (data, slot) in slots {
                leaf_of[data as usize] = slot as usize / FANOUT;
            }
            for q in 0..100 {
                let p = unit_vector(98.0 + 24.0 * rng.next_f64(), 18.0 + 24.0 * rng.next_f64());
                let got = tree.nearest_leaf(&mut scratch, &p);
                let nearest = (0..n)
                    .map(|i| dist2(&p, &points[i]).sqrt())
                    .fold(f64::INFINITY, f64::min);
                match got {
                    None => assert_eq!(n, 0),
                    Some(leaf) => {
                        let in_leaf = (0..n)
                            .filter(|&i| leaf_of[i] == leaf as usize)
                            .map(|i| dist2(&p, &points[i]).sqrt())
                            .fold(f64::INFINITY, f64::min);
                        assert!(in_leaf <= nearest + 1e-6, "n={n} query {q}");
                    }
                }
            }
        }
    }

    /// The frontier gives its entries back least first, as a binary heap would, in
    /// random runs of pushes and pops that stay small, cross into the heap and clear.
    #[test]
    fn frontier_pops_in_the_order_of_a_heap() {
        let mut rng = SplitMix64::new(3);
        let mut f = Frontier::default();
        for run in 0..200 {
            f.clear();
            let mut truth: BinaryHeap<Reverse<u64>> = BinaryHeap::new();
            let mut next = 0u64;
            // Up to 10 or up to 200 entries at once: below and above `Frontier::SMALL`.
            let size = if run % 2 == 0 { 10 } else { 200 };
            for _ in 0..400 {
                if truth.len() < size && rng.below(3) > 0 {
                    // Distinct entries (as the search's are): random high bits, a counter low.
                    let e = (rng.below(50) as u64) << 32 | next;
                    next += 1;
                    f.push(e);
                    truth.push(Reverse(e));
                } else {
                    assert_eq!(f.pop(), truth.pop().map(|Reverse(e)| e), "run {run}");
                }
            }
            while let Some(Reverse(e)) = truth.pop() {
                assert_eq!(f.pop(), Some(e), "run {run}");
            }
            assert_eq!(f.pop(), None);
        }
    }

    /// The best item by (6371 x chord + key, data) found by the search equals a
    /// brute-force minimum, for many queries, sizes (one leaf, one level and two), cut-off
    /// radii and widening factors of the items' reach, also after keys are lowered.
    #[test]
    fn best_first_finds_the_brute_force_minimum() {
        let mut scratch = Scratch::default();
        let mut rng = SplitMix64::new(9);
        for n in [0usize, 1, 8, 9, 15, 16, 17, 64, 65, 300, 5000] {
            let es = entries(n, n as u64 + 1);
            let truth: Vec<([f64; 3], f64)> = es.iter().map(|e| (e.xyz, e.key)).collect();
            let reach: Vec<f64> = es.iter().map(|e| e.reach).collect();
            let (tree, slots) = KeyedTree::new(es);
            assert_eq!(tree.len(), n);
            let mut slot_of = vec![0; n];
            for (data, slot) in slots {
                slot_of[data as usize] = slot;
            }
            let mut keys: Vec<f64> = truth.iter().map(|t| t.1).collect();
            for q in 0..200 {
                if q % 10 == 0 && n > 0 {
                    let i = rng.below(n);
                    keys[i] *= 0.5;
                    tree.lower_key(slot_of[i], keys[i]);
                }
                let lon = 98.0 + 24.0 * rng.next_f64();
                let lat = 18.0 + 24.0 * rng.next_f64();
                let p = unit_vector(lon, lat);
                let max_chord = 0.15 * rng.next_f64();
                let max_d2 = max_chord * max_chord;
                let widen = [None, Some(1.0), Some(1.5)][q % 3];
                // Within reach x widen by great-circle km (always, without `widen`).
                let reaches = |i: usize| {
                    let km = crate::geo::chord_to_km(dist2(&p, &truth[i].0).sqrt());
                    widen.is_none_or(|w| km <= reach[i] * w)
                };
                let score = |d2: f64, key: f64| 6371.0 * d2.sqrt() + key;
                let expect = (0..n)
                    .filter(|&i| dist2(&p, &truth[i].0) <= max_d2 && reaches(i))
                    .map(|i| (score(dist2(&p, &truth[i].0), keys[i]), i as u32))
                    .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                let mut best: Option<(f64, u32)> = None;
                tree.best_first(
                    &mut scratch,
                    &p,
                    max_chord,
                    widen,
                    f64::INFINITY,
                    6371.0,
                    0,
                    |slot, i, chord, key| {
                        assert_eq!(slot, slot_of[i as usize]);
                        let d2 = dist2(&p, &truth[i as usize].0);
                        // The search's chord and key are lower bounds of the exact ones.
                        assert!(chord <= d2.sqrt() && key <= keys[i as usize]);
                        if d2 > max_d2 || !reaches(i as usize) {
                            return best.map_or(f64::INFINITY, |b| b.0);
                        }
                        let s = score(d2, keys[i as usize]);
                        if best.is_none_or(|b| (s, i) < b) {
                            best = Some((s, i));
                        }
                        best.map_or(f64::INFINITY, |b| b.0)
                    },
                );
                assert_eq!(best, expect, "n={n} query {q}");
            }
        }
    }
}
