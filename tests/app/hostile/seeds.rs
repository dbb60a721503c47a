//! Deck order: only an admin chooses a seed; any other game's decks are unknowable, to its creator
//! too.

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::server::{code, Client, Server, ADMIN_TOKEN};

/// The market and point rows of a started game, as any spectator sees them.
async fn rows(client: &Client, game_id: &str) -> (Value, Value) {
    let (_, view) = client.get(&format!("/api/games/{game_id}")).await;
    (
        view["state"]["merchantRow"].clone(),
        view["state"]["pointRow"].clone(),
    )
}

async fn started(client: &Client, body: Value, token: Option<&str>) -> String {
    let (status, created, _) = client.post("/api/games", token, &body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let game_id = created["gameId"].as_str().unwrap().to_string();
    for name in ["Ana", "Ben"] {
        let (status, joined, _) = client
            .post(
                &format!("/api/games/{game_id}/join"),
                None,
                &json!({"name": name}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{joined}");
    }
    game_id
}

#[tokio::test]
async fn a_seed_from_anyone_but_the_admin_is_refused() {
    let server = Server::start(&[]).await;
    let client = Client::new(&server, Some("203.0.113.40"));
    for token in [None, Some("a-guess-at-the-admin-token")] {
        let (status, body, _) = client
            .post("/api/games", token, &json!({"numPlayers": 2, "seed": 42}))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(code(&body), "admin_only");
    }
    let (_, list) = client.get("/api/games").await;
    assert_eq!(list["games"].as_array().map(Vec::len), Some(0), "{list}");
}

#[tokio::test]
async fn games_created_alike_deal_differently_unless_the_admin_fixes_the_seed() {
    let server = Server::start(&[]).await;
    let client = Client::new(&server, Some("203.0.113.41"));
    let a = started(&client, json!({"numPlayers": 2}), None).await;
    let b = started(&client, json!({"numPlayers": 2}), None).await;
    assert_ne!(rows(&client, &a).await, rows(&client, &b).await);

    let c = started(
        &client,
        json!({"numPlayers": 2, "seed": 42}),
        Some(ADMIN_TOKEN),
    )
    .await;
    let d = started(
        &client,
        json!({"numPlayers": 2, "seed": 42}),
        Some(ADMIN_TOKEN),
    )
    .await;
    assert_eq!(rows(&client, &c).await, rows(&client, &d).await);
}
