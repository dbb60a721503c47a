//! In-process adapters: the embedded defaults (`EVENT_STORE=memory`, `EVENT_BUS=local`), and what
//! `tests/` run against. Nothing here survives a restart or reaches another process.

mod event_bus;
mod event_store;
mod read_models;

pub use event_bus::{LocalEventBus, DEFAULT_CHANNEL_CAPACITY};
pub use event_store::MemoryEventStore;
pub use read_models::MemoryReadModels;

// The clock has its own module; it was first found here.
pub use super::clock::SystemClock;
