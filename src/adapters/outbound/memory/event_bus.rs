//! An event bus inside one process: a tokio broadcast channel per game (created on first subscribe,
//! removed when its last subscriber leaves). A subscriber that falls more than the channel's capacity
//! behind receives [`BusMessage::Lagged`] and repairs from the store.

use std::collections::HashMap;
use std::sync::Arc;

use futures::stream;
use parking_lot::Mutex;
use tokio::sync::broadcast;

use crate::application::ports::{BusError, BusMessage, EventBus, StoredEvent, Subscription};

/// Messages a game's channel holds for its slowest subscriber.
pub const DEFAULT_CHANNEL_CAPACITY: usize = 256;

type Channels = Mutex<HashMap<String, broadcast::Sender<BusMessage>>>;

/// The in-process [`EventBus`].
pub struct LocalEventBus {
    channels: Arc<Channels>,
    capacity: usize,
}

impl Default for LocalEventBus {
    fn default() -> Self {
        Self::new(DEFAULT_CHANNEL_CAPACITY)
    }
}

impl LocalEventBus {
    /// A bus whose per-game channels hold `capacity` messages.
    pub fn new(capacity: usize) -> Self {
        LocalEventBus {
            channels: Arc::new(Mutex::new(HashMap::new())),
            capacity: capacity.max(1),
        }
    }

    /// Games with at least one subscriber.
    pub fn channel_count(&self) -> usize {
        self.channels.lock().len()
    }
}

/// Removes a game's channel when the last subscriber goes away.
struct Unsubscribe {
    channels: Arc<Channels>,
    game_id: String,
}

impl Drop for Unsubscribe {
    fn drop(&mut self) {
        let mut channels = self.channels.lock();
        if channels
            .get(&self.game_id)
            .is_some_and(|tx| tx.receiver_count() == 0)
        {
            channels.remove(&self.game_id);
        }
    }
}

#[async_trait::async_trait]
impl EventBus for LocalEventBus {
    async fn publish(&self, game_id: &str, events: Arc<[StoredEvent]>) -> Result<(), BusError> {
        let sender = self.channels.lock().get(game_id).cloned();
        if let Some(sender) = sender {
            // An error only means nobody is listening right now.
            let _ = sender.send(BusMessage::Events(events));
        }
        Ok(())
    }

    async fn subscribe(&self, game_id: &str) -> Result<Subscription, BusError> {
        let receiver = self
            .channels
            .lock()
            .entry(game_id.to_string())
            .or_insert_with(|| broadcast::channel(self.capacity).0)
            .subscribe();
        let guard = Unsubscribe {
            channels: self.channels.clone(),
            game_id: game_id.to_string(),
        };
        // The receiver is dropped before the guard (tuple fields drop in order), so the guard sees
        // the right receiver count.
        let stream = stream::unfold((receiver, guard), |(mut receiver, guard)| async move {
            match receiver.recv().await {
                Ok(message) => Some((message, (receiver, guard))),
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    Some((BusMessage::Lagged, (receiver, guard)))
                }
                Err(broadcast::error::RecvError::Closed) => None,
            }
        });
        Ok(Box::pin(stream))
    }

    async fn ping(&self) -> Result<(), BusError> {
        Ok(())
    }
}
