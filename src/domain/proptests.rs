//! Property tests: thousands of random legal games, checked after every event.
//!
//! The driver claims a point card whenever it can and otherwise picks a random legal command, so
//! every game makes progress; now and then it also sends a random (mostly illegal) command, and
//! now and then a player leaves. The number of games per player count is `PROPTEST_CASES`
//! (default 512).

use proptest::prelude::*;

use super::cards::{deck_merchant_ids, point_ids};
use super::random_player::{bot_player_id, RandomPlayer};
use super::rng::Rng;
use super::*;

/// Turn actions after which a game that has not ended counts as stuck (a real game takes a few
/// hundred at most).
const MAX_ACTIONS: usize = 4_000;

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(512)
}

/// How often the driver does something other than a bot move.
#[derive(Clone, Copy, Debug)]
struct Mix {
    /// Per mille of steps that also try a random command.
    random_per_mille: u64,
    /// Per mille of steps where a random seated player leaves.
    leave_per_mille: u64,
    /// Per mille of turns that the clock runs out on (the game has a turn clock when > 0).
    timeout_per_mille: u64,
}

/// Checks that an event's payments are covered by what the paying player holds.
fn assert_payable(game: &Game, event: &Event) {
    let holds = |seat: Seat, spices: &Spices| {
        let caravan = game.player(seat).unwrap().caravan;
        assert!(
            caravan.contains(spices),
            "seat {seat} pays {spices} from {caravan}: {event:?}"
        );
    };
    match event {
        Event::CardPlayed { seat, paid, .. } | Event::ClaimCompleted { seat, paid, .. } => {
            holds(*seat, paid)
        }
        Event::ItemAcquired { seat, payment, .. } => holds(*seat, &Spices::from_list(payment)),
        Event::SpicesDiscarded { seat, spices } => holds(*seat, spices),
        _ => {}
    }
}

/// The invariants that hold after every event of a started game.
fn assert_invariants(game: &Game) {
    let rules = *game.rules().unwrap();
    let hidden = game.hidden.as_ref().unwrap();
    // every deck merchant card is in exactly one place
    let mut seen = [0u8; 45];
    let mut count = |id: MerchantCardId| seen[id.index()] += 1;
    hidden.merchant_deck[game.merchant_drawn..]
        .iter()
        .copied()
        .for_each(&mut count);
    game.merchant_row().iter().for_each(|s| count(s.card));
    for p in game.players() {
        p.hand.iter().chain(&p.played).copied().for_each(&mut count);
    }
    for id in deck_merchant_ids() {
        assert_eq!(seen[id.index()], 1, "merchant card {id}");
    }
    let n = game.players().len() as u8;
    assert_eq!(seen[MerchantCardId::CREATE_2.index()], n);
    assert_eq!(seen[MerchantCardId::UPGRADE_2.index()], n);
    for p in game.players() {
        let starting = p.hand.iter().chain(&p.played).filter(|c| c.is_starting());
        assert_eq!(starting.count(), 2, "seat {} starting cards", p.seat);
    }
    // every point card is in exactly one place
    let mut seen = [0u8; 36];
    for id in hidden.point_deck[game.point_drawn..]
        .iter()
        .chain(game.point_row())
        .chain(game.players().iter().flat_map(|p| &p.claimed))
    {
        seen[id.index()] += 1;
    }
    for id in point_ids() {
        assert_eq!(seen[id.index()], 1, "point card {id}");
    }
    // coins are conserved
    let gold: u8 = game.players().iter().map(|p| p.gold).sum();
    let silver: u8 = game.players().iter().map(|p| p.silver).sum();
    assert_eq!(game.gold_left() + gold, rules.coins_per_kind());
    assert_eq!(game.silver_left() + silver, rules.coins_per_kind());
    // rows never grow beyond their size
    assert!(game.merchant_row().len() <= 6 && game.point_row().len() <= 5);
}

/// Scores recomputed from the final state, independently of `Game::scores`.
fn recomputed_totals(game: &Game) -> Vec<u16> {
    game.players()
        .iter()
        .map(|p| {
            let cards: u16 = p.claimed.iter().map(|id| id.card().points).sum();
            let cubes = p.caravan.red + p.caravan.green + p.caravan.brown;
            cards + 3 * u16::from(p.gold) + u16::from(p.silver) + cubes
        })
        .collect()
}

/// A random command, mostly illegal: random card, slot, payment, times, discard.
fn random_command(rng: &mut Rng) -> Command {
    let spice = |rng: &mut Rng| Spice::ALL[rng.below(4) as usize];
    let spices = |rng: &mut Rng| {
        Spices::new(
            rng.below(4) as u16,
            rng.below(3) as u16,
            rng.below(3) as u16,
            rng.below(2) as u16,
        )
    };
    match rng.below(6) {
        0 => {
            let card_id = MerchantCardId::from_index(rng.below(45) as usize).unwrap();
            let upgrades = (0..rng.below(4)).map(|_| spice(rng)).collect();
            Command::PlayCard {
                card_id,
                upgrades,
                times: rng.below(5) as u32,
            }
        }
        1 => {
            let slot = rng.below(8) as u8;
            let len = if rng.below(2) == 0 {
                u64::from(slot)
            } else {
                rng.below(8)
            };
            Command::Acquire {
                slot,
                payment: (0..len).map(|_| spice(rng)).collect(),
            }
        }
        2 => Command::Rest,
        3 => Command::Claim {
            slot: rng.below(7) as u8,
        },
        4 => Command::Discard {
            spices: spices(rng),
        },
        _ => Command::Join {
            player_id: PlayerId::new("intruder"),
            name: "Intruder".into(),
        },
    }
}

/// Applies a batch from `decide`, checking the invariants after every event.
fn record(game: &mut Game, history: &mut Vec<Event>, events: Vec<Event>) {
    for event in &events {
        assert_payable(game, event);
        game.apply_mut(event);
        if game.status() != GameStatus::Waiting {
            assert_invariants(game);
        }
        if let Event::TurnEnded { .. } = event {
            let capacity = game.rules().unwrap().caravan_capacity;
            for p in game.players().iter().filter(|p| !p.left) {
                assert!(
                    p.caravan.total() <= capacity,
                    "seat {} passes the turn with {}",
                    p.seat,
                    p.caravan
                );
            }
        }
    }
    assert_eq!(game.version() as usize, history.len() + events.len());
    history.extend(events);
}

/// Plays one random game to its end and checks every property on the way.
fn play_checked_game(num_players: u8, seed: u64, mix: Mix) {
    let mut game = Game::default();
    let mut history = Vec::new();
    let create = Command::CreateGame {
        num_players,
        seed,
        scenario: None,
        caravan_capacity: None,
        point_cards_to_end: None,
        turn_clock: (mix.timeout_per_mille > 0).then_some(TurnClock {
            turn_seconds: 30,
            timeouts_to_forfeit: 1 + (seed % 4) as u8,
        }),
    };
    let events = game.decide(&Actor::System, &create).unwrap();
    record(&mut game, &mut history, events);
    for seat in 0..num_players {
        let join = Command::Join {
            player_id: bot_player_id(seat),
            name: format!("Bot {seat}"),
        };
        let events = game.decide(&Actor::System, &join).unwrap();
        record(&mut game, &mut history, events);
    }
    assert_eq!(game.status(), GameStatus::Active);

    let mut bot = RandomPlayer::new(seed.rotate_left(17));
    let mut chaos = Rng::new(!seed);
    let mut actions = 0;
    while game.status() == GameStatus::Active {
        actions += 1;
        assert!(
            actions < MAX_ACTIONS,
            "game {seed} stuck after {actions} actions"
        );
        let seat = game.current_seat().unwrap();
        let actor = Actor::Player(bot_player_id(seat));

        if chaos.below(1000) < mix.timeout_per_mille {
            // The clock runs out: always accepted for the seat to move, whatever it owes.
            let events = game
                .decide(&Actor::System, &Command::TimeOut { seat })
                .unwrap();
            assert!(matches!(events[0], Event::TurnTimedOut { seat: s, .. } if s == seat));
            record(&mut game, &mut history, events);
            continue;
        }

        if chaos.below(1000) < mix.leave_per_mille {
            let leaver = chaos.below(u64::from(num_players)) as Seat;
            let who = Actor::Player(bot_player_id(leaver));
            match game.decide(&who, &Command::Leave) {
                Ok(events) => {
                    assert!(matches!(
                        events[0],
                        Event::PlayerLeft {
                            forfeited: true,
                            ..
                        }
                    ));
                    record(&mut game, &mut history, events);
                    continue;
                }
                Err(e) => assert_eq!(e, RuleViolation::NotAPlayer),
            }
        }

        if chaos.below(1000) < mix.random_per_mille {
            let command = random_command(&mut chaos);
            let sender = if chaos.below(4) == 0 {
                Actor::Player(bot_player_id(chaos.below(u64::from(num_players)) as Seat))
            } else {
                actor.clone()
            };
            let before = game.clone();
            match game.decide(&sender, &command) {
                Ok(events) => {
                    // an accepted random command is a legal move: play it
                    record(&mut game, &mut history, events);
                    continue;
                }
                Err(violation) => {
                    assert_eq!(game, before);
                    assert!(!violation.code().is_empty());
                    if sender == actor {
                        assert!(
                            !game.legal_commands(seat).contains(&command),
                            "{command:?} is listed as legal but refused: {violation:?}"
                        );
                    }
                }
            }
        }

        let legal = game.legal_commands(seat);
        assert!(!legal.is_empty(), "seat {seat} has no legal command");
        // every listed command is accepted (checked on a sample, the bot's choice always)
        let probe = &legal[chaos.below(legal.len() as u64) as usize];
        assert!(game.decide(&actor, probe).is_ok(), "{probe:?} refused");
        let hints = game.legal_hints(seat).unwrap();
        assert_eq!(
            hints.discard_owed.is_some(),
            legal.iter().all(|c| matches!(c, Command::Discard { .. }))
        );
        let command = bot.choose(&game, seat).unwrap();
        let events = game.decide(&actor, &command).unwrap();
        record(&mut game, &mut history, events);
        if actions % 64 == 0 {
            assert_eq!(Game::replay(&history), game);
        }
    }

    // the game ended properly and replays to the same state
    assert_eq!(game.status(), GameStatus::Finished);
    let Some(Event::GameEnded {
        scores,
        winner,
        reason,
    }) = history.last()
    else {
        panic!("the last event is not GameEnded");
    };
    assert_eq!(Game::replay(&history), game);
    assert_eq!(Game::replay(history.iter()).version(), history.len() as u64);
    // the final scores equal a recomputation, and the winner follows the tie-break
    let totals = recomputed_totals(&game);
    assert_eq!(scores.iter().map(|s| s.total).collect::<Vec<_>>(), totals);
    assert_eq!(scores, &game.scores());
    let best = game
        .players()
        .iter()
        .filter(|p| !p.left)
        .map(|p| (totals[usize::from(p.seat)], p.seat))
        .max()
        .map(|(_, seat)| seat);
    assert_eq!(*winner, best);
    match reason {
        EndReason::PointCards => {
            let to_end = usize::from(game.rules().unwrap().point_cards_to_end);
            assert!(game.players().iter().any(|p| p.claimed.len() >= to_end));
        }
        EndReason::LastPlayerStanding => {
            assert_eq!(game.players().iter().filter(|p| !p.left).count(), 1);
        }
        EndReason::Expired => panic!("bots never leave a game waiting"),
    }
    // nothing is legal any more
    for seat in 0..num_players {
        assert!(game.legal_commands(seat).is_empty());
    }
}

const PLAIN: Mix = Mix {
    random_per_mille: 150,
    leave_per_mille: 0,
    timeout_per_mille: 0,
};
const WITH_LEAVERS: Mix = Mix {
    random_per_mille: 100,
    leave_per_mille: 4,
    timeout_per_mille: 0,
};
const WITH_TIMEOUTS: Mix = Mix {
    random_per_mille: 100,
    leave_per_mille: 2,
    timeout_per_mille: 150,
};
const ONLY_TIMEOUTS: Mix = Mix {
    random_per_mille: 0,
    leave_per_mille: 0,
    timeout_per_mille: 1000,
};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn random_two_player_games_keep_every_invariant(seed in any::<u64>()) {
        play_checked_game(2, seed, PLAIN);
    }

    #[test]
    fn random_three_player_games_keep_every_invariant(seed in any::<u64>()) {
        play_checked_game(3, seed, PLAIN);
    }

    #[test]
    fn random_four_player_games_keep_every_invariant(seed in any::<u64>()) {
        play_checked_game(4, seed, PLAIN);
    }

    #[test]
    fn random_five_player_games_keep_every_invariant(seed in any::<u64>()) {
        play_checked_game(5, seed, PLAIN);
    }

    #[test]
    fn random_games_with_players_leaving_keep_every_invariant(
        num_players in 2u8..=5,
        seed in any::<u64>(),
    ) {
        play_checked_game(num_players, seed, WITH_LEAVERS);
    }

    #[test]
    fn random_games_mixing_moves_and_timeouts_keep_every_invariant_and_end(
        num_players in 2u8..=5,
        seed in any::<u64>(),
    ) {
        play_checked_game(num_players, seed, WITH_TIMEOUTS);
    }

    #[test]
    fn games_where_every_clock_runs_out_end_by_forfeits(
        num_players in 2u8..=5,
        seed in any::<u64>(),
    ) {
        play_checked_game(num_players, seed, ONLY_TIMEOUTS);
    }

    #[test]
    fn the_same_seed_always_deals_the_same_decks(seed in any::<u64>()) {
        let create = Command::CreateGame {
            num_players: 3,
            seed,
            scenario: None,
            caravan_capacity: None,
            point_cards_to_end: None,
            turn_clock: None,
        };
        let a = Game::default().decide(&Actor::System, &create).unwrap();
        let b = Game::default().decide(&Actor::System, &create).unwrap();
        prop_assert_eq!(&a, &b);
        let Event::GameCreated { hidden: Some(h), .. } = &a[0] else { panic!() };
        let mut merchants = h.merchant_deck.clone();
        merchants.sort();
        prop_assert_eq!(merchants, deck_merchant_ids().collect::<Vec<_>>());
        let mut points = h.point_deck.clone();
        points.sort();
        prop_assert_eq!(points, point_ids().collect::<Vec<_>>());
    }

    #[test]
    fn upgrade_patterns_are_distinct_and_legal(
        y in 0u16..5, r in 0u16..5, g in 0u16..5, b in 0u16..3, steps in 0u8..=3,
    ) {
        let caravan = Spices::new(y, r, g, b);
        let patterns = super::legal::upgrade_patterns(caravan, steps);
        let mut outcomes = Vec::new();
        for pattern in &patterns {
            let after = super::game::upgrade_caravan(caravan, pattern, steps).unwrap();
            prop_assert_eq!(after.total(), caravan.total());
            prop_assert!(!outcomes.contains(&after));
            outcomes.push(after);
        }
        prop_assert_eq!(&patterns[0], &Vec::<Spice>::new());
    }

    #[test]
    fn discard_options_remove_exactly_the_excess(
        y in 0u16..8, r in 0u16..8, g in 0u16..8, b in 0u16..8, owed in 1u16..6,
    ) {
        let caravan = Spices::new(y, r, g, b);
        prop_assume!(caravan.total() >= owed);
        let options = super::legal::discard_options(caravan, owed);
        prop_assert!(!options.is_empty());
        for option in options {
            prop_assert!(caravan.contains(&option));
            prop_assert_eq!(option.total(), owed);
        }
    }
}
