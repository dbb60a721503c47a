//! The ports: what the application needs from the outside world, named for the role it plays.
//!
//! Each trait is `Send + Sync + 'static`, and its async methods return `impl Future + Send` so that
//! a service can call them from inside `tokio::spawn`. Adapters (`src/adapters/outbound/*`) implement
//! these traits and translate their technology's errors into the port errors below (a MongoDB
//! duplicate key 11000 becomes [`AppendError::Conflict`]).
//!
//! The services hold the ports as trait objects: each async trait has a `Dyn…` twin (object-safe, boxed
//! futures) with a blanket implementation, so an adapter implements only the plain trait and the
//! composition root can choose adapters at run time (`EVENT_STORE=memory|mongodb`).
//!
//! This module must never name a technology: no actix, MongoDB, Redis or JWT types here.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use futures::Stream;
use serde::{Deserialize, Serialize};

use crate::domain::{Event, GameStatus, Seat};

// ---------------------------------------------------------------------------------------------------
// Event store
// ---------------------------------------------------------------------------------------------------

/// One event as stored: the domain event plus its place in the game's log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredEvent {
    /// The game this event belongs to.
    pub game_id: String,
    /// Position in the game's log: 1, 2, 3 … without gaps.
    pub event_id: u64,
    /// The command that produced it (every event of one command carries the same id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command_id: Option<String>,
    /// When it was committed (the same for all events of one command).
    pub timestamp: DateTime<Utc>,
    /// What happened. May hold hidden information (`GameCreated`): use [`StoredEvent::public`] before
    /// it leaves the server.
    pub event: Event,
}

impl StoredEvent {
    /// The same event with hidden information removed, for clients.
    pub fn public(&self) -> StoredEvent {
        StoredEvent {
            game_id: self.game_id.clone(),
            event_id: self.event_id,
            command_id: self.command_id.clone(),
            timestamp: self.timestamp,
            event: self.event.public().into_owned(),
        }
    }
}

/// What an append wrote, or what an earlier append with the same command id wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct AppendOutcome {
    /// The events, with their ids, in order.
    pub events: Vec<StoredEvent>,
    /// True when the command id was already stored: `events` are the ORIGINAL events and nothing was written.
    pub duplicate: bool,
}

/// Why an append did not happen. Nothing was written in either case.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AppendError {
    /// The game's log is not at the expected version: another writer got there first.
    #[error("the game is at version {actual}, not the expected one")]
    Conflict {
        /// The log's latest event id.
        actual: u64,
    },
    /// The store cannot be reached or refused the write.
    #[error("event store unavailable: {0}")]
    Unavailable(String),
}

/// Why a read failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StoreError {
    /// The store cannot be reached.
    #[error("event store unavailable: {0}")]
    Unavailable(String),
}

/// The log of every game's events: the source of truth.
///
/// Per game, event ids start at 1 and have no gaps. An append is all-or-nothing and guarded by the
/// expected version, so two writers (two processes) can never both append at the same position.
#[cfg_attr(test, mockall::automock)]
pub trait EventStore: Send + Sync + 'static {
    /// Appends `events` as ids `expected_version + 1 …`, all stamped `at` and `command_id`.
    ///
    /// - `Err(Conflict { actual })` when the log's latest id is not `expected_version`;
    /// - when `command_id` is `Some` and already stored for this game, returns
    ///   `Ok(AppendOutcome { events: <the original events>, duplicate: true })` and writes nothing
    ///   (checked before the version, so a retried command is answered even after others moved on).
    /// - `events` is never empty.
    fn append(
        &self,
        game_id: &str,
        expected_version: u64,
        events: Vec<Event>,
        command_id: Option<String>,
        at: DateTime<Utc>,
    ) -> impl Future<Output = Result<AppendOutcome, AppendError>> + Send;

    /// Events with id > `after`, ascending, at most `limit` of them (all when `None`).
    fn read(
        &self,
        game_id: &str,
        after: u64,
        limit: Option<usize>,
    ) -> impl Future<Output = Result<Vec<StoredEvent>, StoreError>> + Send;

    /// Events with `since <= timestamp < until`, ascending by id, at most `limit`.
    fn read_range(
        &self,
        game_id: &str,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: Option<usize>,
    ) -> impl Future<Output = Result<Vec<StoredEvent>, StoreError>> + Send;

    /// The latest event id; 0 when the game has no events (does not exist).
    fn latest_id(&self, game_id: &str) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// The events a command produced, if that command id is stored for this game.
    fn find_command(
        &self,
        game_id: &str,
        command_id: &str,
    ) -> impl Future<Output = Result<Option<Vec<StoredEvent>>, StoreError>> + Send;

    /// Every game id with at least one event (for projection rebuilds), in no particular order.
    fn game_ids(&self) -> impl Future<Output = Result<Vec<String>, StoreError>> + Send;

    /// Answers when the store is reachable (for `/ready`).
    fn ping(&self) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// Object-safe twin of [`EventStore`], implemented for every `EventStore`. Services hold `Arc<dyn DynEventStore>`.
pub trait DynEventStore: Send + Sync + 'static {
    /// See [`EventStore::append`].
    fn append<'a>(
        &'a self,
        game_id: &'a str,
        expected_version: u64,
        events: Vec<Event>,
        command_id: Option<String>,
        at: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<AppendOutcome, AppendError>>;
    /// See [`EventStore::read`].
    fn read<'a>(
        &'a self,
        game_id: &'a str,
        after: u64,
        limit: Option<usize>,
    ) -> BoxFuture<'a, Result<Vec<StoredEvent>, StoreError>>;
    /// See [`EventStore::read_range`].
    fn read_range<'a>(
        &'a self,
        game_id: &'a str,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: Option<usize>,
    ) -> BoxFuture<'a, Result<Vec<StoredEvent>, StoreError>>;
    /// See [`EventStore::latest_id`].
    fn latest_id<'a>(&'a self, game_id: &'a str) -> BoxFuture<'a, Result<u64, StoreError>>;
    /// See [`EventStore::find_command`].
    fn find_command<'a>(
        &'a self,
        game_id: &'a str,
        command_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<Vec<StoredEvent>>, StoreError>>;
    /// See [`EventStore::game_ids`].
    fn game_ids(&self) -> BoxFuture<'_, Result<Vec<String>, StoreError>>;
    /// See [`EventStore::ping`].
    fn ping(&self) -> BoxFuture<'_, Result<(), StoreError>>;
}

impl<T: EventStore> DynEventStore for T {
    fn append<'a>(
        &'a self,
        game_id: &'a str,
        expected_version: u64,
        events: Vec<Event>,
        command_id: Option<String>,
        at: DateTime<Utc>,
    ) -> BoxFuture<'a, Result<AppendOutcome, AppendError>> {
        Box::pin(EventStore::append(
            self,
            game_id,
            expected_version,
            events,
            command_id,
            at,
        ))
    }
    fn read<'a>(
        &'a self,
        game_id: &'a str,
        after: u64,
        limit: Option<usize>,
    ) -> BoxFuture<'a, Result<Vec<StoredEvent>, StoreError>> {
        Box::pin(EventStore::read(self, game_id, after, limit))
    }
    fn read_range<'a>(
        &'a self,
        game_id: &'a str,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: Option<usize>,
    ) -> BoxFuture<'a, Result<Vec<StoredEvent>, StoreError>> {
        Box::pin(EventStore::read_range(self, game_id, since, until, limit))
    }
    fn latest_id<'a>(&'a self, game_id: &'a str) -> BoxFuture<'a, Result<u64, StoreError>> {
        Box::pin(EventStore::latest_id(self, game_id))
    }
    fn find_command<'a>(
        &'a self,
        game_id: &'a str,
        command_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<Vec<StoredEvent>>, StoreError>> {
        Box::pin(EventStore::find_command(self, game_id, command_id))
    }
    fn game_ids(&self) -> BoxFuture<'_, Result<Vec<String>, StoreError>> {
        Box::pin(EventStore::game_ids(self))
    }
    fn ping(&self) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(EventStore::ping(self))
    }
}

// ---------------------------------------------------------------------------------------------------
// Event bus
// ---------------------------------------------------------------------------------------------------

/// What a subscription yields.
#[derive(Debug, Clone)]
pub enum BusMessage {
    /// The events of one committed command, in id order. May arrive twice, late, or out of order
    /// relative to other batches: consumers order and de-duplicate by event id.
    Events(Arc<[StoredEvent]>),
    /// The subscription missed messages (a slow consumer, a reconnect): the consumer must check the
    /// store for events it has not seen.
    Lagged,
}

/// A live feed of one game's committed events. Ends when the bus closes it.
pub type Subscription = Pin<Box<dyn Stream<Item = BusMessage> + Send>>;

/// Why the bus failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BusError {
    /// The bus cannot be reached.
    #[error("event bus unavailable: {0}")]
    Unavailable(String),
}

/// Carries committed events to every subscriber of a game, in this process or (Redis) in others.
///
/// Delivery is a hint, not a guarantee: a subscriber may miss messages; [`crate::application::feed`]
/// repairs gaps from the [`EventStore`]. Publish only after the append succeeded.
#[cfg_attr(test, mockall::automock)]
pub trait EventBus: Send + Sync + 'static {
    /// Sends one command's committed events to the game's subscribers.
    fn publish(
        &self,
        game_id: &str,
        events: Arc<[StoredEvent]>,
    ) -> impl Future<Output = Result<(), BusError>> + Send;

    /// Starts receiving the game's events published from now on.
    fn subscribe(
        &self,
        game_id: &str,
    ) -> impl Future<Output = Result<Subscription, BusError>> + Send;

    /// Answers when the bus is reachable (for `/ready`).
    fn ping(&self) -> impl Future<Output = Result<(), BusError>> + Send;
}

/// Object-safe twin of [`EventBus`], implemented for every `EventBus`.
pub trait DynEventBus: Send + Sync + 'static {
    /// See [`EventBus::publish`].
    fn publish<'a>(
        &'a self,
        game_id: &'a str,
        events: Arc<[StoredEvent]>,
    ) -> BoxFuture<'a, Result<(), BusError>>;
    /// See [`EventBus::subscribe`].
    fn subscribe<'a>(&'a self, game_id: &'a str) -> BoxFuture<'a, Result<Subscription, BusError>>;
    /// See [`EventBus::ping`].
    fn ping(&self) -> BoxFuture<'_, Result<(), BusError>>;
}

impl<T: EventBus> DynEventBus for T {
    fn publish<'a>(
        &'a self,
        game_id: &'a str,
        events: Arc<[StoredEvent]>,
    ) -> BoxFuture<'a, Result<(), BusError>> {
        Box::pin(EventBus::publish(self, game_id, events))
    }
    fn subscribe<'a>(&'a self, game_id: &'a str) -> BoxFuture<'a, Result<Subscription, BusError>> {
        Box::pin(EventBus::subscribe(self, game_id))
    }
    fn ping(&self) -> BoxFuture<'_, Result<(), BusError>> {
        Box::pin(EventBus::ping(self))
    }
}

// ---------------------------------------------------------------------------------------------------
// Read models
// ---------------------------------------------------------------------------------------------------

/// One seat in a game summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

// ---------------------------------------------------------------------------------------------------
// Clock, tokens, metrics (synchronous: object-safe as they are)
// ---------------------------------------------------------------------------------------------------

/// The time source (a fixed clock in tests).
#[cfg_attr(test, mockall::automock)]
pub trait Clock: Send + Sync + 'static {
    /// Now, in UTC.
    fn now(&self) -> DateTime<Utc>;
}

/// What a player token asserts: this player holds this seat in this game until `exp`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlayerClaims {
    /// The player's id.
    pub player_id: String,
    /// The game the token is valid for (and no other).
    pub game_id: String,
    /// The seat the token acts for.
    pub seat: Seat,
    /// Expiry, seconds since the Unix epoch.
    pub exp: i64,
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Well-formed and signed by us, but past its expiry.
    #[error("the token has expired")]
    Expired,
    /// Malformed, forged, or signed with another key.
    #[error("the token is not valid")]
    Invalid,
    /// The token could not be made (a key problem).
    #[error("cannot issue a token: {0}")]
    Issue(String),
}

/// Issues and checks player tokens.
#[cfg_attr(test, mockall::automock)]
pub trait PlayerTokens: Send + Sync + 'static {
    /// Signs the claims.
    fn issue(&self, claims: &PlayerClaims) -> Result<String, TokenError>;
    /// Checks signature and expiry, and returns the claims.
    fn verify(&self, token: &str) -> Result<PlayerClaims, TokenError>;
}

/// How a command ended, for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandOutcome {
    /// Events were appended.
    Accepted,
    /// The same command id was already stored: its original result was returned.
    Duplicate,
    /// A rule refused it.
    Rejected,
    /// Conflict after all retries, or a command id reused for another command.
    Conflict,
    /// Not found, unauthorized, invalid.
    Refused,
    /// The store was unavailable.
    Failed,
}

impl CommandOutcome {
    /// The label used in metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            CommandOutcome::Accepted => "accepted",
            CommandOutcome::Duplicate => "duplicate",
            CommandOutcome::Rejected => "rejected",
            CommandOutcome::Conflict => "conflict",
            CommandOutcome::Refused => "refused",
            CommandOutcome::Failed => "failed",
        }
    }
}

/// Counters and histograms the service reports (Prometheus in production).
#[cfg_attr(test, mockall::automock)]
pub trait Metrics: Send + Sync + 'static {
    /// A command finished: its type (`playCard`), outcome and duration in seconds.
    fn command_handled(&self, kind: &'static str, outcome: CommandOutcome, seconds: f64);
    /// Events were appended to the store.
    fn events_appended(&self, count: u64);
    /// A publish to the bus failed (the events are committed; subscribers repair from the store).
    fn publish_failed(&self);
    /// A read-model update failed (a rebuild repairs it).
    fn projection_failed(&self);
    /// A WebSocket connection opened.
    fn websocket_opened(&self);
    /// A WebSocket connection closed.
    fn websocket_closed(&self);
}

/// A [`Metrics`] that records nothing (tools and tests).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoMetrics;

impl Metrics for NoMetrics {
    fn command_handled(&self, _: &'static str, _: CommandOutcome, _: f64) {}
    fn events_appended(&self, _: u64) {}
    fn publish_failed(&self) {}
    fn projection_failed(&self) {}
    fn websocket_opened(&self) {}
    fn websocket_closed(&self) {}
}

/// Every port, as the services hold them. Built once by the composition root.
#[derive(Clone)]
pub struct Ports {
    /// The event log.
    pub store: Arc<dyn DynEventStore>,
    /// Live fan-out.
    pub bus: Arc<dyn DynEventBus>,
    /// Projections.
    pub read_models: Arc<dyn DynReadModels>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Player tokens.
    pub tokens: Arc<dyn PlayerTokens>,
    /// Metrics.
    pub metrics: Arc<dyn Metrics>,
}
