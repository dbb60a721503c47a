//! The server under test and the clients that talk to it: `spawn_app()` starts the real server on
//! port 0 with the in-memory adapters; [`WsClient`] is a WebSocket client (tokio-tungstenite) that
//! records every frame it receives; the REST helpers drive the same server over HTTP.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use caravan::adapters::outbound::memory::MemoryEventStore;
use caravan::application::ports::{
    AppendError, AppendOutcome, EventStore, StoreError, StoredEvent,
};
use caravan::config::Settings;
use caravan::domain::Event;
use caravan::startup::{build_adapters, Application, StopHandle};
use chrono::{DateTime, Utc};
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long a test waits for one frame before it fails.
pub const FRAME_TIMEOUT: Duration = Duration::from_secs(20);

/// A running server.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// The bound port.
    pub port: u16,
    /// An HTTP client.
    pub http: reqwest::Client,
    stop: StopHandle,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

/// Starts the server on a free port with the test settings.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the server on a free port with the test settings, changed by `configure`.
pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let mut settings = Settings::for_tests();
    settings.server.host = "127.0.0.1".into();
    settings.server.port = 0;
    // Test bots answer every state at once, which on a fast machine is more than the default
    // per-connection message rate. That limit has its own tests (limits.rs), which set it back.
    settings.websocket.max_messages_per_sec = 10_000;
    configure(&mut settings);
    let app = Application::build(settings)
        .await
        .expect("the server starts");
    TestApp::running(app)
}

impl TestApp {
    /// Runs a built server in the background.
    pub fn running(app: Application) -> TestApp {
        let port = app.port();
        let stop = app.stop_handle();
        let server = tokio::spawn(app.run_until_stopped());
        TestApp {
            address: format!("http://127.0.0.1:{port}"),
            port,
            http: reqwest::Client::new(),
            stop,
            server: Some(server),
        }
    }

    /// The WebSocket URL for a game.
    pub fn ws_url(&self, game_id: &str, token: Option<&str>, last_event_id: Option<u64>) -> String {
        let mut url = format!("ws://127.0.0.1:{}/ws?gameId={game_id}", self.port);
        if let Some(token) = token {
            url.push_str(&format!("&token={token}"));
        }
        if let Some(n) = last_event_id {
            url.push_str(&format!("&lastEventId={n}"));
        }
        url
    }

    /// Connects to a game's feed.
    pub async fn connect(
        &self,
        game_id: &str,
        token: Option<&str>,
        last_event_id: Option<u64>,
    ) -> WsClient {
        WsClient::connect(&self.ws_url(game_id, token, last_event_id)).await
    }

    /// Asks the server to stop as SIGTERM would, and waits until it has.
    pub async fn stop(&mut self) {
        self.stop.stop();
        if let Some(server) = self.server.take() {
            tokio::time::timeout(Duration::from_secs(30), server)
                .await
                .expect("the server stops within 30 s")
                .expect("the server task ends")
                .expect("the server stops cleanly");
        }
    }

    /// `GET` a path; the status and the JSON body.
    pub async fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        let mut request = self.http.get(format!("{}{path}", self.address));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("GET is answered");
        let status = response.status().as_u16();
        let text = response.text().await.expect("a body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// `POST` JSON to a path; the status and the JSON body.
    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> (u16, Value) {
        let mut request = self.http.post(format!("{}{path}", self.address)).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("POST is answered");
        let status = response.status().as_u16();
        let text = response.text().await.expect("a body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// Creates a game; its id.
    pub async fn create_game(&self, num_players: u8, seed: u64) -> String {
        let (status, body) = self
            .post(
                "/api/games",
                None,
                &json!({"numPlayers": num_players, "seed": seed}),
            )
            .await;
        assert_eq!(status, 201, "create: {body}");
        body["gameId"].as_str().expect("gameId").to_string()
    }

    /// Takes a seat; (token, seat).
    pub async fn join(&self, game_id: &str, name: &str) -> (String, u8) {
        let (status, body) = self
            .post(
                &format!("/api/games/{game_id}/join"),
                None,
                &json!({"name": name}),
            )
            .await;
        assert_eq!(status, 201, "join: {body}");
        let seat = body["seat"].as_u64().expect("seat") as u8;
        (body["token"].as_str().expect("token").to_string(), seat)
    }

    /// Creates a game and fills every seat; the id and the tokens in seat order.
    pub async fn started_game(&self, num_players: u8, seed: u64) -> (String, Vec<String>) {
        let game_id = self.create_game(num_players, seed).await;
        let mut tokens = vec![String::new(); usize::from(num_players)];
        for i in 0..num_players {
            let (token, seat) = self.join(&game_id, &format!("player-{i}")).await;
            tokens[usize::from(seat)] = token;
        }
        (game_id, tokens)
    }

    /// `GET /api/games/{id}` as the given token sees it: `{gameId, lastEventId, state}`.
    pub async fn view(&self, game_id: &str, token: Option<&str>) -> Value {
        let (status, body) = self.get(&format!("/api/games/{game_id}"), token).await;
        assert_eq!(status, 200, "view: {body}");
        body
    }

    /// The game's version.
    pub async fn version(&self, game_id: &str) -> u64 {
        self.view(game_id, None).await["lastEventId"]
            .as_u64()
            .expect("lastEventId")
    }

    /// Every public event of the game over REST, in order.
    pub async fn events(&self, game_id: &str) -> Vec<Value> {
        let mut all = Vec::new();
        loop {
            let after = all.len();
            let (status, body) = self
                .get(
                    &format!("/api/games/{game_id}/events?after={after}&limit=1000"),
                    None,
                )
                .await;
            assert_eq!(status, 200, "events: {body}");
            let page = body["events"].as_array().expect("events").clone();
            if page.is_empty() {
                return all;
            }
            all.extend(page);
        }
    }

    /// `POST /api/games/{id}/commands`.
    pub async fn command(
        &self,
        game_id: &str,
        token: &str,
        command_id: &str,
        command: &Value,
    ) -> (u16, Value) {
        self.post(
            &format!("/api/games/{game_id}/commands"),
            Some(token),
            &json!({"commandId": command_id, "command": command}),
        )
        .await
    }

    /// `GET /health` answers 200.
    pub async fn assert_healthy(&self) {
        let (status, body) = self.get("/health", None).await;
        assert_eq!(status, 200, "health: {body}");
        assert_eq!(body["status"], "ok");
    }
}

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

/// A WebSocket client that keeps every frame it receives.
pub struct WsClient {
    stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// Every JSON message received, in order.
    pub received: Vec<Value>,
    /// Every text frame received, as sent.
    pub raw: Vec<String>,
}

impl WsClient {
    /// Connects (the handshake must succeed).
    pub async fn connect(url: &str) -> WsClient {
        let (stream, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("the WebSocket handshake succeeds");
        WsClient::from_stream(stream)
    }

    /// Wraps a connected stream.
    pub fn from_stream(stream: WebSocketStream<MaybeTlsStream<TcpStream>>) -> WsClient {
        WsClient {
            stream,
            received: Vec::new(),
            raw: Vec::new(),
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
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let next = tokio::time::timeout_at(deadline, self.stream.next())
                .await
                .ok()?;
            match next {
                Some(Ok(Message::Text(text))) => {
                    let text = text.to_string();
                    let value: Value = serde_json::from_str(&text)
                        .unwrap_or_else(|e| panic!("the server sent JSON ({e}): {text}"));
                    self.raw.push(text);
                    self.received.push(value.clone());
                    return Some(Incoming::Json(value));
                }
                Some(Ok(Message::Close(frame))) => {
                    return Some(Incoming::Closed(frame.map(
                        |CloseFrame { code, reason }| (u16::from(code), reason.to_string()),
                    )));
                }
                Some(Ok(Message::Binary(_))) => panic!("the server sent a binary frame"),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return Some(Incoming::Closed(None)),
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

    /// Sends one frame of any kind.
    pub async fn send(&mut self, message: Message) {
        self.stream.send(message).await.expect("the frame is sent");
    }

    /// Sends a command message.
    pub async fn send_command(&mut self, request_id: &str, command: &Value) {
        self.send_json(&json!({"type": "command", "requestId": request_id, "command": command}))
            .await;
    }

    /// Sends a command and reads until its `commandResult`.
    pub async fn command(&mut self, request_id: &str, command: &Value) -> Value {
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

/// An in-memory event store whose appends can be made slow, to hold a command in flight.
pub struct SlowStore {
    inner: MemoryEventStore,
    /// Milliseconds every append waits before writing.
    pub delay_ms: Arc<AtomicU64>,
}

impl EventStore for SlowStore {
    async fn append(
        &self,
        game_id: &str,
        expected_version: u64,
        events: Vec<Event>,
        command_id: Option<String>,
        at: DateTime<Utc>,
    ) -> Result<AppendOutcome, AppendError> {
        let delay = self.delay_ms.load(Ordering::Relaxed);
        if delay > 0 {
            tokio::time::sleep(Duration::from_millis(delay)).await;
        }
        EventStore::append(
            &self.inner,
            game_id,
            expected_version,
            events,
            command_id,
            at,
        )
        .await
    }

    async fn read(
        &self,
        game_id: &str,
        after: u64,
        limit: Option<usize>,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        EventStore::read(&self.inner, game_id, after, limit).await
    }

    async fn read_range(
        &self,
        game_id: &str,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: Option<usize>,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        EventStore::read_range(&self.inner, game_id, since, until, limit).await
    }

    async fn latest_id(&self, game_id: &str) -> Result<u64, StoreError> {
        EventStore::latest_id(&self.inner, game_id).await
    }

    async fn find_command(
        &self,
        game_id: &str,
        command_id: &str,
    ) -> Result<Option<Vec<StoredEvent>>, StoreError> {
        EventStore::find_command(&self.inner, game_id, command_id).await
    }

    async fn game_ids(&self) -> Result<Vec<String>, StoreError> {
        EventStore::game_ids(&self.inner).await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        EventStore::ping(&self.inner).await
    }
}

/// Starts the server over a [`SlowStore`]; the handle sets its delay.
pub async fn spawn_app_with_slow_store() -> (TestApp, Arc<AtomicU64>) {
    let mut settings = Settings::for_tests();
    settings.server.host = "127.0.0.1".into();
    settings.server.port = 0;
    let mut adapters = build_adapters(&settings).await.expect("the adapters");
    let delay_ms = Arc::new(AtomicU64::new(0));
    adapters.ports.store = Arc::new(SlowStore {
        inner: MemoryEventStore::new(),
        delay_ms: delay_ms.clone(),
    });
    let app = Application::build_with(settings, adapters).expect("the server starts");
    (TestApp::running(app), delay_ms)
}
