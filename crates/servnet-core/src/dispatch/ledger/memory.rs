//! The default ledger: everything in memory, nothing survives the process.

use super::store::{NoLog, Store};
use super::{Booked, Booking, Bound, Completed, Confirmed, Layout, Ledger, Request};
use crate::Result;
use chrono::NaiveDateTime;
use smol_str::SmolStr;

/// In-memory ledger: lock-free counters (compare-and-swap per counter), the ticket map
/// in shards behind mutexes, holds, external load and ratings. The fastest ledger;
/// nothing survives the process.
pub struct MemoryLedger(Store<NoLog>);

impl Default for MemoryLedger {
    fn default() -> Self {
        MemoryLedger(Store::new(NoLog))
    }
}

impl MemoryLedger {
    /// An empty ledger (a dispatcher binds its layout to it).
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of ticket records (booked, held and completed).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether it holds no ticket record.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Ledger for MemoryLedger {
    #[inline]
    fn offer_used(&self, offer: usize, day: u32) -> u32 {
        self.0.offer_used(offer, day)
    }

    #[inline]
    fn outlet_used(&self, outlet: usize, day: u32) -> u32 {
        self.0.outlet_used(outlet, day)
    }

    fn get(&self, ticket_id: &str) -> Result<Option<(SmolStr, Booking)>> {
        self.0.get(ticket_id)
    }

    fn book(&self, request: &Request<'_>) -> Result<Booked> {
        self.0.book(request)
    }

    fn confirm(&self, hold: u64, now: NaiveDateTime) -> Result<Confirmed> {
        self.0.confirm(hold, now)
    }

    fn release(&self, ticket_id: &str) -> Result<Option<(SmolStr, Booking)>> {
        self.0.release(ticket_id)
    }

    fn complete(&self, ticket_id: &str, rating_milli: Option<u32>) -> Result<Completed> {
        self.0.complete(ticket_id, rating_milli)
    }

    fn expire_holds(&self, now: NaiveDateTime) -> Result<Vec<(SmolStr, Booking)>> {
        self.0.expire_holds(now)
    }

    fn set_load(&self, offer: usize, day: u32, units: u32) -> Result<()> {
        self.0.set_load(offer, day, units)
    }

    fn bind(&mut self, layout: &Layout) -> Result<Bound> {
        self.0.bind(layout)
    }

    fn roll(&mut self, first_day: u32) -> Result<()> {
        self.0.roll(first_day)
    }

    fn stats(&self) -> super::LedgerStats {
        super::LedgerStats {
            tickets: self.len() as u64,
            ..Default::default()
        }
    }

    fn sole_writer(&self) -> bool {
        true
    }
}
