//! The dispatcher's state behind one trait: capacity counters, the ticket map
//! (idempotency), holds with their expiry, completions with their ratings and external
//! load. A [`Ledger`] is the authority for everything a booking changes; the search reads
//! its view of the loads.
//!
//! Implementations: [`MemoryLedger`] (the default: in memory, nothing survives the
//! process), the journal ledger of a state folder (every acknowledged change durable),
//! and shared stores (e.g. Redis) for several processes.

mod counters;
mod journal;
mod memory;
mod store;

pub use journal::{defer_durability, Durability, JournalLedger, JournalOptions, Restored};
pub use memory::MemoryLedger;
pub(crate) use store::{NoLog, Store};

use super::types::Route;
use crate::model::{CustomerTier, Tier};
use crate::Result;
use chrono::{NaiveDate, NaiveDateTime};
use smol_str::SmolStr;

/// Where a booking stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Booked firmly.
    Booked,
    /// Held for the customer to confirm until `expires` (then released).
    Held {
        /// The hold's id (the ledger assigns it; unique within the ledger).
        hold: u64,
        /// When the hold lapses.
        expires: NaiveDateTime,
    },
    /// Done: its capacity stays used for its day, and the ticket id never books again.
    Completed,
}

impl Status {
    /// `booked`, `held` or `completed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Booked => "booked",
            Status::Held { .. } => "held",
            Status::Completed => "completed",
        }
    }

    /// The hold id, if held.
    pub fn hold(self) -> Option<u64> {
        match self {
            Status::Held { hold, .. } => Some(hold),
            _ => None,
        }
    }
}

/// A ticket's booking as a ledger stores it: enough to rebuild its [`super::Assignment`]
/// (no strings: outlet and skill come from the layout).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Booking {
    /// Offer number (outlet skill) in the bound [`Layout`].
    pub offer: u32,
    /// Outlet index in the bound [`Layout`].
    pub outlet: u32,
    /// Day from the dispatcher's start date.
    pub day: u32,
    /// Units booked.
    pub units: u32,
    /// Road km to the customer.
    pub road: f64,
    /// Load ratio of the skill on that day after this ticket, as booked.
    pub load_ratio: f64,
    /// Satisfaction of the offer when booked.
    pub satisfaction: f64,
    /// Whether the outlet was the ticket's preferred one.
    pub preferred: bool,
    /// Whether the SLA is met.
    pub sla_met: bool,
    /// How it was found.
    pub route: Route,
    /// Booked, held or completed.
    pub status: Status,
    /// The hold it was booked as (the ledger assigns it), kept once confirmed so that a
    /// repeated confirm finds it; `None` for a booking made firm. While held it is the
    /// id in [`Status::Held`].
    pub hold: Option<u64>,
    /// A fingerprint of the ticket booked (everything but its id): the same id with
    /// another fingerprint is another request, a conflict, not a retry.
    pub content: u64,
    /// What the ticket's service package was found from, so that the booking read back
    /// (a retry, a lookup) shows the package, mode and package term it was booked with;
    /// `None` when not known (a record written before servnet kept it).
    pub claim: Option<ClaimBasis>,
}

/// The parts of a ticket its service package is found from (with the offer's skill):
/// its region's tier, its customer tier, and whether it is an emergency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClaimBasis {
    /// Tier of the ticket's region.
    pub region_tier: Tier,
    /// The ticket's customer tier.
    pub customer_tier: CustomerTier,
    /// An emergency (no package term; the emergency reserve serves it).
    pub emergency: bool,
}

impl ClaimBasis {
    /// Five bits (1..=31) as the stores keep it; 0 is "not known".
    pub fn to_bits(basis: Option<ClaimBasis>) -> u8 {
        let Some(c) = basis else { return 0 };
        let tier = match c.region_tier {
            Tier::A => 0,
            Tier::B => 1,
            Tier::C => 2,
        };
        1 | u8::from(c.emergency) << 1
            | u8::from(c.customer_tier == CustomerTier::Vip) << 2
            | tier << 3
    }

    /// The basis [`ClaimBasis::to_bits`] wrote (`None` for 0 or bits it never writes).
    pub fn from_bits(bits: u8) -> Option<ClaimBasis> {
        if bits & 1 == 0 || bits >> 5 != 0 {
            return None;
        }
        Some(ClaimBasis {
            region_tier: match (bits >> 3) & 3 {
                0 => Tier::A,
                1 => Tier::B,
                2 => Tier::C,
                _ => return None,
            },
            customer_tier: if bits & 4 != 0 {
                CustomerTier::Vip
            } else {
                CustomerTier::Standard
            },
            emergency: bits & 2 != 0,
        })
    }
}

/// One atomic booking step: book `booking` for `ticket_id` if the id is new and the
/// offer's and the outlet's counters for the day stay within their limits.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The ticket's id.
    pub ticket_id: &'a SmolStr,
    /// What to book; a hold's id is assigned by the ledger (the one given is ignored).
    pub booking: Booking,
    /// Most units the offer may have booked that day, this one included.
    pub offer_limit: u32,
    /// Most units the outlet may have booked that day (all skills), this one included.
    pub outlet_limit: u32,
}

/// What [`Ledger::book`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum Booked {
    /// Booked as requested; a hold has the id the ledger gave it (here).
    New(Option<u64>),
    /// The ticket id was known: its record (any status, with the id as stored),
    /// unchanged; nothing booked. (Boxed: the common answers stay small.)
    Existing(Box<(SmolStr, Booking)>),
    /// A counter would pass its limit: nothing booked (the load view is up to date, so a
    /// new search does not pick the same offer on stale loads).
    Full,
}

/// What [`Ledger::confirm`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum Confirmed {
    /// The hold is now a firm booking (also when it was confirmed before: a repeated
    /// confirm answers the same, and records nothing).
    Confirmed(SmolStr, Booking),
    /// The hold had expired: its booking is released (returned as it was).
    Expired(SmolStr, Booking),
    /// No such hold (never given, expired, released, completed or rolled out).
    Unknown,
}

/// What [`Ledger::complete`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum Completed {
    /// Completed now (the rating, if any, is recorded).
    Completed(SmolStr, Booking),
    /// Completed before: the record unchanged, the rating not counted again.
    Already(SmolStr, Booking),
    /// No such ticket.
    Unknown,
}

/// How a dispatcher numbers outlets, skills and offers: a ledger stores bookings in
/// these numbers, and translates its records (by outlet id and skill name) when a
/// dispatcher binds a new layout (after a network change).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Layout {
    /// Outlet ids by outlet index.
    pub outlets: Vec<SmolStr>,
    /// Skill names (`kind:category`) by skill index.
    pub skills: Vec<SmolStr>,
    /// (outlet index, skill index) by offer number.
    pub offers: Vec<(u32, u32)>,
    /// Days the counters cover from the first day (the policy's horizon).
    pub days: u32,
    /// Day 0, if the dispatcher knows it (a store that has one keeps its own).
    pub start: Option<NaiveDate>,
}

/// What a ledger holds when a dispatcher binds to it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Bound {
    /// Nothing was ever booked in it: the dispatcher preloads the network's `load`.
    pub fresh: bool,
    /// Day 0 of its bookings (the layout's when it had none).
    pub start: Option<NaiveDate>,
    /// The first day its counters cover (days before it have rolled out).
    pub first_day: u32,
    /// Ratings recorded by [`Ledger::complete`], per offer in the new layout:
    /// (offer, sum of ratings x 1000, count).
    pub ratings: Vec<(u32, u64, u32)>,
}

/// What a ledger holds and writes, for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LedgerStats {
    /// Ticket records held (booked, held, completed).
    pub tickets: u64,
    /// Records appended to durable storage since opened (0 in memory).
    pub records: u64,
    /// Disk flushes since opened: records / flushes is the group commit's size.
    pub flushes: u64,
    /// Bytes written to durable storage since opened.
    pub bytes: u64,
}

/// Everything a booking changes, behind one trait.
///
/// `offer` is a dispatcher's offer number and `outlet` an outlet index in the [`Layout`]
/// bound last. Implementations must never let a counter pass the limit a [`Request`]
/// gives, even when many threads (or processes) book at once, and must treat a ticket id
/// as booked at most once: [`Ledger::book`] is one atomic step.
///
/// Rules every ledger keeps: a known ticket id books nothing ([`Booked::Existing`]);
/// release and hold expiry return capacity and forget the ticket (it may book again);
/// completion keeps the capacity used and the id known; a completed booking cannot be
/// released and a held one cannot be completed (`Error::Conflict`); a confirmed hold
/// confirms again with the same answer until its booking is released, completed or
/// rolled out. Ledgers that persist must persist a change before returning from the
/// call that made it.
pub trait Ledger: Send + Sync {
    /// Units booked on an offer for a day: the view the search reads (exact for a
    /// ledger that sees every change, a cache for a store shared between processes).
    fn offer_used(&self, offer: usize, day: u32) -> u32;

    /// Units booked on an outlet (all skills) for a day (see [`Ledger::offer_used`]).
    fn outlet_used(&self, outlet: usize, day: u32) -> u32;

    /// The record of a ticket id (booked, held or completed), with the id as stored.
    fn get(&self, ticket_id: &str) -> Result<Option<(SmolStr, Booking)>>;

    /// Books the request if its ticket id is new and both counters stay within their
    /// limits, else says why not; atomically.
    fn book(&self, request: &Request<'_>) -> Result<Booked>;

    /// Turns hold `hold` into a firm booking, unless it expired at or before `now` (then
    /// it is released). A hold confirmed before answers its booking again.
    fn confirm(&self, hold: u64, now: NaiveDateTime) -> Result<Confirmed>;

    /// Cancels a booked or held ticket and returns its capacity; `None` for an unknown
    /// id. A completed ticket is refused (`Error::Conflict`).
    fn release(&self, ticket_id: &str) -> Result<Option<(SmolStr, Booking)>>;

    /// Marks a booked ticket done (its capacity stays used) and records the follow-up
    /// rating (x 1000) for its offer; a held ticket is refused (`Error::Conflict`:
    /// confirm it first).
    fn complete(&self, ticket_id: &str, rating_milli: Option<u32>) -> Result<Completed>;

    /// Releases every hold that expired at or before `now`; returns them as they were.
    fn expire_holds(&self, now: NaiveDateTime) -> Result<Vec<(SmolStr, Booking)>>;

    /// Sets the units committed outside this ledger (e.g. the outlet's `load` column) on
    /// an offer for a day; its counters move by the difference.
    fn set_load(&self, offer: usize, day: u32, units: u32) -> Result<()>;

    /// Binds a dispatcher's layout: counters and records are laid out (or translated) in
    /// its numbers. Called when a dispatcher is built and after a network change, with
    /// no other call running.
    fn bind(&mut self, layout: &Layout) -> Result<Bound>;

    /// Moves the first day counted to `first_day` (day roll-over): earlier days are
    /// dropped with the records booked on them (their ids are forgotten). No other call
    /// may run at the same time.
    fn roll(&mut self, first_day: u32) -> Result<()>;

    /// Records network changes applied together, all or none, so that a dispatcher
    /// reopening this store applies them again (stores that do not outlive the process
    /// ignore them). `seen`: how many recorded lists the dispatcher has applied; a store
    /// shared between processes records this list as number `seen` and refuses it
    /// (`Error::Conflict`) if another process took that number first.
    fn record_changes(&self, _seen: u64, _changes: &[super::NetworkChange]) -> Result<()> {
        Ok(())
    }

    /// The network change lists recorded in a store shared between processes, from
    /// number `from` on, in order (every process applies the same lists in the same
    /// order). Stores of one process return none: their dispatcher made every change.
    fn network_changes_from(&self, _from: u64) -> Result<Vec<Vec<super::NetworkChange>>> {
        Ok(Vec::new())
    }

    /// Whether the store holds more than `seen` network change lists (a cheap check of
    /// [`Ledger::network_changes_from`]).
    fn network_changes_behind(&self, _seen: u64) -> Result<bool> {
        Ok(false)
    }

    /// What the ledger holds and writes, for metrics.
    fn stats(&self) -> LedgerStats {
        LedgerStats::default()
    }

    /// Brings the load view ([`Ledger::offer_used`], [`Ledger::outlet_used`]) up to
    /// date with the store, for a report of the loads. A store in this process is always
    /// up to date (the default does nothing); a store shared with other processes reads
    /// what they changed since.
    fn refresh(&self) -> Result<()> {
        Ok(())
    }

    /// Whether [`Ledger::get`] answers from this process's memory (cheap): dispatch then
    /// looks a ticket id up before searching. A store across the network answers
    /// `false`: its [`Ledger::book`] checks the id in the same round trip (one round trip
    /// per booking), and dispatch asks `get` only when the search finds no outlet, so a
    /// retry still gets its booking; then it searches once more, so such a store's `get`
    /// should bring its view of the loads up to date in the same round trip (another
    /// process may have freed capacity this view still shows as used).
    fn local_reads(&self) -> bool {
        true
    }

    /// Whether every change to the store goes through this object (no other process
    /// books on it): the dispatcher may then remember that capacity was full until a
    /// release.
    fn sole_writer(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every basis survives the stores' five bits, and bits no basis writes (0: records
    /// written before the basis was kept) read as unknown.
    #[test]
    fn claim_bases_round_trip_through_their_bits() {
        let mut seen = std::collections::BTreeSet::new();
        for region_tier in [Tier::A, Tier::B, Tier::C] {
            for customer_tier in [CustomerTier::Standard, CustomerTier::Vip] {
                for emergency in [false, true] {
                    let b = ClaimBasis {
                        region_tier,
                        customer_tier,
                        emergency,
                    };
                    let bits = ClaimBasis::to_bits(Some(b));
                    assert!((1..32).contains(&bits), "{bits}");
                    assert_eq!(ClaimBasis::from_bits(bits), Some(b));
                    seen.insert(bits);
                }
            }
        }
        assert_eq!(seen.len(), 12);
        assert_eq!(ClaimBasis::to_bits(None), 0);
        for bits in (0..=u8::MAX).filter(|b| !seen.contains(b)) {
            assert_eq!(ClaimBasis::from_bits(bits), None, "{bits}");
        }
    }
}
