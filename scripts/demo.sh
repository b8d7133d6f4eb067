#!/usr/bin/env bash
# servnet's main job on the sample network. For now: load and validate every file of
# data/sample and print the summary; dispatch and planning join as they land.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

bash scripts/setup.sh
cargo build --release -p servnet-cli
"$TARGET_DIR/release/servnet" validate data/sample
