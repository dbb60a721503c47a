//! The `EventStore` contract: append with an expected version, idempotent command ids, reads by id
//! and by time, and events that come back exactly as they went in.

use std::sync::Arc;

use caravan::application::ports::{AppendError, EventStore, StoredEvent};
use caravan::domain::Event;

use super::{created, joined, t};

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
        let events = caravan::domain::random_player::play_game(3, seed, 400);
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
