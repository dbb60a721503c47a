//! The WebSocket test client: [`WsClient`] reads frames only when asked (a test decides when a
//! client is slow), keeps every message it received, checks each against the published WebSocket
//! schema, and answers the server's pings. Frame checks
//! shared by the WebSocket tests follow it.
//!
//! Connections speak protocol 2 unless their URL asks for another: the client applies each
//! `update` frame to the state it holds, as docs/protocol.md says, and hands the test what a
//! protocol-1 connection is sent (one `event` message per event, then the `state`), so every test
//! of the feed runs over the patches and reads the states they build.

use std::collections::VecDeque;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long a test waits for one frame before it fails.
pub const FRAME_TIMEOUT: Duration = Duration::from_secs(20);

/// What a client read.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    /// One JSON message.
    Json(Value),
    /// The server closed: its close code and reason (None when the connection just ended).
    Closed(Option<(u16, String)>),
}

impl Incoming {
    /// The message, or a panic naming what came instead.
    pub fn json(self) -> Value {
        match self {
            Incoming::Json(value) => value,
            Incoming::Closed(close) => {
                panic!("expected a message, the connection closed: {close:?}")
            }
        }
    }
}

/// Protocol 3's event data (the values of the type's members, in order; spice maps as
/// `[yellow, red, green, brown]`) as the object of the `event` frame, the way a client rebuilds it
/// from docs/protocol.md's member lists. A member that is `null` here and absent from the event
/// frame (`PlayerJoined.bot` of a person) is left out.
fn from_values(event_type: Option<&str>, values: &[Value]) -> Value {
    use caravan::adapters::inbound::websocket::protocol::compact::members;
    let event_type = event_type.expect("an event type");
    let members = members(event_type).unwrap_or_else(|| panic!("unknown type {event_type}"));
    assert_eq!(members.len(), values.len(), "{event_type}: {values:?}");
    let spices = |value: &Value| {
        let counts = value.as_array().expect("[yellow, red, green, brown]");
        assert_eq!(counts.len(), 4, "{event_type}: {value}");
        json!({"yellow": counts[0], "red": counts[1], "green": counts[2], "brown": counts[3]})
    };
    let mut data = serde_json::Map::new();
    for (member, value) in members.iter().zip(values) {
        let value = match *member {
            "gained" | "paid" | "cubesTaken" | "spices" => spices(value),
            "caravans" => value
                .as_array()
                .expect("caravans")
                .iter()
                .map(spices)
                .collect(),
            "bot" if value.is_null() => continue,
            _ => value.clone(),
        };
        data.insert((*member).to_string(), value);
    }
    Value::Object(data)
}

/// Protocol 4's `update` frame (`[events, patch]`, each timestamp in milliseconds since the epoch,
/// the patch's `legal` hints as arrays) as protocol 3's, the way a client reads it from
/// docs/protocol.md.
fn unpack(parts: Vec<Value>) -> Value {
    use caravan::adapters::inbound::websocket::protocol::compact::read_packed_legal;
    let [events, mut patch]: [Value; 2] = parts
        .try_into()
        .unwrap_or_else(|parts| panic!("a packed update is [events, patch]: {parts:?}"));
    let mut events = events.as_array().expect("events").clone();
    for event in &mut events {
        if let Some(millis) = event[3].as_i64() {
            let at = chrono::DateTime::from_timestamp_millis(millis).expect("a time");
            event[3] = json!(at);
        } else {
            assert!(
                event[3].is_null(),
                "a timestamp is a number or null: {event}"
            );
        }
    }
    if let Some(legal) = patch.get_mut("legal").filter(|legal| !legal.is_null()) {
        let hints = read_packed_legal(&legal.to_string())
            .unwrap_or_else(|e| panic!("protocol 4's hints: {e}: {legal}"));
        *legal = serde_json::to_value(hints).expect("hints");
    }
    json!({"type": "update", "events": events, "patch": patch})
}

/// A WebSocket client that keeps every frame it receives.
pub struct WsClient {
    stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// Every JSON message received, in order.
    pub received: Vec<Value>,
    /// Every text frame received, as sent.
    pub raw: Vec<String>,
    /// The `update` frames received.
    pub updates: usize,
    /// How the connection ended, once a read has seen it end (later reads answer the same).
    ended: Option<Option<(u16, String)>>,
    /// The game (from the URL or the welcome), for the events an update carries.
    game_id: Option<String>,
    /// The state as the last welcome, state or update left it.
    state: Option<Value>,
    /// Messages an update stood for, not yet handed out.
    queue: VecDeque<Value>,
}

impl WsClient {
    /// Connects (the handshake must succeed).
    pub async fn connect(url: &str) -> WsClient {
        let (stream, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("the WebSocket handshake succeeds");
        let mut client = WsClient::from_stream(stream);
        client.game_id = url
            .split(['?', '&'])
            .find_map(|p| p.strip_prefix("gameId="))
            .map(str::to_string);
        client
    }

    /// Wraps a connected stream.
    pub fn from_stream(stream: WebSocketStream<MaybeTlsStream<TcpStream>>) -> WsClient {
        WsClient {
            stream,
            received: Vec::new(),
            raw: Vec::new(),
            updates: 0,
            ended: None,
            game_id: None,
            state: None,
            queue: VecDeque::new(),
        }
    }

    /// The next message (pings are answered and skipped), or the close.
    pub async fn recv(&mut self) -> Incoming {
        self.recv_within(FRAME_TIMEOUT)
            .await
            .unwrap_or_else(|| panic!("no frame within {FRAME_TIMEOUT:?}"))
    }

    /// Like [`WsClient::recv`], but `None` when nothing came within `wait`.
    pub async fn recv_within(&mut self, wait: Duration) -> Option<Incoming> {
        if let Some(message) = self.queue.pop_front() {
            self.received.push(message.clone());
            return Some(Incoming::Json(message));
        }
        if let Some(close) = &self.ended {
            return Some(Incoming::Closed(close.clone()));
        }
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let next = tokio::time::timeout_at(deadline, self.stream.next())
                .await
                .ok()?;
            let close = match next {
                Some(Ok(Message::Text(text))) => {
                    let text = text.to_string();
                    let value: Value = serde_json::from_str(&text)
                        .unwrap_or_else(|e| panic!("the server sent JSON ({e}): {text}"));
                    super::contract::assert_server_message(&value);
                    self.raw.push(text);
                    let value = match self.read(value) {
                        Some(value) => value,
                        None => continue,
                    };
                    self.received.push(value.clone());
                    return Some(Incoming::Json(value));
                }
                Some(Ok(Message::Close(frame))) => {
                    frame.map(|CloseFrame { code, reason }| (u16::from(code), reason.to_string()))
                }
                Some(Ok(Message::Binary(_))) => panic!("the server sent a binary frame"),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => None,
            };
            self.ended = Some(close.clone());
            return Some(Incoming::Closed(close));
        }
    }

    /// Keeps the state a message brings; an `update` becomes the messages it stands for (queued,
    /// the first returned).
    fn read(&mut self, message: Value) -> Option<Value> {
        let message = match message {
            Value::Array(parts) => unpack(parts),
            message => message,
        };
        match message["type"].as_str() {
            Some("welcome") => {
                self.game_id = message["gameId"].as_str().map(str::to_string);
                self.state = Some(message["state"].clone());
            }
            Some("state") => self.state = Some(message["state"].clone()),
            Some("update") => {
                self.updates += 1;
                let state = self
                    .state
                    .as_mut()
                    .unwrap_or_else(|| panic!("an update before any state: {message}"));
                caravan::adapters::inbound::websocket::patch::apply(state, &message["patch"])
                    .unwrap_or_else(|e| panic!("{e}"));
                let state = state.clone();
                let events = message["events"].as_array().expect("events");
                // A timestamp left out (null) is the one of the event before it.
                let mut timestamp = Value::Null;
                for event in events {
                    if !event[3].is_null() {
                        timestamp = event[3].clone();
                    }
                    assert!(
                        !timestamp.is_null(),
                        "an update's first event has its timestamp"
                    );
                    let data = match &event[4] {
                        Value::Array(values) => from_values(event[1].as_str(), values),
                        data => data.clone(),
                    };
                    self.queue.push_back(json!({
                        "type": "event", "gameId": self.game_id, "eventId": event[0],
                        "eventType": event[1], "schemaVersion": event[2], "timestamp": timestamp,
                        "data": data,
                    }));
                }
                let last = events.last().expect("an update has events")[0].clone();
                self.queue.push_back(json!({
                    "type": "state", "lastEventId": last, "state": state,
                }));
                return self.queue.pop_front();
            }
            _ => {}
        }
        Some(message)
    }

    /// Reads every frame that has already arrived, without waiting for more: a client that keeps
    /// up while the test talks to other clients.
    pub async fn drain(&mut self) {
        while let Some(Incoming::Json(_)) = self.recv_within(Duration::ZERO).await {}
    }

    /// Returns once the event `event_id` (or a later one) has been received (now or before).
    pub async fn wait_for_event(&mut self, event_id: u64) {
        let reached = |m: &Value| m["type"] == "event" && m["eventId"].as_u64() >= Some(event_id);
        if self.received.iter().any(reached) {
            return;
        }
        loop {
            if reached(&self.recv().await.json()) {
                return;
            }
        }
    }

    /// The next message of the given type; every other message on the way is skipped.
    pub async fn recv_type(&mut self, kind: &str) -> Value {
        loop {
            let message = self.recv().await.json();
            if message["type"] == kind {
                return message;
            }
        }
    }

    /// Returns once a `state` at `version` has been received (now or before).
    pub async fn wait_for_state(&mut self, version: u64) {
        let is_it = |m: &Value| m["type"] == "state" && m["lastEventId"] == version;
        if self.received.iter().any(is_it) {
            return;
        }
        loop {
            if is_it(&self.recv().await.json()) {
                return;
            }
        }
    }

    /// The event frames received so far.
    pub fn events(&self) -> Vec<Value> {
        self.received
            .iter()
            .filter(|f| f["type"] == "event")
            .cloned()
            .collect()
    }

    /// The messages read until the server closes, and its close code; panics unless it closes
    /// within `within`.
    pub async fn until_closed(&mut self, within: Duration) -> (Vec<Value>, Option<u16>) {
        let deadline = tokio::time::Instant::now() + within;
        let mut messages = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.recv_within(left).await {
                Some(Incoming::Json(message)) => messages.push(message),
                Some(Incoming::Closed(close)) => return (messages, close.map(|(code, _)| code)),
                None => panic!("the server did not close within {within:?}: {messages:?}"),
            }
        }
    }

    /// Reads until the server closes; the close code and reason.
    pub async fn recv_close(&mut self) -> Option<(u16, String)> {
        loop {
            if let Incoming::Closed(close) = self.recv().await {
                return close;
            }
        }
    }

    /// Sends one JSON message.
    pub async fn send_json(&mut self, message: &Value) {
        self.send(Message::text(message.to_string())).await;
    }

    /// Sends one frame of any kind; false when the connection is gone.
    pub async fn try_send(&mut self, message: Message) -> bool {
        self.stream.send(message).await.is_ok()
    }

    /// Sends one frame of any kind.
    pub async fn send(&mut self, message: Message) {
        self.stream.send(message).await.expect("the frame is sent");
    }

    /// Sends a command message.
    pub async fn send_command(&mut self, request_id: &str, command: &impl serde::Serialize) {
        self.send_json(&json!({"type": "command", "requestId": request_id, "command": command}))
            .await;
    }

    /// Sends a command and reads until its `commandResult`.
    pub async fn command(&mut self, request_id: &str, command: &impl serde::Serialize) -> Value {
        self.send_command(request_id, command).await;
        loop {
            let message = self.recv_type("commandResult").await;
            if message["requestId"] == request_id {
                return message;
            }
        }
    }

    /// Ends the connection as a network failure would: the TCP stream is shut down, no close frame.
    pub async fn drop_connection(&mut self) {
        if let MaybeTlsStream::Plain(tcp) = self.stream.get_mut() {
            let _ = tcp.shutdown().await;
        }
    }

    /// Sends `{"type":"ping"}` and waits for the `pong`.
    pub async fn ping(&mut self) {
        self.send_json(&json!({"type": "ping"})).await;
        self.recv_type("pong").await;
    }
}

/// Every key in a JSON value, at any depth.
pub fn keys(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                out.push(key.clone());
                keys(inner, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| keys(item, out)),
        _ => {}
    }
}

/// Fails if any frame a client received names hidden information.
pub fn assert_no_hidden_information(client: &WsClient) {
    for frame in &client.received {
        let mut names = Vec::new();
        keys(frame, &mut names);
        for hidden in ["hidden", "seed", "merchantDeck", "pointDeck"] {
            assert!(
                !names.iter().any(|k| k == hidden),
                "a frame carries {hidden:?}: {frame}"
            );
        }
    }
}

/// The ids of a list of event frames.
pub fn event_ids(events: &[Value]) -> Vec<u64> {
    events
        .iter()
        .map(|e| e["eventId"].as_u64().expect("eventId"))
        .collect()
}

/// Fails unless the events have ids `from, from+1, …` with no gap or repeat.
pub fn assert_contiguous(events: &[Value], from: u64) {
    let ids = event_ids(events);
    let expected: Vec<u64> = (from..from + ids.len() as u64).collect();
    assert_eq!(ids, expected, "event ids in order, without gap or repeat");
}

/// An `event` frame as REST lists the same event (without the message's `type`).
pub fn as_stored(frame: &Value) -> Value {
    let mut event = frame.clone();
    if let Value::Object(map) = &mut event {
        map.remove("type");
    }
    event
}

/// Fails, showing the first difference only, unless both lists hold the same events.
pub fn assert_same_events(actual: &[Value], expected: &[Value], what: &str) {
    let actual: Vec<Value> = actual.iter().map(as_stored).collect();
    let expected: Vec<Value> = expected.iter().map(as_stored).collect();
    if let Some(i) = (0..actual.len().min(expected.len())).find(|&i| actual[i] != expected[i]) {
        panic!(
            "{what}: event #{i} differs:\n  got      {}\n  expected {}",
            actual[i], expected[i]
        );
    }
    assert_eq!(
        actual.len(),
        expected.len(),
        "{what}: as many events as expected"
    );
}
