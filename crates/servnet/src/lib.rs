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
pub use servnet_redis::{open_ledger, RedisConfig, RedisLedger};

/// The README's Rust example runs as a doctest, so it cannot drift from the code.
#[doc = include_str!("../../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
