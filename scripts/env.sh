# Sourced by the scripts in this folder: the repository root as working directory, and
# the environment servnet's builds and tests read. Not meant to be run on its own.

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

# Rust installed by rustup but not on PATH (a fresh login shell).
if ! command -v cargo >/dev/null 2>&1 && [[ -x "$HOME/.cargo/bin/cargo" ]]; then
    export PATH="$HOME/.cargo/bin:$PATH"
fi

# OR-Library benchmark instances, when the shared folder is checked out beside the repo.
if [[ -z "${SERVNET_BENCHMARKS:-}" && -d "$ROOT/../shared/benchmarks" ]]; then
    SERVNET_BENCHMARKS="$(cd "$ROOT/../shared/benchmarks" && pwd)"
    export SERVNET_BENCHMARKS
fi

# CI clones afresh each run: keep the build (HiGHS takes minutes) outside the clone.
if [[ "${CI:-}" == "true" && -z "${CARGO_TARGET_DIR:-}" ]]; then
    export CARGO_TARGET_DIR="$HOME/.cache/servnet-target"
fi
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"

# The Python to build and test with: the active virtualenv, else the repository's .venv
# (setup.sh makes it where the system Python is externally managed), else python3.
if [[ -n "${VIRTUAL_ENV:-}" ]]; then
    PY="$VIRTUAL_ENV/bin/python"
elif [[ -x "$ROOT/.venv/bin/python" ]]; then
    PY="$ROOT/.venv/bin/python"
else
    PY=python3
fi
