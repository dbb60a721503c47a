use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::app::{error_code, spawn_app};

fn ids(body: &Value) -> Vec<u64> {
    body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["eventId"].as_u64().unwrap())
        .collect()
}

#[tokio::test]
async fn events_are_read_after_an_id_with_a_limit() {
    let app = spawn_app().await;
    let (game_id, players) = app.started_game(2, 8).await;
    app.command(
        &game_id,
        &players[0].token,
        "c1",
        &json!({ "type": "playCard", "cardId": "S01" }),
    )
    .await;
    let (_, all) = app.get(&format!("/api/games/{game_id}/events"), None).await;
    assert_eq!(ids(&all), vec![1, 2, 3, 4, 5, 6]);
    let first = &all["events"][0];
    assert_eq!(first["gameId"], game_id.as_str());
    assert_eq!(first["eventType"], "GameCreated");
    assert_eq!(first["schemaVersion"], 1);
    assert!(
        first["timestamp"].as_str().unwrap().contains('T'),
        "RFC 3339"
    );
    assert_eq!(first["data"]["numPlayers"], 2);
    let (_, page) = app
        .get(
            &format!("/api/games/{game_id}/events?after=2&limit=2"),
            None,
        )
        .await;
    assert_eq!(ids(&page), vec![3, 4]);
    let (_, none) = app
        .get(&format!("/api/games/{game_id}/events?after=6"), None)
        .await;
    assert!(ids(&none).is_empty());
}

#[tokio::test]
async fn events_are_read_by_a_half_open_time_range() {
    let app = spawn_app().await;
    let (game_id, _) = app.started_game(2, 8).await;
    let all = app.events(&game_id, 0).await;
    let first = all[0]["timestamp"].as_str().unwrap().to_string();
    let last = all.last().unwrap()["timestamp"]
        .as_str()
        .unwrap()
        .to_string();
    let q = |since: &str, until: &str| {
        format!(
            "/api/games/{game_id}/events?since={}&until={}",
            urlencode(since),
            urlencode(until)
        )
    };
    let (_, everything) = app
        .get(&q("2000-01-01T00:00:00Z", "2999-01-01T00:00:00Z"), None)
        .await;
    assert_eq!(ids(&everything), vec![1, 2, 3, 4]);
    let (_, before_first) = app.get(&q("2000-01-01T00:00:00Z", &first), None).await;
    assert!(ids(&before_first).is_empty(), "until is exclusive");
    let (_, from_last) = app.get(&q(&last, "2999-01-01T00:00:00Z"), None).await;
    assert_eq!(*ids(&from_last).last().unwrap(), 4, "since is inclusive");
    let (_, only_since) = app
        .get(
            &format!("/api/games/{game_id}/events?since={}", urlencode(&first)),
            None,
        )
        .await;
    assert_eq!(ids(&only_since), vec![1, 2, 3, 4]);
}

fn urlencode(s: &str) -> String {
    s.replace(':', "%3A").replace('+', "%2B")
}

#[tokio::test]
async fn bad_event_queries_are_400_and_unknown_games_404() {
    let app = spawn_app().await;
    let (game_id, _) = app.started_game(2, 8).await;
    for (query, code) in [
        ("after=-1", "invalid_query"),
        ("after=x", "invalid_query"),
        ("limit=0", "invalid_limit"),
        ("limit=5000", "invalid_limit"),
        ("since=yesterday", "invalid_query"),
        ("after=1&since=2020-01-01T00:00:00Z", "invalid_query"),
        ("after=1&colour=red", "invalid_query"),
        (
            "since=2021-01-01T00:00:00Z&until=2020-01-01T00:00:00Z",
            "invalid_range",
        ),
    ] {
        let response = app
            .get(&format!("/api/games/{game_id}/events?{query}"), None)
            .await;
        assert_eq!(
            error_code(response, StatusCode::BAD_REQUEST),
            code,
            "{query}"
        );
    }
    let response = app.get("/api/games/nope/events", None).await;
    assert_eq!(
        error_code(response, StatusCode::NOT_FOUND),
        "game_not_found"
    );
}

#[tokio::test]
async fn the_state_at_a_version_is_the_state_after_that_event() {
    let app = spawn_app().await;
    let (game_id, players) = app.started_game(2, 8).await;
    app.command(
        &game_id,
        &players[0].token,
        "c1",
        &json!({ "type": "playCard", "cardId": "S01" }),
    )
    .await;
    let (_, created) = app
        .get(&format!("/api/games/{game_id}/state?at=1"), None)
        .await;
    assert_eq!(created["lastEventId"], 1);
    assert_eq!(created["state"]["status"], "waiting");
    assert_eq!(created["state"]["players"], json!([]));
    let (_, one_joined) = app
        .get(&format!("/api/games/{game_id}/state?at=2"), None)
        .await;
    assert_eq!(one_joined["state"]["players"].as_array().unwrap().len(), 1);
    let (_, latest) = app
        .get(&format!("/api/games/{game_id}/state?at=6"), None)
        .await;
    assert_eq!(latest["state"], app.view(&game_id, None).await["state"]);
    let response = app
        .get(&format!("/api/games/{game_id}/state?at=7"), None)
        .await;
    assert_eq!(
        error_code(response, StatusCode::NOT_FOUND),
        "event_not_found"
    );
    let response = app
        .get(&format!("/api/games/{game_id}/state?at=0"), None)
        .await;
    assert_eq!(
        error_code(response, StatusCode::BAD_REQUEST),
        "invalid_version"
    );
    let response = app.get("/api/games/nope/state?at=1", None).await;
    assert_eq!(
        error_code(response, StatusCode::NOT_FOUND),
        "game_not_found"
    );
}
