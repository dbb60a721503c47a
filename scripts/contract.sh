#!/usr/bin/env bash
# Tests the running server against its own OpenAPI document with Schemathesis (PyPI), as an outside
# client would: every route, positive and negative cases, the links of the document (create → join
# → command, leave, the next join) as stateful sequences, and the routes that act for a seat
# (commands, leave) with a real seat's token (scripts/schemathesis_hooks.py). A 5xx, an answer the
# document does not declare (status, content type, headers), a method a route does not take
# answered otherwise than 405 with `Allow`, or a body that violates its schema fails the run.
#
#   scripts/contract.sh            # builds nothing: uses $CARAVAN_BIN or $CARGO_TARGET_DIR/debug/caravan
#
# Schemathesis is installed, at the pinned version, into .services/schemathesis (a venv of its
# own). CONTRACT_MAX_EXAMPLES (default 50) bounds the cases per route, so the run takes a few
# minutes at most. The run's reports (JUnit, and the failing cases as a pytest file) are kept in
# .services/contract-report/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

SCHEMATHESIS_VERSION=4.32.5
# Its dependencies too, so that a run does not change from one day to the next with PyPI.
CONSTRAINTS="$ROOT/scripts/schemathesis-constraints.txt"
VENV="$ROOT/.services/schemathesis"
REPORT_DIR="$ROOT/.services/contract-report"
MAX_EXAMPLES="${CONTRACT_MAX_EXAMPLES:-50}"

log() { printf '[contract] %s\n' "$*"; }
die() {
    printf '[contract] error: %s\n' "$*" >&2
    exit 1
}

st_ready() {
    [[ -x "$VENV/bin/st" ]] && [[ "$("$VENV/bin/st" --version 2>/dev/null)" == *"version $SCHEMATHESIS_VERSION"* ]] &&
        cmp -s "$CONSTRAINTS" "$VENV/constraints.txt"
}

ensure_schemathesis() {
    st_ready && return 0
    command -v python3 >/dev/null || die "python3 is needed for Schemathesis"
    log "installing schemathesis==$SCHEMATHESIS_VERSION into $VENV"
    if ! python3 -m venv --clear "$VENV" >/dev/null 2>&1; then
        # Debian's own python3 keeps venv support in a separate package.
        if command -v apt-get >/dev/null && [[ $(id -u) == 0 ]]; then
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null ||
                { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null; }
        fi
        python3 -m venv --clear "$VENV" || die "python3 -m venv $VENV failed"
    fi
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
        --constraint "$CONSTRAINTS" "schemathesis==$SCHEMATHESIS_VERSION" ||
        die "pip install schemathesis==$SCHEMATHESIS_VERSION failed"
    cp "$CONSTRAINTS" "$VENV/constraints.txt"
    st_ready || die "schemathesis $SCHEMATHESIS_VERSION is not runnable from $VENV after install"
}

ensure_schemathesis

BIN="${CARAVAN_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/debug/caravan}"
[[ -x "$BIN" ]] || die "no server binary at $BIN (build it with cargo build, or set CARAVAN_BIN)"

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
mkdir -p "$REPORT_DIR"
SERVER_LOG="$REPORT_DIR/server.log"

# The in-memory store, no admin token (admin requests are refused), limits high enough that
# the run tests the routes rather than the per-address limits (those have their own tests).
env -i PATH="$PATH" HOME="${HOME:-/root}" \
    SERVER_PORT="$PORT" EVENT_STORE=memory EVENT_BUS=local LOG_LEVEL=warn \
    RATE_LIMIT_GAMES_PER_MIN=1000000 RATE_LIMIT_JOINS_PER_MIN=1000000 BOT_THINKING_MS=0 \
    "$BIN" serve >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!
trap 'kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true' EXIT

for _ in $(seq 1 100); do
    if curl -fsS "$BASE/health" >/dev/null 2>&1; then break; fi
    kill -0 "$SERVER_PID" 2>/dev/null || { tail -n 20 "$SERVER_LOG" >&2; die "the server exited"; }
    sleep 0.1
done
curl -fsS "$BASE/health" >/dev/null || die "the server did not answer on $BASE"

log "schemathesis $SCHEMATHESIS_VERSION against $BASE/api/openapi.json (at most $MAX_EXAMPLES cases per route)"
status=0
# Run from .services/, where Schemathesis keeps its own cache (.schemathesis/).
cd "$ROOT/.services"
# The hooks give the routes that act for a seat a real one (scripts/schemathesis_hooks.py).
# One worker: with two, Schemathesis builds Hypothesis strategies on two threads at once, and
# CPython 3.11 (this machine's) keeps `ast.parse`'s recursion count per interpreter, not per
# thread, so Hypothesis describing a filter's lambda on both threads at once can fail with
# "SystemError: AST constructor recursion depth mismatch" (seen once, as a Runtime Error).
CONTRACT_BASE_URL="$BASE" SCHEMATHESIS_HOOKS="$ROOT/scripts/schemathesis_hooks.py" \
    "$VENV/bin/st" --config-file "$ROOT/scripts/schemathesis.toml" run "$BASE/api/openapi.json" \
    --checks all \
    --phases examples,coverage,fuzzing,stateful \
    --mode all \
    --max-examples "$MAX_EXAMPLES" \
    --seed 1 \
    --workers 1 \
    --request-timeout 10 \
    --generation-database none \
    --no-color \
    --report junit,pytest \
    --report-dir "$REPORT_DIR" || status=$?

# actix-web logs a request it cannot parse at all (a header with bytes HTTP does not allow, which
# Schemathesis sends on purpose) at ERROR level before any route sees it; anything else is a fault.
if grep -E 'panicked|ERROR' "$SERVER_LOG" | grep -v -q 'request parse error'; then
    log "the server logged errors during the run:"
    grep -E 'panicked|ERROR' "$SERVER_LOG" | grep -v 'request parse error' | head -n 20
    status=1
fi
exit "$status"
