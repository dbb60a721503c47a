//! The event bus port: live fan-out of committed events to every subscriber of a game.

use std::pin::Pin;
use std::sync::Arc;

use async_trait::async_trait;
use futures::Stream;

use super::StoredEvent;

/// What a subscription yields.
#[derive(Debug, Clone)]
pub enum BusMessage {
    /// The events of one committed command, in id order. May arrive twice, late, or out of order
    /// relative to other batches: consumers order and de-duplicate by event id.
    Events(Arc<[StoredEvent]>),
    /// The subscription missed messages (a slow consumer, a reconnect): the consumer must check the
    /// store for events it has not seen.
    Lagged,
}

/// A live feed of one game's committed events. Ends when the bus closes it.
pub type Subscription = Pin<Box<dyn Stream<Item = BusMessage> + Send>>;

/// Why the bus failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BusError {
    /// The bus cannot be reached.
    #[error("event bus unavailable: {0}")]
    Unavailable(String),
}

/// Carries committed events to every subscriber of a game, in this process or (Redis) in others.
///
/// Delivery is a hint, not a guarantee: a subscriber may miss messages; [`crate::application::feed`]
/// repairs gaps from the [`EventStore`](super::EventStore). Publish only after the append
/// succeeded.
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait EventBus: Send + Sync + 'static {
    /// Sends one command's committed events to the game's subscribers.
    async fn publish(&self, game_id: &str, events: Arc<[StoredEvent]>) -> Result<(), BusError>;

    /// Starts receiving the game's events published from now on.
    async fn subscribe(&self, game_id: &str) -> Result<Subscription, BusError>;

    /// Answers when the bus is reachable (for `/ready`).
    async fn ping(&self) -> Result<(), BusError>;
}
