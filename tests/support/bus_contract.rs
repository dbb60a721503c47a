//! The [`EventBus`](caravan::application::ports::EventBus) contract, one async function per rule;
//! `tests/contract_event_bus.rs` runs each against every adapter.
//!
//! Delivery is a hint (a subscriber may be told [`BusMessage::Lagged`] at any time and then
//! repairs from the store), so the helpers here skip `Lagged` and look at the batches.

use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use futures::StreamExt;

use caravan::application::ports::{BusMessage, DynEventBus, StoredEvent, Subscription};
use caravan::domain::{Event, PlayerId};

/// A bus under test.
pub type Bus = Arc<dyn DynEventBus>;

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

fn ids(events: &[StoredEvent]) -> Vec<u64> {
    events.iter().map(|e| e.event_id).collect()
}

pub async fn a_subscriber_receives_every_batch_published_after_it_subscribed_in_order(bus: Bus) {
    let mut subscription = bus.subscribe("g").await.unwrap();
    bus.publish("g", batch("g", 1, 2)).await.unwrap();
    bus.publish("g", batch("g", 3, 3)).await.unwrap();
    bus.publish("g", batch("g", 4, 6)).await.unwrap();
    let first = next_batch(&mut subscription).await;
    assert_eq!(first, batch("g", 1, 2));
    assert_eq!(ids(&next_batch(&mut subscription).await), [3]);
    assert_eq!(ids(&next_batch(&mut subscription).await), [4, 5, 6]);
}

pub async fn every_subscriber_of_a_game_receives_each_batch(bus: Bus) {
    let mut one = bus.subscribe("g").await.unwrap();
    let mut two = bus.subscribe("g").await.unwrap();
    bus.publish("g", batch("g", 1, 1)).await.unwrap();
    assert_eq!(ids(&next_batch(&mut one).await), [1]);
    assert_eq!(ids(&next_batch(&mut two).await), [1]);
}

pub async fn a_subscriber_receives_only_its_games_batches(bus: Bus) {
    let mut a = bus.subscribe("a").await.unwrap();
    let mut b = bus.subscribe("b").await.unwrap();
    bus.publish("b", batch("b", 1, 1)).await.unwrap();
    assert_eq!(next_batch(&mut b).await[0].game_id, "b");
    assert_no_batch(&mut a).await;
}

pub async fn publishing_to_a_game_nobody_follows_succeeds(bus: Bus) {
    bus.publish("nobody", batch("nobody", 1, 3)).await.unwrap();
}

pub async fn a_game_followed_again_after_all_subscribers_left_receives_again(bus: Bus) {
    let first = bus.subscribe("g").await.unwrap();
    drop(first);
    bus.publish("g", batch("g", 1, 1)).await.unwrap();
    let mut again = bus.subscribe("g").await.unwrap();
    bus.publish("g", batch("g", 2, 2)).await.unwrap();
    assert_eq!(ids(&next_batch(&mut again).await), [2]);
}

pub async fn ping_answers(bus: Bus) {
    bus.ping().await.unwrap();
}
