//! One spectator too many for a game is refused with `too_many_spectators` and close 1013; players
//! still connect, other games are not affected, and a place freed is taken again.

use std::time::Duration;

use super::{connect, first_message, settings, until_closed};
use crate::support::app::TestApp;

#[tokio::test]
async fn spectators_beyond_the_cap_are_refused_with_too_many_spectators_and_1013() {
    let app = TestApp::spawn(settings(|s| s.websocket.max_spectators_per_game = 2)).await;
    let game_id = app.create_game(2, 501).await;
    let ana = app.join(&game_id, "Ana").await;

    let mut first = connect(&app, &game_id, None).await;
    assert_eq!(first_message(&mut first).await["type"], "welcome");
    let mut second = connect(&app, &game_id, None).await;
    assert_eq!(first_message(&mut second).await["type"], "welcome");

    let mut third = connect(&app, &game_id, None).await;
    let (messages, close) = until_closed(&mut third, Duration::from_secs(10)).await;
    assert_eq!(close, Some(1013), "{messages:?}");
    assert_eq!(messages[0]["type"], "error");
    assert_eq!(messages[0]["error"]["code"], "too_many_spectators");

    // A player of the game is not a spectator; another game has its own places.
    let mut player = connect(&app, &game_id, Some(&ana.token)).await;
    let welcome = first_message(&mut player).await;
    assert_eq!(welcome["type"], "welcome");
    assert_eq!(welcome["seat"], 0);
    let other = app.create_game(2, 502).await;
    let mut elsewhere = connect(&app, &other, None).await;
    assert_eq!(first_message(&mut elsewhere).await["type"], "welcome");

    // A spectator who leaves frees its place.
    drop(first);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let mut again = connect(&app, &game_id, None).await;
        if first_message(&mut again).await["type"] == "welcome" {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the freed place was not given again"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(second);
    app.stop().await;
}
