//! The strong level: plans its next turns toward the point cards on the row.
//!
//! It searches its own plays and rests (and one acquire now) a few turns deep for the soonest
//! caravan that pays for each point card, values each plan by the card's points and coin
//! discounted per turn, plus the engine its hand makes, and plays the first move of the best plan.
//! The search is bounded (`WEIGHTS.max_nodes` positions per decision).

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

use crate::domain::cards::{merchant, point, MerchantCardId, MerchantKind, PointCardId};
use crate::domain::commands::Command;
use crate::domain::game::{lowest_cubes, upgrade_caravan, Game, PlayerState};
use crate::domain::rules::{Coin, Seat};
use crate::domain::spices::{Spice, Spices};

/// How far the strong player looks ahead, and how it weighs what it sees.
#[derive(Clone, Copy, Debug)]
struct Weights {
    /// Own turns searched after the move chosen now.
    depth: usize,
    /// Largest number of positions searched per decision.
    max_nodes: usize,
    /// Value kept per turn of waiting.
    discount: f64,
    /// Worth of one point of cube value (yellow 1 … brown 4) in the caravan.
    cube: f64,
    /// Worth of the engine (net cube value per play of the merchant cards held).
    engine: f64,
    /// Share of the follow-up plan counted after a claim made now.
    after_claim: f64,
}

const WEIGHTS: Weights = Weights {
    depth: 3,
    max_nodes: 12_000,
    discount: 0.8,
    cube: 0.12,
    engine: 0.35,
    after_claim: 0.6,
};

/// A planning position: the seat's own cubes and cards, ignoring everyone else.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Plan {
    caravan: Spices,
    hand: u64,
    played: u64,
}

fn bit(id: MerchantCardId) -> u64 {
    1u64 << id.index()
}

/// Net cube value one play of a card makes (its worth as part of an engine).
fn card_worth(id: MerchantCardId) -> f64 {
    match merchant(id).kind {
        MerchantKind::Spice { gain } => f64::from(gain.weighted_value()),
        MerchantKind::Upgrade { steps } => f64::from(steps),
        MerchantKind::Trade { input, output } => {
            f64::from(output.weighted_value()) - f64::from(input.weighted_value())
        }
    }
}

pub(super) struct Planner<'a> {
    game: &'a Game,
    seat: Seat,
    capacity: u16,
    weights: Weights,
}

impl<'a> Planner<'a> {
    pub(super) fn new(game: &'a Game, seat: Seat) -> Planner<'a> {
        Planner {
            game,
            seat,
            capacity: game.rules().map_or(10, |r| r.caravan_capacity),
            weights: WEIGHTS,
        }
    }

    /// The legal command with the best plan behind it.
    pub(super) fn best(&self, legal: Vec<Command>) -> Command {
        let Some(player) = self.game.player(self.seat) else {
            return legal.into_iter().next().unwrap_or(Command::Rest);
        };
        let targets = self.targets(self.game.point_row(), None);
        let mut roots: Vec<(Plan, f64)> = Vec::with_capacity(legal.len());
        let mut claim_values: Vec<Option<f64>> = Vec::with_capacity(legal.len());
        for command in &legal {
            let (plan, immediate) = self.root(player, command);
            roots.push((plan, immediate));
            claim_values.push(match command {
                Command::Claim { slot } => {
                    let rest = self.targets(self.game.point_row(), Some(usize::from(*slot)));
                    Some(self.search(&[(plan, 0.0)], &rest, self.weights.depth - 1)[0])
                }
                _ => None,
            });
        }
        let plain: Vec<(Plan, f64)> = roots.iter().map(|(p, _)| (*p, 0.0)).collect();
        let futures = self.search(&plain, &targets, self.weights.depth);
        let mut best = 0;
        let mut best_value = f64::MIN;
        for (i, ((_, immediate), future)) in roots.iter().zip(&futures).enumerate() {
            let value = match claim_values[i] {
                Some(after) => immediate + self.weights.after_claim * after,
                None => *future,
            };
            if value > best_value {
                best_value = value;
                best = i;
            }
        }
        legal.into_iter().nth(best).unwrap_or(Command::Rest)
    }

    /// Point cards to plan for: cost and worth (points plus the coin it takes now), leaving out
    /// the slot `skip` (claimed now).
    fn targets(&self, row: &[PointCardId], skip: Option<usize>) -> Vec<(Spices, f64)> {
        row.iter()
            .enumerate()
            .filter(|(slot, _)| Some(*slot) != skip)
            .map(|(slot, &id)| {
                let card = point(id);
                // After a claim the row slides: the coins follow the slots.
                let at = match skip {
                    Some(s) if slot > s => slot - 1,
                    _ => slot,
                };
                let coin = self.game.coin_at(at).map_or(0, Coin::points);
                (card.cost, f64::from(card.points + coin))
            })
            .collect()
    }

    /// The planning position after a legal command, and what it scores at once.
    fn root(&self, player: &PlayerState, command: &Command) -> (Plan, f64) {
        let mut plan = Plan {
            caravan: player.caravan,
            hand: player.hand.iter().fold(0, |m, &c| m | bit(c)),
            played: player.played.iter().fold(0, |m, &c| m | bit(c)),
        };
        let mut immediate = 0.0;
        match command {
            Command::PlayCard {
                card_id,
                upgrades,
                times,
            } => {
                let caravan = plan.caravan;
                plan.caravan = match merchant(*card_id).kind {
                    MerchantKind::Spice { gain } => caravan.add(&gain),
                    MerchantKind::Upgrade { steps } => {
                        upgrade_caravan(caravan, upgrades, steps).unwrap_or(caravan)
                    }
                    MerchantKind::Trade { input, output } => caravan
                        .saturating_sub(&input.times(*times))
                        .add(&output.times(*times)),
                };
                plan.hand &= !bit(*card_id);
                plan.played |= bit(*card_id);
            }
            Command::Acquire { slot, payment } => {
                if let Some(target) = self.game.merchant_row().get(usize::from(*slot)) {
                    plan.caravan = plan
                        .caravan
                        .saturating_sub(&Spices::from_list(payment))
                        .add(&target.cubes);
                    plan.hand |= bit(target.card);
                    // An engine card is worth more the longer the game will last.
                    immediate += self.weights.engine * card_worth(target.card).max(0.0);
                }
            }
            Command::Rest => {
                plan.hand |= plan.played;
                plan.played = 0;
            }
            Command::Claim { slot } => {
                if let Some(&id) = self.game.point_row().get(usize::from(*slot)) {
                    let card = point(id);
                    plan.caravan = plan.caravan.saturating_sub(&card.cost);
                    let coin = self
                        .game
                        .coin_at(usize::from(*slot))
                        .map_or(0, Coin::points);
                    immediate += f64::from(card.points + coin);
                }
            }
            Command::Discard { spices } => plan.caravan = plan.caravan.saturating_sub(spices),
            _ => {}
        }
        plan.caravan = self.capped(plan.caravan);
        (plan, immediate)
    }

    fn capped(&self, caravan: Spices) -> Spices {
        let total = caravan.total();
        if total > self.capacity {
            caravan.saturating_sub(&lowest_cubes(caravan, total - self.capacity))
        } else {
            caravan
        }
    }

    /// For each root position (with a bonus), the best value reachable in `depth` more own turns.
    fn search(&self, roots: &[(Plan, f64)], targets: &[(Spices, f64)], depth: usize) -> Vec<f64> {
        let w = self.weights;
        let mut best: Vec<f64> = roots.iter().map(|(_, bonus)| *bonus).collect();
        // Every position seen, reached first (at its shallowest) from one root.
        let mut seen: Seen = Seen::with_capacity_and_hasher(w.max_nodes, Default::default());
        let mut frontier: Vec<(Plan, usize)> = Vec::new();
        let mut children = Vec::new();
        for (i, (plan, _)) in roots.iter().enumerate() {
            best[i] += self.value(plan, targets, 0);
            if seen.insert(*plan) {
                frontier.push((*plan, i));
            }
        }
        'search: for turn in 1..=depth {
            let mut next = Vec::new();
            for (plan, root) in frontier {
                self.moves(&plan, &mut children);
                for &child in &children {
                    if seen.len() >= w.max_nodes {
                        // The budget is spent: nothing more is looked at.
                        break 'search;
                    }
                    if !seen.insert(child) {
                        continue;
                    }
                    let v = self.value(&child, targets, turn);
                    if v > best[root] {
                        best[root] = v;
                    }
                    next.push((child, root));
                }
            }
            frontier = next;
        }
        best
    }

    /// The worth of a position reached after `turn` more own turns: the best point card it pays
    /// for (claimed the turn after, discounted), or else what its cubes and cards are worth.
    fn value(&self, plan: &Plan, targets: &[(Spices, f64)], turn: usize) -> f64 {
        let w = self.weights;
        let discount = w.discount.powi(turn as i32 + 1);
        let claim = targets
            .iter()
            .filter(|(cost, _)| plan.caravan.contains(cost))
            .map(|(_, worth)| *worth)
            .fold(0.0, f64::max);
        let cubes = w.cube * f64::from(plan.caravan.weighted_value());
        discount * (claim + cubes)
    }

    /// Every planning position one own turn (play or rest) away, into `out` (emptied first).
    fn moves(&self, plan: &Plan, out: &mut Vec<Plan>) {
        out.clear();
        let mut hand = plan.hand;
        while hand != 0 {
            let index = hand.trailing_zeros() as usize;
            hand &= hand - 1;
            let Some(id) = MerchantCardId::from_index(index) else {
                continue;
            };
            let played = |caravan: Spices| Plan {
                caravan: self.capped(caravan),
                hand: plan.hand & !bit(id),
                played: plan.played | bit(id),
            };
            match merchant(id).kind {
                MerchantKind::Spice { gain } => out.push(played(plan.caravan.add(&gain))),
                MerchantKind::Upgrade { steps } => {
                    for c in upgraded(plan.caravan, steps) {
                        out.push(played(c));
                    }
                }
                MerchantKind::Trade { input, output } => {
                    let max = plan.caravan.fits(&input).unwrap_or(0);
                    for times in 1..=max {
                        out.push(played(
                            plan.caravan
                                .saturating_sub(&input.times(times))
                                .add(&output.times(times)),
                        ));
                    }
                }
            }
        }
        if plan.played != 0 {
            out.push(Plan {
                caravan: plan.caravan,
                hand: plan.hand | plan.played,
                played: 0,
            });
        }
    }
}

/// Every caravan one to `steps` single-level upgrades (yellow to red, red to green, green to
/// brown) make from `caravan`, each once: what the upgrade card can do, but for playing it with
/// no step.
fn upgraded(caravan: Spices, steps: u8) -> Vec<Spices> {
    let mut out: Vec<Spices> = Vec::new();
    let mut layer = vec![caravan];
    for _ in 0..steps {
        let mut next = Vec::new();
        for c in &layer {
            for spice in [Spice::Yellow, Spice::Red, Spice::Green] {
                let Some(up) = spice.upgraded() else { continue };
                if c.get(spice) == 0 {
                    continue;
                }
                let mut u = *c;
                u.remove_one(spice);
                u.add_one(up);
                if !out.contains(&u) {
                    out.push(u);
                    next.push(u);
                }
            }
        }
        layer = next;
    }
    out
}

/// The positions one search has seen.
type Seen = HashSet<Plan, BuildHasherDefault<PlanHasher>>;

/// A fast hasher for planning positions (a handful of integers, hashed millions of times per
/// second; not exposed to anything a client sends, so no defence against chosen collisions is
/// needed).
#[derive(Default)]
struct PlanHasher(u64);

impl Hasher for PlanHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u16(&mut self, n: u16) {
        self.write_u64(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}
