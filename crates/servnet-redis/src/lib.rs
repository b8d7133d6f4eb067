//! servnet's shared ledger on Redis: several dispatch processes, on one machine or
//! many, book one capacity and never overbook it.
//!
//! Redis is the authority for the capacity counters per (outlet skill, day) and per
//! (outlet, day), for each ticket id's booking (so a retry on any process returns the
//! original booking) and for holds with their expiry. Each change is one Lua script,
//! atomic on the server: a booking checks and reserves every counter it needs and
//! records the ticket in one step and one round trip. Dispatch processes keep searching
//! on a local view of the loads, which every reply brings up to date from a log of
//! changes; when Redis refuses a booking (another process took the last units), the
//! dispatcher moves on to the next candidate.
//!
//! The key layout (one hash tag per namespace, so it works on Redis Cluster) and the
//! durability settings are described in docs/redis-ledger.md.

mod config;
mod error;
mod keys;
mod ledger;
mod pool;
mod reply;
mod store;
mod view;

pub use config::{redact, RedisConfig};
pub use error::{Error, Result};
pub use ledger::RedisLedger;
pub use reply::{Change, Changes, State, StoredBooking};
pub use store::{BookRequest, Booked, Completed, Confirmed, RedisStore, Released, Since, Snapshot};

/// A dispatch ledger chosen by URL, for
/// [`servnet_core::dispatch::Dispatcher::with_ledger`]:
///
/// - `memory`: in this process only (what `Dispatcher::new` uses);
/// - `redis://[:PASSWORD@]HOST:PORT/DB[?namespace=NAME&timeout_ms=MS]` (or
///   `redis+unix://`, `unix://`): shared by every dispatcher on that Redis and namespace,
///   which together never book an outlet past its capacity ([`RedisLedger`]; the policy
///   needs a `start_date` unless the namespace has one).
///
/// An unknown kind or a bad URL is an `Error::Argument` naming `ledger`; an unreachable
/// Redis an `Error::Ledger`.
pub fn open_ledger(url: &str) -> servnet_core::Result<Box<dyn servnet_core::dispatch::Ledger>> {
    if url == "memory" {
        return Ok(Box::new(servnet_core::dispatch::MemoryLedger::new()));
    }
    if is_redis_url(url) {
        return Ok(Box::new(RedisLedger::connect(url)?));
    }
    Err(servnet_core::Error::argument(
        "ledger",
        format!(
            "expected 'memory' or redis://HOST:PORT/DB, got '{}'",
            redact(url)
        ),
    ))
}

/// Whether `url` names a Redis ledger (`redis://`, `redis+unix://`, `unix://`).
pub fn is_redis_url(url: &str) -> bool {
    ["redis://", "redis+unix://", "unix://"]
        .iter()
        .any(|s| url.starts_with(s))
}
