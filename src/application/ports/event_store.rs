//! The event store port: the log of every game's events, the source of truth.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::Event;

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

/// Why an append did not happen, or why its outcome is not known. Nothing was written for
/// `Conflict` and `Unavailable`; for `Unknown` the write may or may not have happened.
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
    /// The write was sent but its answer never came (the connection dropped, a timeout): it may
    /// have been stored. Sending the same append again settles it: the unique command id and
    /// event ids make a second copy impossible.
    #[error("the outcome of the append is unknown: {0}")]
    Unknown(String),
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
#[async_trait]
pub trait EventStore: Send + Sync + 'static {
    /// Appends `events` as ids `expected_version + 1 …`, all stamped `at` and `command_id`.
    ///
    /// - `Err(Conflict { actual })` when the log's latest id is not `expected_version`;
    /// - when `command_id` is `Some` and already stored for this game, returns
    ///   `Ok(AppendOutcome { events: <the original events>, duplicate: true })` and writes nothing
    ///   (checked before the version, so a retried command is answered even after others moved on).
    /// - `events` is never empty.
    async fn append(
        &self,
        game_id: &str,
        expected_version: u64,
        events: Vec<Event>,
        command_id: Option<String>,
        at: DateTime<Utc>,
    ) -> Result<AppendOutcome, AppendError>;

    /// Events with id > `after`, ascending, at most `limit` of them (all when `None`).
    async fn read(
        &self,
        game_id: &str,
        after: u64,
        limit: Option<usize>,
    ) -> Result<Vec<StoredEvent>, StoreError>;

    /// Events with `since <= timestamp < until`, ascending by id, at most `limit`.
    async fn read_range(
        &self,
        game_id: &str,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: Option<usize>,
    ) -> Result<Vec<StoredEvent>, StoreError>;

    /// The latest event id; 0 when the game has no events (does not exist).
    async fn latest_id(&self, game_id: &str) -> Result<u64, StoreError>;

    /// The events a command produced, if that command id is stored for this game.
    async fn find_command(
        &self,
        game_id: &str,
        command_id: &str,
    ) -> Result<Option<Vec<StoredEvent>>, StoreError>;

    /// Every game id with at least one event (for projection rebuilds), in no particular order.
    async fn game_ids(&self) -> Result<Vec<String>, StoreError>;

    /// Answers when the store is reachable (for `/ready`).
    async fn ping(&self) -> Result<(), StoreError>;
}
