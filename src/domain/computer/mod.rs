//! Computer players: how a seat held by the computer chooses its move.
//!
//! A computer player sees exactly what a person at its seat sees: [`choose`] takes a
//! [`SeatView`], which only [`Game::seat_view`] makes, from [`Game::view`] for that seat. The
//! deck order and the seed are not in it, so no level can peek at them; where a level wants to
//! look ahead it plays on a [`Game`] rebuilt from the view, with the unseen cards of each deck
//! shuffled from its own seed (a sample of what the deck could be, never what it is).
//!
//! Levels ([`BotLevel`]), each in its own module:
//! - `easy`: a random legal move, except that it never passes up a point card it can pay for;
//! - `greedy`: one ply: the legal move whose immediate result is best by a measure of its points,
//!   how near its cubes are to the nearest point card, and their worth;
//! - `strong`: plans its next turns toward the point cards on the row. It searches its own
//!   plays and rests (and one acquire now) a few turns deep for the soonest caravan that pays
//!   for each point card, values each plan by the card's points and coin discounted per turn,
//!   plus the engine its hand makes, and plays the first move of the best plan. On its last turn
//!   (the end triggered) it plays for the immediate score.
//!
//! Every level claims, or moves towards a claim, so that games between computer players of any
//! levels end: `tests.rs` plays many seeded games of every mix of levels and bounds their length.
//!
//! Everything here is deterministic for a given view and seed.

mod easy;
mod greedy;
mod matches;
mod strong;
#[cfg(test)]
mod tests;

pub use matches::{play_match, Lineup, MatchResult};

use super::cards::{deck_merchant_ids, point_ids, MerchantCardId, PointCardId};
use super::commands::Command;
use super::events::HiddenSetup;
use super::game::{lowest_cubes, Game, GameStatus, MerchantSlot, PlayerState};
use super::rng::Rng;
use super::rules::{BotLevel, Seat};
use super::view::{GameView, Viewer};
use super::Actor;

/// What the player at one seat sees: the only input of a computer player.
///
/// It is made only by [`Game::seat_view`] and holds nothing but that seat's [`GameView`], so a
/// computer player cannot depend on hidden information by construction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeatView {
    seat: Seat,
    view: GameView,
}

impl SeatView {
    /// The seat this view is for.
    pub fn seat(&self) -> Seat {
        self.seat
    }

    /// The view itself.
    pub fn view(&self) -> &GameView {
        &self.view
    }

    /// Whether it is this seat's move in a running game.
    pub fn to_move(&self) -> bool {
        self.view.status == GameStatus::Active && self.view.current_seat == Some(self.seat)
    }
}

impl Game {
    /// What the player at `seat` sees, for a computer player to decide from.
    pub fn seat_view(&self, seat: Seat) -> SeatView {
        SeatView {
            seat,
            view: self.view(Viewer::Seat(seat)),
        }
    }
}

/// The move of a computer player of `level` at the seat of `view`, or `None` when that seat has
/// nothing to do. `seed` drives its random choices (and its samples of the unseen cards).
pub fn choose(view: &SeatView, level: BotLevel, seed: u64) -> Option<Command> {
    if !view.to_move() {
        return None;
    }
    let mut rng = Rng::new(seed);
    let game = sample_game(&view.view, &mut rng);
    let seat = view.seat;
    let legal = game.legal_commands(seat);
    if legal.is_empty() {
        return None;
    }
    if let Some(owed) = view.view.awaiting_discard {
        // Easy and strong keep their most valuable cubes; greedy keeps those nearest to a claim.
        let caravan = game.player(seat)?.caravan;
        let spices = match level {
            BotLevel::Greedy => greedy::discard_toward(caravan, owed, game.point_row()),
            _ => lowest_cubes(caravan, owed),
        };
        return Some(Command::Discard { spices });
    }
    match level {
        BotLevel::Easy => Some(easy::easy(legal, &mut rng)),
        BotLevel::Greedy => greedy::greedy(&game, seat, legal, &mut rng),
        BotLevel::Strong => {
            if game.end_triggered() {
                // The last turn: only the score counts now.
                return best_by(&game, seat, legal, &mut rng, |g, s| f64::from(score(g, s)));
            }
            Some(strong::Planner::new(&game, seat).best(legal))
        }
    }
}

/// A game with the view's public state and the unseen cards of each deck in a random order.
fn sample_game(view: &GameView, rng: &mut Rng) -> Game {
    let mut seen_merchant = [false; 64];
    let mut seen_point = [false; 64];
    for slot in &view.merchant_row {
        seen_merchant[slot.card_id.index()] = true;
    }
    for slot in &view.point_row {
        seen_point[slot.card_id.index()] = true;
    }
    for p in &view.players {
        for card in p.hand.iter().chain(&p.played) {
            seen_merchant[card.index()] = true;
        }
        for card in &p.claimed {
            seen_point[card.index()] = true;
        }
    }
    let mut merchant_deck: Vec<MerchantCardId> = deck_merchant_ids()
        .filter(|c| !seen_merchant[c.index()])
        .collect();
    let mut point_deck: Vec<PointCardId> = point_ids().filter(|c| !seen_point[c.index()]).collect();
    rng.shuffle(&mut merchant_deck);
    rng.shuffle(&mut point_deck);
    merchant_deck.truncate(usize::from(view.merchant_deck_count));
    point_deck.truncate(usize::from(view.point_deck_count));
    Game {
        version: 0,
        status: view.status,
        rules: view.rules,
        hidden: Some(HiddenSetup {
            seed: 0,
            merchant_deck,
            point_deck,
        }),
        merchant_drawn: 0,
        point_drawn: 0,
        merchant_row: view
            .merchant_row
            .iter()
            .map(|s| MerchantSlot {
                card: s.card_id,
                cubes: s.cubes,
            })
            .collect(),
        point_row: view.point_row.iter().map(|s| s.card_id).collect(),
        gold: view.gold_left,
        silver: view.silver_left,
        players: view
            .players
            .iter()
            .map(|p| PlayerState {
                seat: p.seat,
                player_id: p.player_id.clone(),
                name: p.name.clone(),
                left: p.left,
                caravan: p.caravan,
                hand: p.hand.clone(),
                played: p.played.clone(),
                claimed: p.claimed.clone(),
                gold: p.gold,
                silver: p.silver,
                bot: p.bot,
                timeouts: p.timeouts,
            })
            .collect(),
        current: view.current_seat.unwrap_or(0),
        round: view.round,
        end_triggered: view.end_triggered,
        acted: view.awaiting_discard.is_some(),
        winner: view.winner,
        end_reason: None,
        turn_started: None,
    }
}

/// The game after `seat` sends `command` (`None` if refused).
pub(super) fn after(game: &Game, seat: Seat, command: &Command) -> Option<Game> {
    let id = game.player(seat)?.player_id.clone();
    let events = game.decide(&Actor::Player(id), command).ok()?;
    let mut next = game.clone();
    for e in &events {
        next.apply_mut(e);
    }
    Some(next)
}

/// The running score of `seat`.
pub(super) fn score(game: &Game, seat: Seat) -> u16 {
    game.scores()
        .iter()
        .find(|s| s.seat == seat)
        .map_or(0, |s| s.total)
}

/// The command whose result `value` rates highest (ties broken at random).
pub(super) fn best_by(
    game: &Game,
    seat: Seat,
    legal: Vec<Command>,
    rng: &mut Rng,
    value: impl Fn(&Game, Seat) -> f64,
) -> Option<Command> {
    let mut best: Option<(f64, u64, Command)> = None;
    for command in legal {
        let Some(next) = after(game, seat, &command) else {
            continue;
        };
        let v = value(&next, seat);
        let tie = rng.next_u64();
        if best
            .as_ref()
            .is_none_or(|(bv, bt, _)| v > *bv || (v == *bv && tie > *bt))
        {
            best = Some((v, tie, command));
        }
    }
    best.map(|(_, _, c)| c)
}
