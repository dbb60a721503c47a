//! The read models in SQLite, next to the events in the same database: `summaries` (one row per
//! game, the summary as JSON plus the columns lists sort and filter by) and `results` (one row per
//! seat of a finished game). Writes go through the writer thread, in the same group commits as the
//! events; reads run on the reading connections. Summaries are held back and written together
//! (see `pending.rs`); every read of them writes what is held first.
//!
//! After a crash a summary may be behind its game's log (the process stopped between the append
//! and the projection, or with summaries held): [`SqliteReadModels::stale_games`] names those
//! games, and the composition root projects them again at start-up.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::de::DeserializeOwned;

use super::event_store::game_ids;
use super::pending::{flush_later, Next, PendingSummaries};
use super::writer::{self, Request, ResultRow};
use super::Database;
use crate::application::ports::{
    GameListQuery, GameSummary, LeaderboardEntry, PlayerResult, ReadModelError, ReadModels,
    ReadStats,
};
use crate::domain::GameStatus;

/// The embedded [`ReadModels`]. Cheap to clone: clones share the database.
#[derive(Clone)]
pub struct SqliteReadModels {
    database: Arc<Database>,
    pending: Arc<PendingSummaries>,
}

fn unavailable(reason: String) -> ReadModelError {
    ReadModelError::Unavailable(reason)
}

pub(super) fn status_name(status: GameStatus) -> &'static str {
    match status {
        GameStatus::New => "new",
        GameStatus::Waiting => "waiting",
        GameStatus::Active => "active",
        GameStatus::Finished => "finished",
    }
}

/// A time as the read models store it: nanoseconds since the epoch, so that a list's cursor
/// compares exactly whatever precision the time has.
pub(super) fn to_nanos(t: DateTime<Utc>) -> i64 {
    t.timestamp_nanos_opt()
        .unwrap_or_else(|| t.timestamp_micros().saturating_mul(1000))
}

/// Decodes a JSON column.
fn json<T: DeserializeOwned>(text: &str) -> rusqlite::Result<T> {
    serde_json::from_str(text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn encode<T: serde::Serialize>(value: &T) -> Result<String, ReadModelError> {
    serde_json::to_string(value)
        .map_err(|e| ReadModelError::Unavailable(format!("cannot encode a read model: {e}")))
}

/// Every row of a one-column JSON query.
fn all<T: DeserializeOwned>(
    connection: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> rusqlite::Result<Vec<T>> {
    let mut select = connection.prepare_cached(sql)?;
    let rows = select.query_map(params, |row| row.get::<_, String>(0))?;
    rows.map(|text| json(&text?)).collect()
}

impl SqliteReadModels {
    pub(super) fn new(database: Arc<Database>) -> Self {
        SqliteReadModels {
            database,
            pending: Arc::default(),
        }
    }

    /// Writes the summaries held back, so that a read sees them.
    async fn write_held(&self) -> Result<(), ReadModelError> {
        self.pending
            .flush(&self.database)
            .await
            .map_err(unavailable)
    }

    /// Games whose summary is missing or behind their log: the process stopped between an
    /// append and its projection. One index seek per game.
    pub async fn stale_games(&self) -> Result<Vec<String>, ReadModelError> {
        self.write_held().await?;
        self.database
            .read(|connection| {
                let mut projected = connection
                    .prepare_cached("SELECT version FROM summaries WHERE game_id = ?1")?;
                let mut stale = Vec::new();
                for game_id in game_ids(connection)? {
                    let latest = writer::latest(connection, &game_id)?;
                    let version: Option<i64> = projected
                        .query_row([&game_id], |row| row.get(0))
                        .optional()?;
                    if version.is_none_or(|v| v < latest) {
                        stale.push(game_id);
                    }
                }
                Ok(stale)
            })
            .await
            .map_err(unavailable)
    }
}

#[async_trait::async_trait]
impl ReadModels for SqliteReadModels {
    async fn upsert_summary(&self, summary: GameSummary) -> Result<(), ReadModelError> {
        match self.pending.hold(summary) {
            Next::Nothing => Ok(()),
            Next::Arm => {
                let database = Arc::downgrade(&self.database);
                tokio::spawn(flush_later(database, self.pending.clone()));
                Ok(())
            }
            Next::Flush => self.write_held().await,
        }
    }

    async fn record_results(&self, results: Vec<PlayerResult>) -> Result<(), ReadModelError> {
        if results.is_empty() {
            return Ok(());
        }
        let rows = results
            .iter()
            .map(|result| {
                Ok(ResultRow {
                    game_id: result.game_id.clone(),
                    seat: i64::from(result.seat),
                    name: result.name.clone(),
                    score: i64::from(result.score),
                    won: result.won,
                    finished_at: to_nanos(result.finished_at),
                    result: encode(result)?,
                })
            })
            .collect::<Result<Vec<_>, ReadModelError>>()?;
        self.database
            .writer
            .send(|reply| Request::Results(rows, reply))
            .await
            .map_err(unavailable)
    }

    async fn summary(&self, game_id: &str) -> Result<Option<GameSummary>, ReadModelError> {
        self.write_held().await?;
        let owned = game_id.to_string();
        self.database
            .read(move |connection| {
                connection
                    .prepare_cached("SELECT summary FROM summaries WHERE game_id = ?1")?
                    .query_row([owned], |row| row.get::<_, String>(0))
                    .optional()?
                    .map(|text| json(&text))
                    .transpose()
            })
            .await
            .map_err(unavailable)
    }

    async fn list_summaries(
        &self,
        query: GameListQuery,
    ) -> Result<Vec<GameSummary>, ReadModelError> {
        let limit = i64::try_from(query.limit).unwrap_or(i64::MAX);
        // Without a cursor, start after the largest possible key.
        let (after_time, after_id) = match &query.after {
            Some(cursor) => (to_nanos(cursor.created_at), cursor.game_id.clone()),
            None => (i64::MAX, "\u{10FFFF}".to_string()),
        };
        let status = query.status.map(status_name);
        self.write_held().await?;
        self.database
            .read(move |connection| match status {
                Some(status) => all(
                    connection,
                    "SELECT summary FROM summaries
                     WHERE status = ?1 AND (created_at, game_id) < (?2, ?3)
                     ORDER BY created_at DESC, game_id DESC LIMIT ?4",
                    params![status, after_time, after_id, limit],
                ),
                None => all(
                    connection,
                    "SELECT summary FROM summaries
                     WHERE (created_at, game_id) < (?1, ?2)
                     ORDER BY created_at DESC, game_id DESC LIMIT ?3",
                    params![after_time, after_id, limit],
                ),
            })
            .await
            .map_err(unavailable)
    }

    async fn player_results(
        &self,
        name: &str,
        limit: usize,
    ) -> Result<Vec<PlayerResult>, ReadModelError> {
        let owned = name.to_string();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.database
            .read(move |connection| {
                all(
                    connection,
                    "SELECT result FROM results WHERE name = ?1
                     ORDER BY finished_at DESC, game_id ASC LIMIT ?2",
                    params![owned, limit],
                )
            })
            .await
            .map_err(unavailable)
    }

    async fn leaderboard(&self, limit: usize) -> Result<Vec<LeaderboardEntry>, ReadModelError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.database
            .read(move |connection| {
                let mut select = connection.prepare_cached(
                    "SELECT name, count(*), sum(won), sum(score), max(score) FROM results
                     GROUP BY name
                     ORDER BY sum(won) DESC, sum(score) DESC, name ASC LIMIT ?1",
                )?;
                let rows = select.query_map([limit], |row| {
                    Ok(LeaderboardEntry {
                        name: row.get(0)?,
                        games: row.get(1)?,
                        wins: row.get(2)?,
                        total_score: row.get::<_, i64>(3)?.max(0) as u64,
                        best_score: row.get(4)?,
                    })
                })?;
                rows.collect()
            })
            .await
            .map_err(unavailable)
    }

    async fn stats(&self) -> Result<ReadStats, ReadModelError> {
        self.write_held().await?;
        self.database
            .read(|connection| {
                let mut select = connection.prepare_cached(
                    "SELECT status, count(*), sum(version), sum(seated) FROM summaries
                     GROUP BY status",
                )?;
                let mut rows = select.query([])?;
                let mut stats = ReadStats::default();
                while let Some(row) = rows.next()? {
                    let status: String = row.get(0)?;
                    let count = row.get::<_, i64>(1)?.max(0) as u64;
                    match status.as_str() {
                        "waiting" => stats.games_waiting += count,
                        "active" => stats.games_active += count,
                        "finished" => stats.games_finished += count,
                        _ => {}
                    }
                    stats.events += row.get::<_, i64>(2)?.max(0) as u64;
                    stats.players += row.get::<_, i64>(3)?.max(0) as u64;
                }
                Ok(stats)
            })
            .await
            .map_err(unavailable)
    }

    async fn clear(&self) -> Result<(), ReadModelError> {
        let _no_flush = self.pending.discard().await;
        self.database
            .writer
            .send(Request::Clear)
            .await
            .map_err(unavailable)
    }

    async fn flush(&self) -> Result<(), ReadModelError> {
        self.write_held().await
    }
}
