#!/usr/bin/env bash
# The floor: what a command costs a server that only reads the command frame and writes one small
# frame to each of the game's connections (caravan-floor: actix-web, one actor per connection,
# jemalloc, as caravan), on the workload of ../shared/peer-colyseus/vs-colyseus.sh and with its
# pinning: the server on core 0, the load generator on core 1, G games x 4 players, closed loop,
# S seconds. Then caravan itself the same way (`caravan loadtest`), and caravan's server CPU per
# command as a multiple of the floor's.
#
# usage (from the project root, after `cargo build --release`, which builds every binary):
#   scripts/floor.sh              # GAMES=1000 RUN_SECONDS=10 BIN_DIR=target/release FLOOR_ONLY=
# FLOOR_ONLY=1 skips the caravan run. Prints one line per server, and the multiple.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

GAMES="${GAMES:-1000}"
SECONDS_RUN="${RUN_SECONDS:-10}"
BIN_DIR="${BIN_DIR:-${CARGO_TARGET_DIR:-target}/release}"
BIN_DIR="$(cd "$BIN_DIR" 2>/dev/null && pwd)" || { echo "no folder $BIN_DIR: run cargo build --release first" >&2; exit 2; }
FLOOR="$BIN_DIR/caravan-floor"
CARAVAN="$BIN_DIR/caravan"
WORK="$(mktemp -d)"

[[ -x "$FLOOR" ]] || { echo "no $FLOOR: run cargo build --release first" >&2; exit 2; }
command -v taskset >/dev/null || { echo "taskset (util-linux) is needed" >&2; exit 2; }
# Four sockets per game on each side.
ulimit -n "$((GAMES * 8 + 1024))" 2>/dev/null || ulimit -n "$(ulimit -Hn)"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_up() { for _ in $(seq 1 50); do curl -fsS -m 1 "$1/health" >/dev/null 2>&1 && return 0; sleep 0.2; done; echo "no server at $1" >&2; return 1; }

server=
cleanup() {
    [[ -n "$server" ]] && kill "$server" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# The floor.
port=$(free_port)
taskset -c 0 "$FLOOR" serve --port "$port" >"$WORK/floor-server.log" 2>&1 &
server=$!
wait_up "http://127.0.0.1:$port"
taskset -c 1 "$FLOOR" load --url "http://127.0.0.1:$port" --games "$GAMES" --players 4 \
    --duration "${SECONDS_RUN}s" --server-pid "$server" --json "$WORK/floor.json" >/dev/null || true
kill "$server" 2>/dev/null || true
wait "$server" 2>/dev/null || true
server=

if [[ -z "${FLOOR_ONLY:-}" ]]; then
    [[ -x "$CARAVAN" ]] || { echo "no $CARAVAN: run cargo build --release first" >&2; exit 2; }
    port=$(free_port)
    ADMIN="floor-admin-token-$(date +%s%N)"
    # As vs-colyseus.sh starts it (its default store, under a data folder of this run's own).
    (cd "$WORK" && SERVER_HOST=127.0.0.1 SERVER_PORT=$port LOG_LEVEL=warn ADMIN_TOKEN="$ADMIN" \
        exec taskset -c 0 "$CARAVAN" >"$WORK/caravan-server.log" 2>&1) &
    server=$!
    wait_up "http://127.0.0.1:$port"
    taskset -c 1 "$CARAVAN" loadtest --url "http://127.0.0.1:$port" --games "$GAMES" --players 4 \
        --duration "${SECONDS_RUN}s" --server-pid "$server" --admin-token "$ADMIN" --quiet \
        --json "$WORK/caravan.json" >/dev/null || true
fi

python3 - "$WORK/floor.json" "$WORK/caravan.json" <<'PY'
import json, os, sys
f = json.load(open(sys.argv[1]))
cpu = f.get("serverCpuUsPerCommand")
print(f"floor:   {f['commandsPerSec']:.0f} commands/s, p99 {f['p99Ms']:.1f} ms, gaps {f['gaps']}, errors {f['errors']}, "
      f"server CPU {cpu:.1f} us/command ({f['serverCpuCores']:.2f} cores), {f['bytesPerCommand']:.0f} B delivered/command")
if os.path.exists(sys.argv[2]):
    r = json.load(open(sys.argv[2]))
    ok = r["commands"]["ok"]
    ccpu = (r.get("server") or {}).get("cpuMsPerCommand", 0) * 1000
    mib = (r.get("events") or {}).get("mibReceived") or 0
    print(f"caravan: {r['commands']['perSec']:.0f} commands/s, p99 {r['latency']['commandToResult']['p99Ms']:.1f} ms, "
          f"violations {r['violations']['total']}, server CPU {ccpu:.1f} us/command, {mib*1048576/max(ok,1):.0f} B delivered/command")
    if cpu:
        print(f"caravan's server CPU per command: {ccpu / cpu:.1f} x the floor's")
PY
