//! Counting rules in bulk for a diagnosis: the day bits a tree keeps per item and group
//! ([`DayBits`]: full, full only for the outlet's cap, full for the outlet with room in
//! the offer, full for a ticket held out of the reserves), each item's and group's area
//! floor, and [`KeyedTree::split_far`], which hands whole groups to a diagnosis as
//! outside their area, skill full or outlet full when these bits and the distances prove
//! that rule for every outlet below.

use super::probe;
use super::radii::{self, Cuts, Straddle};
use super::{prefetch, KeyedTree, CHORD_SLACK, EARTH_RADIUS_KM, FANOUT};
use crate::geo::km_to_chord;
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};

/// Bits of days per item (`level 0`, by slot) and per group (`level h + 1`, group `g` at
/// height `h`, leaves being height 0), a group's bits summarising the items below it: all
/// of them (`all`) or any of them.
pub(super) struct DayBits {
    levels: Vec<Vec<AtomicU64>>,
    all: bool,
}

impl DayBits {
    /// Zero bits for `shape[l]` entries at each level; `all`: a group's bit is set when
    /// every item below has it (else when any has).
    pub(super) fn new(shape: &[usize], all: bool) -> Self {
        let levels = shape
            .iter()
            .map(|&n| (0..n).map(|_| AtomicU64::new(0)).collect())
            .collect();
        DayBits { levels, all }
    }

    /// The entries of `level`.
    pub(super) fn level(&self, level: usize) -> Option<&[AtomicU64]> {
        self.levels.get(level).map(Vec::as_slice)
    }

    /// The bits of entry `i` at `level` (0 if there is none).
    pub(super) fn get(&self, level: usize, i: usize) -> u64 {
        self.levels
            .get(level)
            .and_then(|l| l.get(i))
            .map_or(0, |b| b.load(Ordering::SeqCst))
    }

    /// The summary of the `FANOUT` entries of group `g` at level `h`.
    fn summary(&self, h: usize, g: usize) -> u64 {
        let below = &self.levels[h];
        let group = &below[g * FANOUT..((g + 1) * FANOUT).min(below.len())];
        if self.all {
            group
                .iter()
                .fold(u64::MAX, |m, b| m & b.load(Ordering::SeqCst))
        } else {
            group.iter().fold(0, |m, b| m | b.load(Ordering::SeqCst))
        }
    }

    /// Sets `days` on the item in `slot` and updates the groups above it. Callers
    /// serialise `set` and [`DayBits::clear`].
    pub(super) fn set(&self, slot: u32, days: u64) {
        let mut i = slot as usize;
        let Some(item) = self.levels.first().and_then(|l| l.get(i)) else {
            return;
        };
        if item.fetch_or(days, Ordering::SeqCst) & days == days {
            return;
        }
        for h in 0..self.levels.len() - 1 {
            let g = i / FANOUT;
            let add = if self.all {
                self.summary(h, g) & days
            } else {
                days
            };
            let Some(group) = self.levels[h + 1].get(g) else {
                return;
            };
            if add & !group.fetch_or(add, Ordering::SeqCst) == 0 {
                return;
            }
            i = g;
        }
    }

    /// Clears `days` on the item in `slot` and updates the groups above it.
    pub(super) fn clear(&self, slot: u32, days: u64) {
        let mut i = slot as usize;
        let Some(item) = self.levels.first().and_then(|l| l.get(i)) else {
            return;
        };
        if item.fetch_and(!days, Ordering::SeqCst) & days == 0 {
            return;
        }
        for h in 0..self.levels.len() - 1 {
            let g = i / FANOUT;
            let Some(group) = self.levels[h + 1].get(g) else {
                return;
            };
            if self.all {
                // A group has a bit only if every item below has it.
                if group.fetch_and(!days, Ordering::SeqCst) & days == 0 {
                    return;
                }
            } else {
                let any = self.summary(h, g);
                if group.swap(any, Ordering::SeqCst) == any {
                    return;
                }
            }
            i = g;
        }
    }

    /// Clears every bit.
    pub(super) fn clear_all(&mut self) {
        for level in &mut self.levels {
            for b in level.iter_mut() {
                *b.get_mut() = 0;
            }
        }
    }
}

/// What a booking found of an item on the days marked (see `full.rs`).
#[derive(Clone, Copy, Default)]
pub(crate) struct Mark {
    /// No room on these days (its offer's capacity or its outlet's cap is reached).
    pub(crate) full: bool,
    /// Full for its outlet's cap while its offer may have room.
    pub(crate) outlet_only: bool,
    /// Full for its outlet's cap while its offer has room for one unit of any ticket
    /// (`used + 1 <=` the least limit a ticket may have).
    pub(crate) room: bool,
    /// Its offer has no room for a ticket held out of every reserve (`used >=` the
    /// least limit).
    pub(crate) reserved: bool,
}

/// The chord of an area floor in km, rounded down to f32 (with a margin for the rounding
/// of the sine); negative and NaN to `NEG_INFINITY` (a floor never admits more).
pub(super) fn floor_chord(km: f64) -> f32 {
    if km >= 0.0 {
        super::round_down(km_to_chord(km) * (1.0 - 1e-12))
    } else {
        f32::NEG_INFINITY
    }
}

/// The chord of a limit in km (negative: `NEG_INFINITY`, nothing is within it). A chord
/// within it is within the limit: the caller's km have a margin for the sine's rounding.
pub(crate) fn limit_chord(km: f64) -> f64 {
    if km >= 0.0 {
        km_to_chord(km)
    } else {
        f64::NEG_INFINITY
    }
}

/// Per item (by slot) and group (as [`DayBits`]), the least area floor below, as a chord
/// rounded down; `items` are the items' floors; `shape` the entries per level.
pub(super) fn floors(items: Vec<f32>, levels: usize) -> Vec<Vec<f32>> {
    let mut floor = vec![items];
    while floor.len() < levels {
        let below = floor.last().map_or(&[][..], |v| &v[..]);
        let up = below
            .chunks(FANOUT)
            .map(|c| c.iter().copied().fold(f32::INFINITY, f32::min))
            .collect();
        floor.push(up);
    }
    floor
}

/// Which groups [`KeyedTree::split_far`] may count in bulk, for one ticket: all of whose
/// items lie within their area floor, and
/// - too far: lie beyond the chord `too_far`;
/// - SLA unreachable: lie within the chord `near` and beyond the chord `sla`;
/// - skill full: are marked full for their offer (not only their outlet) on every day of
///   `days` (with `reserve`, or marked `reserved` on each of them) and lie within the
///   chord `within`;
/// - outlet full (with `outlet`): are marked full on every day of `days`, and on some
///   day `d` among them marked with room in their offer and lie within the chord
///   `day[d]`.
///
/// Every limit is a chord (unit sphere), so that groups are tested without a great-circle
/// distance (an arcsine) each.
#[derive(Clone, Copy)]
pub(crate) struct FullTest {
    /// Chord beyond which every item is too far (`INFINITY`: none).
    pub(crate) too_far: f64,
    /// Chord within which every item passes the travel limit.
    pub(crate) near: f64,
    /// Chord beyond which every item fails the SLA travel limit on every day
    /// (`INFINITY`: none).
    pub(crate) sla: f64,
    /// Day bits (0: no marks to count full outlets by).
    pub(crate) days: u64,
    /// Chord within which some day of `days` passes the travel and SLA limits.
    pub(crate) within: f64,
    /// Per day bit, the chord within which that day passes them (`NEG_INFINITY`: none).
    pub(crate) day: [f64; 64],
    /// Whether the ticket's limit is the least one (marks `reserved` prove it full).
    pub(crate) reserve: bool,
    /// Whether marks with room prove the ticket outlet full (it asks for one unit).
    pub(crate) outlet: bool,
}

/// The day bits of an item or group, as [`FullTest`] reads them (see [`DayBits`]).
#[derive(Clone, Copy)]
struct Marks {
    full: u64,
    outlet_only: u64,
    room: u64,
    reserved: u64,
}

impl FullTest {
    /// What this proves of items inside their area at least the chord `near` and at
    /// most the chord `far` from the query, marked at least as `marks` (read only when
    /// the distances prove nothing alone).
    fn rule(&self, near: f64, far: f64, marks: impl FnOnce() -> Marks) -> u8 {
        if let Some(rule) = self.distance_rule(near, far) {
            return rule;
        }
        if self.days == 0 {
            return NOTHING;
        }
        self.marked_rule(&marks(), far)
    }

    /// What the distances alone prove of items inside their area at least the chord
    /// `near` and at most the chord `far` from the query: too far or SLA unreachable.
    fn distance_rule(&self, near: f64, far: f64) -> Option<u8> {
        match rule_of(
            near > self.too_far,
            near > self.sla,
            far <= self.near,
            false,
            false,
        ) {
            NOTHING => None,
            rule => Some(rule),
        }
    }

    /// What `marks` prove of items within the travel limit (and inside their area) at
    /// most the chord `far` from the query: skill full, outlet full or nothing.
    fn marked_rule(&self, marks: &Marks, far: f64) -> u8 {
        let (skill, outlet) = self.marked_limits(marks);
        rule_of(false, false, false, far <= skill, far <= outlet)
    }

    /// The cuts by which [`rule_lanes`] gives an item's rule as `self.rule(lo, hi, ..)`
    /// does (`lo` and `hi` its chord minus and plus the slack) with the marked limits
    /// `skill` and `outlet`: its chord beyond `too_far` and `sla` plus the slack, and
    /// within `near`, `skill` and `outlet` minus it (`d > too_far + slack` for `d - slack
    /// > too_far`: equal up to an f64 rounding, which the slack absorbs). Cuts that
    /// cannot change a rule are left out (each is a compare per lane): beyond `sla` and
    /// within `near` is empty when `sla >= near`; within `outlet` and not within `skill`
    /// when `outlet <= skill`.
    fn item_cuts(&self, skill: f64, outlet: f64) -> Cuts {
        Cuts::new(self.item_limits(skill, outlet))
    }

    /// The limits of [`FullTest::item_cuts`], `INFINITY` or `NEG_INFINITY` where left out.
    fn item_limits(&self, skill: f64, outlet: f64) -> [f64; radii::CUTS] {
        let slack = f64::from(CHORD_SLACK);
        let [too_far, mut sla, near, skill, mut outlet] = [
            self.too_far + slack,
            self.sla + slack,
            self.near - slack,
            skill - slack,
            outlet - slack,
        ];
        if sla >= near {
            sla = f64::INFINITY;
        }
        if outlet <= skill {
            outlet = f64::NEG_INFINITY;
        }
        [too_far, sla, near, skill, outlet]
    }

    /// The chords within which `marks` prove items within the travel limit (and inside
    /// their area) skill full, and outlet full (`NEG_INFINITY`: nowhere):
    /// - skill full: marked full for their own skill (not only their outlet's cap) on
    ///   every day, or `reserved` on every day with `reserve`; within `within`;
    /// - outlet full: marked full on every day and with room on some day `d`, within
    ///   that day's `day[d]` (so within the largest of these).
    fn marked_limits(&self, marks: &Marks) -> (f64, f64) {
        let full = marks.full & self.days == self.days;
        let skill = if (full && marks.outlet_only & self.days == 0)
            || (self.reserve && marks.reserved & self.days == self.days)
        {
            self.within
        } else {
            f64::NEG_INFINITY
        };
        let mut outlet = f64::NEG_INFINITY;
        if self.outlet && full {
            let mut room = marks.room & self.days;
            while room != 0 {
                let d = room.trailing_zeros() as usize;
                room &= room - 1;
                outlet = outlet.max(self.day[d]);
            }
        }
        (skill, outlet)
    }
}

/// How many items [`KeyedTree::split_far`] counted in bulk, by the rule each fails.
#[derive(Default, Debug, PartialEq)]
pub(crate) struct Split {
    /// Beyond every area reach below them (or an item beyond its own reach), or outside
    /// their radius in a group straddling its items' radii: outside their area.
    pub(crate) outside_area: usize,
    /// Skill full (by the test).
    pub(crate) skill_full: usize,
    /// Outlet full (by the test).
    pub(crate) outlet_full: usize,
    /// Too far (by the test).
    pub(crate) too_far: usize,
    /// SLA unreachable (by the test).
    pub(crate) sla: usize,
    /// Of all the above, the items of groups straddling their radii (counted by radius).
    pub(crate) straddling: usize,
    /// Of all the above, the items of groups counted item by item from their radius
    /// records ([`KeyedTree::split_far`]'s groups that cross a limit).
    pub(crate) by_item: usize,
    /// Special items met in groups counted in bulk (handed to the caller instead).
    pub(crate) special_in_bulk: usize,
}

impl Split {
    /// Adds `n` items failing `rule`: a rule the test proves, or `FAR` (outside area).
    fn add(&mut self, rule: u8, n: usize) {
        match rule {
            SKILL => self.skill_full += n,
            OUTLET => self.outlet_full += n,
            TOO_FAR => self.too_far += n,
            SLA => self.sla += n,
            _ => self.outside_area += n,
        }
    }
}

/// What the test proves of a group: nothing, or the rule of each of its items.
const NOTHING: u8 = 0;
const SKILL: u8 = 1;
const OUTLET: u8 = 2;
const TOO_FAR: u8 = 3;
const SLA: u8 = 4;
/// Outside their area (for [`Split::add`]).
const FAR: u8 = 5;

/// Most items of a group straddling their radii that a diagnosis tests one by one
/// rather than opening the group.
const STRADDLE_TESTS: usize = 256;

/// Group heights (0, 1: 8 and 64 items) whose groups crossing a limit a diagnosis counts
/// item by item rather than opening them. Instructions per unassignable ticket at 10k
/// outlets (callgrind, item lanes in f32, issue 21 session 17): heights 0 and 1 35.9k,
/// height 0 only 46.6k, heights 0-2 47.6k (a group of 512 items is cheaper to open: most
/// of its children are counted whole).
const BY_ITEM_HEIGHTS: usize = 2;

/// Per rule (indexed by its code: `NOTHING`, `SKILL`, `OUTLET`, `TOO_FAR`, `SLA`), the
/// items of the mask `lanes` that fail it as [`FullTest::rule`] proves it, by the masks of
/// those whose chords' lower bound is beyond `too_far` and `sla` (of a [`FullTest`]),
/// whose upper bound is within its `near`, and within the chords where marks prove them
/// skill full and outlet full: the one order of the rules, for groups and for items one
/// by one.
const fn rule_lanes(
    lanes: u64,
    beyond_too_far: u64,
    beyond_sla: u64,
    within_near: u64,
    within_skill: u64,
    within_outlet: u64,
) -> [u64; 5] {
    let too_far = lanes & beyond_too_far;
    let rest = lanes & !too_far;
    let sla = rest & beyond_sla & within_near;
    let rest = rest & !sla;
    let skill = rest & within_skill;
    let rest = rest & !skill;
    let outlet = rest & within_outlet;
    let mut by = [0; 5];
    by[NOTHING as usize] = rest & !outlet;
    by[SKILL as usize] = skill;
    by[OUTLET as usize] = outlet;
    by[TOO_FAR as usize] = too_far;
    by[SLA as usize] = sla;
    by
}

/// The rule (code) of [`rule_lanes`] for one item or group.
fn rule_of(too_far: bool, sla: bool, near: bool, skill: bool, outlet: bool) -> u8 {
    let by = rule_lanes(
        1,
        too_far.into(),
        sla.into(),
        near.into(),
        skill.into(),
        outlet.into(),
    );
    // At most one rule's lane is set: its code, or `NOTHING` (0).
    (by[SKILL as usize] * u64::from(SKILL)
        + by[OUTLET as usize] * u64::from(OUTLET)
        + by[TOO_FAR as usize] * u64::from(TOO_FAR)
        + by[SLA as usize] * u64::from(SLA)) as u8
}

/// The sorted `slots` in `range`.
fn within<'a>(slots: &'a [usize], range: &Range<usize>) -> &'a [usize] {
    let from = slots.partition_point(|&s| s < range.start);
    let to = from + slots[from..].partition_point(|&s| s < range.end);
    &slots[from..to]
}

impl KeyedTree {
    /// The least area floor of the group `g` at `level` (0: items), as a chord.
    fn floor_of(&self, level: usize, g: usize) -> f64 {
        self.floor
            .get(level)
            .and_then(|l| l.get(g))
            .map_or(f64::NEG_INFINITY, |&f| f64::from(f))
    }

    /// What `t` proves of the group `g` at `level` (0: items) whose points are at least
    /// the chord `near` and at most the chord `far` from the query.
    fn bulk_rule(&self, t: &FullTest, level: usize, g: usize, near: f64, far: f64) -> u8 {
        if far > self.floor_of(level, g) {
            return NOTHING;
        }
        self.inside_rule(t, level, g, near, far)
    }

    /// What `t` proves of those items of the group `g` at `level` that lie inside their
    /// area, the group's points being at least the chord `near` and at most the chord
    /// `far` from the query.
    fn inside_rule(&self, t: &FullTest, level: usize, g: usize, near: f64, far: f64) -> u8 {
        t.rule(near, far, || self.marks(level, g))
    }

    /// The day bits of the group `g` at `level` (0: items).
    fn marks(&self, level: usize, g: usize) -> Marks {
        Marks {
            full: self.full.get(level, g),
            outlet_only: self.outlet_only.get(level, g),
            room: self.room.get(level, g),
            reserved: self.reserved.get(level, g),
        }
    }

    /// Counts item by item the group `c` at `height` (all inside or outside their radius
    /// areas, none special, `near` a lower bound of their chords from `q`), whose test as
    /// a group proves nothing (its items at different distances fail different rules, as
    /// in a group crossing the travel limit), when each item's own chord and the group's
    /// marks prove a rule for it: outside its radius, or what `t` proves of an item at
    /// that chord marked as the group (an item has at least its group's marks: `full`,
    /// `room` and `reserved` are kept for a group when all of its items have them, and
    /// `outlet_only` when any has). False (nothing counted) if some item is not proven
    /// (the pass stops at the first few items that are not). `last`: the cuts of the
    /// last group counted so, by its marked limits (most groups of a diagnosis have the
    /// same: made once).
    fn count_by_item(
        &self,
        t: &FullTest,
        (height, c): (usize, usize),
        q: &[f64; 3],
        near: f64,
        last: &mut Option<((f64, f64), Cuts)>,
        out: &mut Split,
    ) -> bool {
        if t.days == 0 {
            return false;
        }
        // Only marks prove a rule for the items near enough to pass the travel limit.
        let (skill, outlet) = t.marked_limits(&self.marks(height, c));
        if skill.max(outlet) < 0.0 {
            return false;
        }
        if !matches!(last, Some((limits, _)) if *limits == (skill, outlet)) {
            *last = Some(((skill, outlet), t.item_cuts(skill, outlet)));
        }
        let Some((_, cuts)) = last.as_ref() else {
            return false;
        };
        let mut by_rule = [0usize; FAR as usize + 1];
        let Some(outside) =
            self.by_radius
                .each_inside(height - 1, c, q, near, cuts, |lanes, beyond| {
                    let [too_far, sla, near, skill, outlet] = *beyond;
                    let rules = rule_lanes(lanes, too_far, sla, !near, !skill, !outlet);
                    if rules[NOTHING as usize] != 0 {
                        return false;
                    }
                    for (n, r) in by_rule.iter_mut().zip(rules) {
                        if r != 0 {
                            *n += r.count_ones() as usize;
                        }
                    }
                    true
                })
        else {
            probe::diag(probe::D_BY_ITEM_OPENED, 1);
            return false;
        };
        probe::diag(probe::D_BY_ITEM_GROUPS, 1);
        out.by_item += outside + by_rule.iter().sum::<usize>();
        out.add(FAR, outside);
        for rule in [SKILL, OUTLET, TOO_FAR, SLA] {
            out.add(rule, by_rule[rule as usize]);
        }
        true
    }

    /// Pushes the group `g` at `height` for [`KeyedTree::split_far`] to open, and starts
    /// loading what opening it reads: its node or leaf, the area reaches, floors and day
    /// bits of its children or items, and the first line of each child's radius chords. A diagnosis opens
    /// tens of groups in a ring around the ticket, each read a cache miss at 100k
    /// outlets; prefetched as they are pushed, the misses overlap.
    fn open(&self, stack: &mut Vec<(usize, usize)>, height: usize, g: usize) {
        let first = g * FANOUT;
        if height == 0 {
            if let Some(leaf) = self.leaves.get(g) {
                leaf.prefetch();
            }
        } else {
            if let Some(node) = self.levels.get(height - 1).and_then(|l| l.get(g)) {
                node.prefetch();
            }
            if let Some(lanes) = self.area_reach.get(height - 1).and_then(|l| l.get(g)) {
                prefetch(lanes);
            }
            self.by_radius.prefetch(height - 1, first..first + FANOUT);
        }
        if let Some(floor) = self.floor.get(height).and_then(|l| l.get(first)) {
            prefetch(floor);
        }
        for bits in [&self.full, &self.outlet_only, &self.room, &self.reserved] {
            if let Some(b) = bits.level(height).and_then(|l| l.get(first)) {
                prefetch(b);
            }
        }
        stack.push((height, g));
    }

    /// Counts the items by rule where whole groups prove one: nodes beyond the largest
    /// area reach below them, and items beyond their own reach (radius or polygons'
    /// reach), as outside their area; with `full`, items and groups its test proves skill
    /// full, outlet full, too far or SLA unreachable as such; and groups whose test
    /// proves a rule for their items inside their radius, and whose items' radii tell
    /// which are, by their radii. Items in the sorted slots `special` are never counted:
    /// they, and every item not counted, go to `item(slot)`. Counts are added to `out`.
    pub(crate) fn split_far(
        &self,
        q: &[f64; 3],
        full: Option<&FullTest>,
        special: &[usize],
        mut item: impl FnMut(u32),
        out: &mut Split,
    ) {
        if self.len == 0 {
            return;
        }
        // Counts a range in bulk but for its special items, which are handed over.
        let bulk = |out: &mut Split, item: &mut dyn FnMut(u32), rule: u8, range: Range<usize>| {
            let alone = within(special, &range);
            for &slot in alone {
                item(slot as u32);
            }
            out.special_in_bulk += alone.len();
            out.add(rule, range.len() - alone.len());
        };
        let qf = q.map(|v| v as f32);
        let mut last_cuts = None;
        // (height, group); the root is the single group at the top. Depth first: at most
        // FANOUT - 1 groups wait per height above the one opened.
        let mut stack = Vec::with_capacity(FANOUT * (self.levels.len() + 1));
        stack.push((self.levels.len(), 0usize));
        while let Some((height, group)) = stack.pop() {
            let first = group * FANOUT;
            probe::diag(
                if height == 0 {
                    probe::D_LEAVES
                } else {
                    probe::D_NODES
                },
                1,
            );
            if height == 0 {
                if let Some(leaf) = self.leaves.get(group) {
                    // Items alone by the same tests as groups, from the leaf's own record:
                    // evaluating an outlet reads its offer and outlet records (cache
                    // misses), and most items of the leaves a diagnosis opens are outside
                    // their area or too far (counted, issue 21 session 12).
                    let n = (self.len - first).min(FANOUT);
                    let alone = within(special, &(first..first + n));
                    let chords = leaf.chords(&qf);
                    for (l, &chord) in chords[..n].iter().enumerate() {
                        let slot = first + l;
                        if alone.contains(&slot) {
                            item(slot as u32);
                            continue;
                        }
                        let chord = f64::from(chord);
                        // Chord km <= great-circle km: beyond the reach, outside the area.
                        if chord * EARTH_RADIUS_KM > f64::from(leaf.reach[l]) {
                            probe::diag(probe::D_FAR_ITEMS, 1);
                            out.outside_area += 1;
                            continue;
                        }
                        // The lane's chord is at least the exact one minus the slack
                        // and the rounding (under the slack again).
                        let far = chord + 2.0 * f64::from(CHORD_SLACK);
                        let rule = full.map_or(NOTHING, |t| self.bulk_rule(t, 0, slot, chord, far));
                        if rule == NOTHING {
                            item(slot as u32);
                        } else {
                            probe::diag(probe::D_BULK_SINGLE_ITEMS, 1);
                            probe::diag(probe::D_BULK_ITEMS, 1);
                            out.add(rule, 1);
                        }
                    }
                }
                continue;
            }
            let Some(node) = self.levels.get(height - 1).and_then(|l| l.get(group)) else {
                continue;
            };
            let chords = node.chords(&qf);
            let fars = node.far_chords(&qf);
            let n_below = self.groups_at(height - 1);
            let children = first..(first + FANOUT).min(n_below);
            // Group c at height - 1 covers FANOUT^height items.
            let span = radii::span(height - 1);
            for (c, &chord) in children.zip(&chords) {
                let chord = f64::from(chord);
                let area_reach = self
                    .area_reach
                    .get(height - 1)
                    .and_then(|level| level.get(group))
                    .map_or(f32::INFINITY, |lanes| lanes[c - first]);
                let beyond_reach = chord * EARTH_RADIUS_KM > f64::from(area_reach);
                let range = c * span..((c + 1) * span).min(self.len);
                let l = c - first;
                if beyond_reach {
                    probe::diag(probe::D_FAR_GROUPS, 1);
                    probe::diag(probe::D_FAR_ITEMS, range.len() as u64);
                    bulk(out, &mut item, FAR, range);
                    continue;
                }
                let Some(t) = full else {
                    self.open(&mut stack, height - 1, c);
                    continue;
                };
                let far_chord = f64::from(fars[l]);
                let floor = self.floor_of(height, c);
                // Straddling its items' radii: counted by them if all are radii and none
                // is special (avoided: evaluated alone).
                let straddles = far_chord > floor;
                if straddles && (floor == f64::NEG_INFINITY || !within(special, &range).is_empty())
                {
                    self.open(&mut stack, height - 1, c);
                    continue;
                }
                let rule = self.inside_rule(t, height, c, chord, far_chord);
                if rule == NOTHING {
                    // Crossing a limit (most often the travel limit): perhaps every item
                    // is proven by its own chord, read from its group's radius records.
                    let by_item = height - 1 < BY_ITEM_HEIGHTS
                        && (straddles || within(special, &range).is_empty())
                        && self.count_by_item(t, (height, c), q, chord, &mut last_cuts, out);
                    if !by_item {
                        self.open(&mut stack, height - 1, c);
                    }
                    continue;
                }
                if !straddles {
                    probe::diag(probe::D_BULK_NODE_GROUPS, 1);
                    probe::diag(probe::D_BULK_ITEMS, range.len() as u64);
                    bulk(out, &mut item, rule, range);
                    continue;
                }
                let n = range.len();
                match self
                    .by_radius
                    .outside(height - 1, c, q, chord, far_chord, STRADDLE_TESTS)
                {
                    Straddle::Outside(outside) => {
                        probe::diag(probe::D_STRADDLE_GROUPS, 1);
                        probe::diag(probe::D_STRADDLE_H0 + (height - 1).min(3), 1);
                        probe::diag(probe::D_STRADDLE_ITEMS, n as u64);
                        out.straddling += n;
                        out.outside_area += outside;
                        out.add(rule, n - outside);
                    }
                    Straddle::Open => {
                        probe::diag(probe::D_STRADDLE_OPENED, 1);
                        self.open(&mut stack, height - 1, c);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;

    /// The cuts [`FullTest::item_cuts`] leaves out change no item's rule: for limits drawn
    /// with ties, near misses and infinities, every chord at, beside and between them gets
    /// the rule of all five cuts.
    #[test]
    fn left_out_item_cuts_change_no_rule() {
        let mut rng = SplitMix64::new(7);
        let slack = f64::from(CHORD_SLACK);
        let pick = |rng: &mut SplitMix64, prev: f64| match rng.below(8) {
            0 => f64::INFINITY,
            1 => f64::NEG_INFINITY,
            2 => prev,
            3 => prev + 2.0 * slack * (rng.next_f64() - 0.5),
            _ => 0.05 * rng.next_f64(),
        };
        let (mut dropped, mut cases) = ([0usize; 2], 0usize);
        for _ in 0..20_000 {
            let mut v = [0.0; radii::CUTS];
            for k in 0..radii::CUTS {
                let prev = if k == 0 { 0.02 } else { v[rng.below(k)] };
                v[k] = pick(&mut rng, prev);
            }
            let [too_far, sla, near, skill, outlet] = v;
            let t = FullTest {
                too_far,
                near,
                sla,
                days: 1,
                within: 0.0,
                day: [f64::NEG_INFINITY; 64],
                reserve: false,
                outlet: true,
            };
            let all = [
                too_far + slack,
                sla + slack,
                near - slack,
                skill - slack,
                outlet - slack,
            ];
            let kept = t.item_limits(skill, outlet);
            dropped[0] += usize::from(kept[1] != all[1]);
            dropped[1] += usize::from(kept[4] != all[4]);
            let rule = |c: &[f64; radii::CUTS], d: f64| {
                rule_of(d > c[0], d > c[1], d <= c[2], d <= c[3], d <= c[4])
            };
            let mut chords: Vec<f64> = all.iter().filter(|c| c.is_finite()).copied().collect();
            chords.sort_by(f64::total_cmp);
            let between: Vec<f64> = chords.windows(2).map(|w| 0.5 * (w[0] + w[1])).collect();
            for c in chords.iter().chain(&between) {
                for d in [*c, c - 1e-12, c + 1e-12, 0.0, 3.0] {
                    if d >= 0.0 {
                        cases += 1;
                        assert_eq!(rule(&kept, d), rule(&all, d), "limits {v:?} chord {d}");
                    }
                }
            }
        }
        // Both drops happen often enough to be put to the test.
        assert!(
            dropped.iter().all(|&n| n > 1000) && cases > 100_000,
            "{dropped:?} {cases}"
        );
    }
}
