//! The turn clock's forced moves and forfeit (RULES.md, "The turn clock and computer players"), in
//! given/when/then form. The clock itself (when a deadline passes) lives in the application; the
//! domain decides what a timeout does.

use super::testkit::*;
use super::*;

fn clocked(timeouts_to_forfeit: u8) -> Setup {
    Setup {
        turn_clock: Some(TurnClock {
            turn_seconds: 30,
            timeouts_to_forfeit,
        }),
        ..Setup::default()
    }
}

#[test]
fn a_timeout_without_a_discard_owed_passes_the_turn_and_changes_nothing_else() {
    // given a clocked two-player game at seat 0's first turn
    let mut table = Table::with(2, clocked(3));
    let before = table.game.clone();
    // when seat 0's clock runs out
    let events = table.time_out(0);
    // then the timeout is recorded, the turn passes, and nobody's belongings changed
    assert_eq!(types(&events), ["TurnTimedOut", "TurnEnded"]);
    assert_eq!(
        events[0],
        Event::TurnTimedOut {
            seat: 0,
            consecutive: 1
        }
    );
    assert_eq!(table.game.current_seat(), Some(1));
    assert_eq!(table.seat(0).timeouts, 1);
    for seat in 0..2 {
        let (now, then) = (table.seat(seat), before.player(seat).unwrap());
        assert_eq!(
            (&now.caravan, &now.hand, &now.played),
            (&then.caravan, &then.hand, &then.played)
        );
    }
}

#[test]
fn a_timeout_with_a_discard_owed_discards_the_lowest_cubes_exactly_down_to_the_limit() {
    // given seat 0 over capacity after its action (capacity 4: YYY + YY = 5, one owed)
    let setup = Setup {
        caravan_capacity: Some(4),
        caravans: Some(vec![sp("YRGG"), sp("YYYY")]),
        ..clocked(3)
    };
    let mut table = Table::with(2, setup);
    let events = table.ok(0, play("S01"));
    assert_eq!(types(&events), ["CardPlayed"]);
    assert_eq!(table.game.awaiting_discard(), Some(2));
    // when its clock runs out
    let events = table.time_out(0);
    // then the two lowest cubes (the yellows) go, and the turn passes
    assert_eq!(
        types(&events),
        ["TurnTimedOut", "SpicesDiscarded", "TurnEnded"]
    );
    assert_eq!(
        events[1],
        Event::SpicesDiscarded {
            seat: 0,
            spices: sp("YY")
        }
    );
    assert_eq!(table.caravan(0), sp("YRGG"));
    assert_eq!(table.game.current_seat(), Some(1));
}

#[test]
fn the_lowest_cubes_go_yellow_first_then_red_green_and_brown() {
    assert_eq!(game::lowest_cubes(sp("YRRGB"), 2), sp("YR"));
    assert_eq!(game::lowest_cubes(sp("RGGBB"), 3), sp("RGG"));
    assert_eq!(game::lowest_cubes(sp("BBBB"), 1), sp("B"));
}

#[test]
fn timing_out_on_as_many_turns_in_a_row_as_the_rules_allow_forfeits_the_seat() {
    // given a three-player game where a seat forfeits after two timeouts in a row
    let mut table = Table::with(3, clocked(2));
    table.time_out(0);
    table.ok(1, play("S01"));
    table.ok(2, play("S01"));
    // when seat 0 times out a second time in a row
    let events = table.time_out(0);
    // then it forfeits exactly as if it had left, and the turn passes to seat 1
    assert_eq!(types(&events), ["TurnTimedOut", "PlayerLeft", "TurnEnded"]);
    assert!(matches!(
        events[1],
        Event::PlayerLeft {
            seat: 0,
            forfeited: true,
            ..
        }
    ));
    assert!(table.seat(0).left);
    assert_eq!(table.game.current_seat(), Some(1));
    // and a later command of that seat is refused
    assert_eq!(table.refused(0, play("S02")).code(), "not_a_player");
}

#[test]
fn an_action_of_its_own_resets_the_count_of_consecutive_timeouts() {
    // given seat 0 timed out once (two allowed)
    let mut table = Table::with(2, clocked(2));
    table.time_out(0);
    table.ok(1, play("S01"));
    // when it then plays, and later times out again
    table.ok(0, play("S01"));
    assert_eq!(table.seat(0).timeouts, 0);
    table.ok(1, play("S02"));
    let events = table.time_out(0);
    // then that timeout is the first of a new series: no forfeit
    assert_eq!(types(&events), ["TurnTimedOut", "TurnEnded"]);
    assert_eq!(table.seat(0).timeouts, 1);
    assert!(!table.seat(0).left);
}

#[test]
fn the_forfeit_that_leaves_one_player_ends_the_game_with_that_player_as_winner() {
    // given a two-player game with a forfeit at the first timeout
    let mut table = Table::with(2, clocked(1));
    // when seat 0 times out
    let events = table.time_out(0);
    // then seat 1 is the last player standing and wins
    assert_eq!(types(&events), ["TurnTimedOut", "PlayerLeft", "GameEnded"]);
    assert_eq!(table.game.status(), GameStatus::Finished);
    assert_eq!(table.game.winner(), Some(1));
    assert_eq!(table.game.end_reason(), Some(EndReason::LastPlayerStanding));
}

#[test]
fn a_timeout_of_the_last_seat_completes_a_triggered_round_and_ends_the_game() {
    // given seat 1 (the last seat) to move in a round where the end was triggered
    let setup = Setup {
        point_cards_to_end: Some(1),
        caravans: Some(vec![sp("YYRRYYYY"), sp("YYYY")]),
        point_deck: vec!["P01"],
        ..clocked(3)
    };
    let mut table = Table::with(2, setup);
    let cost = table.game.view(Viewer::Seat(0)).point_row[0].cost;
    assert!(sp("YYRRYYYY").contains(&cost), "seat 0 can claim {cost:?}");
    table.ok(0, claim(0));
    assert!(table.game.end_triggered());
    // when seat 1's clock runs out
    let events = table.time_out(1);
    // then the round completes and the game ends on the points
    assert_eq!(types(&events), ["TurnTimedOut", "TurnEnded", "GameEnded"]);
    assert_eq!(table.game.end_reason(), Some(EndReason::PointCards));
}

#[test]
fn only_the_server_times_a_turn_out_and_only_the_running_turn_of_a_clocked_game() {
    let clocked_table = Table::with(2, clocked(3));
    // a player cannot send the timeout
    let by_player = clocked_table
        .game
        .decide(&testkit::player(1), &Command::TimeOut { seat: 0 });
    assert_eq!(by_player.unwrap_err().code(), "invalid_command");
    // a timeout for a seat whose turn it is not is refused (it was already handled)
    let stale = clocked_table
        .game
        .decide(&Actor::System, &Command::TimeOut { seat: 1 });
    assert_eq!(stale.unwrap_err().code(), "not_your_turn");
    // a game without a clock has no timeouts
    let unclocked = Table::started(2);
    let none = unclocked
        .game
        .decide(&Actor::System, &Command::TimeOut { seat: 0 });
    assert_eq!(none.unwrap_err().code(), "invalid_command");
}

#[test]
fn the_clock_is_part_of_the_recorded_rules_and_bounded() {
    let table = Table::with(2, clocked(4));
    let rules = table.game.rules().copied().unwrap();
    assert_eq!(rules.turn_seconds, Some(30));
    assert_eq!(rules.timeouts_to_forfeit, 4);
    for (turn_seconds, timeouts_to_forfeit) in [(9, 3), (86_401, 3), (30, 0), (30, 11)] {
        let refused = Game::default().decide(
            &Actor::System,
            &Command::CreateGame {
                num_players: 2,
                seed: 1,
                scenario: None,
                caravan_capacity: None,
                point_cards_to_end: None,
                turn_clock: Some(TurnClock {
                    turn_seconds,
                    timeouts_to_forfeit,
                }),
            },
        );
        assert_eq!(refused.unwrap_err().code(), "invalid_rules");
    }
}

#[test]
fn the_deadline_counts_from_the_commit_that_began_the_turn() {
    let mut table = Table::with(2, clocked(3));
    assert_eq!(table.game.turn_deadline(), None, "no start time known yet");
    let began = chrono::DateTime::parse_from_rfc3339("2026-01-01T10:00:00Z")
        .unwrap()
        .to_utc();
    table.game.turn_began_at(began);
    let deadline = began + chrono::Duration::seconds(30);
    assert_eq!(table.game.turn_deadline(), Some(deadline));
    assert_eq!(
        table.game.view(Viewer::Spectator).turn_deadline,
        Some(deadline)
    );
}

#[test]
fn old_games_without_a_clock_in_their_rules_read_as_unclocked() {
    let rules: Rules =
        serde_json::from_str(r#"{"caravanCapacity":10,"pointCardsToEnd":6,"numPlayers":2}"#)
            .unwrap();
    assert_eq!(rules.turn_seconds, None);
    assert_eq!(rules.timeouts_to_forfeit, 3);
}

#[test]
fn a_computer_player_joins_through_the_server_and_is_recorded_as_one() {
    let mut table = Table::created(2, &Setup::default());
    let add = Command::AddBot {
        player_id: PlayerId::new("cpu"),
        name: "Computer".into(),
        level: BotLevel::Strong,
    };
    assert_eq!(
        table
            .game
            .decide(&testkit::player(0), &add)
            .unwrap_err()
            .code(),
        "invalid_command",
        "players cannot seat a computer player directly"
    );
    let events = table.game.decide(&Actor::System, &add).unwrap();
    table.record(events.clone());
    assert!(matches!(
        &events[0],
        Event::PlayerJoined {
            seat: 0,
            bot: Some(BotLevel::Strong),
            ..
        }
    ));
    assert_eq!(table.seat(0).bot, Some(BotLevel::Strong));
    assert_eq!(
        table.game.view(Viewer::Spectator).players[0].bot,
        Some(BotLevel::Strong)
    );
}
