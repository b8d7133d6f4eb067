#!/usr/bin/env bash
# Speed of `servnet serve` measured with wrk on loopback (BENCHMARKS.md, "Session 6:
# service"):
#   1. durable dispatches/s and p50/p99 latency (journal + group commit), then the same
#      in memory (--ledger memory), each on a fresh server;
#   2. journal bytes per booking (from /metrics);
#   3. restart time of a state folder holding 1M bookings: the durable server is loaded
#      until it holds BOOKINGS tickets, killed with SIGKILL, and started again: the time
#      from exec until /healthz answers, and the restore time the server reports.
# The network is data/sample with every capacity x10 (so that 1M bookings fit in the
# 7-day horizon). Tickets are the sample's places and skills under new ids.
#
#   bash scripts/bench_serve.sh                 # 20 s per run, 64 connections
#   DURATION=30s CONNS=128 BOOKINGS=1000000 bash scripts/bench_serve.sh
#   SERVNET_BIN=path/to/servnet bash scripts/bench_serve.sh   # no build
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

DURATION=${DURATION:-20s}
CONNS=${CONNS:-64}
WRK_THREADS=${WRK_THREADS:-1}
BOOKINGS=${BOOKINGS:-1000000}
TOKEN=bench-token-0123456789abcdef

command -v wrk >/dev/null || { echo "installing wrk"; apt-get install -y wrk >/dev/null; }
if [[ -z "${SERVNET_BIN:-}" ]]; then
    cargo build --release -p servnet-cli >&2
fi
BIN="${SERVNET_BIN:-$TARGET_DIR/release/servnet}"

work=$(mktemp -d)
server=""
cleanup() {
    [[ -n "$server" ]] && kill -9 "$server" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# The network x10 and the tickets as a Lua table.
"$PY" - "$ROOT/data/sample" "$work" <<'EOF'
import csv, os, shutil, sys
src, work = sys.argv[1], sys.argv[2]
data = os.path.join(work, "data")
os.makedirs(data)
for f in ["regions.csv", "regions.geojson", "outlet_areas.geojson"]:
    if os.path.exists(os.path.join(src, f)):
        shutil.copy(os.path.join(src, f), data)
def scale(name, cols):
    with open(os.path.join(src, name), newline="") as i, open(os.path.join(data, name), "w", newline="") as o:
        r = csv.DictReader(i)
        w = csv.DictWriter(o, r.fieldnames, lineterminator="\n")
        w.writeheader()
        for row in r:
            for c in cols:
                row[c] = str(int(row[c]) * 10)
            w.writerow(row)
scale("outlets.csv", ["daily_cap"])
scale("outlet_skills.csv", ["daily_capacity"])
with open(os.path.join(src, "tickets.csv"), newline="") as i, open(os.path.join(work, "tickets.lua"), "w") as o:
    o.write("return {\n")
    for row in csv.DictReader(i):
        o.write('{"%s","%s","%s","%s"},\n' % (row["lon"], row["lat"], row["region"], row["skill"]))
    o.write("}\n")
EOF
echo "$TOKEN" > "$work/tokens.txt"
cat > "$work/dispatch.lua" <<'EOF'
-- POST /v1/dispatch, a new ticket id per request (the sample's places and skills).
local tickets = dofile(os.getenv("TICKETS_LUA"))
local count = 0
function setup(thread)
    count = count + 1
    thread:set("tid", count)
end
function init(args)
    n = 0
    run = os.getenv("RUN") or "r"
    wrk.method = "POST"
    wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
    wrk.headers["Content-Type"] = "application/json"
end
function request()
    n = n + 1
    local t = tickets[(n * 7919 + (tid or 1) * 104729) % #tickets + 1]
    local body = string.format(
        '{"id":"%s-%d-%d","lon":%s,"lat":%s,"region":"%s","skill":"%s"}',
        run, tid or 1, n, t[1], t[2], t[3], t[4])
    return wrk.format(nil, "/v1/dispatch", nil, body)
end
function done(summary, latency, requests)
    io.write(string.format("RESULT requests=%d seconds=%.2f rps=%.0f p50_us=%d p90_us=%d p99_us=%d errors=%d non2xx=%d\n",
        summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
        latency:percentile(50), latency:percentile(90), latency:percentile(99),
        summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
        summary.errors.status))
end
EOF
export TICKETS_LUA="$work/tickets.lua" TOKEN

port=18419
start() { # start LEDGER_ARGS...: starts the server, waits for /healthz
    "$BIN" serve "$work/data" --listen "127.0.0.1:$port" --token-file "$work/tokens.txt" "$@" \
        2>>"$work/server.log" &
    server=$!
    for _ in $(seq 1 600); do
        curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && return 0
        sleep 0.05
    done
    echo "server did not start:"; cat "$work/server.log"; exit 1
}
metric() { # metric NAME: sum of a Prometheus metric's samples
    curl -s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$port/metrics" |
        awk -v m="$1" '$1 ~ "^"m"({|$)" {s += $NF} END {printf "%.0f\n", s}'
}
load() { # load RUN: one wrk run, prints its RESULT line
    RUN=$1 wrk -t"$WRK_THREADS" -c"$CONNS" -d"$DURATION" --latency -s "$work/dispatch.lua" \
        "http://127.0.0.1:$port" | grep RESULT
}

echo "# servnet serve with wrk: $CONNS connections, $WRK_THREADS wrk thread(s), $DURATION per run"
echo "# machine: $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"

start --ledger memory
echo "memory:  $(load mem)  assigned=$(curl -s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$port/metrics" | awk '/servnet_dispatches_total\{outcome="assigned"\}/ {print $NF}')"
kill -9 "$server"; wait "$server" 2>/dev/null || true; server=""

# The floor under any durable answer: this disk's fdatasync latency (64-byte appends),
# measured right before the durable run, on the state folder's file system.
"$PY" - "$work" <<'EOF'
import os, sys, time
path = os.path.join(sys.argv[1], "fsync-probe")
fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
lat = []
for _ in range(300):
    t = time.perf_counter()
    os.write(fd, b"x" * 64)
    os.fdatasync(fd)
    lat.append(time.perf_counter() - t)
os.close(fd)
os.unlink(path)
lat.sort()
print("fsync:   write+fdatasync of 64 B x 300: p50_us=%d p99_us=%d (%.0f flushes/s one at a time)"
      % (lat[150] * 1e6, lat[296] * 1e6, len(lat) / sum(lat)))
EOF
start --state "$work/state"
echo "durable: $(load dur)  assigned=$(curl -s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$port/metrics" | awk '/servnet_dispatches_total\{outcome="assigned"\}/ {print $NF}')"
records=$(metric servnet_journal_records_total)
flushes=$(metric servnet_journal_flushes_total)
bytes=$(metric servnet_journal_bytes_total)
echo "journal: records=$records flushes=$flushes records_per_flush=$(( records / (flushes > 0 ? flushes : 1) )) bytes=$bytes bytes_per_record=$(( bytes / (records > 0 ? records : 1) ))"

# Fill the state folder up to BOOKINGS tickets, then kill -9 and time the restart.
while (( $(metric servnet_ledger_tickets) < BOOKINGS )); do
    load "fill$RANDOM" >/dev/null
done
tickets=$(metric servnet_ledger_tickets)
kill -9 "$server"; wait "$server" 2>/dev/null || true; server=""
echo "state:   tickets=$tickets folder_bytes=$(du -sb "$work/state" | cut -f1) files=$(ls "$work/state" | tr '\n' ' ')"
t0=$(date +%s.%N)
start --state "$work/state"
t1=$(date +%s.%N)
echo "restart: $(echo "$t1 - $t0" | bc) s from exec to /healthz 200 with $(metric servnet_ledger_tickets) tickets"
grep "restored" "$work/server.log" | tail -1
