#!/usr/bin/env bash
# Speed of the shared Redis ledger: tickets/s and dispatch latency with 1, 2 and 4
# dispatch processes on a loopback Redis, round trips per booking, and a check of every
# run's bookings against capacity. Peers in the same run: the same processes on the
# in-memory ledger (no sharing); redis-benchmark's INCR (Redis's floor for one round
# trip) and a plain script doing the booking step's commands (Redis's floor for that
# work), at the same concurrency.
#
#   bash scripts/bench_redis.sh                       # appendfsync everysec
#   SERVNET_REDIS_FSYNC=always bash scripts/bench_redis.sh
#
# Environment: PROCS ("1 2 4"), THREADS per process (2), TICKETS per process (40000),
# OUTLETS (10000), SERVNET_REDIS_URL to use an existing Redis instead of starting one.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

PROCS=${PROCS:-"1 2 4"}
THREADS=${THREADS:-2}
TICKETS=${TICKETS:-40000}
OUTLETS=${OUTLETS:-10000}

cargo build --release -q -p servnet-redis --features bench --bin ledger-load
LOAD="$TARGET_DIR/release/ledger-load"

if [[ -z "${SERVNET_REDIS_URL:-}" ]]; then
    eval "$(bash scripts/redis.sh start)"
    trap 'bash scripts/redis.sh stop "$SERVNET_REDIS_DIR"' EXIT
fi
base=${SERVNET_REDIS_URL%%\?*}
port=$(python3 -c "import sys, urllib.parse as u; print(u.urlparse(sys.argv[1]).port or 6379)" "$base")
cli() { redis-cli -p "$port" "$@"; }
echo "redis: $base, appendfsync $(cli config get appendfsync | tail -1), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

# Every process: the same 10k-outlet network (capacity ample: the common case, a booking
# on the first try), its own tickets (from = p x TICKETS).
net=(--outlets "$OUTLETS" --cities 300 --categories 20 --skills-per-outlet 15
     --capacity 400 --daily-cap 3000 --horizon-days 3 --seed 7)
total=$((TICKETS * 4))

run() { # run LEDGER NPROCS -> prints one row
    local ledger=$1 n=$2 out
    out=$(mktemp -d)
    local t0 t1
    t0=$(date +%s.%N)
    for ((p = 0; p < n; p++)); do
        "$LOAD" "${net[@]}" --ledger "$ledger" --tickets "$total" --from $((p * TICKETS)) \
            --count "$TICKETS" --threads "$THREADS" --quiet 2>"$out/$p.json" &
    done
    wait
    t1=$(date +%s.%N)
    python3 - "$out" "$n" "$t0" "$t1" <<'PY'
import json, sys, pathlib
out, n, t0, t1 = pathlib.Path(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
rows = [json.loads(pathlib.Path(out, f"{p}.json").read_text().splitlines()[-1]) for p in range(n)]
tickets = sum(r["tickets"] for r in rows)
# Throughput over the slowest process's dispatch time (start-up excluded).
secs = max(r["secs"] for r in rows)
print(f"{tickets / secs:10.0f} tickets/s  p50 {max(r['p50_us'] for r in rows):7.1f} us  "
      f"p99 {max(r['p99_us'] for r in rows):7.1f} us  (worst process; per process: "
      + ", ".join(f"{r['tickets_per_s']:.0f}/s p50 {r['p50_us']:.0f} p99 {r['p99_us']:.0f}" for r in rows)
      + f")  requests/ticket {sum(r['requests'] for r in rows) / max(tickets, 1):.3f}")
PY
    rm -rf "$out"
}

printf '\n%-22s %s\n' "in-memory ledger" "(each process its own capacity: no sharing)"
for n in $PROCS; do
    printf '  %d process(es) x %d threads: ' "$n" "$THREADS"
    run memory "$n"
done

printf '\n%-22s\n' "Redis ledger"
for n in $PROCS; do
    ns="bench-$n-$$-$RANDOM"
    url="$base?namespace=$ns"
    cli config resetstat >/dev/null
    printf '  %d process(es) x %d threads: ' "$n" "$THREADS"
    run "$url" "$n"
    calls=$(cli info commandstats | tr -d '\r' | awk -F'[=,:]' '/^cmdstat_/ {s += $3} END {print s}')
    evals=$(cli info commandstats | tr -d '\r' | awk -F'[=,:]' '/^cmdstat_evalsha/ {print $3}')
    printf '    Redis received %s commands (%s EVALSHA) for %d tickets: ' "$calls" "${evals:-0}" $((n * TICKETS))
    "$LOAD" "${net[@]}" --ledger "$url" --tickets "$total" --verify
    # Free the memory for the next run.
    cli --scan --pattern "{$ns}:*" | xargs -r -n 1000 redis-cli -p "$port" unlink >/dev/null
done

printf '\n%s\n' "Peers on the same Redis at the same concurrency (redis-benchmark, one round trip each):"
# INCR: Redis's floor for one round trip. The book step's commands as one plain script
# (no checks, no reply built): Redis's floor for the work one booking does.
book_like="redis.call('HMGET', KEYS[1], 'f', 'd', 'u', 'b', 'c', 'h', 'x', 's')
redis.call('HMGET', KEYS[2], ARGV[1], '|O1')
redis.call('HSET', KEYS[2], ARGV[1], 1, '|O1', 1)
redis.call('HSET', KEYS[1], 'f', ARGV[1], 'd', '2026-11-23', 'u', 1, 'b', '1.25 0.5 4.1 0 1 0', 'c', '', 'h', 0, 'x', '', 's', 'booked')
redis.call('SADD', KEYS[3], ARGV[2])
redis.call('INCR', KEYS[4])
redis.call('RPUSH', KEYS[5], 'L|2026-11-23|1|1|' .. ARGV[1])
return 1"
peer() { # peer LABEL CLIENTS redis-benchmark args...
    local label=$1 c=$2
    shift 2
    redis-benchmark -p "$port" -n 100000 -c "$c" -r 100000000 --csv "$@" 2>/dev/null | tail -1 |
        python3 -c "import csv, sys; r = next(csv.reader(sys.stdin)); print(f'  {sys.argv[1]:>12} {sys.argv[2]:>2} clients: {float(r[1]):8.0f} /s  p50 {1000 * float(r[4]):6.1f} us  p99 {1000 * float(r[6]):7.1f} us')" "$label" "$c"
}
for n in $PROCS; do
    c=$((n * THREADS))
    peer INCR "$c" -t incr
    peer "book-like" "$c" eval "$book_like" 5 "{peer}:t:__rand_int__" "{peer}:load" "{peer}:day" "{peer}:seq" "{peer}:log" "repair:tv|O__rand_int__" "__rand_int__"
done
cli --scan --pattern "{peer}:*" | xargs -r -n 1000 redis-cli -p "$port" unlink >/dev/null
