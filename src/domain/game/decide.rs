//! [`Game::decide`]: every business rule. Given the state, an actor and a command, the events that
//! happen, or the [`RuleViolation`] that forbids the command; the state never changes.
//!
//! This file dispatches the commands and decides the turn's actions (play, acquire, rest, claim,
//! discard) and the passing of the turn; `decide/life.rs` decides the game's life around the turns
//! (creation, seats, the start, leaving, timeouts, expiry).

use crate::domain::cards::{merchant, point, MerchantCardId, MerchantKind};
use crate::domain::commands::{Actor, Command};
use crate::domain::errors::RuleViolation;
use crate::domain::events::{EndReason, Event};
use crate::domain::rules::{Rules, Seat};
use crate::domain::spices::{Spice, Spices};

use super::{Game, GameStatus, PlayerState};

mod life;

impl Game {
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
pub(in crate::domain) fn upgrade_caravan(
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
