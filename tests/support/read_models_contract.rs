//! The [`ReadModels`](caravan::application::ports::ReadModels) contract, one async function per
//! rule; `tests/contract_read_models.rs` runs each against every adapter. Times are whole
//! milliseconds (the contract does not ask for finer ones).

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use futures::future::join_all;

use caravan::application::ports::{
    DynReadModels, GameCursor, GameListQuery, GameSummary, LeaderboardEntry, PlayerResult,
    ReadStats, SeatSummary,
};
use caravan::domain::GameStatus;

/// Read models under test.
pub type Models = Arc<dyn DynReadModels>;

fn at(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(1_700_000_000_000 + ms).unwrap()
}

/// A summary of `game_id` at `version`, created at `created` ms, with `seated` players.
pub fn summary(game_id: &str, version: u64, status: GameStatus, created: i64) -> GameSummary {
    let players = (0..2)
        .map(|seat| SeatSummary {
            seat,
            player_id: format!("{game_id}-p{seat}"),
            name: format!("name {seat}"),
            left: false,
            score: version as u16 + u16::from(seat),
        })
        .collect();
    GameSummary {
        game_id: game_id.into(),
        status,
        num_players: 2,
        players,
        current_seat: (status == GameStatus::Active).then_some(1),
        round: version as u32 / 4,
        winner: (status == GameStatus::Finished).then_some(0),
        version,
        created_at: at(created),
        updated_at: at(created + version as i64),
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
        game_id: game_id.into(),
        seat,
        player_id: format!("{game_id}-p{seat}"),
        name: name.into(),
        score,
        won,
        forfeited: false,
        num_players: 2,
        finished_at: at(finished),
    }
}

fn query(status: Option<GameStatus>, limit: usize, after: Option<&GameSummary>) -> GameListQuery {
    GameListQuery {
        status,
        limit,
        after: after.map(|s| GameCursor {
            created_at: s.created_at,
            game_id: s.game_id.clone(),
        }),
    }
}

fn game_ids(summaries: &[GameSummary]) -> Vec<&str> {
    summaries.iter().map(|s| s.game_id.as_str()).collect()
}

pub async fn a_summary_reads_back_as_written(models: Models) {
    let written = summary("g", 7, GameStatus::Active, 0);
    assert!(models.upsert_summary(written.clone()).await.unwrap());
    assert_eq!(models.summary("g").await.unwrap(), Some(written));
    assert_eq!(models.summary("other").await.unwrap(), None);
}

pub async fn a_summary_is_replaced_only_by_a_higher_version(models: Models) {
    assert!(models
        .upsert_summary(summary("g", 5, GameStatus::Active, 0))
        .await
        .unwrap());
    let mut older = summary("g", 3, GameStatus::Waiting, 0);
    older.round = 99;
    assert!(!models.upsert_summary(older).await.unwrap());
    let mut same = summary("g", 5, GameStatus::Waiting, 0);
    same.round = 99;
    assert!(!models.upsert_summary(same).await.unwrap());
    assert_eq!(
        models.summary("g").await.unwrap(),
        Some(summary("g", 5, GameStatus::Active, 0))
    );
    let newer = summary("g", 9, GameStatus::Finished, 0);
    assert!(models.upsert_summary(newer.clone()).await.unwrap());
    assert_eq!(models.summary("g").await.unwrap(), Some(newer));
}

pub async fn concurrent_upserts_keep_the_highest_version(models: Models) {
    let writes = (1..=20u64).rev().map(|v| {
        let models = models.clone();
        async move {
            models
                .upsert_summary(summary("g", v, GameStatus::Active, 0))
                .await
                .unwrap()
        }
    });
    let written = join_all(writes).await;
    assert!(written.iter().any(|w| *w));
    assert_eq!(models.summary("g").await.unwrap().unwrap().version, 20);
}

pub async fn games_list_newest_first_by_status_in_pages(models: Models) {
    // Two games share a creation time: the id breaks the tie (descending).
    let games = [
        ("a", GameStatus::Waiting, 10),
        ("b", GameStatus::Active, 20),
        ("c", GameStatus::Active, 20),
        ("d", GameStatus::Finished, 30),
        ("e", GameStatus::Active, 40),
    ];
    for (id, status, created) in games {
        models
            .upsert_summary(summary(id, 3, status, created))
            .await
            .unwrap();
    }
    let all = models.list_summaries(query(None, 10, None)).await.unwrap();
    assert_eq!(game_ids(&all), ["e", "d", "c", "b", "a"]);

    let first = models.list_summaries(query(None, 2, None)).await.unwrap();
    assert_eq!(game_ids(&first), ["e", "d"]);
    let second = models
        .list_summaries(query(None, 2, first.last()))
        .await
        .unwrap();
    assert_eq!(game_ids(&second), ["c", "b"]);
    let third = models
        .list_summaries(query(None, 2, second.last()))
        .await
        .unwrap();
    assert_eq!(game_ids(&third), ["a"]);

    let active = models
        .list_summaries(query(Some(GameStatus::Active), 10, None))
        .await
        .unwrap();
    assert_eq!(game_ids(&active), ["e", "c", "b"]);
    let after_c = models
        .list_summaries(query(Some(GameStatus::Active), 10, Some(&active[1])))
        .await
        .unwrap();
    assert_eq!(game_ids(&after_c), ["b"]);
}

pub async fn results_are_recorded_once_per_game_and_seat(models: Models) {
    models
        .record_results(vec![
            result("g", 0, "ada", 30, true, 5),
            result("g", 1, "bo", 20, false, 5),
        ])
        .await
        .unwrap();
    // Recorded again (a replayed projection), with one new seat and one changed score.
    models
        .record_results(vec![
            result("g", 0, "ada", 99, false, 5),
            result("g", 2, "cy", 10, false, 5),
        ])
        .await
        .unwrap();
    let ada = models.player_results("ada", 10).await.unwrap();
    assert_eq!(ada, vec![result("g", 0, "ada", 30, true, 5)]);
    assert_eq!(models.player_results("cy", 10).await.unwrap().len(), 1);
}

pub async fn player_results_are_newest_first_and_limited(models: Models) {
    for (game, finished) in [("g1", 10), ("g2", 30), ("g3", 20)] {
        models
            .record_results(vec![
                result(game, 0, "ada", 10, false, finished),
                result(game, 1, "bo", 12, true, finished),
            ])
            .await
            .unwrap();
    }
    let ada = models.player_results("ada", 10).await.unwrap();
    let games: Vec<&str> = ada.iter().map(|r| r.game_id.as_str()).collect();
    assert_eq!(games, ["g2", "g3", "g1"]);
    assert_eq!(models.player_results("ada", 2).await.unwrap().len(), 2);
    assert!(models
        .player_results("nobody", 10)
        .await
        .unwrap()
        .is_empty());
}

pub async fn the_leaderboard_ranks_by_wins_then_total_score_then_name(models: Models) {
    models
        .record_results(vec![
            result("g1", 0, "ada", 30, true, 1),
            result("g1", 1, "bo", 25, false, 1),
            result("g2", 0, "bo", 40, true, 2),
            result("g2", 1, "cy", 10, false, 2),
            result("g3", 0, "cy", 50, true, 3),
            result("g3", 1, "dee", 65, false, 3),
            result("g4", 0, "eve", 30, true, 4),
            result("g4", 1, "ada", 1, false, 4),
        ])
        .await
        .unwrap();
    let board = models.leaderboard(10).await.unwrap();
    let entry = |name: &str, games, wins, total_score, best_score| LeaderboardEntry {
        name: name.into(),
        games,
        wins,
        total_score,
        best_score,
    };
    assert_eq!(
        board,
        vec![
            entry("bo", 2, 1, 65, 40),
            entry("cy", 2, 1, 60, 50),
            entry("ada", 2, 1, 31, 30),
            entry("eve", 1, 1, 30, 30),
            entry("dee", 1, 0, 65, 65),
        ]
    );
    assert_eq!(models.leaderboard(2).await.unwrap(), board[..2].to_vec());
}

pub async fn stats_count_games_by_status_with_events_and_seats(models: Models) {
    for (id, version, status) in [
        ("a", 2, GameStatus::Waiting),
        ("b", 10, GameStatus::Active),
        ("c", 12, GameStatus::Active),
        ("d", 40, GameStatus::Finished),
    ] {
        models
            .upsert_summary(summary(id, version, status, 0))
            .await
            .unwrap();
    }
    assert_eq!(
        models.stats().await.unwrap(),
        ReadStats {
            games_waiting: 1,
            games_active: 2,
            games_finished: 1,
            events: 64,
            players: 8,
        }
    );
}

pub async fn empty_read_models_answer_with_nothing(models: Models) {
    assert_eq!(models.stats().await.unwrap(), ReadStats::default());
    assert!(models.leaderboard(10).await.unwrap().is_empty());
    assert!(models
        .list_summaries(query(None, 10, None))
        .await
        .unwrap()
        .is_empty());
}

pub async fn clear_removes_everything(models: Models) {
    models
        .upsert_summary(summary("g", 4, GameStatus::Finished, 0))
        .await
        .unwrap();
    models
        .record_results(vec![result("g", 0, "ada", 3, true, 0)])
        .await
        .unwrap();
    models.clear().await.unwrap();
    assert_eq!(models.summary("g").await.unwrap(), None);
    assert!(models.player_results("ada", 10).await.unwrap().is_empty());
    assert_eq!(models.stats().await.unwrap(), ReadStats::default());
    // A cleared model accepts any version again (a rebuild starts from scratch).
    assert!(models
        .upsert_summary(summary("g", 1, GameStatus::Waiting, 0))
        .await
        .unwrap());
}
