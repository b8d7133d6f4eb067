//! servnet engine: the domain model, geography, per-ticket dispatch, batch assignment,
//! capacity planning and file I/O for an after-sales service network.
//!
//! Data flows one way: files -> [`io`] -> [`model::Network`] -> [`dispatch`] /
//! [`assign`] / [`plan`] -> plain result structs.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod assign;
#[cfg(feature = "bench")]
pub mod bench;
pub mod campaign;
pub mod cost;
pub mod dispatch;
mod error;
pub mod geo;
pub mod io;
pub mod model;
pub mod plan;
pub mod review;
mod rng;
mod solver;
#[doc(hidden)]
pub mod testing;

pub use error::{Error, Issue, Location, Result};
pub use solver::progress::{observed, significant, Progress};

/// Re-exported so callers build tickets and polygons with the same versions.
pub use chrono;
