//! Capacity counters per (offer, day) and per (outlet, day) over a window of days, as
//! atomics: many threads reserve at once and none passes a limit.

use std::sync::atomic::{AtomicU32, Ordering};

/// Units booked per (offer, day) and (outlet, day) for the days `first..first + days`.
///
/// Counters are stored day by day (all offers' first day, then the next, ...): most
/// bookings fall on the first days, and offers numbered near each other (the dispatcher
/// numbers them by skill and place) share cache lines.
#[derive(Debug, Default)]
pub(super) struct Counters {
    days: u32,
    first: u32,
    n_offers: usize,
    n_outlets: usize,
    offers: Vec<AtomicU32>,
    outlets: Vec<AtomicU32>,
}

/// Item `i`'s counter (of `n` items) for window position `d` in day-major `counters`
/// over `days` days (none out of range).
#[inline]
fn counter(counters: &[AtomicU32], n: usize, days: u32, i: usize, d: u32) -> Option<&AtomicU32> {
    (i < n && d < days)
        .then(|| counters.get(d as usize * n + i))
        .flatten()
}

/// Adds `units` to `c` unless the result would pass `limit`.
fn add_within(c: &AtomicU32, units: u32, limit: u32) -> bool {
    c.fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
        used.checked_add(units).filter(|&n| n <= limit)
    })
    .is_ok()
}

/// Adds `units` to `c`, saturating at `u32::MAX` (full), never wrapping to empty.
fn add_saturating(c: &AtomicU32, units: u32) {
    let _ = c.fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
        Some(used.saturating_add(units))
    });
}

fn sub(c: &AtomicU32, units: u32) {
    // Saturating: a bad release never wraps a counter around.
    let _ = c.fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
        Some(used.saturating_sub(units))
    });
}

fn zeros(n: usize) -> Vec<AtomicU32> {
    (0..n).map(|_| AtomicU32::new(0)).collect()
}

impl Counters {
    /// All zero, for `n_offers` offers and `n_outlets` outlets over `days` days from
    /// `first`.
    pub(super) fn new(n_offers: usize, n_outlets: usize, days: u32, first: u32) -> Self {
        let d = days as usize;
        Counters {
            days,
            first,
            n_offers,
            n_outlets,
            offers: zeros(n_offers.saturating_mul(d)),
            outlets: zeros(n_outlets.saturating_mul(d)),
        }
    }

    /// The first day counted.
    pub(super) fn first(&self) -> u32 {
        self.first
    }

    /// Whether `day` lies in the window.
    pub(super) fn covers(&self, day: u32) -> bool {
        day.wrapping_sub(self.first) < self.days
    }

    fn offer(&self, offer: usize, day: u32) -> Option<&AtomicU32> {
        let d = day.wrapping_sub(self.first);
        counter(&self.offers, self.n_offers, self.days, offer, d)
    }

    fn outlet(&self, outlet: usize, day: u32) -> Option<&AtomicU32> {
        let d = day.wrapping_sub(self.first);
        counter(&self.outlets, self.n_outlets, self.days, outlet, d)
    }

    /// Books `units` on both counters if both stay within their limits.
    pub(super) fn try_add(
        &self,
        offer: usize,
        outlet: usize,
        day: u32,
        units: u32,
        offer_limit: u32,
        outlet_limit: u32,
    ) -> bool {
        let (Some(a), Some(b)) = (self.offer(offer, day), self.outlet(outlet, day)) else {
            return false;
        };
        if !add_within(a, units, offer_limit) {
            return false;
        }
        if !add_within(b, units, outlet_limit) {
            sub(a, units);
            return false;
        }
        true
    }

    /// Adds `units` whatever the limits (restoring bookings, external load).
    pub(super) fn add(&self, offer: usize, outlet: usize, day: u32, units: u32) {
        if let Some(c) = self.offer(offer, day) {
            add_saturating(c, units);
        }
        if let Some(c) = self.outlet(outlet, day) {
            add_saturating(c, units);
        }
    }

    /// Returns `units` booked before (nothing for a day outside the window).
    pub(super) fn sub(&self, offer: usize, outlet: usize, day: u32, units: u32) {
        if let Some(c) = self.offer(offer, day) {
            sub(c, units);
        }
        if let Some(c) = self.outlet(outlet, day) {
            sub(c, units);
        }
    }

    /// Units booked on an offer for a day (0 outside the window).
    pub(super) fn offer_used(&self, offer: usize, day: u32) -> u32 {
        self.offer(offer, day)
            .map_or(0, |c| c.load(Ordering::Acquire))
    }

    /// Units booked on an outlet (all skills) for a day (0 outside the window).
    pub(super) fn outlet_used(&self, outlet: usize, day: u32) -> u32 {
        self.outlet(outlet, day)
            .map_or(0, |c| c.load(Ordering::Acquire))
    }

    /// Moves the window to start at `first` (later days only): the days before it are
    /// dropped, the days after the old window start empty.
    pub(super) fn roll(&mut self, first: u32) {
        let shift = first.saturating_sub(self.first);
        if shift == 0 {
            return;
        }
        for (v, n) in [
            (&mut self.offers, self.n_offers),
            (&mut self.outlets, self.n_outlets),
        ] {
            let keep = (self.days.saturating_sub(shift)) as usize * n;
            let from = v.len() - keep;
            // Day-major: dropping the first `shift` days moves the rest to the front.
            let moved: Vec<u32> = v[from..]
                .iter()
                .map(|c| c.load(Ordering::Acquire))
                .collect();
            for (c, x) in v.iter().zip(moved.into_iter().chain(std::iter::repeat(0))) {
                c.store(x, Ordering::Release);
            }
        }
        self.first = first;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rolling the window keeps the counters of the days still in it, empties the new
    /// ones, and leaves nothing for the dropped ones.
    #[test]
    fn rolling_keeps_the_days_left_in_the_window() {
        let mut c = Counters::new(2, 1, 3, 0);
        for day in 0..3 {
            c.add(1, 0, day, day + 1);
        }
        c.roll(2);
        assert_eq!(
            (0..6).map(|d| c.offer_used(1, d)).collect::<Vec<_>>(),
            vec![0, 0, 3, 0, 0, 0]
        );
        assert!(!c.covers(1) && c.covers(4) && !c.covers(5));
        assert!(c.try_add(1, 0, 4, 2, 2, 2) && !c.try_add(1, 0, 4, 1, 2, 9));
        assert!(!c.try_add(1, 0, 1, 1, 9, 9), "a dropped day books nothing");
        c.roll(10);
        assert_eq!((0..14).map(|d| c.outlet_used(0, d)).sum::<u32>(), 0);
    }
}
