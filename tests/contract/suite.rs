//! The contract every adapter of a port must honour. Each `*_contract!` macro expands to one test per
//! rule; its argument is an expression that evaluates to an async factory `|| async { adapter }` giving
//! a FRESH, empty adapter (its own database or key prefix) on every call.
//!
//! For adapters over a service that may be missing, `*_contract!(optional make)` takes a factory
//! giving `Option<adapter>`: `None` skips the rule (the factory decides whether a missing service is
//! a skip or, with `CI=true`, a failure). The factory is dropped when the test ends, failed or not,
//! which is when it can clean up what it created.
//!
//! Cases are plain `pub async fn`s so a failing rule reads as a sentence in the test output.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use caravan::application::ports::{
    AppendError, BusMessage, EventBus, EventStore, GameCursor, GameListQuery, GameSummary,
    PlayerResult, ReadModels, SeatSummary, StoredEvent,
};
use caravan::domain::{Event, GameStatus, HiddenSetup, PlayerId, Rules};
use chrono::{DateTime, Duration as ChronoDuration, TimeZone, Utc};
use futures::StreamExt;

/// A fixed instant, truncated to milliseconds (what BSON keeps).
pub fn t(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(1_767_225_600_000 + seconds * 1000)
        .unwrap()
}

/// `GameCreated` with hidden information, as only the store sees it.
pub fn created() -> Event {
    Event::GameCreated {
        num_players: 2,
        rules: Rules::new(2, None, None),
        hidden: Some(HiddenSetup {
            seed: 42,
            merchant_deck: Vec::new(),
            point_deck: Vec::new(),
        }),
    }
}

/// A `PlayerJoined` for seat `seat`.
pub fn joined(seat: u8) -> Event {
    Event::PlayerJoined {
        seat,
        player_id: PlayerId::new(format!("p{seat}")),
        name: format!("Player {seat}"),
    }
}

/// The adapter a factory gave: `ready` factories give one, `optional` ones maybe.
#[macro_export]
macro_rules! contract_adapter {
    (ready, $adapter:expr) => {
        Some($adapter)
    };
    (optional, $adapter:expr) => {
        $adapter
    };
}

// ------------------------------------------------------------------------------------------------
// EventStore
// ------------------------------------------------------------------------------------------------

#[macro_export]
macro_rules! event_store_contract {
    (optional $make:expr) => {
        $crate::event_store_contract!(@list optional $make);
    };
    ($make:expr) => {
        $crate::event_store_contract!(@list ready $make);
    };
    (@list $mode:ident $make:expr) => {
        $crate::event_store_contract!(@cases $mode $make;
            appends_ids_from_one_without_gaps,
            a_stale_expected_version_is_a_conflict_and_writes_nothing,
            a_repeated_command_id_returns_the_original_events_and_writes_nothing,
            a_command_id_is_recognised_before_the_version_is_checked,
            reads_after_an_id_with_a_limit,
            reads_a_half_open_time_range,
            an_unknown_game_is_empty,
            finds_the_events_of_a_command,
            games_have_independent_logs,
            concurrent_appends_at_one_version_have_exactly_one_winner,
            concurrent_retries_of_one_command_commit_it_once,
            reads_across_commands_start_at_any_id_and_stop_at_the_limit,
            events_round_trip_exactly_including_hidden_information,
            whole_played_games_round_trip_whatever_their_seed,
            lists_the_ids_of_games_with_events,
            answers_a_ping,
        );
    };
    (@cases $mode:ident $make:expr; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let make = $make;
                let Some(adapter) = $crate::contract_adapter!($mode, make().await) else {
                    return;
                };
                $crate::suite::$case(adapter).await;
            }
        )*
    };
}

pub async fn appends_ids_from_one_without_gaps<S: EventStore>(store: S) {
    let first = store
        .append("g", 0, vec![created(), joined(0)], None, t(0))
        .await
        .unwrap();
    assert!(!first.duplicate);
    assert_eq!(
        first.events.iter().map(|e| e.event_id).collect::<Vec<_>>(),
        vec![1, 2]
    );
    let second = store
        .append("g", 2, vec![joined(1)], Some("c".into()), t(1))
        .await
        .unwrap();
    assert_eq!(second.events[0].event_id, 3);
    assert_eq!(second.events[0].command_id.as_deref(), Some("c"));
    assert_eq!(second.events[0].timestamp, t(1));
    let all = store.read("g", 0, None).await.unwrap();
    assert_eq!(
        all.iter().map(|e| e.event_id).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    assert_eq!(store.latest_id("g").await.unwrap(), 3);
}

pub async fn a_stale_expected_version_is_a_conflict_and_writes_nothing<S: EventStore>(store: S) {
    store
        .append("g", 0, vec![created(), joined(0)], None, t(0))
        .await
        .unwrap();
    let err = store
        .append("g", 1, vec![joined(1)], None, t(1))
        .await
        .unwrap_err();
    assert_eq!(err, AppendError::Conflict { actual: 2 });
    let err = store
        .append("g", 0, vec![created()], None, t(1))
        .await
        .unwrap_err();
    assert_eq!(err, AppendError::Conflict { actual: 2 });
    let err = store
        .append("g", 5, vec![joined(1)], None, t(1))
        .await
        .unwrap_err();
    assert_eq!(err, AppendError::Conflict { actual: 2 });
    assert_eq!(store.latest_id("g").await.unwrap(), 2);
}

pub async fn a_repeated_command_id_returns_the_original_events_and_writes_nothing<S: EventStore>(
    store: S,
) {
    store
        .append("g", 0, vec![created()], None, t(0))
        .await
        .unwrap();
    let original = store
        .append(
            "g",
            1,
            vec![joined(0), joined(1)],
            Some("cmd-1".into()),
            t(1),
        )
        .await
        .unwrap();
    let again = store
        .append("g", 3, vec![joined(2)], Some("cmd-1".into()), t(2))
        .await
        .unwrap();
    assert!(again.duplicate);
    assert_eq!(again.events, original.events);
    assert_eq!(store.latest_id("g").await.unwrap(), 3);
}

pub async fn a_command_id_is_recognised_before_the_version_is_checked<S: EventStore>(store: S) {
    store
        .append("g", 0, vec![created()], None, t(0))
        .await
        .unwrap();
    let original = store
        .append("g", 1, vec![joined(0)], Some("cmd-1".into()), t(1))
        .await
        .unwrap();
    store
        .append("g", 2, vec![joined(1)], Some("cmd-2".into()), t(2))
        .await
        .unwrap();
    // A client retrying cmd-1 with the version it saw back then.
    let again = store
        .append("g", 1, vec![joined(0)], Some("cmd-1".into()), t(3))
        .await
        .unwrap();
    assert!(again.duplicate);
    assert_eq!(again.events, original.events);
}

pub async fn reads_after_an_id_with_a_limit<S: EventStore>(store: S) {
    store
        .append("g", 0, vec![created(), joined(0), joined(1)], None, t(0))
        .await
        .unwrap();
    let page = store.read("g", 1, Some(1)).await.unwrap();
    assert_eq!(page.iter().map(|e| e.event_id).collect::<Vec<_>>(), vec![2]);
    assert!(store.read("g", 3, None).await.unwrap().is_empty());
    assert!(store.read("g", 10, Some(5)).await.unwrap().is_empty());
}

pub async fn reads_a_half_open_time_range<S: EventStore>(store: S) {
    store
        .append("g", 0, vec![created()], None, t(0))
        .await
        .unwrap();
    store
        .append("g", 1, vec![joined(0)], None, t(10))
        .await
        .unwrap();
    store
        .append("g", 2, vec![joined(1)], None, t(20))
        .await
        .unwrap();
    let ids = |events: Vec<StoredEvent>| events.iter().map(|e| e.event_id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.read_range("g", t(10), t(20), None).await.unwrap()),
        vec![2]
    );
    assert_eq!(
        ids(store.read_range("g", t(0), t(21), None).await.unwrap()),
        vec![1, 2, 3]
    );
    assert_eq!(
        ids(store.read_range("g", t(0), t(21), Some(2)).await.unwrap()),
        vec![1, 2]
    );
    assert!(store
        .read_range("g", t(30), t(40), None)
        .await
        .unwrap()
        .is_empty());
}

pub async fn an_unknown_game_is_empty<S: EventStore>(store: S) {
    assert_eq!(store.latest_id("nope").await.unwrap(), 0);
    assert!(store.read("nope", 0, None).await.unwrap().is_empty());
    assert!(store.find_command("nope", "c").await.unwrap().is_none());
}

pub async fn finds_the_events_of_a_command<S: EventStore>(store: S) {
    store
        .append("g", 0, vec![created()], Some("create".into()), t(0))
        .await
        .unwrap();
    let joined_events = store
        .append(
            "g",
            1,
            vec![joined(0), joined(1)],
            Some("join".into()),
            t(1),
        )
        .await
        .unwrap();
    assert_eq!(
        store.find_command("g", "join").await.unwrap(),
        Some(joined_events.events)
    );
    assert!(store.find_command("g", "other").await.unwrap().is_none());
    assert!(store.find_command("h", "join").await.unwrap().is_none());
}

pub async fn games_have_independent_logs<S: EventStore>(store: S) {
    store
        .append(
            "a",
            0,
            vec![created(), joined(0)],
            Some("same".into()),
            t(0),
        )
        .await
        .unwrap();
    let b = store
        .append("b", 0, vec![created()], Some("same".into()), t(0))
        .await
        .unwrap();
    assert!(!b.duplicate, "command ids are per game");
    assert_eq!(b.events[0].event_id, 1);
    assert_eq!(store.latest_id("a").await.unwrap(), 2);
    assert_eq!(store.latest_id("b").await.unwrap(), 1);
}

pub async fn concurrent_appends_at_one_version_have_exactly_one_winner<S: EventStore>(store: S) {
    let store = Arc::new(store);
    store
        .append("g", 0, vec![created()], None, t(0))
        .await
        .unwrap();
    let tasks: Vec<_> = (0..10u8)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .append("g", 1, vec![joined(i)], Some(format!("c{i}")), t(1))
                    .await
            })
        })
        .collect();
    let mut winners = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(outcome) => {
                assert!(!outcome.duplicate);
                winners += 1;
            }
            Err(AppendError::Conflict { actual }) => assert_eq!(actual, 2),
            Err(e) => panic!("unexpected {e}"),
        }
    }
    assert_eq!(winners, 1);
    assert_eq!(store.latest_id("g").await.unwrap(), 2);
}

pub async fn concurrent_retries_of_one_command_commit_it_once<S: EventStore>(store: S) {
    let store = Arc::new(store);
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .append(
                        "g",
                        0,
                        vec![created(), joined(0)],
                        Some("once".into()),
                        t(0),
                    )
                    .await
            })
        })
        .collect();
    let mut fresh = 0;
    for task in tasks {
        // Every attempt is answered with the one commit: a retry is never refused.
        let outcome = task.await.unwrap().expect("a retry is answered");
        assert_eq!(
            outcome
                .events
                .iter()
                .map(|e| e.event_id)
                .collect::<Vec<_>>(),
            vec![1, 2]
        );
        fresh += usize::from(!outcome.duplicate);
    }
    assert_eq!(fresh, 1);
    assert_eq!(store.latest_id("g").await.unwrap(), 2);
}

pub async fn reads_across_commands_start_at_any_id_and_stop_at_the_limit<S: EventStore>(store: S) {
    // Three commands: ids 1 | 2 3 4 | 5 6.
    store
        .append("g", 0, vec![created()], None, t(0))
        .await
        .unwrap();
    store
        .append("g", 1, vec![joined(0), joined(1), joined(2)], None, t(1))
        .await
        .unwrap();
    store
        .append("g", 4, vec![joined(3), joined(4)], None, t(2))
        .await
        .unwrap();
    let ids = |events: Vec<StoredEvent>| events.iter().map(|e| e.event_id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.read("g", 2, Some(3)).await.unwrap()),
        vec![3, 4, 5]
    );
    assert_eq!(ids(store.read("g", 3, None).await.unwrap()), vec![4, 5, 6]);
    assert_eq!(ids(store.read("g", 0, Some(1)).await.unwrap()), vec![1]);
    assert_eq!(
        ids(store.read("g", 4, Some(100)).await.unwrap()),
        vec![5, 6]
    );
    let third = store.read("g", 2, Some(1)).await.unwrap().remove(0);
    assert_eq!((third.event, third.timestamp), (joined(1), t(1)));
}

pub async fn events_round_trip_exactly_including_hidden_information<S: EventStore>(store: S) {
    let written = store
        .append("g", 0, vec![created(), joined(0)], Some("c".into()), t(0))
        .await
        .unwrap();
    let read = store.read("g", 0, None).await.unwrap();
    assert_eq!(read, written.events);
    assert_eq!(read[0].event, created());
    assert_eq!(read[0].game_id, "g");
}

pub async fn whole_played_games_round_trip_whatever_their_seed<S: EventStore>(store: S) {
    // Seeds beyond i64::MAX too: a store without unsigned 64-bit numbers must still keep them.
    for (game, seed) in [("low", 3u64), ("high", u64::MAX - 1)] {
        let events = caravan::domain::bot::play_game(3, seed, 400);
        let mut version = 0;
        for command in events.chunks(2) {
            let outcome = store
                .append(game, version, command.to_vec(), None, t(version as i64))
                .await
                .unwrap();
            version = outcome.events.last().unwrap().event_id;
        }
        let read: Vec<Event> = store
            .read(game, 0, None)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.event)
            .collect();
        assert_eq!(read, events, "{game}");
    }
}

pub async fn lists_the_ids_of_games_with_events<S: EventStore>(store: S) {
    store
        .append("a", 0, vec![created()], None, t(0))
        .await
        .unwrap();
    store
        .append("b", 0, vec![created()], None, t(0))
        .await
        .unwrap();
    let mut ids = store.game_ids().await.unwrap();
    ids.sort();
    assert_eq!(ids, vec!["a".to_string(), "b".to_string()]);
}

pub async fn answers_a_ping<S: EventStore>(store: S) {
    store.ping().await.unwrap();
}

// ------------------------------------------------------------------------------------------------
// EventBus
// ------------------------------------------------------------------------------------------------

#[macro_export]
macro_rules! event_bus_contract {
    (optional $make:expr) => {
        $crate::event_bus_contract!(@list optional $make);
    };
    ($make:expr) => {
        $crate::event_bus_contract!(@list ready $make);
    };
    (@list $mode:ident $make:expr) => {
        $crate::event_bus_contract!(@cases $mode $make;
            a_subscriber_receives_batches_published_after_it_subscribed_in_order,
            games_are_isolated,
            every_subscriber_receives_every_batch,
            publishing_without_subscribers_succeeds,
            a_dropped_subscription_does_not_disturb_the_others,
            the_bus_answers_a_ping,
        );
    };
    (@cases $mode:ident $make:expr; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let make = $make;
                let Some(adapter) = $crate::contract_adapter!($mode, make().await) else {
                    return;
                };
                $crate::suite::$case(adapter).await;
            }
        )*
    };
}

fn batch(game: &str, ids: std::ops::RangeInclusive<u64>) -> Arc<[StoredEvent]> {
    ids.map(|id| StoredEvent {
        game_id: game.to_string(),
        event_id: id,
        command_id: None,
        timestamp: t(0),
        event: joined((id % 5) as u8),
    })
    .collect::<Vec<_>>()
    .into()
}

/// The next batch's ids, skipping lag notices; fails after 5 s.
async fn next_ids(subscription: &mut caravan::application::ports::Subscription) -> Vec<u64> {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(5), subscription.next())
            .await
            .expect("a message within 5 s")
            .expect("the subscription is open");
        if let BusMessage::Events(events) = message {
            return events.iter().map(|e| e.event_id).collect();
        }
    }
}

/// True when no batch arrives within 200 ms. A lag notice may: the port allows one at any time
/// (a bus that reconnects sends one), and it carries no events.
async fn nothing_arrives(subscription: &mut caravan::application::ports::Subscription) -> bool {
    let deadline = tokio::time::Instant::now() + Duration::from_millis(200);
    loop {
        match tokio::time::timeout_at(deadline, subscription.next()).await {
            Err(_) => return true,
            Ok(Some(BusMessage::Lagged)) => continue,
            Ok(_) => return false,
        }
    }
}

pub async fn a_subscriber_receives_batches_published_after_it_subscribed_in_order<B: EventBus>(
    bus: B,
) {
    bus.publish("g", batch("g", 1..=1)).await.unwrap();
    let mut sub = bus.subscribe("g").await.unwrap();
    bus.publish("g", batch("g", 2..=3)).await.unwrap();
    bus.publish("g", batch("g", 4..=4)).await.unwrap();
    assert_eq!(next_ids(&mut sub).await, vec![2, 3]);
    assert_eq!(next_ids(&mut sub).await, vec![4]);
}

pub async fn games_are_isolated<B: EventBus>(bus: B) {
    let mut a = bus.subscribe("a").await.unwrap();
    bus.publish("b", batch("b", 1..=1)).await.unwrap();
    assert!(nothing_arrives(&mut a).await);
}

pub async fn every_subscriber_receives_every_batch<B: EventBus>(bus: B) {
    let mut one = bus.subscribe("g").await.unwrap();
    let mut two = bus.subscribe("g").await.unwrap();
    bus.publish("g", batch("g", 1..=2)).await.unwrap();
    assert_eq!(next_ids(&mut one).await, vec![1, 2]);
    assert_eq!(next_ids(&mut two).await, vec![1, 2]);
}

pub async fn publishing_without_subscribers_succeeds<B: EventBus>(bus: B) {
    bus.publish("lonely", batch("lonely", 1..=1)).await.unwrap();
}

pub async fn a_dropped_subscription_does_not_disturb_the_others<B: EventBus>(bus: B) {
    let dropped = bus.subscribe("g").await.unwrap();
    let mut kept = bus.subscribe("g").await.unwrap();
    drop(dropped);
    bus.publish("g", batch("g", 1..=1)).await.unwrap();
    assert_eq!(next_ids(&mut kept).await, vec![1]);
    drop(kept);
    bus.publish("g", batch("g", 2..=2)).await.unwrap();
    let mut again = bus.subscribe("g").await.unwrap();
    bus.publish("g", batch("g", 3..=3)).await.unwrap();
    assert_eq!(next_ids(&mut again).await, vec![3]);
}

pub async fn the_bus_answers_a_ping<B: EventBus>(bus: B) {
    bus.ping().await.unwrap();
}

// ------------------------------------------------------------------------------------------------
// ReadModels
// ------------------------------------------------------------------------------------------------

#[macro_export]
macro_rules! read_models_contract {
    (optional $make:expr) => {
        $crate::read_models_contract!(@list optional $make);
    };
    ($make:expr) => {
        $crate::read_models_contract!(@list ready $make);
    };
    (@list $mode:ident $make:expr) => {
        $crate::read_models_contract!(@cases $mode $make;
            a_summary_never_moves_backwards,
            lists_newest_first_by_status_with_a_cursor,
            results_are_recorded_once_per_game_and_seat,
            the_leaderboard_groups_by_name_and_ranks_by_wins_then_score,
            a_players_results_are_newest_first,
            stats_count_the_summaries,
            concurrent_upserts_keep_the_highest_version,
            empty_read_models_answer_with_nothing,
            clearing_removes_everything,
        );
    };
    (@cases $mode:ident $make:expr; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let make = $make;
                let Some(adapter) = $crate::contract_adapter!($mode, make().await) else {
                    return;
                };
                $crate::suite::$case(adapter).await;
            }
        )*
    };
}

fn summary(game_id: &str, status: GameStatus, version: u64, created: i64) -> GameSummary {
    GameSummary {
        game_id: game_id.to_string(),
        status,
        num_players: 2,
        players: vec![SeatSummary {
            seat: 0,
            player_id: "p0".into(),
            name: "Ana".into(),
            left: false,
            score: version as u16,
        }],
        current_seat: None,
        round: 0,
        winner: None,
        version,
        created_at: t(created),
        updated_at: t(created) + ChronoDuration::seconds(version as i64),
    }
}

fn result(
    game_id: &str,
    seat: u8,
    name: &str,
    score: u16,
    won: bool,
    finished: i64,
) -> PlayerResult {
    PlayerResult {
        game_id: game_id.to_string(),
        seat,
        player_id: format!("{game_id}-{seat}"),
        name: name.to_string(),
        score,
        won,
        forfeited: false,
        num_players: 2,
        finished_at: t(finished),
    }
}

pub async fn a_summary_never_moves_backwards<R: ReadModels>(models: R) {
    assert!(models
        .upsert_summary(summary("g", GameStatus::Active, 5, 0))
        .await
        .unwrap());
    assert!(!models
        .upsert_summary(summary("g", GameStatus::Waiting, 3, 0))
        .await
        .unwrap());
    assert!(!models
        .upsert_summary(summary("g", GameStatus::Waiting, 5, 0))
        .await
        .unwrap());
    assert_eq!(models.summary("g").await.unwrap().unwrap().version, 5);
    assert!(models
        .upsert_summary(summary("g", GameStatus::Finished, 9, 0))
        .await
        .unwrap());
    let stored = models.summary("g").await.unwrap().unwrap();
    assert_eq!((stored.version, stored.status), (9, GameStatus::Finished));
    assert_eq!(stored, summary("g", GameStatus::Finished, 9, 0));
    assert!(models.summary("other").await.unwrap().is_none());
}

pub async fn lists_newest_first_by_status_with_a_cursor<R: ReadModels>(models: R) {
    for (id, status, created) in [
        ("a", GameStatus::Waiting, 1),
        ("b", GameStatus::Active, 2),
        ("c", GameStatus::Waiting, 3),
        ("d", GameStatus::Waiting, 3),
        ("e", GameStatus::Waiting, 5),
    ] {
        models
            .upsert_summary(summary(id, status, 1, created))
            .await
            .unwrap();
    }
    let ids = |games: Vec<GameSummary>| games.into_iter().map(|g| g.game_id).collect::<Vec<_>>();
    let all = models
        .list_summaries(GameListQuery {
            status: None,
            limit: 10,
            after: None,
        })
        .await
        .unwrap();
    assert_eq!(ids(all), vec!["e", "d", "c", "b", "a"]);
    let first = models
        .list_summaries(GameListQuery {
            status: Some(GameStatus::Waiting),
            limit: 2,
            after: None,
        })
        .await
        .unwrap();
    assert_eq!(ids(first.clone()), vec!["e", "d"]);
    let last = first.last().unwrap();
    let cursor = GameCursor {
        created_at: last.created_at,
        game_id: last.game_id.clone(),
    };
    let second = models
        .list_summaries(GameListQuery {
            status: Some(GameStatus::Waiting),
            limit: 2,
            after: Some(cursor),
        })
        .await
        .unwrap();
    assert_eq!(ids(second), vec!["c", "a"]);
}

pub async fn results_are_recorded_once_per_game_and_seat<R: ReadModels>(models: R) {
    models
        .record_results(vec![result("g", 0, "Ana", 30, true, 1)])
        .await
        .unwrap();
    models
        .record_results(vec![
            result("g", 0, "Ana", 99, false, 1),
            result("g", 1, "Ben", 20, false, 1),
        ])
        .await
        .unwrap();
    let ana = models.player_results("Ana", 10).await.unwrap();
    assert_eq!(ana, vec![result("g", 0, "Ana", 30, true, 1)]);
    assert_eq!(models.player_results("Ben", 10).await.unwrap().len(), 1);
}

pub async fn the_leaderboard_groups_by_name_and_ranks_by_wins_then_score<R: ReadModels>(models: R) {
    models
        .record_results(vec![
            result("g1", 0, "Ana", 30, true, 1),
            result("g1", 1, "Ben", 20, false, 1),
            result("g2", 0, "Ben", 40, true, 2),
            result("g2", 1, "Cy", 10, false, 2),
            result("g3", 0, "Ana", 5, false, 3),
            result("g3", 1, "Cy", 50, true, 3),
        ])
        .await
        .unwrap();
    let board = models.leaderboard(10).await.unwrap();
    let rows: Vec<(&str, u32, u32, u64, u16)> = board
        .iter()
        .map(|e| {
            (
                e.name.as_str(),
                e.games,
                e.wins,
                e.total_score,
                e.best_score,
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            ("Ben", 2, 1, 60, 40),
            ("Cy", 2, 1, 60, 50),
            ("Ana", 2, 1, 35, 30)
        ]
    );
    assert_eq!(models.leaderboard(1).await.unwrap().len(), 1);
}

pub async fn a_players_results_are_newest_first<R: ReadModels>(models: R) {
    models
        .record_results(vec![
            result("g1", 0, "Ana", 30, true, 1),
            result("g3", 0, "Ana", 5, false, 3),
            result("g2", 1, "Ana", 7, false, 2),
        ])
        .await
        .unwrap();
    let games: Vec<String> = models
        .player_results("Ana", 2)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.game_id)
        .collect();
    assert_eq!(games, vec!["g3", "g2"]);
    assert!(models
        .player_results("Nobody", 10)
        .await
        .unwrap()
        .is_empty());
}

pub async fn stats_count_the_summaries<R: ReadModels>(models: R) {
    models
        .upsert_summary(summary("a", GameStatus::Waiting, 2, 0))
        .await
        .unwrap();
    models
        .upsert_summary(summary("b", GameStatus::Active, 10, 0))
        .await
        .unwrap();
    models
        .upsert_summary(summary("c", GameStatus::Finished, 30, 0))
        .await
        .unwrap();
    models
        .upsert_summary(summary("b", GameStatus::Finished, 12, 0))
        .await
        .unwrap();
    let stats = models.stats().await.unwrap();
    assert_eq!(
        (
            stats.games_waiting,
            stats.games_active,
            stats.games_finished
        ),
        (1, 0, 2)
    );
    assert_eq!(stats.events, 2 + 12 + 30);
    assert_eq!(stats.players, 3);
}

pub async fn concurrent_upserts_keep_the_highest_version<R: ReadModels>(models: R) {
    let models = Arc::new(models);
    let tasks: Vec<_> = (1..=20u64)
        .rev()
        .map(|version| {
            let models = models.clone();
            tokio::spawn(async move {
                models
                    .upsert_summary(summary("g", GameStatus::Active, version, 0))
                    .await
                    .unwrap()
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(models.summary("g").await.unwrap().unwrap().version, 20);
}

pub async fn empty_read_models_answer_with_nothing<R: ReadModels>(models: R) {
    assert_eq!(models.stats().await.unwrap(), Default::default());
    assert!(models.leaderboard(10).await.unwrap().is_empty());
    assert!(models
        .list_summaries(GameListQuery {
            status: None,
            limit: 10,
            after: None,
        })
        .await
        .unwrap()
        .is_empty());
}

pub async fn clearing_removes_everything<R: ReadModels>(models: R) {
    models
        .upsert_summary(summary("a", GameStatus::Waiting, 2, 0))
        .await
        .unwrap();
    models
        .record_results(vec![result("a", 0, "Ana", 1, true, 0)])
        .await
        .unwrap();
    models.clear().await.unwrap();
    assert!(models.summary("a").await.unwrap().is_none());
    assert!(models.leaderboard(10).await.unwrap().is_empty());
    assert_eq!(models.stats().await.unwrap(), Default::default());
}
