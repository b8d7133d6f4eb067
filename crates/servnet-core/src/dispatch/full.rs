//! Days without room: when a booking fills an offer (or its outlet) on a day, the skill's
//! tree marks it so, and whole groups of outlets all full ([`KeyedTree::mark`]); a
//! search skips outlets full on every day it could book. On a peak day a failed search
//! (every outlet near the ticket full) then no longer visits each of them, per fallback.
//!
//! Marks are kept only when every change to the ledger goes through this dispatcher
//! (`own_ledger`): another writer's release would leave a mark on an outlet with room.
//! Marking and unmarking take one lock, and a mark is set only after the ledger, read
//! under that lock, says full: a release (which unmarks under the lock after returning
//! its units) either comes before that read or clears the mark after it.
//!
//! [`KeyedTree::mark`]: super::index::KeyedTree::mark

use super::bookings::lock;
use super::index::Mark;
use super::layout::SkillIndex;
use super::Dispatcher;

impl Dispatcher {
    /// The bits of `days` (counted from the first day), or 0 when one is beyond the 64
    /// days marks cover (then nothing is skipped).
    pub(super) fn full_days(&self, days: std::ops::Range<u32>) -> u64 {
        if !self.own_ledger || days.is_empty() {
            return 0;
        }
        let (Some(from), Some(to)) = (
            days.start.checked_sub(self.first_day),
            days.end.checked_sub(self.first_day),
        ) else {
            return 0;
        };
        if to > 64 {
            return 0;
        }
        let high = if to == 64 { u64::MAX } else { (1u64 << to) - 1 };
        high & !((1u64 << from) - 1)
    }

    /// After booking offer `k` of `outlet` on `day`: marks the offer full if it is, and
    /// every offer of the outlet if the outlet is; for diagnoses, also an offer with no
    /// room left for a ticket held out of every reserve (`reserved`), and offers of a
    /// full outlet with room for one unit of any ticket (`room`).
    ///
    /// While an outlet is full no booking adds to its offers (every booking checks the
    /// outlet's cap, and every limit is at most the cap), so an offer's room stays as
    /// marked until units come back, which unmarks it.
    pub(super) fn note_booked(&self, k: usize, outlet: usize, day: u32) {
        let bit = self.full_days(day..day + 1);
        if bit == 0 {
            return;
        }
        // (used, capacity) of an offer on the day, read once per check.
        let fill = |k: usize| {
            self.offers
                .get(k)
                .map(|o| (self.ledger.offer_used(k, day), o.capacity))
        };
        // At or past the least limit (the capacity's at most): full for a ticket held out
        // of every reserve. (Without reserves that is full, and no reserve mark is kept.)
        let reserves = self.reserves_on();
        let reserved = |(used, cap): (u32, u32)| used >= self.least_limit(cap);
        let outlet_full = || {
            self.outlets
                .get(outlet)
                .is_some_and(|o| self.ledger.outlet_used(outlet, day) >= o.daily_cap)
        };
        if !fill(k).is_some_and(reserved) && !outlet_full() {
            return;
        }
        let _guard = lock(&self.full_lock);
        if outlet_full() {
            // Diagnoses count an offer marked full as full for its own skill unless it
            // may have room under the outlet's cap.
            for j in self.offers_of(outlet) {
                let Some((used, cap)) = fill(j) else {
                    continue;
                };
                let reserved = reserved((used, cap));
                let mark = Mark {
                    full: true,
                    outlet_only: used < cap,
                    room: !reserved,
                    reserved: reserved && reserves,
                };
                self.mark(j, bit, mark);
            }
        } else if let Some((used, cap)) = fill(k).filter(|&f| reserved(f)) {
            let mark = Mark {
                full: used >= cap,
                reserved: reserves,
                ..Mark::default()
            };
            self.mark(k, bit, mark);
        }
    }

    /// After units of offer `k` of `outlet` on `day` came back (or may have): unmarks the
    /// offer and every offer of the outlet on that day.
    pub(super) fn note_freed(&self, k: usize, outlet: usize, day: u32) {
        let bit = self.full_days(day..day + 1);
        if bit == 0 {
            return;
        }
        let _guard = lock(&self.full_lock);
        self.unmark(k, bit);
        for j in self.offers_of(outlet) {
            self.unmark(j, bit);
        }
    }

    /// Forgets every mark (days renumbered, or capacity returned in bulk).
    pub(super) fn unmark_all(&mut self) {
        for s in &mut self.index {
            s.tree.unmark_all();
            s.centres.unmark_all();
        }
    }

    fn offers_of(&self, outlet: usize) -> impl Iterator<Item = usize> + '_ {
        let from = self.first_offer.get(outlet).copied().unwrap_or(0) as usize;
        let to = from + self.network.offer_skills(outlet).len();
        self.offer_at
            .get(from..to)
            .unwrap_or_default()
            .iter()
            .map(|&k| k as usize)
    }

    /// Offer `k`'s skill index and its slot in the skill's tree, if indexed. A skill's
    /// offers are numbered in its tree's order, indexed ones first (`skill_base`), so
    /// the slot needs no read of the offer's key (a cache miss per booking).
    fn tree_slot(&self, k: usize) -> Option<(&SkillIndex, u32)> {
        let s = self.offers.get(k)?.skill.index();
        let slot = u32::try_from(k)
            .ok()?
            .checked_sub(*self.skill_base.get(s)?)?;
        let ix = self.index.get(s)?;
        debug_assert_eq!(
            (slot as usize) < ix.tree.len(),
            self.offer_keys.get(k).is_some_and(|key| key.slot == slot)
        );
        ((slot as usize) < ix.tree.len()).then_some((ix, slot))
    }

    /// Offer `k`'s slot in its skill's tree of regional centres, if it is one: only an
    /// outlet at the policy's centre priority is (layout.rs), so only its key is read.
    fn centre_slot(&self, k: usize) -> Option<u32> {
        let o = self.offers.get(k)?;
        let centre = self
            .outlets
            .get(o.outlet as usize)
            .is_some_and(|o| o.priority >= self.policy.centre_priority);
        debug_assert!(
            centre
                || self
                    .offer_keys
                    .get(k)
                    .is_none_or(|key| key.centre_slot == u32::MAX)
        );
        let slot = self.offer_keys.get(k).filter(|_| centre)?.centre_slot;
        (slot != u32::MAX).then_some(slot)
    }

    /// Marks offer `k` in its skill's tree, and a full regional centre in the centres'
    /// tree too (escalation skips centres full on every day it could book).
    fn mark(&self, k: usize, bit: u64, mark: Mark) {
        let Some((s, slot)) = self.tree_slot(k) else {
            return;
        };
        s.tree.mark(slot, bit, mark);
        if mark.full {
            if let Some(c) = self.centre_slot(k) {
                let full = Mark {
                    full: true,
                    ..Mark::default()
                };
                s.centres.mark(c, bit, full);
            }
        }
    }

    fn unmark(&self, k: usize, bit: u64) {
        let Some((s, slot)) = self.tree_slot(k) else {
            return;
        };
        s.tree.unmark(slot, bit);
        if let Some(c) = self.centre_slot(k) {
            s.centres.unmark(c, bit);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::bench::peak::{peak, PeakSpec};
    use crate::dispatch::{Dispatcher, Policy};
    use crate::model::{Network, Outlet, OutletStatus};

    /// Marks land on each offer's own tree slot and centre slot (as the dispatcher's
    /// offer keys record them) without reading the keys: also with closed and suspended
    /// outlets (numbered after the open ones of their skill) and regional centres.
    #[test]
    fn marks_find_every_offers_slots_without_its_key() {
        let (net, _) = peak(&PeakSpec::new(300, 100, 5)).unwrap();
        let outlets: Vec<Outlet> = net
            .outlets()
            .iter()
            .enumerate()
            .map(|(i, o)| Outlet {
                status: match i % 7 {
                    0 => OutletStatus::Closed,
                    1 => OutletStatus::Suspended,
                    _ => o.status,
                },
                priority: if i % 5 == 0 { 95 } else { o.priority },
                ..o.clone()
            })
            .collect();
        let net = Network::new(outlets, net.regions().to_vec())
            .unwrap()
            .with_settings_of(&net);
        let d = Dispatcher::new(net, Policy::default()).unwrap();
        let (mut open, mut closed, mut centres) = (0, 0, 0);
        for (k, key) in d.offer_keys.iter().enumerate() {
            let slot = d.tree_slot(k).map(|(_, slot)| slot);
            assert_eq!(slot.unwrap_or(u32::MAX), key.slot, "offer {k}");
            let centre = d.centre_slot(k);
            assert_eq!(centre.unwrap_or(u32::MAX), key.centre_slot, "offer {k}");
            open += usize::from(slot.is_some());
            closed += usize::from(slot.is_none());
            centres += usize::from(centre.is_some());
        }
        assert!(
            open > 100 && closed > 30 && centres > 20,
            "{open} {closed} {centres}"
        );
    }
}
