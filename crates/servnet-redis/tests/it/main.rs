//! The Redis ledger's tests against a real Redis, in one binary (servnet-core and HiGHS
//! link once): the atomic steps (`store`), dispatch processes with faults
//! (`processes`), the idempotency rules across dispatchers (`rules`), the load
//! views (`views`), and network changes shared between dispatchers (`network`).

// Test helpers outside `#[test]` functions fail by panicking too.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

mod common;
mod network;
mod processes;
mod rules;
mod store;
mod views;
