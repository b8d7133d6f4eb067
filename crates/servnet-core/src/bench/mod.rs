//! Benchmark-only code, built with the `bench` feature (off by default, so neither the
//! library nor the Python extension carries it): instance generators and readers for
//! comparing servnet with peer solvers, and a second GAP solver measured against
//! OR-Library's published optima. Benches, examples, tests and the CLI's hidden
//! `bench-*` commands turn the feature on.

pub mod assign_phases;
pub mod gap;
pub mod location;
pub(crate) mod orlib_tokens;
pub mod peak;
pub mod synthetic;
pub mod transport;
