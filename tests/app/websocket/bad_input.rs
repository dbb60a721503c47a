//! Messages and connections the server refuses, each with its code; nothing is written and the
//! server carries on serving everyone else.

use caravan::adapters::outbound::jwt::JwtTokens;
use caravan::application::ports::{PlayerClaims, PlayerTokens};
use caravan::config::DEFAULT_JWT_SECRET;
use caravan::domain::rng::Rng;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use crate::support::app::{spawn_app, TestApp};
use crate::support::ws::{Incoming, WsClient};
use crate::websocket::hint_player;

/// The next message, which must be an `error` with this code.
async fn expect_error(client: &mut WsClient, code: &str, sent: &str) {
    let message = client.recv().await.json();
    assert_eq!(message["type"], "error", "{sent} → {message}");
    assert_eq!(message["error"]["code"], code, "{sent} → {message}");
    assert!(message["error"]["message"]
        .as_str()
        .is_some_and(|m| !m.is_empty()));
}

/// The next message, which must be a refused `commandResult` for `request_id` with this code.
async fn expect_refused(client: &mut WsClient, request_id: &str, code: &str, sent: &str) {
    let message = client.recv().await.json();
    assert_eq!(message["type"], "commandResult", "{sent} → {message}");
    assert_eq!(message["requestId"], request_id, "{sent} → {message}");
    assert_eq!(message["ok"], false, "{sent} → {message}");
    assert_eq!(message["error"]["code"], code, "{sent} → {message}");
}

/// A connection that must be refused: one `error` with `code`, then close 1008.
async fn expect_refused_connection(app: &TestApp, query: &str, code: &str) {
    let url = format!("ws://127.0.0.1:{}/ws?{query}", app.port);
    let mut client = WsClient::connect(&url).await;
    let message = client.recv().await.json();
    assert_eq!(message["type"], "error", "{query} → {message}");
    assert_eq!(message["error"]["code"], code, "{query} → {message}");
    let close = client.recv_close().await;
    assert_eq!(
        close.map(|(c, _)| c),
        Some(1008),
        "{query}: closed with 1008"
    );
}

#[tokio::test]
async fn every_malformed_message_gets_its_code_and_the_connection_and_game_carry_on() {
    let app = spawn_app().await;
    let (game_id, players) = app.started_game(2, 61).await;
    let mover_seat = app.view(&game_id, None).await["state"]["currentSeat"]
        .as_u64()
        .expect("a seat to move") as usize;
    let waiting_seat = 1 - mover_seat;
    let mut client = app
        .connect(&game_id, Some(&players[waiting_seat].token), None)
        .await;
    client.recv_type("welcome").await;
    let before = app.version(&game_id).await;

    let errors: &[(&str, &str)] = &[
        ("this is not json", "invalid_json"),
        (r#"{"type":"command","#, "invalid_json"),
        ("[1,2,3]", "invalid_message"),
        ("42", "invalid_message"),
        (
            r#"{"requestId":"x","command":{"type":"rest"}}"#,
            "invalid_message",
        ),
        (r#"{"type":42}"#, "invalid_message"),
        (r#"{"type":"dance"}"#, "unknown_message_type"),
        (r#"{"type":"ping","extra":1}"#, "invalid_message"),
        (
            r#"{"type":"commandResult","requestId":"x"}"#,
            "unknown_message_type",
        ),
        (
            r#"{"type":"command","requestId":7,"command":{"type":"rest"}}"#,
            "invalid_message",
        ),
        (
            r#"{"type":"command","command":{"type":"rest"}}"#,
            "invalid_message",
        ),
    ];
    for (text, code) in errors {
        client.send(Message::text(*text)).await;
        expect_error(&mut client, code, text).await;
    }
    client.send(Message::binary(vec![1u8, 2, 3])).await;
    expect_error(&mut client, "binary_not_supported", "a binary frame").await;

    let long_id = "x".repeat(200);
    let refused: Vec<(Value, &str, &str)> = vec![
        (
            json!({"type":"command","requestId":"r1","command":{"type":"playCard","cardId":42}}),
            "r1",
            "invalid_command",
        ),
        (
            json!({"type":"command","requestId":"r2","command":{"type":"teleport"}}),
            "r2",
            "invalid_command",
        ),
        (
            json!({"type":"command","requestId":"r3","command":"rest"}),
            "r3",
            "invalid_command",
        ),
        (
            json!({"type":"command","requestId":"r4","command":{"type":"acquire","slot":"three"}}),
            "r4",
            "invalid_command",
        ),
        (
            json!({"type":"command","requestId":"r5","command":{"type":"createGame","numPlayers":2,"seed":1}}),
            "r5",
            "command_not_allowed",
        ),
        (
            json!({"type":"command","requestId":"r7","command":{"type":"createGame","numPlayers":2}}),
            "r7",
            "command_not_allowed",
        ),
        (
            json!({"type":"command","requestId":"r8","command":{"type":"rest","slot":1}}),
            "r8",
            "invalid_command",
        ),
        (
            json!({"type":"command","requestId":"r9","command":{"type":"rest"},"seat":1}),
            "r9",
            "invalid_message",
        ),
        (
            json!({"type":"command","requestId":long_id,"command":{"type":"rest"}}),
            long_id.as_str(),
            "invalid_command_id",
        ),
        (
            json!({"type":"command","requestId":"","command":{"type":"rest"}}),
            "",
            "invalid_command_id",
        ),
        (
            json!({"type":"command","requestId":"r6","command":{"type":"rest"}}),
            "r6",
            "not_your_turn",
        ),
    ];
    for (message, request_id, code) in &refused {
        client.send_json(message).await;
        expect_refused(&mut client, request_id, code, &message.to_string()).await;
    }
    assert_eq!(
        app.version(&game_id).await,
        before,
        "no rejected message changed the game"
    );

    // The same connection still works, and sees the game go on.
    client.ping().await;
    let mut mover = app
        .connect(&game_id, Some(&players[mover_seat].token), None)
        .await;
    let welcome = mover.recv_type("welcome").await;
    let command = hint_player::choose(&welcome["state"], &mut Rng::new(6)).expect("hints");
    let result = mover.command("good", &command).await;
    assert_eq!(result["ok"], true, "{result}");
    let state = client.recv_type("state").await;
    assert_eq!(state["lastEventId"], result["lastEventId"]);
    app.assert_healthy().await;
}

#[tokio::test]
async fn refused_connections_get_an_error_and_close_1008_and_the_server_carries_on() {
    let app = spawn_app().await;
    let (game_id, players) = app.started_game(2, 62).await;
    let (other_game, other_players) = app.started_game(2, 63).await;

    let signer = JwtTokens::new(DEFAULT_JWT_SECRET.as_bytes());
    let claims = |exp: i64| PlayerClaims {
        player_id: "someone".into(),
        game_id: game_id.clone(),
        seat: 0,
        exp,
    };
    let expired = signer.issue(&claims(1_000_000)).expect("a token");
    let forged = JwtTokens::new(b"not the server's secret")
        .issue(&claims(4_000_000_000))
        .expect("a token");

    let g = &game_id;
    let cases: Vec<(String, &str)> = vec![
        (format!("gameId={g}&token=garbage"), "invalid_token"),
        (format!("gameId={g}&token={expired}"), "token_expired"),
        (format!("gameId={g}&token={forged}"), "invalid_token"),
        (
            format!("gameId={g}&token={}", other_players[0].token),
            "wrong_game",
        ),
        ("gameId=no-such-game".into(), "game_not_found"),
        ("gameId=bad!id".into(), "invalid_game_id"),
        (String::new(), "invalid_game_id"),
        (
            format!("gameId={g}&lastEventId=abc"),
            "invalid_last_event_id",
        ),
        (
            format!("gameId={g}&lastEventId=-1"),
            "invalid_last_event_id",
        ),
        (
            format!("gameId={g}&lastEventId=999999"),
            "invalid_last_event_id",
        ),
    ];
    for (query, code) in &cases {
        expect_refused_connection(&app, query, code).await;
    }
    // No token leaked into the refusal of another game's token.
    let _ = other_game;

    // Not a WebSocket handshake at all: a plain JSON error.
    let (status, body) = app.get(&format!("/ws?gameId={g}"), None).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "websocket_required");

    app.assert_healthy().await;
    let mut fine = app.connect(&game_id, Some(&players[0].token), None).await;
    assert_eq!(fine.recv().await.json()["type"], "welcome");
}

#[tokio::test]
async fn a_client_that_closes_or_vanishes_does_not_disturb_the_others() {
    let app = spawn_app().await;
    let (game_id, players) = app.started_game(2, 64).await;
    let mut watcher = app.connect(&game_id, None, None).await;
    watcher.recv_type("welcome").await;

    // A client that closes politely gets its close echoed.
    let mut polite = app.connect(&game_id, Some(&players[0].token), None).await;
    polite.recv_type("welcome").await;
    polite.send(Message::Close(None)).await;
    assert!(matches!(polite.recv().await, Incoming::Closed(_)));

    // A client that vanishes mid-stream does no harm either.
    let mut rude = app.connect(&game_id, Some(&players[1].token), None).await;
    rude.recv_type("welcome").await;
    rude.drop_connection().await;

    watcher.ping().await;
    app.assert_healthy().await;
}
