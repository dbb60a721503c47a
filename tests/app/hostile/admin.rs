//! The admin and metrics tokens: guessing is cut off after a few wrong tries per address, and
//! `/metrics` can be closed to anyone without its token.

use reqwest::StatusCode;
use serde_json::json;

use super::server::{code, Client, Server, ADMIN_TOKEN};

const METRICS_TOKEN: &str = "hostile-tests-metrics-token-0123";

#[tokio::test]
async fn wrong_admin_tokens_lock_the_address_out_even_with_the_right_one_afterwards() {
    let server = Server::start(&[("ADMIN_AUTH_FAILURES_PER_MIN", "3")]).await;
    let guesser = Client::new(&server, Some("203.0.113.50"));
    let rebuild = "/api/admin/rebuild-projections";
    for guess in 0..3 {
        let (status, body, _) = guesser
            .post(
                rebuild,
                Some(&format!("guess-{guess}-{}", "x".repeat(guess * 7))),
                &json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(code(&body), "admin_only");
    }
    let (status, body, retry_after) = guesser.post(rebuild, Some("guess-4"), &json!({})).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(code(&body), "too_many_auth_failures");
    assert!(retry_after.is_some());
    let (status, body, _) = guesser.post(rebuild, Some(ADMIN_TOKEN), &json!({})).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "the right token from a locked-out address: {body}"
    );

    let operator = Client::new(&server, Some("198.51.100.60"));
    let (status, body, _) = operator.post(rebuild, Some(ADMIN_TOKEN), &json!({})).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "another address is not locked out: {body}"
    );
}

#[tokio::test]
async fn metrics_need_their_token_when_one_is_set() {
    let server = Server::start(&[("METRICS_TOKEN", METRICS_TOKEN)]).await;
    let client = Client::new(&server, Some("203.0.113.51"));
    let (status, body, _) = client
        .call(reqwest::Method::GET, "/metrics", None, None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(code(&body), "metrics_token_required");
    let (status, _, _) = client
        .call(reqwest::Method::GET, "/metrics", Some("wrong-token"), None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body, _) = client
        .call(reqwest::Method::GET, "/metrics", Some(METRICS_TOKEN), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.as_str().unwrap_or_default().contains("# TYPE"),
        "{body}"
    );

    let open = Server::start(&[]).await;
    let (status, _) = Client::new(&open, None).get("/metrics").await;
    assert_eq!(
        status,
        StatusCode::OK,
        "without METRICS_TOKEN, /metrics stays open"
    );
}
