//! Floods of frames that are not messages: pings, pongs and continuation frames count toward
//! `WS_MAX_MESSAGES_PER_SEC` like messages, so a flood of them is closed with 1008.

use std::time::Duration;

use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::Message;

use crate::support::app::{spawn_app_with, TestApp};
use crate::support::ws::WsClient;

/// Sends `frames` as fast as the socket takes them (stopping when the server has closed).
async fn flood(socket: &mut WsClient, frames: impl Iterator<Item = Message>) {
    for frame in frames {
        if !socket.try_send(frame).await {
            return;
        }
    }
}

/// The flood ends with `rate_limited` and close 1008; a bystander's connection is untouched.
async fn assert_closed_for_flooding(app: &TestApp, game_id: &str, mut flooder: WsClient) {
    let (messages, close) = flooder.until_closed(Duration::from_secs(20)).await;
    assert_eq!(close, Some(1008), "closed for flooding: {messages:?}");
    assert!(
        messages
            .iter()
            .any(|m| m["type"] == "error" && m["error"]["code"] == "rate_limited"),
        "{messages:?}"
    );
    let mut bystander = app.connect(game_id, None, None).await;
    assert_eq!(bystander.recv().await.json()["type"], "welcome");
    let (status, _) = app.get("/health", None).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_ping_flood_is_closed_with_1008() {
    let app = spawn_app_with(|s| s.websocket.max_messages_per_sec = 5).await;
    let game_id = app.create_game(2, 401).await;
    let mut flooder = app.connect(&game_id, None, None).await;
    assert_eq!(flooder.recv().await.json()["type"], "welcome");
    flood(
        &mut flooder,
        (0..200).map(|_| Message::Ping(vec![0u8; 100].into())),
    )
    .await;
    assert_closed_for_flooding(&app, &game_id, flooder).await;
    app.stop().await;
}

#[tokio::test]
async fn a_pong_flood_is_closed_with_1008() {
    let app = spawn_app_with(|s| s.websocket.max_messages_per_sec = 5).await;
    let game_id = app.create_game(2, 402).await;
    let mut flooder = app.connect(&game_id, None, None).await;
    assert_eq!(flooder.recv().await.json()["type"], "welcome");
    flood(
        &mut flooder,
        (0..200).map(|_| Message::Pong(Vec::new().into())),
    )
    .await;
    assert_closed_for_flooding(&app, &game_id, flooder).await;
    app.stop().await;
}

#[tokio::test]
async fn a_flood_of_empty_continuation_frames_is_closed_with_1008() {
    let app = spawn_app_with(|s| s.websocket.max_messages_per_sec = 5).await;
    let game_id = app.create_game(2, 403).await;
    let mut flooder = app.connect(&game_id, None, None).await;
    assert_eq!(flooder.recv().await.json()["type"], "welcome");
    let first = Message::Frame(Frame::message(
        b"{\"type\":".to_vec(),
        OpCode::Data(Data::Text),
        false,
    ));
    let empty = (0..500).map(|_| {
        Message::Frame(Frame::message(
            Vec::new(),
            OpCode::Data(Data::Continue),
            false,
        ))
    });
    flood(&mut flooder, std::iter::once(first).chain(empty)).await;
    assert_closed_for_flooding(&app, &game_id, flooder).await;
    app.stop().await;
}

#[tokio::test]
async fn a_fragmented_message_within_the_limit_is_still_answered() {
    let app = spawn_app_with(|s| s.websocket.max_messages_per_sec = 5).await;
    let game_id = app.create_game(2, 404).await;
    let mut client = app.connect(&game_id, None, None).await;
    assert_eq!(client.recv().await.json()["type"], "welcome");
    let text = br#"{"type":"ping"}"#;
    for (part, opcode, last) in [
        (&text[..5], Data::Text, false),
        (&text[5..10], Data::Continue, false),
        (&text[10..], Data::Continue, true),
    ] {
        client
            .send(Message::Frame(Frame::message(
                part.to_vec(),
                OpCode::Data(opcode),
                last,
            )))
            .await;
    }
    assert_eq!(client.recv().await.json()["type"], "pong");
    app.stop().await;
}
