//! One spectator too many for a game is refused with `too_many_spectators` and close 1013; players
//! still connect, other games are not affected, and a place freed is taken again.

use std::time::Duration;

use crate::support::app::spawn_app_with;

#[tokio::test]
async fn spectators_beyond_the_cap_are_refused_with_too_many_spectators_and_1013() {
    let app = spawn_app_with(|s| s.websocket.max_spectators_per_game = 2).await;
    let game_id = app.create_game(2, 501).await;
    let ana = app.join(&game_id, "Ana").await;

    let mut first = app.connect(&game_id, None, None).await;
    assert_eq!(first.recv().await.json()["type"], "welcome");
    let mut second = app.connect(&game_id, None, None).await;
    assert_eq!(second.recv().await.json()["type"], "welcome");

    let mut third = app.connect(&game_id, None, None).await;
    let (messages, close) = third.until_closed(Duration::from_secs(10)).await;
    assert_eq!(close, Some(1013), "{messages:?}");
    assert_eq!(messages[0]["type"], "error");
    assert_eq!(messages[0]["error"]["code"], "too_many_spectators");

    // A player of the game is not a spectator; another game has its own places.
    let mut player = app.connect(&game_id, Some(&ana.token), None).await;
    let welcome = player.recv().await.json();
    assert_eq!(welcome["type"], "welcome");
    assert_eq!(welcome["seat"], 0);
    let other = app.create_game(2, 502).await;
    let mut elsewhere = app.connect(&other, None, None).await;
    assert_eq!(elsewhere.recv().await.json()["type"], "welcome");

    // A spectator who leaves frees its place.
    drop(first);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let mut again = app.connect(&game_id, None, None).await;
        if again.recv().await.json()["type"] == "welcome" {
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
