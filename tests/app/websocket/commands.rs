//! Commands over WebSocket: idempotency shared with REST, concurrent senders, and who may act.

use caravan::domain::rng::Rng;
use futures::future::join_all;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::support::app::{spawn_app, Joined, TestApp};
use crate::support::ws::{assert_contiguous, assert_same_events, WsClient};
use crate::websocket::hint_player;

/// A legal command for the seat to move, from its own view; (seat, command).
async fn next_move(
    app: &TestApp,
    game_id: &str,
    players: &[Joined],
    rng: &mut Rng,
) -> (usize, Value) {
    let spectator = app.view(game_id, None).await;
    let seat = spectator["state"]["currentSeat"]
        .as_u64()
        .expect("a seat to move") as usize;
    let view = app.view(game_id, Some(&players[seat].token)).await;
    let command = hint_player::choose(&view["state"], rng).expect("the seat to move has hints");
    (seat, command)
}

#[tokio::test]
async fn the_same_command_id_over_websocket_and_rest_produces_its_events_once() {
    let app = spawn_app().await;
    let (game_id, players) = app.started_game(2, 21).await;
    let mut rng = Rng::new(1);
    let mut sockets = Vec::new();
    for player in &players {
        let mut client = app.connect(&game_id, Some(&player.token), None).await;
        client.recv_type("welcome").await;
        sockets.push(client);
    }

    // WebSocket first, then REST, then WebSocket again.
    let before = app.version(&game_id).await;
    let (seat, command) = next_move(&app, &game_id, &players, &mut rng).await;
    let first = sockets[seat].command("same-1", &command).await;
    assert_eq!(first["ok"], true, "{first}");
    assert_eq!(first["duplicate"], false);
    let event_ids = first["eventIds"].clone();
    assert!(!event_ids.as_array().expect("ids").is_empty());
    let (status, rest) = app
        .command(&game_id, &players[seat].token, "same-1", &command)
        .await;
    assert_eq!(status, 200, "{rest}");
    assert_eq!(
        rest["eventIds"], event_ids,
        "REST answers with the first result"
    );
    assert_eq!(rest["duplicate"], true);
    let again = sockets[seat].command("same-1", &command).await;
    assert_eq!(again["ok"], true, "{again}");
    assert_eq!(again["eventIds"], event_ids);
    assert_eq!(again["duplicate"], true);
    let after_first = app.version(&game_id).await;
    assert_eq!(
        after_first,
        before + event_ids.as_array().map_or(0, Vec::len) as u64,
        "only the first one wrote events"
    );

    // REST first, then WebSocket.
    let (seat, command) = next_move(&app, &game_id, &players, &mut rng).await;
    let (status, rest) = app
        .command(&game_id, &players[seat].token, "same-2", &command)
        .await;
    assert_eq!(status, 200, "{rest}");
    let over_ws = sockets[seat].command("same-2", &command).await;
    assert_eq!(over_ws["ok"], true, "{over_ws}");
    assert_eq!(over_ws["eventIds"], rest["eventIds"]);
    assert_eq!(over_ws["duplicate"], true);
    let version = app.version(&game_id).await;
    assert_eq!(
        version,
        after_first + rest["eventIds"].as_array().map_or(0, Vec::len) as u64
    );

    // The same id for another command is a conflict, not a silent success.
    let reused = sockets[seat]
        .command("same-2", &json!({"type": "rest"}))
        .await;
    assert_eq!(reused["ok"], false, "{reused}");
    assert_eq!(reused["error"]["code"], "command_id_reused");
    assert_eq!(app.version(&game_id).await, version, "nothing was written");

    // Each socket received each event once.
    for client in &mut sockets {
        client.wait_for_state(version).await;
        assert_contiguous(&client.events(), before + 1);
    }
}

#[tokio::test]
async fn commands_fired_at_once_from_many_connections_never_fork_or_skip_event_ids() {
    let app = spawn_app().await;
    let (game_id, players) = app.started_game(3, 33).await;
    // Two connections per seat and a spectator, all following from event 1.
    let mut sockets: Vec<(usize, WsClient)> = Vec::new();
    for (seat, player) in players.iter().enumerate() {
        for _ in 0..2 {
            sockets.push((
                seat,
                app.connect(&game_id, Some(&player.token), Some(0)).await,
            ));
        }
    }
    let mut spectator = app.connect(&game_id, None, Some(0)).await;
    let mut rng = Rng::new(3);

    for round in 0..10 {
        if app.view(&game_id, None).await["state"]["status"] != "active" {
            break;
        }
        let before = app.version(&game_id).await;
        let (mover, command) = next_move(&app, &game_id, &players, &mut rng).await;
        // Every socket of every seat, and the mover over REST: all send the mover's command at
        // once, each under its own id.
        let ws_results = join_all(sockets.iter_mut().map(|(_, client)| {
            let command = command.clone();
            async move {
                let id = Uuid::new_v4().to_string();
                client.command(&id, &command).await
            }
        }));
        let rest_result = async {
            let (status, body) = app
                .command(
                    &game_id,
                    &players[mover].token,
                    &Uuid::new_v4().to_string(),
                    &command,
                )
                .await;
            if status == 200 {
                json!({"ok": true, "eventIds": body["eventIds"]})
            } else {
                json!({"ok": false, "error": body["error"]})
            }
        };
        let (mut results, rest) = futures::join!(ws_results, rest_result);
        results.push(rest);

        // Whatever was accepted (a later seat may legally play the same card once its turn comes),
        // the accepted commands' events follow one another without a gap or an overlap.
        let mut accepted: Vec<Vec<u64>> = results
            .iter()
            .filter(|r| r["ok"] == true)
            .map(|r| {
                r["eventIds"]
                    .as_array()
                    .expect("ids")
                    .iter()
                    .map(|id| id.as_u64().expect("an id"))
                    .collect()
            })
            .collect();
        assert!(
            !accepted.is_empty(),
            "round {round}: the mover's command is accepted: {results:?}"
        );
        accepted.sort();
        let ids: Vec<u64> = accepted.concat();
        let after = app.version(&game_id).await;
        let expected: Vec<u64> = (before + 1..=after).collect();
        assert_eq!(
            ids, expected,
            "round {round}: no fork, no skipped id: {results:?}"
        );
        for refused in results.iter().filter(|r| r["ok"] == false) {
            let code = refused["error"]["code"].as_str().expect("a code");
            assert!(
                !["version_conflict", "unavailable", "internal"].contains(&code),
                "round {round}: refused by a rule, not by a race: {refused}"
            );
        }
    }

    // Every connection saw one log, 1..V, the same one the store has.
    let version = app.version(&game_id).await;
    let stored = app.events(&game_id, 0).await;
    assert_contiguous(&stored, 1);
    assert_eq!(stored.len() as u64, version);
    spectator.wait_for_state(version).await;
    assert_same_events(&spectator.events(), &stored, "spectator");
    for (seat, client) in &mut sockets {
        client.wait_for_state(version).await;
        assert_same_events(
            &client.events(),
            &stored,
            &format!("a socket of seat {seat}"),
        );
    }
}

#[tokio::test]
async fn one_seat_cannot_act_for_another() {
    let app = spawn_app().await;
    let (game_id, players) = app.started_game(2, 44).await;
    let mut rng = Rng::new(4);
    let (mover, command) = next_move(&app, &game_id, &players, &mut rng).await;
    let other = 1 - mover;
    let mut intruder = app
        .connect(&game_id, Some(&players[other].token), None)
        .await;
    intruder.recv_type("welcome").await;
    let before = app.version(&game_id).await;

    // The mover's own command, sent with the other seat's token…
    let result = intruder.command("not-mine", &command).await;
    assert_eq!(result["ok"], false, "{result}");
    assert_eq!(result["error"]["code"], "not_your_turn");
    // …and a command cannot name the mover's seat: the seat comes from the token only, and a
    // command has no such field.
    let mut naming = command.clone();
    naming["seat"] = json!(mover);
    let result = intruder.command("still-not-mine", &naming).await;
    assert_eq!(result["ok"], false, "{result}");
    assert_eq!(result["error"]["code"], "invalid_command");
    assert_eq!(app.version(&game_id).await, before, "nothing was written");

    // The mover's own socket may.
    let mut own = app
        .connect(&game_id, Some(&players[mover].token), None)
        .await;
    own.recv_type("welcome").await;
    let result = own.command("mine", &command).await;
    assert_eq!(result["ok"], true, "{result}");
}

#[tokio::test]
async fn a_spectator_cannot_act() {
    let app = spawn_app().await;
    let (game_id, players) = app.started_game(2, 55).await;
    let mut rng = Rng::new(5);
    let (_, command) = next_move(&app, &game_id, &players, &mut rng).await;
    let mut spectator = app.connect(&game_id, None, None).await;
    spectator.recv_type("welcome").await;
    let before = app.version(&game_id).await;
    for request_id in ["s-1", "s-2"] {
        let result = spectator.command(request_id, &command).await;
        assert_eq!(result["ok"], false, "{result}");
        assert_eq!(result["error"]["code"], "spectator_cannot_act");
    }
    let leave = spectator.command("s-3", &json!({"type": "leave"})).await;
    assert_eq!(leave["error"]["code"], "spectator_cannot_act");
    assert_eq!(app.version(&game_id).await, before, "nothing was written");
}
