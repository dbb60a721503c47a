//! The `EventBus` contract: batches reach the subscribers of their game, in order, once.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;

use caravan::application::ports::{BusMessage, EventBus, StoredEvent};

use super::{joined, t};

fn batch(game: &str, ids: std::ops::RangeInclusive<u64>) -> Arc<[StoredEvent]> {
    ids.map(|id| StoredEvent {
        game_id: game.to_string(),
        event_id: id,
        command_id: None,
        timestamp: t(0),
        event: joined((id % 5) as u8),
    })
    .collect::<Vec<_>>()
    .into()
}

/// The next batch's ids, skipping lag notices; fails after 5 s.
async fn next_ids(subscription: &mut caravan::application::ports::Subscription) -> Vec<u64> {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(5), subscription.next())
            .await
            .expect("a message within 5 s")
            .expect("the subscription is open");
        if let BusMessage::Events(events) = message {
            return events.iter().map(|e| e.event_id).collect();
        }
    }
}

/// True when no batch arrives within 200 ms. A lag notice may: the port allows one at any time
/// (a bus that reconnects sends one), and it carries no events.
async fn nothing_arrives(subscription: &mut caravan::application::ports::Subscription) -> bool {
    let deadline = tokio::time::Instant::now() + Duration::from_millis(200);
    loop {
        match tokio::time::timeout_at(deadline, subscription.next()).await {
            Err(_) => return true,
            Ok(Some(BusMessage::Lagged)) => continue,
            Ok(_) => return false,
        }
    }
}

pub async fn a_subscriber_receives_batches_published_after_it_subscribed_in_order<B: EventBus>(
    bus: B,
) {
    bus.publish("g", batch("g", 1..=1)).await.unwrap();
    let mut sub = bus.subscribe("g").await.unwrap();
    bus.publish("g", batch("g", 2..=3)).await.unwrap();
    bus.publish("g", batch("g", 4..=4)).await.unwrap();
    assert_eq!(next_ids(&mut sub).await, vec![2, 3]);
    assert_eq!(next_ids(&mut sub).await, vec![4]);
}

pub async fn games_are_isolated<B: EventBus>(bus: B) {
    let mut a = bus.subscribe("a").await.unwrap();
    bus.publish("b", batch("b", 1..=1)).await.unwrap();
    assert!(nothing_arrives(&mut a).await);
}

pub async fn every_subscriber_receives_every_batch<B: EventBus>(bus: B) {
    let mut one = bus.subscribe("g").await.unwrap();
    let mut two = bus.subscribe("g").await.unwrap();
    bus.publish("g", batch("g", 1..=2)).await.unwrap();
    assert_eq!(next_ids(&mut one).await, vec![1, 2]);
    assert_eq!(next_ids(&mut two).await, vec![1, 2]);
}

pub async fn publishing_without_subscribers_succeeds<B: EventBus>(bus: B) {
    bus.publish("lonely", batch("lonely", 1..=1)).await.unwrap();
}

pub async fn a_dropped_subscription_does_not_disturb_the_others<B: EventBus>(bus: B) {
    let dropped = bus.subscribe("g").await.unwrap();
    let mut kept = bus.subscribe("g").await.unwrap();
    drop(dropped);
    bus.publish("g", batch("g", 1..=1)).await.unwrap();
    assert_eq!(next_ids(&mut kept).await, vec![1]);
    drop(kept);
    bus.publish("g", batch("g", 2..=2)).await.unwrap();
    let mut again = bus.subscribe("g").await.unwrap();
    bus.publish("g", batch("g", 3..=3)).await.unwrap();
    assert_eq!(next_ids(&mut again).await, vec![3]);
}

pub async fn the_bus_answers_a_ping<B: EventBus>(bus: B) {
    bus.ping().await.unwrap();
}
