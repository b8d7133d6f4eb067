use std::sync::atomic::{AtomicU32, Ordering};

/// Capacity bookings per (outlet skill, day) and per (outlet, day).
///
/// Implementations must never let a counter pass the limit given to `try_reserve`, even
/// when many threads reserve at once. [`AtomicLedger`] keeps the counters in memory; a
/// shared store (e.g. Redis) can implement the same trait for dispatch across machines.
/// `outlet` is the outlet's index in the network; `offer` is the dispatcher's number for
/// an outlet skill, which changes when the network does (see
/// [`super::Dispatcher::with_ledger`] and [`super::Dispatcher::offer_number`]).
pub trait Ledger: Send + Sync {
    /// Books `units` on offer `offer` and outlet `outlet` for `day` if both stay within
    /// their limits; returns whether it booked.
    fn try_reserve(
        &self,
        offer: usize,
        outlet: usize,
        day: u32,
        units: u32,
        offer_limit: u32,
        outlet_limit: u32,
    ) -> bool;
    /// Returns `units` previously booked.
    fn release(&self, offer: usize, outlet: usize, day: u32, units: u32);
    /// Units booked on an offer for a day.
    fn offer_used(&self, offer: usize, day: u32) -> u32;
    /// Units booked on an outlet (all skills) for a day.
    fn outlet_used(&self, outlet: usize, day: u32) -> u32;
}

/// In-memory ledger of atomic counters: lock-free compare-and-swap per counter.
///
/// Counters are stored day by day (all offers' day 0, then day 1, ...): most bookings
/// fall on the first days, and offers numbered near each other (the dispatcher numbers
/// them by skill and place) share cache lines.
#[derive(Debug)]
pub struct AtomicLedger {
    days: usize,
    offers: Vec<AtomicU32>,
    outlets: Vec<AtomicU32>,
}

impl AtomicLedger {
    /// A ledger for `n_offers` offers and `n_outlets` outlets over `days` days, all zero.
    pub fn new(n_offers: usize, n_outlets: usize, days: u32) -> Self {
        let days = days as usize;
        AtomicLedger {
            days,
            offers: (0..n_offers * days).map(|_| AtomicU32::new(0)).collect(),
            outlets: (0..n_outlets * days).map(|_| AtomicU32::new(0)).collect(),
        }
    }

    /// Sets the starting bookings (e.g. today's committed load); not for concurrent use.
    /// Counters saturate at `u32::MAX` (full), never wrap around to empty.
    pub fn preload(&self, offer: usize, outlet: usize, day: u32, units: u32) {
        for c in [self.offer(offer, day), self.outlet(outlet, day)]
            .into_iter()
            .flatten()
        {
            let _ = c.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
                Some(used.saturating_add(units))
            });
        }
    }

    fn offer(&self, offer: usize, day: u32) -> Option<&AtomicU32> {
        counter(&self.offers, self.days, offer, day)
    }

    fn outlet(&self, outlet: usize, day: u32) -> Option<&AtomicU32> {
        counter(&self.outlets, self.days, outlet, day)
    }
}

/// Item `i`'s counter for `day` in day-major `counters` over `days` days (none out of
/// range).
fn counter(counters: &[AtomicU32], days: usize, i: usize, day: u32) -> Option<&AtomicU32> {
    let d = day as usize;
    let n = counters.len().checked_div(days)?;
    (i < n && d < days)
        .then(|| counters.get(d * n + i))
        .flatten()
}

/// Adds `units` to `c` unless the result would pass `limit`.
fn add_within(c: &AtomicU32, units: u32, limit: u32) -> bool {
    c.fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
        used.checked_add(units).filter(|&n| n <= limit)
    })
    .is_ok()
}

fn sub(c: &AtomicU32, units: u32) {
    // Saturating: a bad release never wraps a counter around.
    let _ = c.fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
        Some(used.saturating_sub(units))
    });
}

impl Ledger for AtomicLedger {
    fn try_reserve(
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

    fn release(&self, offer: usize, outlet: usize, day: u32, units: u32) {
        if let Some(a) = self.offer(offer, day) {
            sub(a, units);
        }
        if let Some(b) = self.outlet(outlet, day) {
            sub(b, units);
        }
    }

    fn offer_used(&self, offer: usize, day: u32) -> u32 {
        self.offer(offer, day)
            .map_or(0, |c| c.load(Ordering::Acquire))
    }

    fn outlet_used(&self, outlet: usize, day: u32) -> u32 {
        self.outlet(outlet, day)
            .map_or(0, |c| c.load(Ordering::Acquire))
    }
}
