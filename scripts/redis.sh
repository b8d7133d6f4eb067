#!/usr/bin/env bash
# Starts or stops a throw-away redis-server for servnet's tests and benchmarks: loopback
# only, a free port, append-only file (AOF) in its own temporary folder.
#
#   eval "$(bash scripts/redis.sh start)"     # exports SERVNET_REDIS_URL and SERVNET_REDIS_DIR
#   bash scripts/redis.sh stop "$SERVNET_REDIS_DIR"
#
# `start [DIR]` uses DIR (made if missing) or a new temporary folder, and prints the two
# `export` lines. AOF is fsynced once a second (`appendfsync everysec`, Redis's default:
# a crash of the machine loses at most about a second of bookings; a crash of redis-server
# alone loses none). SERVNET_REDIS_FSYNC=always fsyncs before every reply (nothing
# acknowledged is lost even when the machine fails, at a cost in throughput), `no` leaves
# it to the OS. `stop DIR` shuts the server down and removes DIR.
set -euo pipefail

usage() {
    echo "usage: $0 start [DIR] | stop DIR" >&2
    exit 2
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

start() {
    if ! command -v redis-server >/dev/null 2>&1; then
        echo "redis.sh: redis-server not found: install it (apt-get install redis-server, or bash scripts/setup.sh)" >&2
        exit 1
    fi
    local dir=${1:-}
    if [[ -z "$dir" ]]; then
        dir=$(mktemp -d "${TMPDIR:-/tmp}/servnet-redis.XXXXXX")
    else
        mkdir -p "$dir"
    fi
    dir=$(cd "$dir" && pwd)
    local fsync=${SERVNET_REDIS_FSYNC:-everysec}
    case "$fsync" in
        always | everysec | no) ;;
        *)
            echo "redis.sh: SERVNET_REDIS_FSYNC must be always, everysec or no, got '$fsync'" >&2
            exit 2
            ;;
    esac
    # Another process may take the free port between the probe and the bind: try again.
    local port attempt
    for attempt in 1 2 3 4 5; do
        port=$(free_port)
        if redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" \
            --appendonly yes --appendfsync "$fsync" --save "" \
            --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" \
            >/dev/null 2>&1; then
            local i
            for i in $(seq 1 100); do
                if redis-cli -p "$port" ping 2>/dev/null | grep -q PONG; then
                    echo "$port" >"$dir/port"
                    echo "export SERVNET_REDIS_URL=redis://127.0.0.1:$port/0"
                    echo "export SERVNET_REDIS_DIR=$dir"
                    return 0
                fi
                sleep 0.05
            done
            stop_server "$dir"
        fi
        echo "redis.sh: attempt $attempt: redis-server did not start on port $port" >&2
    done
    echo "redis.sh: giving up; last log lines:" >&2
    tail -5 "$dir/redis.log" >&2 2>/dev/null || true
    exit 1
}

stop_server() {
    local dir=$1
    if [[ -f "$dir/port" ]]; then
        redis-cli -p "$(cat "$dir/port")" shutdown nosave >/dev/null 2>&1 || true
    fi
    if [[ -f "$dir/redis.pid" ]]; then
        local pid
        pid=$(cat "$dir/redis.pid")
        local i
        for i in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$pid" 2>/dev/null || true
    fi
}

stop() {
    local dir=${1:-}
    [[ -n "$dir" && -d "$dir" ]] || usage
    stop_server "$dir"
    rm -rf "$dir"
}

case "${1:-}" in
    start) start "${2:-}" ;;
    stop) stop "${2:-}" ;;
    *) usage ;;
esac
