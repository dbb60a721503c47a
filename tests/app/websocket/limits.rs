//! Per-connection limits: frame size, message rate, and readers too slow for the outbound queue.

use std::time::Duration;

use serde_json::json;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::Message;

use crate::support::app::spawn_app_with;
use crate::support::ws::{assert_contiguous, Incoming};

#[tokio::test]
async fn a_frame_over_the_limit_is_refused_with_frame_too_large_and_close_1009() {
    let app = spawn_app_with(|s| s.websocket.max_frame_bytes = 1024).await;
    let (game_id, _) = app.started_game(2, 71).await;

    // One big frame.
    let mut client = app.connect(&game_id, None, None).await;
    client.recv_type("welcome").await;
    let big = json!({"type": "ping", "padding": "x".repeat(2000)}).to_string();
    client.send(Message::text(big)).await;
    let error = client.recv().await.json();
    assert_eq!(error["type"], "error");
    assert_eq!(error["error"]["code"], "frame_too_large");
    assert_eq!(client.recv_close().await.map(|(c, _)| c), Some(1009));

    // A fragmented message is measured whole; a small one is reassembled and answered.
    let mut client = app.connect(&game_id, None, None).await;
    client.recv_type("welcome").await;
    let text = br#"{"type":"ping"}"#;
    client
        .send(Message::Frame(Frame::message(
            text[..6].to_vec(),
            OpCode::Data(Data::Text),
            false,
        )))
        .await;
    client
        .send(Message::Frame(Frame::message(
            text[6..].to_vec(),
            OpCode::Data(Data::Continue),
            true,
        )))
        .await;
    assert_eq!(client.recv().await.json()["type"], "pong");
    for (i, part) in [
        "{\"type\":\"ping\",\"p\":\"",
        &"y".repeat(700),
        &"y".repeat(700),
    ]
    .iter()
    .enumerate()
    {
        let opcode = if i == 0 { Data::Text } else { Data::Continue };
        client
            .send(Message::Frame(Frame::message(
                part.as_bytes().to_vec(),
                OpCode::Data(opcode),
                false,
            )))
            .await;
    }
    let error = client.recv().await.json();
    assert_eq!(error["error"]["code"], "frame_too_large");
    assert_eq!(client.recv_close().await.map(|(c, _)| c), Some(1009));

    app.assert_healthy().await;
    app.connect(&game_id, None, None).await.ping().await;
}

#[tokio::test]
async fn messages_beyond_the_rate_are_refused_with_rate_limited_and_the_connection_stays() {
    let app = spawn_app_with(|s| s.websocket.max_messages_per_sec = 5).await;
    let (game_id, players) = app.started_game(2, 72).await;
    let mut client = app.connect(&game_id, Some(&players[1].token), None).await;
    client.recv_type("welcome").await;

    // A burst of five passes; the sixth (a command) and seventh (a ping) are dropped.
    for _ in 0..5 {
        client.send_json(&json!({"type": "ping"})).await;
    }
    client
        .send_command("too-fast", &json!({"type": "rest"}))
        .await;
    client.send_json(&json!({"type": "ping"})).await;
    for _ in 0..5 {
        assert_eq!(client.recv().await.json()["type"], "pong");
    }
    let command = client.recv().await.json();
    assert_eq!(command["type"], "commandResult", "{command}");
    assert_eq!(command["requestId"], "too-fast");
    assert_eq!(command["error"]["code"], "rate_limited");
    let ping = client.recv().await.json();
    assert_eq!(ping["type"], "error");
    assert_eq!(ping["error"]["code"], "rate_limited");

    // A second later the bucket has refilled.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    client.ping().await;
    app.assert_healthy().await;
}

#[tokio::test]
async fn a_client_that_keeps_flooding_is_disconnected_with_1008() {
    let app = spawn_app_with(|s| s.websocket.max_messages_per_sec = 5).await;
    let (game_id, _) = app.started_game(2, 73).await;
    let mut flooder = app.connect(&game_id, None, None).await;
    flooder.recv_type("welcome").await;
    let mut bystander = app.connect(&game_id, None, None).await;
    bystander.recv_type("welcome").await;

    for _ in 0..40 {
        flooder.send_json(&json!({"type": "ping"})).await;
    }
    let mut codes = Vec::new();
    let close = loop {
        match flooder.recv().await {
            Incoming::Json(message) => {
                if message["type"] == "error" {
                    codes.push(message["error"]["code"].clone());
                }
            }
            Incoming::Closed(close) => break close,
        }
    };
    assert_eq!(close.map(|(c, _)| c), Some(1008), "closed for abuse");
    assert!(
        !codes.is_empty() && codes.iter().all(|c| c == "rate_limited"),
        "{codes:?}"
    );

    bystander.ping().await;
    app.assert_healthy().await;
}

#[tokio::test]
async fn a_reader_too_slow_for_the_outbound_queue_is_closed_with_slow_consumer_and_resumes_where_it_stopped(
) {
    let app = spawn_app_with(|s| {
        s.websocket.outbound_queue = 8;
        // The reader reads again once the server has given up on it, which on a busy machine may
        // be many seconds later: long enough heartbeats that the kernel does not reset its stalled
        // connection before (tests/app/hostile/readers.rs covers the reset).
        s.websocket.heartbeat_secs = 60;
        s.websocket.client_timeout_secs = 120;
        s.server.shutdown_timeout_secs = 240;
    })
    .await;
    let game_id = app.create_game(5, 74).await;
    // Three of five seats taken, so that every state frame carries a few players.
    for i in 0..3 {
        app.join(&game_id, &format!("a-rather-long-player-name-{i:05}"))
            .await;
    }

    // A spectator whose socket takes little before the server has to wait for it.
    let mut slow = app.connect_with_receive_buffer(&game_id, 4096).await;
    let welcome = slow.recv_type("welcome").await;
    let start = welcome["lastEventId"].as_u64().expect("lastEventId");

    // It stops reading while a fourth player comes and goes: many events. The kernel buffers a few
    // megabytes for the reader before the server has to wait for it.
    let mut gave_up = false;
    for round in 0..20_000 {
        let visitor = app
            .join(&game_id, &format!("visitor-with-a-long-name-{round:06}"))
            .await;
        let (status, body) = app
            .post(
                &format!("/api/games/{game_id}/leave"),
                Some(&visitor.token),
                &json!({}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        if round % 50 == 49 {
            let (_, stats) = app.get("/api/stats", None).await;
            if stats["openConnections"] == 0 {
                gave_up = true;
                break;
            }
        }
    }
    assert!(gave_up, "the server stopped feeding the slow reader");

    // When it reads again: what was already on its way, then slow_consumer and close 1013.
    let mut events = Vec::new();
    let close = loop {
        match slow.recv().await {
            Incoming::Json(message) if message["type"] == "event" => events.push(message),
            Incoming::Json(message) if message["type"] == "state" => {}
            Incoming::Json(message) => {
                assert_eq!(message["type"], "error", "{message}");
                assert_eq!(message["error"]["code"], "slow_consumer");
                break slow.recv_close().await;
            }
            Incoming::Closed(close) => panic!("closed without slow_consumer: {close:?}"),
        }
    };
    assert_eq!(
        close.map(|(c, _)| c),
        Some(1013),
        "close 1013: try again later"
    );
    assert_contiguous(&events, start + 1);
    let resume_from = events
        .last()
        .map_or(start, |e| e["eventId"].as_u64().expect("id"));

    // It reconnects from the last event it has and gets exactly the rest.
    let version = app.version(&game_id).await;
    assert!(version > resume_from, "the reader had fallen behind");
    let mut again = app.connect(&game_id, None, Some(resume_from)).await;
    let caught_up = again.recv_type("caughtUp").await;
    assert_eq!(caught_up["lastEventId"], version);
    let missed: Vec<_> = again
        .received
        .iter()
        .filter(|f| f["type"] == "event")
        .cloned()
        .collect();
    assert_contiguous(&missed, resume_from + 1);
    assert_eq!(missed.len() as u64, version - resume_from);
    app.assert_healthy().await;
}
