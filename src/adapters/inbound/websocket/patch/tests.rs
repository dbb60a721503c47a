//! Property tests of the `update` frames: over random games (2 to 5 players, with and without a
//! turn clock, with timeouts, forfeits, seats freed before the start and computer players), for
//! each seat and a spectator, connecting at any version and receiving the commits one or a few at
//! a time, the patches applied by the rules of docs/protocol.md to the state at connect give,
//! after every update, exactly the state a protocol-1 connection is sent at that version.

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;
use serde_json::{json, Value};

use super::super::frames::GameFrames;
use super::super::protocol::{compact, event_frame, Protocol};
use super::apply;
use crate::application::games::LoadedGame;
use crate::application::ports::StoredEvent;
use crate::application::{FeedUpdate, ViewerState};
use crate::domain::random_player::{bot_player_id, RandomPlayer};
use crate::domain::rng::Rng;
use crate::domain::{Actor, BotLevel, Command, Game, GameStatus, TurnClock, Viewer};

const GAME_ID: &str = "g-1";

/// Actions after the start played at most (a game between random players lasts a few hundred;
/// many end sooner, the rest are followed part of the way).
const MAX_ACTIONS: usize = 250;

/// A random game's log, with increasing commit times (so turn deadlines move).
fn history(
    players: u8,
    seed: u64,
    clock: bool,
    leave_per_mille: u64,
    timeout_per_mille: u64,
) -> Vec<StoredEvent> {
    let mut rng = Rng::new(seed ^ 0x9A7C);
    let mut game = Game::default();
    let mut log: Vec<StoredEvent> = Vec::new();
    let mut at: DateTime<Utc> = Utc
        .timestamp_opt(1_764_000_000, 0)
        .single()
        .expect("a time");
    let mut step = |game: &mut Game,
                    log: &mut Vec<StoredEvent>,
                    actor: &Actor,
                    command: &Command,
                    rng: &mut Rng| {
        let Ok(events) = game.decide(actor, command) else {
            return false;
        };
        at += Duration::milliseconds(1 + (rng.next_u64() % 5_000) as i64);
        for event in events {
            game.apply_mut(&event);
            log.push(StoredEvent {
                game_id: GAME_ID.into(),
                event_id: log.len() as u64 + 1,
                command_id: None,
                timestamp: at,
                event,
            });
        }
        true
    };
    let create = Command::CreateGame {
        num_players: players,
        seed,
        scenario: None,
        caravan_capacity: None,
        point_cards_to_end: None,
        turn_clock: clock.then_some(TurnClock {
            turn_seconds: 60,
            timeouts_to_forfeit: 2,
        }),
    };
    assert!(step(&mut game, &mut log, &Actor::System, &create, &mut rng));
    let mut joins = 0u8;
    while game.status() == GameStatus::Waiting && joins < 3 * players {
        joins += 1;
        let seat = game.players().len() as u8;
        let player_id = bot_player_id(seat + 10 * (joins % 3));
        let name = format!("Player \"{joins}\" ✓");
        let command = if rng.next_u64().is_multiple_of(3) {
            Command::AddBot {
                player_id,
                name,
                level: BotLevel::Easy,
            }
        } else {
            Command::Join { player_id, name }
        };
        let actor = Actor::System;
        step(&mut game, &mut log, &actor, &command, &mut rng);
        // Now and then the last one to sit down gets up again before the start.
        if game.status() == GameStatus::Waiting && rng.next_u64() % 1000 < leave_per_mille {
            if let Some(last) = game.players().last() {
                let leaver = Actor::Player(last.player_id.clone());
                step(&mut game, &mut log, &leaver, &Command::Leave, &mut rng);
            }
        }
    }
    let mut chooser = RandomPlayer::new(seed);
    for _ in 0..MAX_ACTIONS {
        if game.status() != GameStatus::Active {
            break;
        }
        let Some(seat) = game.current_seat() else {
            break;
        };
        let roll = rng.next_u64() % 1000;
        if clock && roll < timeout_per_mille {
            step(
                &mut game,
                &mut log,
                &Actor::System,
                &Command::TimeOut { seat },
                &mut rng,
            );
            continue;
        }
        if roll >= 1000 - leave_per_mille {
            let players = game.players();
            let leaver = &players[(rng.next_u64() % players.len() as u64) as usize];
            if !leaver.left {
                let actor = Actor::Player(leaver.player_id.clone());
                step(&mut game, &mut log, &actor, &Command::Leave, &mut rng);
                continue;
            }
        }
        let Some(command) = chooser.choose(&game, seat) else {
            break;
        };
        let actor = Actor::Player(game.player(seat).expect("seated").player_id.clone());
        if !step(&mut game, &mut log, &actor, &command, &mut rng) {
            break;
        }
    }
    log
}

fn viewer_state(loaded: &LoadedGame, viewer: Viewer) -> ViewerState {
    let (viewer_seat, legal) = loaded.game.viewer_part(viewer);
    ViewerState {
        common: Arc::new(loaded.game.view(Viewer::Spectator)),
        viewer_seat,
        legal,
    }
}

/// The state a protocol-1 connection of `viewer` is sent at this version.
fn full_state(frames: &GameFrames, loaded: &LoadedGame, viewer: Viewer) -> Value {
    let frame = frames.state(loaded.version(), &viewer_state(loaded, viewer));
    let mut frame: Value = serde_json::from_str(&frame).expect("a state frame is JSON");
    frame["state"].take()
}

/// How the rest of the log reaches a connection: runs of 1 to `most` commits (the events of one
/// commit share a timestamp), or of 1 to `most` events (a repair may cut a commit), in `protocol`
/// (2 to 4).
#[derive(Clone, Copy, Debug)]
struct Runs {
    most: u64,
    by_commit: bool,
    protocol: Protocol,
}

impl Runs {
    /// The length in events of the next run starting at `log[0]`.
    fn next(self, log: &[StoredEvent], rng: &mut Rng) -> usize {
        let count = 1 + rng.next_u64() % self.most;
        if !self.by_commit {
            return (count as usize).min(log.len());
        }
        let mut end = 0;
        for _ in 0..count {
            let Some(first) = log.get(end) else { break };
            end += log[end..]
                .iter()
                .take_while(|e| e.timestamp == first.timestamp)
                .count();
        }
        end
    }
}

/// Follows `log` as `viewer` connecting after `connect` events, receiving the rest in `runs` (in
/// the protocol of `runs`), and checks every update against the full state and every event
/// against its `event` frame. Returns the frames and their bytes.
fn follow(
    frames: &GameFrames,
    log: &[StoredEvent],
    viewer: Viewer,
    connect: usize,
    runs: Runs,
    rng: &mut Rng,
) -> (usize, usize) {
    let protocol = runs.protocol;
    let mut loaded = LoadedGame::empty();
    assert!(loaded.fold(&log[..connect]));
    let mut held = full_state(frames, &loaded, viewer);
    assert_eq!(
        held,
        serde_json::to_value(loaded.game.view(viewer)).expect("a view")
    );
    let mut previous = viewer_state(&loaded, viewer);
    let mut next = connect;
    let (mut frames_sent, mut bytes) = (0, 0);
    while next < log.len() {
        let take = runs.next(&log[next..], rng);
        let chunk = &log[next..next + take];
        next += chunk.len();
        assert!(loaded.fold(chunk));
        let state = viewer_state(&loaded, viewer);
        let update = FeedUpdate {
            events: chunk.to_vec().into(),
            last_event_id: loaded.version(),
            state: state.clone(),
            previous: previous.clone(),
        };
        let text = frames.update(&update, protocol);
        frames_sent += 1;
        bytes += text.len();
        let frame: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
        // Protocol 4's frame is `[events, patch]`; the others' the object.
        let (events, mut patch) = if protocol.packed() {
            let parts = frame.as_array().expect("a packed update is an array");
            assert_eq!(parts.len(), 2, "{text}");
            (parts[0].clone(), parts[1].clone())
        } else {
            assert_eq!(frame["type"], "update");
            (frame["events"].clone(), frame["patch"].clone())
        };
        let events = events.as_array().expect("events");
        assert_eq!(events.len(), chunk.len(), "{text}");
        assert_eq!(events.last().expect("an event")[0], loaded.version());
        let mut timestamp = Value::Null;
        for (entry, stored) in events.iter().zip(chunk) {
            let full: Value = serde_json::from_str(&event_frame(stored)).expect("an event frame");
            // A timestamp left out (null) is the one of the event before it.
            let mut entry = entry.clone();
            if entry[3].is_null() {
                assert!(
                    !timestamp.is_null(),
                    "the first event has its timestamp: {text}"
                );
                entry[3] = timestamp.clone();
            }
            timestamp = entry[3].clone();
            if protocol.packed() {
                // Milliseconds since the epoch, read back into the event frame's text.
                let millis = entry[3]
                    .as_i64()
                    .unwrap_or_else(|| panic!("a number: {text}"));
                entry[3] = json!(DateTime::from_timestamp_millis(millis).expect("a time"));
            }
            let data = if protocol.compact_events() {
                let event_type = full["eventType"].as_str().expect("a type");
                // Protocol 3's array reads back into the event itself.
                let read =
                    compact::read_event(event_type, &entry[4].to_string()).expect("reads back");
                assert_eq!(read, stored.event.public().into_owned(), "{text}");
                compact::expected_from_frame(event_type, &full["data"])
            } else {
                full["data"].clone()
            };
            let expected = json!([
                full["eventId"],
                full["eventType"],
                full["schemaVersion"],
                full["timestamp"],
                data
            ]);
            assert_eq!(entry, expected, "the update's event is the event frame's");
        }
        if protocol.packed() {
            if let Some(packed) = patch.get_mut("legal").filter(|legal| !legal.is_null()) {
                assert!(packed.is_array(), "protocol 4's hints are an array: {text}");
                let legal = compact::read_packed_legal(&packed.to_string())
                    .unwrap_or_else(|e| panic!("{e}: {text}"));
                *packed = serde_json::to_value(legal).expect("hints");
            }
        }
        apply(&mut held, &patch).unwrap_or_else(|e| panic!("{e}"));
        let expected = full_state(frames, &loaded, viewer);
        assert_eq!(
            held,
            expected,
            "{viewer:?} after event {} (connected after {connect}): {text}",
            loaded.version()
        );
        previous = state;
    }
    (frames_sent, bytes)
}

fn check_game(
    players: u8,
    seed: u64,
    clock: bool,
    leave: u64,
    timeout: u64,
    connect_per_mille: u64,
    runs: Runs,
) {
    let log = history(players, seed, clock, leave, timeout);
    let frames = GameFrames::default();
    let mut rng = Rng::new(seed.rotate_left(17));
    let connect = ((log.len() as u64 * connect_per_mille / 1000) as usize).clamp(1, log.len());
    let viewers = (0..players).map(Viewer::Seat).chain([Viewer::Spectator]);
    for viewer in viewers {
        // The same run lengths for every viewer, as a game's connections see the same commits;
        // and a viewer connected from the start too.
        let mut same = Rng::new(seed);
        follow(&frames, &log, viewer, connect, runs, &mut same);
        follow(&frames, &log, viewer, 1, runs, &mut rng);
    }
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(24, |n: u32| (n / 16).max(8))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn patches_applied_to_the_state_at_connect_give_the_full_state_at_every_version(
        players in 2u8..=5,
        seed in any::<u64>(),
        clock in any::<bool>(),
        leave in 0u64..40,
        timeout in 0u64..150,
        connect in 0u64..=1000,
        most in 1u64..=4,
        by_commit in any::<bool>(),
        protocol in 2u8..=4,
    ) {
        let protocol = Protocol::parse(&protocol.to_string()).expect("a protocol");
        let runs = Runs { most, by_commit, protocol };
        check_game(players, seed, clock, leave, timeout, connect, runs);
    }
}

/// Bytes sent to the four seats of a game per command, in `protocol` (2 to 4) and in protocol 1.
fn bytes_per_command(clock: bool, protocol: Protocol) -> (usize, usize) {
    let log = history(4, 7, clock, 0, 0);
    let frames = GameFrames::default();
    let start = log
        .iter()
        .position(|e| e.event.event_type() == "GameStarted")
        .expect("the game starts")
        + 1;
    let runs = Runs {
        most: 1,
        by_commit: true,
        protocol,
    };
    let (mut commands, mut updates) = (0, 0);
    for viewer in (0..4).map(Viewer::Seat) {
        let (sent, bytes) = follow(&frames, &log, viewer, start, runs, &mut Rng::new(1));
        commands = sent;
        updates += bytes;
    }
    let mut full = 0;
    let mut loaded = LoadedGame::empty();
    assert!(loaded.fold(&log[..start]));
    for stored in &log[start..] {
        assert!(loaded.fold([stored]));
        full += 4 * event_frame(stored).len();
        let commit_ends = log
            .get(loaded.version() as usize)
            .is_none_or(|next| next.timestamp != stored.timestamp);
        if commit_ends {
            for viewer in (0..4).map(Viewer::Seat) {
                full += frames
                    .state(loaded.version(), &viewer_state(&loaded, viewer))
                    .len();
            }
        }
    }
    (updates / commands, full / commands)
}

#[test]
fn a_command_costs_the_seats_a_fraction_of_the_whole_states() {
    for clock in [false, true] {
        let (updates, full) = bytes_per_command(clock, Protocol::Updates);
        let (compact, _) = bytes_per_command(clock, Protocol::Compact);
        let (packed, _) = bytes_per_command(clock, Protocol::Packed);
        if std::env::var("SHOW_FRAMES").is_ok() {
            eprintln!("clock {clock}: {updates} bytes per command to 4 seats in protocol 2, {compact} in protocol 3, {packed} in protocol 4, {full} in protocol 1");
        }
        // Protocol 3 writes each event's values without their names, spice maps as arrays.
        assert!(
            compact * 10 < updates * 8,
            "protocol 3: {compact} bytes per command against {updates}"
        );
        // Protocol 4 drops the frame's member names, shortens the timestamp and packs the hints.
        assert!(
            packed * 100 < compact * 90,
            "protocol 4: {packed} bytes per command against {compact}"
        );
        // Four frames of the events (~270 bytes a command), the patch and the next seat's hints.
        assert!(updates < 2_500, "{updates} bytes per command");
        assert!(
            updates * 4 < full,
            "{updates} bytes per command against {full}"
        );
    }
}
