//! The life of connections: heartbeats, the open-connections gauge, graceful shutdown.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use caravan::domain::rng::Rng;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use crate::support::app::{spawn_app, spawn_app_with, test_settings, TestApp};
use crate::support::stores::SlowStore;
use crate::support::ws::Incoming;
use crate::websocket::hint_player;

#[tokio::test]
async fn a_silent_client_is_dropped_after_the_timeout_while_a_live_one_stays() {
    let app = spawn_app_with(|s| {
        s.websocket.heartbeat_secs = 1;
        s.websocket.client_timeout_secs = 2;
    })
    .await;
    let (game_id, _) = app.started_game(2, 81).await;
    let mut silent = app.connect(&game_id, None, None).await;
    silent.recv_type("welcome").await;
    let mut live = app.connect(&game_id, None, None).await;
    live.recv_type("welcome").await;

    // The live client reads (and so answers the server's pings); the silent one does not.
    let listening = async {
        while live
            .recv_within(Duration::from_millis(3500))
            .await
            .is_some()
        {}
    };
    let waiting = tokio::time::sleep(Duration::from_millis(3500));
    tokio::join!(listening, waiting);

    assert_eq!(
        silent.recv_close().await,
        Some((4008, "client_timeout".into())),
        "the silent client was dropped"
    );
    live.ping().await;
}

/// The value of `caravan_websockets_open` in `/metrics`.
async fn open_websockets(app: &TestApp) -> Option<i64> {
    app.metric("caravan_websockets_open")
        .await
        .map(|open| open as i64)
}

async fn wait_for_open_websockets(app: &TestApp, expected: i64) {
    for _ in 0..100 {
        if open_websockets(app).await == Some(expected) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "caravan_websockets_open stayed at {:?}, expected {expected}",
        open_websockets(app).await
    );
}

#[tokio::test]
async fn the_metrics_count_open_websockets() {
    let app = spawn_app().await;
    let (game_id, players) = app.started_game(2, 82).await;
    wait_for_open_websockets(&app, 0).await;
    let mut a = app.connect(&game_id, Some(&players[0].token), None).await;
    a.recv_type("welcome").await;
    let mut b = app.connect(&game_id, None, None).await;
    b.recv_type("welcome").await;
    wait_for_open_websockets(&app, 2).await;
    a.send(Message::Close(None)).await;
    a.recv_close().await;
    b.drop_connection().await;
    wait_for_open_websockets(&app, 0).await;
}

#[tokio::test]
async fn a_stopping_server_finishes_in_flight_commands_then_closes_websockets_with_1001() {
    let (store, store_delay) = SlowStore::new();
    let app =
        TestApp::spawn_with_ports(test_settings(), |ports| ports.store = Arc::new(store)).await;
    let (game_id, players) = app.started_game(2, 83).await;
    let mover = app.view(&game_id, None).await["state"]["currentSeat"]
        .as_u64()
        .expect("a seat to move") as usize;
    let mut player = app
        .connect(&game_id, Some(&players[mover].token), None)
        .await;
    let welcome = player.recv_type("welcome").await;
    let mut other = app
        .connect(&game_id, Some(&players[1 - mover].token), None)
        .await;
    other.recv_type("welcome").await;
    let mut spectator = app.connect(&game_id, None, None).await;
    spectator.recv_type("welcome").await;

    // A command is in flight (its append takes a second) when the server is told to stop.
    store_delay.store(1000, Ordering::Relaxed);
    let command = hint_player::choose(&welcome["state"], &mut Rng::new(8)).expect("hints");
    player.send_command("in-flight", &command).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let address = app.address.clone();
    let stopping = tokio::spawn(async move {
        app.stop().await;
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    // A command sent once the server is stopping is refused.
    player
        .send_command("too-late", &json!({"type": "rest"}))
        .await;

    // The player gets: the refusal; the in-flight command's events, state and result; then 1001.
    let mut last_event = 0;
    let mut answers = Vec::new();
    let close = loop {
        match player.recv().await {
            Incoming::Json(message) => match message["type"].as_str() {
                Some("event") => last_event = message["eventId"].as_u64().expect("id"),
                Some("commandResult") => answers.push(message),
                _ => {}
            },
            Incoming::Closed(close) => break close,
        }
    };
    assert_eq!(
        answers.len(),
        2,
        "both commands are answered before the close: {answers:?}"
    );
    assert_eq!(answers[0]["requestId"], "too-late");
    assert_eq!(answers[0]["error"]["code"], "server_stopping");
    assert_eq!(answers[1]["requestId"], "in-flight");
    assert_eq!(
        answers[1]["ok"], true,
        "the in-flight command finished: {}",
        answers[1]
    );
    assert_eq!(
        answers[1]["lastEventId"].as_u64(),
        Some(last_event),
        "its events came first"
    );
    assert_eq!(close.map(|(c, _)| c), Some(1001));
    assert_eq!(other.recv_close().await.map(|(c, _)| c), Some(1001));
    assert_eq!(spectator.recv_close().await.map(|(c, _)| c), Some(1001));
    assert_eq!(
        other.events().last().and_then(|e| e["eventId"].as_u64()),
        Some(last_event),
        "the others saw the in-flight command's events too"
    );

    tokio::time::timeout(Duration::from_secs(30), stopping)
        .await
        .expect("the server stops")
        .expect("the stop task ends");
    assert!(
        reqwest::get(format!("{address}/health")).await.is_err(),
        "nothing listens any more"
    );
}
