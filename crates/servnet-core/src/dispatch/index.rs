//! A static packed R-tree over unit vectors whose nodes carry the least score key below
//! them, searched best-first on "distance lower bound + key".
//!
//! Why not `rstar`'s nearest-neighbour iterator: it orders by distance alone, so every
//! outlet closer than the best score minus the skill's least fixed terms is popped from
//! its heap (tens per ticket in a big city). Here a node is skipped as soon as its own
//! least key plus its distance bound loses, and a leaf's items are checked in a flat loop
//! without a heap operation each. Measured with callgrind on the 10k-outlet synthetic
//! network: see BENCHMARKS.md, "Instruction counts".

use crate::geo::EARTH_RADIUS_KM;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicU64, Ordering};

/// Children per node (and items per leaf).
const FANOUT: usize = 8;

/// Stores a non-negative score key as ordered bits: for finite f64 >= +0.0 the bit
/// patterns sort like the numbers, so `fetch_min` on the bits lowers the key.
fn key_bits(key: f64) -> u64 {
    (key.max(0.0) + 0.0).to_bits()
}

fn key_of(bits: &AtomicU64) -> f64 {
    f64::from_bits(bits.load(Ordering::Relaxed))
}

/// Squared Euclidean distance between two points, summed in axis order.
pub(crate) fn dist2(a: &[f64; 3], b: &[f64; 3]) -> f64 {
    let (x, y, z) = (a[0] - b[0], a[1] - b[1], a[2] - b[2]);
    x * x + y * y + z * z
}

/// Slack on f32 chord lengths (unit sphere; ~13 m): covers the f32 rounding of points,
/// boxes and the query, so a lane's chord minus this never exceeds the exact chord.
const CHORD_SLACK: f64 = 2e-6;

/// `FANOUT` boxes side by side in f32 (points have lo == hi; unused lanes are empty and
/// infinitely far), so one pass over fixed-size arrays measures them all (vectorised).
#[derive(Clone, Copy)]
struct Group {
    lo: [[f32; FANOUT]; 3],
    hi: [[f32; FANOUT]; 3],
}

impl Group {
    fn empty() -> Self {
        Group {
            lo: [[f32::INFINITY; FANOUT]; 3],
            hi: [[f32::NEG_INFINITY; FANOUT]; 3],
        }
    }

    fn set(&mut self, lane: usize, lo: &[f64; 3], hi: &[f64; 3]) {
        for a in 0..3 {
            self.lo[a][lane] = lo[a] as f32;
            self.hi[a][lane] = hi[a] as f32;
        }
    }

    /// Chord lengths (f32) from `q` to each box (0 inside).
    fn chords(&self, q: &[f32; 3]) -> [f32; FANOUT] {
        let mut d2 = [0f32; FANOUT];
        for (a, &qa) in q.iter().enumerate() {
            for (l, acc) in d2.iter_mut().enumerate() {
                let d = (self.lo[a][l] - qa).max(qa - self.hi[a][l]).max(0.0);
                *acc += d * d;
            }
        }
        d2.map(f32::sqrt)
    }
}

/// Groups the boxes `lo[i]..hi[i]` by `FANOUT`.
fn groups(lo: &[[f64; 3]], hi: &[[f64; 3]]) -> Vec<Group> {
    lo.chunks(FANOUT)
        .zip(hi.chunks(FANOUT))
        .map(|(l, h)| {
            let mut g = Group::empty();
            for (lane, (l, h)) in l.iter().zip(h).enumerate() {
                g.set(lane, l, h);
            }
            g
        })
        .collect()
}

/// A heap entry: an f32 lower bound rounded down (its bits, which sort like the
/// numbers for values >= 0) above the node's number, so one u64 compare orders them.
fn heap_entry(lb: f64, node: u32) -> u64 {
    let mut f = lb.max(0.0) as f32;
    if f64::from(f) > lb && f > 0.0 {
        f = f32::from_bits(f.to_bits() - 1);
    }
    (u64::from(f.to_bits()) << 32) | u64::from(node)
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
}

/// A reach as f32, rounded up (so it never cuts an item off early).
fn reach_f32(km: f64) -> f32 {
    let f = km as f32;
    if f64::from(f) < km {
        f32::from_bits(f.to_bits() + 1)
    } else {
        f
    }
}

/// Packed R-tree, flatbush-style: items in Hilbert order, `FANOUT` per leaf; each level
/// above groups `FANOUT` nodes of the level below. Immutable except for keys, which may
/// only be lowered (so every stored key stays a valid lower bound).
pub(crate) struct KeyedTree {
    xyz: Vec<[f64; 3]>,
    /// The items' positions, `FANOUT` per group (group j = leaf j).
    points: Vec<Group>,
    data: Vec<u32>,
    keys: Vec<AtomicU64>,
    /// Per item, its reach in km.
    reach: Vec<f32>,
    /// Per level (leaves first): bounding boxes and least keys of its nodes.
    levels: Vec<Level>,
}

/// Heap entries name a node as (level << 28) | index within the level.
const LEVEL_SHIFT: u32 = 28;

struct Level {
    /// Boxes of this level's nodes, `FANOUT` per group (group j = children of the
    /// parent node j).
    boxes: Vec<Group>,
    /// Number of nodes.
    len: usize,
    keys: Vec<AtomicU64>,
    /// Per node, the largest reach below it.
    reach: Vec<f32>,
}

/// Scratch for one search (kept per thread by the caller to avoid an allocation).
#[derive(Default)]
pub(crate) struct Scratch {
    heap: BinaryHeap<Reverse<u64>>,
}

impl KeyedTree {
    /// Builds the tree; returns it with each entry's slot (position) in input order.
    pub(crate) fn new(mut entries: Vec<Entry>) -> (Self, Vec<(u32, u32)>) {
        let code = |e: &Entry| {
            let x = ((e.lon + 180.0) / 360.0 * 65535.0).clamp(0.0, 65535.0) as u32;
            let y = ((e.lat + 90.0) / 180.0 * 65535.0).clamp(0.0, 65535.0) as u32;
            hilbert(x, y)
        };
        entries.sort_by_key(|e| (code(e), e.data));
        let slots = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.data, i as u32))
            .collect();
        let mut levels = Vec::new();
        // Bottom level: boxes of FANOUT items each.
        let mut lo: Vec<[f64; 3]> = Vec::new();
        let mut hi: Vec<[f64; 3]> = Vec::new();
        let mut keys: Vec<f64> = Vec::new();
        let mut reach: Vec<f32> = Vec::new();
        for chunk in entries.chunks(FANOUT) {
            let mut l = [f64::INFINITY; 3];
            let mut h = [f64::NEG_INFINITY; 3];
            for e in chunk {
                for i in 0..3 {
                    l[i] = l[i].min(e.xyz[i]);
                    h[i] = h[i].max(e.xyz[i]);
                }
            }
            lo.push(l);
            hi.push(h);
            keys.push(chunk.iter().map(|e| e.key).fold(f64::INFINITY, f64::min));
            reach.push(chunk.iter().map(|e| reach_f32(e.reach)).fold(0.0, f32::max));
        }
        loop {
            let n = lo.len();
            let (mut nlo, mut nhi, mut nkeys) = (Vec::new(), Vec::new(), Vec::new());
            let mut nreach = Vec::new();
            if n > 1 {
                for c in 0..n.div_ceil(FANOUT) {
                    let r = c * FANOUT..((c + 1) * FANOUT).min(n);
                    let mut l = [f64::INFINITY; 3];
                    let mut h = [f64::NEG_INFINITY; 3];
                    for j in r.clone() {
                        for i in 0..3 {
                            l[i] = l[i].min(lo[j][i]);
                            h[i] = h[i].max(hi[j][i]);
                        }
                    }
                    nlo.push(l);
                    nhi.push(h);
                    nreach.push(reach[r.clone()].iter().copied().fold(0.0, f32::max));
                    nkeys.push(keys[r].iter().copied().fold(f64::INFINITY, f64::min));
                }
            }
            levels.push(Level {
                boxes: groups(&lo, &hi),
                len: n,
                reach: std::mem::take(&mut reach),
                keys: keys
                    .into_iter()
                    .map(|k| AtomicU64::new(key_bits(k)))
                    .collect(),
            });
            if n <= 1 {
                break;
            }
            (lo, hi, keys, reach) = (nlo, nhi, nkeys, nreach);
        }
        let xyz: Vec<[f64; 3]> = entries.iter().map(|e| e.xyz).collect();
        let tree = KeyedTree {
            points: groups(&xyz, &xyz),
            xyz,
            reach: entries.iter().map(|e| reach_f32(e.reach)).collect(),
            data: entries.iter().map(|e| e.data).collect(),
            keys: entries
                .iter()
                .map(|e| AtomicU64::new(key_bits(e.key)))
                .collect(),
            levels,
        };
        (tree, slots)
    }

    /// Number of items.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.data.len()
    }

    /// Lowers the key of the item in `slot` (and of the nodes above it) to `key` if that
    /// is lower; a higher key is ignored, as the stored one is still a lower bound.
    pub(crate) fn lower_key(&self, slot: u32, key: f64) {
        let bits = key_bits(key);
        let mut i = slot as usize;
        if let Some(k) = self.keys.get(i) {
            k.fetch_min(bits, Ordering::Relaxed);
        }
        for level in &self.levels {
            i /= FANOUT;
            if let Some(k) = level.keys.get(i) {
                k.fetch_min(bits, Ordering::Relaxed);
            }
        }
    }

    /// Best-first search from `q`: leaves are opened in order of `bound(chord, least
    /// key)`, with `chord` a lower bound of the chord length (unit sphere) to the leaf's
    /// box; within a leaf, every item with chord `<= max_chord` and `bound(chord, key) <=
    /// cutoff` is passed to `visit(data, exact chord², key)`, which returns the new cutoff.
    /// Stops when the next node's bound passes the cutoff (ties are visited, so the caller
    /// can break them). `bound` must be non-decreasing in both arguments and >= 0.
    /// With `widen`, items (and nodes) farther than their reach x `widen` are skipped.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn best_first(
        &self,
        scratch: &mut Scratch,
        q: &[f64; 3],
        max_chord: f64,
        widen: Option<f64>,
        mut cutoff: f64,
        bound: impl Fn(f64, f64) -> f64,
        mut visit: impl FnMut(u32, f64, f64) -> f64,
    ) {
        let heap = &mut scratch.heap;
        heap.clear();
        let Some(top) = self.levels.len().checked_sub(1) else {
            return;
        };
        // Node numbers must fit below the level bits (the dispatcher rejects larger networks).
        if self.data.is_empty() || self.data.len() >= 1 << LEVEL_SHIFT {
            return;
        }
        let qf = [q[0] as f32, q[1] as f32, q[2] as f32];
        let lower = |c: f32| (f64::from(c) - CHORD_SLACK).max(0.0);
        // Chord km <= great-circle km: beyond reach x widen even by chord, out of reach.
        let out_of_reach = |chord: f64, reach: f32| {
            widen.is_some_and(|w| chord * EARTH_RADIUS_KM > f64::from(reach) * w)
        };
        heap.push(Reverse(heap_entry(0.0, (top as u32) << LEVEL_SHIFT)));
        while let Some(Reverse(entry)) = heap.pop() {
            if f64::from(f32::from_bits((entry >> 32) as u32)) > cutoff {
                break;
            }
            let id = entry as u32;
            let level = (id >> LEVEL_SHIFT) as usize;
            let node = (id & ((1 << LEVEL_SHIFT) - 1)) as usize;
            let first = node * FANOUT;
            if level == 0 {
                let Some(group) = self.points.get(node) else {
                    continue;
                };
                let chords = group.chords(&qf);
                let end = (first + FANOUT).min(self.data.len());
                for (i, &c) in (first..end).zip(&chords) {
                    let c = lower(c);
                    if c > max_chord || out_of_reach(c, self.reach[i]) {
                        continue;
                    }
                    let key = key_of(&self.keys[i]);
                    if bound(c, key) > cutoff {
                        continue;
                    }
                    cutoff = visit(self.data[i], dist2(q, &self.xyz[i]), key);
                }
                continue;
            }
            let below = &self.levels[level - 1];
            let Some(group) = below.boxes.get(node) else {
                continue;
            };
            let chords = group.chords(&qf);
            let end = (first + FANOUT).min(below.len);
            for (c, &chord) in (first..end).zip(&chords) {
                let chord = lower(chord);
                if chord > max_chord || out_of_reach(chord, below.reach[c]) {
                    continue;
                }
                let lb = bound(chord, key_of(&below.keys[c]));
                if lb > cutoff {
                    continue;
                }
                heap.push(Reverse(heap_entry(
                    lb,
                    ((level - 1) as u32) << LEVEL_SHIFT | c as u32,
                )));
            }
        }
        heap.clear();
    }
}

impl KeyedTree {
    /// Splits the items for counting rules: whole nodes beyond `max_chord` from `q` and
    /// beyond the largest reach below them are skipped in bulk (their slot ranges are
    /// added to `bulk`); every other item goes to `item(data, exact chord²)`.
    pub(crate) fn split_far(
        &self,
        q: &[f64; 3],
        max_chord: f64,
        mut item: impl FnMut(u32, f64),
        bulk: &mut Vec<std::ops::Range<usize>>,
    ) {
        let Some(top) = self.levels.len().checked_sub(1) else {
            return;
        };
        let qf = [q[0] as f32, q[1] as f32, q[2] as f32];
        let n = self.data.len();
        // (level, node); the root is the single node of the top level.
        let mut stack = vec![(top, 0usize)];
        while let Some((level, node)) = stack.pop() {
            let first = node * FANOUT;
            if level == 0 {
                for i in first..(first + FANOUT).min(n) {
                    item(self.data[i], dist2(q, &self.xyz[i]));
                }
                continue;
            }
            let below = &self.levels[level - 1];
            let Some(group) = below.boxes.get(node) else {
                continue;
            };
            let chords = group.chords(&qf);
            for (c, &chord) in (first..(first + FANOUT).min(below.len)).zip(&chords) {
                let chord = (f64::from(chord) - CHORD_SLACK).max(0.0);
                let beyond_reach = chord * EARTH_RADIUS_KM > f64::from(below.reach[c]);
                if chord > max_chord && beyond_reach {
                    // Node c of level `level - 1` covers FANOUT^level items.
                    let span = FANOUT.pow(level as u32);
                    bulk.push(c * span..((c + 1) * span).min(n));
                } else {
                    stack.push((level - 1, c));
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
                    reach: f64::INFINITY,
                }
            })
            .collect()
    }

    /// The best item by (bound(d², key), data) found by the search equals a brute-force
    /// minimum, for many queries, sizes and cut-off radii, also after keys are lowered.
    #[test]
    fn best_first_finds_the_brute_force_minimum() {
        let mut scratch = Scratch::default();
        let mut rng = SplitMix64::new(9);
        for n in [0usize, 1, 15, 16, 17, 300, 5000] {
            let es = entries(n, n as u64 + 1);
            let truth: Vec<([f64; 3], f64)> = es.iter().map(|e| (e.xyz, e.key)).collect();
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
                let score = |d2: f64, key: f64| 6371.0 * d2.sqrt() + key;
                let expect = (0..n)
                    .filter(|&i| dist2(&p, &truth[i].0) <= max_d2)
                    .map(|i| (score(dist2(&p, &truth[i].0), keys[i]), i as u32))
                    .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                let mut best: Option<(f64, u32)> = None;
                tree.best_first(
                    &mut scratch,
                    &p,
                    max_chord,
                    None,
                    f64::INFINITY,
                    |chord, key| 6371.0 * chord + key,
                    |i, d2, _| {
                        if d2 > max_d2 {
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
