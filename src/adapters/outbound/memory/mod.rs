//! In-process adapters: the embedded defaults (`EVENT_STORE=memory`, `EVENT_BUS=local`), and what
//! `tests/` run against. Nothing here survives a restart or reaches another process.

mod event_bus;
mod event_store;
mod read_models;

pub use event_bus::{LocalEventBus, DEFAULT_CHANNEL_CAPACITY};
pub use event_store::MemoryEventStore;
pub use read_models::MemoryReadModels;

use chrono::{DateTime, Utc};

use crate::application::ports::Clock;

/// The real clock, to the millisecond: what every store keeps (BSON dates are milliseconds), so a
/// timestamp reads back exactly as it was written whatever the adapter.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        let now = Utc::now();
        DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now)
    }
}
