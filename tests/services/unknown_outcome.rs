//! Commands whose write went unanswered, against the real MongoDB-wire server: the event store is
//! MongoDB, wrapped so that chosen appends lose their reply (after storing, or without storing),
//! and the server is driven over HTTP as a client would. Every answer must be the truth about the
//! log. Needs MongoDB (see `tests/support/services.rs`).

use std::collections::VecDeque;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::services::TestDb;
use caravan::adapters::outbound::jwt::JwtTokens;
use caravan::adapters::outbound::memory::{LocalEventBus, MemoryReadModels, SystemClock};
use caravan::adapters::outbound::mongodb::MongoEventStore;
use caravan::adapters::outbound::prometheus::PrometheusMetrics;
use caravan::application::ports::{
    AppendError, AppendOutcome, EventStore, Metrics, Ports, StoreError, StoredEvent,
};
use caravan::config::Settings;
use caravan::domain::{Event, Game, RandomPlayer};
use caravan::startup::{Adapters, Application};

/// What the next append does.
#[derive(Debug, Clone, Copy)]
enum Fate {
    /// Stored, then the reply is lost.
    StoredReplyLost,
    /// Never reaches the store, and no reply comes.
    LostUnstored,
}

/// MongoDB, except that appends follow the planned fates first (then behave).
struct LosingReplies {
    inner: MongoEventStore,
    plan: Mutex<VecDeque<Fate>>,
}

#[async_trait::async_trait]
impl EventStore for LosingReplies {
    async fn append(
        &self,
        game_id: &str,
        expected_version: u64,
        events: Vec<Event>,
        command_id: Option<String>,
        at: DateTime<Utc>,
    ) -> Result<AppendOutcome, AppendError> {
        let fate = self.plan.lock().pop_front();
        match fate {
            Some(Fate::StoredReplyLost) => {
                self.inner
                    .append(game_id, expected_version, events, command_id, at)
                    .await?;
                Err(AppendError::Unknown("unexpected end of file".into()))
            }
            Some(Fate::LostUnstored) => Err(AppendError::Unknown("timed out".into())),
            None => {
                self.inner
                    .append(game_id, expected_version, events, command_id, at)
                    .await
            }
        }
    }
    async fn read(
        &self,
        game_id: &str,
        after: u64,
        limit: Option<usize>,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        self.inner.read(game_id, after, limit).await
    }
    async fn read_range(
        &self,
        game_id: &str,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: Option<usize>,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        self.inner.read_range(game_id, since, until, limit).await
    }
    async fn latest_id(&self, game_id: &str) -> Result<u64, StoreError> {
        self.inner.latest_id(game_id).await
    }
    async fn find_command(
        &self,
        game_id: &str,
        command_id: &str,
    ) -> Result<Option<Vec<StoredEvent>>, StoreError> {
        self.inner.find_command(game_id, command_id).await
    }
    async fn game_ids(&self) -> Result<Vec<String>, StoreError> {
        self.inner.game_ids().await
    }
    async fn ping(&self) -> Result<(), StoreError> {
        self.inner.ping().await
    }
}

struct Server {
    url: String,
    client: reqwest::Client,
    store: MongoEventStore,
    plan: Arc<LosingReplies>,
}

async fn serve(database: &mongodb::Database, outcome_wait_ms: u64) -> Server {
    let mut settings = Settings::for_tests();
    settings.game.command_outcome_wait_ms = outcome_wait_ms;
    let store = MongoEventStore::new(database);
    let plan = Arc::new(LosingReplies {
        inner: store.clone(),
        plan: Mutex::new(VecDeque::new()),
    });
    let metrics = Arc::new(PrometheusMetrics::new().unwrap());
    let ports = Ports {
        store: plan.clone(),
        bus: Arc::new(LocalEventBus::new(64)),
        read_models: Arc::new(MemoryReadModels::new()),
        clock: Arc::new(SystemClock),
        tokens: Arc::new(JwtTokens::new(settings.auth.jwt_secret.expose().as_bytes())),
        metrics: metrics.clone() as Arc<dyn Metrics>,
    };
    let app = Application::build_with(settings, Adapters { ports, metrics }).unwrap();
    let url = format!("http://127.0.0.1:{}", app.port());
    actix_web::rt::spawn(app.run_until_stopped());
    Server {
        url,
        client: reqwest::Client::new(),
        store,
        plan,
    }
}

impl Server {
    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        let mut request = self.client.post(format!("{}{path}", self.url)).json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// A started two-player game: its id and both seats' tokens by seat.
    async fn started_game(&self, game_id: &str) -> [String; 2] {
        let (status, _) = self
            .post(
                "/api/games",
                None,
                json!({"numPlayers": 2, "gameId": game_id}),
            )
            .await;
        assert!(status.is_success(), "{status}");
        let mut tokens = [String::new(), String::new()];
        for name in ["Ana", "Ben"] {
            let (status, joined) = self
                .post(
                    &format!("/api/games/{game_id}/join"),
                    None,
                    json!({ "name": name }),
                )
                .await;
            assert!(status.is_success(), "{joined}");
            tokens[joined["seat"].as_u64().unwrap() as usize] =
                joined["token"].as_str().unwrap().to_string();
        }
        tokens
    }

    /// The next move of the player at turn: (their token, the command).
    async fn next_move(&self, game_id: &str, tokens: &[String; 2]) -> (String, Value) {
        let log = self.store.read(game_id, 0, None).await.unwrap();
        let mut game = Game::default();
        for e in &log {
            game.apply_mut(&e.event);
        }
        let seat = game.current_seat().unwrap();
        let command = RandomPlayer::new(1).choose(&game, seat).unwrap();
        (
            tokens[usize::from(seat)].clone(),
            serde_json::to_value(command).unwrap(),
        )
    }

    async fn stored_with(&self, game_id: &str, command_id: &str) -> Vec<StoredEvent> {
        self.store
            .read(game_id, 0, None)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.command_id.as_deref() == Some(command_id))
            .collect()
    }
}

#[actix_web::test]
async fn a_command_stored_whose_reply_was_lost_is_answered_as_committed_once() {
    let Some(db) = TestDb::new().await else {
        return;
    };
    db.run(|database| async move {
        let server = serve(&database, 5000).await;
        let tokens = server.started_game("lost-reply").await;
        let (token, command) = server.next_move("lost-reply", &tokens).await;
        server.plan.plan.lock().push_back(Fate::StoredReplyLost);

        let (status, body) = server
            .post(
                "/api/games/lost-reply/commands",
                Some(&token),
                json!({"commandId": "c1", "command": command}),
            )
            .await;

        assert_eq!(status, 200, "{body}");
        assert_eq!(body["duplicate"], false);
        let stored = server.stored_with("lost-reply", "c1").await;
        let ids: Vec<u64> = stored.iter().map(|e| e.event_id).collect();
        assert!(!ids.is_empty());
        assert_eq!(
            body["eventIds"],
            json!(ids),
            "the answer names the stored events"
        );
        // Sent again: the same events, as a duplicate; nothing new stored.
        let (status, again) = server
            .post(
                "/api/games/lost-reply/commands",
                Some(&token),
                json!({"commandId": "c1", "command": command}),
            )
            .await;
        assert_eq!(status, 200);
        assert_eq!(again["duplicate"], true);
        assert_eq!(again["eventIds"], json!(ids));
        assert_eq!(
            server.stored_with("lost-reply", "c1").await.len(),
            ids.len()
        );
    })
    .await;
}

#[actix_web::test]
async fn a_command_whose_write_never_landed_is_stored_once_and_answered_as_committed() {
    let Some(db) = TestDb::new().await else {
        return;
    };
    db.run(|database| async move {
        let server = serve(&database, 5000).await;
        let tokens = server.started_game("never-landed").await;
        let (token, command) = server.next_move("never-landed", &tokens).await;
        server.plan.plan.lock().push_back(Fate::LostUnstored);
        server.plan.plan.lock().push_back(Fate::LostUnstored);

        let (status, body) = server
            .post(
                "/api/games/never-landed/commands",
                Some(&token),
                json!({"commandId": "c1", "command": command}),
            )
            .await;

        assert_eq!(status, 200, "{body}");
        assert_eq!(body["duplicate"], false);
        let stored = server.stored_with("never-landed", "c1").await;
        let ids: Vec<u64> = stored.iter().map(|e| e.event_id).collect();
        assert_eq!(body["eventIds"], json!(ids));
    })
    .await;
}

#[actix_web::test]
async fn a_join_stored_whose_reply_was_lost_takes_one_seat_only() {
    let Some(db) = TestDb::new().await else {
        return;
    };
    db.run(|database| async move {
        let server = serve(&database, 5000).await;
        let (status, _) = server
            .post(
                "/api/games",
                None,
                json!({"numPlayers": 3, "gameId": "lost-join"}),
            )
            .await;
        assert!(status.is_success(), "{status}");
        server.plan.plan.lock().push_back(Fate::StoredReplyLost);

        let (status, joined) = server
            .post("/api/games/lost-join/join", None, json!({"name": "Ana"}))
            .await;

        assert!(status.is_success(), "{joined}");
        let log = server.store.read("lost-join", 0, None).await.unwrap();
        let joins = log
            .iter()
            .filter(|e| matches!(e.event, Event::PlayerJoined { .. }))
            .count();
        assert_eq!(joins, 1, "the join is stored once");
        assert_eq!(joined["lastEventId"], json!(log.len()));
    })
    .await;
}

#[actix_web::test]
async fn a_store_silent_past_the_wait_answers_outcome_unknown_and_a_retry_learns_the_truth() {
    let Some(db) = TestDb::new().await else {
        return;
    };
    db.run(|database| async move {
        let server = serve(&database, 300).await;
        let tokens = server.started_game("silent").await;
        let (token, command) = server.next_move("silent", &tokens).await;
        // Stored, then nothing answers for longer than the wait.
        {
            let mut plan = server.plan.plan.lock();
            plan.push_back(Fate::StoredReplyLost);
            for _ in 0..1000 {
                plan.push_back(Fate::LostUnstored);
            }
        }
        let response = server
            .client
            .post(format!("{}/api/games/silent/commands", server.url))
            .bearer_auth(&token)
            .json(&json!({"commandId": "c1", "command": command}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 503);
        assert_eq!(
            response
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap()),
            Some("1")
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "outcome_unknown");

        // The store answers again: the same command id learns that it was committed.
        server.plan.plan.lock().clear();
        let (status, again) = server
            .post(
                "/api/games/silent/commands",
                Some(&token),
                json!({"commandId": "c1", "command": command}),
            )
            .await;
        assert_eq!(status, 200, "{again}");
        assert_eq!(again["duplicate"], true);
        let ids: Vec<u64> = server
            .stored_with("silent", "c1")
            .await
            .iter()
            .map(|e| e.event_id)
            .collect();
        assert_eq!(again["eventIds"], json!(ids));
        let metrics = server
            .client
            .get(format!("{}/metrics", server.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            metrics
                .lines()
                .any(|l| l.starts_with("caravan_commands_total")
                    && l.contains("outcome=\"unknown\"")
                    && l.ends_with(" 1")),
            "{metrics}"
        );
        assert!(
            metrics
                .lines()
                .any(|l| l.starts_with("caravan_commands_total")
                    && l.contains("outcome=\"duplicate\"")
                    && l.ends_with(" 1")),
            "{metrics}"
        );
    })
    .await;
}
