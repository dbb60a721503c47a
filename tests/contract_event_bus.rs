//! The event bus contract, run against every adapter: in process always, Redis over a real
//! connection (`REDIS_URL`; keys and channels under a prefix of the test's own). Then what only
//! the Redis bus does: carry batches between processes, and feed the projection stream.

mod support;

use std::future::Future;
use std::sync::Arc;

use caravan::adapters::outbound::memory::LocalEventBus;
use caravan::adapters::outbound::redis::{RedisBusOptions, RedisEventBus, RedisKeys};
use support::bus_contract::{self as contract, Bus};
use support::services::TestRedis;

async fn with_local<Fut: Future<Output = ()>>(case: impl FnOnce(Bus) -> Fut) {
    case(Arc::new(LocalEventBus::default())).await;
}

fn redis_bus(url: &str, prefix: &str, options: RedisBusOptions) -> Bus {
    Arc::new(RedisEventBus::new(url, RedisKeys::new(prefix), options).unwrap())
}

async fn with_redis<Fut: Future<Output = ()>>(case: impl FnOnce(Bus) -> Fut) {
    let Some(redis) = TestRedis::new().await else {
        return;
    };
    redis
        .run(|url, prefix| async move {
            let bus = redis_bus(&url, &prefix, RedisBusOptions::default());
            case(bus).await;
        })
        .await;
}

/// One `#[tokio::test]` per contract rule, for the adapter that `$fixture` provides.
macro_rules! contract_tests {
    ($fixture:ident: $($case:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $case() {
                super::$fixture(super::contract::$case).await;
            }
        )*
    };
}

macro_rules! event_bus_contract {
    ($fixture:ident) => {
        contract_tests!($fixture:
            a_subscriber_receives_every_batch_published_after_it_subscribed_in_order,
            every_subscriber_of_a_game_receives_each_batch,
            a_subscriber_receives_only_its_games_batches,
            publishing_to_a_game_nobody_follows_succeeds,
            a_game_followed_again_after_all_subscribers_left_receives_again,
            ping_answers,
        );
    };
}

mod local {
    event_bus_contract!(with_local);
}

mod redis {
    event_bus_contract!(with_redis);

    use super::*;
    use contract::{assert_no_batch, batch, next_batch};

    #[tokio::test]
    async fn a_batch_published_by_one_process_reaches_the_subscribers_of_another() {
        let Some(redis) = TestRedis::new().await else {
            return;
        };
        redis
            .run(|url, prefix| async move {
                let one = redis_bus(&url, &prefix, RedisBusOptions::default());
                let two = redis_bus(&url, &prefix, RedisBusOptions::default());
                let mut on_one = one.subscribe("g").await.unwrap();
                let mut on_two = two.subscribe("g").await.unwrap();
                one.publish("g", batch("g", 1, 2)).await.unwrap();
                two.publish("g", batch("g", 3, 3)).await.unwrap();
                assert_eq!(next_batch(&mut on_two).await, batch("g", 1, 2));
                assert_eq!(next_batch(&mut on_one).await, batch("g", 1, 2));
                assert_eq!(next_batch(&mut on_one).await, batch("g", 3, 3));
                assert_eq!(next_batch(&mut on_two).await, batch("g", 3, 3));
                // Each process delivered its own batch once, not again from Redis.
                assert_no_batch(&mut on_one).await;
                assert_no_batch(&mut on_two).await;
            })
            .await;
    }

    #[tokio::test]
    async fn buses_under_different_prefixes_do_not_hear_each_other() {
        let Some(redis) = TestRedis::new().await else {
            return;
        };
        redis
            .run(|url, prefix| async move {
                let ours = redis_bus(&url, &prefix, RedisBusOptions::default());
                let theirs =
                    redis_bus(&url, &format!("{prefix}-other"), RedisBusOptions::default());
                let mut subscription = ours.subscribe("g").await.unwrap();
                theirs.publish("g", batch("g", 1, 1)).await.unwrap();
                assert_no_batch(&mut subscription).await;
            })
            .await;
    }

    #[tokio::test]
    async fn published_batches_enter_the_projection_stream_when_asked() {
        let Some(redis) = TestRedis::new().await else {
            return;
        };
        redis
            .run(|url, prefix| async move {
                let options = RedisBusOptions {
                    projection_stream: true,
                    ..RedisBusOptions::default()
                };
                let bus = redis_bus(&url, &prefix, options);
                bus.publish("g", batch("g", 1, 2)).await.unwrap();
                bus.publish("h", batch("h", 1, 1)).await.unwrap();
                let without = redis_bus(&url, &prefix, RedisBusOptions::default());
                without.publish("g", batch("g", 3, 3)).await.unwrap();

                let client = ::redis::Client::open(url.as_str()).unwrap();
                let mut conn = client.get_multiplexed_async_connection().await.unwrap();
                let entries: ::redis::streams::StreamRangeReply = ::redis::cmd("XRANGE")
                    .arg(RedisKeys::new(&prefix).projection_stream())
                    .arg("-")
                    .arg("+")
                    .query_async(&mut conn)
                    .await
                    .unwrap();
                let seen: Vec<(String, u64)> = entries
                    .ids
                    .iter()
                    .map(|e| (e.get("g").unwrap(), e.get("v").unwrap()))
                    .collect();
                assert_eq!(seen, [("g".to_string(), 2), ("h".to_string(), 1)]);
            })
            .await;
    }
}
