# The commands people type. `make help` lists them.
SHELL := bash
.DEFAULT_GOAL := help

CARGO      ?= cargo
GAME_ID    ?=
REDIS_URL  ?= redis://127.0.0.1:6379
COMPOSE    := docker compose -f docker/compose.yml $(if $(wildcard .env),--env-file .env)
# `docker compose` refuses any command while the required secrets are unset;
# stopping or opening a shell does not need them.
NO_SECRETS := JWT_SECRET=$${JWT_SECRET:-unused} ADMIN_TOKEN=$${ADMIN_TOKEN:-unused}

.PHONY: help run build test lint fmt bench replay services services-stop services-status \
        up down logs mongo-shell redis-cli loadtest rebuild-projections clean chaos chaos-short contract

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-20s %s\n", $$1, $$2}'

run: ## run the server (release build) with settings from the environment
	$(CARGO) run --release

build: ## build the release binary
	$(CARGO) build --release

test: ## start the test services, then run every test suite (what CI runs)
	scripts/test.sh

contract: ## Schemathesis against a debug build of the server and its /api/openapi.json
	$(CARGO) build --bin caravan
	scripts/contract.sh

chaos: ## the long chaos run: 20 games on two instances through 3 rounds of five faults (CHAOS_CYCLES=n)
	scripts/services.sh start
	CHAOS_PROFILE=long $(CARGO) test --test chaos -- --nocapture

chaos-short: ## the short chaos run alone (also part of make test): 6 games on two instances through one round of five faults
	scripts/services.sh start
	$(CARGO) test --test chaos -- --nocapture

lint: ## rustfmt check, clippy with warnings as errors, the docs with broken links denied
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	RUSTDOCFLAGS="-D rustdoc::broken_intra_doc_links" $(CARGO) doc --workspace --no-deps

fmt: ## format the code
	$(CARGO) fmt --all

bench: ## run the benchmarks
	$(CARGO) bench

replay: ## replay one game's events: make replay GAME_ID=<id>
	@if [[ -z "$(GAME_ID)" ]]; then echo "usage: make replay GAME_ID=<game id>" >&2; exit 2; fi
	$(CARGO) run --release -- replay --game $(GAME_ID)

services: ## start (or reuse) Redis and the MongoDB-wire test server
	scripts/services.sh start

services-stop: ## stop the test services this repository started
	scripts/services.sh stop

services-status: ## report the test services
	scripts/services.sh status

up: ## docker: mongo (replica set), redis, two caravan instances and nginx on :8080
	$(COMPOSE) up -d --build

down: ## docker: stop and remove the stack (volumes are kept)
	$(NO_SECRETS) $(COMPOSE) down

logs: ## docker: follow the caravan instances' logs
	$(NO_SECRETS) $(COMPOSE) logs -f caravan-1 caravan-2

mongo-shell: ## docker: mongosh on the stack's caravan database
	$(NO_SECRETS) $(COMPOSE) exec mongo mongosh caravan

redis-cli: ## redis-cli on REDIS_URL (default the local test Redis)
	redis-cli -u "$(REDIS_URL)"

loadtest: ## 100 games of 4 players for 30 s against a server on :8080
	$(CARGO) run --release -p caravan-tools -- loadtest --url http://127.0.0.1:8080 --games 100 --players 4 --duration 30s

rebuild-projections: ## rebuild every read model from the event store
	$(CARGO) run --release -- rebuild-projections

clean: ## remove build output
	$(CARGO) clean
