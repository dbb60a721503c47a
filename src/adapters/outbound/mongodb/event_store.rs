//! The event log in MongoDB: one document per command.
//!
//! ```text
//! events: { _id, g: <game id>, f: <first event id>, l: <last event id>, c: <command id>?,
//!           t: <commit time, ms since the epoch>, e: [ {t: <type>, d: <data>}, … ] }
//! ```
//! A command's events are one document, so an append is a single-document insert: all of them or
//! none, without transactions (which need a replica set) and without change streams.
//!
//! Indexes (created idempotently before the first write):
//! - `(g, f)` unique: two writers at the same expected version both insert `f = expected + 1`; the
//!   second gets duplicate key 11000, which becomes [`AppendError::Conflict`];
//! - `(g, c)` unique where `c` exists: a command id is stored once per game (idempotency);
//! - `(g, l)`: reads by id (`l > after`, in order) and the latest id;
//! - `(g, t)`: reads by time.
//!
//! Expected-version check: when `expected` is known to end a stored batch of this game (0 always
//! does; so does every `l` this store wrote or read), the insert alone decides: batches are
//! contiguous, so if anything follows `expected` it starts at `expected + 1` and the unique index
//! refuses the insert. Otherwise the latest id is read first and a mismatch is a conflict, so a
//! caller with a wrong version can never leave a gap. Either way the unique index settles races.
//!
//! Times are kept to the millisecond, as Int64 milliseconds since the epoch (see
//! [`super::to_chrono`] for why not BSON dates); an append returns the stored time, so what a
//! caller folds after an append is exactly what a later read returns.
//!
//! This module must never use multi-document transactions or change streams, nor read a number
//! except through a typed serde struct.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use mongodb::bson::{doc, Bson, Document};
use mongodb::{Collection, Database};
use parking_lot::Mutex;
use tokio::sync::OnceCell;

use super::batches::{batch_document, index_models, Batch, LastId, TooLarge};
use super::{timed, to_chrono, to_millis, Failure, OPERATION_TIMEOUT};
use crate::application::ports::{AppendError, AppendOutcome, EventStore, StoreError, StoredEvent};
use crate::domain::Event;

/// The collection holding the batches.
pub const EVENTS_COLLECTION: &str = "events";

/// Most games whose last known batch end is remembered (the map is emptied when it grows past this).
const KNOWN_ENDS_CAPACITY: usize = 100_000;
/// The MongoDB [`EventStore`].
#[derive(Clone)]
pub struct MongoEventStore {
    database: Database,
    events: Collection<Document>,
    batches: Collection<Batch>,
    last_ids: Collection<LastId>,
    indexes: Arc<OnceCell<()>>,
    /// Per game, the end of a batch this store wrote or read: appending right after it needs no
    /// preliminary read (see the module docs).
    known_ends: Arc<Mutex<HashMap<String, u64>>>,
}

impl MongoEventStore {
    /// The store over `database`. Does not contact the server: indexes are created by
    /// [`MongoEventStore::prepare`] or before the first append.
    pub fn new(database: &Database) -> Self {
        MongoEventStore {
            database: database.clone(),
            events: database.collection(EVENTS_COLLECTION),
            batches: database.collection(EVENTS_COLLECTION),
            last_ids: database.collection(EVENTS_COLLECTION),
            indexes: Arc::new(OnceCell::new()),
            known_ends: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Creates the indexes if they are not there yet (idempotent; once per process when it succeeds).
    pub async fn prepare(&self) -> Result<(), StoreError> {
        self.indexes
            .get_or_try_init(|| async {
                timed(self.events.create_indexes(index_models()))
                    .await
                    .map(|_| ())
                    .map_err(|e| StoreError::Unavailable(format!("cannot create indexes: {e}")))
            })
            .await
            .map(|_| ())
    }

    /// True once the indexes exist (appends are refused before).
    pub fn is_prepared(&self) -> bool {
        self.indexes.initialized()
    }

    fn remember_end(&self, game_id: &str, last: u64) {
        let mut known = self.known_ends.lock();
        if known.len() >= KNOWN_ENDS_CAPACITY && !known.contains_key(game_id) {
            known.clear();
        }
        let end = known.entry(game_id.to_string()).or_insert(0);
        *end = (*end).max(last);
    }

    fn is_known_end(&self, game_id: &str, version: u64) -> bool {
        version == 0 || self.known_ends.lock().get(game_id) == Some(&version)
    }

    async fn insert(
        &self,
        game_id: &str,
        expected_version: u64,
        events: Vec<Event>,
        command_id: Option<String>,
        at: i64,
    ) -> Result<Vec<StoredEvent>, InsertError> {
        let first = expected_version + 1;
        let last = expected_version + events.len() as u64;
        let batch = batch_document(game_id, first, &events, command_id.as_deref(), at)
            .map_err(InsertError::Failed)?;
        match timed(self.events.insert_one(batch)).await {
            Ok(_) => {}
            Err(e) if e.is_duplicate_key() => return Err(InsertError::Duplicate),
            Err(e) if e.may_have_written() => return Err(InsertError::Unanswered(e.to_string())),
            Err(e) => return Err(InsertError::Failed(e.to_string())),
        }
        self.remember_end(game_id, last);
        let timestamp = to_chrono(at);
        Ok(events
            .into_iter()
            .enumerate()
            .map(|(i, event)| StoredEvent {
                game_id: game_id.to_string(),
                event_id: first + i as u64,
                command_id: command_id.clone(),
                timestamp,
                event,
            })
            .collect())
    }

    /// The original outcome of `command_id` when it is stored already (a duplicate), else `None`.
    async fn stored_command(
        &self,
        game_id: &str,
        command_id: Option<&str>,
    ) -> Result<Option<AppendOutcome>, AppendError> {
        let Some(id) = command_id else {
            return Ok(None);
        };
        let events = EventStore::find_command(self, game_id, id)
            .await
            .map_err(unavailable)?;
        Ok(events.map(|events| AppendOutcome {
            events,
            duplicate: true,
        }))
    }

    /// The answer when a command id may already be stored: its original events, or a conflict.
    async fn after_refusal(
        &self,
        game_id: &str,
        command_id: Option<&str>,
    ) -> Result<AppendOutcome, AppendError> {
        if let Some(outcome) = self.stored_command(game_id, command_id).await? {
            return Ok(outcome);
        }
        let actual = EventStore::latest_id(self, game_id)
            .await
            .map_err(unavailable)?;
        Err(AppendError::Conflict { actual })
    }
}

#[async_trait::async_trait]
impl EventStore for MongoEventStore {
    async fn append(
        &self,
        game_id: &str,
        expected_version: u64,
        events: Vec<Event>,
        command_id: Option<String>,
        at: DateTime<Utc>,
    ) -> Result<AppendOutcome, AppendError> {
        self.prepare().await.map_err(unavailable)?;
        let at = to_millis(at);
        if events.is_empty() || !self.is_known_end(game_id, expected_version) {
            if let Some(outcome) = self.stored_command(game_id, command_id.as_deref()).await? {
                return Ok(outcome);
            }
            let actual = EventStore::latest_id(self, game_id)
                .await
                .map_err(unavailable)?;
            if actual != expected_version {
                return Err(AppendError::Conflict { actual });
            }
            if events.is_empty() {
                return Ok(AppendOutcome {
                    events: Vec::new(),
                    duplicate: false,
                });
            }
        }
        match self
            .insert(game_id, expected_version, events, command_id.clone(), at)
            .await
        {
            Ok(events) => Ok(AppendOutcome {
                events,
                duplicate: false,
            }),
            Err(InsertError::Duplicate) => self.after_refusal(game_id, command_id.as_deref()).await,
            Err(InsertError::Failed(reason)) => Err(AppendError::Unavailable(reason)),
            Err(InsertError::Unanswered(reason)) => Err(AppendError::Unknown(reason)),
        }
    }

    async fn read(
        &self,
        game_id: &str,
        after: u64,
        limit: Option<usize>,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        if limit == Some(0) {
            return Ok(Vec::new());
        }
        let Ok(after_i64) = i64::try_from(after) else {
            return Ok(Vec::new());
        };
        let mut find = self
            .batches
            .find(doc! { "g": game_id, "l": { "$gt": after_i64 } })
            .sort(doc! { "l": 1 });
        if let Some(limit) = limit {
            // A batch holds at least one event: never more batches than events are needed.
            find = find.batch_size(u32::try_from(limit.min(1000)).unwrap_or(1000));
        }
        let mut cursor = timed(find).await.map_err(store_unavailable)?;
        let wanted = limit.unwrap_or(usize::MAX);
        let mut out = Vec::new();
        let mut last_end = None;
        while out.len() < wanted {
            let next = tokio::time::timeout(OPERATION_TIMEOUT, cursor.try_next())
                .await
                .map_err(|_| StoreError::Unavailable("a read timed out".into()))?
                .map_err(|e| StoreError::Unavailable(e.to_string()))?;
            let Some(batch) = next else { break };
            last_end = Some(batch.l);
            let room = wanted - out.len();
            out.extend(batch.events_after(game_id, after)?.into_iter().take(room));
        }
        if let Some(end) = last_end {
            self.remember_end(game_id, end);
        }
        Ok(out)
    }

    async fn read_range(
        &self,
        game_id: &str,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: Option<usize>,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        if limit == Some(0) || until <= since {
            return Ok(Vec::new());
        }
        // Stored times are whole milliseconds: t >= since ⇔ t >= ceil(since), t < until ⇔ t < ceil(until).
        let filter = doc! {
            "g": game_id,
            "t": { "$gte": ceil_millis(since), "$lt": ceil_millis(until) },
        };
        let mut find = self.batches.find(filter).sort(doc! { "l": 1 });
        if let Some(limit) = limit {
            find = find.batch_size(u32::try_from(limit.min(1000)).unwrap_or(1000));
        }
        let mut cursor = timed(find).await.map_err(store_unavailable)?;
        let wanted = limit.unwrap_or(usize::MAX);
        let mut out = Vec::new();
        while out.len() < wanted {
            let next = tokio::time::timeout(OPERATION_TIMEOUT, cursor.try_next())
                .await
                .map_err(|_| StoreError::Unavailable("a read timed out".into()))?
                .map_err(|e| StoreError::Unavailable(e.to_string()))?;
            let Some(batch) = next else { break };
            let room = wanted - out.len();
            out.extend(batch.events_after(game_id, 0)?.into_iter().take(room));
        }
        Ok(out)
    }

    async fn latest_id(&self, game_id: &str) -> Result<u64, StoreError> {
        let latest = timed(
            self.last_ids
                .find_one(doc! { "g": game_id })
                .sort(doc! { "l": -1 })
                .projection(doc! { "_id": 0, "l": 1 }),
        )
        .await
        .map_err(store_unavailable)?;
        Ok(match latest {
            Some(LastId { l }) => {
                self.remember_end(game_id, l);
                l
            }
            None => 0,
        })
    }

    async fn find_command(
        &self,
        game_id: &str,
        command_id: &str,
    ) -> Result<Option<Vec<StoredEvent>>, StoreError> {
        let batch = timed(
            self.batches
                .find_one(doc! { "g": game_id, "c": command_id }),
        )
        .await
        .map_err(store_unavailable)?;
        match batch {
            Some(batch) => Ok(Some(batch.events_after(game_id, 0)?)),
            None => Ok(None),
        }
    }

    async fn game_ids(&self) -> Result<Vec<String>, StoreError> {
        let ids = timed(self.events.distinct("g", doc! {}))
            .await
            .map_err(store_unavailable)?;
        Ok(ids
            .into_iter()
            .filter_map(|id| match id {
                Bson::String(id) => Some(id),
                _ => None,
            })
            .collect())
    }

    async fn ping(&self) -> Result<(), StoreError> {
        timed(self.database.run_command(doc! { "ping": 1 }))
            .await
            .map_err(store_unavailable)?;
        self.prepare().await
    }
}

/// Why an insert did not happen.
enum InsertError {
    /// A unique index refused it: another batch has this first id or this command id.
    Duplicate,
    /// Refused before or by the server (no server to send it to, an event that would not
    /// encode, a write error): nothing was stored.
    Failed(String),
    /// Sent, but no answer came (the connection dropped, a timeout): it may have been stored.
    Unanswered(String),
}

fn store_unavailable(failure: Failure) -> StoreError {
    StoreError::Unavailable(failure.to_string())
}

fn unavailable(error: StoreError) -> AppendError {
    match error {
        StoreError::Unavailable(reason) => AppendError::Unavailable(reason),
    }
}

impl From<TooLarge> for InsertError {
    fn from(e: TooLarge) -> Self {
        InsertError::Failed(e.0)
    }
}

/// The first whole millisecond at or after `t`.
fn ceil_millis(t: DateTime<Utc>) -> i64 {
    let millis = t.timestamp_millis();
    let exact = DateTime::from_timestamp_millis(millis) == Some(t);
    if exact {
        millis
    } else {
        millis + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_time_between_milliseconds_rounds_up() {
        let t = Utc.timestamp_opt(1_700_000_000, 1_500_000).unwrap();
        assert_eq!(ceil_millis(t), 1_700_000_000_002);
        let whole = Utc.timestamp_millis_opt(1_700_000_000_001).unwrap();
        assert_eq!(ceil_millis(whole), 1_700_000_000_001);
    }
}
