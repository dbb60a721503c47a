//! Stores that misbehave on purpose, to hold the server in a state a test wants to look at.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use caravan::adapters::outbound::memory::MemoryEventStore;
use caravan::application::ports::{
    AppendError, AppendOutcome, EventStore, StoreError, StoredEvent,
};
use caravan::domain::Event;

/// An in-memory event store whose appends can be made slow, to hold a command in flight.
pub struct SlowStore {
    inner: MemoryEventStore,
    /// Milliseconds every append waits before writing.
    pub delay_ms: Arc<AtomicU64>,
}

impl SlowStore {
    /// An empty store without delay, and the handle that sets it.
    pub fn new() -> (SlowStore, Arc<AtomicU64>) {
        let delay_ms = Arc::new(AtomicU64::new(0));
        let store = SlowStore {
            inner: MemoryEventStore::new(),
            delay_ms: delay_ms.clone(),
        };
        (store, delay_ms)
    }
}

#[async_trait::async_trait]
impl EventStore for SlowStore {
    async fn append(
        &self,
        game_id: &str,
        expected_version: u64,
        events: Vec<Event>,
        command_id: Option<String>,
        at: DateTime<Utc>,
    ) -> Result<AppendOutcome, AppendError> {
        let delay = self.delay_ms.load(Ordering::Relaxed);
        if delay > 0 {
            tokio::time::sleep(Duration::from_millis(delay)).await;
        }
        EventStore::append(
            &self.inner,
            game_id,
            expected_version,
            events,
            command_id,
            at,
        )
        .await
    }

    async fn read(
        &self,
        game_id: &str,
        after: u64,
        limit: Option<usize>,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        EventStore::read(&self.inner, game_id, after, limit).await
    }

    async fn read_range(
        &self,
        game_id: &str,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: Option<usize>,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        EventStore::read_range(&self.inner, game_id, since, until, limit).await
    }

    async fn latest_id(&self, game_id: &str) -> Result<u64, StoreError> {
        EventStore::latest_id(&self.inner, game_id).await
    }

    async fn find_command(
        &self,
        game_id: &str,
        command_id: &str,
    ) -> Result<Option<Vec<StoredEvent>>, StoreError> {
        EventStore::find_command(&self.inner, game_id, command_id).await
    }

    async fn game_ids(&self) -> Result<Vec<String>, StoreError> {
        EventStore::game_ids(&self.inner).await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        EventStore::ping(&self.inner).await
    }
}
