use caravan::domain::RandomPlayer;
use reqwest::StatusCode;
use serde_json::json;

use crate::support::app::{spawn_app, TestApp};
use crate::support::play::Mirror;

#[tokio::test]
async fn the_card_catalogue_lists_every_card() {
    let app = spawn_app().await;
    let (status, cards) = app.get("/api/cards", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cards["startingCards"].as_array().unwrap().len(), 2);
    assert_eq!(cards["merchantCards"].as_array().unwrap().len(), 43);
    assert_eq!(cards["pointCards"].as_array().unwrap().len(), 36);
    assert_eq!(cards["startingCards"][0]["cardId"], "S01");
    assert_eq!(cards["merchantCards"][0]["cardId"], "M01");
    assert_eq!(cards["pointCards"][0]["cardId"], "P01");
    assert!(
        cards["pointCards"][0].get("id").is_none(),
        "one name per field"
    );
}

#[tokio::test]
async fn stats_count_games_by_status_and_commands() {
    let app = spawn_app().await;
    app.create_game(2, 1).await;
    let (game_id, players) = app.started_game(2, 2).await;
    app.command(
        &game_id,
        &players[0].token,
        "c",
        &json!({ "type": "playCard", "cardId": "S01" }),
    )
    .await;
    let (_, stats) = app.get("/api/stats", None).await;
    assert_eq!(
        stats["games"],
        json!({ "waiting": 1, "active": 1, "finished": 0 })
    );
    assert_eq!(stats["events"], 1 + 6);
    assert_eq!(stats["players"], 2);
    assert_eq!(stats["openConnections"], 0);
    assert_eq!(
        stats["commandsTotal"],
        2 + 2 + 1,
        "two creations, two joins, one play"
    );
    assert!(stats["uptimeSecs"].is_u64());
}

/// Plays a whole game over REST: each seat's bot chooses from a local mirror of the game.
async fn play_to_the_end(
    app: &TestApp,
    num_players: u8,
    seed: u64,
) -> (String, Vec<crate::support::app::Joined>) {
    let (game_id, players) = app.started_game(num_players, seed).await;
    let mut mirror = Mirror::new(num_players, seed);
    let mut bots: Vec<RandomPlayer> = (0..num_players)
        .map(|s| RandomPlayer::new(seed + u64::from(s)))
        .collect();
    mirror.apply(&app.events(&game_id, 1).await);
    for turn in 0..5_000 {
        let Some(seat) = mirror.game.current_seat() else {
            break;
        };
        let command = bots[usize::from(seat)]
            .choose(&mirror.game, seat)
            .expect("the seat to move has a legal command");
        let (status, body) = app
            .command(
                &game_id,
                &players[usize::from(seat)].token,
                &format!("t{turn}"),
                &command,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{command:?}: {body}");
        mirror.apply(&app.events(&game_id, mirror.game.version()).await);
    }
    (game_id, players)
}

#[tokio::test]
async fn a_game_played_to_the_end_over_rest_fills_results_and_the_leaderboard() {
    let app = spawn_app().await;
    let (game_id, _) = play_to_the_end(&app, 3, 77).await;
    let view = app.view(&game_id, None).await;
    assert_eq!(view["state"]["status"], "finished");
    let events = app.events(&game_id, 0).await;
    assert_eq!(events.last().unwrap()["eventType"], "GameEnded");
    let ended = &events.last().unwrap()["data"];
    let winner = ended["winner"].as_u64().unwrap();
    assert_eq!(view["state"]["winner"], winner);

    let (_, summary) = app.get("/api/games?status=finished", None).await;
    let summary = &summary["games"][0];
    assert_eq!(summary["gameId"], game_id.as_str());
    assert_eq!(summary["winner"], winner);
    assert_eq!(summary["version"], view["lastEventId"]);

    let (_, board) = app.get("/api/leaderboard", None).await;
    let board = board["leaderboard"].as_array().unwrap();
    assert_eq!(board.len(), 3);
    let winner_name = format!("Player{winner}");
    let top = board
        .iter()
        .find(|e| e["name"] == winner_name.as_str())
        .unwrap();
    assert_eq!(top["wins"], 1);
    assert_eq!(board[0]["wins"], 1, "the winner ranks first");

    let (_, results) = app
        .get(&format!("/api/players/{winner_name}/results"), None)
        .await;
    assert_eq!(results["results"][0]["gameId"], game_id.as_str());
    assert_eq!(results["results"][0]["won"], true);
    let final_scores = ended["scores"].as_array().unwrap();
    let winner_score = final_scores.iter().find(|s| s["seat"] == winner).unwrap()["total"].clone();
    assert_eq!(results["results"][0]["score"], winner_score);
}
