//! The machine-readable contract: `/api/openapi.json`, `/api/docs` and `/api/schema/ws.json`
//! are served, are valid, and the server's real answers match them.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use caravan::adapters::inbound::http::openapi;
use caravan::domain::random_player::play_game;
use caravan::domain::Game;

use crate::support::app::{spawn_app, spawn_app_with, ADMIN_TOKEN};
use crate::support::contract::{assert_answer, errors, validator, ws_validator};

#[tokio::test]
async fn the_openapi_document_is_served_and_every_schema_in_it_compiles() {
    let app = spawn_app().await;
    let (status, document) = app.get("/api/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(document["openapi"], "3.1.0");
    assert_eq!(document, openapi::document(), "served as built");
    let schemas = document["components"]["schemas"].as_object().unwrap();
    for name in schemas.keys() {
        let defs = serde_json::to_value(schemas).unwrap();
        let rebased: Value = serde_json::from_str(
            &defs
                .to_string()
                .replace("#/components/schemas/", "#/$defs/"),
        )
        .unwrap();
        validator(&rebased, &format!("#/$defs/{name}"));
    }
    for (path, operations) in document["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            assert!(
                operation["operationId"].is_string(),
                "{method} {path} has an operationId"
            );
            assert!(
                !operation["responses"].as_object().unwrap().is_empty(),
                "{method} {path} declares its answers"
            );
        }
    }
}

#[tokio::test]
async fn the_api_page_is_served_without_anything_from_elsewhere() {
    let app = spawn_app().await;
    let response = app
        .request(reqwest::Method::GET, "/api/docs")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.unwrap();
    assert!(page.contains("/assets/js/api-docs.js"), "{page}");
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "{page}"
    );
    let script = app
        .request(reqwest::Method::GET, "/assets/js/api-docs.js")
        .send()
        .await
        .unwrap();
    assert_eq!(script.status(), StatusCode::OK);
    assert!(script.text().await.unwrap().contains("/api/openapi.json"));
}

#[tokio::test]
async fn rest_answers_match_the_document() {
    let app = spawn_app().await;
    let document = openapi::document();
    let check = |method: &str, path: &str, (status, body): &(StatusCode, Value)| {
        assert_answer(&document, method, path, status.as_u16(), body);
    };
    let created = app
        .post(
            "/api/games",
            None,
            &json!({"numPlayers": 2, "gameId": "contract"}),
        )
        .await;
    check("post", "/api/games", &created);
    let ana = app
        .post("/api/games/contract/join", None, &json!({"name": "Ana"}))
        .await;
    check("post", "/api/games/{gameId}/join", &ana);
    let bot = app
        .post("/api/games/contract/bots", None, &json!({"level": "easy"}))
        .await;
    check("post", "/api/games/{gameId}/bots", &bot);
    let token = ana.1["token"].as_str().unwrap().to_string();
    let view = app.get("/api/games/contract", Some(&token)).await;
    check("get", "/api/games/{gameId}", &view);
    let refused = app
        .post(
            "/api/games/contract/commands",
            Some(&token),
            &json!({"commandId": "c0", "command": {"type": "rest"}}),
        )
        .await;
    check("post", "/api/games/{gameId}/commands", &refused);
    for (path, documented) in [
        ("/api/games?status=active", "/api/games"),
        (
            "/api/games/contract/events?after=0",
            "/api/games/{gameId}/events",
        ),
        (
            "/api/games/contract/state?at=2",
            "/api/games/{gameId}/state",
        ),
        (
            "/api/games/contract/state?at=0",
            "/api/games/{gameId}/state",
        ),
        ("/api/games/nope/events", "/api/games/{gameId}/events"),
        ("/api/leaderboard", "/api/leaderboard"),
        ("/api/players/Ana/results", "/api/players/{name}/results"),
        ("/api/stats", "/api/stats"),
        ("/api/cards", "/api/cards"),
        ("/health", "/health"),
        ("/ready", "/ready"),
    ] {
        check("get", documented, &app.get(path, None).await);
    }
    let rebuilt = app
        .post(
            "/api/admin/rebuild-projections",
            Some(ADMIN_TOKEN),
            &json!({}),
        )
        .await;
    check("post", "/api/admin/rebuild-projections", &rebuilt);
}

#[tokio::test]
async fn the_websocket_schema_is_served_and_reads_every_message_of_a_whole_game() {
    let app = spawn_app_with(|s| s.game.bot_thinking_ms = 0).await;
    let (status, schema) = app.get("/api/schema/ws.json", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(schema, openapi::ws_schema(), "served as built");
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    // A game of computer players only runs to its end by itself.
    let (_, created) = app
        .post(
            "/api/games",
            None,
            &json!({"numPlayers": 3, "bots": [{"level": "easy"}, {"level": "greedy"}, {"level": "strong"}]}),
        )
        .await;
    let game_id = created["gameId"].as_str().unwrap().to_string();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let view = app.view(&game_id, None).await;
        if view["state"]["status"] == "finished" {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the game ends");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let events = ws_validator("EventDto");
    let log = app.events(&game_id, 0).await;
    let mut types: Vec<&str> = Vec::new();
    for event in &log {
        let found = errors(&events, event);
        assert!(found.is_empty(), "{event}\n{}", found.join("\n"));
        types.push(event["eventType"].as_str().unwrap());
    }
    for expected in [
        "GameCreated",
        "PlayerJoined",
        "GameStarted",
        "CardPlayed",
        "TurnEnded",
        "GameEnded",
    ] {
        assert!(types.contains(&expected), "{expected} in {types:?}");
    }
    // Every frame of a replay of the whole game is read by the test client, which checks it.
    let mut client = app.connect(&game_id, None, Some(0)).await;
    client.wait_for_event(log.len() as u64).await;
    client.recv_type("state").await;
}

#[test]
fn the_websocket_schema_holds_protocol_3_events_value_by_value() {
    use caravan::adapters::inbound::websocket::protocol::compact::write_compact_data;
    let server = ws_validator("ServerMessage");
    let mut types = std::collections::BTreeSet::new();
    for event in [play_game(3, 7, 2_000), play_game(5, 9, 2_000)].concat() {
        let public = event.public();
        let mut data = Vec::new();
        write_compact_data(&mut data, &public);
        let data: Value = serde_json::from_slice(&data).unwrap();
        let update = |data: &Value| json!({"type": "update", "events": [[1, public.event_type(), 1, "2026-11-30T00:00:00Z", data]], "patch": {}});
        let found = errors(&server, &update(&data));
        assert!(found.is_empty(), "{data}\n{}", found.join("\n"));
        types.insert(public.event_type());
        // One value short, or two values swapped, is not an update.
        let mut values = data.as_array().unwrap().clone();
        let last = values.pop().unwrap();
        assert!(!errors(&server, &update(&Value::Array(values.clone()))).is_empty());
        if !values.is_empty() && values[0] != last && values[0].is_number() && !last.is_number() {
            values.push(values[0].clone());
            values[0] = last;
            assert!(
                !errors(&server, &update(&Value::Array(values))).is_empty(),
                "{data}"
            );
        }
    }
    assert!(types.len() >= 8, "{types:?}");
}

#[test]
fn the_websocket_schema_holds_protocol_4_updates_with_their_packed_hints() {
    use caravan::adapters::inbound::websocket::protocol::compact::{
        write_compact_data, write_packed_legal,
    };
    let server = ws_validator("ServerMessage");
    let mut game = Game::default();
    let (mut events, mut hints) = (0, 0);
    for event in play_game(4, 11, 2_000) {
        game.apply_mut(&event);
        let public = event.public();
        let mut data = Vec::new();
        write_compact_data(&mut data, &public);
        let data: Value = serde_json::from_slice(&data).unwrap();
        let packed = |timestamp: Value, patch: Value| {
            json!([
                [
                    [3, public.event_type(), 1, timestamp, data],
                    [4, "TurnTimedOut", 1, null, [0, 1]]
                ],
                patch
            ])
        };
        let found = errors(&server, &packed(json!(1_796_000_000_123_i64), json!({})));
        assert!(found.is_empty(), "{data}\n{}", found.join("\n"));
        // Protocol 4's timestamps are numbers.
        let text = packed(json!("2026-11-30T00:00:00Z"), json!({}));
        assert!(!errors(&server, &text).is_empty(), "{text}");
        events += 1;
        let Some(legal) = game.current_seat().and_then(|seat| game.legal_hints(seat)) else {
            continue;
        };
        let mut written = Vec::new();
        write_packed_legal(&mut written, &legal);
        let written: Value = serde_json::from_slice(&written).unwrap();
        let patch = json!({"currentSeat": 1, "legal": written});
        let found = errors(&server, &packed(json!(1), patch));
        assert!(found.is_empty(), "{written}\n{}", found.join("\n"));
        // The hints as an object, or a playable card cut short, are not protocol 4's.
        let object = json!({"legal": legal});
        assert!(!errors(&server, &packed(json!(1), object)).is_empty());
        if let Some(card) = written[0].as_array().and_then(|cards| cards.first()) {
            let mut short = written.clone();
            short[0][0] = json!(card.as_array().unwrap()[..3]);
            let found = errors(&server, &packed(json!(1), json!({"legal": short})));
            assert!(!found.is_empty(), "{short}");
        }
        hints += 1;
    }
    assert!(events > 100 && hints > 50, "{events} events, {hints} hints");
    // `[events, patch]` and nothing else.
    let update = json!([[[1, "TurnTimedOut", 1, 5, [0, 1]]], {}]);
    assert!(errors(&server, &update).is_empty());
    for refused in [
        json!([[], {}]),
        json!([update[0], {}, 1]),
        json!([update[0]]),
    ] {
        assert!(!errors(&server, &refused).is_empty(), "{refused}");
    }
}

#[test]
fn the_websocket_schema_takes_every_legal_command_and_refuses_the_servers_own() {
    let client = ws_validator("ClientMessage");
    let mut game = Game::default();
    let mut seen = 0;
    for event in play_game(3, 7, 2_000) {
        game.apply_mut(&event);
        let Some(seat) = game.current_seat() else {
            continue;
        };
        for command in game.legal_commands(seat) {
            let message = json!({"type": "command", "requestId": "r", "command": command});
            let found = errors(&client, &message);
            assert!(found.is_empty(), "{message}\n{}", found.join("\n"));
            seen += 1;
        }
    }
    assert!(seen > 100, "many commands checked ({seen})");
    for refused in [
        json!({"type": "command", "requestId": "r", "command": {"type": "createGame", "numPlayers": 2, "seed": 1}}),
        json!({"type": "command", "requestId": "r", "command": {"type": "rest", "slot": 1}}),
        json!({"type": "command", "requestId": "r", "command": {"type": "rest"}, "seat": 1}),
        json!({"type": "ping", "x": 1}),
        json!({"type": "dance"}),
    ] {
        assert!(!errors(&client, &refused).is_empty(), "{refused} refused");
    }
    assert!(errors(&client, &json!({"type": "ping"})).is_empty());
}
