//! Failure behaviour: MongoDB or Redis taken away from running instances (through a TCP proxy the
//! test cuts) and given back. Needs MongoDB and Redis (see `tests/support/services.rs`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use reqwest::StatusCode;

use crate::support::app::{Joined, TestApp};
use crate::support::bus::{batch, next_batch};
use crate::support::play::{assert_gap_free, collect_feed, next_move};
use crate::support::proxy::{host_port, through, Proxy};
use crate::support::services::{with_redis, with_services, Backing};
use caravan::adapters::outbound::redis::{RedisBusOptions, RedisEventBus, RedisKeys};
use caravan::application::ports::{BusMessage, EventBus, StoredEvent};
use caravan::config::EventBusKind;
use caravan::domain::{Command, RandomPlayer};

/// The counter's value in Prometheus text, 0 when absent.
fn counter(metrics: &str, name: &str) -> f64 {
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(name)?.trim().parse().ok())
        .unwrap_or(0.0)
}

/// Sends the bot's next command to the instance of the player whose turn it is.
async fn play_one(
    game_id: &str,
    players: &[(Joined, &TestApp)],
    truth: &TestApp,
    bot: &mut RandomPlayer,
    command_id: &str,
) -> (StatusCode, serde_json::Value, Command) {
    let (seat, command) = next_move(&truth.state(game_id).await, bot).expect("the game runs");
    let (player, app) = players.iter().find(|(p, _)| p.seat == seat).unwrap();
    let (status, body) = app
        .command(game_id, &player.token, command_id, &command)
        .await;
    (status, body, command)
}

fn public(events: &[StoredEvent]) -> Vec<StoredEvent> {
    events.iter().map(StoredEvent::public).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_redis_gone_commands_commit_and_when_it_returns_every_client_catches_up() {
    with_services(|backing| async move {
        let proxy = Proxy::start(&host_port(&backing.redis_url)).await;
        let via_proxy = Backing {
            redis_url: through(&backing.redis_url, &proxy),
            ..backing
        };
        let a = TestApp::spawn(via_proxy.settings()).await;
        let b = TestApp::spawn(via_proxy.settings()).await;
        a.wait_ready(Duration::from_secs(10)).await;
        b.wait_ready(Duration::from_secs(10)).await;

        let game_id = a.create_game(2, 8).await;
        let ada = a.join(&game_id, "ada").await;
        let bo = b.join(&game_id, "bo").await;
        let players = [(ada.clone(), &a), (bo.clone(), &b)];
        let until = Arc::new(AtomicU64::new(0));
        let (missed, feed) = a.feed(&game_id, Some(&ada), 0).await;
        let on_a = collect_feed(feed, missed, until.clone());
        let (missed, feed) = b.feed(&game_id, Some(&bo), 0).await;
        let on_b = collect_feed(feed, missed, until.clone());
        let mut bot = RandomPlayer::new(1);

        proxy.cut();

        // MongoDB is the truth: every command still commits, on either instance.
        for i in 0..6 {
            let (status, body, _) =
                play_one(&game_id, &players, &a, &mut bot, &format!("out-{i}")).await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
        let during = a.stored(&game_id).await.last().unwrap().event_id;
        // /ready names the bus; the failed publishes are counted.
        let (status, body) = a.get("/ready", None).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert_eq!(body["eventBus"], "failing", "{body}");
        assert_eq!(body["eventStore"], "ok", "{body}");
        let failures = counter(&a.metrics().await, "caravan_publish_failures_total")
            + counter(&b.metrics().await, "caravan_publish_failures_total");
        assert!(failures >= 6.0, "{failures} publish failures counted");
        // A batch that could not be published was projected in process.
        let summary = a.services.queries.summary(&game_id).await.unwrap();
        assert_eq!(summary.version, during);

        proxy.restore().await;
        a.wait_ready(Duration::from_secs(15)).await;
        b.wait_ready(Duration::from_secs(15)).await;

        // Fan-out resumes; each client catches up without a gap.
        for i in 0..4 {
            let (status, body, _) =
                play_one(&game_id, &players, &a, &mut bot, &format!("back-{i}")).await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
        let stored = a.stored(&game_id).await;
        let last = stored.last().unwrap().event_id;
        until.store(last, Ordering::SeqCst);
        for (name, client) in [("ada on a", on_a), ("bo on b", on_b)] {
            let seen = tokio::time::timeout(Duration::from_secs(20), client)
                .await
                .unwrap_or_else(|_| panic!("{name} did not catch up"))
                .unwrap();
            assert_gap_free(&seen, last, name);
            assert_eq!(seen, public(&stored), "{name}");
        }
        a.stop().await;
        b.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_mongodb_gone_commands_are_refused_as_unavailable_and_play_resumes_when_it_returns() {
    with_services(|backing| async move {
        let proxy = Proxy::start(&host_port(&backing.mongo_uri)).await;
        let via_proxy = Backing {
            mongo_uri: through(&backing.mongo_uri, &proxy),
            ..backing.clone()
        };
        let mut settings = via_proxy.settings();
        settings.storage.event_bus = EventBusKind::Local;
        let app = TestApp::spawn(settings).await;
        app.wait_ready(Duration::from_secs(10)).await;
        // Reads of the truth, not through the proxy.
        let direct = TestApp::spawn(
            Backing {
                redis_prefix: format!("{}:direct", backing.redis_prefix),
                ..backing
            }
            .settings(),
        )
        .await;

        let game_id = app.create_game(2, 4).await;
        let players = [
            (app.join(&game_id, "ada").await, &app),
            (app.join(&game_id, "bo").await, &app),
        ];
        let mut bot = RandomPlayer::new(9);
        let (status, _, _) = play_one(&game_id, &players, &direct, &mut bot, "c-0").await;
        assert_eq!(status, StatusCode::OK);
        let before = direct.stored(&game_id).await;

        proxy.cut();

        let (seat, command) = next_move(&direct.state(&game_id).await, &mut bot).unwrap();
        let player = &players[usize::from(seat)].0;
        let (status, body) = app.command(&game_id, &player.token, "c-1", &command).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        // `unavailable` when the driver could not send the write, `outcome_unknown` when the cut
        // came after it may have been sent: both tell the client to send it again, and both are
        // true here (nothing was written, checked below).
        let code = body["error"]["code"].as_str().unwrap_or_default();
        assert!(matches!(code, "unavailable" | "outcome_unknown"), "{body}");
        let (status, body) = app.get(&format!("/api/games/{game_id}/events"), None).await;
        assert_eq!(
            status,
            StatusCode::SERVICE_UNAVAILABLE,
            "queries say so: {body}"
        );
        let (status, body) = app.get("/ready", None).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body["eventStore"], "failing", "{body}");
        assert_eq!(direct.stored(&game_id).await, before, "nothing was written");

        proxy.restore().await;
        app.wait_ready(Duration::from_secs(15)).await;

        // The refused command goes through now, and play continues.
        let (status, body) = app.command(&game_id, &player.token, "c-1", &command).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["duplicate"], false);
        for i in 2..6 {
            let (status, body, _) =
                play_one(&game_id, &players, &direct, &mut bot, &format!("c-{i}")).await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
        let after = direct.stored(&game_id).await;
        assert_gap_free(&after, after.len() as u64, "the store");
        app.stop().await;
        direct.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_instance_started_while_mongodb_is_down_is_not_ready_until_it_comes_up() {
    with_services(|backing| async move {
        let proxy = Proxy::start(&host_port(&backing.mongo_uri)).await;
        proxy.cut();
        let via_proxy = Backing {
            mongo_uri: through(&backing.mongo_uri, &proxy),
            ..backing
        };
        let app = TestApp::spawn(via_proxy.settings()).await;
        let (status, body) = app.get("/ready", None).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert_eq!(body["eventStore"], "failing", "{body}");
        let (status, body) = app
            .call(
                reqwest::Method::POST,
                "/api/games",
                None,
                Some(&serde_json::json!({ "numPlayers": 2 })),
            )
            .await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");

        proxy.restore().await;
        app.wait_ready(Duration::from_secs(20)).await;
        let game_id = app.create_game(2, 1).await;
        app.join(&game_id, "ada").await;
        app.stop().await;
    })
    .await;
}

#[tokio::test]
async fn a_subscriber_is_told_it_lagged_once_the_redis_connection_returns() {
    with_redis(|url, prefix| async move {
        let proxy = Proxy::start(&host_port(&url)).await;
        let options = RedisBusOptions {
            health_interval: Duration::from_millis(200),
            max_reconnect_delay: Duration::from_millis(500),
            ..RedisBusOptions::default()
        };
        let cut_off =
            RedisEventBus::new(&through(&url, &proxy), RedisKeys::new(&prefix), options).unwrap();
        let other =
            RedisEventBus::new(&url, RedisKeys::new(&prefix), RedisBusOptions::default()).unwrap();
        let mut subscription = cut_off.subscribe("g").await.unwrap();
        other.publish("g", batch("g", 1, 1)).await.unwrap();
        assert_eq!(next_batch(&mut subscription).await, batch("g", 1, 1));

        proxy.cut();
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(cut_off.ping().await.is_err(), "the bus reports Redis gone");
        other.publish("g", batch("g", 2, 2)).await.unwrap();
        // Local publishes still reach local subscribers.
        assert!(cut_off.publish("g", batch("g", 3, 3)).await.is_err());
        assert_eq!(next_batch(&mut subscription).await, batch("g", 3, 3));

        // While Redis is away the subscriber is told, again and again, to look in the store.
        for _ in 0..2 {
            let polled = tokio::time::timeout(Duration::from_secs(1), subscription.next())
                .await
                .expect("a message while Redis is away");
            assert!(
                matches!(polled, Some(BusMessage::Lagged)),
                "expected Lagged, got {polled:?}"
            );
        }

        proxy.restore().await;
        let until = tokio::time::Instant::now() + Duration::from_secs(10);
        while !cut_off.is_listening() {
            assert!(tokio::time::Instant::now() < until, "the bus reconnects");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // After the reconnection: "you may have missed something".
        let first = tokio::time::timeout(Duration::from_secs(10), subscription.next())
            .await
            .expect("a message after the reconnection");
        assert!(
            matches!(first, Some(BusMessage::Lagged)),
            "expected Lagged, got {first:?}"
        );
        assert!(cut_off.ping().await.is_ok());
        other.publish("g", batch("g", 4, 4)).await.unwrap();
        assert_eq!(next_batch(&mut subscription).await, batch("g", 4, 4));
    })
    .await;
}
