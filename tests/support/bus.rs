//! Batches to publish and ways to wait for them on a subscription.
//!
//! Delivery is a hint (a subscriber may be told [`BusMessage::Lagged`] at any time and then
//! repairs from the store), so the helpers here skip `Lagged` and look at the batches.

use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use futures::StreamExt;

use caravan::application::ports::{BusMessage, StoredEvent, Subscription};
use caravan::domain::{Event, PlayerId};

/// How long a test waits for a batch that must come.
pub const ARRIVES_WITHIN: Duration = Duration::from_secs(5);
/// How long a test waits to be sure a batch does not come.
pub const QUIET_FOR: Duration = Duration::from_millis(300);

/// A batch of `game_id` with ids `first..=last`.
pub fn batch(game_id: &str, first: u64, last: u64) -> Arc<[StoredEvent]> {
    (first..=last)
        .map(|id| StoredEvent {
            game_id: game_id.into(),
            event_id: id,
            command_id: Some(format!("c{first}")),
            timestamp: Utc.timestamp_millis_opt(1_700_000_000_000).unwrap(),
            event: Event::PlayerJoined {
                seat: (id % 5) as u8,
                player_id: PlayerId::new(format!("p{id}")),
                name: format!("player {id}"),
                bot: None,
            },
        })
        .collect()
}

/// The next batch (skipping `Lagged`), or a panic after [`ARRIVES_WITHIN`].
pub async fn next_batch(subscription: &mut Subscription) -> Arc<[StoredEvent]> {
    let deadline = tokio::time::Instant::now() + ARRIVES_WITHIN;
    loop {
        let message = tokio::time::timeout_at(deadline, subscription.next())
            .await
            .expect("a batch within the time limit")
            .expect("the subscription is open");
        if let BusMessage::Events(events) = message {
            return events;
        }
    }
}

/// Panics if a batch arrives within [`QUIET_FOR`] (`Lagged` is allowed).
pub async fn assert_no_batch(subscription: &mut Subscription) {
    let deadline = tokio::time::Instant::now() + QUIET_FOR;
    while let Ok(message) = tokio::time::timeout_at(deadline, subscription.next()).await {
        if let Some(BusMessage::Events(events)) = message {
            panic!("unexpected batch: {events:?}");
        }
    }
}
