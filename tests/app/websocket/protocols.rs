//! The server → client protocols: 2 (the default), one `update` frame per commit whose patch
//! rebuilds the view the server holds for that connection; 3 (`protocol=3`), the same with each
//! event's data as the array of its values; 4 (`protocol=4`), the update itself an array; 1
//! (`protocol=1`), the events and the whole state; and a protocol the server does not speak,
//! refused at connect.

use caravan::domain::rng::Rng;
use serde_json::Value;

use crate::support::app::{spawn_app, TestApp};
use crate::support::ws::{Incoming, WsClient};
use crate::websocket::hint_player;

/// The latest `state` a client was handed (for protocol 2: rebuilt from the updates).
fn latest_state(client: &WsClient) -> Value {
    client
        .received
        .iter()
        .rev()
        .find(|m| m["type"] == "state" || m["type"] == "welcome")
        .map(|m| m["state"].clone())
        .expect("a state")
}

/// The seat to move plays a move its hints allow, as command `c{n}`; the game's version after it,
/// or `None` once the game is over.
async fn play_one(
    app: &TestApp,
    game_id: &str,
    seats: &mut [WsClient],
    rng: &mut Rng,
    n: usize,
) -> Option<u64> {
    let view = app.view(game_id, None).await;
    if view["state"]["status"] != "active" {
        return None;
    }
    let mover = view["state"]["currentSeat"].as_u64().expect("a seat") as usize;
    let state = latest_state(&seats[mover]);
    let command = hint_player::choose(&state, rng).expect("the seat to move has hints");
    let result = seats[mover].command(&format!("c{n}"), &command).await;
    assert_eq!(result["ok"], true, "{result}");
    Some(result["lastEventId"].as_u64().expect("a version"))
}

#[tokio::test]
async fn each_commit_is_one_update_frame_whose_patch_rebuilds_the_view_each_connection_reads_over_rest(
) {
    let app = spawn_app().await;
    let (game_id, players) = app.started_game(3, 71).await;
    let mut seats = Vec::new();
    for player in &players {
        let mut client = app.connect(&game_id, Some(&player.token), None).await;
        let welcome = client.recv_type("welcome").await;
        assert_eq!(welcome["protocol"], 2, "{welcome}");
        seats.push(client);
    }
    let mut spectator = app.connect(&game_id, None, None).await;
    spectator.recv_type("welcome").await;
    let mut rng = Rng::new(71);
    let mut commits = 0;
    for _ in 0..40 {
        let Some(version) = play_one(&app, &game_id, &mut seats, &mut rng, commits).await else {
            break;
        };
        commits += 1;
        for (seat, client) in seats.iter_mut().enumerate() {
            client.wait_for_state(version).await;
            let rest = app.view(&game_id, Some(&players[seat].token)).await;
            assert_eq!(
                latest_state(client),
                rest["state"],
                "seat {seat} at version {version}"
            );
        }
        spectator.wait_for_state(version).await;
        assert_eq!(
            latest_state(&spectator),
            app.view(&game_id, None).await["state"]
        );
    }
    assert!(commits >= 10, "the game went on for a while");
    for client in seats.iter().chain([&spectator]) {
        assert_eq!(client.updates, commits, "one update frame per commit");
        let kinds: Vec<&str> = client
            .raw
            .iter()
            .map(|text| {
                let value: Value = serde_json::from_str(text).expect("JSON");
                match value["type"].as_str() {
                    Some("welcome") => "welcome",
                    Some("update") => "update",
                    Some("commandResult") => "commandResult",
                    _ => "other",
                }
            })
            .collect();
        assert!(
            !kinds.contains(&"other"),
            "nothing but the welcome, updates and own results: {kinds:?}"
        );
    }
}

#[tokio::test]
async fn protocol_1_sends_each_event_and_then_the_whole_state() {
    let app = spawn_app().await;
    let (game_id, players) = app.started_game(2, 72).await;
    let mover = app.view(&game_id, None).await["state"]["currentSeat"]
        .as_u64()
        .expect("a seat") as usize;
    let url = format!(
        "{}&protocol=1",
        app.ws_url(&game_id, Some(&players[mover].token), None)
    );
    let mut client = WsClient::connect(&url).await;
    let welcome = client.recv_type("welcome").await;
    assert_eq!(welcome["protocol"], 1);
    let command = hint_player::choose(&welcome["state"], &mut Rng::new(72)).expect("hints");
    let result = client.command("p1", &command).await;
    assert_eq!(result["ok"], true, "{result}");
    let kinds: Vec<String> = client
        .raw
        .iter()
        .map(|text| serde_json::from_str::<Value>(text).expect("JSON")["type"].to_string())
        .collect();
    let events = result["eventIds"].as_array().expect("ids").len();
    let mut expected = vec![r#""welcome""#.to_string()];
    expected.extend(std::iter::repeat_n(r#""event""#.to_string(), events));
    expected.extend([r#""state""#.to_string(), r#""commandResult""#.to_string()]);
    assert_eq!(kinds, expected);
    assert_eq!(client.updates, 0);
    let state = latest_state(&client);
    assert_eq!(
        state,
        app.view(&game_id, Some(&players[mover].token)).await["state"]
    );

    // A reconnect in protocol 1 says so in its caughtUp.
    let url = format!("{}&protocol=1", app.ws_url(&game_id, None, Some(1)));
    let mut again = WsClient::connect(&url).await;
    let caught_up = again.recv_type("caughtUp").await;
    assert_eq!(caught_up["protocol"], 1);
    let url = app.ws_url(&game_id, None, Some(1));
    let mut again = WsClient::connect(&url).await;
    let caught_up = again.recv_type("caughtUp").await;
    assert_eq!(caught_up["protocol"], 2);
}

#[tokio::test]
async fn protocol_3_sends_the_same_updates_with_each_events_data_as_the_array_of_its_values() {
    same_events_and_states_as_protocol_1(3, 74).await;
}

#[tokio::test]
async fn protocol_4_sends_the_same_updates_packed_as_arrays() {
    same_events_and_states_as_protocol_1(4, 75).await;
}

/// The events of each update, one frame per commit, in `protocol` (3 or 4), as protocol 1's
/// `event` frames beside them, and the states as REST's.
async fn same_events_and_states_as_protocol_1(protocol: u8, seed: u64) {
    let app = spawn_app().await;
    let (game_id, players) = app.started_game(3, seed).await;
    let mut seats = Vec::new();
    for player in &players {
        let url = format!(
            "{}&protocol={protocol}",
            app.ws_url(&game_id, Some(&player.token), None)
        );
        let mut client = WsClient::connect(&url).await;
        let welcome = client.recv_type("welcome").await;
        assert_eq!(welcome["protocol"], protocol, "{welcome}");
        seats.push(client);
    }
    // Beside them, a spectator in protocol 1: the events as `event` frames.
    let url = format!("{}&protocol=1", app.ws_url(&game_id, None, None));
    let mut spectator = WsClient::connect(&url).await;
    let start = spectator.recv_type("welcome").await["lastEventId"]
        .as_u64()
        .expect("a version");
    let mut rng = Rng::new(seed);
    let mut commits = 0;
    let mut version = start;
    while commits < 60 {
        let Some(reached) = play_one(&app, &game_id, &mut seats, &mut rng, commits).await else {
            break;
        };
        commits += 1;
        version = reached;
        for (seat, client) in seats.iter_mut().enumerate() {
            client.wait_for_state(version).await;
            let rest = app.view(&game_id, Some(&players[seat].token)).await;
            assert_eq!(latest_state(client), rest["state"], "seat {seat}");
        }
    }
    assert!(commits >= 20, "the game went on for a while");
    spectator.wait_for_event(version).await;
    let events = |client: &WsClient| -> Vec<Value> {
        client
            .received
            .iter()
            .filter(|m| m["type"] == "event")
            .cloned()
            .collect()
    };
    let expected = events(&spectator);
    assert_eq!(expected.len() as u64, version - start);
    let types: std::collections::BTreeSet<&str> = expected
        .iter()
        .filter_map(|e| e["eventType"].as_str())
        .collect();
    assert!(types.len() >= 4, "several kinds of event: {types:?}");
    for (seat, client) in seats.iter().enumerate() {
        assert_eq!(client.updates, commits, "one update frame per commit");
        // Every event's data arrived as an array (in protocol 4, in updates that are arrays,
        // with numbers for timestamps); rebuilt by the member lists, each is the event frame
        // protocol 1 sent.
        let updates: Vec<Value> = client
            .raw
            .iter()
            .filter_map(|text| serde_json::from_str::<Value>(text).ok())
            .filter(|m| m.is_array() || m["type"] == "update")
            .collect();
        assert_eq!(updates.len(), commits, "seat {seat}");
        for update in &updates {
            let events = if protocol == 4 {
                assert!(update.is_array(), "seat {seat}: {update}");
                &update[0]
            } else {
                &update["events"]
            };
            let events = events.as_array().expect("events");
            assert!(
                events.iter().all(|e| e[4].is_array()),
                "seat {seat}: {update}"
            );
            assert_eq!(events[0][3].is_number(), protocol == 4, "{update}");
        }
        if protocol == 4 {
            // The seat's hints came packed too.
            let hints = updates.iter().filter(|u| u[1]["legal"].is_array()).count();
            assert!(hints > 0, "seat {seat}: hints as arrays");
            assert!(updates.iter().all(|u| !u[1]["legal"].is_object()));
        }
        assert_eq!(events(client), expected, "seat {seat}");
    }
}

#[tokio::test]
async fn a_protocol_the_server_does_not_speak_is_refused_with_unsupported_protocol() {
    let app = spawn_app().await;
    let (game_id, _) = app.started_game(2, 73).await;
    for protocol in ["5", "0", "two", "2.0", "4.0"] {
        let url = format!("{}&protocol={protocol}", app.ws_url(&game_id, None, None));
        let mut client = WsClient::connect(&url).await;
        let message = client.recv().await.json();
        assert_eq!(
            message["error"]["code"], "unsupported_protocol",
            "{protocol}"
        );
        match client.recv().await {
            Incoming::Closed(close) => {
                assert_eq!(close.map(|(c, _)| c), Some(1008), "{protocol}")
            }
            Incoming::Json(other) => panic!("{protocol}: {other}"),
        }
    }
    app.assert_healthy().await;
}
