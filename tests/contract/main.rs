//! Port contract tests: one suite per port, run against every adapter.
//!
//! `suite.rs` defines each suite as a macro over an async factory, so that an adapter gets one named
//! test per rule (`memory_store::a_stale_expected_version_is_a_conflict_and_writes_nothing`).
//! `memory.rs` runs them on the in-memory adapters, `mongodb.rs` and `redis.rs` over real
//! connections (`MONGO_URI`, `REDIS_URL`; with `CI=true` a service that does not answer fails the
//! test, elsewhere the test is skipped with a loud message).

#[macro_use]
mod suite;
#[path = "../support/mod.rs"]
mod support;

mod memory;
mod mongodb;
mod redis;
