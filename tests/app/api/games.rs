use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::app::{answer, error_code, spawn_app, ADMIN_TOKEN};

#[tokio::test]
async fn creating_a_game_answers_201_with_its_summary() {
    let app = spawn_app().await;
    let summary = app
        .post_game(json!({ "numPlayers": 3, "gameId": "table-1", "seed": 9 }))
        .await;
    assert_eq!(summary["gameId"], "table-1");
    assert_eq!(summary["status"], "waiting");
    assert_eq!(summary["numPlayers"], 3);
    assert_eq!(summary["version"], 1);
    assert_eq!(summary["players"], json!([]));
    let generated = app.post_game(json!({ "numPlayers": 2 })).await;
    assert!(generated["gameId"]
        .as_str()
        .is_some_and(|id| !id.is_empty()));
}

#[tokio::test]
async fn a_taken_game_id_is_409() {
    let app = spawn_app().await;
    app.post_game(json!({ "numPlayers": 2, "gameId": "same" }))
        .await;
    let response = app
        .post(
            "/api/games",
            None,
            &json!({ "numPlayers": 4, "gameId": "same" }),
        )
        .await;
    assert_eq!(error_code(response, StatusCode::CONFLICT), "game_exists");
}

#[tokio::test]
async fn invalid_creations_are_400_with_the_field_named() {
    let app = spawn_app().await;
    for (body, field) in [
        (json!({ "numPlayers": 1 }), "numPlayers"),
        (json!({ "numPlayers": 6 }), "numPlayers"),
        (json!({ "numPlayers": 2, "gameId": "no spaces!" }), "gameId"),
        (
            json!({ "numPlayers": 2, "gameId": "x".repeat(65) }),
            "gameId",
        ),
    ] {
        let (status, error) = app.post("/api/games", None, &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(error["error"]["code"], "invalid_request", "{body}");
        assert!(
            error["error"]["fields"][field].is_array(),
            "{body} → {error}"
        );
    }
    for body in [
        json!({ "numPlayers": "two" }),
        json!({}),
        json!({ "numPlayers": 2, "colour": "red" }),
        json!({ "numPlayers": 2, "seed": -1 }),
    ] {
        let response = app.post("/api/games", None, &body).await;
        assert_eq!(
            error_code(response, StatusCode::BAD_REQUEST),
            "invalid_json",
            "{body}"
        );
    }
    let response = answer(
        app.request(Method::POST, "/api/games")
            .header("Content-Type", "application/json")
            .body("{\"numPlayers\": 2"),
    )
    .await;
    assert_eq!(
        error_code(response, StatusCode::BAD_REQUEST),
        "invalid_json"
    );
}

#[tokio::test]
async fn more_players_than_max_players_is_400() {
    let app = crate::support::app::spawn_app_with(|s| s.game.max_players = 3).await;
    let response = app
        .post("/api/games", None, &json!({ "numPlayers": 4 }))
        .await;
    assert_eq!(
        error_code(response, StatusCode::BAD_REQUEST),
        "invalid_player_count"
    );
}

#[tokio::test]
async fn an_oversized_body_is_413() {
    let app = crate::support::app::spawn_app_with(|s| s.server.max_body_bytes = 1024).await;
    let response = app
        .post(
            "/api/games",
            None,
            &json!({ "numPlayers": 2, "padding": "x".repeat(4096) }),
        )
        .await;
    assert_eq!(
        error_code(response, StatusCode::PAYLOAD_TOO_LARGE),
        "payload_too_large"
    );
}

#[tokio::test]
async fn a_scenario_needs_the_admin_token_and_sets_the_first_cards() {
    let app = spawn_app().await;
    let body = json!({
        "numPlayers": 2,
        "gameId": "tutorial",
        "scenario": { "merchantDeck": ["M05", "M06"], "pointDeck": ["P10"] }
    });
    let response = app.post("/api/games", None, &body).await;
    assert_eq!(error_code(response, StatusCode::FORBIDDEN), "admin_only");
    let response = app
        .post("/api/games", Some("not-the-admin-token"), &body)
        .await;
    assert_eq!(error_code(response, StatusCode::FORBIDDEN), "admin_only");
    let (status, _) = app.post("/api/games", Some(ADMIN_TOKEN), &body).await;
    assert_eq!(status, StatusCode::CREATED);
    app.join("tutorial", "Ana").await;
    app.join("tutorial", "Ben").await;
    let state = app.view("tutorial", None).await["state"].clone();
    assert_eq!(state["merchantRow"][0]["cardId"], "M05");
    assert_eq!(state["merchantRow"][1]["cardId"], "M06");
    assert_eq!(state["pointRow"][0]["cardId"], "P10");
    let bad = json!({ "numPlayers": 2, "scenario": { "merchantDeck": ["M05", "M05"] } });
    let response = app.post("/api/games", Some(ADMIN_TOKEN), &bad).await;
    assert_eq!(
        error_code(response, StatusCode::UNPROCESSABLE_ENTITY),
        "invalid_scenario"
    );
}

#[tokio::test]
async fn joining_takes_seats_in_order_until_the_game_is_full() {
    let app = spawn_app().await;
    let game_id = app.create_game(2, 1).await;
    let ana = app.join(&game_id, "Ana").await;
    let ben = app.join(&game_id, "Ben").await;
    assert_eq!((ana.seat, ben.seat), (0, 1));
    assert_eq!(ana.game_id, game_id);
    assert_ne!(ana.player_id, ben.player_id);
    assert!(!ana.token.is_empty());
    let state = app.view(&game_id, None).await;
    assert_eq!(state["state"]["status"], "active");
    let response = app
        .post(
            &format!("/api/games/{game_id}/join"),
            None,
            &json!({ "name": "Cy" }),
        )
        .await;
    assert_eq!(error_code(response, StatusCode::CONFLICT), "game_full");
}

#[tokio::test]
async fn bad_joins_are_refused() {
    let app = spawn_app().await;
    let game_id = app.create_game(2, 1).await;
    let response = app
        .post("/api/games/nope/join", None, &json!({ "name": "Ana" }))
        .await;
    assert_eq!(
        error_code(response, StatusCode::NOT_FOUND),
        "game_not_found"
    );
    for name in [json!(""), json!("x".repeat(33))] {
        let response = app
            .post(
                &format!("/api/games/{game_id}/join"),
                None,
                &json!({ "name": name }),
            )
            .await;
        assert_eq!(
            error_code(response, StatusCode::BAD_REQUEST),
            "invalid_request"
        );
    }
    let response = app
        .post(
            &format!("/api/games/{game_id}/join"),
            None,
            &json!({ "name": 7 }),
        )
        .await;
    assert_eq!(
        error_code(response, StatusCode::BAD_REQUEST),
        "invalid_json"
    );
    let response = app
        .post("/api/games/bad%20id/join", None, &json!({ "name": "Ana" }))
        .await;
    assert_eq!(
        error_code(response, StatusCode::BAD_REQUEST),
        "invalid_game_id"
    );
}

#[tokio::test]
async fn concurrent_joins_take_distinct_seats_without_gaps() {
    let app = spawn_app().await;
    let game_id = app.create_game(5, 3).await;
    let path = format!("/api/games/{game_id}/join");
    let bodies: Vec<Value> = (0..5).map(|i| json!({ "name": format!("P{i}") })).collect();
    let joins: Vec<_> = bodies
        .iter()
        .map(|body| app.post(&path, None, body))
        .collect();
    let mut seats = Vec::new();
    for (status, body) in futures::future::join_all(joins).await {
        assert_eq!(status, StatusCode::CREATED);
        seats.push(body["seat"].as_u64().unwrap());
    }
    seats.sort();
    assert_eq!(seats, vec![0, 1, 2, 3, 4]);
    let ids: Vec<u64> = app
        .events(&game_id, 0)
        .await
        .iter()
        .map(|e| e["eventId"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, (1..=ids.len() as u64).collect::<Vec<_>>());
}

#[tokio::test]
async fn leaving_before_the_start_frees_the_seat_and_after_it_forfeits() {
    let app = spawn_app().await;
    let game_id = app.create_game(2, 1).await;
    let ana = app.join(&game_id, "Ana").await;
    let (status, _) = app
        .post(
            &format!("/api/games/{game_id}/leave"),
            Some(&ana.token),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let ben = app.join(&game_id, "Ben").await;
    assert_eq!(ben.seat, 0, "the freed seat is taken again");
    let cy = app.join(&game_id, "Cy").await;
    let (status, _) = app
        .post(
            &format!("/api/games/{game_id}/leave"),
            Some(&cy.token),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let view = app.view(&game_id, None).await;
    assert_eq!(view["state"]["status"], "finished");
    assert_eq!(view["state"]["winner"], 0);
    let response = app
        .post(&format!("/api/games/{game_id}/leave"), None, &json!({}))
        .await;
    assert_eq!(
        error_code(response, StatusCode::UNAUTHORIZED),
        "unauthorized"
    );
}

#[tokio::test]
async fn listing_games_filters_by_status_and_pages_with_a_cursor() {
    let app = spawn_app().await;
    for i in 0..3 {
        app.post_game(json!({ "numPlayers": 2, "gameId": format!("w{i}") }))
            .await;
    }
    let (active, _) = app.started_game(2, 4).await;
    let (_, page) = app.get("/api/games?status=waiting&limit=2", None).await;
    assert_eq!(page["games"].as_array().unwrap().len(), 2);
    let cursor = page["nextCursor"].as_str().expect("a next page");
    let (_, next) = app
        .get(
            &format!("/api/games?status=waiting&limit=2&cursor={cursor}"),
            None,
        )
        .await;
    assert_eq!(next["games"].as_array().unwrap().len(), 1);
    assert!(next.get("nextCursor").is_none());
    let mut seen: Vec<String> = page["games"]
        .as_array()
        .unwrap()
        .iter()
        .chain(next["games"].as_array().unwrap())
        .map(|g| g["gameId"].as_str().unwrap().to_string())
        .collect();
    seen.sort();
    assert_eq!(seen, vec!["w0", "w1", "w2"]);
    let (_, running) = app.get("/api/games?status=active", None).await;
    assert_eq!(running["games"][0]["gameId"], active.as_str());
    assert_eq!(running["games"][0]["currentSeat"], 0);
    for bad in ["status=bogus", "limit=0", "limit=abc", "cursor=garbage"] {
        let (status, _) = app.get(&format!("/api/games?{bad}"), None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    }
}

#[tokio::test]
async fn a_game_view_is_public_for_spectators_and_personal_for_its_players() {
    let app = spawn_app().await;
    let (game_id, players) = app.started_game(2, 12).await;
    let spectator = app.view(&game_id, None).await;
    assert_eq!(spectator["gameId"], game_id.as_str());
    assert_eq!(spectator["lastEventId"], 4);
    assert!(spectator["state"]["viewerSeat"].is_null());
    assert!(spectator["state"]["legal"].is_null());
    let (_, first) = app
        .get(&format!("/api/games/{game_id}"), Some(&players[0].token))
        .await;
    assert_eq!(first["state"]["viewerSeat"], 0);
    assert!(
        first["state"]["legal"]["playable"].is_array(),
        "hints on the player's turn"
    );
    let response = app.get("/api/games/missing", None).await;
    assert_eq!(
        error_code(response, StatusCode::NOT_FOUND),
        "game_not_found"
    );
}

#[tokio::test]
async fn the_deck_order_and_the_seed_never_appear_in_a_response() {
    let app = spawn_app().await;
    let summary = app
        .post_game(json!({ "numPlayers": 2, "gameId": "secret", "seed": 987654321012345u64 }))
        .await;
    let players = [
        app.join("secret", "Ana").await,
        app.join("secret", "Ben").await,
    ];
    app.command(
        "secret",
        &players[0].token,
        "c1",
        &json!({ "type": "playCard", "cardId": "S01" }),
    )
    .await;
    let mut bodies = vec![summary.to_string()];
    for path in [
        "/api/games/secret",
        "/api/games/secret/events?after=0",
        "/api/games/secret/state?at=1",
        "/api/games/secret/state?at=4",
        "/api/games?status=active",
    ] {
        let response = app.request(Method::GET, path).send().await.unwrap();
        bodies.push(response.text().await.unwrap());
    }
    let response = app
        .request(Method::GET, "/api/games/secret")
        .bearer_auth(&players[0].token)
        .send()
        .await
        .unwrap();
    bodies.push(response.text().await.unwrap());
    for body in bodies {
        assert!(!body.contains("987654321012345"), "the seed leaked: {body}");
        assert!(!body.contains("\"hidden\""), "the setup leaked: {body}");
        assert!(
            !body.contains("\"merchantDeck\""),
            "the deck leaked: {body}"
        );
        assert!(!body.contains("\"pointDeck\""), "the deck leaked: {body}");
    }
}
