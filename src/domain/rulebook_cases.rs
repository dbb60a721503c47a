//! The thirteen "rulebook cases" of RULES.md, one named test each, in given/when/then form.

use super::cards::{deck_merchant_ids, merchant, point_ids, points_formula};
use super::legal::upgrade_patterns;
use super::testkit::*;
use super::*;

/// Case 1.
#[test]
fn case_01_setup_for_two_to_five_players_deals_rows_decks_coins_hands_and_caravans() {
    for n in 2..=5u8 {
        // given a created game of n seats, when every seat joins
        let table = Table::started(n);
        // then the last join started the game
        assert_eq!(
            types(&table.history[table.history.len() - 2..]),
            ["PlayerJoined", "GameStarted"]
        );
        let game = &table.game;
        assert_eq!(game.merchant_row().len(), 6);
        assert_eq!(game.point_row().len(), 5);
        assert_eq!(game.merchant_deck_count(), 37);
        assert_eq!(game.point_deck_count(), 31);
        assert_eq!(game.gold_left(), 2 * n);
        assert_eq!(game.silver_left(), 2 * n);
        assert_eq!(game.current_seat(), Some(0));
        let expected = ["YYY", "YYYY", "YYYY", "YYYR", "YYYR"];
        for seat in 0..n {
            let player = table.seat(seat);
            assert_eq!(player.hand, vec![m("S01"), m("S02")]);
            assert!(player.played.is_empty() && player.claimed.is_empty());
            assert_eq!(
                player.caravan,
                sp(expected[usize::from(seat)]),
                "seat {seat}"
            );
        }
    }
}

/// Case 2.
#[test]
fn case_02_upgrade_two_from_yyy_reaches_yyy_yyr_yrr_yyg_and_nothing_else() {
    // given seat 0 with YYY and the "upgrade x2" card
    let table = Table::started(2);
    assert_eq!(table.caravan(0), sp("YYY"));
    // when it upgrades with 0, 1 or 2 steps, then the caravan is one of the four legal results
    for (steps, result) in [("", "YYY"), ("Y", "YYR"), ("YY", "YRR"), ("YR", "YYG")] {
        let mut t = Table::started(2);
        let events = t.ok(0, upgrade("S02", steps));
        assert_eq!(types(&events), ["CardPlayed", "TurnEnded"]);
        assert_eq!(t.caravan(0), sp(result), "steps {steps}");
        assert_eq!(t.seat(0).played, vec![m("S02")]);
    }
    // and three steps or a step on a missing colour are refused
    for steps in ["YYY", "R", "G", "RY"] {
        assert_eq!(
            table.refused(0, upgrade("S02", steps)).code(),
            "invalid_upgrade",
            "steps {steps}"
        );
    }
    // and the legal patterns are exactly those four outcomes
    let outcomes: Vec<Spices> = upgrade_patterns(sp("YYY"), 2)
        .iter()
        .map(|steps| {
            let mut c = sp("YYY");
            for &s in steps {
                c.remove_one(s);
                c.add_one(s.upgraded().unwrap());
            }
            c
        })
        .collect();
    assert_eq!(outcomes, vec![sp("YYY"), sp("YYR"), sp("YRR"), sp("YYG")]);
    // never three cubes changed, never two greens
    assert!(outcomes.iter().all(|c| c.yellow >= 1 && c.green <= 1));
}

/// Seat 0 holds `card` (taken free from slot 0) with `caravan`, and it is seat 0's turn again.
fn seat_zero_holds(card: &'static str, caravan: &str) -> Table {
    let mut t = Table::with(
        2,
        Setup {
            merchant_deck: vec![card],
            caravans: Some(vec![sp(caravan), sp("YYYY")]),
            ..Setup::default()
        },
    );
    t.ok(0, acquire(0, ""));
    t.ok(1, play("S01"));
    assert_eq!(t.game.current_seat(), Some(0));
    t
}

/// Case 3.
#[test]
fn case_03_trade_yy_to_g_from_six_yellow_works_one_two_or_three_times_not_four() {
    // given seat 0 with six yellow and the YY->G card
    let table = seat_zero_holds("M10", "YYYYYY");
    // when it trades 1, 2 or 3 times, then it holds YYYY+G, YY+GG, GGG
    for (times, result) in [(1, "YYYYG"), (2, "YYGG"), (3, "GGG")] {
        let mut t = seat_zero_holds("M10", "YYYYYY");
        let events = t.ok(0, trade("M10", times));
        assert_eq!(
            events[0],
            Event::CardPlayed {
                seat: 0,
                card_id: m("M10"),
                gained: sp("G").times(times),
                paid: sp("YY").times(times),
                times,
                upgrades: vec![],
            }
        );
        assert_eq!(t.caravan(0), sp(result));
    }
    // and four times (or zero) is refused
    assert_eq!(
        table.refused(0, trade("M10", 4)),
        RuleViolation::InvalidTimes { times: 4, max: 3 }
    );
    assert_eq!(table.refused(0, trade("M10", 0)).code(), "invalid_times");
}

/// Case 4.
#[test]
fn case_04_a_trade_may_exceed_the_caravan_limit_and_the_turn_waits_for_a_discard() {
    // given seat 0 with a full caravan of ten and the R->YYY card
    let mut t = seat_zero_holds("M19", "YYYYYYYYYR");
    // when it trades, reaching twelve cubes
    let events = t.ok(0, trade("M19", 1));
    // then the turn does not pass: a discard of two is owed
    assert_eq!(types(&events), ["CardPlayed"]);
    assert_eq!(t.caravan(0).total(), 12);
    assert_eq!(t.game.awaiting_discard(), Some(2));
    assert_eq!(t.game.current_seat(), Some(0));
    let hints = t.game.view(Viewer::Seat(0)).legal.unwrap();
    assert_eq!(hints.discard_owed, Some(2));
    assert!(hints.playable.is_empty() && hints.claimable.is_empty());
    assert_eq!(
        t.refused(0, Command::Rest),
        RuleViolation::MustDiscard { owed: 2 }
    );
    assert_eq!(t.refused(1, play("S01")).code(), "not_your_turn");
    assert_eq!(t.refused(0, discard("Y")).code(), "invalid_discard");
    assert_eq!(t.refused(0, discard("YYY")).code(), "invalid_discard");
    assert_eq!(t.refused(0, discard("GG")).code(), "invalid_discard");
    // when it discards two cubes of its choice, then the turn passes with ten cubes
    let events = t.ok(0, discard("YY"));
    assert_eq!(types(&events), ["SpicesDiscarded", "TurnEnded"]);
    assert_eq!(t.caravan(0), sp("YYYYYYYYYY"));
    assert_eq!(t.game.current_seat(), Some(1));
    assert_eq!(t.refused(1, discard("Y")), RuleViolation::NoDiscardOwed);
}

/// Case 5.
#[test]
fn case_05_acquire_slot_i_costs_one_cube_per_card_to_its_left_and_the_row_slides() {
    // given a known market row M01..M06, then M07, M08 in the deck
    let mut t = Table::with(
        2,
        Setup {
            merchant_deck: vec!["M01", "M02", "M03", "M04", "M05", "M06", "M07", "M08"],
            caravans: Some(vec![sp("YYYYRR"), sp("YYYY")]),
            ..Setup::default()
        },
    );
    // when seat 0 offers fewer (or more) cubes than slots to the left, or cubes it lacks
    assert_eq!(t.refused(0, acquire(3, "YR")).code(), "invalid_payment");
    assert_eq!(t.refused(0, acquire(3, "YRYY")).code(), "invalid_payment");
    assert_eq!(t.refused(0, acquire(3, "GRY")).code(), "cannot_afford");
    assert_eq!(t.refused(0, acquire(6, "YYYYRR")).code(), "invalid_slot");
    // when it pays Y, R, Y for slot 3, then one cube lies on each card to the left
    let events = t.ok(0, acquire(3, "YRY"));
    assert_eq!(
        events[0],
        Event::ItemAcquired {
            seat: 0,
            slot: 3,
            card_id: m("M04"),
            payment: list("YRY"),
            cubes_taken: Spices::EMPTY,
            revealed: Some(m("M07")),
        }
    );
    assert_eq!(t.caravan(0), sp("YYR"));
    assert!(t.seat(0).hand.contains(&m("M04")));
    let row: Vec<(MerchantCardId, Spices)> = t
        .game
        .merchant_row()
        .iter()
        .map(|s| (s.card, s.cubes))
        .collect();
    assert_eq!(
        row,
        vec![
            (m("M01"), sp("Y")),
            (m("M02"), sp("R")),
            (m("M03"), sp("Y")),
            (m("M05"), sp("")),
            (m("M06"), sp("")),
            (m("M07"), sp("")),
        ]
    );
    // when seat 1 takes slot 2, then it gets the cube lying there; the others stay
    let events = t.ok(1, acquire(2, "YY"));
    assert!(matches!(
        &events[0],
        Event::ItemAcquired { cubes_taken, revealed: Some(r), .. } if *cubes_taken == sp("Y") && *r == m("M08")
    ));
    assert_eq!(t.caravan(1), sp("YYY"));
    let row: Vec<(MerchantCardId, Spices)> = t
        .game
        .merchant_row()
        .iter()
        .map(|s| (s.card, s.cubes))
        .collect();
    assert_eq!(
        row,
        vec![
            (m("M01"), sp("YY")),
            (m("M02"), sp("YR")),
            (m("M05"), sp("")),
            (m("M06"), sp("")),
            (m("M07"), sp("")),
            (m("M08"), sp("")),
        ]
    );
}

/// Case 6.
#[test]
fn case_06_acquiring_slot_zero_with_two_cubes_on_a_full_caravan_owes_a_discard_of_two() {
    // given seat 0 with ten cubes, and two cubes placed on slot 0 by the other seats
    let mut t = Table::with(
        3,
        Setup {
            caravans: Some(vec![sp("YYYYYYYYYY"), sp("YYYY"), sp("YYYY")]),
            ..Setup::default()
        },
    );
    t.ok(0, upgrade("S02", ""));
    t.ok(1, acquire(1, "Y"));
    t.ok(2, acquire(1, "Y"));
    assert_eq!(t.game.merchant_row()[0].cubes, sp("YY"));
    // when seat 0 acquires slot 0
    let events = t.ok(0, acquire(0, ""));
    // then it holds twelve cubes and must discard two before the turn passes
    assert_eq!(types(&events), ["ItemAcquired"]);
    assert_eq!(t.caravan(0).total(), 12);
    assert_eq!(t.game.awaiting_discard(), Some(2));
    let events = t.ok(0, discard("YY"));
    assert_eq!(types(&events), ["SpicesDiscarded", "TurnEnded"]);
    assert_eq!(t.caravan(0).total(), 10);
    assert_eq!(t.game.current_seat(), Some(1));
}

fn coin_of(events: &[Event]) -> Option<Coin> {
    match &events[0] {
        Event::ClaimCompleted { coin, .. } => *coin,
        other => panic!("not a claim: {other:?}"),
    }
}

/// Case 7.
#[test]
fn case_07_gold_on_slot_zero_silver_on_slot_one_then_silver_moves_left_then_nothing() {
    // given two rich players: 4 gold and 4 silver
    let rich = Spices::new(25, 25, 25, 25);
    let mut t = Table::with(
        2,
        Setup {
            caravans: Some(vec![rich, rich]),
            caravan_capacity: Some(100),
            ..Setup::default()
        },
    );
    assert_eq!((t.game.gold_left(), t.game.silver_left()), (4, 4));
    let coins_shown = |t: &Table| {
        let view = t.game.view(Viewer::Spectator);
        (view.point_row[0].coin, view.point_row[1].coin)
    };
    assert_eq!(coins_shown(&t), (Some(Coin::Gold), Some(Coin::Silver)));
    // when claims take coins, then slot 0 gives gold and slot 1 silver while gold remains
    assert_eq!(coin_of(&t.ok(0, claim(1))), Some(Coin::Silver));
    assert_eq!(coin_of(&t.ok(1, claim(0))), Some(Coin::Gold));
    assert_eq!(coin_of(&t.ok(0, claim(0))), Some(Coin::Gold));
    assert_eq!(coin_of(&t.ok(1, claim(0))), Some(Coin::Gold));
    assert_eq!(coin_of(&t.ok(0, claim(1))), Some(Coin::Silver));
    assert_eq!(coin_of(&t.ok(1, claim(0))), Some(Coin::Gold));
    // after the last gold the silver moves to slot 0 and slot 1 gives nothing
    assert_eq!((t.game.gold_left(), t.game.silver_left()), (0, 2));
    assert_eq!(coins_shown(&t), (Some(Coin::Silver), None));
    assert_eq!(coin_of(&t.ok(0, claim(1))), None);
    assert_eq!(coin_of(&t.ok(1, claim(0))), Some(Coin::Silver));
    assert_eq!(coin_of(&t.ok(0, claim(0))), Some(Coin::Silver));
    // when silver is gone too, no coin
    assert_eq!(coins_shown(&t), (None, None));
    assert_eq!(coin_of(&t.ok(1, claim(0))), None);
    let (p0, p1) = (t.seat(0), t.seat(1));
    assert_eq!((p0.gold, p0.silver, p1.gold, p1.silver), (1, 3, 3, 1));
}

/// Case 8.
#[test]
fn case_08_a_claim_needs_the_exact_cubes_and_extra_cubes_stay() {
    // given P01 (YYRR, 6 points) then P02 (YYYRR) at the front of the point row
    let mut t = Table::with(
        2,
        Setup {
            point_deck: vec!["P01", "P02", "P03", "P04", "P05", "P06"],
            caravans: Some(vec![sp("YYYRRRG"), sp("YYYYR")]),
            ..Setup::default()
        },
    );
    // when seat 0 claims P01, then it pays YYRR and keeps Y, R, G
    let events = t.ok(0, claim(0));
    assert_eq!(
        events[0],
        Event::ClaimCompleted {
            seat: 0,
            slot: 0,
            card_id: p("P01"),
            points: 6,
            paid: sp("YYRR"),
            coin: Some(Coin::Gold),
            revealed: Some(p("P06")),
        }
    );
    assert_eq!(t.caravan(0), sp("YRG"));
    assert_eq!(t.seat(0).claimed, vec![p("P01")]);
    // when seat 1 lacks one red for P02, then the claim is refused
    assert_eq!(
        t.refused(1, claim(0)),
        RuleViolation::CannotAfford {
            needed: sp("YYYRR"),
            have: sp("YYYYR"),
        }
    );
    assert_eq!(t.refused(1, claim(5)).code(), "invalid_slot");
}

/// Every non-claiming seat's filler move: play S01, then rest, and so on.
fn pass(t: &mut Table, seat: Seat) -> Vec<Event> {
    if t.seat(seat).played.is_empty() {
        t.ok(seat, play("S01"))
    } else {
        t.ok(seat, Command::Rest)
    }
}

fn rich_table(n: u8) -> Table {
    let rich = Spices::new(20, 20, 20, 20);
    Table::with(
        n,
        Setup {
            caravans: Some(vec![rich; usize::from(n)]),
            caravan_capacity: Some(100),
            ..Setup::default()
        },
    )
}

/// Case 9.
#[test]
fn case_09_the_end_is_triggered_by_the_fifth_card_with_four_players_and_the_round_completes() {
    // given four players where seat 1 claims every turn
    let mut t = rich_table(4);
    for round in 1..=5 {
        pass(&mut t, 0);
        let events = t.ok(1, claim(2));
        let triggered = round == 5;
        assert!(matches!(
            events.last(),
            Some(Event::TurnEnded { end_triggered, next_seat: 2, .. }) if *end_triggered == triggered
        ));
        if round < 5 {
            pass(&mut t, 2);
            pass(&mut t, 3);
        }
    }
    // when seat 1 has taken its 5th card, then seats 2 and 3 still play
    assert!(t.game.end_triggered());
    assert_eq!(types(&pass(&mut t, 2)), ["CardPlayed", "TurnEnded"]);
    let last = pass(&mut t, 3);
    assert_eq!(types(&last), ["CardPlayed", "TurnEnded", "GameEnded"]);
    // and seat 0 does not play again
    assert_eq!(t.game.status(), GameStatus::Finished);
    assert_eq!(t.refused(0, play("S01")), RuleViolation::GameOver);
}

/// Case 9, with three players.
#[test]
fn case_09_three_players_need_the_sixth_card() {
    let mut t = rich_table(3);
    for _ in 0..5 {
        pass(&mut t, 0);
        t.ok(1, claim(2));
        pass(&mut t, 2);
    }
    assert!(!t.game.end_triggered());
    pass(&mut t, 0);
    t.ok(1, claim(2));
    assert!(t.game.end_triggered());
    assert_eq!(types(&pass(&mut t, 2))[1..], ["TurnEnded", "GameEnded"]);
}

/// Case 9, when the last seat triggers.
#[test]
fn case_09_when_the_last_seat_triggers_the_game_ends_at_once() {
    let mut t = rich_table(2);
    for _ in 0..5 {
        pass(&mut t, 0);
        t.ok(1, claim(2));
    }
    pass(&mut t, 0);
    let events = t.ok(1, claim(2));
    assert_eq!(types(&events), ["ClaimCompleted", "TurnEnded", "GameEnded"]);
    assert_eq!(t.game.status(), GameStatus::Finished);
}

/// Case 10.
#[test]
fn case_10_score_is_cards_plus_three_per_gold_one_per_silver_one_per_non_yellow_cube() {
    // given P01 (6) with gold for seat 0, P04 (8) with silver for seat 1, one card ends the game
    let mut t = Table::with(
        2,
        Setup {
            point_deck: vec!["P01", "P02", "P04", "P05", "P06", "P07"],
            caravans: Some(vec![sp("YYYRRGGB"), sp("YYYRRRR")]),
            point_cards_to_end: Some(1),
            ..Setup::default()
        },
    );
    t.ok(0, claim(0));
    // when seat 1 claims and the round completes
    let events = t.ok(1, claim(1));
    // then each score adds cards, coins and non-yellow cubes; yellow scores nothing
    let Some(Event::GameEnded {
        scores,
        winner,
        reason,
    }) = events.last()
    else {
        panic!("no end: {events:?}");
    };
    let expected = vec![
        FinalScore {
            seat: 0,
            name: "Player 0".into(),
            cards: 6,
            gold: 1,
            silver: 0,
            cubes: 3,
            total: 6 + 3 + 3,
            forfeited: false,
        },
        FinalScore {
            seat: 1,
            name: "Player 1".into(),
            cards: 8,
            gold: 0,
            silver: 1,
            cubes: 0,
            total: 8 + 1,
            forfeited: false,
        },
    ];
    assert_eq!(scores, &expected);
    assert_eq!(*winner, Some(0));
    assert_eq!(*reason, EndReason::PointCards);
    assert_eq!(t.game.scores(), expected);
    assert_eq!(t.game.winner(), Some(0));
}

/// Case 11.
#[test]
fn case_11_on_equal_totals_the_higher_seat_wins() {
    // given two 8-point cards at slot 2 in turn, and nothing else to score
    let mut t = Table::with(
        2,
        Setup {
            point_deck: vec!["P01", "P02", "P03", "P04", "P05", "P06", "P07"],
            caravans: Some(vec![sp("YYRRR"), sp("RRRR")]),
            point_cards_to_end: Some(1),
            ..Setup::default()
        },
    );
    t.ok(0, claim(2));
    // when seat 1 claims the other and the game ends with 8 points each
    let events = t.ok(1, claim(2));
    // then seat 1, the later seat, wins
    let Some(Event::GameEnded { scores, winner, .. }) = events.last() else {
        panic!("no end: {events:?}");
    };
    assert_eq!(scores[0].total, 8);
    assert_eq!(scores[1].total, 8);
    assert_eq!(*winner, Some(1));
}

/// Case 12.
#[test]
fn case_12_rest_returns_every_played_card_and_is_refused_with_nothing_played() {
    // given seat 0 with nothing played
    let mut t = Table::started(2);
    assert_eq!(t.refused(0, Command::Rest), RuleViolation::NothingToRest);
    // given both starting cards played
    t.ok(0, play("S01"));
    pass(&mut t, 1);
    t.ok(0, upgrade("S02", "Y"));
    pass(&mut t, 1);
    assert!(t.seat(0).hand.is_empty());
    // when seat 0 rests, then both return to its hand
    let events = t.ok(0, Command::Rest);
    assert_eq!(
        events[0],
        Event::PlayerRested {
            seat: 0,
            returned: vec![m("S01"), m("S02")],
        }
    );
    assert_eq!(t.seat(0).hand, vec![m("S01"), m("S02")]);
    assert!(t.seat(0).played.is_empty());
}

/// Case 13.
#[test]
fn case_13_card_data_has_43_merchant_cards_8_spice_1_upgrade_34_trade_and_36_point_cards() {
    let kinds: Vec<CardKind> = deck_merchant_ids()
        .map(|id| merchant(id).kind.kind())
        .collect();
    assert_eq!(kinds.len(), 43);
    assert_eq!(kinds.iter().filter(|&&k| k == CardKind::Spice).count(), 8);
    assert_eq!(kinds.iter().filter(|&&k| k == CardKind::Upgrade).count(), 1);
    assert_eq!(kinds.iter().filter(|&&k| k == CardKind::Trade).count(), 34);
    assert_eq!(point_ids().len(), 36);
    for id in point_ids() {
        let card = id.card();
        assert_eq!(card.points, points_formula(&card.cost), "{id}");
        assert_eq!(card.label, card.cost.to_string(), "{id}");
    }
    assert_eq!(
        merchant(m("S01")).kind,
        MerchantKind::Spice { gain: sp("YY") }
    );
    assert_eq!(merchant(m("S02")).kind, MerchantKind::Upgrade { steps: 2 });
    assert_eq!(merchant(m("M09")).kind, MerchantKind::Upgrade { steps: 3 });
}
