//! The event store contract, run against every adapter: in memory always, MongoDB over a real
//! connection (`MONGO_URI`; a database per test, dropped afterwards).

mod support;

use std::future::Future;
use std::sync::Arc;

use caravan::adapters::outbound::memory::MemoryEventStore;
use caravan::adapters::outbound::mongodb::MongoEventStore;
use caravan::application::ports::DynEventStore;
use support::services::TestDb;
use support::store_contract::{self as contract, Store};

async fn with_memory<Fut: Future<Output = ()>>(case: impl FnOnce(Store) -> Fut) {
    case(Arc::new(MemoryEventStore::new())).await;
}

async fn with_mongodb<Fut: Future<Output = ()>>(case: impl FnOnce(Store) -> Fut) {
    let Some(db) = TestDb::new().await else {
        return;
    };
    db.run(|database| async move {
        let store = MongoEventStore::new(&database);
        store.prepare().await.unwrap();
        case(Arc::new(store) as Arc<dyn DynEventStore>).await;
    })
    .await;
}

/// One `#[tokio::test]` per contract rule, for the adapter that `$fixture` provides.
macro_rules! contract_tests {
    ($fixture:ident: $($case:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $case() {
                super::$fixture(contract::$case).await;
            }
        )*
    };
}

macro_rules! event_store_contract {
    ($fixture:ident) => {
        use super::contract;
        contract_tests!($fixture:
            appends_are_numbered_from_one_without_gaps,
            an_append_at_a_stale_version_is_a_conflict_and_writes_nothing,
            an_append_beyond_the_latest_version_is_a_conflict_and_leaves_no_gap,
            a_repeated_command_id_returns_the_original_events_and_writes_nothing,
            a_repeated_command_id_is_answered_even_after_the_game_moved_on,
            command_ids_are_scoped_to_their_game,
            appends_without_command_ids_never_collide,
            concurrent_appends_at_the_same_version_commit_exactly_one,
            concurrent_retries_of_one_command_commit_it_once,
            reads_start_after_the_given_id_and_stop_at_the_limit,
            an_unknown_game_has_no_events_and_version_zero,
            reads_by_time_cover_the_half_open_interval,
            find_command_returns_that_commands_events_only,
            game_ids_lists_every_game_with_events,
            whole_games_with_hidden_setups_read_back_unchanged,
            ping_answers,
        );
    };
}

mod memory {
    event_store_contract!(with_memory);
}

mod mongo {
    event_store_contract!(with_mongodb);

    use super::*;
    use ::mongodb::bson::{doc, RawDocumentBuf};
    use caravan::application::ports::AppendError;
    use contract::{at, joined};
    use futures::TryStreamExt;

    /// Two processes, each with its own store handle on one log: the one that knows a version
    /// only from its own earlier read still loses to the one that appended since.
    #[tokio::test]
    async fn a_second_process_at_a_version_it_read_earlier_gets_a_conflict() {
        let Some(db) = TestDb::new().await else {
            return;
        };
        db.run(|database| async move {
            let one: Store = Arc::new(MongoEventStore::new(&database));
            let two: Store = Arc::new(MongoEventStore::new(&database));
            one.append("g", 0, vec![joined(0)], None, at(0))
                .await
                .unwrap();
            assert_eq!(two.read("g", 0, None).await.unwrap().len(), 1);
            one.append("g", 1, vec![joined(1)], None, at(1))
                .await
                .unwrap();
            let late = two.append("g", 1, vec![joined(9)], None, at(2)).await;
            assert_eq!(late, Err(AppendError::Conflict { actual: 2 }));
            two.append("g", 2, vec![joined(2)], None, at(3))
                .await
                .unwrap();
            assert_eq!(one.latest_id("g").await.unwrap(), 3);
        })
        .await;
    }

    /// The stored form is compact: whole games average under 200 bytes of BSON per event,
    /// batch fields included.
    #[tokio::test]
    async fn stored_games_average_under_200_bytes_per_event() {
        let Some(db) = TestDb::new().await else {
            return;
        };
        db.run(|database| async move {
            let store: Store = Arc::new(MongoEventStore::new(&database));
            contract::whole_games_with_hidden_setups_read_back_unchanged(store.clone()).await;
            let docs: Vec<RawDocumentBuf> = database
                .collection::<RawDocumentBuf>("events")
                .find(doc! {})
                .await
                .unwrap()
                .try_collect()
                .await
                .unwrap();
            let bytes: usize = docs.iter().map(|d| d.as_bytes().len()).sum();
            let events =
                store.latest_id("low").await.unwrap() + store.latest_id("high").await.unwrap();
            let events = events as usize;
            let average = bytes / events;
            println!("{events} events, {bytes} bytes of BSON, {average} bytes per event");
            assert!(average <= 200, "{average} bytes per event");
        })
        .await;
    }
}
