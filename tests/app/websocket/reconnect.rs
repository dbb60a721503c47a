//! Reconnecting with `lastEventId`: the missed events, then `caughtUp`, then the state, then live
//! events, with nothing lost or repeated across the switch.

use std::time::Duration;

use caravan::domain::rng::Rng;
use serde_json::Value;
use uuid::Uuid;

use crate::support::app::{spawn_app, TestApp};
use crate::support::ws::{assert_contiguous, assert_same_events};
use crate::websocket::hint_player;
use crate::websocket::table::Seat;

const GAME_TIMEOUT: Duration = Duration::from_secs(180);

/// Plays `moves` of the seat's turns over REST, as the same player on another device would.
async fn play_over_rest(app: &TestApp, game_id: &str, token: &str, moves: usize) -> u64 {
    let mut rng = Rng::new(99);
    let mut played = 0;
    let mut version = 0;
    while played < moves {
        let view = app.view(game_id, Some(token)).await;
        let Some(command) = hint_player::choose(&view["state"], &mut rng) else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let (status, body) = app
            .command(game_id, token, &Uuid::new_v4().to_string(), &command)
            .await;
        assert_eq!(status, 200, "a legal command over REST: {body}");
        version = body["lastEventId"].as_u64().expect("lastEventId");
        played += 1;
    }
    version
}

#[tokio::test]
async fn a_player_dropped_mid_game_reconnects_and_receives_exactly_the_events_it_missed_then_live_ones(
) {
    let app = spawn_app().await;
    let (game_id, players) = app.started_game(2, 5).await;
    let ana = app
        .connect(&game_id, Some(&players[0].token), Some(0))
        .await;
    let ana = Seat::new("ana", ana, true, 50);
    let ben = app
        .connect(&game_id, Some(&players[1].token), Some(0))
        .await;
    let ben = Seat::new("ben", ben, true, 51);
    let spectator = app.connect(&game_id, None, Some(0)).await;
    let spectator = Seat::new("spectator", spectator, false, 0);
    let ben = tokio::spawn(tokio::time::timeout(GAME_TIMEOUT, ben.run_to_end()));
    let spectator = tokio::spawn(tokio::time::timeout(GAME_TIMEOUT, spectator.run_to_end()));

    // Ana plays over her socket for a while, then her connection drops without a close frame.
    let mut ana = ana
        .run_until(|s| s.last_event_id >= 20 && s.pending.is_empty())
        .await;
    ana.client.drop_connection().await;
    let dropped_at = ana.last_event_id;
    let events_before = ana.events.len();

    // While she is away, her next turns are played over REST; Ben plays on over his socket.
    let after_rest = play_over_rest(&app, &game_id, &players[0].token, 3).await;
    assert!(
        after_rest > dropped_at + 3,
        "the game moved on while Ana was away"
    );

    // She comes back with the last event id she had.
    let client = app
        .connect(&game_id, Some(&players[0].token), Some(dropped_at))
        .await;
    ana.reconnected(client);
    let ana = tokio::time::timeout(GAME_TIMEOUT, ana.run_to_end())
        .await
        .expect("the game ends in time");

    // The new connection began with exactly the missed events, then caughtUp, then the state…
    let frames = &ana.client.received;
    let caught_up = frames
        .iter()
        .position(|f| f["type"] == "caughtUp")
        .expect("a caughtUp");
    let missed: Vec<Value> = frames[..caught_up].to_vec();
    assert!(
        missed.iter().all(|f| f["type"] == "event"),
        "only events come before caughtUp"
    );
    assert_contiguous(&missed, dropped_at + 1);
    let caught_up_at = frames[caught_up]["lastEventId"]
        .as_u64()
        .expect("lastEventId");
    assert_eq!(
        missed.last().and_then(|e| e["eventId"].as_u64()),
        Some(caught_up_at),
        "caughtUp names the last missed event"
    );
    assert!(
        caught_up_at >= after_rest,
        "the catch-up covers the REST moves"
    );
    assert_eq!(frames[caught_up + 1]["type"], "state");
    assert_eq!(frames[caught_up + 1]["lastEventId"], caught_up_at);
    // …then live events.
    assert!(
        frames[caught_up + 1..].iter().any(|f| f["type"] == "event"),
        "live events follow the catch-up"
    );
    assert!(ana.events.len() > events_before + missed.len());

    // Across both connections Ana saw what everyone saw, once each.
    let ben = ben.await.expect("ben's task").expect("ben finishes");
    let spectator = spectator
        .await
        .expect("the spectator's task")
        .expect("the spectator finishes");
    assert_contiguous(&ana.events, 1);
    assert_same_events(&ana.events, &ben.events, "ana and ben");
    assert_same_events(&spectator.events, &ben.events, "spectator and ben");
    assert_same_events(&app.events(&game_id, 0).await, &ben.events, "REST");
}

#[tokio::test]
async fn a_client_that_missed_nothing_is_caught_up_at_once() {
    let app = spawn_app().await;
    let (game_id, _) = app.started_game(3, 8).await;
    let version = app.version(&game_id).await;
    let mut client = app.connect(&game_id, None, Some(version)).await;
    let first = client.recv().await.json();
    assert_eq!(first["type"], "caughtUp");
    assert_eq!(first["lastEventId"], version);
    let state = client.recv().await.json();
    assert_eq!(state["type"], "state");
    assert_eq!(state["lastEventId"], version);
    assert_eq!(state["state"], app.view(&game_id, None).await["state"]);
}

#[tokio::test]
async fn a_client_without_last_event_id_is_welcomed_with_the_current_state() {
    let app = spawn_app().await;
    let (game_id, players) = app.started_game(2, 9).await;
    let mut client = app.connect(&game_id, Some(&players[1].token), None).await;
    let welcome = client.recv().await.json();
    assert_eq!(welcome["type"], "welcome");
    assert_eq!(welcome["gameId"], game_id);
    assert_eq!(welcome["seat"], 1);
    let view = app.view(&game_id, Some(&players[1].token)).await;
    assert_eq!(welcome["lastEventId"], view["lastEventId"]);
    assert_eq!(welcome["state"], view["state"]);

    let mut spectator = app.connect(&game_id, None, None).await;
    let welcome = spectator.recv().await.json();
    assert_eq!(welcome["seat"], Value::Null, "a spectator has no seat");
}
