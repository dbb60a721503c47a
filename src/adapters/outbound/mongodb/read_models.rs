//! Read models in MongoDB: game summaries and player results; the leaderboard and the stats are
//! aggregated from them on request, so they can never disagree with the documents they summarise.
//!
//! ```text
//! game_summaries: { _id: <game id>, status, numPlayers, players: [...], currentSeat, round,
//!                   winner, version, createdMs, updatedMs }
//! player_results: { _id: { g: <game id>, s: <seat> }, gameId, seat, playerId, name, score,
//!                   won, win: 0 | 1, forfeited, numPlayers, finishedMs }
//! ```
//! A summary is overwritten only by a higher version (`{_id, version: {$lt: v}}` with upsert; the
//! duplicate key an upsert meets when the stored version is not lower means "not written"), and a
//! result is inserted once per (game, seat), so every write is idempotent and never moves a
//! model backwards. `win` duplicates `won` as a number for `$sum`.
//!
//! Times (`…Ms`) are Int64 milliseconds since the epoch (see [`super::to_chrono`]), which is also
//! the page cursor's precision.

use futures::TryStreamExt;
use mongodb::bson::{self, doc, Document};
use mongodb::options::IndexOptions;
use mongodb::{Collection, Database, IndexModel};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tokio::sync::OnceCell;

use super::{timed, to_chrono, to_millis, Failure};
use crate::application::ports::{
    GameListQuery, GameSummary, LeaderboardEntry, PlayerResult, ReadModelError, ReadModels,
    ReadStats, SeatSummary,
};
use crate::domain::{GameStatus, Seat};

/// The collection of game summaries.
pub const SUMMARIES_COLLECTION: &str = "game_summaries";
/// The collection of player results.
pub const RESULTS_COLLECTION: &str = "player_results";

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SummaryDoc {
    #[serde(rename = "_id")]
    game_id: String,
    status: GameStatus,
    num_players: u8,
    players: Vec<SeatSummary>,
    current_seat: Option<Seat>,
    round: u32,
    winner: Option<Seat>,
    version: u64,
    /// Milliseconds since the epoch.
    created_ms: i64,
    /// Milliseconds since the epoch.
    updated_ms: i64,
}

impl From<GameSummary> for SummaryDoc {
    fn from(s: GameSummary) -> Self {
        SummaryDoc {
            game_id: s.game_id,
            status: s.status,
            num_players: s.num_players,
            players: s.players,
            current_seat: s.current_seat,
            round: s.round,
            winner: s.winner,
            version: s.version,
            created_ms: to_millis(s.created_at),
            updated_ms: to_millis(s.updated_at),
        }
    }
}

impl From<SummaryDoc> for GameSummary {
    fn from(d: SummaryDoc) -> Self {
        GameSummary {
            game_id: d.game_id,
            status: d.status,
            num_players: d.num_players,
            players: d.players,
            current_seat: d.current_seat,
            round: d.round,
            winner: d.winner,
            version: d.version,
            created_at: to_chrono(d.created_ms),
            updated_at: to_chrono(d.updated_ms),
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct ResultKey {
    g: String,
    s: Seat,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResultDoc {
    #[serde(rename = "_id")]
    key: ResultKey,
    game_id: String,
    seat: Seat,
    player_id: String,
    name: String,
    score: u16,
    won: bool,
    /// `won` as 0 or 1, for `$sum` in the leaderboard.
    win: i32,
    forfeited: bool,
    num_players: u8,
    /// Milliseconds since the epoch.
    finished_ms: i64,
}

impl From<PlayerResult> for ResultDoc {
    fn from(r: PlayerResult) -> Self {
        ResultDoc {
            key: ResultKey {
                g: r.game_id.clone(),
                s: r.seat,
            },
            game_id: r.game_id,
            seat: r.seat,
            player_id: r.player_id,
            name: r.name,
            score: r.score,
            won: r.won,
            win: i32::from(r.won),
            forfeited: r.forfeited,
            num_players: r.num_players,
            finished_ms: to_millis(r.finished_at),
        }
    }
}

impl From<ResultDoc> for PlayerResult {
    fn from(d: ResultDoc) -> Self {
        PlayerResult {
            game_id: d.game_id,
            seat: d.seat,
            player_id: d.player_id,
            name: d.name,
            score: d.score,
            won: d.won,
            forfeited: d.forfeited,
            num_players: d.num_players,
            finished_at: to_chrono(d.finished_ms),
        }
    }
}

/// One leaderboard row as the aggregation returns it (sums of nothing may come back missing).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LeaderboardRow {
    #[serde(rename = "_id")]
    name: String,
    #[serde(default)]
    games: Option<u32>,
    #[serde(default)]
    wins: Option<u32>,
    #[serde(default)]
    total_score: Option<u64>,
    #[serde(default)]
    best_score: Option<u16>,
}

/// Counts of one status as the aggregation returns them.
#[derive(Debug, Deserialize)]
struct StatusRow {
    #[serde(rename = "_id")]
    status: Option<GameStatus>,
    #[serde(default)]
    games: Option<u64>,
    #[serde(default)]
    events: Option<u64>,
    #[serde(default)]
    players: Option<u64>,
}

/// The MongoDB [`ReadModels`].
#[derive(Clone)]
pub struct MongoReadModels {
    summaries: Collection<SummaryDoc>,
    results: Collection<ResultDoc>,
    indexes: Arc<OnceCell<()>>,
}

impl MongoReadModels {
    /// Read models in `database`. Does not contact the server.
    pub fn new(database: &Database) -> Self {
        MongoReadModels {
            summaries: database.collection(SUMMARIES_COLLECTION),
            results: database.collection(RESULTS_COLLECTION),
            indexes: Arc::new(OnceCell::new()),
        }
    }

    /// Creates the indexes if they are not there yet (idempotent).
    pub async fn prepare(&self) -> Result<(), ReadModelError> {
        self.indexes
            .get_or_try_init(|| async {
                let named = |name: &str| IndexOptions::builder().name(name.to_string()).build();
                timed(self.summaries.create_indexes(vec![
                        // Not `_id` in the keys: the MongoDB-wire test server then fails
                        // every upsert (and the id only breaks ties of equal times).
                        IndexModel::builder()
                            .keys(doc! { "createdMs": -1 })
                            .options(named("newest"))
                            .build(),
                        IndexModel::builder()
                            .keys(doc! { "status": 1, "createdMs": -1 })
                            .options(named("status_newest"))
                            .build(),
                    ]))
                .await
                .map_err(unavailable)?;
                timed(self.results.create_indexes(vec![IndexModel::builder()
                        .keys(doc! { "name": 1, "finishedMs": -1 })
                        .options(named("name_newest"))
                        .build()]))
                .await
                .map_err(unavailable)?;
                Ok(())
            })
            .await
            .map(|_| ())
    }
}

#[async_trait::async_trait]
impl ReadModels for MongoReadModels {
    async fn upsert_summary(&self, summary: GameSummary) -> Result<(), ReadModelError> {
        let version = i64::try_from(summary.version)
            .map_err(|_| ReadModelError::Unavailable("version beyond Int64".into()))?;
        let filter = doc! { "_id": &summary.game_id, "version": { "$lt": version } };
        let mut fields = bson::to_document(&SummaryDoc::from(summary))
            .map_err(|e| ReadModelError::Unavailable(e.to_string()))?;
        fields.remove("_id");
        // `$set` of every field rather than a replacement: the upsert takes `_id` from the filter.
        let update = doc! { "$set": fields };
        match timed(self.summaries.update_one(filter, update).upsert(true)).await {
            Ok(_) => Ok(()),
            // The upsert tried to insert: a summary exists with a version that is not lower.
            Err(e) if e.is_duplicate_key() => Ok(()),
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn record_results(&self, results: Vec<PlayerResult>) -> Result<(), ReadModelError> {
        if results.is_empty() {
            return Ok(());
        }
        let docs: Vec<ResultDoc> = results.into_iter().map(ResultDoc::from).collect();
        match timed(self.results.insert_many(docs).ordered(false)).await {
            Ok(_) => Ok(()),
            // Some were recorded before: those stay as they are, the others were inserted.
            Err(e) if e.is_duplicate_key() => Ok(()),
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn summary(&self, game_id: &str) -> Result<Option<GameSummary>, ReadModelError> {
        let found = timed(self.summaries.find_one(doc! { "_id": game_id }))
            .await
            .map_err(unavailable)?;
        Ok(found.map(GameSummary::from))
    }

    async fn list_summaries(
        &self,
        query: GameListQuery,
    ) -> Result<Vec<GameSummary>, ReadModelError> {
        if query.limit == 0 {
            return Ok(Vec::new());
        }
        let mut filter = Document::new();
        if let Some(status) = query.status {
            filter.insert(
                "status",
                bson::to_bson(&status).map_err(|e| ReadModelError::Unavailable(e.to_string()))?,
            );
        }
        if let Some(cursor) = &query.after {
            let created = to_millis(cursor.created_at);
            filter.insert(
                "$or",
                vec![
                    doc! { "createdMs": { "$lt": created } },
                    doc! { "createdMs": created, "_id": { "$lt": &cursor.game_id } },
                ],
            );
        }
        let limit = i64::try_from(query.limit).unwrap_or(i64::MAX);
        let cursor = timed(
            self.summaries
                .find(filter)
                .sort(doc! { "createdMs": -1, "_id": -1 })
                .limit(limit),
        )
        .await
        .map_err(unavailable)?;
        collect(cursor, query.limit)
            .await
            .map(|docs| docs.into_iter().map(GameSummary::from).collect())
    }

    async fn player_results(
        &self,
        name: &str,
        limit: usize,
    ) -> Result<Vec<PlayerResult>, ReadModelError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let cursor = timed(
            self.results
                .find(doc! { "name": name })
                .sort(doc! { "finishedMs": -1, "gameId": 1 })
                .limit(i64::try_from(limit).unwrap_or(i64::MAX)),
        )
        .await
        .map_err(unavailable)?;
        collect(cursor, limit)
            .await
            .map(|docs| docs.into_iter().map(PlayerResult::from).collect())
    }

    async fn leaderboard(&self, limit: usize) -> Result<Vec<LeaderboardEntry>, ReadModelError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let pipeline = vec![
            doc! { "$group": {
                "_id": "$name",
                "games": { "$sum": 1 },
                "wins": { "$sum": "$win" },
                "totalScore": { "$sum": "$score" },
                "bestScore": { "$max": "$score" },
            } },
            doc! { "$sort": { "wins": -1, "totalScore": -1, "_id": 1 } },
            doc! { "$limit": i64::try_from(limit).unwrap_or(i64::MAX) },
        ];
        let cursor = timed(
            self.results
                .aggregate(pipeline)
                .with_type::<LeaderboardRow>(),
        )
        .await
        .map_err(unavailable)?;
        let rows = collect(cursor, limit).await?;
        Ok(rows
            .into_iter()
            .map(|row| LeaderboardEntry {
                name: row.name,
                games: row.games.unwrap_or(0),
                wins: row.wins.unwrap_or(0),
                total_score: row.total_score.unwrap_or(0),
                best_score: row.best_score.unwrap_or(0),
            })
            .collect())
    }

    async fn stats(&self) -> Result<ReadStats, ReadModelError> {
        let pipeline = vec![doc! { "$group": {
            "_id": "$status",
            "games": { "$sum": 1 },
            "events": { "$sum": "$version" },
            "players": { "$sum": { "$size": "$players" } },
        } }];
        let cursor = timed(self.summaries.aggregate(pipeline).with_type::<StatusRow>())
            .await
            .map_err(unavailable)?;
        let mut stats = ReadStats::default();
        for row in collect(cursor, usize::MAX).await? {
            let games = row.games.unwrap_or(0);
            match row.status {
                Some(GameStatus::Waiting) => stats.games_waiting += games,
                Some(GameStatus::Active) => stats.games_active += games,
                Some(GameStatus::Finished) => stats.games_finished += games,
                Some(GameStatus::New) | None => {}
            }
            stats.events += row.events.unwrap_or(0);
            stats.players += row.players.unwrap_or(0);
        }
        Ok(stats)
    }

    async fn clear(&self) -> Result<(), ReadModelError> {
        timed(self.summaries.delete_many(doc! {}))
            .await
            .map_err(unavailable)?;
        timed(self.results.delete_many(doc! {}))
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}

/// Drains a cursor (at most `limit` items), each step within the operation timeout.
async fn collect<T>(mut cursor: mongodb::Cursor<T>, limit: usize) -> Result<Vec<T>, ReadModelError>
where
    T: serde::de::DeserializeOwned + Unpin + Send + Sync,
{
    let mut out = Vec::new();
    while out.len() < limit {
        match timed(cursor.try_next()).await.map_err(unavailable)? {
            Some(item) => out.push(item),
            None => break,
        }
    }
    Ok(out)
}

fn unavailable(failure: Failure) -> ReadModelError {
    ReadModelError::Unavailable(failure.to_string())
}
