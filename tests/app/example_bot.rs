//! `examples/bot.mjs`, the client authors' quick start, plays a whole game against the server with
//! Node's built-in `fetch` and WebSocket, from the `legal` hints alone.
//!
//! Node is what the browser tests need too. Without it the test is skipped with a loud message;
//! with `CI=true` a missing Node is a failure.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;

use crate::support::app::spawn_app_with;

#[tokio::test]
async fn the_example_bot_plays_a_game_to_its_end() {
    let has_node = tokio::process::Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .await
        .is_ok_and(|s| s.success());
    if !has_node {
        let message = "node is not installed: the example bot (examples/bot.mjs) was not run";
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("CI=true: {message}");
        }
        eprintln!("SKIPPED: {message}");
        return;
    }
    let app = spawn_app_with(|s| s.game.bot_thinking_ms = 0).await;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/bot.mjs");
    let run = tokio::process::Command::new("node")
        .arg("--experimental-websocket")
        .arg(&script)
        .arg(app.url(""))
        .arg("greedy")
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("the example bot finishes its game within two minutes")
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the example bot failed: {}\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let result: Value = serde_json::from_str(stdout.trim()).expect("one JSON line of results");
    assert_eq!(result["reason"], "pointCards", "{result}");
    let game_id = result["gameId"].as_str().unwrap();
    let view = app.view(game_id, None).await;
    assert_eq!(view["state"]["status"], "finished", "{view}");
    assert_eq!(result["scores"].as_array().unwrap().len(), 2);
}
