//! Secrets: a server anyone can reach never runs with a secret anyone can know.

use caravan::adapters::outbound::jwt::JwtTokens;
use caravan::application::ports::{PlayerClaims, PlayerTokens};
use caravan::config::DEFAULT_JWT_SECRET;
use jsonwebtoken::{decode, Algorithm, DecodingKey, Validation};
use reqwest::StatusCode;
use serde_json::json;

use super::server::{code, refuses_to_start, Client, Server, ADMIN_TOKEN};

const LONG_SECRET: &str = "a-random-secret-of-well-over-32-bytes-0123456789";

#[test]
fn a_public_bind_refuses_a_known_or_short_secret_whatever_app_env_says() {
    for env in [
        vec![("SERVER_HOST", "0.0.0.0")],
        vec![("SERVER_HOST", "0.0.0.0"), ("APP_ENV", "development")],
        vec![
            ("SERVER_HOST", "0.0.0.0"),
            ("APP_ENV", "development"),
            ("JWT_SECRET", DEFAULT_JWT_SECRET),
        ],
        vec![
            ("SERVER_HOST", "0.0.0.0"),
            ("APP_ENV", "development"),
            ("JWT_SECRET", "only-31-bytes-long-0123456789ab"),
        ],
        vec![("SERVER_HOST", "::"), ("JWT_SECRET", "short")],
        vec![("SERVER_HOST", "127.0.0.1"), ("APP_ENV", "production")],
    ] {
        let (refused, output) = refuses_to_start(&env);
        assert!(refused, "{env:?} started: {output}");
        assert!(output.contains("JWT_SECRET"), "{env:?}: {output}");
    }
}

#[tokio::test]
async fn a_token_signed_with_the_development_secret_moves_nothing() {
    let server = Server::start(&[("JWT_SECRET", LONG_SECRET)]).await;
    let admin = Client::new(&server, None);
    let (_, created, _) = admin
        .post("/api/games", Some(ADMIN_TOKEN), &json!({"numPlayers": 2}))
        .await;
    let game_id = created["gameId"].as_str().unwrap();
    let mut tokens = Vec::new();
    for name in ["Ana", "Ben"] {
        let (status, joined, _) = admin
            .post(
                &format!("/api/games/{game_id}/join"),
                None,
                &json!({"name": name}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{joined}");
        tokens.push(joined["token"].as_str().unwrap().to_string());
    }
    // Every claim of a real token (its player id is public), signed with the built-in secret.
    let mut insecure = Validation::new(Algorithm::HS256);
    insecure.insecure_disable_signature_validation();
    let claims = decode::<PlayerClaims>(&tokens[0], &DecodingKey::from_secret(b""), &insecure)
        .unwrap()
        .claims;
    let forged = JwtTokens::new(DEFAULT_JWT_SECRET.as_bytes())
        .issue(&claims)
        .unwrap();
    let (status, body, _) = admin
        .post(
            &format!("/api/games/{game_id}/commands"),
            Some(&forged),
            &json!({"commandId": "forged", "command": {"type": "rest"}}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(code(&body), "invalid_token");
    let (_, events) = admin.get(&format!("/api/games/{game_id}/events")).await;
    let kinds: Vec<&str> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["eventType"].as_str().unwrap())
        .collect();
    assert!(!kinds.contains(&"rested"), "{kinds:?}");
}
