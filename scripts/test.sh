#!/usr/bin/env bash
# The project's test command (`make test`; CI runs it through .ci/run).
# Starts the services the tests talk to (scripts/services.sh), then runs every suite:
#   rustfmt --check, clippy with warnings as errors, the docs with broken intra-doc links denied,
#   cargo test --workspace --all-targets (the server and tools/), cargo test --workspace --doc,
#   the contract run (scripts/contract.sh: Schemathesis against the built server and its
#   /api/openapi.json), and the browser tests when web-tests/ exists.
# Every suite runs even when an earlier one failed; the exit status is non-zero if any failed.
# CI and CARGO_TARGET_DIR are passed through as given (with CI=true, tests that need
# MongoDB or Redis must find them rather than skip).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

say() { printf '\n==> %s\n' "$*"; }

say "services"
scripts/services.sh start

failed=()
run_suite() {
    local name=$1
    shift
    say "$name"
    if "$@"; then
        return 0
    fi
    failed+=("$name")
    printf '==> FAILED: %s\n' "$name"
}

run_suite "cargo fmt --check" cargo fmt --all -- --check
run_suite "cargo clippy -D warnings" cargo clippy --workspace --all-targets -- -D warnings
run_suite "cargo doc (broken intra-doc links denied)" \
    env RUSTDOCFLAGS="-D rustdoc::broken_intra_doc_links" cargo doc --workspace --no-deps
run_suite "cargo test --workspace --all-targets" cargo test --workspace --all-targets
run_suite "cargo test --workspace --doc" cargo test --workspace --doc
# The server binary `cargo test` just built, against its own OpenAPI document (Schemathesis, installed
# by the script itself; a failed install fails the suite).
run_suite "contract (Schemathesis, scripts/contract.sh)" scripts/contract.sh
if [[ -f web-tests/package.json ]]; then
    # `cargo test` has just built the server binary (the integration tests need it). Hand that one to
    # the browser tests: a plain `cargo build` would resolve features without the dev-dependencies
    # and rebuild half the dependency tree for nothing.
    bin="${CARGO_TARGET_DIR:-$ROOT/target}/debug/caravan"
    if [[ -z "${CARAVAN_BIN:-}" && -x "$bin" ]]; then
        export CARAVAN_BIN="$bin"
    fi
    run_suite "browser tests (npm test --prefix web-tests)" npm test --prefix web-tests
fi

echo
if ((${#failed[@]} > 0)); then
    if [[ "${CI:-}" == "true" ]]; then
        # Service logs say why a store or bus test failed on a machine nobody can look at afterwards.
        # Only the services this script started have a pid file (and a log of this run).
        for name in redis mongo; do
            if [[ -f ".services/$name.pid" && -s ".services/$name.log" ]]; then
                printf '==> last lines of .services/%s.log\n' "$name"
                tail -n 40 ".services/$name.log"
            fi
        done
    fi
    printf 'test suites FAILED: %s\n' "$(
        IFS=';'
        echo "${failed[*]}"
    )"
    exit 1
fi
echo "all test suites passed"
