//! The contract suites (`tests/contract`) on the embedded (SQLite) adapters, each test in a
//! directory of its own (removed when the test ends), plus what only a store on local disk shows.

use std::future::Future;
use std::sync::Arc;

use caravan::adapters::outbound::sqlite::{self, Access, Embedded};
use futures::future::BoxFuture;

/// A factory for the contract suites: each call opens a fresh database in a new temporary
/// directory; the directories go when the factory does.
pub fn fresh_embedded<T, B, Fut>(build: B) -> impl Fn() -> BoxFuture<'static, Option<T>>
where
    B: Fn(Embedded) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let dirs = Arc::new(parking_lot::Mutex::new(Vec::new()));
    move || {
        let (dirs, build) = (dirs.clone(), build.clone());
        Box::pin(async move {
            let dir = tempfile::tempdir().expect("a temporary directory");
            let embedded = sqlite::open(dir.path(), Access::Exclusive).expect("the database opens");
            dirs.lock().push(dir);
            Some(build(embedded).await)
        })
    }
}

mod sqlite_store {
    use super::fresh_embedded;

    crate::contract!(
        event_store,
        fresh_embedded(|embedded| async move { embedded.store })
    );

    use caravan::adapters::outbound::sqlite::{self, Access, OpenError};
    use caravan::application::ports::{AppendError, EventStore};
    use futures::future::join_all;

    use crate::contract::{created, joined, t};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn events_are_still_there_after_the_database_is_reopened() {
        let dir = tempfile::tempdir().unwrap();
        let written = {
            let store = sqlite::open(dir.path(), Access::Exclusive).unwrap().store;
            store
                .append("g", 0, vec![created(), joined(0)], Some("c1".into()), t(0))
                .await
                .unwrap();
            store
                .append("g", 2, vec![joined(1)], Some("c2".into()), t(1))
                .await
                .unwrap();
            store.read("g", 0, None).await.unwrap()
        };
        let store = sqlite::open(dir.path(), Access::Exclusive).unwrap().store;
        assert_eq!(store.read("g", 0, None).await.unwrap(), written);
        let again = store
            .append("g", 0, vec![joined(1)], Some("c2".into()), t(5))
            .await
            .unwrap();
        assert!(
            again.duplicate,
            "command ids are remembered across restarts"
        );
        assert_eq!(again.events, written[2..]);
        assert_eq!(
            store.append("g", 2, vec![joined(1)], None, t(5)).await,
            Err(AppendError::Conflict { actual: 3 })
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_second_process_on_the_same_directory_is_refused_while_the_first_runs() {
        let dir = tempfile::tempdir().unwrap();
        let first = sqlite::open(dir.path(), Access::Exclusive).unwrap();
        let Err(refused) = sqlite::open(dir.path(), Access::Exclusive) else {
            panic!("a second exclusive open succeeded");
        };
        assert!(matches!(refused, OpenError::InUse { .. }), "{refused}");
        assert!(refused
            .to_string()
            .contains("in use by another caravan process"));
        drop(first);
        sqlite::open(dir.path(), Access::Exclusive).expect("free again once the first is gone");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_appends_of_many_games_share_commits() {
        let dir = tempfile::tempdir().unwrap();
        let store = sqlite::open(dir.path(), Access::Exclusive).unwrap().store;
        let games: Vec<String> = (0..200).map(|i| format!("g{i}")).collect();
        let appends = games
            .iter()
            .map(|game| store.append(game, 0, vec![created(), joined(0)], None, t(0)));
        for outcome in join_all(appends).await {
            assert_eq!(outcome.unwrap().events.len(), 2);
        }
        let commits = store.commits();
        assert!(
            commits < 50,
            "200 appends of 200 games took {commits} commits"
        );
        for game in &games {
            assert_eq!(store.latest_id(game).await.unwrap(), 2);
        }
    }
}

mod sqlite_read_models {
    use super::fresh_embedded;

    crate::contract!(
        read_models,
        fresh_embedded(|embedded| async move { embedded.read_models })
    );

    use caravan::adapters::outbound::sqlite::{self, Access};
    use caravan::application::ports::{EventStore, GameSummary, ReadModels};
    use caravan::domain::GameStatus;

    use crate::contract::{created, joined, t};

    /// A waiting game's summary at `version` (the read-model contract's).
    fn summary(game_id: &str, version: u64) -> GameSummary {
        crate::contract::read_models::summary(game_id, GameStatus::Waiting, version, 0)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn read_models_are_still_there_after_the_database_is_reopened() {
        let dir = tempfile::tempdir().unwrap();
        {
            let models = sqlite::open(dir.path(), Access::Exclusive)
                .unwrap()
                .read_models;
            models.upsert_summary(summary("g", 3)).await.unwrap();
            // What the server does when it stops.
            models.flush().await.unwrap();
        }
        let models = sqlite::open(dir.path(), Access::Exclusive)
            .unwrap()
            .read_models;
        assert_eq!(models.summary("g").await.unwrap(), Some(summary("g", 3)));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_summary_held_back_is_written_without_any_read() {
        let dir = tempfile::tempdir().unwrap();
        let models = sqlite::open(dir.path(), Access::Exclusive)
            .unwrap()
            .read_models;
        models.upsert_summary(summary("g", 3)).await.unwrap();
        // Another connection (as an operator's `sqlite3` would) sees it once the delayed flush
        // ran, though nothing read through `models`.
        let other = sqlite::open(dir.path(), Access::Shared)
            .unwrap()
            .read_models;
        let waited = std::time::Instant::now();
        while other.summary("g").await.unwrap().is_none() {
            assert!(
                waited.elapsed() < std::time::Duration::from_secs(10),
                "the summary was never written"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(other.summary("g").await.unwrap(), Some(summary("g", 3)));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_read_sees_every_summary_held_back() {
        let dir = tempfile::tempdir().unwrap();
        let models = sqlite::open(dir.path(), Access::Exclusive)
            .unwrap()
            .read_models;
        let other = sqlite::open(dir.path(), Access::Shared)
            .unwrap()
            .read_models;
        models.upsert_summary(summary("g", 3)).await.unwrap();
        // Read at once, long before the delayed flush: the read writes what is held first.
        assert_eq!(models.summary("g").await.unwrap(), Some(summary("g", 3)));
        assert_eq!(other.summary("g").await.unwrap(), Some(summary("g", 3)));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn games_whose_summary_is_missing_or_behind_their_log_are_stale() {
        let dir = tempfile::tempdir().unwrap();
        let embedded = sqlite::open(dir.path(), Access::Exclusive).unwrap();
        for game in ["behind", "current", "missing"] {
            embedded
                .store
                .append(game, 0, vec![created(), joined(0)], None, t(0))
                .await
                .unwrap();
        }
        let models = &embedded.read_models;
        models.upsert_summary(summary("behind", 1)).await.unwrap();
        models.upsert_summary(summary("current", 2)).await.unwrap();
        assert_eq!(
            models.stale_games().await.unwrap(),
            vec!["behind".to_string(), "missing".to_string()]
        );
    }
}
