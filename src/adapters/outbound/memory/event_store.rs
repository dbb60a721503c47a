//! An event store in process memory: the default, so `cargo run` needs no other service.
//! Lost at exit. Each game's log has its own lock, so games do not wait on each other.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use parking_lot::RwLock;

use crate::application::ports::{AppendError, AppendOutcome, EventStore, StoreError, StoredEvent};
use crate::domain::Event;

/// One game's log and the commands it has seen.
#[derive(Default)]
struct GameLog {
    events: Vec<StoredEvent>,
    /// command id → (first event id, last event id)
    commands: HashMap<String, (u64, u64)>,
}

impl GameLog {
    fn slice(&self, first: u64, last: u64) -> Vec<StoredEvent> {
        // Ids start at 1 and have no gaps: id n is at index n - 1.
        self.events[(first - 1) as usize..last as usize].to_vec()
    }
}

/// The in-memory [`EventStore`].
#[derive(Default)]
pub struct MemoryEventStore {
    games: RwLock<HashMap<String, Arc<RwLock<GameLog>>>>,
}

impl MemoryEventStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn log(&self, game_id: &str) -> Option<Arc<RwLock<GameLog>>> {
        self.games.read().get(game_id).cloned()
    }

    fn log_or_create(&self, game_id: &str) -> Arc<RwLock<GameLog>> {
        if let Some(log) = self.log(game_id) {
            return log;
        }
        self.games
            .write()
            .entry(game_id.to_string())
            .or_default()
            .clone()
    }
}

#[async_trait::async_trait]
impl EventStore for MemoryEventStore {
    async fn append(
        &self,
        game_id: &str,
        expected_version: u64,
        events: Vec<Event>,
        command_id: Option<String>,
        at: DateTime<Utc>,
    ) -> Result<AppendOutcome, AppendError> {
        let log = self.log_or_create(game_id);
        let mut log = log.write();
        if let Some(id) = &command_id {
            if let Some(&(first, last)) = log.commands.get(id) {
                return Ok(AppendOutcome {
                    events: log.slice(first, last),
                    duplicate: true,
                });
            }
        }
        let actual = log.events.len() as u64;
        if actual != expected_version {
            return Err(AppendError::Conflict { actual });
        }
        if events.is_empty() {
            return Ok(AppendOutcome {
                events: Vec::new(),
                duplicate: false,
            });
        }
        let stored: Vec<StoredEvent> = events
            .into_iter()
            .enumerate()
            .map(|(i, event)| StoredEvent {
                game_id: game_id.to_string(),
                event_id: expected_version + 1 + i as u64,
                command_id: command_id.clone(),
                timestamp: at,
                event,
            })
            .collect();
        if let Some(id) = command_id {
            log.commands.insert(
                id,
                (expected_version + 1, expected_version + stored.len() as u64),
            );
        }
        log.events.extend(stored.iter().cloned());
        Ok(AppendOutcome {
            events: stored,
            duplicate: false,
        })
    }

    async fn read(
        &self,
        game_id: &str,
        after: u64,
        limit: Option<usize>,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let Some(log) = self.log(game_id) else {
            return Ok(Vec::new());
        };
        let log = log.read();
        let start = usize::try_from(after)
            .unwrap_or(usize::MAX)
            .min(log.events.len());
        let end = limit.map_or(log.events.len(), |l| {
            start.saturating_add(l).min(log.events.len())
        });
        Ok(log.events[start..end].to_vec())
    }

    async fn read_range(
        &self,
        game_id: &str,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: Option<usize>,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let Some(log) = self.log(game_id) else {
            return Ok(Vec::new());
        };
        let log = log.read();
        Ok(log
            .events
            .iter()
            .filter(|e| e.timestamp >= since && e.timestamp < until)
            .take(limit.unwrap_or(usize::MAX))
            .cloned()
            .collect())
    }

    async fn latest_id(&self, game_id: &str) -> Result<u64, StoreError> {
        Ok(self
            .log(game_id)
            .map_or(0, |log| log.read().events.len() as u64))
    }

    async fn find_command(
        &self,
        game_id: &str,
        command_id: &str,
    ) -> Result<Option<Vec<StoredEvent>>, StoreError> {
        let Some(log) = self.log(game_id) else {
            return Ok(None);
        };
        let log = log.read();
        Ok(log
            .commands
            .get(command_id)
            .map(|&(first, last)| log.slice(first, last)))
    }

    async fn game_ids(&self) -> Result<Vec<String>, StoreError> {
        Ok(self
            .games
            .read()
            .iter()
            .filter(|(_, log)| !log.read().events.is_empty())
            .map(|(id, _)| id.clone())
            .collect())
    }

    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }
}
