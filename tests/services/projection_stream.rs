//! The Redis Streams consumer group that drives the read models across instances: entries are
//! projected and then acknowledged, a failed projection is tried again, entries a dead consumer
//! left pending are claimed by another, and idle consumers are removed from the group.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use parking_lot::Mutex;

use crate::support::bus::batch;
use crate::support::services::with_redis;
use caravan::adapters::inbound::projection_stream::{
    ProjectionConsumer, ProjectionConsumerOptions, ProjectionHandler, PROJECTION_GROUP,
};
use caravan::adapters::outbound::redis::{pool, RedisBusOptions, RedisEventBus, RedisKeys};
use caravan::application::ports::EventBus;

/// Records every projection asked for; fails the first `failures` of them.
#[derive(Default)]
struct Recorder {
    calls: Mutex<Vec<(String, u64, bool)>>,
    failures: AtomicUsize,
}

impl Recorder {
    fn failing(failures: usize) -> Arc<Self> {
        Arc::new(Recorder {
            calls: Mutex::new(Vec::new()),
            failures: AtomicUsize::new(failures),
        })
    }

    fn succeeded(&self, game_id: &str, version: u64) -> bool {
        self.calls
            .lock()
            .iter()
            .any(|(g, v, ok)| g == game_id && *v >= version && *ok)
    }
}

impl ProjectionHandler for Recorder {
    fn project<'a>(&'a self, game_id: &'a str, version: u64) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let fail = self
                .failures
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
            self.calls
                .lock()
                .push((game_id.to_string(), version, !fail));
            if fail {
                Err("the read models are down".into())
            } else {
                Ok(())
            }
        })
    }
}

fn fast_options(name: &str) -> ProjectionConsumerOptions {
    ProjectionConsumerOptions {
        consumer: name.into(),
        block: Duration::from_millis(100),
        claim_after: Duration::from_millis(300),
        claim_every: Duration::from_millis(100),
        ..ProjectionConsumerOptions::default()
    }
}

/// Runs a consumer until dropped.
struct Running(tokio::task::JoinHandle<()>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn start(
    url: &str,
    prefix: &str,
    options: ProjectionConsumerOptions,
    handler: Arc<Recorder>,
) -> Running {
    let consumer = ProjectionConsumer::new(
        pool(url, Duration::from_secs(2)).unwrap(),
        RedisKeys::new(prefix),
        options,
        handler,
    );
    Running(tokio::spawn(consumer.run()))
}

async fn connection(url: &str) -> redis::aio::MultiplexedConnection {
    redis::Client::open(url)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

async fn pending(url: &str, prefix: &str) -> u64 {
    let reply: redis::streams::StreamPendingReply = redis::cmd("XPENDING")
        .arg(RedisKeys::new(prefix).projection_stream())
        .arg(PROJECTION_GROUP)
        .query_async(&mut connection(url).await)
        .await
        .unwrap();
    reply.count() as u64
}

/// Polls `condition` (an expression that may `.await`) every 50 ms for up to 10 s.
macro_rules! eventually {
    ($what:expr, $condition:expr) => {{
        let mut met = false;
        for _ in 0..200 {
            if $condition {
                met = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(met, "not within 10 s: {}", $what);
    }};
}

/// A bus that feeds the projection stream.
fn projecting_bus(url: &str, prefix: &str) -> RedisEventBus {
    let options = RedisBusOptions {
        projection_stream: true,
        ..RedisBusOptions::default()
    };
    RedisEventBus::new(url, RedisKeys::new(prefix), options).unwrap()
}

/// Creates the projection group on `stream` (and the stream), as a consumer would.
async fn create_group(conn: &mut redis::aio::MultiplexedConnection, stream: &str) {
    redis::cmd("XGROUP")
        .arg("CREATE")
        .arg(stream)
        .arg(PROJECTION_GROUP)
        .arg("0")
        .arg("MKSTREAM")
        .query_async::<()>(conn)
        .await
        .unwrap();
}

async fn consumers(url: &str, stream: &str) -> Vec<String> {
    let info: redis::streams::StreamInfoConsumersReply = redis::cmd("XINFO")
        .arg("CONSUMERS")
        .arg(stream)
        .arg(PROJECTION_GROUP)
        .query_async(&mut connection(url).await)
        .await
        .unwrap();
    info.consumers.into_iter().map(|c| c.name).collect()
}

#[tokio::test]
async fn committed_batches_are_projected_then_acknowledged() {
    with_redis(|url, prefix| async move {
        let recorder = Recorder::failing(0);
        let _consumer = start(&url, &prefix, fast_options("one"), recorder.clone());
        let bus = projecting_bus(&url, &prefix);
        bus.publish("g", batch("g", 1, 2)).await.unwrap();
        bus.publish("h", batch("h", 1, 1)).await.unwrap();
        bus.publish("g", batch("g", 3, 3)).await.unwrap();
        eventually!(
            "both games projected",
            recorder.succeeded("g", 3) && recorder.succeeded("h", 1)
        );
        eventually!("nothing pending", pending(&url, &prefix).await == 0);
    })
    .await;
}

#[tokio::test]
async fn a_failed_projection_stays_pending_and_is_tried_again() {
    with_redis(|url, prefix| async move {
        let recorder = Recorder::failing(1);
        let _consumer = start(&url, &prefix, fast_options("one"), recorder.clone());
        let bus = projecting_bus(&url, &prefix);
        bus.publish("g", batch("g", 1, 1)).await.unwrap();
        eventually!("a failed attempt", !recorder.calls.lock().is_empty());
        assert_eq!(
            pending(&url, &prefix).await,
            1,
            "not acknowledged after a failure"
        );
        eventually!("projected on a later attempt", recorder.succeeded("g", 1));
        eventually!("nothing pending", pending(&url, &prefix).await == 0);
    })
    .await;
}

#[tokio::test]
async fn entries_a_dead_consumer_left_pending_are_claimed_by_another() {
    with_redis(|url, prefix| async move {
        let stream = RedisKeys::new(&prefix).projection_stream();
        let mut conn = connection(&url).await;
        create_group(&mut conn, &stream).await;
        redis::cmd("XADD")
            .arg(&stream)
            .arg("*")
            .arg("g")
            .arg("orphan")
            .arg("v")
            .arg(7)
            .query_async::<String>(&mut conn)
            .await
            .unwrap();
        // A consumer reads the entry and dies before acknowledging it.
        let _: redis::Value = redis::cmd("XREADGROUP")
            .arg("GROUP")
            .arg(PROJECTION_GROUP)
            .arg("dead")
            .arg("STREAMS")
            .arg(&stream)
            .arg(">")
            .query_async(&mut conn)
            .await
            .unwrap();
        assert_eq!(pending(&url, &prefix).await, 1);

        let recorder = Recorder::failing(0);
        let _alive = start(&url, &prefix, fast_options("alive"), recorder.clone());
        eventually!("the orphan projected", recorder.succeeded("orphan", 7));
        eventually!("nothing pending", pending(&url, &prefix).await == 0);
    })
    .await;
}

#[tokio::test]
async fn consumers_idle_with_nothing_pending_leave_the_group() {
    with_redis(|url, prefix| async move {
        let stream = RedisKeys::new(&prefix).projection_stream();
        let mut conn = connection(&url).await;
        create_group(&mut conn, &stream).await;
        redis::cmd("XGROUP")
            .arg("CREATECONSUMER")
            .arg(&stream)
            .arg(PROJECTION_GROUP)
            .arg("gone")
            .query_async::<()>(&mut conn)
            .await
            .unwrap();
        assert_eq!(consumers(&url, &stream).await, ["gone"]);
        tokio::time::sleep(Duration::from_millis(300)).await;
        let options = ProjectionConsumerOptions {
            forget_consumers_after: Duration::from_millis(200),
            ..fast_options("alive")
        };
        let _alive = start(&url, &prefix, options, Recorder::failing(0));
        eventually!(
            "the idle consumer removed",
            !consumers(&url, &stream).await.contains(&"gone".to_string())
        );
    })
    .await;
}
