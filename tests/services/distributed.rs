//! Several instances, one game: two `caravan` instances in one test (different ports, the same
//! MongoDB database and Redis prefix), the way a load balancer spreads players.
//!
//! Players send their commands to the instance they are connected to, and every player and
//! spectator follows the game on its own instance: through the application's live feed and REST,
//! then the same over WebSocket, as browsers and bots play. Needs MongoDB and Redis (see
//! `tests/support/services.rs`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;

use crate::support::app::{Joined, TestApp};
use crate::support::play::{assert_gap_free, collect_feed, next_move};
use crate::support::services::with_services;
use crate::support::ws::event_ids;
use caravan::application::ports::{GameSummary, LeaderboardEntry, StoredEvent};
use caravan::domain::{Event, GameStatus, RandomPlayer};

/// The public form of stored events (what clients may see).
fn public(events: &[StoredEvent]) -> Vec<StoredEvent> {
    events.iter().map(StoredEvent::public).collect()
}

/// Plays the game to its end with the bot, each command sent to the instance its player uses.
/// Returns the number of commands sent.
async fn play_to_the_end(
    game_id: &str,
    players: &[(Joined, &TestApp)],
    truth: &TestApp,
    bot: &mut RandomPlayer,
    max_commands: usize,
) -> usize {
    let mut sent = 0;
    while let Some((seat, command)) = next_move(&truth.state(game_id).await, bot) {
        assert!(
            sent < max_commands,
            "the game did not end in {max_commands} commands"
        );
        let (player, app) = players.iter().find(|(p, _)| p.seat == seat).unwrap();
        let (status, body) = app
            .command(game_id, &player.token, &format!("cmd-{sent}"), &command)
            .await;
        assert_eq!(status, StatusCode::OK, "{command:?}: {body}");
        sent += 1;
    }
    sent
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn players_on_two_instances_play_to_the_end_with_identical_gap_free_streams() {
    with_services(|backing| async move {
        let a = TestApp::spawn(backing.settings()).await;
        let b = TestApp::spawn(backing.settings()).await;
        a.wait_ready(Duration::from_secs(10)).await;
        b.wait_ready(Duration::from_secs(10)).await;

        let game_id = a.create_game(3, 20_240_611).await;
        let ada = a.join(&game_id, "ada").await;
        let bo = b.join(&game_id, "bo").await;
        let cy = a.join(&game_id, "cy").await;

        // Every client follows from the start: each player on its instance, a spectator on each.
        let until = Arc::new(AtomicU64::new(0));
        let mut clients = Vec::new();
        for (name, app, player) in [
            ("ada on a", &a, Some(&ada)),
            ("bo on b", &b, Some(&bo)),
            ("cy on a", &a, Some(&cy)),
            ("spectator on a", &a, None),
            ("spectator on b", &b, None),
        ] {
            let (missed, feed) = app.feed(&game_id, player, 0).await;
            clients.push((name, collect_feed(feed, missed, until.clone())));
        }

        let players = [(ada, &a), (bo, &b), (cy, &a)];
        let mut bot = RandomPlayer::new(7);
        let sent = play_to_the_end(&game_id, &players, &a, &mut bot, 2_000).await;
        assert!(sent > 20, "a whole game was played ({sent} commands)");

        let stored = a.stored(&game_id).await;
        let last = stored.last().unwrap().event_id;
        assert!(matches!(
            stored.last().unwrap().event,
            Event::GameEnded { .. }
        ));
        assert_gap_free(&stored, last, "the store");
        until.store(last, Ordering::SeqCst);

        let expected = public(&stored);
        for (name, client) in clients {
            let seen = tokio::time::timeout(Duration::from_secs(20), client)
                .await
                .unwrap_or_else(|_| panic!("{name} did not reach event {last}"))
                .unwrap();
            assert_gap_free(&seen, last, name);
            assert_eq!(
                seen, expected,
                "{name} saw other events than the store holds"
            );
        }

        // The read models, driven by the projection stream, agree on both instances.
        for app in [&a, &b] {
            let mut finished = false;
            for _ in 0..100 {
                let summary = app.services.queries.summary(&game_id).await;
                if summary.is_ok_and(|s| s.status == GameStatus::Finished && s.version == last) {
                    finished = true;
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            assert!(finished, "the summary reached the end on {}", app.address);
            let board = app.services.queries.leaderboard(None).await.unwrap();
            assert_eq!(board.len(), 3, "{board:?}");
        }
        a.stop().await;
        b.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_command_raced_on_both_instances_is_committed_once() {
    with_services(|backing| async move {
        let a = TestApp::spawn(backing.settings()).await;
        let b = TestApp::spawn(backing.settings()).await;
        let game_id = a.create_game(2, 99).await;
        let players = [a.join(&game_id, "ada").await, b.join(&game_id, "bo").await];
        let mut bot = RandomPlayer::new(3);
        for round in 0..10 {
            let before = a.stored(&game_id).await.len();
            let (seat, command) = next_move(&a.state(&game_id).await, &mut bot).unwrap();
            let player = &players[usize::from(seat)];
            let id = format!("raced-{round}");
            let (on_a, on_b) = tokio::join!(
                a.command(&game_id, &player.token, &id, &command),
                b.command(&game_id, &player.token, &id, &command),
            );
            assert_eq!(on_a.0, StatusCode::OK, "{}", on_a.1);
            assert_eq!(on_b.0, StatusCode::OK, "{}", on_b.1);
            assert_eq!(
                on_a.1["eventIds"], on_b.1["eventIds"],
                "both answer with the one commit"
            );
            let fresh = [&on_a.1, &on_b.1]
                .iter()
                .filter(|body| body["duplicate"] == false)
                .count();
            assert_eq!(
                fresh, 1,
                "exactly one instance committed: {} / {}",
                on_a.1, on_b.1
            );

            let stored = a.stored(&game_id).await;
            let committed = stored
                .iter()
                .filter(|e| e.command_id.as_deref() == Some(id.as_str()))
                .count();
            assert_eq!(
                committed,
                stored.len() - before,
                "only that command's events were added"
            );
            assert_eq!(
                committed,
                on_a.1["eventIds"].as_array().unwrap().len(),
                "its events were stored once"
            );
        }
        assert_gap_free(
            &a.stored(&game_id).await,
            a.stored(&game_id).await.len() as u64,
            "the store",
        );
        a.stop().await;
        b.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_instance_restarted_mid_game_loses_nothing() {
    with_services(|backing| async move {
        let settings = || backing.settings();
        let a = TestApp::spawn(settings()).await;
        let b = TestApp::spawn(settings()).await;
        let game_id = a.create_game(2, 5).await;
        let ada = a.join(&game_id, "ada").await;
        let bo = b.join(&game_id, "bo").await;
        let mut bot = RandomPlayer::new(11);

        // bo follows the game on b.
        let until = Arc::new(AtomicU64::new(0));
        let (missed, feed) = b.feed(&game_id, Some(&bo), 0).await;
        let bo_client = collect_feed(feed, missed, until.clone());

        for i in 0..12 {
            let (seat, command) = next_move(&a.state(&game_id).await, &mut bot).unwrap();
            let (player, app) = if seat == ada.seat {
                (&ada, &a)
            } else {
                (&bo, &b)
            };
            let (status, body) = app
                .command(&game_id, &player.token, &format!("before-{i}"), &command)
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
        let before = a.stored(&game_id).await;
        let reached = before.last().unwrap().event_id;
        until.store(reached, Ordering::SeqCst);
        let bo_saw = tokio::time::timeout(Duration::from_secs(10), bo_client)
            .await
            .unwrap()
            .unwrap();
        assert_gap_free(&bo_saw, reached, "bo before the restart");

        // b goes away; a new b comes up on the same configuration.
        b.stop().await;
        let b = TestApp::spawn(settings()).await;
        b.wait_ready(Duration::from_secs(10)).await;

        // bo reconnects to the new b with the last id it saw.
        let until = Arc::new(AtomicU64::new(0));
        let (missed, feed) = b.feed(&game_id, Some(&bo), reached).await;
        assert!(missed.is_empty(), "nothing happened meanwhile");
        let bo_client = collect_feed(feed, bo_saw, until.clone());

        let players = [(ada.clone(), &a), (bo.clone(), &b)];
        play_to_the_end(&game_id, &players, &a, &mut bot, 2_000).await;
        let after = a.stored(&game_id).await;
        let last = after.last().unwrap().event_id;
        assert_eq!(
            &after[..before.len()],
            &before[..],
            "the events before the restart are intact"
        );
        assert_gap_free(&after, last, "the store");
        until.store(last, Ordering::SeqCst);
        let bo_saw = tokio::time::timeout(Duration::from_secs(20), bo_client)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(bo_saw, public(&after), "bo's stream across the restart");
        a.stop().await;
        b.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn clients_of_an_instance_that_died_resume_on_the_other_with_their_last_event_id() {
    with_services(|backing| async move {
        let a = TestApp::spawn(backing.settings()).await;
        let b = TestApp::spawn(backing.settings()).await;
        let game_id = a.create_game(2, 77).await;
        let ada = a.join(&game_id, "ada").await;
        let bo = a.join(&game_id, "bo").await;
        let mut bot = RandomPlayer::new(5);

        // Both players and a spectator follow on b, which then dies mid-game.
        let (missed, mut feed) = b.feed(&game_id, Some(&bo), 0).await;
        let mut bo_saw = missed;
        for i in 0..6 {
            let (seat, command) = next_move(&a.state(&game_id).await, &mut bot).unwrap();
            let player = if seat == ada.seat { &ada } else { &bo };
            let (status, _) = a
                .command(&game_id, &player.token, &format!("early-{i}"), &command)
                .await;
            assert_eq!(status, StatusCode::OK);
        }
        let reached = a.stored(&game_id).await.last().unwrap().event_id;
        while bo_saw.last().map_or(0, |e| e.event_id) < reached {
            let update = tokio::time::timeout(Duration::from_secs(10), feed.next())
                .await
                .expect("b delivers")
                .unwrap()
                .unwrap();
            bo_saw.extend(update.events.iter().cloned());
        }
        drop(feed);
        b.stop().await;

        // The game goes on while bo is away.
        for i in 0..6 {
            let (seat, command) = next_move(&a.state(&game_id).await, &mut bot).unwrap();
            let player = if seat == ada.seat { &ada } else { &bo };
            let (status, _) = a
                .command(&game_id, &player.token, &format!("late-{i}"), &command)
                .await;
            assert_eq!(status, StatusCode::OK);
        }

        // bo's client reconnects to a with the last id it received: it gets exactly what it missed.
        let last_seen = bo_saw.last().unwrap().event_id;
        let (missed, _feed) = a.feed(&game_id, Some(&bo), last_seen).await;
        bo_saw.extend(missed);
        let stored = a.stored(&game_id).await;
        assert_eq!(
            bo_saw,
            public(&stored),
            "bo's stream across the reconnection"
        );
        a.stop().await;
    })
    .await;
}

// ------------------------------------------------------------------------------------------------
// The same over WebSocket, the way browsers and bots play.
// ------------------------------------------------------------------------------------------------

/// Event frames without their `type`, to compare with REST events.
fn without_type(frames: &[serde_json::Value]) -> Vec<serde_json::Value> {
    frames
        .iter()
        .map(|f| {
            let mut f = f.clone();
            f.as_object_mut().unwrap().remove("type");
            f
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn players_connected_to_two_instances_play_to_the_end_over_websocket() {
    with_services(|backing| async move {
        let a = TestApp::spawn(backing.settings()).await;
        let b = TestApp::spawn(backing.settings()).await;
        let game_id = a.create_game(3, 4_242).await;
        let ada = a.join(&game_id, "ada").await;
        let bo = b.join(&game_id, "bo").await;
        let cy = b.join(&game_id, "cy").await;
        let seats = [(&ada, &a), (&bo, &b), (&cy, &a)];
        let mut clients = Vec::new();
        for (player, app) in seats {
            let client = app.connect(&game_id, Some(&player.token), Some(0)).await;
            clients.push((format!("seat {}", player.seat), Some(player.seat), client));
        }
        for (i, app) in [&a, &b].into_iter().enumerate() {
            let client = app.connect(&game_id, None, Some(0)).await;
            clients.push((format!("spectator {i}"), None, client));
        }

        let mut bot = RandomPlayer::new(17);
        let mut sent = 0;
        while let Some((seat, command)) = next_move(&a.state(&game_id).await, &mut bot) {
            assert!(sent < 2_000, "the game did not end");
            let (_, _, client) = clients
                .iter_mut()
                .find(|(_, s, _)| *s == Some(seat))
                .unwrap();
            let result = client.command(&format!("ws-{sent}"), &command).await;
            assert_eq!(result["ok"], true, "{command:?}: {result}");
            sent += 1;
            // Every other client keeps up, as a browser does.
            for (_, _, client) in &mut clients {
                client.drain().await;
            }
        }
        let expected = a.events(&game_id, 0).await;
        let last = expected.last().unwrap()["eventId"].as_u64().unwrap();
        assert_eq!(expected.last().unwrap()["eventType"], "GameEnded");

        for (who, _, mut client) in clients {
            client.wait_for_event(last).await;
            let received = client.events();
            assert_eq!(
                event_ids(&received),
                (1..=last).collect::<Vec<_>>(),
                "{who}"
            );
            assert_eq!(without_type(&received), expected, "{who}");
        }
        a.stop().await;
        b.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_websocket_client_of_a_stopped_instance_resumes_on_the_other_with_its_last_event_id() {
    with_services(|backing| async move {
        let a = TestApp::spawn(backing.settings()).await;
        let b = TestApp::spawn(backing.settings()).await;
        let game_id = a.create_game(2, 606).await;
        let ada = a.join(&game_id, "ada").await;
        let bo = b.join(&game_id, "bo").await;
        let mut on_a = a.connect(&game_id, Some(&ada.token), Some(0)).await;
        let mut on_b = b.connect(&game_id, Some(&bo.token), Some(0)).await;
        let mut bot = RandomPlayer::new(23);
        for i in 0..8 {
            let (seat, command) = next_move(&a.state(&game_id).await, &mut bot).unwrap();
            let client = if seat == ada.seat {
                &mut on_a
            } else {
                &mut on_b
            };
            let result = client.command(&format!("first-{i}"), &command).await;
            assert_eq!(result["ok"], true, "{result}");
        }

        // b stops: its clients are told to go elsewhere (1001), and bo keeps what it received.
        b.stop().await;
        let close = on_b.recv_close().await;
        assert_eq!(close.map(|(code, _)| code), Some(1001));
        let before = on_b.events();
        let last_seen = *event_ids(&before).last().unwrap();

        // The game goes on while bo is away: ada moves if it is her turn; bo's move waits for him.
        let (seat, command) = next_move(&a.state(&game_id).await, &mut bot).unwrap();
        let bos_move = if seat == ada.seat {
            let result = on_a.command("while-away", &command).await;
            assert_eq!(result["ok"], true, "{result}");
            None
        } else {
            Some(command)
        };
        let mut again = a.connect(&game_id, Some(&bo.token), Some(last_seen)).await;
        if let Some(command) = bos_move {
            let result = again.command("back", &command).await;
            assert_eq!(result["ok"], true, "{result}");
        }
        let mut sent = 0;
        while let Some((seat, command)) = next_move(&a.state(&game_id).await, &mut bot) {
            assert!(sent < 2_000, "the game did not end");
            let client = if seat == ada.seat {
                &mut on_a
            } else {
                &mut again
            };
            let result = client.command(&format!("then-{sent}"), &command).await;
            assert_eq!(result["ok"], true, "{result}");
            sent += 1;
        }
        let expected = a.events(&game_id, 0).await;
        let last = expected.last().unwrap()["eventId"].as_u64().unwrap();
        again.wait_for_event(last).await;
        let mut bo_saw = before;
        bo_saw.extend(again.events());
        assert_eq!(
            event_ids(&bo_saw),
            (1..=last).collect::<Vec<_>>(),
            "bo's stream"
        );
        assert_eq!(without_type(&bo_saw), expected);
        on_a.wait_for_event(last).await;
        a.stop().await;
    })
    .await;
}

// ------------------------------------------------------------------------------------------------
// Rebuilding the read models from the events in MongoDB.
// ------------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn read_models_rebuilt_from_the_events_match_the_live_ones() {
    with_services(|backing| async move {
        let a = TestApp::spawn(backing.settings()).await;
        let mut games = Vec::new();
        for seed in [31, 32] {
            let game_id = a.create_game(2, seed).await;
            let players = [
                (a.join(&game_id, "ada").await, &a),
                (a.join(&game_id, "bo").await, &a),
            ];
            play_to_the_end(&game_id, &players, &a, &mut RandomPlayer::new(seed), 2_000).await;
            games.push(game_id);
        }
        let waiting = a.create_game(3, 33).await;
        games.push(waiting);

        // The live read models, once the projection stream has caught up (until then a game's
        // summary may not be there yet).
        let snapshot = || async {
            let mut summaries = Vec::new();
            for game_id in &games {
                summaries.push(a.services.queries.summary(game_id).await.ok());
            }
            let board = a.services.queries.leaderboard(None).await.unwrap();
            (summaries, board)
        };
        let caught_up = |(summaries, board): &(Vec<Option<GameSummary>>, Vec<LeaderboardEntry>)| {
            board.len() == 2
                && summaries
                    .iter()
                    .all(|s| s.as_ref().is_some_and(|s| s.status != GameStatus::Active))
        };
        let mut live = snapshot().await;
        for _ in 0..100 {
            if caught_up(&live) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            live = snapshot().await;
        }
        assert!(
            caught_up(&live),
            "the projections never caught up: {live:?}"
        );

        // The admin endpoint clears and rebuilds them.
        let (status, body) = a
            .call(
                reqwest::Method::POST,
                "/api/admin/rebuild-projections",
                Some(crate::support::app::ADMIN_TOKEN),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["games"], 3, "{body}");
        assert_eq!(snapshot().await, live, "after the admin rebuild");

        // So does `caravan rebuild-projections`, in a process of its own.
        let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_caravan"))
            .arg("rebuild-projections")
            .env_clear()
            .env("EVENT_STORE", "mongodb")
            .env("MONGO_URI", &backing.mongo_uri)
            .env("MONGO_DB", &backing.mongo_db)
            .env("LOG_LEVEL", "warn")
            .output()
            .await
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(stdout.contains("3 games"), "{stdout}");
        assert_eq!(snapshot().await, live, "after caravan rebuild-projections");
        a.stop().await;
    })
    .await;
}
