//! The tests that need MongoDB and Redis, over real connections (`MONGO_URI`, `REDIS_URL`;
//! `scripts/services.sh start` serves both). Each test works in a database and under a key prefix
//! of its own, removed when it ends. With `CI=true` a service that does not answer fails the test;
//! elsewhere the test is skipped with a loud message.
//!
//! - `mongodb`, `redis`: the port contract suites on the MongoDB and Redis adapters, and what only
//!   a shared, durable store or a bus between processes shows;
//! - `projection_stream`: the Redis Streams consumer group that drives the read models;
//! - `distributed`: several instances, one game;
//! - `failures`: MongoDB or Redis taken away from running instances and given back;
//! - `unknown_outcome`: MongoDB's replies to appends lost; every answer still the truth;
//! - `copy_events`: every game copied from the embedded store into MongoDB.

#[path = "../contract/mod.rs"]
mod contract;
#[path = "../support/mod.rs"]
mod support;

mod copy_events;
mod distributed;
mod failures;
mod mongodb;
mod projection_stream;
mod redis;
mod server_moves;
mod unknown_outcome;
