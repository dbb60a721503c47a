//! The event log in SQLite: one row of `batches` per command, its events a JSON array in the
//! domain's own serde shape (`{"type":…,"data":…}`), hidden information included (it never
//! leaves the server without [`StoredEvent::public`]).
//!
//! Appends go to the writer thread (see `writer.rs`: group commit, durable before answered);
//! reads run on the reading connections. Encoding and decoding happen on the caller's side, so
//! the writer thread does only SQLite's work.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use super::writer::{self, Append, Appended, Request, StoredBatch};
use super::{from_millis, to_i64, to_millis, Database, Failure};
use crate::application::ports::{AppendError, AppendOutcome, EventStore, StoreError, StoredEvent};
use crate::domain::Event;

/// The embedded [`EventStore`]. Cheap to clone: clones share the database.
#[derive(Clone)]
pub struct SqliteEventStore {
    database: Arc<Database>,
}

impl SqliteEventStore {
    pub(super) fn new(database: Arc<Database>) -> Self {
        SqliteEventStore { database }
    }

    /// Transactions the writer has committed since the database was opened (each holds the
    /// writes that were waiting when it began: group commit).
    pub fn commits(&self) -> u64 {
        self.database.writer.commits()
    }

    /// Every game id with its latest event id, in id order (for copies and start-up checks).
    pub async fn games(&self) -> Result<Vec<(String, u64)>, StoreError> {
        self.database
            .read(|connection| {
                let mut games = Vec::new();
                for game_id in game_ids(connection)? {
                    let latest = writer::latest(connection, &game_id)?;
                    games.push((game_id, u64::try_from(latest).unwrap_or(0)));
                }
                Ok(games)
            })
            .await
            .map_err(StoreError::Unavailable)
    }
}

/// Every game id in `batches`, in order: one index seek per game, however long the logs.
pub(super) fn game_ids(connection: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut next = connection.prepare_cached(
        "SELECT game_id FROM batches WHERE game_id > ?1 ORDER BY game_id LIMIT 1",
    )?;
    let mut first = connection.prepare_cached("SELECT min(game_id) FROM batches")?;
    let mut ids = Vec::new();
    let mut current: Option<String> = first.query_row([], |row| row.get(0))?;
    while let Some(id) = current {
        current = next
            .query_row([&id], |row| row.get(0))
            .map(Some)
            .or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok(None),
                e => Err(e),
            })?;
        ids.push(id);
    }
    Ok(ids)
}

/// The stored form of a command's events.
fn encode(events: &[Event]) -> Result<String, AppendError> {
    serde_json::to_string(events)
        .map_err(|e| AppendError::Unavailable(format!("cannot encode events: {e}")))
}

/// A stored batch's events with ids above `after`, at most `room` of them.
fn decode(
    game_id: &str,
    batch: StoredBatch,
    after: u64,
    room: usize,
) -> Result<Vec<StoredEvent>, Failure> {
    let events: Vec<Event> = serde_json::from_str(&batch.events).map_err(|e| {
        format!(
            "the batch {}..{} of game {game_id} does not decode: {e}",
            batch.first, batch.last
        )
    })?;
    if batch.last - batch.first + 1 != events.len() as i64 {
        return Err(format!(
            "the batch {}..{} of game {game_id} holds {} events",
            batch.first,
            batch.last,
            events.len()
        ));
    }
    let first = u64::try_from(batch.first).unwrap_or(0);
    let timestamp = from_millis(batch.at);
    Ok(events
        .into_iter()
        .enumerate()
        .map(|(i, event)| StoredEvent {
            game_id: game_id.to_string(),
            event_id: first + i as u64,
            command_id: batch.command_id.clone(),
            timestamp,
            event,
        })
        .filter(|e| e.event_id > after)
        .take(room)
        .collect())
}

/// Decodes batches in order until `limit` events are collected.
fn collect(
    game_id: &str,
    batches: Vec<StoredBatch>,
    after: u64,
    limit: Option<usize>,
) -> Result<Vec<StoredEvent>, StoreError> {
    let wanted = limit.unwrap_or(usize::MAX);
    let mut out = Vec::new();
    for batch in batches {
        if out.len() >= wanted {
            break;
        }
        let room = wanted - out.len();
        out.extend(decode(game_id, batch, after, room).map_err(StoreError::Unavailable)?);
    }
    Ok(out)
}

/// The first whole millisecond at or after `t` (stored times are whole milliseconds).
fn ceil_millis(t: DateTime<Utc>) -> i64 {
    let millis = to_millis(t);
    if from_millis(millis) == t {
        millis
    } else {
        millis + 1
    }
}

#[async_trait::async_trait]
impl EventStore for SqliteEventStore {
    async fn append(
        &self,
        game_id: &str,
        expected_version: u64,
        events: Vec<Event>,
        command_id: Option<String>,
        at: DateTime<Utc>,
    ) -> Result<AppendOutcome, AppendError> {
        let millis = to_millis(at);
        let request = Append {
            game_id: game_id.to_string(),
            expected: to_i64(expected_version),
            count: events.len() as i64,
            command_id: command_id.clone(),
            at: millis,
            events: encode(&events)?,
        };
        let appended = self
            .database
            .writer
            .send(|reply| Request::Append(request, reply))
            .await
            .map_err(AppendError::Unavailable)?;
        match appended {
            Appended::Written => {
                let timestamp = from_millis(millis);
                let events = events
                    .into_iter()
                    .enumerate()
                    .map(|(i, event)| StoredEvent {
                        game_id: game_id.to_string(),
                        event_id: expected_version + 1 + i as u64,
                        command_id: command_id.clone(),
                        timestamp,
                        event,
                    })
                    .collect();
                Ok(AppendOutcome {
                    events,
                    duplicate: false,
                })
            }
            Appended::Nothing => Ok(AppendOutcome {
                events: Vec::new(),
                duplicate: false,
            }),
            Appended::Duplicate(batch) => Ok(AppendOutcome {
                events: decode(game_id, batch, 0, usize::MAX).map_err(AppendError::Unavailable)?,
                duplicate: true,
            }),
            Appended::Conflict { actual } => Err(AppendError::Conflict {
                actual: u64::try_from(actual).unwrap_or(0),
            }),
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
        let owned = game_id.to_string();
        let wanted = limit.unwrap_or(usize::MAX);
        let batches = self
            .database
            .read(move |connection| {
                // Batches are contiguous: the one holding `after + 1` is the last starting at or
                // before it, and the range scan starts there.
                let mut select = connection.prepare_cached(
                    "SELECT b.first, b.last, b.command_id, b.at, p.events
                     FROM batches AS b JOIN payloads AS p ON p.id = b.payload
                     WHERE b.game_id = ?1 AND b.last > ?2 AND b.first >= coalesce(
                         (SELECT first FROM batches WHERE game_id = ?1 AND first <= ?2 + 1
                          ORDER BY first DESC LIMIT 1), 0)
                     ORDER BY b.first",
                )?;
                let mut rows = select.query(rusqlite::params![owned, to_i64(after)])?;
                let mut batches = Vec::new();
                let mut events = 0usize;
                let after = to_i64(after);
                while events < wanted {
                    let Some(row) = rows.next()? else { break };
                    let batch = StoredBatch::from_row(row)?;
                    // Only the events after `after` count towards the limit.
                    events += (batch.last - after.max(batch.first - 1)).max(0) as usize;
                    batches.push(batch);
                }
                Ok(batches)
            })
            .await
            .map_err(StoreError::Unavailable)?;
        collect(game_id, batches, after, limit)
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
        let owned = game_id.to_string();
        let (from, to) = (ceil_millis(since), ceil_millis(until));
        let wanted = limit.unwrap_or(usize::MAX);
        let batches = self
            .database
            .read(move |connection| {
                let mut select = connection.prepare_cached(
                    "SELECT b.first, b.last, b.command_id, b.at, p.events
                     FROM batches AS b JOIN payloads AS p ON p.id = b.payload
                     WHERE b.game_id = ?1 AND b.at >= ?2 AND b.at < ?3 ORDER BY b.first",
                )?;
                let mut rows = select.query(rusqlite::params![owned, from, to])?;
                let mut batches = Vec::new();
                let mut events = 0usize;
                while events < wanted {
                    let Some(row) = rows.next()? else { break };
                    let batch = StoredBatch::from_row(row)?;
                    events += (batch.last - batch.first + 1) as usize;
                    batches.push(batch);
                }
                Ok(batches)
            })
            .await
            .map_err(StoreError::Unavailable)?;
        collect(game_id, batches, 0, limit)
    }

    async fn latest_id(&self, game_id: &str) -> Result<u64, StoreError> {
        let owned = game_id.to_string();
        let latest = self
            .database
            .read(move |connection| writer::latest(connection, &owned))
            .await
            .map_err(StoreError::Unavailable)?;
        Ok(u64::try_from(latest).unwrap_or(0))
    }

    async fn find_command(
        &self,
        game_id: &str,
        command_id: &str,
    ) -> Result<Option<Vec<StoredEvent>>, StoreError> {
        let (owned, command) = (game_id.to_string(), command_id.to_string());
        let batch = self
            .database
            .read(move |connection| writer::command_batch(connection, &owned, &command))
            .await
            .map_err(StoreError::Unavailable)?;
        match batch {
            Some(batch) => Ok(Some(
                decode(game_id, batch, 0, usize::MAX).map_err(StoreError::Unavailable)?,
            )),
            None => Ok(None),
        }
    }

    async fn game_ids(&self) -> Result<Vec<String>, StoreError> {
        self.database
            .read(game_ids)
            .await
            .map_err(StoreError::Unavailable)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        if !self.database.writer.is_running() {
            return Err(StoreError::Unavailable(
                "the database writer has stopped".into(),
            ));
        }
        self.database
            .read(|connection| connection.query_row("SELECT 1", [], |_| Ok(())))
            .await
            .map_err(StoreError::Unavailable)
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
