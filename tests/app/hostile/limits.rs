//! Per-address limits: game creation, joins and open WebSockets are counted per client address
//! (the one a trusted proxy names), answered `429` with `Retry-After` past the limit, and the admin
//! token is exempt from all of them.

use std::time::{Duration, Instant};

use futures::StreamExt;
use reqwest::StatusCode;
use serde_json::json;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

use super::server::{code, Client, Endpoint, Server, ADMIN_TOKEN};

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens `/ws` for `game_id` as a spectator from `address` (optionally with the admin token):
/// the socket, or the HTTP status and `Retry-After` of the refusal.
pub async fn open_ws(
    server: &Endpoint,
    game_id: &str,
    address: &str,
    admin: bool,
) -> Result<Ws, (u16, Option<String>)> {
    let url = format!("ws://{}/ws?gameId={game_id}", server.addr);
    let mut request = url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("x-forwarded-for", HeaderValue::from_str(address).unwrap());
    if admin {
        request.headers_mut().insert(
            "authorization",
            HeaderValue::from_str(&format!("Bearer {ADMIN_TOKEN}")).unwrap(),
        );
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((ws, _)) => Ok(ws),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => Err((
            response.status().as_u16(),
            response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
        )),
        Err(e) => panic!("the handshake failed: {e}"),
    }
}

/// Reads until the welcome message.
async fn welcomed(ws: &mut Ws) {
    let deadline = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(Ok(message)) = ws.next().await {
            if let Message::Text(text) = message {
                if text.contains("\"welcome\"") {
                    return;
                }
            }
        }
        panic!("closed before the welcome");
    });
    deadline.await.expect("a welcome within 10 s");
}

#[tokio::test]
async fn one_address_cannot_hold_more_websockets_than_its_share() {
    let server = Server::start(&[("WS_CONNECTIONS_PER_ADDRESS", "5")]).await;
    let admin = Client::new(&server, None);
    let (status, body, _) = admin
        .post("/api/games", Some(ADMIN_TOKEN), &json!({"numPlayers": 2}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let game_id = body["gameId"].as_str().unwrap().to_string();

    let mut held = Vec::new();
    for _ in 0..5 {
        let mut ws = open_ws(&server, &game_id, "203.0.113.5", false)
            .await
            .expect("within the limit");
        welcomed(&mut ws).await;
        held.push(ws);
    }
    let (status, retry_after) = open_ws(&server, &game_id, "203.0.113.5", false)
        .await
        .expect_err("the sixth is refused");
    assert_eq!(status, 429);
    assert!(retry_after.is_some(), "429 carries Retry-After");

    // Another address, and the admin from the same one, are not affected.
    let mut other = open_ws(&server, &game_id, "198.51.100.20", false)
        .await
        .expect("another address connects");
    welcomed(&mut other).await;
    let mut operator = open_ws(&server, &game_id, "203.0.113.5", true)
        .await
        .expect("the admin token is exempt");
    welcomed(&mut operator).await;

    // A closed socket gives its slot back.
    let mut first = held.remove(0);
    first.close(None).await.unwrap();
    while let Some(Ok(_)) = first.next().await {}
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match open_ws(&server, &game_id, "203.0.113.5", false).await {
            Ok(ws) => {
                held.push(ws);
                break;
            }
            Err((429, _)) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(refused) => panic!("the slot was not given back: {refused:?}"),
        }
    }
}

#[tokio::test]
async fn game_creation_is_limited_per_address_and_the_admin_is_exempt() {
    let server = Server::start(&[("RATE_LIMIT_GAMES_PER_MIN", "3")]).await;
    let attacker = Client::new(&server, Some("203.0.113.7"));
    for _ in 0..3 {
        let (status, body, _) = attacker
            .post("/api/games", None, &json!({"numPlayers": 2}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (status, body, retry_after) = attacker
        .post("/api/games", None, &json!({"numPlayers": 2}))
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(code(&body), "too_many_games");
    let retry_after: u64 = retry_after.expect("Retry-After").parse().unwrap();
    assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");

    let (status, _, _) = attacker
        .post("/api/games", Some(ADMIN_TOKEN), &json!({"numPlayers": 2}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "the admin token is exempt");
    let honest = Client::new(&server, Some("198.51.100.8"));
    let (status, _, _) = honest
        .post("/api/games", None, &json!({"numPlayers": 2}))
        .await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "other addresses are not affected"
    );
}

#[tokio::test]
async fn a_client_that_joins_every_waiting_game_is_stopped_and_honest_players_still_sit_down() {
    let server = Server::start(&[("RATE_LIMIT_JOINS_PER_MIN", "4")]).await;
    let admin = Client::new(&server, None);
    let mut games = Vec::new();
    for _ in 0..10 {
        let (_, body, _) = admin
            .post("/api/games", Some(ADMIN_TOKEN), &json!({"numPlayers": 2}))
            .await;
        games.push(body["gameId"].as_str().unwrap().to_string());
    }
    let attacker = Client::new(&server, Some("203.0.113.9"));
    let mut seats = 0;
    let mut refused = 0;
    for game in &games {
        for seat in 0..2 {
            let (status, body, retry_after) = attacker
                .post(
                    &format!("/api/games/{game}/join"),
                    None,
                    &json!({"name": format!("squatter {seat}")}),
                )
                .await;
            match status {
                StatusCode::CREATED => seats += 1,
                StatusCode::TOO_MANY_REQUESTS => {
                    assert_eq!(code(&body), "too_many_joins");
                    assert!(retry_after.is_some());
                    refused += 1;
                }
                other => panic!("{other}: {body}"),
            }
        }
    }
    assert_eq!(seats, 4, "one address takes at most its share of seats");
    assert_eq!(refused, 16);
    // Computer players take seats too: from the same allowance.
    let (status, body, retry_after) = attacker
        .post(
            &format!("/api/games/{}/bots", games[8]),
            None,
            &json!({"level": "easy"}),
        )
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(code(&body), "too_many_joins");
    assert!(retry_after.is_some());
    let honest = Client::new(&server, Some("198.51.100.30"));
    let (status, body, _) = honest
        .post(
            &format!("/api/games/{}/join", games[9]),
            None,
            &json!({"name": "Ana"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[tokio::test]
async fn x_forwarded_for_is_believed_only_from_a_trusted_proxy() {
    // No trusted proxy: every request counts for the peer (127.0.0.1), whatever it claims.
    let server = Server::start(&[("TRUSTED_PROXIES", ""), ("RATE_LIMIT_GAMES_PER_MIN", "2")]).await;
    for i in 0..2 {
        let client = Client::new(&server, Some(&format!("192.0.2.{i}")));
        let (status, _, _) = client
            .post("/api/games", None, &json!({"numPlayers": 2}))
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let forged = Client::new(&server, Some("192.0.2.99"));
    let (status, body, _) = forged
        .post("/api/games", None, &json!({"numPlayers": 2}))
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
}
