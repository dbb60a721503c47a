//! The scheduler with a controlled clock over the in-memory store: when a deadline fires, that it
//! fires once, and what a move racing it leaves in the log.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use super::*;
use crate::adapters::outbound::memory::{LocalEventBus, MemoryEventStore, MemoryReadModels};
use crate::application::ports::{Clock, MockPlayerTokens, NoMetrics, PlayerClaims, Ports};
use crate::application::testing::now;
use crate::application::{NewGame, ServiceSettings, Services};
use crate::domain::{Event, GameStatus};

/// A clock that moves only when told.
struct ManualClock(parking_lot::Mutex<DateTime<Utc>>);

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock()
    }
}

impl ManualClock {
    fn advance(&self, by: Duration) {
        *self.0.lock() += by;
    }
}

struct World {
    clock: Arc<ManualClock>,
    store: Arc<MemoryEventStore>,
}

impl World {
    fn new() -> World {
        World {
            clock: Arc::new(ManualClock(parking_lot::Mutex::new(now()))),
            store: Arc::new(MemoryEventStore::new()),
        }
    }

    /// One instance of the server over the shared store and clock.
    fn instance(&self, thinking_ms: u64) -> Services {
        let mut tokens = MockPlayerTokens::new();
        tokens
            .expect_issue()
            .returning(|claims| Ok(format!("token-for-{}", claims.player_id)));
        let ports = Ports {
            store: self.store.clone(),
            bus: Arc::new(LocalEventBus::new(1024)),
            read_models: Arc::new(MemoryReadModels::new()),
            clock: self.clock.clone(),
            tokens: Arc::new(tokens),
            metrics: Arc::new(NoMetrics),
        };
        let settings = ServiceSettings {
            scheduler: SchedulerSettings {
                bot_thinking: StdDuration::from_millis(thinking_ms),
                ..SchedulerSettings::default()
            },
            ..ServiceSettings::default()
        };
        Services::new(ports, settings)
    }

    async fn events(&self, services: &Services, game_id: &str) -> Vec<Event> {
        services
            .ports()
            .store
            .read(game_id, 0, None)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.event)
            .collect()
    }
}

fn count(events: &[Event], kind: &str) -> usize {
    events.iter().filter(|e| e.event_type() == kind).count()
}

/// A started two-player game with a 30-second clock; the claims of both seats.
async fn clocked_game(services: &Services, game_id: &str) -> Vec<PlayerClaims> {
    services
        .commands
        .create_game(NewGame {
            game_id: Some(game_id.into()),
            num_players: 2,
            seed: Some(3),
            turn_seconds: Some(30),
            ..NewGame::default()
        })
        .await
        .unwrap();
    let mut claims = Vec::new();
    for name in ["ada", "bo"] {
        let joined = services.commands.join(game_id, name).await.unwrap();
        claims.push(PlayerClaims {
            player_id: joined.player_id,
            game_id: game_id.into(),
            seat: joined.seat,
            exp: i64::MAX,
        });
    }
    claims
}

fn s01() -> Command {
    Command::PlayCard {
        card_id: crate::domain::MerchantCardId::CREATE_2,
        upgrades: vec![],
        times: 1,
    }
}

#[tokio::test]
async fn a_deadline_fires_once_and_not_a_moment_before_it_passes() {
    let world = World::new();
    let server = world.instance(0);
    clocked_game(&server, "g").await;
    let deadline = world.clock.now() + Duration::seconds(30);
    assert_eq!(server.scheduler.timetable().due_at("g"), Some(deadline));
    let view = server
        .queries
        .view("g", crate::domain::Viewer::Spectator)
        .await
        .unwrap();
    assert_eq!(view.state.turn_deadline, Some(deadline));

    // a millisecond early: nothing
    world.clock.advance(Duration::milliseconds(29_999));
    assert_eq!(server.scheduler.run_due().await, 0);
    assert_eq!(count(&world.events(&server, "g").await, "TurnTimedOut"), 0);

    // at the deadline: the timeout and the end of the turn, in one commit
    world.clock.advance(Duration::milliseconds(1));
    assert_eq!(server.scheduler.run_due().await, 1);
    let events = world.events(&server, "g").await;
    let tail: Vec<_> = events[events.len() - 2..]
        .iter()
        .map(Event::event_type)
        .collect();
    assert_eq!(tail, ["TurnTimedOut", "TurnEnded"]);

    // and never again for that turn, however often it is fired
    assert_eq!(server.scheduler.run_due().await, 0);
    assert_eq!(server.scheduler.fire("g").await.unwrap(), Fired::NotYet);
    assert_eq!(count(&world.events(&server, "g").await, "TurnTimedOut"), 1);
    // the next turn's deadline counts from that commit
    assert_eq!(
        server.scheduler.timetable().due_at("g"),
        Some(deadline + Duration::seconds(30))
    );
}

#[tokio::test]
async fn two_instances_firing_the_same_deadline_time_the_turn_out_once() {
    let world = World::new();
    let (a, b) = (world.instance(0), world.instance(0));
    clocked_game(&a, "g").await;
    b.scheduler.load_all().await.unwrap();
    world.clock.advance(Duration::seconds(30));
    let (x, y) = tokio::join!(a.scheduler.run_due(), b.scheduler.run_due());
    assert_eq!(x + y, 1, "exactly one instance committed the timeout");
    let events = world.events(&a, "g").await;
    assert_eq!(count(&events, "TurnTimedOut"), 1);
    assert_eq!(count(&events, "TurnEnded"), 1);
}

#[tokio::test]
async fn a_move_racing_the_deadline_leaves_exactly_one_of_the_two_in_the_log() {
    for player_first in [true, false] {
        let world = World::new();
        let server = world.instance(0);
        let claims = clocked_game(&server, "g").await;
        world.clock.advance(Duration::seconds(30));
        let play = server.commands.execute(&claims[0], "g", None, s01());
        let fire = server.scheduler.fire("g");
        let (played, fired) = if player_first {
            let played = play.await;
            (played, fire.await.unwrap())
        } else {
            let fired = fire.await.unwrap();
            (play.await, fired)
        };
        let events = world.events(&server, "g").await;
        let timed_out = count(&events, "TurnTimedOut");
        let moved = count(&events, "CardPlayed");
        assert_eq!(timed_out + moved, 1, "player first: {player_first}");
        match played {
            Ok(_) => assert_eq!((moved, fired), (1, Fired::NotYet)),
            Err(e) => {
                // The late move is refused as any move out of turn.
                assert_eq!(e.code(), "not_your_turn");
                assert_eq!(timed_out, 1);
            }
        }
    }
    // and truly at once
    let world = World::new();
    let server = world.instance(0);
    let claims = clocked_game(&server, "g").await;
    world.clock.advance(Duration::seconds(30));
    let (played, fired) = tokio::join!(
        server.commands.execute(&claims[0], "g", None, s01()),
        server.scheduler.fire("g")
    );
    let events = world.events(&server, "g").await;
    assert_eq!(
        count(&events, "TurnTimedOut") + count(&events, "CardPlayed"),
        1,
        "{played:?} {fired:?}"
    );
}

#[tokio::test]
async fn seats_that_keep_timing_out_forfeit_and_the_game_ends() {
    let world = World::new();
    let server = world.instance(0);
    clocked_game(&server, "g").await;
    for _ in 0..10 {
        world.clock.advance(Duration::seconds(30));
        server.scheduler.run_due().await;
    }
    let events = world.events(&server, "g").await;
    // three timeouts of seat 0 (the default) and two of seat 1 in between; seat 0 forfeits
    assert_eq!(count(&events, "TurnTimedOut"), 5);
    assert_eq!(events.last().unwrap().event_type(), "GameEnded");
    let state = server
        .queries
        .view("g", crate::domain::Viewer::Spectator)
        .await
        .unwrap();
    assert_eq!(state.state.status, GameStatus::Finished);
    assert_eq!(state.state.winner, Some(1));
    assert!(
        server.scheduler.timetable().is_empty(),
        "nothing left to do"
    );
}

#[tokio::test]
async fn computer_players_play_a_game_to_its_end_after_their_thinking_delay() {
    let world = World::new();
    let server = world.instance(500);
    server
        .commands
        .create_game(NewGame {
            game_id: Some("cpu".into()),
            num_players: 3,
            seed: Some(11),
            bots: vec![BotLevel::Easy, BotLevel::Greedy, BotLevel::Strong],
            ..NewGame::default()
        })
        .await
        .unwrap();
    // not before the thinking delay
    world.clock.advance(Duration::milliseconds(499));
    assert_eq!(server.scheduler.run_due().await, 0);
    let mut moves = 0;
    for _ in 0..2_000 {
        world.clock.advance(Duration::milliseconds(500));
        moves += server.scheduler.run_due().await;
        if server.scheduler.timetable().is_empty() {
            break;
        }
    }
    let events = world.events(&server, "cpu").await;
    assert_eq!(
        events.last().unwrap().event_type(),
        "GameEnded",
        "{moves} moves"
    );
    let joined: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::PlayerJoined { bot, .. } => Some(*bot),
            _ => None,
        })
        .collect();
    assert_eq!(
        joined,
        [
            Some(BotLevel::Easy),
            Some(BotLevel::Greedy),
            Some(BotLevel::Strong)
        ]
    );
}

#[tokio::test]
async fn an_instance_that_starts_after_a_deadline_fires_it_at_once() {
    let world = World::new();
    let first = world.instance(0);
    clocked_game(&first, "g").await;
    drop(first);
    world.clock.advance(Duration::seconds(90));
    let second = world.instance(0);
    assert_eq!(second.scheduler.load_all().await.unwrap(), 1);
    assert_eq!(second.scheduler.run_due().await, 1);
    assert_eq!(count(&world.events(&second, "g").await, "TurnTimedOut"), 1);
}

/// An instance whose waiting games expire after a minute.
fn expiring(world: &World) -> Services {
    let mut tokens = MockPlayerTokens::new();
    tokens
        .expect_issue()
        .returning(|claims| Ok(format!("token-for-{}", claims.player_id)));
    let ports = Ports {
        store: world.store.clone(),
        bus: Arc::new(LocalEventBus::new(1024)),
        read_models: Arc::new(MemoryReadModels::new()),
        clock: world.clock.clone(),
        tokens: Arc::new(tokens),
        metrics: Arc::new(NoMetrics),
    };
    let settings = ServiceSettings {
        scheduler: SchedulerSettings {
            waiting_timeout: Some(StdDuration::from_secs(60)),
            ..SchedulerSettings::default()
        },
        ..ServiceSettings::default()
    };
    Services::new(ports, settings)
}

#[tokio::test]
async fn a_game_that_does_not_fill_in_time_is_closed_once_on_any_number_of_instances() {
    let world = World::new();
    let (a, b) = (expiring(&world), expiring(&world));
    for id in ["lonely", "filled"] {
        a.commands
            .create_game(NewGame {
                game_id: Some(id.into()),
                num_players: 2,
                ..NewGame::default()
            })
            .await
            .unwrap();
        a.commands.join(id, "ada").await.unwrap();
    }
    let deadline = world.clock.now() + Duration::seconds(60);
    assert_eq!(a.scheduler.timetable().due_at("lonely"), Some(deadline));
    assert_eq!(b.scheduler.load_all().await.unwrap(), 2);
    // The second seat of one game fills before the deadline: that game starts instead.
    b.commands.join("filled", "bo").await.unwrap();

    world.clock.advance(Duration::seconds(59));
    assert_eq!(a.scheduler.run_due().await + b.scheduler.run_due().await, 0);
    world.clock.advance(Duration::seconds(1));
    let (on_a, on_b) = tokio::join!(a.scheduler.run_due(), b.scheduler.run_due());
    assert_eq!(on_a + on_b, 1, "closed by exactly one instance");

    let lonely = world.events(&a, "lonely").await;
    assert_eq!(count(&lonely, "GameEnded"), 1);
    assert!(matches!(
        lonely.last(),
        Some(Event::GameEnded {
            winner: None,
            reason: crate::domain::EndReason::Expired,
            ..
        })
    ));
    let filled = world.events(&a, "filled").await;
    assert_eq!(count(&filled, "GameEnded"), 0);
    assert_eq!(count(&filled, "GameStarted"), 1);
    let view = a
        .queries
        .view("lonely", crate::domain::Viewer::Spectator)
        .await
        .unwrap();
    assert_eq!(view.state.status, GameStatus::Finished);
}
