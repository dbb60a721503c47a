//! The aggregate: one game of Century: Spice Road, in the decide/apply style.
//!
//! - [`Game::decide`] holds every business rule: given the state, an actor and a command, it
//!   returns the events that happen, or the [`RuleViolation`](crate::domain::RuleViolation) that
//!   forbids the command. It never changes the state.
//! - [`Game::apply`] folds one event into the state. It checks nothing and never fails on a history
//!   that `decide` produced; replaying a game's events always rebuilds exactly the same state.
//!
//! The state is everything on the table: the two decks (hidden), the market row with the cubes
//! lying on its cards, the point row and its coins, and each player's caravan, hand, played pile,
//! claimed cards and coins; plus whose turn it is, the round, and whether the end is triggered.
//!
//! This file holds the state and what may be read of it; `game/decide.rs` holds `decide` and the
//! rules, `game/apply.rs` holds `apply`.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::cards::{point, MerchantCardId, PointCardId};
use super::events::{EndReason, Event, FinalScore, HiddenSetup};
use super::rules::{BotLevel, Coin, PlayerId, Rules, Seat, DEFAULT_CARAVAN_CAPACITY};
use super::spices::{Spice, Spices};

mod apply;
mod decide;

pub(super) use decide::upgrade_caravan;

/// Where a game is in its life.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema,
)]
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
    /// A computer player of this level holds the seat (`None`: a person).
    pub bot: Option<BotLevel>,
    /// Turns of its own in a row that this seat let the clock run out on.
    pub timeouts: u8,
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
    /// When the running turn began (the commit that started it), as the event log records it.
    /// Events carry no time: whoever folds stored events in sets it ([`Game::turn_began_at`]).
    pub(super) turn_started: Option<DateTime<Utc>>,
}

impl Game {
    /// A game that does not exist yet (same as `Game::default()`).
    pub fn new() -> Game {
        Game::default()
    }

    /// The next seat after `seat`, in turn order, whose player has not left.
    fn next_active_seat(&self, seat: Seat) -> Seat {
        let n = self.num_players().max(1);
        (1..=n)
            .map(|k| (seat + k) % n)
            .find(|&s| self.player(s).is_some_and(|p| !p.left))
            .unwrap_or(seat)
    }

    /// The best non-forfeited player: highest total, ties to the higher seat.
    pub(super) fn leader(&self) -> Option<Seat> {
        self.scores()
            .iter()
            .filter(|s| !s.forfeited)
            .max_by_key(|s| (s.total, s.seat))
            .map(|s| s.seat)
    }

    /// The coin that claiming point slot `slot` would take now.
    ///
    /// Gold lies on slot 0 and silver on slot 1 while gold remains; once the gold is gone the
    /// silver moves to slot 0 and slot 1 gives nothing.
    pub fn coin_at(&self, slot: usize) -> Option<Coin> {
        match (slot, self.gold > 0, self.silver > 0) {
            (0, true, _) => Some(Coin::Gold),
            (0, false, true) => Some(Coin::Silver),
            (1, true, true) => Some(Coin::Silver),
            _ => None,
        }
    }

    fn next_merchant_card(&self) -> Option<MerchantCardId> {
        self.hidden
            .as_ref()
            .and_then(|h| h.merchant_deck.get(self.merchant_drawn).copied())
    }

    fn next_point_card(&self) -> Option<PointCardId> {
        self.hidden
            .as_ref()
            .and_then(|h| h.point_deck.get(self.point_drawn).copied())
    }

    fn capacity(&self) -> u16 {
        self.rules
            .map_or(DEFAULT_CARAVAN_CAPACITY, |r| r.caravan_capacity)
    }

    /// Seats at the table (0 before creation).
    pub fn num_players(&self) -> u8 {
        self.rules.map_or(0, |r| r.num_players)
    }

    /// Rebuilds a game from its history.
    pub fn replay<'a>(events: impl IntoIterator<Item = &'a Event>) -> Game {
        let mut game = Game::default();
        for event in events {
            game.apply_mut(event);
        }
        game
    }

    /// Records when the running turn began: the time the log gives the commit that started it
    /// (`GameStarted` or `TurnEnded`). The turn clock's deadline counts from there.
    pub fn turn_began_at(&mut self, at: DateTime<Utc>) {
        self.turn_started = Some(at);
    }

    /// Whether `event` starts a turn (so its commit time is when the next turn began).
    pub fn starts_a_turn(event: &Event) -> bool {
        matches!(event, Event::GameStarted { .. } | Event::TurnEnded { .. })
    }

    /// When the running turn's clock runs out: `None` without a clock, outside a running game,
    /// or when the turn's start is not known.
    pub fn turn_deadline(&self) -> Option<DateTime<Utc>> {
        let seconds = self.rules?.turn_seconds?;
        if self.status != GameStatus::Active {
            return None;
        }
        Some(self.turn_started? + Duration::seconds(i64::from(seconds)))
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
        let i = usize::from(seat);
        match self.players.get(i) {
            Some(p) if p.seat == seat => Some(p),
            _ => self.players.iter().find(|p| p.seat == seat),
        }
    }

    /// The rules in effect (once created).
    pub fn rules(&self) -> Option<&Rules> {
        self.rules.as_ref()
    }

    /// Running scores, in seat order (the same formula as the final scores).
    pub fn scores(&self) -> Vec<FinalScore> {
        self.players.iter().map(score_of).collect()
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
        if self.status != GameStatus::Active || !self.acted {
            return None;
        }
        let capacity = self.capacity();
        self.player(self.current)
            .map(|p| p.caravan.total())
            .filter(|&total| total > capacity)
            .map(|total| total - capacity)
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

/// A player's score: card points, 3 per gold, 1 per silver, 1 per non-yellow cube.
fn score_of(p: &PlayerState) -> FinalScore {
    let cards: u16 = p.claimed.iter().map(|&id| point(id).points).sum();
    let cubes = p.caravan.score_value();
    FinalScore {
        seat: p.seat,
        name: p.name.clone(),
        cards,
        gold: p.gold,
        silver: p.silver,
        cubes,
        total: cards
            + u16::from(p.gold) * Coin::Gold.points()
            + u16::from(p.silver) * Coin::Silver.points()
            + cubes,
        forfeited: p.left,
    }
}

/// The `owed` lowest cubes of a caravan: yellow first, then red, green, brown.
pub fn lowest_cubes(caravan: Spices, owed: u16) -> Spices {
    let mut left = owed;
    let mut discard = Spices::EMPTY;
    for spice in Spice::ALL {
        let take = left.min(caravan.get(spice));
        discard = discard.add(&Spices::of(spice, take));
        left -= take;
    }
    discard
}

/// The longest display name, in characters.
pub use super::names::MAX_NAME_CHARS;

#[cfg(test)]
mod tests;
