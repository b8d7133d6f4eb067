//! Each group's items sorted by service radius, so that a diagnosis counts a group whose
//! distance range straddles its items' radii (some outside their area, the others
//! inside it) without opening its leaves: items whose radius is below the group's
//! nearest distance are outside, those whose radius is beyond its farthest inside, and
//! only the items in between are tested, one after the other in one array.

use super::{CHORD_SLACK, FANOUT};
use crate::geo::km_to_chord;

/// Group heights kept (0, 1, 2: groups of 8, 64, 512 items); a straddling group higher up
/// is opened. Per unassignable ticket on the peak network (`peak_dispatch --counts`,
/// debug), groups counted at heights 0 / 1 / 2 / 3 and above: 14.8 / 2.7 / 0.2 / 0.0 at
/// 10k outlets, 77.5 / 25.7 / 2.4 / 0.0 at 100k; each height costs 16 bytes per item
/// (heights 3 and 4 were ~18 MB at 100k outlets).
pub(super) const HEIGHTS: usize = 3;

/// Relative margin covering the f32 rounding of a radius chord (2^-24) and of the chords
/// compared with it: a test with it never disagrees with the exact area rule.
const MARGIN: f64 = 1e-6;

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
/// session 15).
pub(super) struct ByRadius {
    chords: Vec<Vec<f32>>,
    xyz: Vec<Vec<[f32; 3]>>,
}

/// What [`ByRadius::outside`] found of a group.
pub(super) enum Straddle {
    /// This many items lie outside their radius, the others inside it.
    Outside(usize),
    /// Some item lies too near its radius to tell from f32 records, or more than the
    /// caller's limit of items would have to be tested: open the group.
    Open,
}

impl ByRadius {
    /// From the items in slot order (unit vector, radius in km or `None`) for `heights`
    /// group heights.
    pub(super) fn new(items: &[([f64; 3], Option<f64>)], heights: usize) -> Self {
        let chord = |radius: &Option<f64>| {
            radius.map_or(f32::INFINITY, |km| km_to_chord(km.max(0.0)) as f32)
        };
        // One chord (a sine) per item, not two per comparison at every height.
        let item_chords: Vec<f32> = items.iter().map(|i| chord(&i.1)).collect();
        let (chords, xyz) = (0..heights)
            .map(|h| {
                let span = FANOUT.pow(h as u32 + 1);
                let mut order: Vec<usize> = (0..items.len()).collect();
                for group in order.chunks_mut(span) {
                    // Stable: equal radii keep slot order (deterministic).
                    group.sort_by(|&a, &b| item_chords[a].total_cmp(&item_chords[b]));
                }
                let chords = order.iter().map(|&i| item_chords[i]).collect();
                let xyz = order
                    .iter()
                    .map(|&i| items[i].0.map(|v| v as f32))
                    .collect();
                (chords, xyz)
            })
            .unzip();
        ByRadius { chords, xyz }
    }

    /// Starts loading the first radius chords and positions of each group in `groups` at
    /// `height`.
    pub(super) fn prefetch(&self, height: usize, groups: std::ops::Range<usize>) {
        let span = FANOUT.pow(height as u32 + 1);
        if let (Some(chords), Some(xyz)) = (self.chords.get(height), self.xyz.get(height)) {
            for g in groups {
                if let Some(c) = chords.get(g * span) {
                    super::prefetch(c);
                }
                if let Some(p) = xyz.get(g * span) {
                    super::prefetch(p);
                }
            }
        }
    }

    /// Bytes held.
    #[cfg(test)]
    pub(super) fn bytes(&self) -> usize {
        let chords: usize = self.chords.iter().map(|h| h.len() * 4).sum();
        let xyz: usize = self.xyz.iter().map(|h| h.len() * 12).sum();
        chords + xyz
    }

    /// The radius chords and positions of group `g` at `height`.
    fn group(&self, height: usize, g: usize) -> Option<(&[f32], &[[f32; 3]])> {
        let span = FANOUT.pow(height as u32 + 1);
        let range = g * span..(g + 1) * span;
        let chords = self.chords.get(height)?;
        let xyz = self.xyz.get(height)?;
        let end = range.end.min(chords.len());
        Some((chords.get(range.start..end)?, xyz.get(range.start..end)?))
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
        let Some((chords, xyz)) = self.group(height, g) else {
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
        let mut outside = from;
        for (p, &c) in xyz[from..to].iter().zip(&chords[from..to]) {
            match side(q, p, c) {
                Side::Outside => outside += 1,
                Side::Inside(_) => {}
                Side::Unsure => return Straddle::Open,
            }
        }
        Straddle::Outside(outside)
    }

    /// Item by item, group `g` at `height` (all with radius areas), `near` a lower bound
    /// of the chord from `q` to every item: how many lie outside their radius, after
    /// `inside(lo, hi)` was called for each of the others with bounds of its chord from
    /// `q`. `None` (stop) if an item is too near its radius to tell or `inside` returns
    /// false.
    pub(super) fn each_inside(
        &self,
        height: usize,
        g: usize,
        q: &[f64; 3],
        near: f64,
        mut inside: impl FnMut(f64, f64) -> bool,
    ) -> Option<usize> {
        let (chords, xyz) = self.group(height, g)?;
        let from = below(chords, near);
        let slack = f64::from(CHORD_SLACK);
        let mut outside = from;
        for (p, &c) in xyz[from..].iter().zip(&chords[from..]) {
            match side(q, p, c) {
                Side::Outside => outside += 1,
                Side::Inside(d) if inside(d - slack, d + slack) => {}
                _ => return None,
            }
        }
        Some(outside)
    }
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
    if d - slack > radius * (1.0 + MARGIN) {
        Side::Outside
    } else if d + slack > radius * (1.0 - MARGIN) {
        Side::Unsure
    } else {
        Side::Inside(d)
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
