//! Computer players: how a seat held by the computer chooses its move.
//!
//! A computer player sees exactly what a person at its seat sees: [`choose`] takes a
//! [`SeatView`], which only [`Game::seat_view`] makes, from [`Game::view`] for that seat. The
//! deck order and the seed are not in it, so no level can peek at them; where a level wants to
//! look ahead it plays on a [`Game`] rebuilt from the view, with the unseen cards of each deck
//! shuffled from its own seed (a sample of what the deck could be, never what it is).
//!
//! Levels ([`BotLevel`]):
//! - `easy`: a uniformly random legal move;
//! - `greedy`: the legal move whose immediate result is best for its own score and cubes (one ply);
//! - `strong`: plans its next turns toward the point cards on the row. It searches its own
//!   plays and rests (and one acquire now) a few turns deep for the soonest caravan that pays
//!   for each point card, values each plan by the card's points and coin discounted per turn,
//!   plus the engine its hand makes, and plays the first move of the best plan. On its last turn
//!   (the end triggered) it plays for the immediate score.
//!
//! Everything here is deterministic for a given view and seed.

use std::collections::HashMap;

use super::cards::{
    deck_merchant_ids, merchant, point, point_ids, MerchantCardId, MerchantKind, PointCardId,
};
use super::commands::Command;
use super::events::HiddenSetup;
use super::game::{lowest_cubes, Game, GameStatus, MerchantSlot, PlayerState};
use super::legal::upgrade_patterns;
use super::rng::Rng;
use super::rules::{BotLevel, Coin, Seat};
use super::spices::Spices;
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
    let mut legal = game.legal_commands(seat);
    if legal.is_empty() {
        return None;
    }
    if let Some(owed) = view.view.awaiting_discard {
        // Every level keeps its most valuable cubes.
        let caravan = game.player(seat)?.caravan;
        return Some(Command::Discard {
            spices: lowest_cubes(caravan, owed),
        });
    }
    match level {
        BotLevel::Easy => {
            let i = rng.below(legal.len() as u64) as usize;
            Some(legal.swap_remove(i))
        }
        BotLevel::Greedy => {
            // Where no move improves the position, any move will do: a random one (so that two
            // greedy players never circle for ever).
            let now = greedy_value(&game, seat);
            let best = best_by(&game, seat, legal.clone(), &mut rng, greedy_value)?;
            let gains = after(&game, seat, &best).is_some_and(|g| greedy_value(&g, seat) > now);
            if gains {
                Some(best)
            } else {
                let i = rng.below(legal.len() as u64) as usize;
                Some(legal.swap_remove(i))
            }
        }
        BotLevel::Strong => {
            if game.end_triggered() {
                // The last turn: only the score counts now.
                return best_by(&game, seat, legal, &mut rng, |g, s| f64::from(score(g, s)));
            }
            Some(Planner::new(&game, seat).best(legal))
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
fn after(game: &Game, seat: Seat, command: &Command) -> Option<Game> {
    let id = game.player(seat)?.player_id.clone();
    let events = game.decide(&Actor::Player(id), command).ok()?;
    let mut next = game.clone();
    for e in &events {
        next.apply_mut(e);
    }
    Some(next)
}

fn score(game: &Game, seat: Seat) -> u16 {
    game.scores()
        .iter()
        .find(|s| s.seat == seat)
        .map_or(0, |s| s.total)
}

/// Greedy's measure of a position: its score, then the value of its cubes.
fn greedy_value(game: &Game, seat: Seat) -> f64 {
    let cubes = game.player(seat).map_or(0, |p| p.caravan.weighted_value());
    f64::from(score(game, seat)) + 0.25 * f64::from(cubes)
}

/// The command whose result `value` rates highest (ties broken at random).
fn best_by(
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

struct Planner<'a> {
    game: &'a Game,
    seat: Seat,
    capacity: u16,
    weights: Weights,
}

impl<'a> Planner<'a> {
    fn new(game: &'a Game, seat: Seat) -> Planner<'a> {
        Planner {
            game,
            seat,
            capacity: game.rules().map_or(10, |r| r.caravan_capacity),
            weights: WEIGHTS,
        }
    }

    /// The legal command with the best plan behind it.
    fn best(&self, legal: Vec<Command>) -> Command {
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
                        super::game::upgrade_caravan(caravan, upgrades, steps).unwrap_or(caravan)
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
        // The shallowest root index and depth of every position seen.
        let mut seen: HashMap<Plan, ()> = HashMap::with_capacity(w.max_nodes);
        let mut frontier: Vec<(Plan, usize)> = Vec::new();
        for (i, (plan, _)) in roots.iter().enumerate() {
            best[i] += self.value(plan, targets, 0);
            if seen.insert(*plan, ()).is_none() {
                frontier.push((*plan, i));
            }
        }
        for turn in 1..=depth {
            let mut next = Vec::new();
            for (plan, root) in frontier {
                for child in self.moves(&plan) {
                    if seen.len() >= w.max_nodes {
                        break;
                    }
                    if seen.insert(child, ()).is_some() {
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

    /// Every planning position one own turn (play or rest) away.
    fn moves(&self, plan: &Plan) -> Vec<Plan> {
        let mut out = Vec::new();
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
                    for steps_taken in upgrade_patterns(plan.caravan, steps).into_iter().skip(1) {
                        if let Ok(c) =
                            super::game::upgrade_caravan(plan.caravan, &steps_taken, steps)
                        {
                            out.push(played(c));
                        }
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
        out
    }
}

/// What one seat of a match is played by.
pub type Lineup = Vec<BotLevel>;

/// The result of one game between computer players.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatchResult {
    /// The winning seat (`None` if the game did not finish).
    pub winner: Option<Seat>,
    /// Each seat's final total, in seat order.
    pub scores: Vec<u16>,
    /// Turn actions played.
    pub moves: usize,
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
            player_id: super::PlayerId(format!("cpu-{seat}")),
            name: level.to_string(),
            level: *level,
        };
        step(&mut game, &Actor::System, &add);
    }
    let mut moves = 0;
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
        let id = super::PlayerId(format!("cpu-{seat}"));
        if !step(&mut game, &Actor::Player(id), &command) {
            break;
        }
        moves += 1;
    }
    MatchResult {
        winner: game.winner(),
        scores: game.scores().iter().map(|s| s.total).collect(),
        moves,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testkit::*;

    #[test]
    fn every_level_sends_only_moves_the_rules_accept_and_finishes_games() {
        for level in BotLevel::ALL {
            for seed in 0..3 {
                let result = play_match(&[level, level], seed, 2_000, |_, f| f());
                assert!(result.winner.is_some(), "{level} seed {seed}: {result:?}");
            }
        }
    }

    #[test]
    fn a_computer_player_decides_the_same_whatever_the_hidden_deck_order() {
        // Two games alike in everything public, with different (hidden) deck orders beyond the rows.
        let setup = |point_deck: Vec<&'static str>| Setup {
            seed: 1,
            merchant_deck: vec!["M01", "M02", "M03", "M04", "M05", "M06"],
            point_deck,
            ..Setup::default()
        };
        let row = vec!["P01", "P02", "P03", "P04", "P05"];
        let mut other = row.clone();
        other.extend(["P36", "P35", "P34"]);
        let a = Table::with(2, setup(row));
        let b = Table::with(
            2,
            Setup {
                seed: 2,
                ..setup(other)
            },
        );
        assert_eq!(
            a.game.seat_view(0),
            b.game.seat_view(0),
            "the views are equal"
        );
        for level in BotLevel::ALL {
            for seed in 0..5 {
                assert_eq!(
                    choose(&a.game.seat_view(0), level, seed),
                    choose(&b.game.seat_view(0), level, seed),
                    "{level}"
                );
            }
        }
    }

    #[test]
    fn a_computer_player_does_nothing_when_it_is_not_its_turn() {
        let table = Table::started(2);
        for level in BotLevel::ALL {
            assert_eq!(choose(&table.game.seat_view(1), level, 0), None);
        }
    }

    #[test]
    fn the_strong_player_claims_a_card_it_can_pay_for() {
        let setup = Setup {
            caravans: Some(vec![sp("YYRRYYYY"), sp("YYYY")]),
            point_deck: vec!["P01"],
            ..Setup::default()
        };
        let table = Table::with(2, setup);
        let cost = point(table.game.point_row()[0]).cost;
        assert!(sp("YYRRYYYY").contains(&cost));
        let command = choose(&table.game.seat_view(0), BotLevel::Strong, 0);
        assert!(
            matches!(command, Some(Command::Claim { .. })),
            "{command:?}"
        );
    }
}
