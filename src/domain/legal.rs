//! Legal moves: what the seat to move may do now, as hints for clients and as a finite list of
//! commands for bots and property tests.
//!
//! Both come from the rules in [`Game::decide`]: every command listed here is accepted by it.
//! The list is complete up to equivalence: upgrade patterns that end in the same caravan are
//! listed once, each acquirable slot is listed with a payment of the cheapest cubes (and the
//! dearest, when different), and a discard is offered in a few ways (cheapest cubes first,
//! dearest first, and each colour first).

use super::cards::{merchant, point, MerchantKind};
use super::commands::Command;
use super::game::{upgrade_caravan, Game, GameStatus, PlayerState};
use super::rules::Seat;
use super::spices::{Spice, Spices};
use super::view::{LegalHints, PlayableHint};

impl Game {
    /// The player at `seat` if it is that seat's turn in a running game.
    fn mover(&self, seat: Seat) -> Option<&PlayerState> {
        if self.status != GameStatus::Active || self.current != seat {
            return None;
        }
        self.player(seat).filter(|p| !p.left)
    }

    /// What `seat` may do now, if it is that seat's turn.
    pub fn legal_hints(&self, seat: Seat) -> Option<LegalHints> {
        let player = self.mover(seat)?;
        if let Some(owed) = self.awaiting_discard() {
            return Some(LegalHints {
                discard_owed: Some(owed),
                ..LegalHints::default()
            });
        }
        let caravan = player.caravan;
        let playable = player
            .hand
            .iter()
            .filter_map(|&id| {
                let card = merchant(id);
                let (max_times, upgrade_steps) = match card.kind {
                    MerchantKind::Spice { .. } => (None, None),
                    MerchantKind::Upgrade { steps } => (None, Some(steps)),
                    MerchantKind::Trade { input, .. } => {
                        let max = caravan.fits(&input).unwrap_or(0);
                        if max == 0 {
                            return None;
                        }
                        (Some(max), None)
                    }
                };
                Some(PlayableHint {
                    card_id: id,
                    kind: card.kind.kind(),
                    max_times,
                    upgrade_steps,
                })
            })
            .collect();
        Some(LegalHints {
            playable,
            acquirable: self.acquirable_slots(caravan).collect(),
            claimable: self.claimable_slots(caravan).collect(),
            can_rest: !player.played.is_empty(),
            discard_owed: None,
        })
    }

    fn acquirable_slots(&self, caravan: Spices) -> impl Iterator<Item = u8> + '_ {
        (0..self.merchant_row.len())
            .filter(move |&slot| usize::from(caravan.total()) >= slot)
            .map(|slot| slot as u8)
    }

    fn claimable_slots(&self, caravan: Spices) -> impl Iterator<Item = u8> + '_ {
        self.point_row
            .iter()
            .enumerate()
            .filter(move |(_, &id)| caravan.contains(&point(id).cost))
            .map(|(slot, _)| slot as u8)
    }

    /// Every legal command for `seat` (empty when it is not that seat's turn).
    ///
    /// Each is accepted by `decide`. Plays: every spice card; every trade with each `times`
    /// from 1 to the most affordable; every upgrade pattern up to the card's steps, one per
    /// resulting caravan. Then every affordable acquire, rest when something was played, every
    /// affordable claim. While a discard is owed, only discards are listed.
    pub fn legal_commands(&self, seat: Seat) -> Vec<Command> {
        let Some(player) = self.mover(seat) else {
            return Vec::new();
        };
        let caravan = player.caravan;
        if let Some(owed) = self.awaiting_discard() {
            return discard_options(caravan, owed)
                .into_iter()
                .map(|spices| Command::Discard { spices })
                .collect();
        }
        let mut commands = Vec::new();
        for &card_id in &player.hand {
            match merchant(card_id).kind {
                MerchantKind::Spice { .. } => commands.push(Command::PlayCard {
                    card_id,
                    upgrades: Vec::new(),
                    times: 1,
                }),
                MerchantKind::Upgrade { steps } => {
                    for upgrades in upgrade_patterns(caravan, steps) {
                        commands.push(Command::PlayCard {
                            card_id,
                            upgrades,
                            times: 1,
                        });
                    }
                }
                MerchantKind::Trade { input, .. } => {
                    let max = caravan.fits(&input).unwrap_or(0);
                    for times in 1..=max {
                        commands.push(Command::PlayCard {
                            card_id,
                            upgrades: Vec::new(),
                            times,
                        });
                    }
                }
            }
        }
        let cheapest_first = caravan.to_list();
        for slot in self.acquirable_slots(caravan) {
            let n = usize::from(slot);
            let cheap = cheapest_first[..n].to_vec();
            let dear: Vec<Spice> = cheapest_first.iter().rev().take(n).copied().collect();
            let differ = Spices::from_list(&cheap) != Spices::from_list(&dear);
            commands.push(Command::Acquire {
                slot,
                payment: cheap,
            });
            if differ {
                commands.push(Command::Acquire {
                    slot,
                    payment: dear,
                });
            }
        }
        if !player.played.is_empty() {
            commands.push(Command::Rest);
        }
        for slot in self.claimable_slots(caravan) {
            commands.push(Command::Claim { slot });
        }
        commands
    }
}

/// Every distinct outcome of an upgrade of up to `steps` steps, each as one step sequence
/// (the empty sequence first).
pub fn upgrade_patterns(caravan: Spices, steps: u8) -> Vec<Vec<Spice>> {
    fn walk(
        caravan: Spices,
        path: &mut Vec<Spice>,
        left: u8,
        seen: &mut Vec<Spices>,
        out: &mut Vec<Vec<Spice>>,
    ) {
        if !seen.contains(&caravan) {
            seen.push(caravan);
            out.push(path.clone());
        }
        if left == 0 {
            return;
        }
        for spice in [Spice::Yellow, Spice::Red, Spice::Green] {
            if let Ok(next) = upgrade_caravan(caravan, &[spice], 1) {
                path.push(spice);
                walk(next, path, left - 1, seen, out);
                path.pop();
            }
        }
    }
    let mut seen = Vec::new();
    let mut out = Vec::new();
    walk(caravan, &mut Vec::new(), steps, &mut seen, &mut out);
    out
}

/// A few ways to discard exactly `owed` cubes: cheapest first, dearest first, and each colour
/// first (then cheapest), without repeats.
pub fn discard_options(caravan: Spices, owed: u16) -> Vec<Spices> {
    let mut orders: Vec<Vec<Spice>> = vec![
        Spice::ALL.to_vec(),
        Spice::ALL.iter().rev().copied().collect(),
    ];
    for first in Spice::ALL {
        let mut order = vec![first];
        order.extend(Spice::ALL.iter().filter(|&&s| s != first));
        orders.push(order);
    }
    let mut options: Vec<Spices> = Vec::new();
    for order in orders {
        let mut left = owed;
        let mut discard = Spices::EMPTY;
        for spice in order {
            let take = left.min(caravan.get(spice));
            discard = discard.add(&Spices::of(spice, take));
            left -= take;
        }
        if left == 0 && !options.contains(&discard) {
            options.push(discard);
        }
    }
    options
}
