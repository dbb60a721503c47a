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
                match self.on_event(event_id, &event, now, stats, track) {
                    Ok(()) => Step::Continue,
                    Err(step) => step,
                }
            }
            Frame::Update {
                last_event_id,
                events,
                ..
            } => {
                for (event_id, event) in &events {
                    if let Err(step) = self.on_event(*event_id, event, now, stats, track) {
                        return step;
                    }
                }
                self.at_boundary(last_event_id, now, stats)
            }
            Frame::State { last_event_id } | Frame::CaughtUp { last_event_id } => {
                self.at_boundary(last_event_id, now, stats)
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

    /// One event of the stream: checked against the ids before it and the other players' copies,
    /// then applied. `Err` with the step to take when the stream is broken.
    fn on_event(
        &mut self,
        event_id: u64,
        event: &Event,
        now: Instant,
        stats: &Stats,
        track: &mut GameTrack,
    ) -> Result<(), Step> {
        Stats::bump(&stats.events_delivered);
        if let Err(v) = self.checker.event(event_id) {
            stats.violation(v);
            return Err(Step::GiveUp("stream_violation"));
        }
        if let Some(latency) = track.arrived(event_id, event, now, stats, &self.game_id) {
            stats.delivery_latency.lock().record(latency);
        }
        self.game.apply_mut(event);
        if matches!(event, Event::GameEnded { .. }) {
            self.ended = true;
        }
        Ok(())
    }

    /// A `state`, `update` or `caughtUp` named `last_event_id`: the state is whole there, and the
    /// bot may act.
    fn at_boundary(&mut self, last_event_id: u64, now: Instant, stats: &Stats) -> Step {
        if let Err(v) = self.checker.marker("state", last_event_id) {
            stats.violation(v);
            return Step::GiveUp("stream_violation");
        }
        self.boundary = Some(last_event_id);
        self.next_step(now, stats)
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
mod tests;
