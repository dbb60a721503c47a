//! Test helpers for the application layer: real domain histories and ports built from mocks.

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};

use super::ports::{
    AppendError, AppendOutcome, EventStore, MockClock, MockEventBus, MockEventStore, MockMetrics,
    MockPlayerTokens, MockReadModels, NoMetrics, Ports, StoreError, StoredEvent,
};
use crate::domain::{Actor, Command, Event, Game, PlayerId};

/// A fixed "now".
pub fn now() -> DateTime<Utc> {
    Utc.timestamp_opt(1_767_225_600, 0).unwrap()
}

/// The player id of a seat in [`history`].
pub fn pid(seat: u8) -> String {
    format!("player-{seat}")
}

/// Decides and applies `command` from `actor`, appending the events to `log`.
pub fn play(game: &mut Game, log: &mut Vec<Event>, actor: &Actor, command: &Command) {
    let events = game.decide(actor, command).expect("a legal command");
    for e in &events {
        game.apply_mut(e);
    }
    log.extend(events);
}

/// The events of a game for `num_players` created from seed 7 with `joined` players seated.
pub fn history(num_players: u8, joined: u8) -> (Game, Vec<StoredEvent>) {
    let mut game = Game::default();
    let mut log = Vec::new();
    let create = Command::CreateGame {
        num_players,
        seed: 7,
        scenario: None,
        caravan_capacity: None,
        point_cards_to_end: None,
        turn_clock: None,
    };
    play(&mut game, &mut log, &Actor::System, &create);
    for seat in 0..joined {
        let join = Command::Join {
            player_id: PlayerId::new(pid(seat)),
            name: format!("P{seat}"),
        };
        play(
            &mut game,
            &mut log,
            &Actor::Player(PlayerId::new(pid(seat))),
            &join,
        );
    }
    (game, stored("g", 0, log, None))
}

/// Wraps events as stored with ids `after + 1 …`.
pub fn stored(
    game_id: &str,
    after: u64,
    events: Vec<Event>,
    command_id: Option<&str>,
) -> Vec<StoredEvent> {
    events
        .into_iter()
        .enumerate()
        .map(|(i, event)| StoredEvent {
            game_id: game_id.to_string(),
            event_id: after + 1 + i as u64,
            command_id: command_id.map(str::to_string),
            timestamp: now(),
            event,
        })
        .collect()
}

/// Mocks for every port; tests set expectations, then call [`Mocks::ports`].
pub struct Mocks {
    pub store: MockEventStore,
    pub bus: MockEventBus,
    pub read_models: MockReadModels,
    pub tokens: MockPlayerTokens,
    pub metrics: Option<MockMetrics>,
}

impl Mocks {
    /// Mocks with permissive defaults for the side ports (read models, tokens, clock, metrics).
    pub fn new() -> Self {
        let mut read_models = MockReadModels::new();
        read_models.expect_upsert_summary().returning(|_| Ok(()));
        read_models.expect_record_results().returning(|_| Ok(()));
        let mut tokens = MockPlayerTokens::new();
        tokens
            .expect_issue()
            .returning(|claims| Ok(format!("token-for-{}", claims.player_id)));
        Mocks {
            store: MockEventStore::new(),
            bus: MockEventBus::new(),
            read_models,
            tokens,
            metrics: None,
        }
    }

    /// The ports over these mocks.
    pub fn ports(self) -> Ports {
        let mut clock = MockClock::new();
        clock.expect_now().returning(now);
        Ports {
            store: Arc::new(self.store),
            bus: Arc::new(self.bus),
            read_models: Arc::new(self.read_models),
            clock: Arc::new(clock),
            tokens: Arc::new(self.tokens),
            metrics: match self.metrics {
                Some(metrics) => Arc::new(metrics),
                None => Arc::new(NoMetrics),
            },
        }
    }
}

/// A store over another whose appends can be made never to answer, as a store that went silent, or
/// a command whose future is dropped while it waits: before writing, from a given append on, or
/// after writing, while `hang_after_writing` is set.
pub struct HangingStore {
    inner: Arc<dyn EventStore>,
    /// Appends from this one on (the first is 0) wait forever without writing.
    hang_before_from: usize,
    /// Appends write, then wait forever.
    pub hang_after_writing: std::sync::atomic::AtomicBool,
    appends: std::sync::atomic::AtomicUsize,
}

impl HangingStore {
    /// Over `inner`, answering every append until told otherwise.
    pub fn over(inner: Arc<dyn EventStore>) -> Self {
        HangingStore {
            inner,
            hang_before_from: usize::MAX,
            hang_after_writing: false.into(),
            appends: 0.into(),
        }
    }

    /// Every append after the first waits forever without writing.
    pub fn hanging_after_first_append(mut self) -> Self {
        self.hang_before_from = 1;
        self
    }
}

#[async_trait::async_trait]
impl EventStore for HangingStore {
    async fn append(
        &self,
        game_id: &str,
        expected_version: u64,
        events: Vec<Event>,
        command_id: Option<String>,
        at: DateTime<Utc>,
    ) -> Result<AppendOutcome, AppendError> {
        use std::sync::atomic::Ordering::SeqCst;
        if self.appends.fetch_add(1, SeqCst) >= self.hang_before_from {
            std::future::pending::<()>().await;
        }
        let outcome = self
            .inner
            .append(game_id, expected_version, events, command_id, at)
            .await;
        if self.hang_after_writing.load(SeqCst) {
            std::future::pending::<()>().await;
        }
        outcome
    }

    async fn read(
        &self,
        game_id: &str,
        after: u64,
        limit: Option<usize>,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        self.inner.read(game_id, after, limit).await
    }

    async fn read_range(
        &self,
        game_id: &str,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: Option<usize>,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        self.inner.read_range(game_id, since, until, limit).await
    }

    async fn latest_id(&self, game_id: &str) -> Result<u64, StoreError> {
        self.inner.latest_id(game_id).await
    }

    async fn find_command(
        &self,
        game_id: &str,
        command_id: &str,
    ) -> Result<Option<Vec<StoredEvent>>, StoreError> {
        self.inner.find_command(game_id, command_id).await
    }

    async fn game_ids(&self) -> Result<Vec<String>, StoreError> {
        self.inner.game_ids().await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.inner.ping().await
    }
}
