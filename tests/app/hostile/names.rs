//! Names that hide characters or copy another's in another case are refused, and wins collected
//! from opponents who walk away do not reach the leaderboard.

use reqwest::StatusCode;
use serde_json::json;

use super::play_to_the_end;
use crate::support::app::{spawn_app, TestApp};

async fn join_as(app: &TestApp, game_id: &str, name: &str) -> (StatusCode, serde_json::Value) {
    app.call(
        reqwest::Method::POST,
        &format!("/api/games/{game_id}/join"),
        None,
        Some(&json!({ "name": name })),
    )
    .await
}

#[tokio::test]
async fn names_with_invisible_characters_or_taken_in_another_case_are_refused() {
    let app = spawn_app().await;
    let game_id = app.create_game(4, 601).await;
    let (status, body) = join_as(&app, &game_id, "Ana").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    for (name, expected_status, code) in [
        (
            "Ana\u{200B}",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_name",
        ),
        (
            "A\u{200D}na",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_name",
        ),
        (
            "\u{202E}anA",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_name",
        ),
        (
            "Ana\u{2067}x",
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_name",
        ),
        ("ana", StatusCode::CONFLICT, "name_taken"),
        ("ANA", StatusCode::CONFLICT, "name_taken"),
    ] {
        let (status, body) = join_as(&app, &game_id, name).await;
        assert_eq!(status, expected_status, "{name:?}: {body}");
        assert_eq!(body["error"]["code"], code, "{name:?}");
    }
    // A decomposed name is stored composed, and then taken in either form.
    let (status, body) = join_as(&app, &game_id, "Zoe\u{0308}").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, _) = join_as(&app, &game_id, "zoë").await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, view) = app.get(&format!("/api/games/{game_id}"), None).await;
    let names: Vec<&str> = view["state"]["players"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Ana", "Zo\u{00EB}"]);
    app.stop().await;
}

#[tokio::test]
async fn wins_by_forfeit_do_not_reach_the_leaderboard_and_games_played_out_do() {
    let app = spawn_app().await;
    // The farm: create, join twice, the second seat leaves; a hundred times.
    for i in 0..100 {
        let game_id = app.create_game(2, 700 + i).await;
        app.join(&game_id, "Farmer").await;
        let accomplice = app.join(&game_id, "Accomplice").await;
        let (status, body) = app
            .call(
                reqwest::Method::POST,
                &format!("/api/games/{game_id}/leave"),
                Some(&accomplice.token),
                Some(&json!({})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    // An honest game played to its end by the rules.
    let game_id = app.create_game(2, 801).await;
    let players = [
        app.join(&game_id, "Ana").await,
        app.join(&game_id, "Bo").await,
    ];
    play_to_the_end(&app, &game_id, &players, 801).await;

    let (status, board) = app.get("/api/leaderboard", None).await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = board["leaderboard"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert!(!names.contains(&"Farmer"), "{board}");
    assert!(names.contains(&"Ana") && names.contains(&"Bo"), "{board}");
    app.stop().await;
}
