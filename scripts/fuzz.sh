#!/usr/bin/env bash
# Runs each cargo-fuzz target of fuzz/ for SECONDS (default 60): the data-folder readers,
# the policy and quota JSON, and an operation stream against the Dispatcher with the
# ledger checked after every step. Installs cargo-fuzz if missing (safe to run again).
# The targets' bodies are crates/servnet-fuzz; CI does not run this script (its own build
# compiles HiGHS again for cargo-fuzz's --target): `cargo test` replays the seeds and a
# bounded set of mutated and random inputs through the same bodies instead.
#
#   bash scripts/fuzz.sh [SECONDS] [TARGET...]
#
# cargo-fuzz needs nightly-only compiler flags: on stable Rust, RUSTC_BOOTSTRAP=1 lets
# the stable compiler accept them. Targets build without a sanitizer (the crates forbid
# unsafe code; the runs look for panics, aborts, overflows -- debug assertions are on --
# timeouts and runaway memory). New inputs go to fuzz/work/<target> (not committed);
# fuzz/corpus/<target> holds the seeds. A crash leaves its input in fuzz/artifacts/ and
# fails the script.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

secs=${1:-60}
shift || true
targets=("$@")
if ((${#targets[@]} == 0)); then
    targets=(read_dir policy_json quota_json dispatcher_ops)
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz: cargo install cargo-fuzz"
    cargo install cargo-fuzz --locked --quiet
fi
export RUSTC_BOOTSTRAP=1

cd fuzz
# Build first, so that a build failure fails the script (the runs' output is filtered).
cargo fuzz build --sanitizer none --debug-assertions
for t in "${targets[@]}"; do
    mkdir -p "work/$t"
    echo "fuzz: $t for ${secs} s"
    cargo fuzz run --sanitizer none --debug-assertions "$t" "work/$t" "corpus/$t" -- \
        -max_total_time="$secs" -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
        2>&1 | grep -E "^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb|==|SUMMARY|thread|.*panicked|Done)" || true
    if compgen -G "artifacts/$t/crash-*" >/dev/null || compgen -G "artifacts/$t/oom-*" >/dev/null \
        || compgen -G "artifacts/$t/timeout-*" >/dev/null; then
        echo "fuzz: $t found a failing input:" artifacts/"$t"/* >&2
        exit 1
    fi
done
echo "fuzz: ok (${targets[*]}, ${secs} s each)"
