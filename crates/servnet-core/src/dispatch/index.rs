//! A static packed R-tree over unit vectors whose nodes carry the least score key below
//! them, searched best-first on "distance lower bound + key".
//!
//! Why not `rstar`'s nearest-neighbour iterator: it orders by distance alone, so every
//! outlet closer than the best score minus the skill's least fixed terms is popped from
//! its heap (tens per ticket in a big city). Here a node is skipped as soon as its own
//! least key plus its distance bound loses, and a leaf's items are checked in a flat loop
//! without a heap operation each. Measured with callgrind on the 10k-outlet synthetic
//! network: see BENCHMARKS.md, "Instruction counts".

use super::probe;
use crate::geo::EARTH_RADIUS_KM;
use radii::ByRadius;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicU32, Ordering};
use tally::{floor_chord, floors, DayBits};
pub(crate) use tally::{limit_chord, FullTest, Mark, Split};

mod radii;
mod tally;

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

    /// Upper bounds of the chords from `q` to every point of each child box (f32: the
    /// slack and a relative margin cover the rounding of the query and of the sums).
    fn far_chords(&self, q: &[f32; 3]) -> [f32; FANOUT] {
        let mut d2 = [0f32; FANOUT];
        for (a, &qa) in q.iter().enumerate() {
            for (l, acc) in d2.iter_mut().enumerate() {
                let d = larger((qa - self.lo[a][l]).abs(), (self.hi[a][l] - qa).abs());
                *acc += d * d;
            }
        }
        for v in &mut d2 {
            *v = v.sqrt() * FAR_MARGIN + 2.0 * CHORD_SLACK;
        }
        d2
    }
}

/// Relative margin on f32 upper bounds of chords (the rounding of three squares, their
/// sum and its root is below 2^-21 of the result).
const FAR_MARGIN: f32 = 1.0 + 1.0 / (1u32 << 20) as f32;

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
        (lb, lane_bits(&ok) & valid)
    }
}

/// Bit `l` set for each lane `l` whose `ok` is 1 (lanes are 0 or 1): the sign bits of
/// the lanes negated, four at a time (`movmskps`, taking the vector compare's result as
/// it is). The portable fold below took ~27 instructions of bit shuffling after the
/// compare (objdump; one fold of eight took ~40).
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
fn lane_bits(ok: &[u32; FANOUT]) -> u32 {
    use safe_arch::{cast_to_m128_from_m128i, m128i, move_mask_m128};
    let half = |o: &[u32]| {
        let signs: [i32; 4] = std::array::from_fn(|l| (o[l] as i32).wrapping_neg());
        move_mask_m128(cast_to_m128_from_m128i(m128i::from(signs))) as u32
    };
    half(&ok[..4]) | half(&ok[4..]) << 4
}

/// Bit `l` set for each lane `l` whose `ok` is 1 (lanes are 0 or 1), by halves of four.
#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
fn lane_bits(ok: &[u32; FANOUT]) -> u32 {
    let half = |o: &[u32]| o.iter().enumerate().fold(0, |m, (l, &o)| m | o << l);
    half(&ok[..4]) | half(&ok[4..]) << 4
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
    /// Days without room: an item has bit `d` set when it is known to have no room on
    /// the caller's day `d` (a day counted from its first); a group when every item below
    /// has. A search skips items and whole groups full on every day it could book.
    full: DayBits,
    /// Days on which an item may be marked full for its outlet's cap while its own offer
    /// has room (set with the mark, kept until unmarked); per group the union below it.
    /// A marked item without this bit has its offer full that day.
    outlet_only: DayBits,
    /// Days on which an item is marked full for its outlet's cap while its offer has room
    /// for one unit of any ticket; per group, when every item below is.
    room: DayBits,
    /// Days on which an item's offer has no room for a ticket held out of every reserve
    /// (kept until unmarked); per group, when every item below has none.
    reserved: DayBits,
    /// Per item and group (indexed as `full`), the least `area_floor` below, as a chord
    /// (rounded down).
    floor: Vec<Vec<f32>>,
    /// Each group's items by radius (counting groups that straddle their radii).
    by_radius: ByRadius,
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

/// Scratch for searches, kept per thread by the caller: the frontier, reused to avoid an
/// allocation, and the carries, which outlive a search and are keyed by token.
#[derive(Default)]
pub(crate) struct Scratch {
    frontier: Frontier,
    /// What the last searches that found nothing left for later days ([`Carry`]): two,
    /// for a ticket's searches under two sets of limits (direct and next-day share one,
    /// the wider radius has its own).
    carries: [Carry; 2],
}

/// The groups a search that found nothing skipped as full on its days or opened down to
/// items, as heap entries: every item that may have room on another day (and passes the
/// day-independent lane tests) lies below one of them, so that day's search starts from
/// them instead of the root and reopens none of the groups above them. Its `Vec` keeps
/// its largest capacity (per thread and slot; <= ~1 MB at 1M outlets).
#[derive(Default)]
struct Carry {
    entries: Vec<u64>,
    /// The search the entries belong to (`None`: nothing carried).
    of: Option<CarryKey>,
}

/// What a carried search must share with the search it resumes: the caller's token
/// (one per ticket), the tree, the query point and the lane filter's limits.
#[derive(Clone, Copy, PartialEq)]
struct CarryKey {
    token: u64,
    tree: usize,
    q: [u32; 3],
    max_chord: u32,
    reach_per_chord: u32,
    per_chord: u32,
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
        let item_floors = entries
            .iter()
            .map(|e| floor_chord(e.area_floor))
            .collect::<Vec<f32>>();
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
        let radii: Vec<([f64; 3], Option<f64>)> = entries
            .iter()
            .map(|e| (e.xyz, (e.area_floor >= 0.0).then_some(e.area_floor)))
            .collect();
        let mut shape = vec![entries.len(), leaves.len()];
        shape.extend(levels.iter().map(Vec::len));
        let levels_len = levels.len();
        let tree = KeyedTree {
            area_reach,
            len: entries.len(),
            leaves,
            levels,
            full: DayBits::new(&shape, true),
            outlet_only: DayBits::new(&shape, false),
            room: DayBits::new(&shape, true),
            reserved: DayBits::new(&shape, true),
            floor: floors(item_floors, shape.len()),
            by_radius: ByRadius::new(&radii, levels_len.min(radii::HEIGHTS)),
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

    /// Records what a booking found of the item in `slot` on the days of `days` (bits):
    /// no room, and so every group all of whose items have none; perhaps only for its
    /// outlet's cap; with room in its offer; reserved. The caller serialises `mark` and
    /// [`KeyedTree::unmark`] and checks what it marks under that lock.
    pub(crate) fn mark(&self, slot: u32, days: u64, mark: Mark) {
        if mark.outlet_only {
            self.outlet_only.set(slot, days);
        }
        if mark.room {
            self.room.set(slot, days);
        } else if self.room.get(0, slot as usize) & days != 0 {
            // A plain load first: an atomic write per booking showed in the profile.
            self.room.clear(slot, days);
        }
        if mark.reserved {
            self.reserved.set(slot, days);
        }
        if mark.full {
            self.full.set(slot, days);
        }
    }

    /// Records that the item in `slot` may have room again on the days of `days`.
    pub(crate) fn unmark(&self, slot: u32, days: u64) {
        self.outlet_only.clear(slot, days);
        self.room.clear(slot, days);
        self.reserved.clear(slot, days);
        self.full.clear(slot, days);
    }

    /// Forgets every day without room (the days are renumbered).
    pub(crate) fn unmark_all(&mut self) {
        for bits in [
            &mut self.full,
            &mut self.outlet_only,
            &mut self.room,
            &mut self.reserved,
        ] {
            bits.clear_all();
        }
    }

    /// Lanes of `mask` (children `first..` of a group at `height`, or items when
    /// `height` is 0 with `items`) not full on every day of `skip`.
    fn with_room(&self, level: usize, first: usize, mut mask: u32, skip: u64) -> u32 {
        if skip == 0 {
            return mask;
        }
        let Some(full) = self.full.level(level) else {
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
        cutoff: f64,
        per_chord: f64,
        skip: u64,
        visit: impl FnMut(u32, u32, f64, f64) -> f64,
    ) {
        self.best_first_after(
            scratch, q, max_chord, widen, cutoff, per_chord, skip, None, visit,
        );
    }

    /// [`KeyedTree::best_first`]; with a `carry` token, starting from what a search
    /// through `scratch` with the same token, query and limits left when it found nothing
    /// ([`Carry`]) instead of the root: for a ticket's later days when an earlier day had
    /// no room. Without such a search it starts from the root. A token names one ticket's
    /// searches. Carried bounds use the keys read by the token's first search: a key lowered
    /// since (another thread's `complete`) may go unseen, as if lowered after the ticket.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn best_first_after(
        &self,
        scratch: &mut Scratch,
        q: &[f64; 3],
        max_chord: f64,
        widen: Option<f64>,
        mut cutoff: f64,
        per_chord: f64,
        skip: u64,
        carry: Option<u64>,
        mut visit: impl FnMut(u32, u32, f64, f64) -> f64,
    ) {
        let Scratch {
            frontier: heap,
            carries,
        } = scratch;
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
        let key = carry.map(|token| CarryKey {
            token,
            tree: std::ptr::from_ref(self) as usize,
            q: qf.map(f32::to_bits),
            max_chord: filter.max_chord.to_bits(),
            reach_per_chord: filter.reach_per_chord.to_bits(),
            per_chord: filter.per_chord.to_bits(),
        });
        // This key's carry, else one not of this token (free or another ticket's), else
        // the second.
        let at = carries
            .iter()
            .position(|c| key.is_some() && c.of == key)
            .or_else(|| {
                carries
                    .iter()
                    .position(|c| c.of.is_none_or(|k| Some(k.token) != carry))
            })
            .unwrap_or(1);
        let carry = &mut carries[at];
        // Kept only while nothing is pruned (an infinite cutoff): see `Carry`.
        let mut keep = key.is_some() && cutoff == f64::INFINITY;
        if key.is_some() && carry.of == key {
            // Groups full on every day of `skip` stay skipped, as their parent would, and
            // stay carried.
            carry.entries.retain(|&entry| {
                let (height, group) = group_of(entry);
                let full = skip != 0 && self.full.get(height + 1, group) & skip == skip;
                if !full {
                    heap.push(entry);
                }
                full
            });
            if !keep {
                carry.of = None;
            }
        } else {
            heap.push(heap_entry(0.0, (self.levels.len() as u32) << LEVEL_SHIFT));
            if keep {
                carry.entries.clear();
                carry.of = key;
            }
        }
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
                let before = mask;
                let mut mask = self.with_room(0, first, mask, skip);
                if before != 0 && keep {
                    // Its items passing the lane tests are full or visited: a later day
                    // reopens the leaf.
                    carry.entries.push(entry);
                }
                probe::search(probe::LEAVES, 1);
                probe::search(
                    probe::ITEM_LANES_FILTERED,
                    u64::from((valid & !before).count_ones()),
                );
                probe::search(
                    probe::ITEM_LANES_MARKED,
                    u64::from((before & !mask).count_ones()),
                );
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
                    probe::search(probe::ITEMS, 1);
                    cutoff = visit(slot, leaf.data[l], chord, key);
                }
                if keep && cutoff != f64::INFINITY {
                    keep = false;
                    carry.of = None;
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
            let before = mask;
            let mut mask = self.with_room(height, first, mask, skip);
            probe::search(probe::NODES, 1);
            probe::search(
                probe::NODE_LANES_FILTERED,
                u64::from((valid & !before).count_ones()),
            );
            probe::search(
                probe::NODE_LANES_MARKED,
                u64::from((before & !mask).count_ones()),
            );
            // The heap entry of the child in lane `l`.
            let below = ((height - 1) as u32) << LEVEL_SHIFT;
            let child = |l: usize| heap_entry(lb[l], below | (first + l) as u32);
            if keep {
                let mut full = before & !mask;
                while full != 0 {
                    let l = full.trailing_zeros() as usize;
                    full &= full - 1;
                    carry.entries.push(child(l));
                }
            }
            while mask != 0 {
                let l = mask.trailing_zeros() as usize;
                mask &= mask - 1;
                heap.push(child(l));
            }
        }
        heap.clear();
    }
}

#[cfg(test)]
mod tests;
