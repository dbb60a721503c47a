use reqwest::StatusCode;
use serde_json::json;

use crate::support::app::{error_code, spawn_app};

#[tokio::test]
async fn a_legal_command_answers_its_event_ids_and_the_last_event_id() {
    let app = spawn_app().await;
    let (game_id, players) = app.started_game(2, 21).await;
    let (status, body) = app
        .command(
            &game_id,
            &players[0].token,
            "c1",
            &json!({ "type": "playCard", "cardId": "S01" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["eventIds"], json!([5, 6]), "CardPlayed then TurnEnded");
    assert_eq!(body["lastEventId"], 6);
    assert_eq!(body["duplicate"], false);
    let events = app.events(&game_id, 4).await;
    assert_eq!(events[0]["eventType"], "CardPlayed");
    assert_eq!(events[1]["eventType"], "TurnEnded");
}

#[tokio::test]
async fn the_same_command_id_twice_produces_events_once() {
    let app = spawn_app().await;
    let (game_id, players) = app.started_game(2, 21).await;
    let play = json!({ "type": "playCard", "cardId": "S01" });
    let (_, first) = app
        .command(&game_id, &players[0].token, "once", &play)
        .await;
    let (status, again) = app
        .command(&game_id, &players[0].token, "once", &play)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["eventIds"], first["eventIds"]);
    assert_eq!(again["duplicate"], true);
    assert_eq!(app.events(&game_id, 0).await.len(), 6);
}

#[tokio::test]
async fn a_repeated_command_id_is_counted_as_a_duplicate_in_the_metrics() {
    let app = spawn_app().await;
    let (game_id, players) = app.started_game(2, 21).await;
    let play = json!({ "type": "playCard", "cardId": "S01" });
    for _ in 0..3 {
        let (status, _) = app
            .command(&game_id, &players[0].token, "counted", &play)
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    let metrics = app.metrics().await;
    for series in [
        "caravan_commands_total{outcome=\"accepted\",type=\"playCard\"} 1",
        "caravan_commands_total{outcome=\"duplicate\",type=\"playCard\"} 2",
    ] {
        assert!(metrics.contains(series), "missing {series} in:\n{metrics}");
    }
}

#[tokio::test]
async fn the_same_command_sent_concurrently_is_committed_once() {
    let app = spawn_app().await;
    let (game_id, players) = app.started_game(2, 21).await;
    let play = json!({ "type": "playCard", "cardId": "S01" });
    let sends: Vec<_> = (0..8)
        .map(|_| app.command(&game_id, &players[0].token, "race", &play))
        .collect();
    let mut ids = Vec::new();
    for (status, body) in futures::future::join_all(sends).await {
        assert_eq!(status, StatusCode::OK);
        ids.push(body["eventIds"].clone());
    }
    assert!(ids.iter().all(|i| *i == json!([5, 6])), "{ids:?}");
    assert_eq!(app.events(&game_id, 0).await.len(), 6);
}

#[tokio::test]
async fn a_command_id_reused_for_another_command_is_409() {
    let app = spawn_app().await;
    let (game_id, players) = app.started_game(2, 21).await;
    app.command(
        &game_id,
        &players[0].token,
        "mine",
        &json!({ "type": "playCard", "cardId": "S01" }),
    )
    .await;
    let response = app
        .command(
            &game_id,
            &players[1].token,
            "mine",
            &json!({ "type": "playCard", "cardId": "S01" }),
        )
        .await;
    assert_eq!(
        error_code(response, StatusCode::CONFLICT),
        "command_id_reused"
    );
}

#[tokio::test]
async fn a_broken_rule_is_422_with_its_code_and_changes_nothing() {
    let app = spawn_app().await;
    let (game_id, players) = app.started_game(2, 21).await;
    let cases = [
        (
            1,
            json!({ "type": "playCard", "cardId": "S01" }),
            "not_your_turn",
        ),
        (0, json!({ "type": "rest" }), "nothing_to_rest"),
        (
            0,
            json!({ "type": "playCard", "cardId": "M01" }),
            "card_not_in_hand",
        ),
        (0, json!({ "type": "claim", "slot": 9 }), "invalid_slot"),
        (
            0,
            json!({ "type": "acquire", "slot": 2, "payment": ["yellow"] }),
            "invalid_payment",
        ),
        (
            0,
            json!({ "type": "discard", "spices": { "yellow": 1 } }),
            "no_discard_owed",
        ),
    ];
    for (i, (seat, command, code)) in cases.into_iter().enumerate() {
        let response = app
            .command(
                &game_id,
                &players[seat].token,
                &format!("bad-{i}"),
                &command.clone(),
            )
            .await;
        assert_eq!(
            error_code(response, StatusCode::UNPROCESSABLE_ENTITY),
            code,
            "{command}"
        );
    }
    assert_eq!(
        app.view(&game_id, None).await["lastEventId"],
        4,
        "no rejected command changed the game"
    );
}

#[tokio::test]
async fn malformed_commands_are_400() {
    let app = spawn_app().await;
    let (game_id, players) = app.started_game(2, 21).await;
    let token = players[0].token.as_str();
    for command in [
        json!({ "type": "dance" }),
        json!({ "type": "playCard" }),
        json!({ "type": "playCard", "cardId": "Z99" }),
        json!({ "type": "claim", "slot": "first" }),
        json!({ "type": "playCard", "cardId": "S02", "upgrades": ["purple"] }),
        json!("rest"),
        // Unknown fields are refused inside the command as at the top of the body.
        json!({ "type": "rest", "slot": 1 }),
        json!({ "type": "playCard", "cardId": "S01", "colour": "red" }),
        json!({ "type": "discard", "spices": { "yellow": 1, "pink": 1 } }),
        // A command the rules cannot read as given is malformed too: 400, never 422.
        json!({ "type": "playCard", "cardId": "S01", "times": 2 }),
        json!({ "type": "playCard", "cardId": "S01", "upgrades": ["yellow"] }),
    ] {
        let response = app.command(&game_id, token, "m", &command.clone()).await;
        assert_eq!(
            error_code(response, StatusCode::BAD_REQUEST),
            "invalid_command",
            "{command}"
        );
    }
    for body in [
        json!({ "command": { "type": "rest" } }),
        json!({ "commandId": 5, "command": { "type": "rest" } }),
        json!({ "commandId": "x", "command": { "type": "rest" }, "extra": 1 }),
    ] {
        let response = app
            .post(
                &format!("/api/games/{game_id}/commands"),
                Some(token),
                &body,
            )
            .await;
        assert_eq!(
            error_code(response, StatusCode::BAD_REQUEST),
            "invalid_json",
            "{body}"
        );
    }
    let response = app
        .command(&game_id, token, "", &json!({ "type": "rest" }))
        .await;
    assert_eq!(
        error_code(response, StatusCode::BAD_REQUEST),
        "invalid_request"
    );
    for (i, server_only) in [
        json!({ "type": "join", "playerId": "x", "name": "x" }),
        json!({ "type": "createGame", "numPlayers": 2 }),
        json!({ "type": "join" }),
        json!({ "type": "expire" }),
        json!({ "type": "timeOut", "seat": 0 }),
        json!({ "type": "addBot", "level": "easy" }),
    ]
    .into_iter()
    .enumerate()
    {
        let response = app
            .command(&game_id, token, &format!("j{i}"), &server_only)
            .await;
        assert_eq!(
            error_code(response, StatusCode::BAD_REQUEST),
            "command_not_allowed",
            "{server_only}"
        );
    }
    assert_eq!(
        app.get("/health", None).await.0,
        StatusCode::OK,
        "still healthy"
    );
}

#[tokio::test]
async fn a_spectator_cannot_act() {
    let app = spawn_app().await;
    let (game_id, _) = app.started_game(2, 21).await;
    let response = app
        .post(
            &format!("/api/games/{game_id}/commands"),
            None,
            &json!({ "commandId": "s", "command": { "type": "rest" } }),
        )
        .await;
    assert_eq!(
        error_code(response, StatusCode::UNAUTHORIZED),
        "unauthorized"
    );
}
