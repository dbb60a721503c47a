//! Moves the server makes itself (turn clocks, computer players) on MongoDB and Redis with two
//! instances: each happens exactly once, an instance that starts after a deadline fires it, and
//! games of computer players only, spread over both instances, all finish cleanly.

use std::time::Duration;

use serde_json::json;

use crate::support::app::TestApp;
use crate::support::play::assert_gap_free;
use crate::support::services::with_services;
use caravan::application::ports::StoredEvent;
use caravan::config::Settings;
use caravan::domain::{Event, GameStatus};

fn count(events: &[StoredEvent], kind: &str) -> usize {
    events
        .iter()
        .filter(|e| e.event.event_type() == kind)
        .count()
}

/// Settings where each instance looks for games the other started every second.
fn quick(mut settings: Settings) -> Settings {
    settings.game.scheduler_rescan_secs = 1;
    settings.game.bot_thinking_ms = 20;
    settings
}

/// A started two-player game with the shortest clock, created and joined on `app`.
async fn clocked_game(app: &TestApp) -> String {
    let summary = app
        .post_game(json!({"numPlayers": 2, "seed": 5, "turnSeconds": 10, "timeoutsToForfeit": 3}))
        .await;
    let game_id = summary["gameId"].as_str().unwrap().to_string();
    app.join(&game_id, "ada").await;
    app.join(&game_id, "bo").await;
    game_id
}

/// Waits until the game's log holds `n` events of `kind` (or `within` passes); the log.
async fn wait_for(
    app: &TestApp,
    game_id: &str,
    kind: &str,
    n: usize,
    within: Duration,
) -> Vec<StoredEvent> {
    let started = tokio::time::Instant::now();
    loop {
        let stored = app.stored(game_id).await;
        if count(&stored, kind) >= n || started.elapsed() > within {
            return stored;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Commands the rules refused on an instance, from its metrics.
async fn refused(app: &TestApp) -> Vec<String> {
    app.metrics()
        .await
        .lines()
        .filter(|l| l.starts_with("caravan_commands_total") && l.contains("outcome=\"rejected\""))
        .filter(|l| !l.ends_with(" 0"))
        .map(str::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_timeout_fires_exactly_once_with_two_instances_running() {
    with_services(|backing| async move {
        let a = TestApp::spawn(quick(backing.settings())).await;
        let b = TestApp::spawn(quick(backing.settings())).await;
        a.wait_ready(Duration::from_secs(10)).await;
        b.wait_ready(Duration::from_secs(10)).await;
        let game_id = clocked_game(&a).await;
        let view = a.view(&game_id, None).await;
        assert!(view["state"]["turnDeadline"].is_string(), "{view}");

        let stored = wait_for(&a, &game_id, "TurnTimedOut", 1, Duration::from_secs(20)).await;
        assert_eq!(count(&stored, "TurnTimedOut"), 1, "the deadline fired");
        // Both instances know the game by now; give a second firing every chance to happen.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let stored = a.stored(&game_id).await;
        assert_eq!(count(&stored, "TurnTimedOut"), 1, "and only once");
        assert_eq!(count(&stored, "TurnEnded"), 1);
        assert_gap_free(&stored, stored.last().unwrap().event_id, "the store");
        let after = b.view(&game_id, None).await;
        assert_eq!(after["state"]["currentSeat"], 1, "{after}");
        assert_eq!(after["state"]["players"][0]["timeouts"], 1, "{after}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_instance_stopped_before_a_deadline_fires_it_when_it_starts_again() {
    with_services(|backing| async move {
        let a = TestApp::spawn(backing.settings()).await;
        a.wait_ready(Duration::from_secs(10)).await;
        let game_id = clocked_game(&a).await;
        assert_eq!(count(&a.stored(&game_id).await, "TurnTimedOut"), 0);
        a.stop().await;
        drop(a);
        // The deadline passes while no instance runs.
        tokio::time::sleep(Duration::from_secs(11)).await;
        // An instance starts: its first look at the store finds the overdue deadline (its next
        // look would be ten seconds later).
        let again = TestApp::spawn(backing.settings()).await;
        let stored = wait_for(&again, &game_id, "TurnTimedOut", 1, Duration::from_secs(3)).await;
        assert_eq!(
            count(&stored, "TurnTimedOut"),
            1,
            "the instance fired the overdue deadline at start"
        );
        assert_gap_free(&stored, stored.last().unwrap().event_id, "the store");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_games_of_computer_players_over_two_instances_all_finish() {
    with_services(|backing| async move {
        let short = |mut settings: Settings| {
            // Short games: a player who claims two point cards ends it.
            settings.game.point_cards_to_end = Some(2);
            quick(settings)
        };
        let a = TestApp::spawn(short(backing.settings())).await;
        let b = TestApp::spawn(short(backing.settings())).await;
        a.wait_ready(Duration::from_secs(10)).await;
        b.wait_ready(Duration::from_secs(10)).await;
        let mut games = Vec::new();
        for i in 0..100u64 {
            let app = if i % 2 == 0 { &a } else { &b };
            // Every pair of levels, easy-only and greedy-only games included: whatever the
            // levels, games of computer players end.
            let pairs = [
                ["easy", "easy"],
                ["greedy", "greedy"],
                ["easy", "greedy"],
                ["greedy", "strong"],
                ["strong", "easy"],
                ["strong", "strong"],
            ];
            let [first, second] = pairs[i as usize % pairs.len()];
            let summary = app
                .post_game(json!({
                    "numPlayers": 2,
                    "seed": i,
                    "bots": [{"level": first}, {"level": second}],
                }))
                .await;
            games.push(summary["gameId"].as_str().unwrap().to_string());
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(240);
        for game_id in &games {
            loop {
                let state = a.state(game_id).await;
                if state.status() == GameStatus::Finished {
                    break;
                }
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "game {game_id} did not finish (at version {})",
                    state.version()
                );
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            let stored = a.stored(game_id).await;
            assert!(matches!(
                stored.last().unwrap().event,
                Event::GameEnded { .. }
            ));
            assert_gap_free(&stored, stored.last().unwrap().event_id, game_id);
        }
        for app in [&a, &b] {
            assert_eq!(refused(app).await, Vec::<String>::new(), "{}", app.address);
        }
    })
    .await;
}
