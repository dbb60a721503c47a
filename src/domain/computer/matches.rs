//! Whole games between computer players, in process: what the arena and the tests play.

use super::choose;
use crate::domain::commands::{Actor, Command};
use crate::domain::game::{Game, GameStatus};
use crate::domain::rules::{BotLevel, PlayerId, Seat};

/// What one seat of a match is played by.
pub type Lineup = Vec<BotLevel>;

/// The result of one game between computer players.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatchResult {
    /// The winning seat (`None` if the game did not finish).
    pub winner: Option<Seat>,
    /// Each seat's final total, in seat order.
    pub scores: Vec<u16>,
    /// Commands played (turn actions and discards).
    pub moves: usize,
    /// Turns played: turn actions, without the discards that finish some of them.
    pub turns: usize,
    /// The round the game ended in (each seat plays once per round).
    pub rounds: u32,
    /// A command was refused by the rules (the game stopped there).
    pub refused: bool,
}

/// Plays one whole game between computer players of the given levels (one per seat, seat 0
/// first) from `seed`, calling `timed` around each decision (for measuring). Gives up after
/// `max_moves` commands.
pub fn play_match(
    lineup: &[BotLevel],
    seed: u64,
    max_moves: usize,
    mut timed: impl FnMut(Seat, &mut dyn FnMut() -> Option<Command>) -> Option<Command>,
) -> MatchResult {
    let mut game = Game::default();
    let num_players = lineup.len() as u8;
    let create = Command::CreateGame {
        num_players,
        seed,
        scenario: None,
        caravan_capacity: None,
        point_cards_to_end: None,
        turn_clock: None,
    };
    let step = |game: &mut Game, actor: &Actor, command: &Command| -> bool {
        match game.decide(actor, command) {
            Ok(events) => {
                for e in &events {
                    game.apply_mut(e);
                }
                true
            }
            Err(_) => false,
        }
    };
    step(&mut game, &Actor::System, &create);
    for (seat, level) in lineup.iter().enumerate() {
        let add = Command::AddBot {
            player_id: PlayerId(format!("cpu-{seat}")),
            name: level.to_string(),
            level: *level,
        };
        step(&mut game, &Actor::System, &add);
    }
    let mut moves = 0;
    let mut turns = 0;
    let mut refused = false;
    while game.status() == GameStatus::Active && moves < max_moves {
        let Some(seat) = game.current_seat() else {
            break;
        };
        let view = game.seat_view(seat);
        let level = lineup[usize::from(seat)];
        let decision_seed = seed ^ (game.version() << 8) ^ u64::from(seat);
        let command = timed(seat, &mut || choose(&view, level, decision_seed));
        let Some(command) = command else {
            break;
        };
        let id = PlayerId(format!("cpu-{seat}"));
        if !step(&mut game, &Actor::Player(id), &command) {
            refused = true;
            break;
        }
        moves += 1;
        if !matches!(command, Command::Discard { .. }) {
            turns += 1;
        }
    }
    MatchResult {
        winner: game.winner(),
        scores: game.scores().iter().map(|s| s.total).collect(),
        moves,
        turns,
        rounds: game.round(),
        refused,
    }
}
