//! A simple, deterministic player for load tests, benchmarks and property tests.
//!
//! It claims a point card whenever it can (the most valuable one), and otherwise picks uniformly
//! among [`Game::legal_commands`] with its own seeded [`Rng`]. It knows no rule of its own: every
//! command it sends comes from the legal list, so it never sends an illegal one.

use super::commands::{Actor, Command};
use super::events::Event;
use super::game::{Game, GameStatus};
use super::rng::Rng;
use super::rules::{PlayerId, Seat};

/// A seeded random player that claims when it can and otherwise plays a random legal command.
#[derive(Clone, Debug)]
pub struct RandomPlayer {
    rng: Rng,
}

impl RandomPlayer {
    /// A random player whose choices are determined by `seed`.
    pub fn new(seed: u64) -> RandomPlayer {
        RandomPlayer {
            rng: Rng::new(seed),
        }
    }

    /// The command the player sends for `seat`, or `None` when that seat has nothing to do now.
    pub fn choose(&mut self, game: &Game, seat: Seat) -> Option<Command> {
        let mut legal = game.legal_commands(seat);
        let best_claim = legal
            .iter()
            .filter_map(|c| match c {
                Command::Claim { slot } => Some(*slot),
                _ => None,
            })
            .max_by_key(|&slot| {
                game.point_row()
                    .get(usize::from(slot))
                    .map_or(0, |id| id.card().points)
            });
        if let Some(slot) = best_claim {
            return Some(Command::Claim { slot });
        }
        if legal.is_empty() {
            return None;
        }
        let i = self.rng.below(legal.len() as u64) as usize;
        Some(legal.swap_remove(i))
    }
}

/// The player id that [`play_game`] seats at `seat`.
pub fn bot_player_id(seat: Seat) -> PlayerId {
    PlayerId(format!("bot-{seat}"))
}

/// Plays a whole game of `num_players` bots from `seed` and returns its events (ending with
/// `GameEnded`, unless `max_turns` turn actions did not suffice).
pub fn play_game(num_players: u8, seed: u64, max_turns: usize) -> Vec<Event> {
    let mut game = Game::default();
    let mut events = Vec::new();
    let mut step = |game: &mut Game, actor: &Actor, command: &Command| -> bool {
        match game.decide(actor, command) {
            Ok(new) => {
                for e in &new {
                    game.apply_mut(e);
                }
                events.extend(new);
                true
            }
            Err(_) => false,
        }
    };
    let create = Command::CreateGame {
        num_players,
        seed,
        scenario: None,
        caravan_capacity: None,
        point_cards_to_end: None,
        turn_clock: None,
    };
    if !step(&mut game, &Actor::System, &create) {
        return events;
    }
    for seat in 0..num_players {
        let join = Command::Join {
            player_id: bot_player_id(seat),
            name: format!("Bot {seat}"),
        };
        step(&mut game, &Actor::System, &join);
    }
    let mut bot = RandomPlayer::new(seed ^ 0x05EE_DB07);
    for _ in 0..max_turns {
        if game.status() != GameStatus::Active {
            break;
        }
        let Some(seat) = game.current_seat() else {
            break;
        };
        let Some(command) = bot.choose(&game, seat) else {
            break;
        };
        if !step(&mut game, &Actor::Player(bot_player_id(seat)), &command) {
            break;
        }
    }
    events
}
