//! One seat of the load generator, as a state machine over the frames it receives: it rebuilds the
//! game from the public events (the domain's [`Game::apply_mut`] needs no hidden information: every
//! revealed card is in an event), and on its turn sends a command from [`Game::legal_commands`]
//! through the domain's [`RandomPlayer`] (which claims a point card whenever it can, so games end).
//!
//! The machine does no I/O: the connection loop (`play_seat` in `loadtest/mod.rs`) feeds it frames
//! and sends what it returns, which keeps it testable against the domain alone.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use caravan::domain::{Command, Event, Game, GameStatus, RandomPlayer, Seat};

use super::stats::{Stats, Violation};
use super::stream::{Frame, StreamChecker};

/// What the connection loop should do after a frame.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Keep reading.
    Continue,
    /// Send this text frame, then keep reading.
    Send(String),
    /// The game is over for this player: close the connection.
    Finished,
    /// Stop playing this game (the reason is an error code, already counted).
    GiveUp(&'static str),
    /// The server refused to read the command now (`rate_limited`): send this text frame again
    /// after [`RETRY_AFTER`] (same request id, so it cannot run twice).
    Retry(String),
}

/// How long a bot waits before sending a rate-limited command again.
pub const RETRY_AFTER: Duration = Duration::from_millis(250);

/// Code of the server's answer to a message over the per-connection rate.
const RATE_LIMITED: &str = "rate_limited";

/// A command sent and not yet answered.
#[derive(Debug, Clone)]
struct InFlight {
    request_id: String,
    sent: Instant,
    text: String,
}

/// Consecutive refusals after which a bot gives its game up (a correct bot is never refused).
const MAX_REFUSALS: u32 = 3;

/// One seat's bot.
pub struct SeatPlayer {
    game_id: String,
    seat: Seat,
    game: Game,
    checker: StreamChecker,
    chooser: RandomPlayer,
    in_flight: Option<InFlight>,
    /// The game version at which the last command was chosen (one command per version).
    acted_at: Option<u64>,
    /// The version named by the last `state`/`caughtUp`: the bot acts only at such a boundary.
    boundary: Option<u64>,
    next_request: u64,
    refusals: u32,
    ended: bool,
}

impl SeatPlayer {
    /// A bot for `seat` of `game_id` that has received nothing yet; `seed` drives its choices.
    pub fn new(game_id: &str, seat: Seat, seed: u64) -> Self {
        SeatPlayer {
            game_id: game_id.to_string(),
            seat,
            game: Game::default(),
            checker: StreamChecker::new(format!("game {game_id} seat {seat}"), 0),
            chooser: RandomPlayer::new(seed),
            in_flight: None,
            acted_at: None,
            boundary: None,
            next_request: 0,
            refusals: 0,
            ended: false,
        }
    }

    /// The last event id received: where a reconnect resumes.
    pub fn last_event_id(&self) -> u64 {
        self.checker.last()
    }

    /// The game played.
    pub fn game_id(&self) -> &str {
        &self.game_id
    }

    /// The seat played.
    pub fn seat(&self) -> Seat {
        self.seat
    }

    /// True once `GameEnded` has been received.
    pub fn ended(&self) -> bool {
        self.ended
    }

    /// The game as rebuilt from the events received.
    pub fn game(&self) -> &Game {
        &self.game
    }

    /// The connection dropped: whatever was in flight is forgotten (a reconnect catches up and the
    /// bot decides again on the state it then has).
    pub fn disconnected(&mut self) {
        self.in_flight = None;
        self.acted_at = None;
        self.boundary = None;
    }

    /// Handles one frame received at `now`.
    pub fn on_frame(
        &mut self,
        frame: Frame,
        now: Instant,
        stats: &Stats,
        track: &mut GameTrack,
    ) -> Step {
        match frame {
            Frame::Event {
                game_id,
                event_id,
                event,
            } => {
                Stats::bump(&stats.events_delivered);
                if let Some(other) = game_id.filter(|g| *g != self.game_id) {
                    stats.violation(Violation {
                        kind: "wrong_game",
                        detail: format!(
                            "game {} seat {}: event of game {other}",
                            self.game_id, self.seat
                        ),
                    });
                    return Step::GiveUp("stream_violation");
                }
                if let Err(v) = self.checker.event(event_id) {
                    stats.violation(v);
                    return Step::GiveUp("stream_violation");
                }
                if let Some(latency) = track.arrived(event_id, &event, now, stats, &self.game_id) {
                    stats.delivery_latency.lock().record(latency);
                }
                self.game.apply_mut(&event);
                if matches!(*event, Event::GameEnded { .. }) {
                    self.ended = true;
                }
                Step::Continue
            }
            Frame::State { last_event_id } | Frame::CaughtUp { last_event_id } => {
                if let Err(v) = self.checker.marker("state", last_event_id) {
                    stats.violation(v);
                    return Step::GiveUp("stream_violation");
                }
                self.boundary = Some(last_event_id);
                self.next_step(now, stats)
            }
            Frame::CommandResult {
                request_id,
                error,
                event_ids,
            } => {
                if error.as_deref() == Some(RATE_LIMITED) {
                    stats.error(RATE_LIMITED);
                    return match &self.in_flight {
                        Some(f) if f.request_id == request_id => Step::Retry(f.text.clone()),
                        _ => Step::Continue,
                    };
                }
                let Some(in_flight) = self.in_flight.take_if(|f| f.request_id == request_id) else {
                    stats.error("unexpected_command_result");
                    return Step::Continue;
                };
                let latency = now.saturating_duration_since(in_flight.sent);
                stats.result_latency.lock().record(latency);
                stats.result_window.lock().record(latency);
                match error {
                    None => {
                        Stats::bump(&stats.commands_ok);
                        self.refusals = 0;
                        if let Some(&last) = event_ids.iter().max() {
                            if let Some(latency) = track.batch_sent(last, in_flight.sent, now) {
                                stats.delivery_latency.lock().record(latency);
                            }
                        }
                    }
                    Some(code) => {
                        Stats::bump(&stats.commands_refused);
                        stats.error(&code);
                        self.refusals += 1;
                        self.acted_at = None;
                        if self.refusals >= MAX_REFUSALS {
                            stats.error("bot_gave_up");
                            return Step::GiveUp("refused");
                        }
                    }
                }
                self.next_step(now, stats)
            }
            Frame::Error { code } => {
                stats.error(&code);
                Step::Continue
            }
            Frame::Welcome { .. } => {
                stats.error("unexpected_welcome");
                Step::GiveUp("unexpected_welcome")
            }
            Frame::Pong => Step::Continue,
            Frame::Other(kind) => {
                stats.error(&format!("unknown_frame_{kind}"));
                Step::Continue
            }
        }
    }

    /// The command in flight left now (after the bot's thinking time): latencies count from here.
    pub fn mark_sent(&mut self, now: Instant) {
        if let Some(in_flight) = &mut self.in_flight {
            in_flight.sent = now;
        }
    }

    /// The in-flight request id, if any (the loop re-sends it after a transient error).
    pub fn in_flight(&self) -> Option<&str> {
        self.in_flight.as_ref().map(|f| f.request_id.as_str())
    }

    /// At a boundary: finished, or the command to send when it is this seat's turn.
    fn next_step(&mut self, now: Instant, stats: &Stats) -> Step {
        let version = self.game.version();
        if self.boundary != Some(version) || self.in_flight.is_some() {
            return Step::Continue;
        }
        if self.ended || self.game.status() == GameStatus::Finished {
            return Step::Finished;
        }
        if self.game.status() != GameStatus::Active
            || self.game.current_seat() != Some(self.seat)
            || self.acted_at == Some(version)
        {
            return Step::Continue;
        }
        let Some(command) = self.chooser.choose(&self.game, self.seat) else {
            stats.error("no_legal_command");
            return Step::GiveUp("no_legal_command");
        };
        self.next_request += 1;
        let request_id = format!("s{}-{}", self.seat, self.next_request);
        let text = command_frame(&request_id, &command);
        self.in_flight = Some(InFlight {
            request_id,
            sent: now,
            text: text.clone(),
        });
        self.acted_at = Some(version);
        Stats::bump(&stats.commands_sent);
        Step::Send(text)
    }
}

/// `{"type":"command","requestId":…,"command":{…}}`.
pub fn command_frame(request_id: &str, command: &Command) -> String {
    serde_json::json!({"type": "command", "requestId": request_id, "command": command}).to_string()
}

/// What the bots of one game share: the events as first received (every other player's copy must be
/// equal), and the timings that give command → delivery to the last player.
#[derive(Debug)]
pub struct GameTrack {
    num_players: usize,
    /// Event `i + 1` as first received.
    events: Vec<Event>,
    /// Event id → (players that received it, when the latest did).
    arrivals: HashMap<u64, (usize, Instant)>,
    /// Last event id of a command → when the command was sent (waiting for the last player).
    batches: HashMap<u64, Instant>,
    /// Arrivals complete before their command's result came back: id → when the last player got it.
    delivered: HashMap<u64, Instant>,
    /// Whether `GameEnded` was received.
    pub ended: bool,
}

impl GameTrack {
    /// A track for a game of `num_players`.
    pub fn new(num_players: usize) -> Self {
        GameTrack {
            num_players,
            events: Vec::new(),
            arrivals: HashMap::new(),
            batches: HashMap::new(),
            delivered: HashMap::new(),
            ended: false,
        }
    }

    /// The highest event id any player has received.
    pub fn version(&self) -> u64 {
        self.events.len() as u64
    }

    /// A player received event `id` (in order, checked by the caller). Returns the command →
    /// last-player latency when this completes a command's delivery.
    pub fn arrived(
        &mut self,
        id: u64,
        event: &Event,
        now: Instant,
        stats: &Stats,
        game_id: &str,
    ) -> Option<Duration> {
        let index = (id - 1) as usize;
        match self.events.get(index) {
            Some(first) if first != event => stats.violation(Violation {
                kind: "divergent",
                detail: format!(
                    "game {game_id}: event {id} is {} for one player and {} for another",
                    first.event_type(),
                    event.event_type()
                ),
            }),
            Some(_) => {}
            None if index == self.events.len() => {
                if matches!(event, Event::GameEnded { .. }) {
                    self.ended = true;
                }
                self.events.push(event.clone());
            }
            // Ahead of every other player by more than one: the stream checker has flagged the gap.
            None => {}
        }
        let entry = self.arrivals.entry(id).or_insert((0, now));
        entry.0 += 1;
        entry.1 = now;
        if entry.0 < self.num_players {
            return None;
        }
        self.arrivals.remove(&id);
        match self.batches.remove(&id) {
            Some(sent) => Some(now.saturating_duration_since(sent)),
            None => {
                self.delivered.insert(id, now);
                None
            }
        }
    }

    /// The command sent at `sent` produced events up to `last`. Returns its delivery latency when
    /// every player already has them.
    pub fn batch_sent(&mut self, last: u64, sent: Instant, _now: Instant) -> Option<Duration> {
        match self.delivered.remove(&last) {
            Some(at) => Some(at.saturating_duration_since(sent)),
            None => {
                self.batches.insert(last, sent);
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
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
}
