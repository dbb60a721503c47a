use super::*;
use caravan::domain::{random_player, Actor, PlayerId, Viewer};

/// Frames for events `from..=to` of `events` (1-based ids), as the server frames them.
fn event_frames(events: &[Event], from: u64, to: u64) -> Vec<Frame> {
    (from..=to)
        .map(|id| Frame::Event {
            game_id: Some("g".into()),
            event_id: id,
            event: Box::new(events[(id - 1) as usize].public().into_owned()),
        })
        .collect()
}

#[test]
fn a_game_rebuilt_from_public_events_has_the_same_legal_commands() {
    for (players, seed) in [(2, 3), (3, 5), (4, 7), (5, 9)] {
        let events = random_player::play_game(players, seed, 5_000);
        assert!(matches!(events.last(), Some(Event::GameEnded { .. })));
        let mut full = Game::default();
        let mut public = Game::default();
        for event in &events {
            full.apply_mut(event);
            public.apply_mut(&event.public());
            if let Some(seat) = full.current_seat() {
                assert_eq!(full.legal_commands(seat), public.legal_commands(seat));
                assert_eq!(
                    full.view(Viewer::Seat(seat)).legal,
                    public.view(Viewer::Seat(seat)).legal
                );
            }
        }
        assert_eq!(full.scores(), public.scores());
    }
}

/// Plays a whole game with one bot per seat, routing each command through the domain as the
/// server would and handing every bot the frames the server would send.
#[test]
fn bots_play_a_game_to_the_end_through_their_frames() {
    let stats = Stats::default();
    let players = 4u8;
    let mut track = GameTrack::new(usize::from(players));
    let mut game = Game::default();
    let mut log: Vec<Event> = Vec::new();
    let commit = |game: &mut Game, log: &mut Vec<Event>, actor: &Actor, command: &Command| {
        let events = game.decide(actor, command).expect("legal");
        for e in &events {
            game.apply_mut(e);
        }
        log.extend(events.iter().cloned());
        events.len() as u64
    };
    commit(
        &mut game,
        &mut log,
        &Actor::System,
        &Command::CreateGame {
            num_players: players,
            seed: 21,
            scenario: None,
            caravan_capacity: None,
            point_cards_to_end: None,
            turn_clock: None,
        },
    );
    for seat in 0..players {
        let id = PlayerId::new(format!("p{seat}"));
        commit(
            &mut game,
            &mut log,
            &Actor::System,
            &Command::Join {
                player_id: id,
                name: format!("p{seat}"),
            },
        );
    }
    let mut bots: Vec<SeatPlayer> = (0..players)
        .map(|s| SeatPlayer::new("g", s, 100 + u64::from(s)))
        .collect();
    let now = Instant::now();
    // Each bot connects with lastEventId=0: the history, then caughtUp.
    let mut outbox: Vec<(Seat, String)> = Vec::new();
    let version = log.len() as u64;
    for b in &mut bots {
        for f in event_frames(&log, 1, version) {
            assert_eq!(b.on_frame(f, now, &stats, &mut track), Step::Continue);
        }
        if let Step::Send(text) = b.on_frame(
            Frame::CaughtUp {
                last_event_id: version,
            },
            now,
            &stats,
            &mut track,
        ) {
            outbox.push((b.seat(), text));
        }
    }
    let mut finished = 0;
    let mut turns = 0;
    while let Some((seat, text)) = outbox.pop() {
        turns += 1;
        assert!(turns < 10_000, "the game should end");
        let sent: serde_json::Value = serde_json::from_str(&text).unwrap();
        let command: Command = serde_json::from_value(sent["command"].clone()).unwrap();
        let request_id = sent["requestId"].as_str().unwrap().to_string();
        let before = log.len() as u64;
        let actor = Actor::Player(PlayerId::new(format!("p{seat}")));
        let n = commit(&mut game, &mut log, &actor, &command);
        let after = before + n;
        // The sender's result first, then everyone's events and state.
        let result = Frame::CommandResult {
            request_id,
            error: None,
            event_ids: (before + 1..=after).collect(),
        };
        let step = bots[usize::from(seat)].on_frame(result, now, &stats, &mut track);
        assert_eq!(step, Step::Continue);
        for b in &mut bots {
            for f in event_frames(&log, before + 1, after) {
                b.on_frame(f, now, &stats, &mut track);
            }
            match b.on_frame(
                Frame::State {
                    last_event_id: after,
                },
                now,
                &stats,
                &mut track,
            ) {
                Step::Send(text) => outbox.push((b.seat(), text)),
                Step::Finished => finished += 1,
                Step::Continue => {}
                Step::GiveUp(why) => panic!("bot gave up: {why}"),
                Step::Retry(_) => panic!("nothing is rate-limited here"),
            }
        }
        assert!(outbox.len() <= 1, "one seat acts at a time");
    }
    assert_eq!(finished, usize::from(players));
    assert!(bots.iter().all(SeatPlayer::ended));
    assert!(track.ended);
    assert_eq!(
        bots[0].game(),
        &log.iter()
            .map(|e| e.public().into_owned())
            .fold(Game::default(), |g, e| g.apply(&e))
    );
    assert_eq!(stats.violations().0, 0);
    assert_eq!(
        Stats::get(&stats.commands_ok),
        Stats::get(&stats.commands_sent)
    );
    assert_eq!(
        stats.delivery_latency.lock().count(),
        Stats::get(&stats.commands_ok)
    );
    assert!(stats.errors().is_empty(), "{:?}", stats.errors());
}

/// The first seat's bot of a 2-player bot game, caught up to the game's start and having chosen
/// its first command: the bot and the command frame it sent.
fn first_seat_at_its_turn(
    stats: &Stats,
    track: &mut GameTrack,
    now: Instant,
) -> (SeatPlayer, String) {
    let events = random_player::play_game(2, 4, 5_000);
    let start = events
        .iter()
        .position(|e| matches!(e, Event::GameStarted { .. }))
        .unwrap() as u64
        + 1;
    let Event::GameStarted { first_seat, .. } = events[(start - 1) as usize] else {
        unreachable!()
    };
    let mut b = SeatPlayer::new("g", first_seat, 1);
    for f in event_frames(&events, 1, start) {
        b.on_frame(f, now, stats, track);
    }
    let caught_up = Frame::CaughtUp {
        last_event_id: start,
    };
    let Step::Send(sent) = b.on_frame(caught_up, now, stats, track) else {
        panic!("first seat acts");
    };
    (b, sent)
}

#[test]
fn a_refused_command_is_chosen_again_and_repeated_refusals_give_up() {
    let stats = Stats::default();
    let mut track = GameTrack::new(2);
    let now = Instant::now();
    let (mut b, _) = first_seat_at_its_turn(&stats, &mut track, now);
    for round in 1..=MAX_REFUSALS {
        let id = b.in_flight().unwrap().to_string();
        let step = b.on_frame(
            Frame::CommandResult {
                request_id: id,
                error: Some("cannot_afford".into()),
                event_ids: vec![],
            },
            now,
            &stats,
            &mut track,
        );
        if round < MAX_REFUSALS {
            assert!(matches!(step, Step::Send(_)), "chosen again");
        } else {
            assert_eq!(step, Step::GiveUp("refused"));
        }
    }
    assert_eq!(
        stats.errors().get("cannot_afford"),
        Some(&u64::from(MAX_REFUSALS))
    );
}

#[test]
fn a_rate_limited_command_is_sent_again_unchanged() {
    let stats = Stats::default();
    let mut track = GameTrack::new(2);
    let now = Instant::now();
    let (mut b, sent) = first_seat_at_its_turn(&stats, &mut track, now);
    let id = b.in_flight().unwrap().to_string();
    let limited = Frame::CommandResult {
        request_id: id.clone(),
        error: Some("rate_limited".into()),
        event_ids: vec![],
    };
    assert_eq!(
        b.on_frame(limited, now, &stats, &mut track),
        Step::Retry(sent)
    );
    assert_eq!(b.in_flight(), Some(id.as_str()));
    assert_eq!(Stats::get(&stats.commands_refused), 0);
    assert_eq!(stats.errors().get("rate_limited"), Some(&1));
}

#[test]
fn a_gap_or_a_foreign_event_fails_the_stream() {
    let stats = Stats::default();
    let mut track = GameTrack::new(2);
    let events = random_player::play_game(2, 4, 5_000);
    let mut b = SeatPlayer::new("g", 0, 1);
    let now = Instant::now();
    let mut frames = event_frames(&events, 1, 3);
    frames.remove(1);
    assert_eq!(
        b.on_frame(frames.remove(0), now, &stats, &mut track),
        Step::Continue
    );
    assert_eq!(
        b.on_frame(frames.remove(0), now, &stats, &mut track),
        Step::GiveUp("stream_violation")
    );
    let mut other = SeatPlayer::new("h", 1, 1);
    let foreign = event_frames(&events, 1, 1).remove(0);
    assert_eq!(
        other.on_frame(foreign, now, &stats, &mut track),
        Step::GiveUp("stream_violation")
    );
    let (total, by_kind, _) = stats.violations();
    assert_eq!(total, 2);
    assert_eq!(by_kind.get("gap"), Some(&1));
    assert_eq!(by_kind.get("wrong_game"), Some(&1));
}

#[test]
fn delivery_latency_waits_for_the_last_player_whichever_comes_first() {
    let stats = Stats::default();
    let mut track = GameTrack::new(2);
    let events = random_player::play_game(2, 4, 5_000);
    let t0 = Instant::now();
    let t1 = t0 + Duration::from_millis(3);
    let t2 = t0 + Duration::from_millis(5);
    assert!(track.arrived(1, &events[0], t1, &stats, "g").is_none());
    assert_eq!(track.batch_sent(1, t0, t1), None);
    assert_eq!(
        track.arrived(1, &events[0], t2, &stats, "g"),
        Some(Duration::from_millis(5))
    );
    // Delivered to both before the result came back.
    assert!(track.arrived(2, &events[1], t1, &stats, "g").is_none());
    assert!(track.arrived(2, &events[1], t1, &stats, "g").is_none());
    assert_eq!(track.batch_sent(2, t0, t2), Some(Duration::from_millis(3)));
    // A different event under the same id is a fork.
    track.arrived(3, &events[2], t1, &stats, "g");
    track.arrived(3, &events[3], t1, &stats, "g");
    assert_eq!(stats.violations().1.get("divergent"), Some(&1));
}
