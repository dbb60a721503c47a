//! `spawn_app()` and the HTTP calls the tests share.

#![allow(dead_code)]

use std::sync::Arc;

use caravan::adapters::outbound::jwt::JwtTokens;
use caravan::adapters::outbound::memory::{MemoryEventStore, MemoryReadModels, SystemClock};
use caravan::adapters::outbound::prometheus::PrometheusMetrics;
use caravan::application::ports::{EventBus, Metrics, Ports};
use caravan::config::{Secret, Settings};
use caravan::domain::{Actor, Command, Event, Game};
use caravan::startup::{Adapters, Application, StopHandle};
use reqwest::{Response, StatusCode};
use serde::Deserialize;
use serde_json::{json, Value};

/// The admin token every test app accepts.
pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789";

/// A running server and a client for it.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    stop: StopHandle,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.stop.stop();
    }
}

/// Settings every test starts from: port 0, quiet logs, a known admin token.
pub fn test_settings() -> Settings {
    let mut settings = Settings::for_tests();
    settings.auth.admin_token = Some(Secret::new(ADMIN_TOKEN));
    settings
}

/// The server with the default (in-memory) adapters.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// The server with adjusted settings.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let mut settings = test_settings();
    adjust(&mut settings);
    let app = Application::build(settings).await.expect("the app builds");
    start(app)
}

/// The server over in-memory adapters but the given bus (to make the bus fail, for instance).
pub async fn spawn_app_with_bus(bus: impl EventBus) -> TestApp {
    let settings = test_settings();
    let metrics = Arc::new(PrometheusMetrics::new().unwrap());
    let ports = Ports {
        store: Arc::new(MemoryEventStore::new()),
        bus: Arc::new(bus),
        read_models: Arc::new(MemoryReadModels::new()),
        clock: Arc::new(SystemClock),
        tokens: Arc::new(JwtTokens::new(settings.auth.jwt_secret.expose().as_bytes())),
        metrics: metrics.clone() as Arc<dyn Metrics>,
    };
    let app =
        Application::build_with(settings, Adapters { ports, metrics }).expect("the app builds");
    start(app)
}

fn start(app: Application) -> TestApp {
    let address = format!("http://127.0.0.1:{}", app.port());
    let stop = app.stop_handle();
    actix_web::rt::spawn(app.run_until_stopped());
    TestApp {
        address,
        client: reqwest::Client::new(),
        stop,
    }
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

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("the server answers")
    }

    pub async fn get_as(&self, path: &str, token: &str) -> Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("the server answers")
    }

    pub async fn post(&self, path: &str, body: &Value, token: Option<&str>) -> Response {
        let mut request = self.client.post(self.url(path)).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("the server answers")
    }

    pub async fn post_raw(&self, path: &str, body: &'static str, token: Option<&str>) -> Response {
        let mut request = self
            .client
            .post(self.url(path))
            .header("Content-Type", "application/json")
            .body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("the server answers")
    }

    /// Creates a game; panics unless 201.
    pub async fn create_game(&self, body: Value) -> Value {
        let response = self.post("/api/games", &body, None).await;
        assert_eq!(
            response.status(),
            StatusCode::CREATED,
            "{:?}",
            response.text().await
        );
        response.json().await.unwrap()
    }

    /// Creates a game of `n` players with `seed` and returns its id.
    pub async fn new_game(&self, n: u8, seed: u64) -> String {
        let summary = self
            .create_game(json!({ "numPlayers": n, "seed": seed }))
            .await;
        summary["gameId"].as_str().unwrap().to_string()
    }

    /// Joins; panics unless 201.
    pub async fn join(&self, game_id: &str, name: &str) -> Joined {
        let response = self
            .post(
                &format!("/api/games/{game_id}/join"),
                &json!({ "name": name }),
                None,
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::CREATED,
            "{:?}",
            response.text().await
        );
        response.json().await.unwrap()
    }

    /// A game of `n` players with every seat taken, in seat order.
    pub async fn started_game(&self, n: u8, seed: u64) -> (String, Vec<Joined>) {
        let game_id = self.new_game(n, seed).await;
        let mut players = Vec::new();
        for i in 0..n {
            players.push(self.join(&game_id, &format!("Player{i}")).await);
        }
        (game_id, players)
    }

    /// Sends a command.
    pub async fn command(
        &self,
        game_id: &str,
        token: &str,
        command_id: &str,
        command: Value,
    ) -> Response {
        self.post(
            &format!("/api/games/{game_id}/commands"),
            &json!({ "commandId": command_id, "command": command }),
            Some(token),
        )
        .await
    }

    /// The public view's JSON (`{gameId, lastEventId, state}`).
    pub async fn game(&self, game_id: &str) -> Value {
        let response = self.get(&format!("/api/games/{game_id}")).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    /// All public events of a game.
    pub async fn events(&self, game_id: &str, after: u64) -> Vec<Value> {
        let response = self
            .get(&format!(
                "/api/games/{game_id}/events?after={after}&limit=1000"
            ))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        body["events"].as_array().unwrap().clone()
    }
}

/// The error code of an error response, checking the status.
pub async fn error_code(response: Response, status: StatusCode) -> String {
    assert_eq!(response.status(), status, "unexpected status");
    let body: Value = response.json().await.expect("a JSON error body");
    body["error"]["code"]
        .as_str()
        .expect("an error code")
        .to_string()
}

/// A local copy of a game, rebuilt from the same seed as the server's and the public events that
/// followed: what a bot needs to choose legal moves.
pub struct Mirror {
    pub game: Game,
}

impl Mirror {
    /// The state right after `GameCreated` with the server's default rules.
    pub fn new(num_players: u8, seed: u64) -> Mirror {
        let mut game = Game::default();
        let create = Command::CreateGame {
            num_players,
            seed,
            scenario: None,
            caravan_capacity: Some(10),
            point_cards_to_end: None,
        };
        for event in game.decide(&Actor::System, &create).unwrap() {
            game.apply_mut(&event);
        }
        Mirror { game }
    }

    /// Applies public events (as the REST API returns them) after the mirror's version.
    pub fn apply(&mut self, events: &[Value]) {
        for dto in events {
            let id = dto["eventId"].as_u64().unwrap();
            if id <= self.game.version() {
                continue;
            }
            assert_eq!(id, self.game.version() + 1, "events arrive without gaps");
            let event: Event =
                serde_json::from_value(json!({ "type": dto["eventType"], "data": dto["data"] }))
                    .unwrap();
            self.game.apply_mut(&event);
        }
    }
}
