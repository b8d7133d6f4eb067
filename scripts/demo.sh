#!/usr/bin/env bash
# servnet's main job on the sample network: load and validate every file of data/sample,
# dispatch the sample day's tickets one by one and print the dispatch summary, then plan
# next year's outlets (forecast -> demand cells -> cost-service frontier -> recommended plan -> replay).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

bash scripts/setup.sh
cargo build --release -p servnet-cli
"$TARGET_DIR/release/servnet" validate data/sample
"$TARGET_DIR/release/servnet" dispatch data/sample --out "$TARGET_DIR/assignments.csv"
"$TARGET_DIR/release/servnet" plan data/sample --year 2026 --out "$TARGET_DIR/plan.csv" --frontier "$TARGET_DIR/frontier.csv"
