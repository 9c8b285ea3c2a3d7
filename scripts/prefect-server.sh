#!/usr/bin/env bash
# A throw-away local Prefect server for tests, CI and trying `talent-signals deploy`.
#
#   scripts/prefect-server.sh start   # starts on 127.0.0.1:<free port>, prints the API URL
#   scripts/prefect-server.sh url     # prints the API URL of the running server
#   scripts/prefect-server.sh stop    # stops it and removes its state
#
#   export PREFECT_API_URL=$(scripts/prefect-server.sh start)
#
# Why: schedules need a real server (the ephemeral API cannot schedule). The
# server gets its own PREFECT_HOME (SQLite database, logs) under a state
# directory, so it never touches ~/.prefect. It binds 127.0.0.1 only and
# sends no telemetry. Start-up takes about 4-20 s; we wait up to
# PREFECT_SERVER_WAIT_SECONDS (default 90).
#
# Environment: PYTHON (interpreter with prefect installed; default python3),
# TALENT_SIGNALS_PREFECT_DIR (state directory; default $TMPDIR/talent-signals-prefect-$UID).
set -euo pipefail

PYTHON="${PYTHON:-python3}"
STATE_DIR="${TALENT_SIGNALS_PREFECT_DIR:-${TMPDIR:-/tmp}/talent-signals-prefect-$(id -u)}"
WAIT_SECONDS="${PREFECT_SERVER_WAIT_SECONDS:-90}"
PID_FILE="$STATE_DIR/server.pid"
URL_FILE="$STATE_DIR/api-url"
LOG_FILE="$STATE_DIR/server.log"

die() { echo "prefect-server.sh: $*" >&2; exit 1; }

is_running() { [[ -f "$PID_FILE" ]] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null; }

free_port() {
    "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

healthy() {  # exit 0 when GET $1/health answers true within 2 s
    "$PYTHON" - "$1" <<'EOF'
import sys, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1] + "/health", timeout=2) as r:
        sys.exit(0 if r.read().strip() == b"true" else 1)
except OSError:
    sys.exit(1)
EOF
}

start() {
    if is_running; then cat "$URL_FILE"; return 0; fi
    "$PYTHON" -c 'import prefect' 2>/dev/null || die "$PYTHON cannot import prefect (set PYTHON=/path/to/venv/bin/python)"
    mkdir -p "$STATE_DIR/home"
    local port url deadline
    port="$(free_port)"
    url="http://127.0.0.1:$port/api"
    env -u PREFECT_API_URL DO_NOT_TRACK=1 PREFECT_SERVER_ANALYTICS_ENABLED=false \
        PREFECT_HOME="$STATE_DIR/home" nohup "$PYTHON" -m prefect server start --host 127.0.0.1 --port "$port" >"$LOG_FILE" 2>&1 &
    echo $! >"$PID_FILE"
    echo "$url" >"$URL_FILE"
    deadline=$((SECONDS + WAIT_SECONDS))
    until healthy "$url"; do
        if ! is_running; then tail -n 20 "$LOG_FILE" >&2; die "server exited during start-up (log: $LOG_FILE)"; fi
        if (( SECONDS >= deadline )); then stop >/dev/null; die "no /api/health answer within ${WAIT_SECONDS}s"; fi
        sleep 0.5
    done
    echo "$url"
}

stop() {
    if is_running; then
        local pid; pid="$(cat "$PID_FILE")"
        kill "$pid"
        for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    fi
    rm -rf "$STATE_DIR"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    url) is_running && cat "$URL_FILE" || die "no server running (state: $STATE_DIR)" ;;
    *) echo "usage: $0 start|stop|url" >&2; exit 2 ;;
esac
