use caravan::adapters::outbound::jwt::JwtTokens;
use caravan::application::ports::{PlayerClaims, PlayerTokens};
use caravan::config::DEFAULT_JWT_SECRET;
use reqwest::StatusCode;
use serde_json::json;

use crate::support::app::{error_code, spawn_app, spawn_app_with, ADMIN_TOKEN};

fn token(secret: &str, game_id: &str, player_id: &str, seat: u8, exp: i64) -> String {
    JwtTokens::new(secret.as_bytes())
        .issue(&PlayerClaims {
            player_id: player_id.into(),
            game_id: game_id.into(),
            seat,
            exp,
        })
        .unwrap()
}

#[tokio::test]
async fn bad_tokens_are_401_with_a_reason() {
    let app = spawn_app().await;
    let (game_id, players) = app.started_game(2, 3).await;
    let future = chrono::Utc::now().timestamp() + 600;
    let past = chrono::Utc::now().timestamp() - 10;
    let cases = [
        ("garbage".to_string(), "invalid_token"),
        (
            token("another-secret", &game_id, &players[0].player_id, 0, future),
            "invalid_token",
        ),
        (
            token(DEFAULT_JWT_SECRET, &game_id, &players[0].player_id, 0, past),
            "token_expired",
        ),
    ];
    for (token, code) in cases {
        let response = app
            .command(&game_id, &token, "c", &json!({ "type": "rest" }))
            .await;
        assert_eq!(error_code(response, StatusCode::UNAUTHORIZED), code);
    }
}

#[tokio::test]
async fn a_token_for_another_game_is_403() {
    let app = spawn_app().await;
    let (game_a, players_a) = app.started_game(2, 3).await;
    let (game_b, _) = app.started_game(2, 4).await;
    let response = app
        .command(
            &game_b,
            &players_a[0].token,
            "c",
            &json!({ "type": "playCard", "cardId": "S01" }),
        )
        .await;
    assert_eq!(error_code(response, StatusCode::FORBIDDEN), "wrong_game");
    let response = app
        .post(
            &format!("/api/games/{game_b}/leave"),
            Some(&players_a[0].token),
            &json!({}),
        )
        .await;
    assert_eq!(error_code(response, StatusCode::FORBIDDEN), "wrong_game");
    assert_eq!(app.view(&game_a, None).await["lastEventId"], 4);
}

#[tokio::test]
async fn one_seat_cannot_act_for_another() {
    let app = spawn_app().await;
    let (game_id, players) = app.started_game(2, 3).await;
    // Seat 1's token, a claim to be seat 0: the player id decides, not the seat in the claim.
    let forged_seat = token(
        DEFAULT_JWT_SECRET,
        &game_id,
        &players[1].player_id,
        0,
        chrono::Utc::now().timestamp() + 600,
    );
    let response = app
        .command(
            &game_id,
            &forged_seat,
            "c",
            &json!({ "type": "playCard", "cardId": "S01" }),
        )
        .await;
    assert_eq!(
        error_code(response, StatusCode::UNPROCESSABLE_ENTITY),
        "not_your_turn"
    );
    let stranger = token(
        DEFAULT_JWT_SECRET,
        &game_id,
        "someone-else",
        0,
        chrono::Utc::now().timestamp() + 600,
    );
    let response = app
        .command(
            &game_id,
            &stranger,
            "c2",
            &json!({ "type": "playCard", "cardId": "S01" }),
        )
        .await;
    assert_eq!(
        error_code(response, StatusCode::UNPROCESSABLE_ENTITY),
        "not_a_player"
    );
}

#[tokio::test]
async fn the_admin_rebuild_needs_the_admin_token() {
    let app = spawn_app().await;
    app.started_game(2, 3).await;
    app.create_game(3, 4).await;
    let response = app
        .post("/api/admin/rebuild-projections", None, &json!({}))
        .await;
    assert_eq!(error_code(response, StatusCode::FORBIDDEN), "admin_only");
    let (status, report) = app
        .post(
            "/api/admin/rebuild-projections",
            Some(ADMIN_TOKEN),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(report["games"], 2);
    assert_eq!(report["events"], 5);
    let (_, listed) = app.get("/api/games", None).await;
    assert_eq!(
        listed["games"].as_array().unwrap().len(),
        2,
        "the rebuilt read models serve queries"
    );
}

#[tokio::test]
async fn without_an_admin_token_configured_admin_requests_are_refused() {
    let app = spawn_app_with(|s| s.auth.admin_token = None).await;
    let response = app
        .post(
            "/api/admin/rebuild-projections",
            Some(ADMIN_TOKEN),
            &json!({}),
        )
        .await;
    assert_eq!(error_code(response, StatusCode::FORBIDDEN), "admin_only");
}
