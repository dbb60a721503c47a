//! What the read models hold and answer: game summaries, player results, leaderboard rows, counts,
//! and the query for a page of games. Plain data; the port that stores them is
//! [`crate::application::ports::ReadModels`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{GameStatus, Seat};

/// One seat in a game summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SeatSummary {
    /// Seat number, 0 first.
    pub seat: Seat,
    /// The player's id.
    pub player_id: String,
    /// The player's name.
    pub name: String,
    /// Left the table (forfeited if the game was running).
    pub left: bool,
    /// Running score (final score once finished).
    pub score: u16,
}

/// A game as dashboards and lobbies list it. Upserted only when `version` grows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GameSummary {
    /// The game's id.
    pub game_id: String,
    /// waiting, active or finished.
    pub status: GameStatus,
    /// Seats at the table.
    pub num_players: u8,
    /// Seated players, in seat order.
    pub players: Vec<SeatSummary>,
    /// The seat to move while the game runs.
    pub current_seat: Option<Seat>,
    /// Current round (0 before the start).
    pub round: u32,
    /// The winner once finished.
    pub winner: Option<Seat>,
    /// The id of the last event folded into this summary.
    pub version: u64,
    /// When the game was created.
    pub created_at: DateTime<Utc>,
    /// When its last event was committed.
    pub updated_at: DateTime<Utc>,
}

/// One player's result in one finished game. Keyed by (game_id, seat): recording it twice is harmless.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlayerResult {
    /// The game.
    pub game_id: String,
    /// The seat played.
    pub seat: Seat,
    /// The player's id in that game.
    pub player_id: String,
    /// The name played under (the leaderboard groups by it).
    pub name: String,
    /// Final score.
    pub score: u16,
    /// Won the game.
    pub won: bool,
    /// Left the running game.
    pub forfeited: bool,
    /// Players in the game.
    pub num_players: u8,
    /// When the game ended.
    pub finished_at: DateTime<Utc>,
}

/// A leaderboard row: every finished game played under one name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LeaderboardEntry {
    /// Player name.
    pub name: String,
    /// Finished games.
    pub games: u32,
    /// Games won.
    pub wins: u32,
    /// Sum of final scores.
    pub total_score: u64,
    /// Best final score.
    pub best_score: u16,
}

/// Counts over the read models.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadStats {
    /// Games waiting for players.
    pub games_waiting: u64,
    /// Games running.
    pub games_active: u64,
    /// Games ended.
    pub games_finished: u64,
    /// Events over all games (sum of versions).
    pub events: u64,
    /// Seats taken over all games.
    pub players: u64,
}

/// Where a page of games starts: after this (created_at, game_id), newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GameCursor {
    /// `created_at` of the last game of the previous page.
    pub created_at: DateTime<Utc>,
    /// `game_id` of the last game of the previous page.
    pub game_id: String,
}

/// A request for a page of game summaries, ordered by `created_at` descending then `game_id` descending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GameListQuery {
    /// Only games in this status.
    pub status: Option<GameStatus>,
    /// Page size (the application caps it).
    pub limit: usize,
    /// Start after this game.
    pub after: Option<GameCursor>,
}
