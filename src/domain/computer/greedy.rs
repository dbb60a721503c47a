//! The greedy level: one ply. It rates the result of each legal move by a measure of the position
//! (points held, how near its cubes are to the nearest point card, then the cubes' worth) and
//! plays the best, ties broken at random. Its discards keep the cubes that go towards that card.

use super::best_by;
use crate::domain::cards::{point, PointCardId};
use crate::domain::commands::Command;
use crate::domain::game::{lowest_cubes, Game};
use crate::domain::rng::Rng;
use crate::domain::rules::Seat;
use crate::domain::spices::{Spice, Spices};

/// Greedy's move: the legal move whose result it rates best, looking one move ahead (ties broken
/// at random).
pub(super) fn greedy(
    game: &Game,
    seat: Seat,
    legal: Vec<Command>,
    rng: &mut Rng,
) -> Option<Command> {
    best_by(game, seat, legal, rng, greedy_value)
}

/// Greedy's measure of a position: the points it holds (cards and coins), how near its cubes are
/// to paying for the nearest point card on the row, and a little for the cubes themselves. On its
/// last turn (the end triggered) only the score counts.
fn greedy_value(game: &Game, seat: Seat) -> f64 {
    let Some(player) = game.player(seat) else {
        return 0.0;
    };
    let mut caravan = player.caravan;
    if let Some(owed) = game.awaiting_discard() {
        caravan = caravan.saturating_sub(&discard_toward(caravan, owed, game.point_row()));
    }
    let held = game.scores().into_iter().find(|s| s.seat == seat);
    let points = held.map_or(0, |s| s.total - s.cubes);
    if game.end_triggered() {
        return f64::from(points + caravan.score_value());
    }
    let nearest = nearest_claim(caravan, game.point_row()).map_or(0, |(steps, _)| steps);
    f64::from(points) - f64::from(nearest) + 0.1 * f64::from(caravan.weighted_value())
}

/// The point card on `row` that `caravan` is nearest to paying for: its shortfall (see
/// [`shortfall`]) and the cubes of the caravan that would go towards it.
fn nearest_claim(caravan: Spices, row: &[PointCardId]) -> Option<(u16, Spices)> {
    row.iter()
        .map(|&id| shortfall(caravan, &point(id).cost))
        .min_by_key(|(steps, _)| *steps)
}

/// How far `caravan` is from paying `cost`: the fewest single steps (gain a yellow cube, or
/// upgrade a cube one level) that would make it hold the cost, and the cubes it already has that
/// would be used (each colour of the cost from its own cubes first, then from the nearest lower
/// colour).
pub(super) fn shortfall(caravan: Spices, cost: &Spices) -> (u16, Spices) {
    let mut have = Spice::ALL.map(|s| caravan.get(s));
    let mut used = Spices::EMPTY;
    let mut steps = 0;
    for (level, spice) in Spice::ALL.iter().enumerate().rev() {
        let mut need = cost.get(*spice);
        for from in (0..=level).rev() {
            let take = need.min(have[from]);
            have[from] -= take;
            need -= take;
            steps += take * (level - from) as u16;
            used = used.add(&Spices::of(Spice::ALL[from], take));
        }
        steps += need * (level as u16 + 1);
    }
    (steps, used)
}

/// `owed` cubes to discard that keep the caravan as near as it can be to the nearest point card:
/// the cheapest cubes that do not go towards it first, then the cheapest of the rest.
pub(super) fn discard_toward(caravan: Spices, owed: u16, row: &[PointCardId]) -> Spices {
    let keep = nearest_claim(caravan, row).map_or(Spices::EMPTY, |(_, used)| used);
    let spare = caravan.saturating_sub(&keep);
    let first = lowest_cubes(spare, owed.min(spare.total()));
    let rest = owed - first.total();
    first.add(&lowest_cubes(caravan.saturating_sub(&first), rest))
}
