//! Port contract tests: one suite per port, run against every adapter.
//!
//! `suite.rs` defines each suite as a macro over an async factory, so that an adapter gets one named
//! test per rule (`memory_store::a_stale_expected_version_is_a_conflict_and_writes_nothing`).
//! `memory.rs` runs them on the in-memory adapters; MongoDB and Redis add their own file here.

#[macro_use]
mod suite;

mod memory;
