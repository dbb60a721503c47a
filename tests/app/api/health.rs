use std::sync::Arc;

use caravan::application::ports::{BusError, EventBus, StoredEvent, Subscription};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::app::{error_code, spawn_app, test_settings, TestApp};

#[tokio::test]
async fn health_answers_ok() {
    let app = spawn_app().await;
    let (status, body) = app.get("/health", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({ "status": "ok" }));
}

#[tokio::test]
async fn ready_answers_when_the_store_and_the_bus_answer() {
    let app = spawn_app().await;
    let (status, body) = app.get("/ready", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["eventStore"], "ok");
    assert_eq!(body["eventBus"], "ok");
}

/// A bus that cannot be reached.
struct DownBus;

#[async_trait::async_trait]
impl EventBus for DownBus {
    async fn publish(&self, _: &str, _: Arc<[StoredEvent]>) -> Result<(), BusError> {
        Err(BusError::Unavailable("down".into()))
    }
    async fn subscribe(&self, _: &str) -> Result<Subscription, BusError> {
        Err(BusError::Unavailable("down".into()))
    }
    async fn ping(&self) -> Result<(), BusError> {
        Err(BusError::Unavailable("down".into()))
    }
}

#[tokio::test]
async fn ready_is_503_naming_the_failing_service() {
    let app =
        TestApp::spawn_with_ports(test_settings(), |ports| ports.bus = Arc::new(DownBus)).await;
    let (status, body) = app.get("/ready", None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["error"]["code"], "not_ready");
    assert_eq!(body["failing"], json!(["event_bus"]));
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("event_bus"));
}

#[tokio::test]
async fn commands_still_commit_when_the_bus_is_down_and_the_failure_is_counted() {
    let app =
        TestApp::spawn_with_ports(test_settings(), |ports| ports.bus = Arc::new(DownBus)).await;
    let (game_id, players) = app.started_game(2, 5).await;
    let (status, _) = app
        .command(
            &game_id,
            &players[0].token,
            "c1",
            &json!({ "type": "playCard", "cardId": "S01" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let metrics = app.metrics().await;
    let failures = metrics
        .lines()
        .find(|l| l.starts_with("caravan_publish_failures_total"))
        .unwrap();
    assert!(!failures.ends_with(" 0"), "{failures}");
}

#[tokio::test]
async fn metrics_expose_the_promised_series() {
    let app = spawn_app().await;
    let (game_id, players) = app.started_game(2, 5).await;
    app.command(
        &game_id,
        &players[0].token,
        "c1",
        &json!({ "type": "playCard", "cardId": "S01" }),
    )
    .await;
    app.command(
        &game_id,
        &players[0].token,
        "c2",
        &json!({ "type": "rest" }),
    )
    .await;
    let response = app.request(Method::GET, "/metrics").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = response.text().await.unwrap();
    for series in [
        "caravan_commands_total{outcome=\"accepted\",type=\"playCard\"} 1",
        "caravan_commands_total{outcome=\"rejected\",type=\"rest\"} 1",
        "caravan_commands_total{outcome=\"accepted\",type=\"join\"} 2",
        "caravan_command_duration_seconds_bucket{type=\"playCard\"",
        "caravan_websockets_open 0",
        "caravan_events_appended_total",
        "caravan_publish_failures_total 0",
    ] {
        assert!(text.contains(series), "missing {series} in:\n{text}");
    }
}

#[tokio::test]
async fn an_unknown_route_is_a_json_404() {
    let app = spawn_app().await;
    let code = error_code(
        app.get("/api/nothing-here", None).await,
        StatusCode::NOT_FOUND,
    );
    assert_eq!(code, "not_found");
}

#[tokio::test]
async fn a_known_route_asked_with_another_method_is_a_json_405_with_allow() {
    let app = spawn_app().await;
    for (method, path, allowed) in [
        (Method::DELETE, "/api/games", "GET, POST"),
        (Method::PUT, "/api/games/some-game/commands", "POST"),
        (Method::POST, "/health", "GET"),
    ] {
        let response = app
            .request(method.clone(), path)
            .send()
            .await
            .expect("an answer");
        let mut allow: Vec<String> = response
            .headers()
            .get("allow")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .split(',')
            .map(|m| m.trim().to_string())
            .collect();
        allow.sort();
        assert_eq!(allow.join(", "), allowed, "{method} {path}");
        let status = response.status();
        let body = response.json().await.expect("a JSON body");
        assert_eq!(
            error_code((status, body), StatusCode::METHOD_NOT_ALLOWED),
            "method_not_allowed",
            "{method} {path}"
        );
    }
}
