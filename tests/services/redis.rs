//! The event bus contract on the Redis bus, over a real connection (`REDIS_URL`; each test under a
//! key prefix of its own, deleted when it ends), plus what only a bus between processes does.

mod redis_bus {
    use caravan::adapters::outbound::redis::{RedisBusOptions, RedisEventBus, RedisKeys};

    use crate::support::services::fresh_redis;

    crate::contract!(
        event_bus,
        fresh_redis(|url, prefix| {
            RedisEventBus::new(url, RedisKeys::new(prefix), RedisBusOptions::default()).unwrap()
        })
    );

    use caravan::application::ports::EventBus;

    use crate::support::bus::{assert_no_batch, batch, next_batch};
    use crate::support::services::with_redis;

    fn bus(url: &str, prefix: &str, options: RedisBusOptions) -> RedisEventBus {
        RedisEventBus::new(url, RedisKeys::new(prefix), options).unwrap()
    }

    #[tokio::test]
    async fn a_batch_published_by_one_process_reaches_the_subscribers_of_another() {
        with_redis(|url, prefix| async move {
            let one = bus(&url, &prefix, RedisBusOptions::default());
            let two = bus(&url, &prefix, RedisBusOptions::default());
            let mut on_one = one.subscribe("g").await.unwrap();
            let mut on_two = two.subscribe("g").await.unwrap();
            // One batch at a time: a process hands its own batches to its subscribers at once,
            // and another's when Redis delivers them, so two batches published together by two
            // processes may arrive in either order (feeds put them back in order by id).
            one.publish("g", batch("g", 1, 2)).await.unwrap();
            assert_eq!(next_batch(&mut on_two).await, batch("g", 1, 2));
            assert_eq!(next_batch(&mut on_one).await, batch("g", 1, 2));
            two.publish("g", batch("g", 3, 3)).await.unwrap();
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
        with_redis(|url, prefix| async move {
            let ours = bus(&url, &prefix, RedisBusOptions::default());
            let theirs = bus(&url, &format!("{prefix}-other"), RedisBusOptions::default());
            let mut subscription = ours.subscribe("g").await.unwrap();
            theirs.publish("g", batch("g", 1, 1)).await.unwrap();
            assert_no_batch(&mut subscription).await;
        })
        .await;
    }

    #[tokio::test]
    async fn published_batches_enter_the_projection_stream_when_asked() {
        with_redis(|url, prefix| async move {
            let options = RedisBusOptions {
                projection_stream: true,
                ..RedisBusOptions::default()
            };
            let with_stream = bus(&url, &prefix, options);
            with_stream.publish("g", batch("g", 1, 2)).await.unwrap();
            with_stream.publish("h", batch("h", 1, 1)).await.unwrap();
            let without = bus(&url, &prefix, RedisBusOptions::default());
            without.publish("g", batch("g", 3, 3)).await.unwrap();

            let client = redis::Client::open(url.as_str()).unwrap();
            let mut conn = client.get_multiplexed_async_connection().await.unwrap();
            let entries: redis::streams::StreamRangeReply = redis::cmd("XRANGE")
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
