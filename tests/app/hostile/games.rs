//! Lookups of games that do not exist leave nothing behind; a token whose player left sees what a
//! spectator sees; games that never fill are closed with an event and leave the waiting list.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::support::app::{spawn_app, spawn_app_with};

#[tokio::test]
async fn joins_and_feeds_of_unknown_games_leave_the_game_cache_as_it_was() {
    let app = spawn_app().await;
    let game_id = app.create_game(2, 901).await;
    app.join(&game_id, "Ana").await;
    let cached = app.services.cached_games();
    for i in 0..1_000 {
        let (status, body) = app
            .call(
                reqwest::Method::POST,
                &format!("/api/games/nope-{i}/join"),
                None,
                Some(&json!({ "name": "Ana" })),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        assert_eq!(body["error"]["code"], "game_not_found");
    }
    for i in 0..100 {
        let (status, _) = app.get(&format!("/api/games/ghost-{i}"), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let mut socket = app.connect(&format!("ghost-{i}"), None, None).await;
        assert_eq!(
            socket.recv().await.json()["error"]["code"],
            "game_not_found"
        );
    }
    assert_eq!(app.services.cached_games(), cached);
    app.stop().await;
}

#[tokio::test]
async fn the_token_of_a_player_who_left_sees_the_spectators_view() {
    let app = spawn_app().await;
    let game_id = app.create_game(2, 902).await;
    app.join(&game_id, "Ana").await;
    let bo = app.join(&game_id, "Bo").await;
    assert_eq!(bo.seat, 1);
    let game_id_clone = game_id.clone();
    // Bo cannot leave a running game without forfeiting: use a three-seat game instead.
    let game_id = app.create_game(3, 903).await;
    app.join(&game_id, "Ana").await;
    let leaver = app.join(&game_id, "Bo").await;
    let (status, body) = app
        .call(
            reqwest::Method::POST,
            &format!("/api/games/{game_id}/leave"),
            Some(&leaver.token),
            Some(&json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let cy = app.join(&game_id, "Cy").await;
    assert_eq!(cy.seat, leaver.seat, "the freed seat is taken again");

    let (status, view) = app
        .call(
            reqwest::Method::GET,
            &format!("/api/games/{game_id}"),
            Some(&leaver.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["state"]["viewerSeat"], serde_json::Value::Null);
    assert_eq!(view["state"]["legal"], serde_json::Value::Null);
    let (_, own) = app
        .call(
            reqwest::Method::GET,
            &format!("/api/games/{game_id}"),
            Some(&cy.token),
            None,
        )
        .await;
    assert_eq!(own["state"]["viewerSeat"], cy.seat);

    let mut socket = app.connect(&game_id, Some(&leaver.token), None).await;
    let welcome = socket.recv().await.json();
    assert_eq!(welcome["type"], "welcome");
    assert_eq!(welcome["seat"], serde_json::Value::Null);
    assert_eq!(welcome["state"]["viewerSeat"], serde_json::Value::Null);
    // A seated player of a running game still sees its own seat.
    let (_, running) = app
        .call(
            reqwest::Method::GET,
            &format!("/api/games/{game_id_clone}"),
            Some(&bo.token),
            None,
        )
        .await;
    assert_eq!(running["state"]["viewerSeat"], 1);
    app.stop().await;
}

#[tokio::test]
async fn a_game_that_never_fills_is_closed_with_an_event_and_leaves_the_waiting_list() {
    let app = spawn_app_with(|s| s.game.waiting_timeout_secs = 1).await;
    let waiting = app.create_game(3, 911).await;
    app.join(&waiting, "Ana").await;
    let full = app.create_game(2, 912).await;
    app.join(&full, "Ana").await;
    app.join(&full, "Bo").await;

    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let (_, view) = app.get(&format!("/api/games/{waiting}"), None).await;
        if view["state"]["status"] == "finished" {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the waiting game was not closed: {view}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let events = app.stored(&waiting).await;
    let last = serde_json::to_value(&events.last().unwrap().event).unwrap();
    assert_eq!(last["type"], "GameEnded");
    assert_eq!(last["data"]["reason"], "expired");
    assert_eq!(last["data"]["winner"], serde_json::Value::Null);
    assert_eq!(
        events
            .iter()
            .filter(|e| serde_json::to_value(&e.event).unwrap()["type"] == "GameEnded")
            .count(),
        1,
        "closed exactly once"
    );

    let (status, body) = app
        .call(
            reqwest::Method::POST,
            &format!("/api/games/{waiting}/join"),
            None,
            Some(&json!({ "name": "Late" })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "game_over");
    let (_, list) = app.get("/api/games?status=waiting", None).await;
    assert!(
        list["games"].as_array().unwrap().is_empty(),
        "nothing waits any more: {list}"
    );
    let (_, view) = app.get(&format!("/api/games/{full}"), None).await;
    assert_eq!(
        view["state"]["status"], "active",
        "a full game is not closed"
    );
    app.stop().await;
}
