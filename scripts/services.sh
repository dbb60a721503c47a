#!/usr/bin/env bash
# Starts, stops and reports the local services that the test suites talk to:
#   - Redis on 127.0.0.1:6379 (reused when one already answers, else installed and started here);
#   - a MongoDB-wire server on 127.0.0.1:27017: nx-27017 (PyPI) in .services/venv, in memory,
#     because no real mongod can be installed on these machines (reused when one already answers);
#   - for the browser tests, when web-tests/package.json exists: Debian's chromium and the npm packages.
# It only ever stops what it started itself (pid files under .services/), never a service it found running.
#
# Usage: scripts/services.sh start|stop|restart|status|web
# Tests read MONGO_URI (default mongodb://127.0.0.1:27017/?directConnection=true)
# and REDIS_URL (default redis://127.0.0.1:6379); this script exports nothing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

STATE_DIR="$ROOT/.services"
VENV="$STATE_DIR/venv"
NX_VERSION="0.8.1"

REDIS_HOST="127.0.0.1"
REDIS_PORT="6379"
REDIS_PIDFILE="$STATE_DIR/redis.pid"
REDIS_LOG="$STATE_DIR/redis.log"
DEFAULT_REDIS_URL="redis://$REDIS_HOST:$REDIS_PORT"

MONGO_HOST="127.0.0.1"
MONGO_PORT="27017"
MONGO_PIDFILE="$STATE_DIR/mongo.pid"
MONGO_LOG="$STATE_DIR/mongo.log"
DEFAULT_MONGO_URI="mongodb://$MONGO_HOST:$MONGO_PORT/?directConnection=true"

WEB_DIR="$ROOT/web-tests"
STARTUP_TIMEOUT_SECS=30

log() { printf '[services] %s\n' "$*"; }
die() {
    printf '[services] ERROR: %s\n' "$*" >&2
    exit 1
}

# Prints the last lines of a log file to stderr, to explain a failed start.
show_log_tail() {
    if [[ -s "$1" ]]; then
        printf '[services] last lines of %s:\n' "$1" >&2
        tail -n 20 "$1" | sed 's/^/    /' >&2
    fi
}

# ---------------------------------------------------------------------------
# helpers

APT_UPDATED=0
# apt-get install, running `apt-get update` once per invocation first.
apt_install() {
    local -a as_root=()
    if [[ $EUID -ne 0 ]]; then
        command -v sudo >/dev/null 2>&1 || die "need root (or sudo) to apt-get install $*"
        as_root=(sudo)
    fi
    command -v apt-get >/dev/null 2>&1 || die "apt-get not found: install $* by hand"
    if [[ $APT_UPDATED -eq 0 ]]; then
        log "apt-get update"
        "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq || die "apt-get update failed"
        APT_UPDATED=1
    fi
    log "apt-get install -y $*"
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null ||
        die "apt-get install $* failed"
}

# True when something accepts a TCP connection on host:port.
port_open() {
    timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null
}

# The pid recorded in a pid file, if that process is still alive and its command line
# contains the given word; prints nothing otherwise.
live_pid() {
    local pidfile=$1 word=$2 pid
    [[ -f "$pidfile" ]] || return 0
    pid=$(tr -dc '0-9' <"$pidfile")
    [[ -n "$pid" ]] || return 0
    if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$word"; then
        printf '%s\n' "$pid"
    fi
}

# Sends SIGTERM, waits up to 10 s, then SIGKILL.
terminate() {
    local pid=$1 i
    kill "$pid" 2>/dev/null || return 0
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    log "pid $pid ignored SIGTERM for 10 s: sending SIGKILL"
    kill -9 "$pid" 2>/dev/null || true
}

# ---------------------------------------------------------------------------
# Redis

redis_ping() {
    command -v redis-cli >/dev/null 2>&1 &&
        [[ "$(timeout 3 redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null)" == "PONG" ]]
}

redis_version() {
    timeout 3 redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" info server 2>/dev/null |
        tr -d '\r' | sed -n 's/^redis_version://p'
}

redis_owner() {
    local pid
    pid=$(live_pid "$REDIS_PIDFILE" redis-server)
    if [[ -n "$pid" ]]; then echo "started by this script, pid $pid"; else echo "not managed by this script"; fi
}

start_redis() {
    if redis_ping; then
        log "redis: up on $DEFAULT_REDIS_URL (redis $(redis_version), $(redis_owner)): reusing it"
        return 0
    fi
    if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
        log "redis: no redis-server/redis-cli on this machine: installing Debian's redis-server"
        apt_install redis-server
        if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
            die "redis: redis-server/redis-cli still not on PATH after apt-get install redis-server"
        fi
        # Installing the package may have started Debian's own instance (bound to loopback).
        if redis_ping; then
            log "redis: up on $DEFAULT_REDIS_URL (redis $(redis_version), started by the package): reusing it"
            return 0
        fi
    fi
    if port_open "$REDIS_HOST" "$REDIS_PORT"; then
        die "redis: something listens on $REDIS_HOST:$REDIS_PORT but does not answer PING"
    fi

    log "redis: starting redis-server on $REDIS_HOST:$REDIS_PORT (no persistence; log $REDIS_LOG)"
    rm -f "$REDIS_PIDFILE"
    : >"$REDIS_LOG"
    # Always bind loopback: without --bind, redis listens on every interface.
    # 9>&-: the daemon must not inherit (and so keep holding) this script's lock.
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" \
        --save "" --appendonly no --dir "$STATE_DIR" \
        --pidfile "$REDIS_PIDFILE" --logfile "$REDIS_LOG" 9>&- ||
        {
            show_log_tail "$REDIS_LOG"
            die "redis: redis-server failed to start"
        }

    local i
    for ((i = 0; i < STARTUP_TIMEOUT_SECS * 10; i++)); do
        if redis_ping; then
            log "redis: up on $DEFAULT_REDIS_URL (redis $(redis_version), $(redis_owner))"
            return 0
        fi
        sleep 0.1
    done
    show_log_tail "$REDIS_LOG"
    die "redis: no answer to PING on $REDIS_HOST:$REDIS_PORT after ${STARTUP_TIMEOUT_SECS}s"
}

stop_redis() {
    local pid
    pid=$(live_pid "$REDIS_PIDFILE" redis-server)
    if [[ -z "$pid" ]]; then
        rm -f "$REDIS_PIDFILE"
        if redis_ping; then
            log "redis: not started by this script: leaving the one on $REDIS_HOST:$REDIS_PORT running"
        else
            log "redis: not running"
        fi
        return 0
    fi
    log "redis: stopping pid $pid"
    terminate "$pid"
    rm -f "$REDIS_PIDFILE"
    log "redis: stopped"
}

# ---------------------------------------------------------------------------
# MongoDB-wire server (nx-27017)

# True when the venv exists, runs, and holds nx-27017 at the pinned version.
venv_ready() {
    [[ -x "$VENV/bin/nx-27017" ]] &&
        "$VENV/bin/python" - "$NX_VERSION" <<'PY' 2>/dev/null
import importlib.metadata as md, sys
import pymongo  # noqa: F401  (the readiness check below needs it)
sys.exit(0 if md.version("nx-27017") == sys.argv[1] else 1)
PY
}

ensure_venv() {
    venv_ready && return 0
    if ! command -v python3 >/dev/null 2>&1; then
        log "mongo: no python3 on this machine: installing Debian's python3"
        apt_install python3 python3-venv
    fi
    if ! "$VENV/bin/python" -c 'pass' >/dev/null 2>&1; then
        log "mongo: creating the Python venv $VENV"
        if ! python3 -m venv --clear "$VENV" >/dev/null 2>&1; then
            # Debian's own python3 keeps venv support in a separate package.
            apt_install python3-venv
            python3 -m venv --clear "$VENV" || die "mongo: python3 -m venv $VENV failed"
        fi
    fi
    log "mongo: installing nx-27017==$NX_VERSION into $VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "nx-27017==$NX_VERSION" ||
        die "mongo: pip install nx-27017==$NX_VERSION failed"
    venv_ready || die "mongo: nx-27017==$NX_VERSION (with pymongo) is not importable from $VENV after install"
}

# Runs a real `hello` and `ping` over the wire with pymongo (which nx-27017 depends on);
# prints "<process> <version>" and succeeds when the server answers.
mongo_ping() {
    "$VENV/bin/python" - "$MONGO_HOST" "$MONGO_PORT" <<'PY' 2>/dev/null
import sys
from pymongo import MongoClient
client = MongoClient(sys.argv[1], int(sys.argv[2]), directConnection=True,
                     serverSelectionTimeoutMS=1000, connectTimeoutMS=1000, socketTimeoutMS=3000)
try:
    hello = client.admin.command("hello")
    if not hello.get("isWritablePrimary"):
        sys.exit(1)
    client.admin.command("ping")
    info = client.admin.command("buildInfo")
    print(info.get("process", "mongod"), info.get("version", "?"))
except Exception:
    sys.exit(1)
finally:
    client.close()
PY
}

mongo_owner() {
    local pid
    pid=$(live_pid "$MONGO_PIDFILE" nx-27017)
    if [[ -n "$pid" ]]; then echo "nx-27017 started by this script, pid $pid"; else echo "not managed by this script"; fi
}

start_mongo() {
    ensure_venv
    local answer
    if port_open "$MONGO_HOST" "$MONGO_PORT"; then
        if answer=$(mongo_ping); then
            log "mongo: up on $DEFAULT_MONGO_URI (server reports: $answer; $(mongo_owner)): reusing it"
            return 0
        fi
        die "mongo: something listens on $MONGO_HOST:$MONGO_PORT but does not answer a MongoDB hello/ping"
    fi

    log "mongo: starting nx-27017 $NX_VERSION on $MONGO_HOST:$MONGO_PORT (in memory; log $MONGO_LOG)"
    rm -f "$MONGO_PIDFILE"
    : >"$MONGO_LOG"
    # nx-27017 writes and removes its own pid file (and refuses to start if it names a live process).
    # Its console output goes to our log; its own log file would only repeat it.
    # setsid: its own session, so a Ctrl-C in the terminal that ran `make test` does not reach it;
    # 9>&-: it must not inherit (and so keep holding) this script's lock.
    setsid "$VENV/bin/nx-27017" --data-dir memory --host "$MONGO_HOST" -p "$MONGO_PORT" \
        --pid-file "$MONGO_PIDFILE" --log-file /dev/null \
        </dev/null >>"$MONGO_LOG" 2>&1 9>&- &
    local launched=$! i pid
    for ((i = 0; i < STARTUP_TIMEOUT_SECS * 10; i++)); do
        if answer=$(mongo_ping); then
            log "mongo: up on $DEFAULT_MONGO_URI (server reports: $answer; $(mongo_owner))"
            return 0
        fi
        pid=$(live_pid "$MONGO_PIDFILE" nx-27017)
        if [[ -z "$pid" ]] && ! kill -0 "$launched" 2>/dev/null; then
            show_log_tail "$MONGO_LOG"
            die "mongo: nx-27017 exited during startup"
        fi
        sleep 0.1
    done
    show_log_tail "$MONGO_LOG"
    die "mongo: nx-27017 did not answer on $MONGO_HOST:$MONGO_PORT after ${STARTUP_TIMEOUT_SECS}s"
}

stop_mongo() {
    local pid
    pid=$(live_pid "$MONGO_PIDFILE" nx-27017)
    if [[ -z "$pid" ]]; then
        rm -f "$MONGO_PIDFILE"
        if port_open "$MONGO_HOST" "$MONGO_PORT"; then
            log "mongo: not started by this script: leaving the one on $MONGO_HOST:$MONGO_PORT running"
        else
            log "mongo: not running"
        fi
        return 0
    fi
    log "mongo: stopping nx-27017 pid $pid"
    terminate "$pid"
    rm -f "$MONGO_PIDFILE"
    log "mongo: stopped"
}

# ---------------------------------------------------------------------------
# Browser tests (web-tests/): Debian's chromium and the npm packages.

ensure_web() {
    if [[ ! -f "$WEB_DIR/package.json" ]]; then
        log "web: no web-tests/package.json: nothing to prepare"
        return 0
    fi
    if ! command -v chromium >/dev/null 2>&1; then
        log "web: installing Debian's chromium (browser tests launch /usr/bin/chromium)"
        apt_install chromium
    fi
    if ! command -v npm >/dev/null 2>&1; then
        log "web: installing Debian's nodejs and npm"
        apt_install nodejs npm
    fi
    # No test tool may download a browser of its own: this network does not reach one.
    export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 PUPPETEER_SKIP_DOWNLOAD=1

    # npm writes node_modules/.package-lock.json on every install: newer than the manifests = up to date.
    local stamp="$WEB_DIR/node_modules/.package-lock.json"
    if [[ -f "$stamp" && "$stamp" -nt "$WEB_DIR/package.json" &&
        (! -f "$WEB_DIR/package-lock.json" || "$stamp" -nt "$WEB_DIR/package-lock.json") ]]; then
        log "web: web-tests/node_modules is up to date ($(chromium --version 2>/dev/null || echo 'chromium ?'))"
        return 0
    fi
    if [[ -f "$WEB_DIR/package-lock.json" ]]; then
        log "web: npm ci in web-tests/"
        npm ci --prefix "$WEB_DIR" --no-audit --no-fund || die "web: npm ci failed"
    else
        log "web: npm install in web-tests/ (no package-lock.json yet: commit the one it writes)"
        npm install --prefix "$WEB_DIR" --no-audit --no-fund || die "web: npm install failed"
    fi
    log "web: ready ($(chromium --version 2>/dev/null || echo 'chromium ?'), node $(node --version))"
}

web_status() {
    if [[ ! -f "$WEB_DIR/package.json" ]]; then
        log "web: no web-tests/package.json"
        return 0
    fi
    local browser="chromium missing" deps="web-tests/node_modules missing"
    command -v chromium >/dev/null 2>&1 && browser=$(chromium --version 2>/dev/null || echo "chromium ?")
    [[ -d "$WEB_DIR/node_modules" ]] && deps="web-tests/node_modules present"
    log "web: $browser; $deps"
}

# ---------------------------------------------------------------------------

note_env() {
    if [[ -n "${MONGO_URI:-}" && "$MONGO_URI" != "$DEFAULT_MONGO_URI" ]]; then
        log "note: MONGO_URI is set to $MONGO_URI; this script manages only $DEFAULT_MONGO_URI"
    fi
    if [[ -n "${REDIS_URL:-}" && "$REDIS_URL" != "$DEFAULT_REDIS_URL" ]]; then
        log "note: REDIS_URL is set to $REDIS_URL; this script manages only $DEFAULT_REDIS_URL"
    fi
}

cmd_start() {
    start_redis
    start_mongo
    ensure_web
    note_env
    log "ready: REDIS_URL=${REDIS_URL:-$DEFAULT_REDIS_URL} MONGO_URI=${MONGO_URI:-$DEFAULT_MONGO_URI}"
}

cmd_stop() {
    stop_mongo
    stop_redis
}

cmd_status() {
    local rc=0 answer
    if redis_ping; then
        log "redis: up on $DEFAULT_REDIS_URL (redis $(redis_version), $(redis_owner))"
    else
        log "redis: DOWN on $REDIS_HOST:$REDIS_PORT"
        rc=3
    fi
    if ! port_open "$MONGO_HOST" "$MONGO_PORT"; then
        log "mongo: DOWN on $MONGO_HOST:$MONGO_PORT"
        rc=3
    elif [[ -x "$VENV/bin/python" ]] && answer=$(mongo_ping); then
        log "mongo: up on $DEFAULT_MONGO_URI (server reports: $answer; $(mongo_owner))"
    elif [[ -x "$VENV/bin/python" ]]; then
        log "mongo: port $MONGO_PORT is open but does not answer a MongoDB hello/ping"
        rc=3
    else
        log "mongo: port $MONGO_PORT is open (no venv yet to check it with: run start)"
    fi
    web_status
    return "$rc"
}

usage() {
    cat <<USAGE
usage: scripts/services.sh start|stop|restart|status|web
  start    start (or reuse) Redis and the MongoDB-wire server, and prepare web-tests/ when it exists
  stop     stop only what this script started (pid files in .services/)
  restart  stop, then start
  status   report each service; exit 3 when Redis or MongoDB does not answer
  web      only prepare the browser tests (chromium + npm packages in web-tests/)
USAGE
}

main() {
    local cmd=${1:-}
    case "$cmd" in
    start | stop | restart | status | web) ;;
    -h | --help | help)
        usage
        return 0
        ;;
    *)
        usage >&2
        return 2
        ;;
    esac

    mkdir -p "$STATE_DIR"
    # One caller at a time (parallel `make` targets, two terminals).
    exec 9>"$STATE_DIR/.lock"
    flock -w 300 9 || die "another services.sh still holds $STATE_DIR/.lock after 300 s"

    case "$cmd" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    restart)
        cmd_stop
        cmd_start
        ;;
    status) cmd_status ;;
    web) ensure_web ;;
    esac
}

main "$@"
