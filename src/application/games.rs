//! Hot games: the state of recently used games kept in memory, keyed by version, and rebuilt from
//! the event store when missing or behind.
//!
//! The cache is an optimisation only: the event store is the truth, and every append is guarded by
//! the version the cached state was at. A cached state may be behind (another instance appended);
//! the command handler then gets a conflict, refreshes the game from the store and decides again.
//!
//! Each game also has a write lock: commands for one game in this process run one at a time, so they
//! do not waste appends racing each other (racing across processes is the store's job).
//!
//! When this process is the store's only writer ([`HotGames::sole_writer`]: the embedded store,
//! which locks its directory, and the in-memory store), a cached state cannot be behind the store,
//! and [`HotGames::latest`] answers from the cache without reading the store. That holds only if
//! every append this process makes reaches the cache or empties it: an append whose outcome the
//! cache has not learnt is `Unsettled` until it has, and forgets the game's cached state when
//! abandoned (a request dropped mid-command, an error).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use parking_lot::Mutex;

use crate::domain::{Game, GameStatus};

use super::ports::{EventStore, StoreError, StoredEvent};

/// A game's state together with the times the read models need.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedGame {
    /// The state after `game.version()` events.
    pub game: Game,
    /// Timestamp of the first event (`GameCreated`); `None` while the game has no events.
    pub created_at: Option<DateTime<Utc>>,
    /// Timestamp of the last event folded in.
    pub updated_at: Option<DateTime<Utc>>,
}

impl LoadedGame {
    /// A game with no events.
    pub fn empty() -> Self {
        LoadedGame {
            game: Game::default(),
            created_at: None,
            updated_at: None,
        }
    }

    /// The number of events folded in.
    pub fn version(&self) -> u64 {
        self.game.version()
    }

    /// Folds events in, skipping ids already folded. Returns false (folding nothing more) at the first
    /// gap, which means the caller must reload.
    pub fn fold<'a>(&mut self, events: impl IntoIterator<Item = &'a StoredEvent>) -> bool {
        for stored in events {
            let version = self.game.version();
            if stored.event_id <= version {
                continue;
            }
            if stored.event_id != version + 1 {
                return false;
            }
            self.game.apply_mut(&stored.event);
            if Game::starts_a_turn(&stored.event) {
                self.game.turn_began_at(stored.timestamp);
            }
            if self.created_at.is_none() {
                self.created_at = Some(stored.timestamp);
            }
            self.updated_at = Some(stored.timestamp);
        }
        true
    }
}

/// One cached game.
pub(crate) struct Slot {
    /// Held for the whole of a command (decide → append → publish), so one process runs one command per game at a time.
    pub(crate) write: tokio::sync::Mutex<()>,
    /// The latest state this process knows; `None` until loaded.
    state: Mutex<Option<Arc<LoadedGame>>>,
    /// Tick of the last use, for eviction.
    last_used: AtomicU64,
}

/// Loads games from the store and keeps the hot ones.
pub struct HotGames {
    store: Arc<dyn EventStore>,
    slots: Mutex<HashMap<String, Arc<Slot>>>,
    capacity: usize,
    tick: AtomicU64,
    sole_writer: bool,
}

impl HotGames {
    /// A cache over `store` keeping at most about `capacity` games in memory.
    pub fn new(store: Arc<dyn EventStore>, capacity: usize) -> Self {
        HotGames {
            store,
            slots: Mutex::new(HashMap::new()),
            capacity: capacity.max(1),
            tick: AtomicU64::new(0),
            sole_writer: false,
        }
    }

    /// Declares whether this process is the only writer of the store: when it is, a cached game is
    /// as new as the store's, and [`HotGames::latest`] does not read the store for it.
    pub fn sole_writer(mut self, sole_writer: bool) -> Self {
        self.sole_writer = sole_writer;
        self
    }

    /// The slot of a game, created empty when missing. Evicts cold games when over capacity.
    pub(crate) fn slot(&self, game_id: &str) -> Arc<Slot> {
        let tick = self.tick.fetch_add(1, Ordering::Relaxed);
        let mut slots = self.slots.lock();
        if let Some(slot) = slots.get(game_id) {
            slot.last_used.store(tick, Ordering::Relaxed);
            return slot.clone();
        }
        if slots.len() >= self.capacity {
            evict(&mut slots, self.capacity);
        }
        let slot = Arc::new(Slot {
            write: tokio::sync::Mutex::new(()),
            state: Mutex::new(None),
            last_used: AtomicU64::new(tick),
        });
        slots.insert(game_id.to_string(), slot.clone());
        slot
    }

    /// The cached state of a game in `slot`, loading it from the store when missing.
    pub(crate) async fn cached_or_load(
        &self,
        game_id: &str,
        slot: &Slot,
    ) -> Result<Arc<LoadedGame>, StoreError> {
        if let Some(state) = slot.state.lock().clone() {
            return Ok(state);
        }
        self.refresh(game_id, slot).await
    }

    /// The cached state of a game when it is at `version`; nothing is loaded and nothing counts as a
    /// use of the game.
    pub(crate) fn cached_at(&self, game_id: &str, version: u64) -> Option<Arc<LoadedGame>> {
        let slots = self.slots.lock();
        let state = slots.get(game_id)?.state.lock().clone()?;
        (state.version() == version).then_some(state)
    }

    /// Brings the cached state up to the store's latest event (reading only what is missing).
    pub(crate) async fn refresh(
        &self,
        game_id: &str,
        slot: &Slot,
    ) -> Result<Arc<LoadedGame>, StoreError> {
        let cached = slot.state.lock().clone();
        let mut loaded = match &cached {
            Some(state) => (**state).clone(),
            None => LoadedGame::empty(),
        };
        let newer = self.store.read(game_id, loaded.version(), None).await?;
        if newer.is_empty() {
            if let Some(state) = cached {
                return Ok(state);
            }
        }
        if !loaded.fold(&newer) {
            // The store answered with a gap after our version: rebuild from the start.
            loaded = LoadedGame::empty();
            let all = self.store.read(game_id, 0, None).await?;
            if !loaded.fold(&all) {
                return Err(StoreError::Unavailable(format!(
                    "the log of game {game_id} has a gap"
                )));
            }
        }
        Ok(Self::remember_in(slot, loaded))
    }

    /// Stores a newer state in the slot (an older one is ignored) and returns what the slot now holds.
    pub(crate) fn remember_in(slot: &Slot, loaded: LoadedGame) -> Arc<LoadedGame> {
        let mut state = slot.state.lock();
        match &*state {
            Some(current) if current.version() >= loaded.version() => current.clone(),
            _ => {
                let loaded = Arc::new(loaded);
                *state = Some(loaded.clone());
                loaded
            }
        }
    }

    /// The latest state of a game: for the store's only writer, the cached state when the cache
    /// holds the game; otherwise, or when it does not, as [`HotGames::current`] (the cache brought
    /// up to date with the store). A game with no events has version 0.
    pub async fn latest(&self, game_id: &str) -> Result<Arc<LoadedGame>, StoreError> {
        if self.sole_writer {
            if let Some(state) = self.slot(game_id).state.lock().clone() {
                return Ok(state);
            }
        }
        self.current(game_id).await
    }

    /// The latest state of a game, from the cache brought up to date with the store, whoever
    /// wrote it (repairs read the store's latest even where [`HotGames::latest`] would not). A
    /// game with no events has version 0.
    pub async fn current(&self, game_id: &str) -> Result<Arc<LoadedGame>, StoreError> {
        let slot = self.slot(game_id);
        let state = self.refresh(game_id, &slot).await?;
        drop(slot);
        if state.version() == 0 {
            // Do not keep slots for games that do not exist.
            self.forget_if_empty(game_id);
        }
        Ok(state)
    }

    /// The state after exactly `version` events, replayed from the store. `None` when the game has fewer events.
    pub async fn at(&self, game_id: &str, version: u64) -> Result<Option<LoadedGame>, StoreError> {
        let limit = usize::try_from(version).unwrap_or(usize::MAX);
        let events = self.store.read(game_id, 0, Some(limit)).await?;
        let mut loaded = LoadedGame::empty();
        if !loaded.fold(&events) {
            return Err(StoreError::Unavailable(format!(
                "the log of game {game_id} has a gap"
            )));
        }
        Ok((loaded.version() == version).then_some(loaded))
    }

    /// Drops the slot of a game that has no state, so lookups of unknown ids do not fill the cache.
    pub(crate) fn forget_if_empty(&self, game_id: &str) {
        let mut slots = self.slots.lock();
        let empty = slots.get(game_id).is_some_and(|slot| {
            Arc::strong_count(slot) == 1
                && slot.state.lock().as_ref().is_none_or(|s| s.version() == 0)
        });
        if empty {
            slots.remove(game_id);
        }
    }

    /// Number of games held in memory.
    pub fn len(&self) -> usize {
        self.slots.lock().len()
    }

    /// True when no game is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// An append whose outcome the cache of its game has not learnt yet. Dropped before
/// [`Unsettled::settled`] (the command's future was dropped, or the append failed in a way that
/// leaves its outcome open), it forgets the game's cached state, so that the next use reads the
/// store: a cache that missed an append must not answer for the store.
pub(crate) struct Unsettled<'a> {
    slot: Option<&'a Slot>,
}

impl<'a> Unsettled<'a> {
    /// Armed before an append to the game of `slot`.
    pub(crate) fn new(slot: &'a Slot) -> Self {
        Unsettled { slot: Some(slot) }
    }

    /// The cache holds the append's outcome (or nothing was written): keep the cached state.
    pub(crate) fn settled(mut self) {
        self.slot = None;
    }
}

impl Drop for Unsettled<'_> {
    fn drop(&mut self) {
        if let Some(slot) = self.slot {
            *slot.state.lock() = None;
        }
    }
}

/// Removes slots nobody is using until the map is at 90 % of `capacity`: finished games first
/// (nothing will change them again), then the least recently used.
fn evict(slots: &mut HashMap<String, Arc<Slot>>, capacity: usize) {
    let target = capacity - capacity / 10 - 1;
    let mut idle: Vec<(bool, u64, String)> = slots
        .iter()
        .filter(|(_, slot)| Arc::strong_count(slot) == 1)
        .map(|(id, slot)| {
            let playing = slot
                .state
                .lock()
                .as_ref()
                .is_none_or(|state| state.game.status() != GameStatus::Finished);
            (playing, slot.last_used.load(Ordering::Relaxed), id.clone())
        })
        .collect();
    idle.sort_unstable();
    let excess = slots.len().saturating_sub(target);
    for (_, _, id) in idle.into_iter().take(excess) {
        slots.remove(&id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::application::ports::MockEventStore;
    use crate::domain::{Command, Event, Rules};

    fn created(id: u64) -> StoredEvent {
        let rules = Rules::new(2, None, None);
        StoredEvent {
            game_id: "g".into(),
            event_id: id,
            command_id: None,
            timestamp: Utc::now(),
            event: Event::GameCreated {
                num_players: 2,
                rules,
                hidden: None,
            },
        }
    }

    fn creation_events() -> Vec<StoredEvent> {
        let events = Game::default()
            .decide(
                &crate::domain::Actor::System,
                &Command::CreateGame {
                    num_players: 2,
                    seed: 7,
                    scenario: None,
                    caravan_capacity: None,
                    point_cards_to_end: None,
                    turn_clock: None,
                },
            )
            .expect("a new game can be created");
        events
            .into_iter()
            .enumerate()
            .map(|(i, event)| StoredEvent {
                event_id: i as u64 + 1,
                event,
                ..created(0)
            })
            .collect()
    }

    #[test]
    fn folding_skips_known_ids_and_stops_at_a_gap() {
        let mut loaded = LoadedGame::empty();
        let events = creation_events();
        assert!(loaded.fold(&events));
        assert_eq!(loaded.version(), events.len() as u64);
        assert!(loaded.fold(&events), "already folded ids are skipped");
        let mut gap = events[0].clone();
        gap.event_id = loaded.version() + 2;
        assert!(!loaded.fold([&gap]));
    }

    #[tokio::test]
    async fn a_cached_game_reads_only_the_events_it_misses() {
        let events = creation_events();
        let mut store = MockEventStore::new();
        let first = events.clone();
        store
            .expect_read()
            .withf(|_, after, _| *after == 0)
            .times(1)
            .returning(move |_, _, _| {
                let first = first.clone();
                Ok(first)
            });
        let version = events.len() as u64;
        store
            .expect_read()
            .withf(move |_, after, _| *after == version)
            .times(1)
            .returning(|_, _, _| Ok(vec![]));
        let repo = HotGames::new(Arc::new(store), 10);
        assert_eq!(repo.current("g").await.unwrap().version(), version);
        assert_eq!(repo.current("g").await.unwrap().version(), version);
    }

    /// The cache of the store's only writer, over a store that holds a new game and expects to be
    /// read from the start exactly `reads` times; and the game's version.
    fn only_writer_reading_from_the_start(reads: usize) -> (HotGames, u64) {
        let events = creation_events();
        let version = events.len() as u64;
        let mut store = MockEventStore::new();
        store
            .expect_read()
            .withf(|_, after, _| *after == 0)
            .times(reads)
            .returning(move |_, _, _| Ok(events.clone()));
        (
            HotGames::new(Arc::new(store), 10).sole_writer(true),
            version,
        )
    }

    #[tokio::test]
    async fn the_only_writer_answers_a_cached_game_without_reading_the_store() {
        let (repo, version) = only_writer_reading_from_the_start(1);
        assert_eq!(repo.latest("g").await.unwrap().version(), version);
        assert_eq!(repo.latest("g").await.unwrap().version(), version);
    }

    #[tokio::test]
    async fn an_append_left_unsettled_forgets_the_cached_game() {
        let (repo, version) = only_writer_reading_from_the_start(2);
        assert_eq!(repo.latest("g").await.unwrap().version(), version);
        drop(Unsettled::new(&repo.slot("g")));
        // Read from the start again: the cache no longer holds the game.
        assert_eq!(repo.latest("g").await.unwrap().version(), version);
        Unsettled::new(&repo.slot("g")).settled();
        // Settled: the cached state stands, and the store is not read a third time.
        assert_eq!(repo.latest("g").await.unwrap().version(), version);
    }

    #[tokio::test]
    async fn an_unknown_game_is_not_kept_in_the_cache() {
        let mut store = MockEventStore::new();
        store.expect_read().returning(|_, _, _| Ok(vec![]));
        let repo = HotGames::new(Arc::new(store), 10);
        assert_eq!(repo.current("nope").await.unwrap().version(), 0);
        assert!(repo.is_empty());
    }

    #[test]
    fn eviction_keeps_the_cache_under_its_capacity() {
        let mut store = MockEventStore::new();
        store.expect_read().never();
        let repo = HotGames::new(Arc::new(store), 10);
        for i in 0..50 {
            let _ = repo.slot(&format!("g{i}"));
        }
        assert!(repo.len() <= 10);
        assert!(
            repo.slots.lock().contains_key("g49"),
            "the newest game stays"
        );
    }

    /// A game played to its end by bots, as stored events.
    fn finished_game() -> LoadedGame {
        let events = crate::domain::random_player::play_game(2, 11, 10_000);
        assert!(matches!(events.last(), Some(Event::GameEnded { .. })));
        let stored: Vec<StoredEvent> = events
            .into_iter()
            .enumerate()
            .map(|(i, event)| StoredEvent {
                event_id: i as u64 + 1,
                event,
                ..created(0)
            })
            .collect();
        let mut loaded = LoadedGame::empty();
        assert!(loaded.fold(&stored));
        assert_eq!(loaded.game.status(), GameStatus::Finished);
        loaded
    }

    #[test]
    fn eviction_drops_finished_games_before_games_in_play() {
        let mut store = MockEventStore::new();
        store.expect_read().never();
        let repo = HotGames::new(Arc::new(store), 10);
        let finished = finished_game();
        let mut playing = LoadedGame::empty();
        assert!(playing.fold(&creation_events()));
        // Five games in play used long ago, then five finished games used since.
        for i in 0..5 {
            let slot = repo.slot(&format!("playing{i}"));
            HotGames::remember_in(&slot, playing.clone());
        }
        for i in 0..5 {
            let slot = repo.slot(&format!("finished{i}"));
            HotGames::remember_in(&slot, finished.clone());
        }
        let _ = repo.slot("new");
        let slots = repo.slots.lock();
        assert!(slots.len() <= 10);
        for i in 0..5 {
            assert!(
                slots.contains_key(&format!("playing{i}")),
                "playing{i} was evicted while finished games stayed"
            );
        }
        assert!(slots.contains_key("new"));
    }
}
