//! WebSocket readers that stop reading: a silent one is closed after `WS_CLIENT_TIMEOUT_SECS`, one
//! that keeps talking but never reads is reset once its window has stayed closed for a heartbeat,
//! and neither holds up a stopping server. Honest games play on meanwhile.

use std::time::{Duration, Instant};

use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use super::play_to_the_end;
use crate::support::app::{spawn_app_with, TestApp};

/// `caravan_websockets_open` from `/metrics`.
async fn websockets_open(app: &TestApp) -> i64 {
    app.metric("caravan_websockets_open")
        .await
        .expect("the gauge is exported") as i64
}

/// `openConnections` of `/api/stats`: feeds still fed on this instance.
async fn fed_connections(app: &TestApp) -> u64 {
    let (_, stats) = app.get("/api/stats", None).await;
    stats["openConnections"].as_u64().expect("openConnections")
}

/// A waiting five-seat game with three long-named players: busy with visitors, it sends every
/// connection plenty of bytes.
async fn busy_lobby(app: &TestApp, seed: u64) -> String {
    let game_id = app.create_game(5, seed).await;
    for i in 0..3 {
        app.join(&game_id, &format!("a-rather-long-player-name-{i:05}"))
            .await;
    }
    game_id
}

/// One visitor comes and goes.
async fn visit(app: &TestApp, game_id: &str, round: u32) {
    let visitor = app
        .join(game_id, &format!("visitor-with-a-long-name-{round:06}"))
        .await;
    let (status, body) = app
        .call(
            reqwest::Method::POST,
            &format!("/api/games/{game_id}/leave"),
            Some(&visitor.token),
            Some(&json!({})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

/// Keeps `game_id` busy until `done` says so (checked every 25 visits); the visits made.
async fn keep_busy_until<F, Fut>(app: &TestApp, game_id: &str, mut done: F) -> u32
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for round in 0..20_000 {
        visit(app, game_id, round).await;
        if round % 25 == 24 && done().await {
            return round + 1;
        }
    }
    panic!("the condition never held in 20,000 visits");
}

/// Waits (polling) until `check` holds, at most `within`.
async fn eventually<F, Fut>(within: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + within;
    while !check().await {
        assert!(Instant::now() < deadline, "{what}: not within {within:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// An honest two-player game, played to its end over REST while an attack runs.
async fn honest_game(app: &TestApp, seed: u64) -> u64 {
    let game_id = app.create_game(2, seed).await;
    let players = [
        app.join(&game_id, "honest-ana").await,
        app.join(&game_id, "honest-bo").await,
    ];
    play_to_the_end(app, &game_id, &players, seed).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_reader_is_closed_within_the_client_timeout_and_a_heartbeat() {
    let app = spawn_app_with(|s| {
        s.websocket.heartbeat_secs = 1;
        s.websocket.client_timeout_secs = 2;
    })
    .await;
    let game_id = busy_lobby(&app, 301).await;
    let mut silent = app.connect_with_receive_buffer(&game_id, 4096).await;
    assert_eq!(silent.recv().await.json()["type"], "welcome");
    let last_read = Instant::now();
    // It never reads (nor answers a ping) again, while the game keeps sending.
    let visits = keep_busy_until(&app, &game_id, || async {
        websockets_open(&app).await == 0
    })
    .await;
    let gone_after = last_read.elapsed();
    assert!(visits > 0);
    assert!(
        gone_after < Duration::from_secs(2 + 1 + 5),
        "closed {gone_after:?} after its last read (timeout 2 s, heartbeat 1 s)"
    );
    assert!(honest_game(&app, 302).await > 10);
    let (status, _) = app.get("/health", None).await;
    assert_eq!(status, 200);
    drop(silent);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_that_talks_but_never_reads_is_reset_and_its_buffers_freed() {
    let app = spawn_app_with(|s| {
        s.websocket.heartbeat_secs = 1;
        s.websocket.client_timeout_secs = 30;
        s.websocket.outbound_queue_bytes = 64 * 1024;
    })
    .await;
    let game_id = busy_lobby(&app, 311).await;
    let mut talker = app.connect_with_receive_buffer(&game_id, 4096).await;
    assert_eq!(talker.recv().await.json()["type"], "welcome");
    // It sends a ping every 200 ms (so it is never silent) and never reads.
    let pinger = tokio::spawn(async move {
        loop {
            if !talker.try_send(Message::Ping(Vec::new().into())).await {
                return talker;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    // The game keeps sending until the server gives up on feeding it…
    keep_busy_until(&app, &game_id, || async {
        fed_connections(&app).await == 0
    })
    .await;
    // …and then the connection itself goes: reset once its window stayed closed for a heartbeat.
    eventually(
        Duration::from_secs(1 + 10),
        "the stalled connection is reset",
        || async { websockets_open(&app).await == 0 },
    )
    .await;
    let mut talker = tokio::time::timeout(Duration::from_secs(10), pinger)
        .await
        .expect("the pinger sees its connection end")
        .expect("the pinger ends");
    // What it reads now ends in a reset or a close, never waits for more.
    talker.until_closed(Duration::from_secs(10)).await;
    assert!(honest_game(&app, 312).await > 10);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_with_a_stuck_reader_stops_well_within_its_shutdown_timeout() {
    let app = spawn_app_with(|s| {
        s.server.shutdown_timeout_secs = 20;
        s.websocket.heartbeat_secs = 2;
        s.websocket.client_timeout_secs = 60;
        s.websocket.outbound_queue_bytes = 64 * 1024;
    })
    .await;
    let game_id = busy_lobby(&app, 321).await;
    let mut stuck = app.connect_with_receive_buffer(&game_id, 4096).await;
    assert_eq!(stuck.recv().await.json()["type"], "welcome");
    let mut reader = app.connect(&game_id, None, None).await;
    assert_eq!(reader.recv().await.json()["type"], "welcome");
    let honest = tokio::spawn(async move {
        let (_, close) = reader.until_closed(Duration::from_secs(600)).await;
        close
    });
    // The server gives up feeding the stuck reader, whose connection is stalled now.
    keep_busy_until(&app, &game_id, || async {
        fed_connections(&app).await <= 1
    })
    .await;
    let started = Instant::now();
    app.stop().await;
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(10),
        "stopping took {took:?} (shutdown timeout 20 s, stalled connections reset after 2 s)"
    );
    let close = tokio::time::timeout(Duration::from_secs(10), honest)
        .await
        .expect("the honest spectator's connection ends")
        .expect("its task ends");
    assert_eq!(
        close,
        Some(1001),
        "the honest spectator is told the server is going away"
    );
    drop(stuck);
}
