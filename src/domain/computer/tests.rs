//! Tests of the computer players.

use super::*;
use crate::domain::cards::point;
use crate::domain::spices::Spices;
use crate::domain::testkit::*;

/// Rounds within which every game between computer players must end, whatever their levels.
///
/// The arena's figures (BENCHMARKS.md, "How long games between computer players last"): over
/// 1,000 seeded games of each pair of levels and 100 of every other mix, 2 to 5 players, the
/// longest game lasted 112 rounds (two easy players; their p99 was 102), and no game with a
/// greedy or strong player lasted more than 66. The bound leaves a third more than the longest
/// game seen; players that circle without claiming (the defect this guards against reached
/// thousands of turns) are far beyond it.
const MAX_ROUNDS: u32 = 150;

/// Every mix of levels (a multiset) for `players` seats, each listed weakest first.
fn mixes(players: usize) -> Vec<Vec<BotLevel>> {
    let mut out: Vec<Vec<BotLevel>> = vec![Vec::new()];
    for _ in 0..players {
        out = out
            .into_iter()
            .flat_map(|mix| {
                let from = mix.last().map_or(0, |l| {
                    BotLevel::ALL.iter().position(|x| x == l).unwrap_or(0)
                });
                BotLevel::ALL[from..].iter().map(move |&level| {
                    let mut longer = mix.clone();
                    longer.push(level);
                    longer
                })
            })
            .collect();
    }
    out
}

/// Plays `seeds` games of `mix` (the seats turned by one each game) and checks that each ends,
/// with a winner, no refused command and within [`MAX_ROUNDS`].
fn each_game_ends(mix: &[BotLevel], seeds: u64) {
    for seed in 0..seeds {
        let mut lineup = mix.to_vec();
        lineup.rotate_left(seed as usize % mix.len());
        // A move limit well past the bound: a game that hits it fails the rounds check below.
        let result = play_match(
            &lineup,
            seed,
            20 * MAX_ROUNDS as usize * mix.len(),
            |_, f| f(),
        );
        assert!(
            !result.refused,
            "{lineup:?} seed {seed}: a command was refused"
        );
        assert!(
            result.winner.is_some() && result.rounds <= MAX_ROUNDS,
            "{lineup:?} seed {seed} did not end within {MAX_ROUNDS} rounds: {result:?}"
        );
    }
}

#[test]
fn there_is_one_mix_of_levels_per_multiset_of_seats() {
    let counts: Vec<usize> = (2..=5).map(|p| mixes(p).len()).collect();
    assert_eq!(counts, [6, 10, 15, 21]);
    assert!(mixes(3).contains(&vec![BotLevel::Easy, BotLevel::Greedy, BotLevel::Strong]));
}

#[test]
fn games_of_easy_and_greedy_players_end_within_the_bound_whatever_the_mix() {
    for players in 2..=5 {
        for mix in mixes(players) {
            if !mix.contains(&BotLevel::Strong) {
                each_game_ends(&mix, 20);
            }
        }
    }
}

#[test]
fn games_with_a_strong_player_end_within_the_bound_whatever_the_mix() {
    for players in 2..=5 {
        for mix in mixes(players) {
            if mix.contains(&BotLevel::Strong) {
                each_game_ends(&mix, 2);
            }
        }
    }
}

#[test]
fn easy_claims_a_point_card_whenever_it_can_pay_for_one() {
    let setup = Setup {
        caravans: Some(vec![sp("YYRRYYYY"), sp("YYYY")]),
        point_deck: vec!["P01"],
        ..Setup::default()
    };
    let table = Table::with(2, setup);
    for seed in 0..20 {
        let command = choose(&table.game.seat_view(0), BotLevel::Easy, seed);
        assert!(
            matches!(command, Some(Command::Claim { .. })),
            "seed {seed}: {command:?}"
        );
    }
}

#[test]
fn the_shortfall_counts_the_cheapest_steps_to_a_cost() {
    // Held already: nothing to do; the cubes used are the cost's own.
    assert_eq!(greedy::shortfall(sp("YYRG"), &sp("YR")), (0, sp("YR")));
    // Two reds from yellows: one upgrade each.
    assert_eq!(greedy::shortfall(sp("YYY"), &sp("RR")), (2, sp("YY")));
    // A brown from nothing: gain a yellow and upgrade it three times.
    assert_eq!(
        greedy::shortfall(Spices::EMPTY, &sp("B")),
        (4, Spices::EMPTY)
    );
    // A green from the nearest lower cube (the red), not from a yellow.
    assert_eq!(greedy::shortfall(sp("YR"), &sp("G")), (1, sp("R")));
}

#[test]
fn greedy_discards_the_cubes_it_does_not_need_for_the_nearest_point_card() {
    // Twelve cubes, two over the limit. The nearest card on this row is P05 (YYGG), which these
    // cubes pay for: the two yellows must stay, and two of the eight spare greens go.
    let row = ["P01", "P02", "P03", "P04", "P05"].map(|id| id.parse().unwrap());
    let caravan = sp("YYGGGGGGGGGG");
    let (_, used) = row
        .iter()
        .map(|&id| greedy::shortfall(caravan, &point(id).cost))
        .min_by_key(|(steps, _)| *steps)
        .unwrap();
    let discard = greedy::discard_toward(caravan, 2, &row);
    assert_eq!(discard.total(), 2);
    assert!(
        caravan.saturating_sub(&discard).contains(&used),
        "kept {} of the {used} the nearest card needs",
        caravan.saturating_sub(&discard)
    );
    // The cheapest cubes would have been the yellows.
    assert_ne!(discard, lowest_cubes(caravan, 2));
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
