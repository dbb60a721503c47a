//! The server under test: [`TestApp::spawn`] builds the real application on port 0 with the
//! adapters its settings name (memory by default; MongoDB and Redis with [`Backing::settings`]),
//! runs it in the background, and talks to it over HTTP as a client would.
//!
//! Every REST helper answers `(StatusCode, Value)`: the status and the JSON body (the text as a
//! JSON string when the body is not JSON, `null` when it is empty). [`TestApp::request`] gives the
//! raw request for the few tests that look at headers or send bytes that are not JSON.

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use reqwest::{Method, RequestBuilder, StatusCode};
use serde::Deserialize;
use serde_json::{json, Value};

use caravan::application::games::LoadedGame;
use caravan::application::ports::{PlayerClaims, Ports, StoredEvent};
use caravan::application::{FeedStart, GameFeed, Services};
use caravan::config::{Secret, Settings};
use caravan::domain::Game;
use caravan::startup::{build_adapters, Application, StopHandle};

use super::ws::WsClient;

/// The admin token every test server accepts.
pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789";

/// Settings every test starts from: port 0, quiet logs, a known admin token, the in-memory
/// adapters.
pub fn test_settings() -> Settings {
    let mut settings = Settings::for_tests();
    settings.auth.admin_token = Some(Secret::new(ADMIN_TOKEN));
    // Test bots answer every state at once, which on a fast machine is more than the default
    // per-connection message rate. That limit has its own tests, which set it back.
    settings.websocket.max_messages_per_sec = 10_000;
    settings
}

/// The server with the test settings.
pub async fn spawn_app() -> TestApp {
    TestApp::spawn(test_settings()).await
}

/// The server with the test settings, changed by `adjust`.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let mut settings = test_settings();
    adjust(&mut settings);
    TestApp::spawn(settings).await
}

/// What join answers.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Joined {
    pub game_id: String,
    pub player_id: String,
    pub seat: u8,
    pub token: String,
    pub last_event_id: u64,
}

/// A running server and a client for it. Dropping it asks the server to stop.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// The bound port.
    pub port: u16,
    /// The instance's services (feeds are opened here, as the WebSocket layer does).
    pub services: Arc<Services>,
    /// An HTTP client.
    pub client: reqwest::Client,
    stop: StopHandle,
    server: Mutex<Option<tokio::task::JoinHandle<std::io::Result<()>>>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.stop.stop();
    }
}

impl TestApp {
    /// Builds and starts a server with the adapters `settings` name.
    pub async fn spawn(settings: Settings) -> TestApp {
        TestApp::spawn_with_ports(settings, |_| {}).await
    }

    /// Builds and starts a server whose ports `replace` changes first (a bus that is down, a
    /// store that is slow, …).
    pub async fn spawn_with_ports(settings: Settings, replace: impl FnOnce(&mut Ports)) -> TestApp {
        let mut adapters = build_adapters(&settings).await.expect("the adapters build");
        replace(&mut adapters.ports);
        let app = Application::build_with(settings, adapters).expect("the application builds");
        let port = app.port();
        let services = app.state().services.clone();
        let stop = app.stop_handle();
        let server = tokio::spawn(app.run_until_stopped());
        TestApp {
            address: format!("http://127.0.0.1:{port}"),
            port,
            services,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("an HTTP client"),
            stop,
            server: Mutex::new(Some(server)),
        }
    }

    /// Asks the server to stop as SIGTERM would, and waits until it has.
    pub async fn stop(&self) {
        self.stop.stop();
        let server = self.server.lock().take();
        if let Some(server) = server {
            tokio::time::timeout(Duration::from_secs(30), server)
                .await
                .expect("the server stops within 30 s")
                .expect("the server task ends")
                .expect("the server stops cleanly");
        }
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// A raw request, for headers and bodies the JSON helpers do not cover.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, self.url(path))
    }

    /// A request with an optional bearer token and JSON body; the status and the body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.request(method, path);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        answer(request).await
    }

    /// `GET path`.
    pub async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        self.call(Method::GET, path, token, None).await
    }

    /// `POST path` with a JSON body.
    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, token, Some(body)).await
    }

    /// Creates a game from a whole request body, as the admin (who alone may choose a seed or a
    /// scenario); panics unless 201; the game's summary.
    pub async fn post_game(&self, body: Value) -> Value {
        let (status, summary) = self.post("/api/games", Some(ADMIN_TOKEN), &body).await;
        assert_eq!(status, StatusCode::CREATED, "create: {summary}");
        summary
    }

    /// Creates a game of `num_players` with `seed`; its id.
    pub async fn create_game(&self, num_players: u8, seed: u64) -> String {
        let summary = self
            .post_game(json!({ "numPlayers": num_players, "seed": seed }))
            .await;
        summary["gameId"].as_str().expect("gameId").to_string()
    }

    /// Takes the next seat; panics unless 201.
    pub async fn join(&self, game_id: &str, name: &str) -> Joined {
        let (status, body) = self
            .post(
                &format!("/api/games/{game_id}/join"),
                None,
                &json!({ "name": name }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "join: {body}");
        serde_json::from_value(body).expect("a join answer")
    }

    /// A game of `num_players` with every seat taken (`Player0`, `Player1`, …), in seat order.
    pub async fn started_game(&self, num_players: u8, seed: u64) -> (String, Vec<Joined>) {
        let game_id = self.create_game(num_players, seed).await;
        let mut players = Vec::new();
        for i in 0..num_players {
            players.push(self.join(&game_id, &format!("Player{i}")).await);
        }
        players.sort_by_key(|p| p.seat);
        (game_id, players)
    }

    /// `POST /api/games/{id}/commands`.
    pub async fn command(
        &self,
        game_id: &str,
        token: &str,
        command_id: &str,
        command: &impl serde::Serialize,
    ) -> (StatusCode, Value) {
        self.post(
            &format!("/api/games/{game_id}/commands"),
            Some(token),
            &json!({ "commandId": command_id, "command": command }),
        )
        .await
    }

    /// `GET /api/games/{id}` as the given token sees it: `{gameId, lastEventId, state}`.
    pub async fn view(&self, game_id: &str, token: Option<&str>) -> Value {
        let (status, body) = self.get(&format!("/api/games/{game_id}"), token).await;
        assert_eq!(status, StatusCode::OK, "view: {body}");
        body
    }

    /// The game's version.
    pub async fn version(&self, game_id: &str) -> u64 {
        self.view(game_id, None).await["lastEventId"]
            .as_u64()
            .expect("lastEventId")
    }

    /// Every public event of the game over REST from `after` on, in order.
    pub async fn events(&self, game_id: &str, after: u64) -> Vec<Value> {
        let mut all = Vec::new();
        loop {
            let from = after + all.len() as u64;
            let (status, body) = self
                .get(
                    &format!("/api/games/{game_id}/events?after={from}&limit=1000"),
                    None,
                )
                .await;
            assert_eq!(status, StatusCode::OK, "events: {body}");
            let page = body["events"].as_array().expect("events").clone();
            if page.is_empty() {
                return all;
            }
            all.extend(page);
        }
    }

    /// The text of `GET /metrics`.
    pub async fn metrics(&self) -> String {
        let (status, body) = self.get("/metrics", None).await;
        assert_eq!(status, StatusCode::OK, "metrics: {body}");
        body.as_str().expect("metrics as text").to_string()
    }

    /// `GET /health` answers 200.
    pub async fn assert_healthy(&self) {
        let (status, body) = self.get("/health", None).await;
        assert_eq!(status, StatusCode::OK, "health: {body}");
        assert_eq!(body["status"], "ok");
    }

    /// Waits until `GET /ready` answers 200.
    pub async fn wait_ready(&self, within: Duration) {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let (status, body) = self.get("/ready", None).await;
            if status == StatusCode::OK {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "not ready within {within:?}: {body}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The WebSocket URL of a game's feed.
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

    /// Connects to a game's feed over WebSocket.
    pub async fn connect(
        &self,
        game_id: &str,
        token: Option<&str>,
        last_event_id: Option<u64>,
    ) -> WsClient {
        WsClient::connect(&self.ws_url(game_id, token, last_event_id)).await
    }

    /// Connects a spectator whose socket takes at most `receive_buffer` bytes before the server
    /// has to wait for it: a reader that is slow as soon as it stops reading.
    pub async fn connect_with_receive_buffer(
        &self,
        game_id: &str,
        receive_buffer: u32,
    ) -> WsClient {
        let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
        socket
            .set_recv_buffer_size(receive_buffer)
            .expect("a small buffer");
        let address = format!("127.0.0.1:{}", self.port);
        let tcp = socket
            .connect(address.parse().expect("an address"))
            .await
            .expect("connected");
        let (stream, _) = tokio_tungstenite::client_async(
            self.ws_url(game_id, None, None),
            tokio_tungstenite::MaybeTlsStream::Plain(tcp),
        )
        .await
        .expect("the handshake succeeds");
        WsClient::from_stream(stream)
    }

    /// The value of an unlabelled series in `GET /metrics`, if exported.
    pub async fn metric(&self, name: &str) -> Option<f64> {
        let prefix = format!("{name} ");
        self.metrics()
            .await
            .lines()
            .find_map(|line| line.strip_prefix(&prefix)?.trim().parse().ok())
    }

    /// The claims of a player's token.
    pub fn claims(&self, player: &Joined) -> PlayerClaims {
        self.services
            .authenticate(&player.token)
            .expect("a valid token")
    }

    /// A live feed of `game_id` for `player` (or a spectator) from `last_event_id`, as the
    /// WebSocket layer opens one; returns the events it starts with.
    pub async fn feed(
        &self,
        game_id: &str,
        player: Option<&Joined>,
        last_event_id: u64,
    ) -> (Vec<StoredEvent>, GameFeed) {
        let claims = player.map(|p| self.claims(p));
        let (start, feed) = self
            .services
            .feeds
            .open(game_id, claims.as_ref(), Some(last_event_id))
            .await
            .expect("the feed opens");
        match start {
            FeedStart::CatchUp { missed, .. } => (missed, feed),
            FeedStart::Welcome { .. } => unreachable!("a lastEventId was given"),
        }
    }

    /// Every event of a game, as stored (hidden information included).
    pub async fn stored(&self, game_id: &str) -> Vec<StoredEvent> {
        self.services
            .ports()
            .store
            .read(game_id, 0, None)
            .await
            .expect("the store reads")
    }

    /// The game's state as stored.
    pub async fn state(&self, game_id: &str) -> Game {
        let mut loaded = LoadedGame::empty();
        assert!(loaded.fold(&self.stored(game_id).await));
        loaded.game
    }
}

/// Sends a request; the status and the body as JSON (text that is not JSON as a JSON string,
/// nothing as `null`).
pub async fn answer(request: RequestBuilder) -> (StatusCode, Value) {
    // A GET is sent again once when its pooled connection was closed under it (the server ends
    // idle keep-alive connections, and a request may go out on one just as it does).
    let retry = request
        .try_clone()
        .and_then(|r| r.build().ok())
        .filter(|r| r.method() == Method::GET)
        .and_then(|_| request.try_clone());
    let response = match (request.send().await, retry) {
        (Err(e), Some(retry)) if e.is_request() => retry.send().await,
        (sent, _) => sent,
    }
    .expect("the server answers");
    let status = response.status();
    let text = response.text().await.expect("a body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, body)
}

/// The error code of an error answer, checking its status.
pub fn error_code((status, body): (StatusCode, Value), expected: StatusCode) -> String {
    assert_eq!(status, expected, "unexpected status: {body}");
    body["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("an error code: {body}"))
        .to_string()
}
