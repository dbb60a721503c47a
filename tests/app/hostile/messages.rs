//! Malformed input is answered in words: the field at fault and what it should be, never the
//! server's types, its admin-only fields or its libraries' messages.

use futures::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::Message;

use super::server::{code, raw_exchange, Client, Server, ADMIN_TOKEN};

/// Words that only the server's code would say.
const INTERNALS: &[&str] = &[
    "u8",
    "u16",
    "u32",
    "u64",
    "i64",
    "usize",
    "struct",
    "enum ",
    "scenario",
    "caravanCapacity",
    "I/O error",
    "invalid type",
    "serde",
    "Error(",
    "createGame",
];

fn assert_plain(what: &str, message: &str) {
    for word in INTERNALS {
        assert!(!message.contains(word), "{what}: {message:?} says {word:?}");
    }
}

#[tokio::test]
async fn malformed_bodies_name_the_field_and_what_it_should_be() {
    let server = Server::start(&[]).await;
    let client = Client::new(&server, None);
    let (_, created, _) = client
        .post(
            "/api/games",
            Some(ADMIN_TOKEN),
            &json!({"numPlayers": 2, "seed": 1}),
        )
        .await;
    let game_id = created["gameId"].as_str().unwrap().to_string();
    let (_, joined, _) = client
        .post(
            &format!("/api/games/{game_id}/join"),
            None,
            &json!({"name": "Ana"}),
        )
        .await;
    let token = joined["token"].as_str().unwrap().to_string();
    client
        .post(
            &format!("/api/games/{game_id}/join"),
            None,
            &json!({"name": "Ben"}),
        )
        .await;

    let cases: Vec<(&str, Value, Option<&str>, &str)> = vec![
        (
            "/api/games",
            json!({"numPlayers": "two"}),
            None,
            "numPlayers",
        ),
        ("/api/games", json!({"numPlayers": 300}), None, "numPlayers"),
        ("/api/games", json!({"numPlayers": 2.5}), None, "numPlayers"),
        ("/api/games", json!({}), None, "numPlayers"),
        (
            "/api/games",
            json!({"numPlayers": 2, "colour": "red"}),
            None,
            "colour",
        ),
        (
            "/api/games",
            json!({"numPlayers": 2, "gameId": 7}),
            None,
            "gameId",
        ),
        ("/api/games", json!([1, 2]), None, "object"),
        ("/api/games/GAME/join", json!({"name": 7}), None, "name"),
        (
            "/api/games/GAME/commands",
            json!({"commandId": "c1", "command": {"type": "acquire", "slot": "first"}}),
            Some("TOKEN"),
            "slot",
        ),
        (
            "/api/games/GAME/commands",
            json!({"commandId": "c2", "command": {"type": "teleport"}}),
            Some("TOKEN"),
            "teleport",
        ),
        (
            "/api/games/GAME/commands",
            json!({"commandId": "c3", "command": {"type": "claim"}}),
            Some("TOKEN"),
            "slot",
        ),
        (
            "/api/games/GAME/commands",
            json!({"commandId": 5, "command": {"type": "rest"}}),
            Some("TOKEN"),
            "commandId",
        ),
    ];
    for (path, body, auth, field) in cases {
        let path = path.replace("GAME", &game_id);
        let auth = auth.map(|_| token.as_str());
        let (status, answer, _) = client.post(&path, auth, &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path} {body} → {answer}");
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        let fields = answer["error"]["fields"].to_string();
        assert!(
            message.contains(field) || fields.contains(field),
            "{body} → {answer} does not name {field}"
        );
        assert_plain(&body.to_string(), message);
    }

    for (body, content_type) in [
        (&b"{\"numPlayers\": 2"[..], "application/json"),
        (&b"{\"numPlayers\": \xff}"[..], "application/json"),
        (&b"numPlayers=2"[..], "application/x-www-form-urlencoded"),
    ] {
        let mut request = format!(
            "POST /api/games HTTP/1.1\r\nHost: c\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .into_bytes();
        request.extend_from_slice(body);
        let answer = raw_exchange(&server.addr, &request, std::time::Duration::from_secs(10)).await;
        assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
        assert!(answer.contains("invalid_json"), "{answer}");
        assert_plain("raw body", &answer);
    }

    for (path, query) in [
        ("/api/games", "limit=lots"),
        ("/api/games", "status=dancing"),
        ("/api/games/GAME/events", "since=yesterday"),
        ("/api/games/GAME/events", "after=-3"),
    ] {
        let path = path.replace("GAME", &game_id);
        let (status, answer) = client.get(&format!("{path}?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query} → {answer}");
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        let name = query.split('=').next().unwrap();
        assert!(message.starts_with(name), "{query} → {message}");
        assert_plain(query, message);
    }
}

#[tokio::test]
async fn malformed_websocket_frames_are_answered_in_words() {
    let server = Server::start(&[]).await;
    let client = Client::new(&server, None);
    let (_, created, _) = client
        .post("/api/games", Some(ADMIN_TOKEN), &json!({"numPlayers": 2}))
        .await;
    let game_id = created["gameId"].as_str().unwrap().to_string();
    let (_, joined, _) = client
        .post(
            &format!("/api/games/{game_id}/join"),
            None,
            &json!({"name": "Ana"}),
        )
        .await;
    let token = joined["token"].as_str().unwrap().to_string();
    let url = format!("ws://{}/ws?gameId={game_id}&token={token}", server.addr);

    for (text, field) in [
        (
            r#"{"type":"command","requestId":"r1","command":{"type":"acquire","slot":-1}}"#,
            "slot",
        ),
        (
            r#"{"type":"command","requestId":"r2","command":{"type":"fly"}}"#,
            "fly",
        ),
        (
            r#"{"type":"command","requestId":"r3","command":{"type":"playCard"}}"#,
            "cardId",
        ),
        (r#"{"type":"command","requestId":"r4""#, "JSON"),
    ] {
        let (mut ws, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
        ws.send(Message::text(text)).await.unwrap();
        let mut said = None;
        while let Some(Ok(message)) = ws.next().await {
            if let Message::Text(reply) = message {
                let reply: Value = serde_json::from_str(&reply).unwrap();
                if reply["type"] == "error" || reply["type"] == "commandResult" {
                    said = Some(reply);
                    break;
                }
            }
        }
        let reply = said.expect("an answer");
        let message = reply["error"].to_string();
        assert!(message.contains(field), "{text} → {message}");
        assert_plain(text, &message);
    }

    // Invalid UTF-8 in a text frame.
    let (mut ws, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    let frame = Frame::message(vec![b'{', 0xff, 0xfe, b'}'], OpCode::Data(Data::Text), true);
    ws.send(Message::Frame(frame)).await.unwrap();
    let mut said = String::new();
    while let Some(Ok(message)) = ws.next().await {
        match message {
            Message::Text(text) => {
                let reply: Value = serde_json::from_str(&text).unwrap();
                if reply["type"] == "error" {
                    said.push_str(&reply["error"].to_string());
                }
            }
            Message::Close(Some(close)) => said.push_str(&close.reason),
            _ => {}
        }
    }
    assert!(said.contains("UTF-8"), "{said}");
    assert_plain("invalid UTF-8", &said);
    let _ = code;
}
