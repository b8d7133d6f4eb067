//! One walk for several searches: the items that any of several reaches admits, so that
//! searches over the same tree near the same point (a ticket's fallbacks) share it.

use super::{group_of, heap_entry, lanes, round_down, round_up, Filter, KeyedTree, Scratch};
use super::{EARTH_RADIUS_KM, FANOUT, LEVEL_SHIFT, SHRINK};

/// The most reaches one walk takes.
pub(crate) const MAX_REACHES: usize = 8;

/// What one search may admit: the limits of [`KeyedTree::best_first`] without a score.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Reach {
    /// Chord length (unit sphere) beyond which no item is admitted.
    pub(crate) max_chord: f64,
    /// Factor on each item's reach (>= 1).
    pub(crate) widen: f64,
    /// Days (bits, as [`KeyedTree::mark`] takes them): items and groups marked full on
    /// every one of them are not admitted (0: none is skipped).
    pub(crate) skip: u64,
}

impl KeyedTree {
    /// Passes each item that some of `reaches` may admit to `visit(slot, data, admits)`,
    /// `admits` holding bit `i` when `reaches[i]` does, nearest group first. A reach admits
    /// what [`KeyedTree::best_first`] with its chord limit, widening and skipped days
    /// would pass with no cutoff (limits apply to lower bounds of chords: `visit` must
    /// re-check them). Stops when `visit` returns false. Nothing is visited with no
    /// reach or more than [`MAX_REACHES`].
    pub(crate) fn walk_any(
        &self,
        scratch: &mut Scratch,
        q: &[f64; 3],
        reaches: &[Reach],
        mut visit: impl FnMut(u32, u32, u32) -> bool,
    ) {
        if self.len == 0
            || self.len >= 1 << LEVEL_SHIFT
            || reaches.is_empty()
            || reaches.len() > MAX_REACHES
        {
            return;
        }
        let qf = q.map(|v| v as f32);
        let filters: [Option<(Filter, u64)>; MAX_REACHES] = std::array::from_fn(|i| {
            reaches.get(i).map(|r| {
                let filter = Filter {
                    per_chord: 0.0,
                    max_chord: round_up(r.max_chord),
                    reach_per_chord: round_down(EARTH_RADIUS_KM / r.widen) * SHRINK,
                };
                (filter, r.skip)
            })
        });
        // Lanes of each reach (bit i of a lane's entry: admitted by reach i).
        let admitted = |level: usize,
                        first: usize,
                        chords: &[f32; FANOUT],
                        reach: &[f32; FANOUT],
                        valid: u32| {
            let mut by_lane = [0u32; FANOUT];
            let mut any = 0u32;
            for (i, (filter, skip)) in filters.iter().flatten().enumerate() {
                let (_, mask) = filter.apply(chords, &[0.0; FANOUT], reach, valid, f32::INFINITY);
                let mut m = self.with_room(level, first, mask, *skip);
                any |= m;
                while m != 0 {
                    let l = m.trailing_zeros() as usize;
                    m &= m - 1;
                    by_lane[l] |= 1 << i;
                }
            }
            (by_lane, any)
        };
        // Nearest group first: a walk that meets an item its caller wants stops early.
        let heap = &mut scratch.frontier;
        heap.clear();
        heap.push(heap_entry(0.0, (self.levels.len() as u32) << LEVEL_SHIFT));
        while let Some(entry) = heap.pop() {
            let (height, group) = group_of(entry);
            let first = group * FANOUT;
            if height == 0 {
                let Some(leaf) = self.leaves.get(group) else {
                    continue;
                };
                let chords = leaf.chords(&qf);
                let valid = lanes(self.len - first);
                let (by_lane, mut any) = admitted(0, first, &chords, &leaf.reach, valid);
                while any != 0 {
                    let l = any.trailing_zeros() as usize;
                    any &= any - 1;
                    if !visit((first + l) as u32, leaf.data[l], by_lane[l]) {
                        heap.clear();
                        return;
                    }
                }
                continue;
            }
            let Some(node) = self.levels.get(height - 1).and_then(|l| l.get(group)) else {
                continue;
            };
            let chords = node.chords(&qf);
            let valid = lanes(self.groups_at(height - 1) - first);
            let (_, mut any) = admitted(height, first, &chords, &node.reach, valid);
            let below = ((height - 1) as u32) << LEVEL_SHIFT;
            while any != 0 {
                let l = any.trailing_zeros() as usize;
                any &= any - 1;
                heap.push(heap_entry(chords[l], below | (first + l) as u32));
            }
        }
        heap.clear();
    }
}
