#!/usr/bin/env bash
# Installs what servnet needs and is missing: cmake and libclang-dev (to build HiGHS),
# redis-server (the shared ledger's tests and benchmarks), chromium and libjs-leaflet
# (the interactive map's browser test) with apt-get, and the
# pinned Python tools of python/requirements-dev.txt with pip.
# Safe to run again: it installs nothing that is already there.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

if ! command -v cargo >/dev/null 2>&1; then
    echo "setup: cargo not found; install Rust first (https://rustup.rs)" >&2
    exit 1
fi

as_root() {
    if [[ "$(id -u)" -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

apt_missing=()
command -v cmake >/dev/null 2>&1 || apt_missing+=(cmake)
dpkg -s libclang-dev >/dev/null 2>&1 || apt_missing+=(libclang-dev)
command -v redis-server >/dev/null 2>&1 || apt_missing+=(redis-server)
# The map tests: explore()'s page is opened in headless Chromium, offline, with Debian's
# Leaflet (explore(offline=True) inlines /usr/share/javascript/leaflet).
command -v chromium >/dev/null 2>&1 || apt_missing+=(chromium)
[[ -f /usr/share/javascript/leaflet/leaflet.js ]] || apt_missing+=(libjs-leaflet)

# Debian's own Python refuses pip installs outside a virtualenv (PEP 668): use .venv.
externally_managed() {
    "$PY" - <<'PYEOF'
import os, sys, sysconfig
in_venv = sys.prefix != sys.base_prefix
marker = os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")
sys.exit(0 if not in_venv and os.path.exists(marker) else 1)
PYEOF
}
make_venv=false
if externally_managed; then
    make_venv=true
    "$PY" -m venv --help >/dev/null 2>&1 && "$PY" -c 'import ensurepip' 2>/dev/null \
        || apt_missing+=(python3-venv)
fi

if ((${#apt_missing[@]})); then
    echo "setup: apt-get install ${apt_missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_missing[@]}"
fi

if $make_venv; then
    echo "setup: system Python is externally managed; using $ROOT/.venv"
    "$PY" -m venv "$ROOT/.venv"
    PY="$ROOT/.venv/bin/python"
fi

# pip only when a pinned version is missing (no network needed on a second run).
if ! "$PY" - python/requirements-dev.txt <<'PYEOF'
import sys
from importlib import metadata
for line in open(sys.argv[1]):
    line = line.split("#")[0].strip()
    if not line:
        continue
    name, _, version = line.partition("==")
    try:
        if metadata.version(name) != version:
            sys.exit(1)
    except metadata.PackageNotFoundError:
        sys.exit(1)
PYEOF
then
    echo "setup: pip install -r python/requirements-dev.txt"
    "$PY" -m pip install -q --disable-pip-version-check --root-user-action=ignore -r python/requirements-dev.txt
fi
echo "setup: ok (cmake, libclang-dev, $(redis-server --version | cut -d' ' -f3), $("$PY" --version), maturin $("$PY" -m maturin --version | cut -d' ' -f2))"
