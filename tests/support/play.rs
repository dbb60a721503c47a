//! Playing games in tests: the bot's next move on a known state, a client-side mirror of a game
//! rebuilt from public events, and checks on event streams.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use caravan::application::ports::StoredEvent;
use caravan::application::GameFeed;
use caravan::domain::{Actor, Command, Event, Game, GameStatus, RandomPlayer, Seat};

/// Collects a feed's events in a task until one with id `>= until` arrives (or the feed ends).
pub fn collect_feed(
    mut feed: GameFeed,
    mut seen: Vec<StoredEvent>,
    until: Arc<std::sync::atomic::AtomicU64>,
) -> tokio::task::JoinHandle<Vec<StoredEvent>> {
    tokio::spawn(async move {
        loop {
            let target = until.load(std::sync::atomic::Ordering::SeqCst);
            if target > 0 && seen.last().is_some_and(|e| e.event_id >= target) {
                return seen;
            }
            match tokio::time::timeout(Duration::from_millis(200), feed.next()).await {
                Ok(Some(Ok(update))) => seen.extend(update.events.iter().cloned()),
                Ok(Some(Err(e))) => panic!("the feed failed: {e}"),
                Ok(None) => return seen,
                Err(_) => {}
            }
        }
    })
}

/// The bot's next move: the seat to move and the command, or `None` once the game is over.
pub fn next_move(game: &Game, bot: &mut RandomPlayer) -> Option<(Seat, Command)> {
    if game.status() != GameStatus::Active {
        return None;
    }
    let seat = game.current_seat()?;
    bot.choose(game, seat).map(|command| (seat, command))
}

/// Ids `1..=n` without gaps or repeats.
pub fn assert_gap_free(events: &[StoredEvent], n: u64, who: &str) {
    let ids: Vec<u64> = events.iter().map(|e| e.event_id).collect();
    let expected: Vec<u64> = (1..=n).collect();
    assert_eq!(ids, expected, "{who}: the stream is not 1..={n}");
}

/// A local copy of a game, rebuilt from the same seed as the server's and the public events that
/// followed: what a bot needs to choose legal moves.
pub struct Mirror {
    pub game: Game,
}

impl Mirror {
    /// The state right after `GameCreated` with the server's default rules.
    pub fn new(num_players: u8, seed: u64) -> Mirror {
        let mut game = Game::default();
        let create = Command::CreateGame {
            num_players,
            seed,
            scenario: None,
            caravan_capacity: Some(10),
            point_cards_to_end: None,
            turn_clock: None,
        };
        for event in game.decide(&Actor::System, &create).unwrap() {
            game.apply_mut(&event);
        }
        Mirror { game }
    }

    /// Applies public events (as the REST API returns them) after the mirror's version.
    pub fn apply(&mut self, events: &[Value]) {
        for dto in events {
            let id = dto["eventId"].as_u64().unwrap();
            if id <= self.game.version() {
                continue;
            }
            assert_eq!(id, self.game.version() + 1, "events arrive without gaps");
            let event: Event =
                serde_json::from_value(json!({ "type": dto["eventType"], "data": dto["data"] }))
                    .unwrap();
            self.game.apply_mut(&event);
        }
    }
}
