//! The read models port: the projections that serve queries (what they hold is in
//! [`crate::application::summaries`]).

use std::future::Future;

use futures::future::BoxFuture;

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
pub trait ReadModels: Send + Sync + 'static {
    /// Stores the summary unless the stored one has a version ≥ `summary.version`. True when written.
    fn upsert_summary(
        &self,
        summary: GameSummary,
    ) -> impl Future<Output = Result<bool, ReadModelError>> + Send;

    /// Records results of a finished game; a (game_id, seat) already recorded is left as it is.
    fn record_results(
        &self,
        results: Vec<PlayerResult>,
    ) -> impl Future<Output = Result<(), ReadModelError>> + Send;

    /// One game's summary.
    fn summary(
        &self,
        game_id: &str,
    ) -> impl Future<Output = Result<Option<GameSummary>, ReadModelError>> + Send;

    /// A page of summaries (see [`GameListQuery`] for the order).
    fn list_summaries(
        &self,
        query: GameListQuery,
    ) -> impl Future<Output = Result<Vec<GameSummary>, ReadModelError>> + Send;

    /// Every result recorded under this name, newest first, at most `limit`.
    fn player_results(
        &self,
        name: &str,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<PlayerResult>, ReadModelError>> + Send;

    /// Names by wins, then total score, then name; at most `limit`.
    fn leaderboard(
        &self,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<LeaderboardEntry>, ReadModelError>> + Send;

    /// Counts over all summaries.
    fn stats(&self) -> impl Future<Output = Result<ReadStats, ReadModelError>> + Send;

    /// Removes everything (before a rebuild).
    fn clear(&self) -> impl Future<Output = Result<(), ReadModelError>> + Send;
}

/// Object-safe twin of [`ReadModels`], implemented for every `ReadModels`.
pub trait DynReadModels: Send + Sync + 'static {
    /// See [`ReadModels::upsert_summary`].
    fn upsert_summary(&self, summary: GameSummary) -> BoxFuture<'_, Result<bool, ReadModelError>>;
    /// See [`ReadModels::record_results`].
    fn record_results(
        &self,
        results: Vec<PlayerResult>,
    ) -> BoxFuture<'_, Result<(), ReadModelError>>;
    /// See [`ReadModels::summary`].
    fn summary<'a>(
        &'a self,
        game_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<GameSummary>, ReadModelError>>;
    /// See [`ReadModels::list_summaries`].
    fn list_summaries(
        &self,
        query: GameListQuery,
    ) -> BoxFuture<'_, Result<Vec<GameSummary>, ReadModelError>>;
    /// See [`ReadModels::player_results`].
    fn player_results<'a>(
        &'a self,
        name: &'a str,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<PlayerResult>, ReadModelError>>;
    /// See [`ReadModels::leaderboard`].
    fn leaderboard(
        &self,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<LeaderboardEntry>, ReadModelError>>;
    /// See [`ReadModels::stats`].
    fn stats(&self) -> BoxFuture<'_, Result<ReadStats, ReadModelError>>;
    /// See [`ReadModels::clear`].
    fn clear(&self) -> BoxFuture<'_, Result<(), ReadModelError>>;
}

impl<T: ReadModels> DynReadModels for T {
    fn upsert_summary(&self, summary: GameSummary) -> BoxFuture<'_, Result<bool, ReadModelError>> {
        Box::pin(ReadModels::upsert_summary(self, summary))
    }
    fn record_results(
        &self,
        results: Vec<PlayerResult>,
    ) -> BoxFuture<'_, Result<(), ReadModelError>> {
        Box::pin(ReadModels::record_results(self, results))
    }
    fn summary<'a>(
        &'a self,
        game_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<GameSummary>, ReadModelError>> {
        Box::pin(ReadModels::summary(self, game_id))
    }
    fn list_summaries(
        &self,
        query: GameListQuery,
    ) -> BoxFuture<'_, Result<Vec<GameSummary>, ReadModelError>> {
        Box::pin(ReadModels::list_summaries(self, query))
    }
    fn player_results<'a>(
        &'a self,
        name: &'a str,
        limit: usize,
    ) -> BoxFuture<'a, Result<Vec<PlayerResult>, ReadModelError>> {
        Box::pin(ReadModels::player_results(self, name, limit))
    }
    fn leaderboard(
        &self,
        limit: usize,
    ) -> BoxFuture<'_, Result<Vec<LeaderboardEntry>, ReadModelError>> {
        Box::pin(ReadModels::leaderboard(self, limit))
    }
    fn stats(&self) -> BoxFuture<'_, Result<ReadStats, ReadModelError>> {
        Box::pin(ReadModels::stats(self))
    }
    fn clear(&self) -> BoxFuture<'_, Result<(), ReadModelError>> {
        Box::pin(ReadModels::clear(self))
    }
}
