//! The aggregate: one game of Century: Spice Road, in the decide/apply style.
//!
//! - [`Game::decide`] holds every business rule: given the state, an actor and a command, it
//!   returns the events that happen, or the [`RuleViolation`] that forbids the command. It never
//!   changes the state.
//! - [`Game::apply`] folds one event into the state. It checks nothing and never fails on a history
//!   that `decide` produced; replaying a game's events always rebuilds exactly the same state.
//!
//! The state is everything on the table: the two decks (hidden), the market row with the cubes
//! lying on its cards, the point row and its coins, and each player's caravan, hand, played pile,
//! claimed cards and coins; plus whose turn it is, the round, and whether the end is triggered.

use serde::{Deserialize, Serialize};

use super::cards::{MerchantCardId, PointCardId};
use super::commands::{Actor, Command};
use super::errors::RuleViolation;
use super::events::{EndReason, Event, FinalScore, HiddenSetup};
use super::rules::{PlayerId, Rules, Seat};
use super::spices::Spices;

/// Where a game is in its life.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GameStatus {
    /// No `GameCreated` yet.
    #[default]
    New,
    /// Created, waiting for players to fill the seats.
    Waiting,
    /// Running.
    Active,
    /// Ended.
    Finished,
}

/// A face-up merchant card and the cubes other players have placed on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MerchantSlot {
    /// The card.
    pub card: MerchantCardId,
    /// Cubes lying on it; they go to whoever acquires it.
    pub cubes: Spices,
}

/// One seat's belongings.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PlayerState {
    /// The seat.
    pub seat: Seat,
    /// The player's identity.
    pub player_id: PlayerId,
    /// The name shown.
    pub name: String,
    /// The player left the running game (forfeit): skipped, cannot win.
    pub left: bool,
    /// Cubes in the caravan.
    pub caravan: Spices,
    /// Merchant cards ready to play.
    pub hand: Vec<MerchantCardId>,
    /// Merchant cards played since the last rest, in the order played.
    pub played: Vec<MerchantCardId>,
    /// Point cards claimed, in the order claimed.
    pub claimed: Vec<PointCardId>,
    /// Gold coins (3 points each).
    pub gold: u8,
    /// Silver coins (1 point each).
    pub silver: u8,
}

/// One game: the aggregate root. `Default` is "no game yet", ready for `CreateGame`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Game {
    pub(super) version: u64,
    pub(super) status: GameStatus,
    pub(super) rules: Option<Rules>,
    /// Seed and decks in draw order (hidden information).
    pub(super) hidden: Option<HiddenSetup>,
    /// Deck merchant cards drawn so far; the rest of the deck is `merchant_deck[merchant_drawn..]`.
    pub(super) merchant_drawn: usize,
    /// Point cards drawn so far.
    pub(super) point_drawn: usize,
    pub(super) merchant_row: Vec<MerchantSlot>,
    pub(super) point_row: Vec<PointCardId>,
    pub(super) gold: u8,
    pub(super) silver: u8,
    /// Seated players in seat order (before the start some seats may be free).
    pub(super) players: Vec<PlayerState>,
    pub(super) current: Seat,
    pub(super) round: u32,
    pub(super) end_triggered: bool,
    /// The current seat has taken its action and owes a discard before the turn passes.
    pub(super) acted: bool,
    pub(super) winner: Option<Seat>,
    pub(super) end_reason: Option<EndReason>,
}

impl Game {
    /// A game that does not exist yet (same as `Game::default()`).
    pub fn new() -> Game {
        Game::default()
    }

    /// Decides what a command does: the events that follow from it, or the rule it breaks.
    pub fn decide(&self, actor: &Actor, command: &Command) -> Result<Vec<Event>, RuleViolation> {
        let _ = (actor, command);
        todo!()
    }

    /// Folds one event into the state (consuming and returning it).
    #[must_use]
    pub fn apply(mut self, event: &Event) -> Game {
        self.apply_mut(event);
        self
    }

    /// Folds one event into the state in place. Checks nothing: the event already happened.
    pub fn apply_mut(&mut self, event: &Event) {
        let _ = event;
        todo!()
    }

    /// Rebuilds a game from its history.
    pub fn replay<'a>(events: impl IntoIterator<Item = &'a Event>) -> Game {
        let mut game = Game::default();
        for event in events {
            game.apply_mut(event);
        }
        game
    }

    /// Number of events applied so far.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Where the game is in its life.
    pub fn status(&self) -> GameStatus {
        self.status
    }

    /// The seat of a player (also for a player who has forfeited).
    pub fn seat_of(&self, player: &PlayerId) -> Option<Seat> {
        self.players
            .iter()
            .find(|p| &p.player_id == player)
            .map(|p| p.seat)
    }

    /// The seat to move, while the game runs.
    pub fn current_seat(&self) -> Option<Seat> {
        (self.status == GameStatus::Active).then_some(self.current)
    }

    /// The seated players, in seat order.
    pub fn players(&self) -> &[PlayerState] {
        &self.players
    }

    /// The player at a seat.
    pub fn player(&self, seat: Seat) -> Option<&PlayerState> {
        self.players.iter().find(|p| p.seat == seat)
    }

    /// The rules in effect (once created).
    pub fn rules(&self) -> Option<&Rules> {
        self.rules.as_ref()
    }

    /// Running scores, in seat order (the same formula as the final scores).
    pub fn scores(&self) -> Vec<FinalScore> {
        todo!()
    }

    /// The winner, once the game has ended.
    pub fn winner(&self) -> Option<Seat> {
        self.winner
    }

    /// Why the game ended, once it has.
    pub fn end_reason(&self) -> Option<EndReason> {
        self.end_reason
    }

    /// The face-up merchant cards, slot 0 first.
    pub fn merchant_row(&self) -> &[MerchantSlot] {
        &self.merchant_row
    }

    /// The face-up point cards, slot 0 first.
    pub fn point_row(&self) -> &[PointCardId] {
        &self.point_row
    }

    /// Gold coins left on the board.
    pub fn gold_left(&self) -> u8 {
        self.gold
    }

    /// Silver coins left on the board.
    pub fn silver_left(&self) -> u8 {
        self.silver
    }

    /// The current round (1 = first), once started.
    pub fn round(&self) -> u32 {
        self.round
    }

    /// Whether a player has claimed enough point cards to end the game after this round.
    pub fn end_triggered(&self) -> bool {
        self.end_triggered
    }

    /// Cubes the current seat must discard before its turn can pass, if any.
    pub fn awaiting_discard(&self) -> Option<u16> {
        todo!()
    }

    /// Merchant cards left in the deck.
    pub fn merchant_deck_count(&self) -> usize {
        self.hidden
            .as_ref()
            .map_or(0, |h| h.merchant_deck.len() - self.merchant_drawn)
    }

    /// Point cards left in the deck.
    pub fn point_deck_count(&self) -> usize {
        self.hidden
            .as_ref()
            .map_or(0, |h| h.point_deck.len() - self.point_drawn)
    }
}
