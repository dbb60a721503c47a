//! [`Game::apply`]: folding one event into the state. It checks nothing (the event already
//! happened) and never fails on a history that `decide` produced.

use crate::domain::cards::MerchantCardId;
use crate::domain::events::Event;
use crate::domain::rules::{Coin, Seat};
use crate::domain::spices::Spices;

use super::{Game, GameStatus, MerchantSlot, PlayerState};

impl Game {
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
}
