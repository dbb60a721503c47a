//! The [`EventStore`](caravan::application::ports::EventStore) contract: what every adapter must do,
//! as one async function per rule. `tests/contract_event_store.rs` runs each against every adapter.
//!
//! Times are whole milliseconds: the contract does not ask a store to keep finer ones.

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use futures::future::join_all;

use caravan::application::ports::{AppendError, DynEventStore, StoredEvent};
use caravan::domain::bot::play_game;
use caravan::domain::{Event, PlayerId};

/// A store under test.
pub type Store = Arc<dyn DynEventStore>;

/// A moment `ms` milliseconds after a fixed origin.
pub fn at(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(1_700_000_000_000 + ms).unwrap()
}

/// A small event that differs by `n`.
pub fn joined(n: u8) -> Event {
    Event::PlayerJoined {
        seat: n,
        player_id: PlayerId::new(format!("p{n}")),
        name: format!("player {n}"),
    }
}

fn ids(events: &[StoredEvent]) -> Vec<u64> {
    events.iter().map(|e| e.event_id).collect()
}

pub async fn appends_are_numbered_from_one_without_gaps(store: Store) {
    let first = store
        .append(
            "g1",
            0,
            vec![joined(0), joined(1)],
            Some("c1".into()),
            at(0),
        )
        .await
        .unwrap();
    assert!(!first.duplicate);
    assert_eq!(ids(&first.events), [1, 2]);
    let second = store
        .append("g1", 2, vec![joined(2)], None, at(5))
        .await
        .unwrap();
    assert_eq!(ids(&second.events), [3]);

    let all = store.read("g1", 0, None).await.unwrap();
    let expected = vec![
        StoredEvent {
            game_id: "g1".into(),
            event_id: 1,
            command_id: Some("c1".into()),
            timestamp: at(0),
            event: joined(0),
        },
        StoredEvent {
            game_id: "g1".into(),
            event_id: 2,
            command_id: Some("c1".into()),
            timestamp: at(0),
            event: joined(1),
        },
        StoredEvent {
            game_id: "g1".into(),
            event_id: 3,
            command_id: None,
            timestamp: at(5),
            event: joined(2),
        },
    ];
    assert_eq!(all, expected);
    assert_eq!([first.events, second.events].concat(), expected);
    assert_eq!(store.latest_id("g1").await.unwrap(), 3);
}

pub async fn an_append_at_a_stale_version_is_a_conflict_and_writes_nothing(store: Store) {
    store
        .append("g", 0, vec![joined(0), joined(1), joined(2)], None, at(0))
        .await
        .unwrap();
    for stale in [0, 1, 2] {
        let refused = store.append("g", stale, vec![joined(9)], None, at(1)).await;
        assert_eq!(
            refused,
            Err(AppendError::Conflict { actual: 3 }),
            "at {stale}"
        );
    }
    assert_eq!(ids(&store.read("g", 0, None).await.unwrap()), [1, 2, 3]);
}

pub async fn an_append_beyond_the_latest_version_is_a_conflict_and_leaves_no_gap(store: Store) {
    let refused = store.append("g", 4, vec![joined(0)], None, at(0)).await;
    assert_eq!(refused, Err(AppendError::Conflict { actual: 0 }));
    assert_eq!(store.latest_id("g").await.unwrap(), 0);
    store
        .append("g", 0, vec![joined(0)], None, at(0))
        .await
        .unwrap();
    let refused = store.append("g", 5, vec![joined(1)], None, at(1)).await;
    assert_eq!(refused, Err(AppendError::Conflict { actual: 1 }));
    assert_eq!(ids(&store.read("g", 0, None).await.unwrap()), [1]);
}

pub async fn a_repeated_command_id_returns_the_original_events_and_writes_nothing(store: Store) {
    let original = store
        .append(
            "g",
            0,
            vec![joined(0), joined(1)],
            Some("cmd".into()),
            at(0),
        )
        .await
        .unwrap();
    let again = store
        .append("g", 2, vec![joined(7)], Some("cmd".into()), at(9))
        .await
        .unwrap();
    assert!(again.duplicate);
    assert_eq!(again.events, original.events);
    assert_eq!(store.latest_id("g").await.unwrap(), 2);
}

pub async fn a_repeated_command_id_is_answered_even_after_the_game_moved_on(store: Store) {
    let original = store
        .append("g", 0, vec![joined(0)], Some("first".into()), at(0))
        .await
        .unwrap();
    store
        .append("g", 1, vec![joined(1)], Some("second".into()), at(1))
        .await
        .unwrap();
    // The retry still carries the version the client saw before its first attempt.
    let retry = store
        .append("g", 0, vec![joined(0)], Some("first".into()), at(2))
        .await
        .unwrap();
    assert!(retry.duplicate);
    assert_eq!(retry.events, original.events);
    assert_eq!(store.latest_id("g").await.unwrap(), 2);
}

pub async fn command_ids_are_scoped_to_their_game(store: Store) {
    for game in ["a", "b"] {
        let outcome = store
            .append(game, 0, vec![joined(0)], Some("same".into()), at(0))
            .await
            .unwrap();
        assert!(!outcome.duplicate, "{game}");
    }
    let found = store.find_command("b", "same").await.unwrap().unwrap();
    assert_eq!(found[0].game_id, "b");
}

pub async fn appends_without_command_ids_never_collide(store: Store) {
    for version in 0..5 {
        store
            .append("g", version, vec![joined(version as u8)], None, at(0))
            .await
            .unwrap();
    }
    assert_eq!(store.latest_id("g").await.unwrap(), 5);
}

pub async fn concurrent_appends_at_the_same_version_commit_exactly_one(store: Store) {
    store
        .append("g", 0, vec![joined(0)], None, at(0))
        .await
        .unwrap();
    let attempts = (0..12u8).map(|n| {
        let store = store.clone();
        async move {
            store
                .append("g", 1, vec![joined(n), joined(n + 100)], None, at(1))
                .await
        }
    });
    let outcomes = join_all(attempts).await;
    let winners = outcomes.iter().filter(|o| o.is_ok()).count();
    assert_eq!(winners, 1, "{outcomes:?}");
    for outcome in &outcomes {
        if let Err(e) = outcome {
            assert_eq!(e, &AppendError::Conflict { actual: 3 });
        }
    }
    assert_eq!(ids(&store.read("g", 0, None).await.unwrap()), [1, 2, 3]);
}

pub async fn concurrent_retries_of_one_command_commit_it_once(store: Store) {
    let attempts = (0..8).map(|_| {
        let store = store.clone();
        async move {
            store
                .append(
                    "g",
                    0,
                    vec![joined(0), joined(1)],
                    Some("once".into()),
                    at(0),
                )
                .await
        }
    });
    let outcomes = join_all(attempts).await;
    let fresh: Vec<_> = outcomes
        .iter()
        .filter(|o| matches!(o, Ok(o) if !o.duplicate))
        .collect();
    assert_eq!(fresh.len(), 1, "{outcomes:?}");
    for outcome in &outcomes {
        let outcome = outcome.as_ref().expect("a retry is answered, not refused");
        assert_eq!(ids(&outcome.events), [1, 2]);
    }
    assert_eq!(store.latest_id("g").await.unwrap(), 2);
}

pub async fn reads_start_after_the_given_id_and_stop_at_the_limit(store: Store) {
    // Batches of 1, 3 and 2 events: ids 1 | 2 3 4 | 5 6.
    store
        .append("g", 0, vec![joined(1)], None, at(0))
        .await
        .unwrap();
    store
        .append("g", 1, vec![joined(2), joined(3), joined(4)], None, at(1))
        .await
        .unwrap();
    store
        .append("g", 4, vec![joined(5), joined(6)], None, at(2))
        .await
        .unwrap();
    assert_eq!(
        ids(&store.read("g", 0, None).await.unwrap()),
        [1, 2, 3, 4, 5, 6]
    );
    assert_eq!(ids(&store.read("g", 2, Some(3)).await.unwrap()), [3, 4, 5]);
    assert_eq!(ids(&store.read("g", 3, None).await.unwrap()), [4, 5, 6]);
    assert_eq!(ids(&store.read("g", 0, Some(1)).await.unwrap()), [1]);
    assert_eq!(ids(&store.read("g", 4, Some(100)).await.unwrap()), [5, 6]);
    assert!(store.read("g", 6, None).await.unwrap().is_empty());
    assert!(store.read("g", 60, None).await.unwrap().is_empty());
    let third = &store.read("g", 2, Some(1)).await.unwrap()[0];
    assert_eq!(third.event, joined(3));
    assert_eq!(third.timestamp, at(1));
}

pub async fn an_unknown_game_has_no_events_and_version_zero(store: Store) {
    assert!(store.read("nobody", 0, None).await.unwrap().is_empty());
    assert_eq!(store.latest_id("nobody").await.unwrap(), 0);
    assert_eq!(store.find_command("nobody", "x").await.unwrap(), None);
    assert!(store
        .read_range("nobody", at(0), at(1000), None)
        .await
        .unwrap()
        .is_empty());
}

pub async fn reads_by_time_cover_the_half_open_interval(store: Store) {
    store
        .append("g", 0, vec![joined(1)], None, at(0))
        .await
        .unwrap();
    store
        .append("g", 1, vec![joined(2), joined(3)], None, at(10))
        .await
        .unwrap();
    store
        .append("g", 3, vec![joined(4)], None, at(20))
        .await
        .unwrap();
    let range = |since, until, limit| {
        let store = store.clone();
        async move {
            ids(&store
                .read_range("g", at(since), at(until), limit)
                .await
                .unwrap())
        }
    };
    assert_eq!(range(0, 21, None).await, [1, 2, 3, 4]);
    assert_eq!(range(10, 20, None).await, [2, 3]);
    assert_eq!(range(1, 10, None).await, Vec::<u64>::new());
    assert_eq!(range(0, 20, Some(2)).await, [1, 2]);
    assert_eq!(range(20, 30, None).await, [4]);
}

pub async fn find_command_returns_that_commands_events_only(store: Store) {
    store
        .append("g", 0, vec![joined(0)], Some("a".into()), at(0))
        .await
        .unwrap();
    store
        .append("g", 1, vec![joined(1), joined(2)], Some("b".into()), at(1))
        .await
        .unwrap();
    store
        .append("g", 3, vec![joined(3)], None, at(2))
        .await
        .unwrap();
    let b = store.find_command("g", "b").await.unwrap().unwrap();
    assert_eq!(ids(&b), [2, 3]);
    assert!(b.iter().all(|e| e.command_id.as_deref() == Some("b")));
    assert_eq!(store.find_command("g", "c").await.unwrap(), None);
}

pub async fn game_ids_lists_every_game_with_events(store: Store) {
    for game in ["x", "y", "z"] {
        store
            .append(game, 0, vec![joined(0)], None, at(0))
            .await
            .unwrap();
    }
    let mut games = store.game_ids().await.unwrap();
    games.sort();
    assert_eq!(games, ["x", "y", "z"]);
}

pub async fn whole_games_with_hidden_setups_read_back_unchanged(store: Store) {
    for (game, seed) in [("low", 3u64), ("high", u64::MAX - 1)] {
        let events = play_game(3, seed, 400);
        let mut version = 0;
        // One command's worth at a time, as the service appends them.
        for chunk in events.chunks(2) {
            let outcome = store
                .append(game, version, chunk.to_vec(), None, at(version as i64))
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

pub async fn ping_answers(store: Store) {
    store.ping().await.unwrap();
}
