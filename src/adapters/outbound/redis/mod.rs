//! The Redis event bus (`EVENT_BUS=redis`, `REDIS_URL`, `REDIS_KEY_PREFIX`): committed events
//! between instances ([`RedisEventBus`], pub/sub, one channel per game), and each batch added to
//! the projection stream that drives the read models across instances (read by
//! [`crate::adapters::inbound::projection_stream`]). The pool and key names both use are in
//! [`crate::adapters::redis`].
//!
//! Redis is never the source of truth: a lost pub/sub message is repaired from the event store by
//! the feed, and a stream entry only says "this game moved on; project it". Nothing here may fail a
//! command: a publish that cannot reach Redis is reported to the caller, which counts it and goes on.
//!
//! Every key and channel starts with the configured prefix (`caravan` by default), so several
//! deployments, or tests, can share one Redis.

mod event_bus;

pub use crate::adapters::redis::{pool, RedisKeys, RedisSetupError, DEFAULT_PREFIX};
pub use event_bus::{RedisBusOptions, RedisEventBus};
