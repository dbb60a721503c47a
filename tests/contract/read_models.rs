//! The `ReadModels` contract: summaries that never move backwards, lists and cursors, results
//! recorded once, the leaderboard and the stats.

use std::sync::Arc;

use chrono::Duration as ChronoDuration;

use caravan::application::ports::{
    GameCursor, GameListQuery, GameSummary, PlayerResult, ReadModels, SeatSummary,
};
use caravan::domain::GameStatus;

use super::t;

/// A summary of a two-player game with one seat taken, at `version`, created at `t(created)`.
pub fn summary(game_id: &str, status: GameStatus, version: u64, created: i64) -> GameSummary {
    GameSummary {
        game_id: game_id.to_string(),
        status,
        num_players: 2,
        players: vec![SeatSummary {
            seat: 0,
            player_id: "p0".into(),
            name: "Ana".into(),
            left: false,
            score: version as u16,
        }],
        current_seat: None,
        round: 0,
        winner: None,
        version,
        created_at: t(created),
        updated_at: t(created) + ChronoDuration::seconds(version as i64),
    }
}

fn result(
    game_id: &str,
    seat: u8,
    name: &str,
    score: u16,
    won: bool,
    finished: i64,
) -> PlayerResult {
    PlayerResult {
        game_id: game_id.to_string(),
        seat,
        player_id: format!("{game_id}-{seat}"),
        name: name.to_string(),
        score,
        won,
        forfeited: false,
        num_players: 2,
        finished_at: t(finished),
    }
}

async fn stored<R: ReadModels>(models: &R) -> GameSummary {
    models.summary("g").await.unwrap().unwrap()
}

pub async fn a_summary_never_moves_backwards<R: ReadModels>(models: R) {
    models
        .upsert_summary(summary("g", GameStatus::Active, 5, 0))
        .await
        .unwrap();
    assert_eq!(
        stored(&models).await,
        summary("g", GameStatus::Active, 5, 0)
    );
    models
        .upsert_summary(summary("g", GameStatus::Waiting, 3, 0))
        .await
        .unwrap();
    models
        .upsert_summary(summary("g", GameStatus::Waiting, 5, 0))
        .await
        .unwrap();
    assert_eq!(
        stored(&models).await,
        summary("g", GameStatus::Active, 5, 0)
    );
    models
        .upsert_summary(summary("g", GameStatus::Finished, 9, 0))
        .await
        .unwrap();
    assert_eq!(
        stored(&models).await,
        summary("g", GameStatus::Finished, 9, 0)
    );
    // Held back by an adapter or not, an older summary sent after a newer one changes nothing.
    models
        .upsert_summary(summary("g", GameStatus::Finished, 10, 0))
        .await
        .unwrap();
    models
        .upsert_summary(summary("g", GameStatus::Active, 8, 0))
        .await
        .unwrap();
    assert_eq!(
        stored(&models).await,
        summary("g", GameStatus::Finished, 10, 0)
    );
    assert!(models.summary("other").await.unwrap().is_none());
}

pub async fn lists_newest_first_by_status_with_a_cursor<R: ReadModels>(models: R) {
    for (id, status, created) in [
        ("a", GameStatus::Waiting, 1),
        ("b", GameStatus::Active, 2),
        ("c", GameStatus::Waiting, 3),
        ("d", GameStatus::Waiting, 3),
        ("e", GameStatus::Waiting, 5),
    ] {
        models
            .upsert_summary(summary(id, status, 1, created))
            .await
            .unwrap();
    }
    let ids = |games: Vec<GameSummary>| games.into_iter().map(|g| g.game_id).collect::<Vec<_>>();
    let all = models
        .list_summaries(GameListQuery {
            status: None,
            limit: 10,
            after: None,
        })
        .await
        .unwrap();
    assert_eq!(ids(all), vec!["e", "d", "c", "b", "a"]);
    let first = models
        .list_summaries(GameListQuery {
            status: Some(GameStatus::Waiting),
            limit: 2,
            after: None,
        })
        .await
        .unwrap();
    assert_eq!(ids(first.clone()), vec!["e", "d"]);
    let last = first.last().unwrap();
    let cursor = GameCursor {
        created_at: last.created_at,
        game_id: last.game_id.clone(),
    };
    let second = models
        .list_summaries(GameListQuery {
            status: Some(GameStatus::Waiting),
            limit: 2,
            after: Some(cursor),
        })
        .await
        .unwrap();
    assert_eq!(ids(second), vec!["c", "a"]);
}

pub async fn results_are_recorded_once_per_game_and_seat<R: ReadModels>(models: R) {
    models
        .record_results(vec![result("g", 0, "Ana", 30, true, 1)])
        .await
        .unwrap();
    models
        .record_results(vec![
            result("g", 0, "Ana", 99, false, 1),
            result("g", 1, "Ben", 20, false, 1),
        ])
        .await
        .unwrap();
    let ana = models.player_results("Ana", 10).await.unwrap();
    assert_eq!(ana, vec![result("g", 0, "Ana", 30, true, 1)]);
    assert_eq!(models.player_results("Ben", 10).await.unwrap().len(), 1);
}

pub async fn the_leaderboard_groups_by_name_and_ranks_by_wins_then_score<R: ReadModels>(models: R) {
    models
        .record_results(vec![
            result("g1", 0, "Ana", 30, true, 1),
            result("g1", 1, "Ben", 20, false, 1),
            result("g2", 0, "Ben", 40, true, 2),
            result("g2", 1, "Cy", 10, false, 2),
            result("g3", 0, "Ana", 5, false, 3),
            result("g3", 1, "Cy", 50, true, 3),
        ])
        .await
        .unwrap();
    let board = models.leaderboard(10).await.unwrap();
    let rows: Vec<(&str, u32, u32, u64, u16)> = board
        .iter()
        .map(|e| {
            (
                e.name.as_str(),
                e.games,
                e.wins,
                e.total_score,
                e.best_score,
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            ("Ben", 2, 1, 60, 40),
            ("Cy", 2, 1, 60, 50),
            ("Ana", 2, 1, 35, 30)
        ]
    );
    assert_eq!(models.leaderboard(1).await.unwrap().len(), 1);
}

pub async fn a_players_results_are_newest_first<R: ReadModels>(models: R) {
    models
        .record_results(vec![
            result("g1", 0, "Ana", 30, true, 1),
            result("g3", 0, "Ana", 5, false, 3),
            result("g2", 1, "Ana", 7, false, 2),
        ])
        .await
        .unwrap();
    let games: Vec<String> = models
        .player_results("Ana", 2)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.game_id)
        .collect();
    assert_eq!(games, vec!["g3", "g2"]);
    assert!(models
        .player_results("Nobody", 10)
        .await
        .unwrap()
        .is_empty());
}

pub async fn stats_count_the_summaries<R: ReadModels>(models: R) {
    models
        .upsert_summary(summary("a", GameStatus::Waiting, 2, 0))
        .await
        .unwrap();
    models
        .upsert_summary(summary("b", GameStatus::Active, 10, 0))
        .await
        .unwrap();
    models
        .upsert_summary(summary("c", GameStatus::Finished, 30, 0))
        .await
        .unwrap();
    models
        .upsert_summary(summary("b", GameStatus::Finished, 12, 0))
        .await
        .unwrap();
    let stats = models.stats().await.unwrap();
    assert_eq!(
        (
            stats.games_waiting,
            stats.games_active,
            stats.games_finished
        ),
        (1, 0, 2)
    );
    assert_eq!(stats.events, 2 + 12 + 30);
    assert_eq!(stats.players, 3);
}

pub async fn concurrent_upserts_keep_the_highest_version<R: ReadModels>(models: R) {
    let models = Arc::new(models);
    let tasks: Vec<_> = (1..=20u64)
        .rev()
        .map(|version| {
            let models = models.clone();
            tokio::spawn(async move {
                models
                    .upsert_summary(summary("g", GameStatus::Active, version, 0))
                    .await
                    .unwrap()
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(models.summary("g").await.unwrap().unwrap().version, 20);
}

pub async fn empty_read_models_answer_with_nothing<R: ReadModels>(models: R) {
    assert_eq!(models.stats().await.unwrap(), Default::default());
    assert!(models.leaderboard(10).await.unwrap().is_empty());
    assert!(models
        .list_summaries(GameListQuery {
            status: None,
            limit: 10,
            after: None,
        })
        .await
        .unwrap()
        .is_empty());
}

pub async fn clearing_removes_everything<R: ReadModels>(models: R) {
    models
        .upsert_summary(summary("a", GameStatus::Waiting, 2, 0))
        .await
        .unwrap();
    models
        .record_results(vec![result("a", 0, "Ana", 1, true, 0)])
        .await
        .unwrap();
    models.clear().await.unwrap();
    assert!(models.summary("a").await.unwrap().is_none());
    assert!(models.leaderboard(10).await.unwrap().is_empty());
    assert_eq!(models.stats().await.unwrap(), Default::default());
}
