//! servnet: an engine for after-sales service networks.
//!
//! - [`model`]: validated network data (outlets, regions, skills, tickets, planning inputs)
//! - [`io`]: the data folder's CSV / JSON / GeoJSON files
//! - [`dispatch`]: per-ticket dispatch with a concurrent capacity ledger
//! - [`assign`]: batch (re-)assignment of a backlog, with bounds
//! - [`plan`]: forecast, staffing and outlet location
//! - [`open_ledger`]: the dispatch ledger by URL: in memory, or shared on Redis
//!   ([`RedisLedger`]) by several processes
//!
//! ```no_run
//! let data = servnet::io::read_dir(std::path::Path::new("data/sample"))?;
//! println!("{} outlets, {} tickets", data.network.outlets().len(), data.tickets.len());
//! # Ok::<(), servnet::Error>(())
//! ```
#![forbid(unsafe_code)]

pub use servnet_core::*;
pub use servnet_redis::{RedisConfig, RedisLedger};

/// A dispatch ledger chosen by URL, for [`dispatch::Dispatcher::with_ledger`]:
///
/// - `memory`: in this process only (what [`dispatch::Dispatcher::new`] uses);
/// - `redis://[:PASSWORD@]HOST:PORT/DB[?namespace=NAME&timeout_ms=MS]` (or
///   `redis+unix://`, `unix://`): shared by every dispatcher on that Redis and namespace,
///   which together never book an outlet past its capacity ([`RedisLedger`]; the policy
///   needs a `start_date` unless the namespace has one).
///
/// An unknown kind is an [`Error::Argument`] naming `ledger`; an unreachable Redis an
/// [`Error::Ledger`].
pub fn open_ledger(url: &str) -> Result<Box<dyn dispatch::Ledger>> {
    if url == "memory" {
        return Ok(Box::new(dispatch::MemoryLedger::new()));
    }
    if ["redis://", "redis+unix://", "unix://"]
        .iter()
        .any(|s| url.starts_with(s))
    {
        return Ok(Box::new(RedisLedger::connect(url)?));
    }
    Err(Error::argument(
        "ledger",
        format!(
            "expected 'memory' or redis://HOST:PORT/DB, got '{}'",
            servnet_redis::redact(url)
        ),
    ))
}

/// The README's Rust example runs as a doctest, so it cannot drift from the code.
#[doc = include_str!("../../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
