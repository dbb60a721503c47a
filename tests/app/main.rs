//! The tests that need no service: the real server on port 0 with the in-memory adapters, driven
//! over its public protocol, and the port contracts on the in-memory adapters.
//!
//! - `api`: the REST protocol;
//! - `websocket`: the WebSocket protocol (`GET /ws`);
//! - `memory`: the port contract suites (`tests/contract`) on the in-memory adapters;
//! - `embedded`: the same suites on the embedded (SQLite) adapters, each in a temporary directory;
//! - `embedded_restart`: the real binary on the embedded store, killed with SIGKILL mid-load and
//!   started again on the same `DATA_DIR`;
//! - `example_bot`: `examples/bot.mjs`, the client authors' quick start, plays a game to its end;
//! - `hostile`: attacks as hostile clients would make them, while honest games play on.
//!
//! The tests that need MongoDB and Redis are in `tests/services`.

#[path = "../contract/mod.rs"]
mod contract;
#[path = "../support/mod.rs"]
mod support;

mod api;
mod embedded;
mod embedded_restart;
mod example_bot;
mod hostile;
mod memory;
mod websocket;
