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

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::cards::{
    deck_merchant_ids, merchant, point, point_ids, MerchantCardId, MerchantKind, PointCardId,
    MERCHANT_ROW_SIZE, POINT_CARDS, POINT_ROW_SIZE,
};
use super::commands::{Actor, Command, Scenario};
use super::errors::RuleViolation;
use super::events::{EndReason, Event, FinalScore, HiddenSetup};
use super::names::{normalize_name, same_name};
use super::rng::Rng;
use super::rules::{
    BotLevel, Coin, PlayerId, Rules, Seat, DEFAULT_CARAVAN_CAPACITY, MAX_CARAVAN_CAPACITY,
    MAX_PLAYERS, MAX_TIMEOUTS_TO_FORFEIT, MAX_TURN_SECONDS, MIN_CARAVAN_CAPACITY, MIN_PLAYERS,
    MIN_TURN_SECONDS, STARTING_CARAVANS,
};
use super::spices::{Spice, Spices};

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

    /// Decides what a command does: the events that follow from it, or the rule it breaks.
    ///
    /// Never changes the state. A turn action answers `[action, TurnEnded]` (plus `GameEnded`
    /// when the game ends), or `[action]` alone when the caravan is over capacity and a discard
    /// is owed before the turn passes.
    pub fn decide(&self, actor: &Actor, command: &Command) -> Result<Vec<Event>, RuleViolation> {
        match command {
            Command::CreateGame {
                num_players,
                seed,
                scenario,
                caravan_capacity,
                point_cards_to_end,
                turn_clock,
            } => self.decide_create(
                *num_players,
                *seed,
                scenario.as_ref(),
                Rules::new(*num_players, *caravan_capacity, *point_cards_to_end)
                    .with_clock(*turn_clock),
            ),
            Command::Join { player_id, name } => self.decide_join(actor, player_id, name, None),
            Command::AddBot {
                player_id,
                name,
                level,
            } => {
                if *actor != Actor::System {
                    return Err(RuleViolation::InvalidCommand {
                        reason: "only the server seats a computer player",
                    });
                }
                self.decide_join(actor, player_id, name, Some(*level))
            }
            Command::TimeOut { seat } => self.decide_time_out(actor, *seat),
            Command::Leave => self.decide_leave(actor),
            Command::Expire => self.decide_expire(actor),
            Command::PlayCard {
                card_id,
                upgrades,
                times,
            } => {
                let (seat, player) = self.turn_player(actor, false)?;
                let action = decide_play(seat, player, *card_id, upgrades, *times)?;
                Ok(self.after_action(seat, action))
            }
            Command::Acquire { slot, payment } => {
                let (seat, player) = self.turn_player(actor, false)?;
                let action = self.decide_acquire(seat, player, *slot, payment)?;
                Ok(self.after_action(seat, action))
            }
            Command::Rest => {
                let (seat, player) = self.turn_player(actor, false)?;
                if player.played.is_empty() {
                    return Err(RuleViolation::NothingToRest);
                }
                let action = Event::PlayerRested {
                    seat,
                    returned: player.played.clone(),
                };
                Ok(self.after_action(seat, action))
            }
            Command::Claim { slot } => {
                let (seat, player) = self.turn_player(actor, false)?;
                let action = self.decide_claim(seat, player, *slot)?;
                Ok(self.after_action(seat, action))
            }
            Command::Discard { spices } => {
                let (seat, player) = self.turn_player(actor, true)?;
                let capacity = self.capacity();
                if !player.caravan.contains(spices) {
                    return Err(RuleViolation::InvalidDiscard {
                        reason: "the caravan does not hold those cubes",
                    });
                }
                if player.caravan.total() - spices.total() != capacity {
                    return Err(RuleViolation::InvalidDiscard {
                        reason: "discard exactly down to the caravan capacity",
                    });
                }
                let action = Event::SpicesDiscarded {
                    seat,
                    spices: *spices,
                };
                Ok(self.after_action(seat, action))
            }
        }
    }

    fn decide_create(
        &self,
        num_players: u8,
        seed: u64,
        scenario: Option<&Scenario>,
        rules: Rules,
    ) -> Result<Vec<Event>, RuleViolation> {
        if self.status != GameStatus::New {
            return Err(RuleViolation::GameAlreadyCreated);
        }
        if !(MIN_PLAYERS..=MAX_PLAYERS).contains(&num_players) {
            return Err(RuleViolation::InvalidPlayerCount { num_players });
        }
        if let Some(seconds) = rules.turn_seconds {
            if !(MIN_TURN_SECONDS..=MAX_TURN_SECONDS).contains(&seconds) {
                return Err(RuleViolation::InvalidRules {
                    reason: "the turn clock must be between 10 and 86400 seconds",
                });
            }
        }
        if !(1..=MAX_TIMEOUTS_TO_FORFEIT).contains(&rules.timeouts_to_forfeit) {
            return Err(RuleViolation::InvalidRules {
                reason: "the timeouts before a forfeit must be between 1 and 10",
            });
        }
        if !(MIN_CARAVAN_CAPACITY..=MAX_CARAVAN_CAPACITY).contains(&rules.caravan_capacity) {
            return Err(RuleViolation::InvalidRules {
                reason: "the caravan capacity must be between 4 and 100",
            });
        }
        if rules.point_cards_to_end == 0
            || usize::from(rules.point_cards_to_end) * usize::from(num_players) > POINT_CARDS
        {
            return Err(RuleViolation::InvalidRules {
                reason: "point cards to end must be at least 1 and leave enough point cards for every player",
            });
        }
        let empty = Scenario::default();
        let scenario = scenario.unwrap_or(&empty);
        if scenario.merchant_deck.iter().any(|id| id.is_starting()) {
            return Err(RuleViolation::InvalidScenario {
                reason: "starting cards are not in the merchant deck",
            });
        }
        if has_duplicates(&scenario.merchant_deck) || has_duplicates(&scenario.point_deck) {
            return Err(RuleViolation::InvalidScenario {
                reason: "a card is named twice",
            });
        }
        let mut rng = Rng::new(seed);
        let merchant_deck = stacked_deck(&mut rng, &scenario.merchant_deck, deck_merchant_ids());
        let point_deck = stacked_deck(&mut rng, &scenario.point_deck, point_ids());
        Ok(vec![Event::GameCreated {
            num_players,
            rules,
            hidden: Some(HiddenSetup {
                seed,
                merchant_deck,
                point_deck,
            }),
        }])
    }

    fn decide_join(
        &self,
        actor: &Actor,
        player_id: &PlayerId,
        name: &str,
        bot: Option<BotLevel>,
    ) -> Result<Vec<Event>, RuleViolation> {
        match self.status {
            GameStatus::New => return Err(RuleViolation::GameNotCreated),
            GameStatus::Active => return Err(RuleViolation::GameFull),
            GameStatus::Finished => return Err(RuleViolation::GameOver),
            GameStatus::Waiting => {}
        }
        if let Actor::Player(sender) = actor {
            if sender != player_id {
                return Err(RuleViolation::InvalidCommand {
                    reason: "a player can only join as themselves",
                });
            }
        }
        if player_id.as_str().trim().is_empty() {
            return Err(RuleViolation::InvalidCommand {
                reason: "the player id must not be empty",
            });
        }
        if self.seat_of(player_id).is_some() {
            return Err(RuleViolation::AlreadyJoined);
        }
        let num_players = self.num_players();
        let Some(seat) = (0..num_players).find(|&s| self.player(s).is_none()) else {
            return Err(RuleViolation::GameFull);
        };
        // A computer player's name ends with its seat's number, so several never share one.
        let name = match bot {
            Some(_) => normalize_name(&format!("{} {}", name.trim(), seat + 1))?,
            None => normalize_name(name)?,
        };
        if self.players.iter().any(|p| same_name(&p.name, &name)) {
            return Err(RuleViolation::NameTaken);
        }
        let mut events = vec![Event::PlayerJoined {
            seat,
            player_id: player_id.clone(),
            name,
            bot,
        }];
        if self.players.len() + 1 == usize::from(num_players) {
            events.push(self.start_event()?);
        }
        Ok(events)
    }

    fn start_event(&self) -> Result<Event, RuleViolation> {
        let (Some(hidden), Some(rules)) = (&self.hidden, self.rules) else {
            return Err(RuleViolation::InvalidCommand {
                reason: "the game's decks are not available",
            });
        };
        Ok(Event::GameStarted {
            merchant_row: hidden
                .merchant_deck
                .iter()
                .take(MERCHANT_ROW_SIZE)
                .copied()
                .collect(),
            point_row: hidden
                .point_deck
                .iter()
                .take(POINT_ROW_SIZE)
                .copied()
                .collect(),
            gold: rules.coins_per_kind(),
            silver: rules.coins_per_kind(),
            caravans: STARTING_CARAVANS[..usize::from(rules.num_players)].to_vec(),
            first_seat: 0,
        })
    }

    fn decide_leave(&self, actor: &Actor) -> Result<Vec<Event>, RuleViolation> {
        match self.status {
            GameStatus::New => return Err(RuleViolation::GameNotCreated),
            GameStatus::Finished => return Err(RuleViolation::GameOver),
            GameStatus::Waiting | GameStatus::Active => {}
        }
        let (seat, player) = self.acting_player(actor)?;
        let running = self.status == GameStatus::Active;
        let left = Event::PlayerLeft {
            seat,
            player_id: player.player_id.clone(),
            forfeited: running,
        };
        if !running {
            return Ok(vec![left]);
        }
        let mut after = self.clone().apply(&left);
        let mut events = vec![left];
        let mut remaining = after.players.iter().filter(|p| !p.left);
        if let (Some(last), None) = (remaining.next(), remaining.next()) {
            events.push(Event::GameEnded {
                scores: after.scores(),
                winner: Some(last.seat),
                reason: EndReason::LastPlayerStanding,
            });
        } else if seat == self.current {
            after.end_turn(seat, &mut events);
        }
        Ok(events)
    }

    /// The turn clock of `seat` ran out: `TurnTimedOut`, the forced move (the lowest cubes
    /// discarded when a discard is owed, else nothing), then the forfeit when the seat has timed
    /// out on as many turns in a row as the rules allow, or the end of the turn.
    fn decide_time_out(&self, actor: &Actor, seat: Seat) -> Result<Vec<Event>, RuleViolation> {
        if *actor != Actor::System {
            return Err(RuleViolation::InvalidCommand {
                reason: "only the server times a turn out",
            });
        }
        match self.status {
            GameStatus::New => return Err(RuleViolation::GameNotCreated),
            GameStatus::Waiting => return Err(RuleViolation::GameNotStarted),
            GameStatus::Finished => return Err(RuleViolation::GameOver),
            GameStatus::Active => {}
        }
        let Some(rules) = self.rules.filter(|r| r.turn_seconds.is_some()) else {
            return Err(RuleViolation::InvalidCommand {
                reason: "this game has no turn clock",
            });
        };
        if seat != self.current {
            return Err(RuleViolation::NotYourTurn {
                current: self.current,
            });
        }
        let Some(player) = self.player(seat).filter(|p| !p.left) else {
            return Err(RuleViolation::NotAPlayer);
        };
        let consecutive = player.timeouts.saturating_add(1);
        let timed_out = Event::TurnTimedOut { seat, consecutive };
        let mut after = self.clone().apply(&timed_out);
        let mut events = vec![timed_out];
        if let Some(owed) = after.awaiting_discard() {
            let caravan = after.player(seat).map_or(Spices::EMPTY, |p| p.caravan);
            let discard = Event::SpicesDiscarded {
                seat,
                spices: lowest_cubes(caravan, owed),
            };
            after.apply_mut(&discard);
            events.push(discard);
        }
        if consecutive < rules.timeouts_to_forfeit {
            after.end_turn(seat, &mut events);
            return Ok(events);
        }
        let left = Event::PlayerLeft {
            seat,
            player_id: player.player_id.clone(),
            forfeited: true,
        };
        after.apply_mut(&left);
        events.push(left);
        let mut remaining = after.players.iter().filter(|p| !p.left);
        if let (Some(last), None) = (remaining.next(), remaining.next()) {
            events.push(Event::GameEnded {
                scores: after.scores(),
                winner: Some(last.seat),
                reason: EndReason::LastPlayerStanding,
            });
        } else {
            after.end_turn(seat, &mut events);
        }
        Ok(events)
    }

    fn decide_expire(&self, actor: &Actor) -> Result<Vec<Event>, RuleViolation> {
        if *actor != Actor::System {
            return Err(RuleViolation::InvalidCommand {
                reason: "only the server closes a waiting game",
            });
        }
        match self.status {
            GameStatus::New => Err(RuleViolation::GameNotCreated),
            GameStatus::Active => Err(RuleViolation::InvalidCommand {
                reason: "the game has started: only waiting games expire",
            }),
            GameStatus::Finished => Err(RuleViolation::GameOver),
            GameStatus::Waiting => Ok(vec![Event::GameEnded {
                scores: self.scores(),
                winner: None,
                reason: EndReason::Expired,
            }]),
        }
    }

    /// The actor's seat and belongings, if the actor sits at the table and has not left.
    fn acting_player(&self, actor: &Actor) -> Result<(Seat, &PlayerState), RuleViolation> {
        let Actor::Player(id) = actor else {
            return Err(RuleViolation::NotAPlayer);
        };
        self.players
            .iter()
            .find(|p| &p.player_id == id && !p.left)
            .map(|p| (p.seat, p))
            .ok_or(RuleViolation::NotAPlayer)
    }

    /// Checks that the actor may take a turn action now; `discard` tells whether the action is
    /// the discard (the only action allowed, and only allowed, when a discard is owed).
    fn turn_player(
        &self,
        actor: &Actor,
        discard: bool,
    ) -> Result<(Seat, &PlayerState), RuleViolation> {
        match self.status {
            GameStatus::New => return Err(RuleViolation::GameNotCreated),
            GameStatus::Waiting => return Err(RuleViolation::GameNotStarted),
            GameStatus::Finished => return Err(RuleViolation::GameOver),
            GameStatus::Active => {}
        }
        let (seat, player) = self.acting_player(actor)?;
        if seat != self.current {
            return Err(RuleViolation::NotYourTurn {
                current: self.current,
            });
        }
        match (self.awaiting_discard(), discard) {
            (Some(owed), false) => Err(RuleViolation::MustDiscard { owed }),
            (None, true) => Err(RuleViolation::NoDiscardOwed),
            _ => Ok((seat, player)),
        }
    }

    fn decide_acquire(
        &self,
        seat: Seat,
        player: &PlayerState,
        slot: u8,
        payment: &[Spice],
    ) -> Result<Event, RuleViolation> {
        let Some(target) = self.merchant_row.get(usize::from(slot)) else {
            return Err(RuleViolation::InvalidSlot {
                slot,
                len: self.merchant_row.len() as u8,
            });
        };
        if payment.len() != usize::from(slot) {
            return Err(RuleViolation::InvalidPayment {
                reason: "place exactly one cube on each card to the left of the slot",
            });
        }
        let paid = Spices::from_list(payment);
        if !player.caravan.contains(&paid) {
            return Err(RuleViolation::CannotAfford {
                needed: paid,
                have: player.caravan,
            });
        }
        Ok(Event::ItemAcquired {
            seat,
            slot,
            card_id: target.card,
            payment: payment.to_vec(),
            cubes_taken: target.cubes,
            revealed: self.next_merchant_card(),
        })
    }

    fn decide_claim(
        &self,
        seat: Seat,
        player: &PlayerState,
        slot: u8,
    ) -> Result<Event, RuleViolation> {
        let Some(&card_id) = self.point_row.get(usize::from(slot)) else {
            return Err(RuleViolation::InvalidSlot {
                slot,
                len: self.point_row.len() as u8,
            });
        };
        let card = point(card_id);
        if !player.caravan.contains(&card.cost) {
            return Err(RuleViolation::CannotAfford {
                needed: card.cost,
                have: player.caravan,
            });
        }
        Ok(Event::ClaimCompleted {
            seat,
            slot,
            card_id,
            points: card.points,
            paid: card.cost,
            coin: self.coin_at(usize::from(slot)),
            revealed: self.next_point_card(),
        })
    }

    /// Completes a turn action: the action alone while a discard is owed, else the turn passes.
    fn after_action(&self, seat: Seat, action: Event) -> Vec<Event> {
        let mut after = self.clone().apply(&action);
        let mut events = vec![action];
        if after.awaiting_discard().is_none() {
            after.end_turn(seat, &mut events);
        }
        events
    }

    /// Passes the turn of `seat` on this (already updated) state, pushing `TurnEnded` and, when
    /// the round that completes the game has ended, `GameEnded`.
    fn end_turn(&mut self, seat: Seat, events: &mut Vec<Event>) {
        let to_end = usize::from(self.rules.map_or(u8::MAX, |r| r.point_cards_to_end));
        let end_triggered = self.end_triggered
            || self
                .players
                .iter()
                .any(|p| !p.left && p.claimed.len() >= to_end);
        let next_seat = self.next_active_seat(seat);
        let round_over = next_seat <= seat;
        let turn = Event::TurnEnded {
            seat,
            next_seat,
            round: if round_over {
                self.round + 1
            } else {
                self.round
            },
            end_triggered,
        };
        self.apply_mut(&turn);
        events.push(turn);
        if end_triggered && round_over {
            events.push(Event::GameEnded {
                scores: self.scores(),
                winner: self.leader(),
                reason: EndReason::PointCards,
            });
        }
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

    /// Folds one event into the state (consuming and returning it).
    #[must_use]
    pub fn apply(mut self, event: &Event) -> Game {
        self.apply_mut(event);
        self
    }

    /// Folds one event into the state in place. Checks nothing: the event already happened.
    pub fn apply_mut(&mut self, event: &Event) {
        self.version += 1;
        match event {
            Event::GameCreated { rules, hidden, .. } => {
                *self = Game {
                    version: self.version,
                    status: GameStatus::Waiting,
                    rules: Some(*rules),
                    hidden: hidden.clone(),
                    ..Game::default()
                };
            }
            Event::PlayerJoined {
                seat,
                player_id,
                name,
                bot,
            } => {
                let at = self.players.partition_point(|p| p.seat < *seat);
                self.players.insert(
                    at,
                    PlayerState {
                        seat: *seat,
                        player_id: player_id.clone(),
                        name: name.clone(),
                        left: false,
                        caravan: Spices::EMPTY,
                        hand: Vec::new(),
                        played: Vec::new(),
                        claimed: Vec::new(),
                        gold: 0,
                        silver: 0,
                        bot: *bot,
                        timeouts: 0,
                    },
                );
            }
            Event::PlayerLeft {
                seat, forfeited, ..
            } => {
                if *forfeited {
                    if let Some(p) = self.player_mut(*seat) {
                        p.left = true;
                    }
                } else {
                    self.players.retain(|p| p.seat != *seat);
                }
            }
            Event::GameStarted {
                merchant_row,
                point_row,
                gold,
                silver,
                caravans,
                first_seat,
            } => {
                self.merchant_row = merchant_row
                    .iter()
                    .map(|&card| MerchantSlot {
                        card,
                        cubes: Spices::EMPTY,
                    })
                    .collect();
                self.point_row = point_row.clone();
                self.merchant_drawn = merchant_row.len();
                self.point_drawn = point_row.len();
                self.gold = *gold;
                self.silver = *silver;
                for p in &mut self.players {
                    p.caravan = caravans
                        .get(usize::from(p.seat))
                        .copied()
                        .unwrap_or_default();
                    p.hand = vec![MerchantCardId::CREATE_2, MerchantCardId::UPGRADE_2];
                }
                self.status = GameStatus::Active;
                self.current = *first_seat;
                self.round = 1;
            }
            Event::CardPlayed {
                seat,
                card_id,
                gained,
                paid,
                ..
            } => {
                if let Some(p) = self.player_mut(*seat) {
                    p.caravan = p.caravan.saturating_sub(paid).add(gained);
                    if let Some(i) = p.hand.iter().position(|c| c == card_id) {
                        p.hand.remove(i);
                    }
                    p.played.push(*card_id);
                    p.timeouts = 0;
                }
                self.acted = true;
            }
            Event::ItemAcquired {
                seat,
                slot,
                card_id,
                payment,
                cubes_taken,
                revealed,
            } => {
                for (slot, &spice) in self.merchant_row.iter_mut().zip(payment) {
                    slot.cubes.add_one(spice);
                }
                let slot = usize::from(*slot);
                if slot < self.merchant_row.len() {
                    self.merchant_row.remove(slot);
                }
                if let Some(card) = revealed {
                    self.merchant_row.push(MerchantSlot {
                        card: *card,
                        cubes: Spices::EMPTY,
                    });
                    self.merchant_drawn += 1;
                }
                if let Some(p) = self.player_mut(*seat) {
                    for &spice in payment {
                        p.caravan.remove_one(spice);
                    }
                    p.caravan = p.caravan.add(cubes_taken);
                    p.hand.push(*card_id);
                    p.timeouts = 0;
                }
                self.acted = true;
            }
            Event::PlayerRested { seat, .. } => {
                if let Some(p) = self.player_mut(*seat) {
                    let mut played = std::mem::take(&mut p.played);
                    p.hand.append(&mut played);
                    p.played = played;
                    p.timeouts = 0;
                }
                self.acted = true;
            }
            Event::ClaimCompleted {
                seat,
                slot,
                card_id,
                paid,
                coin,
                revealed,
                ..
            } => {
                let slot = usize::from(*slot);
                if slot < self.point_row.len() {
                    self.point_row.remove(slot);
                }
                if let Some(card) = revealed {
                    self.point_row.push(*card);
                    self.point_drawn += 1;
                }
                match coin {
                    Some(Coin::Gold) => self.gold = self.gold.saturating_sub(1),
                    Some(Coin::Silver) => self.silver = self.silver.saturating_sub(1),
                    None => {}
                }
                if let Some(p) = self.player_mut(*seat) {
                    p.caravan = p.caravan.saturating_sub(paid);
                    p.claimed.push(*card_id);
                    p.timeouts = 0;
                    match coin {
                        Some(Coin::Gold) => p.gold += 1,
                        Some(Coin::Silver) => p.silver += 1,
                        None => {}
                    }
                }
                self.acted = true;
            }
            Event::SpicesDiscarded { seat, spices } => {
                if let Some(p) = self.player_mut(*seat) {
                    p.caravan = p.caravan.saturating_sub(spices);
                }
            }
            Event::TurnTimedOut { seat, consecutive } => {
                if let Some(p) = self.player_mut(*seat) {
                    p.timeouts = *consecutive;
                }
            }
            Event::TurnEnded {
                next_seat,
                round,
                end_triggered,
                ..
            } => {
                self.current = *next_seat;
                self.round = *round;
                self.end_triggered = *end_triggered;
                self.acted = false;
            }
            Event::GameEnded { winner, reason, .. } => {
                self.status = GameStatus::Finished;
                self.winner = *winner;
                self.end_reason = Some(*reason);
                self.acted = false;
            }
        }
    }

    fn player_mut(&mut self, seat: Seat) -> Option<&mut PlayerState> {
        // Once the game runs every seat is filled and players[seat] is that seat: the fast path.
        let i = usize::from(seat);
        if self.players.get(i).is_some_and(|p| p.seat == seat) {
            return self.players.get_mut(i);
        }
        self.players.iter_mut().find(|p| p.seat == seat)
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

/// The events of playing `card_id` from `player`'s hand, or the rule it breaks.
fn decide_play(
    seat: Seat,
    player: &PlayerState,
    card_id: MerchantCardId,
    upgrades: &[Spice],
    times: u32,
) -> Result<Event, RuleViolation> {
    if !player.hand.contains(&card_id) {
        return Err(RuleViolation::CardNotInHand { card: card_id });
    }
    let caravan = player.caravan;
    let (paid, gained) = match merchant(card_id).kind {
        MerchantKind::Spice { gain } => {
            if !upgrades.is_empty() || times != 1 {
                return Err(RuleViolation::InvalidCommand {
                    reason: "a spice card takes no upgrade steps and no times",
                });
            }
            (Spices::EMPTY, gain)
        }
        MerchantKind::Upgrade { steps } => {
            if times != 1 {
                return Err(RuleViolation::InvalidCommand {
                    reason: "an upgrade card takes no times",
                });
            }
            let after = upgrade_caravan(caravan, upgrades, steps)?;
            (
                caravan.saturating_sub(&after),
                after.saturating_sub(&caravan),
            )
        }
        MerchantKind::Trade { input, output } => {
            if !upgrades.is_empty() {
                return Err(RuleViolation::InvalidCommand {
                    reason: "a trade card takes no upgrade steps",
                });
            }
            let max = caravan.fits(&input).unwrap_or(0);
            if times == 0 {
                return Err(RuleViolation::InvalidTimes { times, max });
            }
            if max == 0 {
                return Err(RuleViolation::CannotAfford {
                    needed: input,
                    have: caravan,
                });
            }
            if times > max {
                return Err(RuleViolation::InvalidTimes { times, max });
            }
            (input.times(times), output.times(times))
        }
    };
    Ok(Event::CardPlayed {
        seat,
        card_id,
        gained,
        paid,
        times,
        upgrades: upgrades.to_vec(),
    })
}

/// The caravan after raising one cube of each listed colour by one level, in order.
pub(super) fn upgrade_caravan(
    mut caravan: Spices,
    steps: &[Spice],
    max_steps: u8,
) -> Result<Spices, RuleViolation> {
    if steps.len() > usize::from(max_steps) {
        return Err(RuleViolation::InvalidUpgrade {
            reason: "more steps than the card allows",
        });
    }
    for &spice in steps {
        let Some(up) = spice.upgraded() else {
            return Err(RuleViolation::InvalidUpgrade {
                reason: "brown cannot be upgraded",
            });
        };
        if !caravan.remove_one(spice) {
            return Err(RuleViolation::InvalidUpgrade {
                reason: "no cube of that colour to upgrade",
            });
        }
        caravan.add_one(up);
    }
    Ok(caravan)
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

fn has_duplicates<T: Ord + Copy>(items: &[T]) -> bool {
    let mut sorted = items.to_vec();
    sorted.sort_unstable();
    sorted.windows(2).any(|w| w[0] == w[1])
}

/// A deck in draw order: the scenario's cards first, then every other card shuffled.
fn stacked_deck<T: PartialEq + Copy>(
    rng: &mut Rng,
    first: &[T],
    all: impl Iterator<Item = T>,
) -> Vec<T> {
    let mut rest: Vec<T> = all.filter(|c| !first.contains(c)).collect();
    rng.shuffle(&mut rest);
    let mut deck = first.to_vec();
    deck.extend(rest);
    deck
}

#[cfg(test)]
mod tests;
