//! Read models that fell behind the log with nothing left to tell them: the repair loop's sweep.

use std::time::{Duration, Instant};

use chrono::Utc;
use reqwest::StatusCode;

use caravan::application::repair::SWEEP_EVERY;
use caravan::domain::{Actor, RandomPlayer};

use crate::support::app::{spawn_app, TestApp};
use crate::support::play::next_move;

/// The version of `game_id` in the game list (the read model), if it is listed.
async fn listed_version(app: &TestApp, game_id: &str) -> Option<u64> {
    let (status, page) = app.get("/api/games?limit=100", None).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["games"]
        .as_array()?
        .iter()
        .find(|g| g["gameId"] == game_id)
        .and_then(|g| g["version"].as_u64())
}

#[tokio::test]
async fn a_commit_never_published_reaches_the_game_list_without_another_command() {
    let app = spawn_app().await;
    let (game_id, _) = app.started_game(2, 21).await;
    let before = app.version(&game_id).await;
    let game = app.state(&game_id).await;
    let (seat, command) = next_move(&game, &mut RandomPlayer::new(3)).expect("a move");
    let actor = Actor::Player(game.players()[usize::from(seat)].player_id.clone());
    let events = game.decide(&actor, &command).expect("a legal move");

    // What an instance killed between its append and its publish leaves behind: the batch in the
    // log, and nothing else (no publish, no read-model update, no client to send it again).
    let stored = app
        .services
        .ports()
        .store
        .append(
            &game_id,
            before,
            events,
            Some("orphaned".to_string()),
            Utc::now(),
        )
        .await
        .expect("the append");
    let last = stored.events.last().expect("events").event_id;
    assert!(last > before);

    let deadline = Instant::now() + SWEEP_EVERY + Duration::from_secs(5);
    loop {
        let version = listed_version(&app, &game_id).await;
        if version == Some(last) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the game list still shows version {version:?}; the log is at {last}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
