//! Running servers in a test: [`TestApp::spawn`] builds the real application on port 0 and talks to
//! it over HTTP, as a client would; the bot picks the moves.

use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use caravan::application::games::LoadedGame;
use caravan::application::ports::{PlayerClaims, StoredEvent};
use caravan::application::{FeedStart, GameFeed, Services};
use caravan::config::{EventBusKind, EventStoreKind, Secret, Settings};
use caravan::domain::{Bot, Command, Game, GameStatus, Seat};
use caravan::startup::{Application, StopHandle};

/// The admin token test servers accept.
pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789";

/// Settings for an instance on MongoDB database `db` and Redis keys under `prefix`.
pub fn distributed(mongo_uri: &str, db: &str, redis_url: &str, prefix: &str) -> Settings {
    let mut settings = Settings::for_tests();
    settings.storage.event_store = EventStoreKind::Mongodb;
    settings.storage.mongo_uri = Secret::new(mongo_uri);
    settings.storage.mongo_db = db.into();
    settings.storage.event_bus = EventBusKind::Redis;
    settings.storage.redis_url = Secret::new(redis_url);
    settings.storage.redis_key_prefix = prefix.into();
    settings.auth.admin_token = Some(Secret::new(ADMIN_TOKEN));
    // Test bots answer every state at once; the per-connection rate limit has its own tests.
    settings.websocket.max_messages_per_sec = 10_000;
    settings
}

/// A seat taken over HTTP.
#[derive(Debug, Clone)]
pub struct Player {
    /// The seat.
    pub seat: Seat,
    /// Its bearer token.
    pub token: String,
}

/// A running instance.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// The instance's services (feeds are opened here, as the WebSocket layer does).
    pub services: Arc<Services>,
    client: reqwest::Client,
    stop: StopHandle,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl TestApp {
    /// Builds and starts an instance.
    pub async fn spawn(settings: Settings) -> TestApp {
        let app = Application::build(settings)
            .await
            .expect("the application builds");
        let address = format!("http://127.0.0.1:{}", app.port());
        let services = app.state().services.clone();
        let stop = app.stop_handle();
        let task = tokio::spawn(app.run_until_stopped());
        TestApp {
            address,
            services,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
            stop,
            task,
        }
    }

    /// Stops the instance gracefully and waits until it has.
    pub async fn stop(self) {
        self.stop.stop();
        let _ = self.task.await;
    }

    /// A request with an optional bearer token; the status and the JSON body (`null` if none).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.address));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the server answers");
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(reqwest::Method::GET, path, None, None).await
    }

    /// The text of `GET /metrics`.
    pub async fn metrics(&self) -> String {
        self.client
            .get(format!("{}/metrics", self.address))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// Opens a game with a fixed seed; returns its id.
    pub async fn create_game(&self, num_players: u8, seed: u64) -> String {
        let (status, body) = self
            .call(
                reqwest::Method::POST,
                "/api/games",
                None,
                Some(json!({ "numPlayers": num_players, "seed": seed })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["gameId"].as_str().unwrap().to_string()
    }

    /// Takes the next seat.
    pub async fn join(&self, game_id: &str, name: &str) -> Player {
        let (status, body) = self
            .call(
                reqwest::Method::POST,
                &format!("/api/games/{game_id}/join"),
                None,
                Some(json!({ "name": name })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        Player {
            seat: body["seat"].as_u64().unwrap() as Seat,
            token: body["token"].as_str().unwrap().to_string(),
        }
    }

    /// Sends a player's command; the status and the body.
    pub async fn command(
        &self,
        game_id: &str,
        player: &Player,
        command_id: &str,
        command: &Command,
    ) -> (StatusCode, Value) {
        self.call(
            reqwest::Method::POST,
            &format!("/api/games/{game_id}/commands"),
            Some(&player.token),
            Some(json!({ "commandId": command_id, "command": command })),
        )
        .await
    }

    /// The claims of a player's token.
    pub fn claims(&self, player: &Player) -> PlayerClaims {
        self.services.authenticate(&player.token).unwrap()
    }

    /// A live feed of `game_id` for `player` (or a spectator) from `last_event_id`, as the
    /// WebSocket layer opens one; returns the events it starts with.
    pub async fn feed(
        &self,
        game_id: &str,
        player: Option<&Player>,
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
            .unwrap()
    }

    /// The game's state as stored.
    pub async fn state(&self, game_id: &str) -> Game {
        let mut loaded = LoadedGame::empty();
        assert!(loaded.fold(&self.stored(game_id).await));
        loaded.game
    }

    /// Waits until `GET /ready` answers 200.
    pub async fn wait_ready(&self, within: Duration) {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let (status, body) = self.get("/ready").await;
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
}

/// Collects a feed's events in a task until one with id `>= until` arrives (or the feed ends).
pub fn collect_feed(
    mut feed: GameFeed,
    mut seen: Vec<StoredEvent>,
    until: Arc<std::sync::atomic::AtomicU64>,
) -> tokio::task::JoinHandle<Vec<StoredEvent>> {
    tokio::spawn(async move {
        loop {
            let target = until.load(std::sync::atomic::Ordering::SeqCst);
            if target > 0 && seen.last().is_some_and(|e| e.event_id >= target) {
                return seen;
            }
            match tokio::time::timeout(Duration::from_millis(200), feed.next()).await {
                Ok(Some(Ok(update))) => seen.extend(update.events),
                Ok(Some(Err(e))) => panic!("the feed failed: {e}"),
                Ok(None) => return seen,
                Err(_) => {}
            }
        }
    })
}

/// The bot's next move: the seat to move and the command, or `None` once the game is over.
pub fn next_move(game: &Game, bot: &mut Bot) -> Option<(Seat, Command)> {
    if game.status() != GameStatus::Active {
        return None;
    }
    let seat = game.current_seat()?;
    bot.choose(game, seat).map(|command| (seat, command))
}

/// Ids `1..=n` without gaps or repeats.
pub fn assert_gap_free(events: &[StoredEvent], n: u64, who: &str) {
    let ids: Vec<u64> = events.iter().map(|e| e.event_id).collect();
    let expected: Vec<u64> = (1..=n).collect();
    assert_eq!(ids, expected, "{who}: the stream is not 1..={n}");
}
