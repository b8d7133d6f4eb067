//! cargo-fuzz target: the body and its invariants are `servnet_fuzz::dispatcher_ops`
//! (crates/servnet-fuzz), which CI's `cargo test` also replays.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| servnet_fuzz::dispatcher_ops(data));
