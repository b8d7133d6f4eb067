#!/usr/bin/env bash
# Peak memory (max RSS, /usr/bin/time -v) of dispatching a day of N tickets on the
# peak-season network: `servnet dispatch` (CLI), Python `dispatch_frame` on the tickets
# read with pandas, and the numpy + cKDTree greedy peer of scripts/peak_dispatch.py on
# the same files, in the same run.
#
# Usage: cargo build --release --example peak_dispatch -p servnet
#        cargo build --release -p servnet-cli
#        bash scripts/dispatch_memory.sh [TICKETS=1000000] [OUTLETS=10000]
# SERVNET_BIN=path/to/servnet measures another CLI build (e.g. main's, beside this one);
# SKIP_PYTHON=1 measures the CLI only; SKIP_CLI=1 the Python rows only. PEAK_BIN=path
# generates the network and tickets with another build of the peak_dispatch example
# (e.g. target/debug/examples/peak_dispatch: the same files, servnet-core is optimised
# in dev builds too).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
n="${1:-1000000}"
outlets="${2:-10000}"
py="${PY:-$root/.venv/bin/python}"
bin="${SERVNET_BIN:-$root/target/release/servnet}"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
"${PEAK_BIN:-$root/target/release/examples/peak_dispatch}" "$outlets" --tickets "$n" --write "$dir" >/dev/null 2>&1
echo "tickets.csv: $(wc -l <"$dir/tickets.csv") lines, $(du -m "$dir/tickets.csv" | cut -f1) MB"
rss() { /usr/bin/time -v "$@" 2>&1 >/dev/null | awk '/Maximum resident/ {printf "%.0f MB\n", $6 / 1024}'; }
echo "| run | max RSS |"
echo "|---|---|"
[[ -z "${SKIP_CLI:-}" ]] && echo "| servnet dispatch (CLI) | $(rss "$bin" dispatch "$dir" --out "$dir/out.csv") |"
[[ -n "${SKIP_PYTHON:-}" ]] && exit 0
echo "| Python dispatch_frame | $(rss "$py" -c "
import pandas as pd, servnet
net = servnet.Network.from_dir('$dir')
df = pd.read_csv('$dir/tickets.csv', keep_default_na=False)
d = servnet.Dispatcher(net, servnet.Policy(start_date=pd.Timestamp(df['created_at'].min()).date()))
out = d.dispatch_frame(df)
assert len(out) == len(df)
") |"
echo "| Python: pandas read_csv of the tickets alone | $(rss "$py" -c "
import pandas as pd
df = pd.read_csv('$dir/tickets.csv', keep_default_na=False)
") |"
echo "| numpy + cKDTree greedy peer | $(rss "$py" -c "
import sys, pandas as pd
sys.path.insert(0, '$root/scripts')
from peak_dispatch import peer
from pathlib import Path
df = pd.read_csv('$dir/tickets.csv', keep_default_na=False)
peer(Path('$dir'), df)
") |"
