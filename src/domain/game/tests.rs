//! Unit tests of the aggregate beyond the rulebook cases: lifecycle, seats, forfeits, refusals.

use crate::domain::testkit::*;
use crate::domain::*;

fn create(n: u8) -> Command {
    Command::CreateGame {
        num_players: n,
        seed: 1,
        scenario: None,
        caravan_capacity: None,
        point_cards_to_end: None,
        turn_clock: None,
    }
}

#[test]
fn a_game_can_be_created_once() {
    let t = Table::created(2, &Setup::default());
    assert_eq!(t.game.status(), GameStatus::Waiting);
    assert_eq!(
        t.game.decide(&Actor::System, &create(2)),
        Err(RuleViolation::GameAlreadyCreated)
    );
}

#[test]
fn creation_refuses_player_counts_outside_two_to_five() {
    for n in [0, 1, 6, 200] {
        assert_eq!(
            Game::new().decide(&Actor::System, &create(n)),
            Err(RuleViolation::InvalidPlayerCount { num_players: n })
        );
    }
}

#[test]
fn creation_refuses_rules_the_game_cannot_be_played_with() {
    let with = |capacity, to_end| Command::CreateGame {
        num_players: 5,
        seed: 1,
        scenario: None,
        caravan_capacity: capacity,
        point_cards_to_end: to_end,
        turn_clock: None,
    };
    for (capacity, to_end) in [
        (Some(3), None),
        (Some(101), None),
        (None, Some(0)),
        (None, Some(8)),
    ] {
        let refused = Game::new().decide(&Actor::System, &with(capacity, to_end));
        assert_eq!(
            refused.unwrap_err().code(),
            "invalid_rules",
            "{capacity:?} {to_end:?}"
        );
    }
    assert!(Game::new()
        .decide(&Actor::System, &with(Some(4), Some(7)))
        .is_ok());
}

#[test]
fn game_created_records_the_rules_in_effect() {
    let four = Game::new().decide(&Actor::System, &create(4)).unwrap();
    let Event::GameCreated {
        rules, num_players, ..
    } = &four[0]
    else {
        panic!("{four:?}");
    };
    assert_eq!(*num_players, 4);
    assert_eq!(
        *rules,
        Rules {
            caravan_capacity: 10,
            point_cards_to_end: 5,
            num_players: 4,
            turn_seconds: None,
            timeouts_to_forfeit: 3,
        }
    );
    assert_eq!(Rules::new(3, None, None).point_cards_to_end, 6);
}

#[test]
fn a_scenario_stacks_the_top_of_each_deck_and_the_rest_is_shuffled() {
    let t = Table::with(
        2,
        Setup {
            merchant_deck: vec!["M43", "M01", "M20", "M09", "M30", "M31", "M02"],
            point_deck: vec!["P36", "P01"],
            ..Setup::default()
        },
    );
    let row: Vec<String> = t
        .game
        .merchant_row()
        .iter()
        .map(|s| s.card.to_string())
        .collect();
    assert_eq!(row, ["M43", "M01", "M20", "M09", "M30", "M31"]);
    assert_eq!(&t.game.point_row()[..2], &[p("P36"), p("P01")]);
    assert_eq!(t.game.hidden.as_ref().unwrap().merchant_deck[6], m("M02"));
}

#[test]
fn scenarios_with_starting_cards_or_repeats_are_refused() {
    let with =
        |merchant_deck: Vec<MerchantCardId>, point_deck: Vec<PointCardId>| Command::CreateGame {
            num_players: 2,
            seed: 1,
            scenario: Some(Scenario {
                merchant_deck,
                point_deck,
            }),
            caravan_capacity: None,
            point_cards_to_end: None,
            turn_clock: None,
        };
    for command in [
        with(vec![m("S01")], vec![]),
        with(vec![m("M05"), m("M05")], vec![]),
        with(vec![], vec![p("P07"), p("P07")]),
    ] {
        let refused = Game::new().decide(&Actor::System, &command);
        assert_eq!(refused.unwrap_err().code(), "invalid_scenario");
    }
}

#[test]
fn a_known_seed_deals_a_known_deck_on_every_machine() {
    let events = Game::new()
        .decide(
            &Actor::System,
            &Command::CreateGame {
                num_players: 2,
                seed: 42,
                scenario: None,
                caravan_capacity: None,
                point_cards_to_end: None,
                turn_clock: None,
            },
        )
        .unwrap();
    let Event::GameCreated {
        hidden: Some(h), ..
    } = &events[0]
    else {
        panic!("{events:?}");
    };
    let merchants: Vec<String> = h.merchant_deck[..6]
        .iter()
        .map(ToString::to_string)
        .collect();
    let points: Vec<String> = h.point_deck[..5].iter().map(ToString::to_string).collect();
    assert_eq!(merchants, KNOWN_MERCHANT_ROW_42);
    assert_eq!(points, KNOWN_POINT_ROW_42);
}

// Seed 42, computed with an independent implementation of the same algorithms: xoshiro256**
// seeded by SplitMix64, Fisher–Yates over the catalogue order, the merchant deck shuffled first.
const KNOWN_MERCHANT_ROW_42: [&str; 6] = ["M24", "M05", "M02", "M14", "M26", "M01"];
const KNOWN_POINT_ROW_42: [&str; 5] = ["P23", "P07", "P24", "P08", "P28"];

#[test]
fn nothing_but_creation_works_before_a_game_exists() {
    let game = Game::new();
    for command in [join(0), Command::Leave, play("S01"), Command::Rest] {
        assert_eq!(
            game.decide(&player(0), &command),
            Err(RuleViolation::GameNotCreated)
        );
    }
    assert_eq!(game.status(), GameStatus::New);
    assert_eq!(game.view(Viewer::Spectator).num_players, 0);
}

#[test]
fn turn_actions_wait_for_the_game_to_start() {
    let mut t = Table::created(3, &Setup::default());
    t.ok(0, join(0));
    assert_eq!(t.refused(0, play("S01")), RuleViolation::GameNotStarted);
    assert_eq!(t.refused(0, claim(0)), RuleViolation::GameNotStarted);
}

#[test]
fn players_take_the_lowest_free_seat_and_a_seat_freed_before_the_start_is_reused() {
    let mut t = Table::created(3, &Setup::default());
    t.ok(0, join(0));
    t.ok(1, join(1));
    let left = t.ok(0, Command::Leave);
    assert_eq!(
        left,
        vec![Event::PlayerLeft {
            seat: 0,
            player_id: pid(0),
            forfeited: false
        }]
    );
    assert_eq!(t.game.players().len(), 1);
    let events = t.ok(2, join(2));
    assert!(matches!(events[0], Event::PlayerJoined { seat: 0, .. }));
    let events = t.ok(0, join(0));
    assert_eq!(types(&events), ["PlayerJoined", "GameStarted"]);
    assert!(matches!(events[0], Event::PlayerJoined { seat: 2, .. }));
    assert_eq!(t.game.seat_of(&pid(2)), Some(0));
    assert_eq!(t.game.seat_of(&pid(0)), Some(2));
}

#[test]
fn joining_is_refused_twice_when_full_with_a_bad_name_or_for_someone_else() {
    let mut t = Table::created(2, &Setup::default());
    t.ok(0, join(0));
    assert_eq!(t.refused(0, join(0)), RuleViolation::AlreadyJoined);
    let named = |name: &str| Command::Join {
        player_id: pid(1),
        name: name.into(),
    };
    for bad in ["", "   ", &"x".repeat(33), "tab\there"] {
        assert_eq!(t.refused(1, named(bad)).code(), "invalid_name", "{bad:?}");
    }
    assert_eq!(t.refused(0, join(1)).code(), "invalid_command");
    let events = t.ok(1, named("  Ada  "));
    assert!(matches!(&events[0], Event::PlayerJoined { name, .. } if name == "Ada"));
    assert_eq!(t.refused(2, join(2)), RuleViolation::GameFull);
    // the server may seat a player on its behalf
    let mut t = Table::created(2, &Setup::default());
    let events = t.game.decide(&Actor::System, &join(0)).unwrap();
    t.record(events);
    assert_eq!(t.game.seat_of(&pid(0)), Some(0));
}

#[test]
fn a_name_is_taken_once_per_table_whatever_its_case_or_composition() {
    let mut t = Table::created(3, &Setup::default());
    let named = |seat: u8, name: &str| Command::Join {
        player_id: pid(seat),
        name: name.into(),
    };
    t.ok(0, named(0, "Zoë"));
    assert_eq!(t.refused(1, named(1, "zoë")), RuleViolation::NameTaken);
    assert_eq!(
        t.refused(1, named(1, "ZOE\u{0308}")),
        RuleViolation::NameTaken
    );
    assert_eq!(t.refused(1, named(1, "Zoë\u{200B}")).code(), "invalid_name");
    let events = t.ok(1, named(1, "Zoe"));
    assert!(matches!(&events[0], Event::PlayerJoined { name, .. } if name == "Zoe"));
}

#[test]
fn only_the_server_closes_a_game_and_only_while_it_waits() {
    let mut t = Table::created(3, &Setup::default());
    t.ok(0, join(0));
    assert_eq!(t.refused(0, Command::Expire).code(), "invalid_command");
    let events = t.game.decide(&Actor::System, &Command::Expire).unwrap();
    assert!(matches!(
        &events[..],
        [Event::GameEnded { winner: None, reason: EndReason::Expired, scores }] if scores.len() == 1
    ));
    t.record(events);
    assert_eq!(t.game.status(), GameStatus::Finished);
    assert_eq!(t.game.end_reason(), Some(EndReason::Expired));
    assert_eq!(t.refused(1, join(1)), RuleViolation::GameOver);
    assert_eq!(
        t.game.decide(&Actor::System, &Command::Expire),
        Err(RuleViolation::GameOver)
    );

    let mut running = Table::created(2, &Setup::default());
    running.ok(0, join(0));
    running.ok(1, join(1));
    assert_eq!(
        running
            .game
            .decide(&Actor::System, &Command::Expire)
            .unwrap_err()
            .code(),
        "invalid_command"
    );
}

#[test]
fn only_seated_players_act_and_only_on_their_turn() {
    let t = Table::started(3);
    assert_eq!(
        t.game.decide(&Actor::System, &play("S01")),
        Err(RuleViolation::NotAPlayer)
    );
    assert_eq!(t.refused(7, play("S01")), RuleViolation::NotAPlayer);
    assert_eq!(
        t.refused(2, play("S01")),
        RuleViolation::NotYourTurn { current: 0 }
    );
}

#[test]
fn a_card_must_be_in_hand_and_played_the_way_its_kind_allows() {
    let mut t = Table::started(2);
    assert_eq!(
        t.refused(0, play("M10")),
        RuleViolation::CardNotInHand { card: m("M10") }
    );
    assert_eq!(t.refused(0, trade("S01", 2)).code(), "invalid_command");
    assert_eq!(t.refused(0, upgrade("S01", "Y")).code(), "invalid_command");
    assert_eq!(t.refused(0, trade("S02", 2)).code(), "invalid_command");
    t.ok(0, play("S01"));
    t.ok(1, play("S01"));
    assert_eq!(
        t.refused(0, play("S01")),
        RuleViolation::CardNotInHand { card: m("S01") }
    );
}

fn holding(card: &'static str, caravan: &str) -> Table {
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
    t
}

#[test]
fn a_trade_needs_its_input_and_takes_no_upgrade_steps() {
    let t = holding("M36", "YYGG");
    assert_eq!(
        t.refused(0, trade("M36", 1)),
        RuleViolation::CannotAfford {
            needed: sp("GGG"),
            have: sp("YYGG")
        }
    );
    let t = holding("M10", "YYGG");
    let with_steps = Command::PlayCard {
        card_id: m("M10"),
        upgrades: list("Y"),
        times: 1,
    };
    assert_eq!(t.refused(0, with_steps).code(), "invalid_command");
}

#[test]
fn an_upgrade_may_raise_the_same_cube_several_times_but_never_brown() {
    let mut t = holding("M09", "YB");
    assert_eq!(t.refused(0, upgrade("M09", "B")).code(), "invalid_upgrade");
    let events = t.ok(0, upgrade("M09", "YRG"));
    assert!(matches!(
        &events[0],
        Event::CardPlayed { paid, gained, .. } if *paid == sp("Y") && *gained == sp("B")
    ));
    assert_eq!(t.caravan(0), sp("BB"));
}

#[test]
fn turns_go_round_and_the_round_counts_up() {
    let mut t = Table::started(3);
    assert_eq!(t.game.round(), 1);
    t.ok(0, play("S01"));
    t.ok(1, play("S01"));
    let events = t.ok(2, play("S01"));
    assert_eq!(
        events[1],
        Event::TurnEnded {
            seat: 2,
            next_seat: 0,
            round: 2,
            end_triggered: false
        }
    );
    assert_eq!(t.game.round(), 2);
    assert_eq!(t.game.current_seat(), Some(0));
}

#[test]
fn a_player_who_leaves_a_running_game_forfeits_and_is_skipped() {
    let mut t = Table::started(3);
    // seat 1 leaves while seat 0 is to move
    let events = t.ok(1, Command::Leave);
    assert_eq!(
        events,
        vec![Event::PlayerLeft {
            seat: 1,
            player_id: pid(1),
            forfeited: true
        }]
    );
    assert!(t.seat(1).left);
    assert_eq!(t.refused(1, play("S01")), RuleViolation::NotAPlayer);
    assert_eq!(t.refused(1, Command::Leave), RuleViolation::NotAPlayer);
    let events = t.ok(0, play("S01"));
    assert!(matches!(events[1], Event::TurnEnded { next_seat: 2, .. }));
    // seat 2 leaves on its own turn: the turn passes, and seat 0 is the last player standing
    let events = t.ok(2, Command::Leave);
    assert_eq!(types(&events), ["PlayerLeft", "GameEnded"]);
    let Event::GameEnded {
        winner,
        reason,
        scores,
    } = &events[1]
    else {
        unreachable!()
    };
    assert_eq!((*winner, *reason), (Some(0), EndReason::LastPlayerStanding));
    assert!(scores[1].forfeited && scores[2].forfeited && !scores[0].forfeited);
    assert_eq!(t.refused(0, Command::Leave), RuleViolation::GameOver);
}

#[test]
fn leaving_on_ones_own_turn_passes_the_turn_even_with_a_discard_owed() {
    let mut t = holding("M19", "YYYYYYYYYR");
    t.ok(0, trade("M19", 1));
    assert_eq!(t.game.awaiting_discard(), Some(2));
    let mut three = Table::started(3);
    three.ok(0, play("S01"));
    let events = three.ok(1, Command::Leave);
    assert_eq!(types(&events), ["PlayerLeft", "TurnEnded"]);
    assert_eq!(three.game.current_seat(), Some(2));
    // in the two-player game the other player is left standing
    let events = t.ok(0, Command::Leave);
    assert_eq!(types(&events), ["PlayerLeft", "GameEnded"]);
    assert_eq!(t.game.winner(), Some(1));
}

#[test]
fn when_the_last_seat_leaves_after_the_end_is_triggered_the_round_ends_earlier() {
    let rich = Spices::new(20, 20, 20, 20);
    let mut t = Table::with(
        3,
        Setup {
            caravans: Some(vec![rich; 3]),
            caravan_capacity: Some(100),
            point_cards_to_end: Some(1),
            ..Setup::default()
        },
    );
    t.ok(0, claim(2));
    assert!(t.game.end_triggered());
    t.ok(2, Command::Leave);
    let events = t.ok(1, play("S01"));
    assert_eq!(types(&events), ["CardPlayed", "TurnEnded", "GameEnded"]);
    assert_ne!(t.game.winner(), Some(2));
}

#[test]
fn when_the_merchant_deck_runs_out_the_row_shrinks() {
    let mut t = Table::started(2);
    for turn in 0..40 {
        let seat = (turn % 2) as Seat;
        let events = t.ok(seat, acquire(0, ""));
        let Event::ItemAcquired { revealed, .. } = &events[0] else {
            panic!("{events:?}");
        };
        assert_eq!(revealed.is_some(), turn < 37, "turn {turn}");
    }
    assert_eq!(t.game.merchant_deck_count(), 0);
    assert_eq!(t.game.merchant_row().len(), 3);
}

#[test]
fn hints_list_what_the_seat_to_move_can_do_and_nobody_else_gets_any() {
    let t = holding("M36", "YYGG");
    let hints = t.game.view(Viewer::Seat(0)).legal.unwrap();
    let playable: Vec<MerchantCardId> = hints.playable.iter().map(|h| h.card_id).collect();
    assert_eq!(
        playable,
        vec![m("S01"), m("S02")],
        "GGG->BBB is not affordable"
    );
    assert_eq!(
        hints.acquirable,
        vec![0, 1, 2, 3, 4],
        "four cubes pay for slots 0 to 4"
    );
    assert!(!hints.can_rest);
    assert_eq!(hints.discard_owed, None);
    let view = t.game.view(Viewer::Seat(1));
    assert_eq!((view.viewer_seat, view.legal), (Some(1), None));
    let view = t.game.view(Viewer::Spectator);
    assert_eq!((view.viewer_seat, view.legal), (None, None));
    let hints = holding("M10", "YYYYY").game.legal_hints(0).unwrap();
    assert_eq!(hints.playable[2].max_times, Some(2));
    assert_eq!(hints.playable[2].kind, CardKind::Trade);
}

#[test]
fn the_view_shows_the_table_and_running_scores() {
    let mut t = Table::with(
        2,
        Setup {
            point_deck: vec!["P01", "P02", "P03", "P04", "P05", "P06"],
            caravans: Some(vec![sp("YYRRG"), sp("YYYY")]),
            ..Setup::default()
        },
    );
    t.ok(0, claim(0));
    let view = t.game.view(Viewer::Spectator);
    assert_eq!(view.players[0].score, 6 + 3 + 1);
    assert_eq!(view.players[0].claimed, vec![p("P01")]);
    assert_eq!(view.point_row[0].card_id, p("P02"));
    assert_eq!(view.point_row[0].coin, Some(Coin::Gold));
    assert_eq!(view.point_row[4].card_id, p("P06"));
    assert_eq!(
        (
            view.gold_left,
            view.merchant_deck_count,
            view.point_deck_count
        ),
        (3, 37, 30)
    );
    assert_eq!(view.current_seat, Some(1));
}

#[test]
fn legal_commands_are_empty_for_anyone_but_the_seat_to_move() {
    let t = Table::started(3);
    assert!(!t.game.legal_commands(0).is_empty());
    assert!(t.game.legal_commands(1).is_empty());
    assert!(t.game.legal_commands(9).is_empty());
    for command in t.game.legal_commands(0) {
        assert!(t.when(0, command.clone()).is_ok(), "{command:?}");
    }
}

#[test]
fn replaying_the_history_rebuilds_the_same_state() {
    let events = crate::domain::random_player::play_game(3, 11, 3_000);
    let game = Game::replay(&events);
    assert_eq!(game.status(), GameStatus::Finished);
    assert_eq!(game.version(), events.len() as u64);
    let folded = events.iter().fold(Game::new(), Game::apply);
    assert_eq!(folded, game);
}

#[test]
fn every_violation_has_a_distinct_snake_case_code() {
    let all = [
        RuleViolation::NotYourTurn { current: 0 },
        RuleViolation::GameNotStarted,
        RuleViolation::GameOver,
        RuleViolation::GameFull,
        RuleViolation::GameAlreadyCreated,
        RuleViolation::GameNotCreated,
        RuleViolation::InvalidPlayerCount { num_players: 1 },
        RuleViolation::InvalidRules { reason: "" },
        RuleViolation::InvalidScenario { reason: "" },
        RuleViolation::InvalidName { reason: "" },
        RuleViolation::NameTaken,
        RuleViolation::AlreadyJoined,
        RuleViolation::NotAPlayer,
        RuleViolation::CardNotInHand { card: m("S01") },
        RuleViolation::CannotAfford {
            needed: Spices::EMPTY,
            have: Spices::EMPTY,
        },
        RuleViolation::InvalidSlot { slot: 0, len: 0 },
        RuleViolation::InvalidPayment { reason: "" },
        RuleViolation::InvalidUpgrade { reason: "" },
        RuleViolation::InvalidTimes { times: 0, max: 0 },
        RuleViolation::MustDiscard { owed: 1 },
        RuleViolation::InvalidDiscard { reason: "" },
        RuleViolation::NoDiscardOwed,
        RuleViolation::NothingToRest,
        RuleViolation::InvalidCommand { reason: "" },
    ];
    let mut codes: Vec<&str> = all.iter().map(RuleViolation::code).collect();
    assert!(codes
        .iter()
        .all(|c| c.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_')));
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), all.len());
    assert_eq!(
        RuleViolation::InvalidTimes { times: 4, max: 3 }.to_string(),
        "cannot trade 4 times (at most 3)"
    );
}
