//! The read models port: the projections that serve queries (what they hold is in
//! [`crate::application::summaries`]).

use async_trait::async_trait;

use crate::application::summaries::{
    GameListQuery, GameSummary, LeaderboardEntry, PlayerResult, ReadStats,
};

/// Why a read model failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReadModelError {
    /// The backing store cannot be reached.
    #[error("read models unavailable: {0}")]
    Unavailable(String),
}

/// The projections that serve queries. Every write is idempotent and never moves a model backwards;
/// everything here can be rebuilt from the events (see [`crate::application::projections`]).
#[cfg_attr(test, mockall::automock)]
#[async_trait]
pub trait ReadModels: Send + Sync + 'static {
    /// Stores the summary unless the stored one has a version ≥ `summary.version`. An adapter may
    /// hold it back and write it later (see [`ReadModels::flush`]), but every read made after this
    /// returned sees it (or a newer one).
    async fn upsert_summary(&self, summary: GameSummary) -> Result<(), ReadModelError>;

    /// Records results of a finished game; a (game_id, seat) already recorded is left as it is.
    async fn record_results(&self, results: Vec<PlayerResult>) -> Result<(), ReadModelError>;

    /// One game's summary.
    async fn summary(&self, game_id: &str) -> Result<Option<GameSummary>, ReadModelError>;

    /// A page of summaries (see [`GameListQuery`] for the order).
    async fn list_summaries(
        &self,
        query: GameListQuery,
    ) -> Result<Vec<GameSummary>, ReadModelError>;

    /// Every result recorded under this name, newest first, at most `limit`.
    async fn player_results(
        &self,
        name: &str,
        limit: usize,
    ) -> Result<Vec<PlayerResult>, ReadModelError>;

    /// Names by wins, then total score, then name; at most `limit`.
    async fn leaderboard(&self, limit: usize) -> Result<Vec<LeaderboardEntry>, ReadModelError>;

    /// Counts over all summaries.
    async fn stats(&self) -> Result<ReadStats, ReadModelError>;

    /// Removes everything (before a rebuild).
    async fn clear(&self) -> Result<(), ReadModelError>;

    /// Writes whatever the adapter holds back (the server calls it when it stops). Adapters that
    /// write every update at once have nothing to do.
    async fn flush(&self) -> Result<(), ReadModelError> {
        Ok(())
    }
}
