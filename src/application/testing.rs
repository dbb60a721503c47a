//! Test helpers for the application layer: real domain histories and ports built from mocks.

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};

use super::ports::{
    MockClock, MockEventBus, MockEventStore, MockMetrics, MockPlayerTokens, MockReadModels,
    NoMetrics, Ports, StoredEvent,
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
