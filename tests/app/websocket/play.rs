//! Whole games over WebSockets: every seat and a spectator follow the game from event 1; the seats
//! play random legal moves from their hints until `GameEnded`.

use std::time::Duration;

use caravan::domain::{Actor, Command, Event, Game};
use futures::future::join_all;

use crate::support::app::{spawn_app, TestApp};
use crate::support::ws::{assert_contiguous, assert_no_hidden_information, assert_same_events};
use crate::websocket::table::Seat;

/// A game that has not ended by then is stuck.
const GAME_TIMEOUT: Duration = Duration::from_secs(180);

/// Plays one game with `num_players` WebSocket clients and a spectator, then checks what they saw.
async fn play_one_game(app: &TestApp, num_players: u8, seed: u64) {
    let (game_id, players) = app.started_game(num_players, seed).await;
    let mut seats = Vec::new();
    for (i, player) in players.iter().enumerate() {
        let client = app.connect(&game_id, Some(&player.token), Some(0)).await;
        seats.push(Seat::new(
            format!("seat {i}"),
            client,
            true,
            seed.wrapping_mul(31).wrapping_add(i as u64),
        ));
    }
    let spectator = app.connect(&game_id, None, Some(0)).await;
    seats.push(Seat::new("spectator", spectator, false, 0));

    let running = seats.into_iter().map(|seat| {
        tokio::spawn(async move {
            tokio::time::timeout(GAME_TIMEOUT, seat.run_to_end())
                .await
                .expect("the game ends in time")
        })
    });
    let seats: Vec<Seat> = join_all(running)
        .await
        .into_iter()
        .map(|r| r.expect("a seat's task ends"))
        .collect();

    // Every client saw the same events, ids 1.. without gaps, ending with GameEnded…
    let reference = &seats[0].events;
    assert_contiguous(reference, 1);
    assert_eq!(
        reference.last().expect("events")["eventType"],
        "GameEnded",
        "the game ran to its end"
    );
    for seat in &seats {
        assert_same_events(&seat.events, reference, &seat.name);
    }
    // …the same the store has…
    assert_same_events(&app.events(&game_id, 0).await, reference, "REST");
    // …and the last state each client got is the one the server reports to that viewer.
    for (seat, token) in seats
        .iter()
        .zip(players.iter().map(|p| Some(&p.token)).chain([None]))
    {
        let view = app.view(&game_id, token.map(String::as_str)).await;
        let (version, state) = seat.state.as_ref().expect("a state");
        assert_eq!(
            view["lastEventId"].as_u64(),
            Some(*version),
            "{}",
            seat.name
        );
        assert_eq!(
            &view["state"], state,
            "{}: the final state matches GET",
            seat.name
        );
        assert_eq!(state["status"], "finished");
    }
    let accepted: usize = seats.iter().map(|s| s.accepted).sum();
    assert!(accepted > 0, "the seats played");

    // Hidden information never went out: no deck, no seed, and not the deck order itself.
    let created = Game::default()
        .decide(
            &Actor::System,
            &Command::CreateGame {
                num_players,
                seed,
                scenario: None,
                caravan_capacity: Some(10),
                point_cards_to_end: None,
                turn_clock: None,
            },
        )
        .expect("a game can be created");
    let Some(Event::GameCreated {
        hidden: Some(hidden),
        ..
    }) = created.first()
    else {
        panic!("GameCreated records the decks")
    };
    let undealt = serde_json::to_string(&hidden.merchant_deck[6..]).expect("ids serialise");
    let undealt = undealt.trim_start_matches('[').trim_end_matches(']');
    let points = serde_json::to_string(&hidden.point_deck[5..]).expect("ids serialise");
    let points = points.trim_start_matches('[').trim_end_matches(']');
    for seat in &seats {
        assert_no_hidden_information(&seat.client);
        for frame in &seat.client.raw {
            assert!(
                !frame.contains(undealt),
                "the merchant deck order leaked: {frame}"
            );
            assert!(
                !frame.contains(points),
                "the point deck order leaked: {frame}"
            );
        }
    }
}

async fn play_games(num_players: u8, seeds: &[u64]) {
    let app = spawn_app().await;
    for &seed in seeds {
        play_one_game(&app, num_players, seed).await;
    }
    app.assert_healthy().await;
}

#[tokio::test]
async fn two_websocket_players_play_whole_games_and_every_client_sees_the_same_events() {
    play_games(2, &[1, 2, 3]).await;
}

#[tokio::test]
async fn three_websocket_players_play_whole_games_and_every_client_sees_the_same_events() {
    play_games(3, &[11, 12]).await;
}

#[tokio::test]
async fn four_websocket_players_play_whole_games_and_every_client_sees_the_same_events() {
    play_games(4, &[21, 22]).await;
}

#[tokio::test]
async fn five_websocket_players_play_whole_games_and_every_client_sees_the_same_events() {
    play_games(5, &[31, 32]).await;
}
