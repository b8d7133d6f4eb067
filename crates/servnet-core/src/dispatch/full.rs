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
        let used = |k: usize| self.ledger.offer_used(k, day);
        let offer_full = |k: usize| self.offers.get(k).is_some_and(|o| used(k) >= o.capacity);
        // At or past the least limit (the capacity's at most): full for a ticket held out
        // of every reserve.
        // (Without reserves these are the offers full, already marked so: not kept.)
        let reserves = self.reserves_on();
        let reserved = |k: usize| {
            self.offers
                .get(k)
                .is_some_and(|o| used(k) >= self.least_limit(o.capacity))
        };
        let outlet_full = || {
            self.outlets
                .get(outlet)
                .is_some_and(|o| self.ledger.outlet_used(outlet, day) >= o.daily_cap)
        };
        if !reserved(k) && !outlet_full() {
            return;
        }
        let _guard = lock(&self.full_lock);
        if outlet_full() {
            // Diagnoses count an offer marked full as full for its own skill unless it
            // may have room under the outlet's cap.
            for j in self.offers_of(outlet) {
                let reserved = reserved(j);
                let mark = Mark {
                    full: true,
                    outlet_only: !offer_full(j),
                    room: !reserved,
                    reserved: reserved && reserves,
                };
                self.mark(j, bit, mark);
            }
        } else if reserved(k) {
            let mark = Mark {
                full: offer_full(k),
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

    /// Marks offer `k` in its skill's tree, and a full regional centre in the centres'
    /// tree too (escalation skips centres full on every day it could book).
    fn mark(&self, k: usize, bit: u64, mark: Mark) {
        if let (Some(o), Some(key)) = (self.offers.get(k), self.offer_keys.get(k)) {
            if let Some(s) = self.index.get(o.skill.index()) {
                if key.slot != u32::MAX {
                    s.tree.mark(key.slot, bit, mark);
                }
                if key.centre_slot != u32::MAX && mark.full {
                    s.centres.mark(
                        key.centre_slot,
                        bit,
                        Mark {
                            full: true,
                            ..Mark::default()
                        },
                    );
                }
            }
        }
    }

    fn unmark(&self, k: usize, bit: u64) {
        if let (Some(o), Some(key)) = (self.offers.get(k), self.offer_keys.get(k)) {
            if let Some(s) = self.index.get(o.skill.index()) {
                if key.slot != u32::MAX {
                    s.tree.unmark(key.slot, bit);
                }
                if key.centre_slot != u32::MAX {
                    s.centres.unmark(key.centre_slot, bit);
                }
            }
        }
    }
}
