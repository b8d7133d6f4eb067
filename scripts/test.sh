#!/usr/bin/env bash
# Every check CI runs: formatting, lints, all Rust tests, then the Python package built
# with maturin, installed into the current Python, and its pytest suite. The tests of the
# shared Redis ledger run against the Redis named by SERVNET_REDIS_URL, or else against a
# redis-server this script starts on a free loopback port (scripts/redis.sh) and stops
# at the end; without redis-server those tests fail and say so.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

step() { printf '\n== %s\n' "$*"; }

# Everything to undo on exit (the throw-away Redis, the fresh venv), in one EXIT trap:
# a second `trap ... EXIT` would replace the first and leave redis-server running.
cleanup=()
run_cleanup() {
    local c
    for c in "${cleanup[@]}"; do eval "$c" || true; done
}
trap run_cleanup EXIT

bash scripts/setup.sh
if [[ -n "${SERVNET_BENCHMARKS:-}" ]]; then
    echo "benchmarks: $SERVNET_BENCHMARKS"
else
    echo "benchmarks: SERVNET_BENCHMARKS not set and ../shared/benchmarks absent; benchmark tests skip"
fi

if [[ -n "${SERVNET_REDIS_URL:-}" ]]; then
    echo "redis: $SERVNET_REDIS_URL (SERVNET_REDIS_URL)"
else
    # An assignment, not `eval "$(...)"`: set -e stops here when redis.sh cannot start a
    # server (no redis-server installed), with its message, instead of running on
    # without SERVNET_REDIS_URL.
    redis_env="$(bash scripts/redis.sh start)"
    eval "$redis_env"
    cleanup+=('bash scripts/redis.sh stop "$SERVNET_REDIS_DIR"')
    echo "redis: started $SERVNET_REDIS_URL in $SERVNET_REDIS_DIR"
fi

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings

step "cargo test (includes the smoke-sized fuzz: crates/servnet-fuzz replays every fuzz target)"
cargo test --workspace

step "python package (maturin, release)"
wheels="$TARGET_DIR/wheels"
rm -rf "$wheels"
"$PY" -m maturin build --release -m python/Cargo.toml -o "$wheels"
"$PY" -m pip install -q --disable-pip-version-check --root-user-action=ignore --force-reinstall --no-deps "$wheels"/servnet-*.whl

step "pytest"
"$PY" -m pytest -q python/tests

step "example notebooks (nbmake)"
"$PY" -m pytest -q --nbmake python/examples

step "fresh venv: pip install <wheel>[geo,plot], then the example notebook"
# The declared metadata is what is tested here, not the dev requirements: a brand-new venv
# gets only the wheel with its extras (plus the notebook runner pinned in
# requirements-dev.txt) and runs python/examples end to end. The pip cache keeps this cheap.
fresh="$(mktemp -d "${TMPDIR:-/tmp}/servnet-fresh.XXXXXX")"
cleanup+=('rm -rf "$fresh"')
"$PY" -m venv "$fresh/venv"
wheel="$(ls "$wheels"/servnet-*.whl)"
nbmake_pin="$(grep -E '^(nbmake|ipykernel)==' python/requirements-dev.txt | tr '\n' ' ')"
# shellcheck disable=SC2086
"$fresh/venv/bin/python" -m pip install -q --disable-pip-version-check \
    "$wheel[geo,plot]" $nbmake_pin
(cd "$fresh" && "$fresh/venv/bin/python" -m pytest -q -p no:cacheprovider --nbmake \
    "$ROOT/python/examples")
rm -rf "$fresh"

step "stubtest (python/servnet/_servnet.pyi against the built module)"
(cd /tmp && "$PY" -m mypy.stubtest --mypy-config-file "$ROOT/python/stubtest.ini" \
    --allowlist "$ROOT/python/stubtest-allowlist.txt" servnet._servnet)
