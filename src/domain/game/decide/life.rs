//! The decisions about a game's life around its turns: creation (rules checked, decks stacked),
//! seats taken by people and computer players, the start, a player leaving, the turn clock running
//! out, and a waiting game expiring.

use crate::domain::cards::{
    deck_merchant_ids, point_ids, MERCHANT_ROW_SIZE, POINT_CARDS, POINT_ROW_SIZE,
};
use crate::domain::commands::{Actor, Scenario};
use crate::domain::errors::RuleViolation;
use crate::domain::events::{EndReason, Event, HiddenSetup};
use crate::domain::names::{normalize_name, same_name};
use crate::domain::rng::Rng;
use crate::domain::rules::{
    BotLevel, PlayerId, Rules, Seat, MAX_CARAVAN_CAPACITY, MAX_PLAYERS, MAX_TIMEOUTS_TO_FORFEIT,
    MAX_TURN_SECONDS, MIN_CARAVAN_CAPACITY, MIN_PLAYERS, MIN_TURN_SECONDS, STARTING_CARAVANS,
};
use crate::domain::spices::Spices;

use super::super::{lowest_cubes, Game, GameStatus};

impl Game {
    pub(super) fn decide_create(
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

    pub(super) fn decide_join(
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

    pub(super) fn decide_leave(&self, actor: &Actor) -> Result<Vec<Event>, RuleViolation> {
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
    pub(super) fn decide_time_out(
        &self,
        actor: &Actor,
        seat: Seat,
    ) -> Result<Vec<Event>, RuleViolation> {
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

    pub(super) fn decide_expire(&self, actor: &Actor) -> Result<Vec<Event>, RuleViolation> {
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
}

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
