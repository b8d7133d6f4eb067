//! A process's view of the shared loads: what the search reads in nanoseconds, kept
//! close to Redis by the changes every reply carries.
//!
//! The view is a cache, never the authority: Redis checks every booking against its own
//! counters, so a stale view costs at most a refused booking (and a search on fresher
//! values), never an overbooking.

use servnet_core::dispatch::Layout;
use smol_str::SmolStr;
use std::sync::atomic::{AtomicU32, Ordering};

use rustc_hash::FxHashMap;

/// Units per (offer, day) and (outlet, day) for the days `first..first + days`, as last
/// seen from Redis, day-major (as the in-memory ledger lays them out).
#[derive(Debug, Default)]
pub(crate) struct View {
    days: u32,
    first: u32,
    offers: Vec<AtomicU32>,
    outlets: Vec<AtomicU32>,
}

fn zeros(n: usize) -> Vec<AtomicU32> {
    (0..n).map(|_| AtomicU32::new(0)).collect()
}

fn at(v: &[AtomicU32], days: u32, i: usize, d: u32) -> Option<&AtomicU32> {
    let n = v.len().checked_div(days as usize)?;
    (i < n && d < days)
        .then(|| v.get(d as usize * n + i))
        .flatten()
}

impl View {
    pub(crate) fn new(n_offers: usize, n_outlets: usize, days: u32, first: u32) -> Self {
        View {
            days,
            first,
            offers: zeros(n_offers.saturating_mul(days as usize)),
            outlets: zeros(n_outlets.saturating_mul(days as usize)),
        }
    }

    #[inline]
    pub(crate) fn offer_used(&self, offer: usize, day: u32) -> u32 {
        at(&self.offers, self.days, offer, day.wrapping_sub(self.first))
            .map_or(0, |c| c.load(Ordering::Relaxed))
    }

    #[inline]
    pub(crate) fn outlet_used(&self, outlet: usize, day: u32) -> u32 {
        at(
            &self.outlets,
            self.days,
            outlet,
            day.wrapping_sub(self.first),
        )
        .map_or(0, |c| c.load(Ordering::Relaxed))
    }

    /// Sets an offer's counter (if any) and its outlet's for a day, as Redis reported them.
    pub(crate) fn set(&self, offer: Option<u32>, outlet: u32, day: u32, a: u32, b: u32) {
        let d = day.wrapping_sub(self.first);
        if let Some(c) = offer.and_then(|k| at(&self.offers, self.days, k as usize, d)) {
            c.store(a, Ordering::Relaxed);
        }
        if let Some(c) = at(&self.outlets, self.days, outlet as usize, d) {
            c.store(b, Ordering::Relaxed);
        }
    }

    /// Sets only an outlet-wide counter.
    pub(crate) fn set_outlet(&self, outlet: u32, day: u32, b: u32) {
        if let Some(c) = at(
            &self.outlets,
            self.days,
            outlet as usize,
            day.wrapping_sub(self.first),
        ) {
            c.store(b, Ordering::Relaxed);
        }
    }
}

/// A layout's numbers by name: the records and changes Redis returns name outlets and
/// skills, the dispatcher counts by number.
#[derive(Debug, Default)]
pub(crate) struct Names {
    skills: FxHashMap<SmolStr, u32>,
    outlets: FxHashMap<SmolStr, u32>,
    /// (skill, outlet) -> offer number.
    offers: FxHashMap<(u32, u32), u32>,
}

impl Names {
    pub(crate) fn new(layout: &Layout) -> Self {
        let index = |v: &[SmolStr]| -> FxHashMap<SmolStr, u32> {
            v.iter()
                .enumerate()
                .map(|(i, s)| (s.clone(), i as u32))
                .collect()
        };
        Names {
            skills: index(&layout.skills),
            outlets: index(&layout.outlets),
            offers: layout
                .offers
                .iter()
                .enumerate()
                .map(|(k, &(o, s))| ((s, o), k as u32))
                .collect(),
        }
    }

    /// The outlet's number.
    pub(crate) fn outlet(&self, id: &str) -> Option<u32> {
        self.outlets.get(id).copied()
    }

    /// The offer's number and its outlet's, from the skill and outlet id.
    pub(crate) fn offer(&self, skill: &str, outlet: &str) -> Option<(u32, u32)> {
        let o = self.outlet(outlet)?;
        let s = self.skills.get(skill).copied()?;
        self.offers.get(&(s, o)).map(|&k| (k, o))
    }
}
