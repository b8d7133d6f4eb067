//! Each group's items sorted by service radius, so that a diagnosis counts a group whose
//! distance range straddles its items' radii (some outside their area, the others
//! inside it) without opening its leaves: items whose radius is below the group's
//! nearest distance are outside, those whose radius is beyond its farthest inside, and
//! only the items in between are tested, 8 at a time in f32 lanes ([`Block`]; an item
//! too near a limit to tell in f32 goes to the exact f64 test).

use super::{CHORD_SLACK, FANOUT};
use crate::geo::km_to_chord;

/// Group heights kept (0, 1, 2: groups of 8, 64, 512 items); a straddling group higher up
/// is opened. Per unassignable ticket on the peak network (`peak_dispatch --counts`,
/// debug), groups counted at heights 0 / 1 / 2 / 3 and above: 14.8 / 2.7 / 0.2 / 0.0 at
/// 10k outlets, 77.5 / 25.7 / 2.4 / 0.0 at 100k; each height costs 20 bytes per item
/// (16 before the radius chords were kept again with the positions, issue 21 session 17;
/// heights 3 and 4 were ~18 MB at 100k outlets).
pub(super) const HEIGHTS: usize = 3;

/// Relative margin covering the f32 rounding of a radius chord (2^-24) and of the chords
/// compared with it: a test with it never disagrees with the exact area rule.
pub(super) const MARGIN: f64 = 1e-6;

/// Per group height (0: leaves; at most [`HEIGHTS`]), every item's radius chord and
/// position in f32, each group's items sorted by radius (the group at height `h` with
/// number `g` holds the items of slots `g * 8^(h+1)..`, in its own order). Items whose
/// area is not a radius sort last with an infinite chord (groups holding any are not
/// counted this way).
///
/// The chords are an array of their own: a group's 8-512 chords are read in one pass
/// (2-32 cache lines in a row) to count those below and beyond its distances. A binary
/// search over (position, chord) records touched a new cache line at each probe, and
/// those misses were about a third of a diagnosis at 100k outlets (`perf`, issue 21
/// session 15). The positions are blocks of [`LANES`] items, axis by axis, so that the
/// chords from a query to a block's items are one f32 vector operation per step.
pub(super) struct ByRadius {
    chords: Vec<Vec<f32>>,
    blocks: Vec<Vec<Block>>,
}

/// Items in a group at `height` (0: leaves), `FANOUT^(height + 1)`, by a shift (`pow`
/// with an exponent known only at run time is a loop of multiplications).
pub(super) fn span(height: usize) -> usize {
    const _: () = assert!(FANOUT.is_power_of_two());
    FANOUT << (FANOUT.trailing_zeros() as usize * height)
}

/// Items per [`Block`] (a group of 8 is one block, of 64 eight).
const LANES: usize = 8;

/// The positions of [`LANES`] items, one array per axis, and their radius chords (again:
/// read with the positions, in one 128-byte record of two cache lines). Unused lanes
/// have an infinite radius.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Block {
    xyz: [[f32; LANES]; 3],
    radius: [f32; LANES],
}

impl Block {
    /// The f32 chords from `q` to each lane (within [`LANE_ERROR`] of the f64 chord from
    /// the f64 query to the same f32 position).
    #[inline(always)]
    fn chords(&self, q: &[f32; 3]) -> F8 {
        let mut d2 = F8::splat(0.0);
        for (axis, &qa) in self.xyz.iter().zip(q) {
            let d = F8::new(axis).sub(F8::splat(qa));
            d2 = d2.add(d.mul(d));
        }
        d2.sqrt()
    }

    /// The position of lane `l`.
    fn at(&self, l: usize) -> [f32; 3] {
        [self.xyz[0][l], self.xyz[1][l], self.xyz[2][l]]
    }
}

/// [`LANES`] f32 values, as two SSE vectors on x86-64 (one instruction per operation
/// on four lanes; LLVM does not vectorise comparisons into lane masks by itself), else
/// an array.
#[derive(Clone, Copy)]
struct F8(
    #[cfg(all(target_arch = "x86_64", target_feature = "sse"))] [safe_arch::m128; 2],
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse")))] [f32; LANES],
);

#[cfg(all(target_arch = "x86_64", target_feature = "sse"))]
impl F8 {
    #[inline(always)]
    fn new(v: &[f32; LANES]) -> Self {
        use safe_arch::m128;
        F8([
            m128::from_array([v[0], v[1], v[2], v[3]]),
            m128::from_array([v[4], v[5], v[6], v[7]]),
        ])
    }

    #[inline(always)]
    fn splat(x: f32) -> Self {
        F8([safe_arch::set_splat_m128(x); 2])
    }

    #[inline(always)]
    fn zip(self, o: Self, f: impl Fn(safe_arch::m128, safe_arch::m128) -> safe_arch::m128) -> Self {
        F8([f(self.0[0], o.0[0]), f(self.0[1], o.0[1])])
    }

    #[inline(always)]
    fn add(self, o: Self) -> Self {
        self.zip(o, safe_arch::add_m128)
    }

    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        self.zip(o, safe_arch::sub_m128)
    }

    #[inline(always)]
    fn mul(self, o: Self) -> Self {
        self.zip(o, safe_arch::mul_m128)
    }

    #[inline(always)]
    fn sqrt(self) -> Self {
        F8([
            safe_arch::sqrt_m128(self.0[0]),
            safe_arch::sqrt_m128(self.0[1]),
        ])
    }

    /// All bits set in the lanes where `self > o`, else none.
    #[inline(always)]
    fn gt_lanes(self, o: Self) -> Self {
        self.zip(o, safe_arch::cmp_gt_mask_m128)
    }

    /// All bits set in the lanes where `self >= o`, else none.
    #[inline(always)]
    fn ge_lanes(self, o: Self) -> Self {
        self.zip(o, safe_arch::cmp_ge_mask_m128)
    }

    /// Lanewise `self | o` of lanes of [`F8::gt_lanes`].
    #[inline(always)]
    fn or(self, o: Self) -> Self {
        self.zip(o, safe_arch::bitor_m128)
    }

    /// Lanewise `self & o` of lanes of [`F8::gt_lanes`].
    #[inline(always)]
    fn and(self, o: Self) -> Self {
        self.zip(o, safe_arch::bitand_m128)
    }

    /// The mask (one bit per lane) of lanes of [`F8::gt_lanes`].
    #[inline(always)]
    fn mask(self) -> u64 {
        (safe_arch::move_mask_m128(self.0[0]) | safe_arch::move_mask_m128(self.0[1]) << 4) as u64
    }

    /// The mask of the lanes where `self > o`.
    #[inline(always)]
    fn gt(self, o: Self) -> u64 {
        self.gt_lanes(o).mask()
    }
}

#[cfg(not(all(target_arch = "x86_64", target_feature = "sse")))]
impl F8 {
    fn new(v: &[f32; LANES]) -> Self {
        F8(*v)
    }

    fn splat(x: f32) -> Self {
        F8([x; LANES])
    }

    fn zip(self, o: Self, f: impl Fn(f32, f32) -> f32) -> Self {
        F8(std::array::from_fn(|l| f(self.0[l], o.0[l])))
    }

    fn add(self, o: Self) -> Self {
        self.zip(o, |a, b| a + b)
    }

    fn sub(self, o: Self) -> Self {
        self.zip(o, |a, b| a - b)
    }

    fn mul(self, o: Self) -> Self {
        self.zip(o, |a, b| a * b)
    }

    fn sqrt(self) -> Self {
        F8(self.0.map(f32::sqrt))
    }

    /// Lanes of a negative value (all bits set) where `self > o`, else of 0.
    fn gt_lanes(self, o: Self) -> Self {
        self.zip(o, |a, b| if a > b { -1.0 } else { 0.0 })
    }

    /// Lanes of a negative value (all bits set) where `self >= o`, else of 0.
    fn ge_lanes(self, o: Self) -> Self {
        self.zip(o, |a, b| if a >= b { -1.0 } else { 0.0 })
    }

    /// Lanewise `self | o` of lanes of [`F8::gt_lanes`].
    fn or(self, o: Self) -> Self {
        self.zip(o, |a, b| a.min(b))
    }

    /// Lanewise `self & o` of lanes of [`F8::gt_lanes`].
    fn and(self, o: Self) -> Self {
        self.zip(o, |a, b| a.max(b))
    }

    /// The mask (one bit per lane) of lanes of [`F8::gt_lanes`].
    fn mask(self) -> u64 {
        (0..LANES).fold(0, |m, l| m | (u64::from(self.0[l] < 0.0) << l))
    }

    /// The mask of the lanes where `self > o`.
    fn gt(self, o: Self) -> u64 {
        self.gt_lanes(o).mask()
    }
}

/// Bound on the difference between a lane's f32 chord ([`Block::chords`]) and the f64
/// chord [`side`] computes for the same f32 position, on the unit sphere: the query's
/// rounding to f32 (2^-25 per axis), the subtraction's, the squares', the sums' and the
/// square root's (2^-24 each, relative, of chords at most 2) add up to below 5e-7;
/// doubled. f32 lanes decide a comparison only when their chord is farther than this
/// from its limit, and hand the item to the exact f64 test otherwise.
const LANE_ERROR: f64 = 1e-6;

/// Limits a chord is compared with per item: bit `k` of an item inside its radius is set
/// when its chord (as [`side`] computes it) exceeds `at[k]`.
pub(super) const CUTS: usize = 5;

/// How a pass tells whether an item's chord exceeds one of its [`Cuts`].
#[derive(Clone, Copy)]
enum Cut {
    /// The same for every item of the group: the mask of those beyond it (all or none).
    Fixed(u64),
    /// Lane by lane, by the f32 bounds of the band with this number.
    Band(usize),
}

/// The chord limits of a [`ByRadius::each_inside`] pass, exact and as f32 bands: infinite
/// and NaN limits are fixed; the others are compared lane by lane, limits within [`BAND_GAP`] of
/// one another in one band (one pair of compares for them all).
pub(super) struct Cuts {
    /// The limits (`INFINITY`: never exceeded; `NEG_INFINITY`: always).
    at: [f64; CUTS],
    /// Per limit, fixed or its band.
    cut: [Cut; CUTS],
    /// The first `bands` bands: an f32 chord at or below which no limit of the band is
    /// exceeded for sure, and one above which every limit of the band is.
    band: [(f32, f32); CUTS],
    bands: usize,
}

/// A limit within this (chord, ~64 m) of a band joins it: an item between its limits goes
/// to the exact test, and such items are rare (a group spans kilometres).
const BAND_GAP: f64 = 1e-5;

impl Cuts {
    /// Cuts at the chords `at`.
    pub(super) fn new(at: [f64; CUTS]) -> Self {
        let mut cut = [Cut::Fixed(0); CUTS];
        // Per band, its least and largest limit (a limit joins the first band it is near:
        // bands may overlap, which costs compares, not exactness).
        let mut span = [(0.0, 0.0); CUTS];
        let mut bands = 0;
        for (k, &c) in at.iter().enumerate() {
            if c == f64::NEG_INFINITY {
                cut[k] = Cut::Fixed(u64::MAX);
            } else if c.is_nan() || c == f64::INFINITY {
                // (`d > NaN` is false, as for a limit never exceeded.)
                cut[k] = Cut::Fixed(0);
            } else {
                let b = span[..bands]
                    .iter()
                    .position(|&(lo, hi)| c >= lo - BAND_GAP && c <= hi + BAND_GAP)
                    .unwrap_or(bands);
                if let Some((lo, hi)) = span.get_mut(b) {
                    if b == bands {
                        (*lo, *hi) = (c, c);
                        bands += 1;
                    } else {
                        (*lo, *hi) = (lo.min(c), hi.max(c));
                    }
                }
                cut[k] = Cut::Band(b);
            }
        }
        let mut band = [(0.0, 0.0); CUTS];
        for (b, &(lo, hi)) in band.iter_mut().zip(&span[..bands]) {
            *b = (
                round_down(lo - LANE_ERROR),
                super::round_up(hi + LANE_ERROR),
            );
        }
        Cuts {
            at,
            cut,
            band,
            bands,
        }
    }

    /// Per limit, whether an item at the f64 chord `d` exceeds it (as lane 0).
    fn beyond(&self, d: f64) -> [u64; CUTS] {
        self.at.map(|c| u64::from(d > c))
    }

    /// Per limit, the mask of the lanes beyond it, given the masks of the lanes above
    /// each band.
    fn masks(&self, above: &[u64; CUTS]) -> [u64; CUTS] {
        self.cut.map(|c| match c {
            Cut::Fixed(mask) => mask,
            Cut::Band(b) => above.get(b).copied().unwrap_or(0),
        })
    }
}

/// Cuts never exceeded.
const NO_CUTS: Cuts = Cuts {
    at: [f64::INFINITY; CUTS],
    cut: [Cut::Fixed(0); CUTS],
    band: [(0.0, 0.0); CUTS],
    bands: 0,
};

/// Rounds down to f32, negative values and infinities included.
fn round_down(x: f64) -> f32 {
    -super::round_up(-x)
}

/// What [`ByRadius::outside`] found of a group.
pub(super) enum Straddle {
    /// This many items lie outside their radius, the others inside it.
    Outside(usize),
    /// Some item lies too near its radius to tell from f32 records, or more than the
    /// caller's limit of items would have to be tested: open the group.
    Open,
}

/// f32 factors of a radius chord and terms beyond which a lane's chord is outside the
/// radius for sure (`d > r * OUT_SCALE + SLACK_ADD`) and within which it is inside for sure
/// (`d <= r * IN_SCALE - SLACK_ADD`), [`side`]'s tests with [`LANE_ERROR`] and a relative
/// 1e-6 more than the f32 rounding of the product and the sum (2^-24 each).
const OUT_SCALE: f32 = ((1.0 + MARGIN) * (1.0 + 1e-6)) as f32;
const IN_SCALE: f32 = ((1.0 - MARGIN) * (1.0 - 1e-6)) as f32;
const SLACK_ADD: f32 = ((CHORD_SLACK as f64 + LANE_ERROR) * (1.0 + 1e-6)) as f32;

impl ByRadius {
    /// From the items in slot order (unit vector, radius in km or `None`) for `heights`
    /// group heights.
    pub(super) fn new(items: &[([f64; 3], Option<f64>)], heights: usize) -> Self {
        let chord = |radius: &Option<f64>| {
            radius.map_or(f32::INFINITY, |km| km_to_chord(km.max(0.0)) as f32)
        };
        // One chord (a sine) per item, not two per comparison at every height.
        let item_chords: Vec<f32> = items.iter().map(|i| chord(&i.1)).collect();
        let (chords, blocks) = (0..heights)
            .map(|h| {
                let span = span(h);
                let mut order: Vec<usize> = (0..items.len()).collect();
                for group in order.chunks_mut(span) {
                    // Stable: equal radii keep slot order (deterministic).
                    group.sort_by(|&a, &b| item_chords[a].total_cmp(&item_chords[b]));
                }
                let chords = order.iter().map(|&i| item_chords[i]).collect();
                let blocks = order
                    .chunks(LANES)
                    .map(|run| {
                        let mut block = Block {
                            xyz: [[0.0; LANES]; 3],
                            radius: [f32::INFINITY; LANES],
                        };
                        for (l, &i) in run.iter().enumerate() {
                            for a in 0..3 {
                                block.xyz[a][l] = items[i].0[a] as f32;
                            }
                            block.radius[l] = item_chords[i];
                        }
                        block
                    })
                    .collect();
                (chords, blocks)
            })
            .unzip();
        ByRadius { chords, blocks }
    }

    /// Starts loading the first radius chords and positions of each group in `groups` at
    /// `height`.
    pub(super) fn prefetch(&self, height: usize, groups: std::ops::Range<usize>) {
        let span = span(height);
        if let (Some(chords), Some(blocks)) = (self.chords.get(height), self.blocks.get(height)) {
            for g in groups {
                if let Some(c) = chords.get(g * span) {
                    super::prefetch(c);
                }
                if let Some(b) = blocks.get(g * span / LANES) {
                    super::prefetch(b);
                }
            }
        }
    }

    /// Bytes held.
    #[cfg(test)]
    pub(super) fn bytes(&self) -> usize {
        let chords: usize = self.chords.iter().map(|h| h.len() * 4).sum();
        let blocks: usize = self
            .blocks
            .iter()
            .map(|h| h.len() * std::mem::size_of::<Block>())
            .sum();
        chords + blocks
    }

    /// The radius chords and position blocks of group `g` at `height`.
    fn group(&self, height: usize, g: usize) -> Option<(&[f32], &[Block])> {
        let span = span(height);
        let chords = self.chords.get(height)?;
        let blocks = self.blocks.get(height)?;
        let start = g * span;
        let end = (start + span).min(chords.len());
        let chords = chords.get(start..end)?;
        let blocks = blocks.get(start / LANES..end.div_ceil(LANES))?;
        Some((chords, blocks))
    }

    /// How many items of group `g` at `height`, all with radius areas, lie outside their
    /// radius from `q`, given a lower bound `near` and an upper bound `far` of the chord
    /// from `q` to every item of the group; [`Straddle::Open`] if an item is too near its
    /// radius to tell, or more than `most` lie between `near` and `far` in radius.
    pub(super) fn outside(
        &self,
        height: usize,
        g: usize,
        q: &[f64; 3],
        near: f64,
        far: f64,
        most: usize,
    ) -> Straddle {
        let Some((chords, blocks)) = self.group(height, g) else {
            return Straddle::Open;
        };
        // Radius chord below the nearest distance: outside; at or beyond the farthest:
        // inside (the margins keep both on the safe side of the rounding). Each test holds
        // for the chords below an f32 threshold (the chords are sorted, so for a prefix):
        // counted by one f32 compare per chord, branch-free.
        let short = threshold(
            |c| f64::from(c) * (1.0 - MARGIN) < far,
            far / (1.0 - MARGIN),
        );
        // (`to < from` only for `far < near`, which no caller passes: then nothing lies
        // between.)
        let from = below(chords, near);
        let to = count(chords, short).max(from);
        if to - from > most {
            return Straddle::Open;
        }
        match lanes(blocks, from..to, q, &NO_CUTS, |_, _| true) {
            Some(outside) => Straddle::Outside(from + outside),
            None => Straddle::Open,
        }
    }

    /// Item by item, group `g` at `height` (all with radius areas), `near` a lower bound
    /// of the chord from `q` to every item: how many lie outside their radius, after
    /// `inside(lanes, beyond)` was called for the others, a few at a time (`lanes` a mask
    /// of them, `beyond[k]` the mask of those whose chord from `q`, within
    /// [`CHORD_SLACK`] of the exact one, exceeds the `k`-th of the `cuts`). `None` if an
    /// item is too near its radius to tell, or as soon as `inside` returns false (stop).
    pub(super) fn each_inside(
        &self,
        height: usize,
        g: usize,
        q: &[f64; 3],
        near: f64,
        cuts: &Cuts,
        inside: impl FnMut(u64, &[u64; CUTS]) -> bool,
    ) -> Option<usize> {
        let (chords, blocks) = self.group(height, g)?;
        let from = below(chords, near);
        let outside = lanes(blocks, from..chords.len(), q, cuts, inside)?;
        Some(from + outside)
    }
}

/// Items per pass of [`lanes`] (one bit each in a `u64`).
const CHUNK: usize = 64;

/// The items of `range` of a group (its position and radius `blocks`): how many
/// lie outside their radius from `q`, after `inside` was called for the others as
/// [`ByRadius::each_inside`] says. Eight items at a time in f32 (each comparison a mask
/// of lanes), up to [`CHUNK`] per call of `inside`; an item whose f32 chord is within
/// [`LANE_ERROR`] of its radius or in a band of cuts is tested again exactly, in f64.
/// `None` if an item is too near its radius to tell, or when `inside` says stop.
///
/// A lane is decided in f32 only by tests that hold (inside for sure, below or above a
/// band for sure): a NaN chord fails them all and goes to the exact test, which tells
/// nothing of it.
fn lanes(
    blocks: &[Block],
    range: std::ops::Range<usize>,
    q: &[f64; 3],
    cuts: &Cuts,
    mut inside: impl FnMut(u64, &[u64; CUTS]) -> bool,
) -> Option<usize> {
    let qf = q.map(|v| v as f32);
    let bands = cuts.band.get(..cuts.bands).unwrap_or(&[]);
    let (out_scale, in_scale) = (F8::splat(OUT_SCALE), F8::splat(IN_SCALE));
    let slack = F8::splat(SLACK_ADD);
    let mut outside = 0;
    let mut start = range.start / CHUNK * CHUNK;
    while start < range.end {
        let end = (start + CHUNK).min(range.end);
        // Lanes of the chunk in `range`.
        let from = range.start.max(start) - start;
        let active = (u64::MAX >> (CHUNK - (end - start))) & (u64::MAX << from);
        // Outside their radius, and decided in f32 (inside it, below or above each band).
        let (mut out, mut sure) = (0u64, 0u64);
        let mut above = [0u64; CUTS];
        // The blocks holding lanes of `range` (none before its first).
        let first = (start + from) / LANES;
        for (b, block) in (first..).zip(blocks.get(first..end.div_ceil(LANES))?) {
            let shift = b * LANES - start;
            let d = block.chords(&qf);
            let radius = F8::new(&block.radius);
            out |= d.gt(radius.mul(out_scale).add(slack)) << shift;
            let mut told = radius.mul(in_scale).sub(slack).ge_lanes(d);
            for (&(lo, hi), above) in bands.iter().zip(&mut above) {
                let over = d.gt_lanes(F8::splat(hi));
                *above |= over.mask() << shift;
                told = told.and(F8::splat(lo).ge_lanes(d).or(over));
            }
            sure |= told.mask() << shift;
        }
        let out = out & active;
        if out != 0 {
            outside += out.count_ones() as usize;
        }
        if !inside(active & !out & sure, &cuts.masks(&above)) {
            return None;
        }
        let mut rest = active & !out & !sure;
        while rest != 0 {
            let l = rest.trailing_zeros() as usize;
            rest &= rest - 1;
            let (b, lane) = ((start + l) / LANES, (start + l) % LANES);
            let block = blocks.get(b)?;
            match side(q, &block.at(lane), block.radius[lane]) {
                Side::Outside => outside += 1,
                Side::Inside(d) if inside(1, &cuts.beyond(d)) => {}
                Side::Inside(_) | Side::Unsure => return None,
            }
        }
        start += CHUNK;
    }
    Some(outside)
}

/// How many of the `chords` are below `limit` (one f32 compare each, branch-free).
fn count(chords: &[f32], limit: f32) -> usize {
    chords.iter().map(|&c| u32::from(c < limit)).sum::<u32>() as usize
}

/// How many of the sorted radius `chords` are below the lower bound `near` of their
/// items' chords from the query, margin included: those items lie outside their radius.
fn below(chords: &[f32], near: f64) -> usize {
    let limit = threshold(
        |c| f64::from(c) * (1.0 + MARGIN) < near,
        near / (1.0 + MARGIN),
    );
    count(chords, limit)
}

/// Where an item at `p` (f32) with radius chord `radius` lies from `q`.
enum Side {
    /// Outside its radius.
    Outside,
    /// Inside it, at the chord given (within [`CHORD_SLACK`] of the exact one).
    Inside(f64),
    /// Too near its radius to tell from f32 records.
    Unsure,
}

fn side(q: &[f64; 3], p: &[f32; 3], radius: f32) -> Side {
    let d2: f64 = (0..3).map(|a| (q[a] - f64::from(p[a])).powi(2)).sum();
    let d = d2.sqrt();
    let slack = f64::from(CHORD_SLACK);
    let radius = f64::from(radius);
    // Positive tests: a NaN chord is neither.
    if d - slack > radius * (1.0 + MARGIN) {
        Side::Outside
    } else if d + slack <= radius * (1.0 - MARGIN) {
        Side::Inside(d)
    } else {
        Side::Unsure
    }
}

/// The least f32 `x >= 0` for which `holds(x)` is false, `holds` being true on a prefix
/// of the non-negative f32 values (so `c < x` iff `holds(c)`, for every `c >= 0`),
/// stepped to from `guess` (within an ulp or two of it); `INFINITY` if `holds` is true
/// for every finite value.
pub(super) fn threshold(holds: impl Fn(f32) -> bool, guess: f64) -> f32 {
    // Non-negative finite f32 values are ordered as their bits.
    let up = |x: f32| f32::from_bits(x.to_bits() + 1);
    let down = |x: f32| f32::from_bits(x.to_bits() - 1);
    let mut x = if guess > 0.0 {
        (guess as f32).min(f32::MAX)
    } else {
        0.0
    };
    if holds(x) {
        while x < f32::MAX && holds(x) {
            x = up(x);
        }
        if holds(x) {
            return f32::INFINITY;
        }
    } else {
        while x > 0.0 && !holds(down(x)) {
            x = down(x);
        }
    }
    x
}
