#!/usr/bin/env bash
# servnet's main job on the sample network: load and validate every file of data/sample,
# then dispatch the sample day's tickets one by one and print the dispatch summary.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

bash scripts/setup.sh
cargo build --release -p servnet-cli
"$TARGET_DIR/release/servnet" validate data/sample
"$TARGET_DIR/release/servnet" dispatch data/sample --out "$TARGET_DIR/assignments.csv"
