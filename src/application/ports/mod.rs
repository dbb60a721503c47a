//! The ports: what the application needs from the outside world, named for the role it plays.
//!
//! Each trait is `Send + Sync + 'static` and dyn-compatible: its async methods are written
//! `async fn` under `#[async_trait]`, which returns a boxed `Send` future, so that a service can
//! call them from inside `tokio::spawn` and hold each port as a trait object (`Arc<dyn EventStore>`):
//! the composition root chooses the adapters at run time (`EVENT_STORE=memory|mongodb|…`), and tests
//! put their own in. Adapters (`src/adapters/outbound/*`) implement these traits and translate their
//! technology's errors into the port errors below (a MongoDB duplicate key 11000 becomes
//! [`AppendError::Conflict`]). One file per port.
//!
//! This module must never name a technology: no actix, MongoDB, Redis or JWT types here.

mod clock;
mod event_bus;
mod event_store;
mod metrics;
mod read_models;
mod tokens;

use std::sync::Arc;

pub use clock::Clock;
pub use event_bus::{BusError, BusMessage, EventBus, Subscription};
pub use event_store::{AppendError, AppendOutcome, EventStore, StoreError, StoredEvent};
pub use metrics::{CommandOutcome, Metrics, MetricsExposition, NoMetrics};
pub use read_models::{ReadModelError, ReadModels};
pub use tokens::{PlayerClaims, PlayerTokens, TokenError};

// The read-model records, where the read models port's callers have always found them.
pub use crate::application::summaries::{
    GameCursor, GameListQuery, GameSummary, LeaderboardEntry, PlayerResult, ReadStats, SeatSummary,
};

#[cfg(test)]
pub use clock::MockClock;
#[cfg(test)]
pub use event_bus::MockEventBus;
#[cfg(test)]
pub use event_store::MockEventStore;
#[cfg(test)]
pub use metrics::MockMetrics;
#[cfg(test)]
pub use read_models::MockReadModels;
#[cfg(test)]
pub use tokens::MockPlayerTokens;

/// Every port, as the services hold them. Built once by the composition root.
#[derive(Clone)]
pub struct Ports {
    /// The event log.
    pub store: Arc<dyn EventStore>,
    /// Live fan-out.
    pub bus: Arc<dyn EventBus>,
    /// Projections.
    pub read_models: Arc<dyn ReadModels>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Player tokens.
    pub tokens: Arc<dyn PlayerTokens>,
    /// Metrics.
    pub metrics: Arc<dyn Metrics>,
}
