//! servnet's cross-module integration tests: one binary (so HiGHS links once), one module
//! per property.

// Test helpers outside `#[test]` functions fail by panicking too.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod assign_plan;
mod assign_side;
mod bounded_inputs;
mod dispatch_durable;
mod dispatch_invariants;
mod dispatch_stress;
mod highs_smoke;
mod idempotency;
mod io_errors;
mod io_never_panics;
mod plan_chain;
mod sample_data;
