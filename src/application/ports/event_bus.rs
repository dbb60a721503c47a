//! The event bus port: live fan-out of committed events to every subscriber of a game.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use futures::future::BoxFuture;
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
pub trait EventBus: Send + Sync + 'static {
    /// Sends one command's committed events to the game's subscribers.
    fn publish(
        &self,
        game_id: &str,
        events: Arc<[StoredEvent]>,
    ) -> impl Future<Output = Result<(), BusError>> + Send;

    /// Starts receiving the game's events published from now on.
    fn subscribe(
        &self,
        game_id: &str,
    ) -> impl Future<Output = Result<Subscription, BusError>> + Send;

    /// Answers when the bus is reachable (for `/ready`).
    fn ping(&self) -> impl Future<Output = Result<(), BusError>> + Send;
}

/// Object-safe twin of [`EventBus`], implemented for every `EventBus`.
pub trait DynEventBus: Send + Sync + 'static {
    /// See [`EventBus::publish`].
    fn publish<'a>(
        &'a self,
        game_id: &'a str,
        events: Arc<[StoredEvent]>,
    ) -> BoxFuture<'a, Result<(), BusError>>;
    /// See [`EventBus::subscribe`].
    fn subscribe<'a>(&'a self, game_id: &'a str) -> BoxFuture<'a, Result<Subscription, BusError>>;
    /// See [`EventBus::ping`].
    fn ping(&self) -> BoxFuture<'_, Result<(), BusError>>;
}

impl<T: EventBus> DynEventBus for T {
    fn publish<'a>(
        &'a self,
        game_id: &'a str,
        events: Arc<[StoredEvent]>,
    ) -> BoxFuture<'a, Result<(), BusError>> {
        Box::pin(EventBus::publish(self, game_id, events))
    }
    fn subscribe<'a>(&'a self, game_id: &'a str) -> BoxFuture<'a, Result<Subscription, BusError>> {
        Box::pin(EventBus::subscribe(self, game_id))
    }
    fn ping(&self) -> BoxFuture<'_, Result<(), BusError>> {
        Box::pin(EventBus::ping(self))
    }
}
