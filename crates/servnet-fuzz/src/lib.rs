//! The bodies of servnet's fuzz targets, one function per input surface. Each takes
//! arbitrary bytes, drives servnet with them and checks an invariant, **panicking when
//! the invariant fails** (that is how a fuzzer learns of a finding): any bytes must give
//! an error or a correct result, never a panic, an abort or a runaway allocation.
//!
//! Two drivers share them:
//! - `fuzz/fuzz_targets/*.rs` (cargo-fuzz and libFuzzer, `scripts/fuzz.sh SECONDS`): the
//!   real, coverage-guided runs, minutes per target.
//! - this crate's tests (`cargo test -p servnet-fuzz`, part of CI's `cargo test`): every
//!   seed of `fuzz/corpus/<target>/`, mutations of the seeds and seeded pseudo-random
//!   inputs, a bounded count per target (the smoke-sized fuzz that shares CI's build).
//!
//! Not part of servnet's API.
#![deny(missing_docs)]

mod dispatcher_ops;
mod fixture;
mod policy_json;
mod quota_json;
mod read_dir;

pub use dispatcher_ops::{dispatcher_ops, Op, TicketSpec};
pub use policy_json::policy_json;
pub use quota_json::quota_json;
pub use read_dir::{join_files, read_dir, FILES};

use std::path::PathBuf;

/// A fuzz target: its name (the folder under `fuzz/corpus/` and the cargo-fuzz binary)
/// and its body.
pub struct Target {
    /// Name of the target.
    pub name: &'static str,
    /// The body: panics when an invariant fails.
    pub run: fn(&[u8]),
}

/// Every target, in the order `scripts/fuzz.sh` runs them.
pub const TARGETS: [Target; 4] = [
    Target {
        name: "read_dir",
        run: read_dir,
    },
    Target {
        name: "policy_json",
        run: policy_json,
    },
    Target {
        name: "quota_json",
        run: quota_json,
    },
    Target {
        name: "dispatcher_ops",
        run: dispatcher_ops,
    },
];

/// `fuzz/corpus/<target>/`: the seeds committed with the repository.
pub fn corpus_dir(target: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target)
}
