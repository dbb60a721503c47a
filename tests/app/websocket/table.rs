//! A seat at the table: a WebSocket client that follows the game, checks the order of what it is
//! sent, and plays with [`crate::websocket::hint_player`] whenever its `state` carries legal hints.

use std::collections::HashSet;

use caravan::domain::rng::Rng;
use serde_json::Value;
use uuid::Uuid;

use crate::support::ws::{Incoming, WsClient};
use crate::websocket::hint_player;

/// One connection's view of a game, and what it has checked so far.
pub struct Seat {
    /// Label for messages.
    pub name: String,
    /// The connection.
    pub client: WsClient,
    /// Every event received, over every connection this seat had, in order.
    pub events: Vec<Value>,
    /// The id of the last event this seat knows (from events, welcome or caughtUp).
    pub last_event_id: u64,
    /// The last state received and its version.
    pub state: Option<(u64, Value)>,
    /// Whether this seat sends commands (false for spectators).
    pub plays: bool,
    /// Commands sent and not answered yet.
    pub pending: HashSet<String>,
    /// Commands this seat had accepted.
    pub accepted: usize,
    /// The version at which this seat last acted (it acts once per decision point).
    acted_at: Option<u64>,
    /// `GameEnded` was received.
    pub ended: bool,
    rng: Rng,
}

impl Seat {
    /// A seat over a fresh connection. `plays` is false for a spectator.
    pub fn new(name: impl Into<String>, client: WsClient, plays: bool, seed: u64) -> Seat {
        Seat {
            name: name.into(),
            client,
            events: Vec::new(),
            last_event_id: 0,
            state: None,
            plays,
            pending: HashSet::new(),
            accepted: 0,
            acted_at: None,
            ended: false,
            rng: Rng::new(seed),
        }
    }

    /// True when the game has ended, its last state arrived, and every command was answered.
    pub fn finished(&self) -> bool {
        self.ended
            && self.pending.is_empty()
            && self
                .state
                .as_ref()
                .is_some_and(|(v, _)| *v == self.last_event_id)
    }

    /// Reads and handles one message; panics on anything out of order or refused.
    pub async fn step(&mut self) {
        let message = match self.client.recv().await {
            Incoming::Json(message) => message,
            Incoming::Closed(close) => panic!("{}: the server closed: {close:?}", self.name),
        };
        self.handle(message).await;
    }

    async fn handle(&mut self, message: Value) {
        let name = &self.name;
        match message["type"].as_str().expect("a type") {
            "welcome" => {
                self.last_event_id = message["lastEventId"].as_u64().expect("lastEventId");
                self.state = Some((self.last_event_id, message["state"].clone()));
                self.maybe_act().await;
            }
            "event" => {
                let id = message["eventId"].as_u64().expect("eventId");
                assert_eq!(
                    id,
                    self.last_event_id + 1,
                    "{name}: events arrive in order without gap or repeat"
                );
                self.last_event_id = id;
                if message["eventType"] == "GameEnded" {
                    self.ended = true;
                }
                self.events.push(message);
            }
            "caughtUp" => {
                assert_eq!(
                    message["lastEventId"].as_u64(),
                    Some(self.last_event_id),
                    "{name}: caughtUp names the last event sent"
                );
            }
            "state" => {
                let version = message["lastEventId"].as_u64().expect("lastEventId");
                assert_eq!(
                    version, self.last_event_id,
                    "{name}: a state follows the events it reflects"
                );
                self.state = Some((version, message["state"].clone()));
                self.maybe_act().await;
            }
            "commandResult" => {
                let request_id = message["requestId"]
                    .as_str()
                    .expect("requestId")
                    .to_string();
                assert!(
                    self.pending.remove(&request_id),
                    "{name}: a result for a command it sent: {message}"
                );
                assert_eq!(
                    message["ok"], true,
                    "{name}: a legal command is accepted: {message}"
                );
                for id in message["eventIds"].as_array().expect("eventIds") {
                    assert!(
                        id.as_u64().expect("an id") <= self.last_event_id,
                        "{name}: a result comes after the events it names: {message}"
                    );
                }
                self.accepted += 1;
                // A state that came before this result may be waiting for an answer.
                self.maybe_act().await;
            }
            "pong" => {}
            other => panic!("{name}: unexpected {other}: {message}"),
        }
    }

    /// Sends a command when the current state has hints and this decision point is not yet handled.
    async fn maybe_act(&mut self) {
        if !self.plays || self.ended {
            return;
        }
        let Some((version, state)) = &self.state else {
            return;
        };
        if self.acted_at == Some(*version) || !self.pending.is_empty() {
            return;
        }
        let version = *version;
        if let Some(command) = hint_player::choose(state, &mut self.rng) {
            let request_id = Uuid::new_v4().to_string();
            self.pending.insert(request_id.clone());
            self.acted_at = Some(version);
            self.client.send_command(&request_id, &command).await;
        }
    }

    /// Plays until `done` holds (checked after every message).
    pub async fn run_until(mut self, done: impl Fn(&Seat) -> bool) -> Seat {
        while !done(&self) {
            self.step().await;
        }
        self
    }

    /// Plays to the end of the game.
    pub async fn run_to_end(self) -> Seat {
        self.run_until(Seat::finished).await
    }

    /// Replaces the connection (after a drop) and handles its catch-up.
    pub fn reconnected(&mut self, client: WsClient) {
        self.client = client;
        // A new connection sends the state again: the seat may act on it once more.
        self.acted_at = None;
    }
}
