//! The contract suites on the MongoDB adapters, over a real connection (`MONGO_URI`; each test
//! on a database of its own, dropped when it ends), plus what only a shared, durable store shows.

mod mongo_store {
    use caravan::adapters::outbound::mongodb::MongoEventStore;

    use crate::support::services::fresh_mongo;

    crate::contract!(
        event_store,
        fresh_mongo(|database| async move {
            let store = MongoEventStore::new(&database);
            store.prepare().await.unwrap();
            store
        })
    );

    use caravan::application::ports::{AppendError, EventStore};
    use futures::TryStreamExt;
    use mongodb::bson::{doc, RawDocumentBuf};

    use crate::contract::{joined, t};
    use crate::support::services::with_mongo;

    /// Two processes, each with its own store on one log: the one that knows a version only from
    /// an earlier read still loses to the one that appended since, and leaves no gap.
    #[tokio::test]
    async fn a_second_process_at_a_version_it_read_earlier_gets_a_conflict() {
        with_mongo(|database| async move {
            let one = MongoEventStore::new(&database);
            let two = MongoEventStore::new(&database);
            one.append("g", 0, vec![joined(0)], None, t(0))
                .await
                .unwrap();
            assert_eq!(two.read("g", 0, None).await.unwrap().len(), 1);
            one.append("g", 1, vec![joined(1)], None, t(1))
                .await
                .unwrap();
            let late = two.append("g", 1, vec![joined(9)], None, t(2)).await;
            assert_eq!(late, Err(AppendError::Conflict { actual: 2 }));
            two.append("g", 2, vec![joined(2)], None, t(3))
                .await
                .unwrap();
            let ids: Vec<u64> = one
                .read("g", 0, None)
                .await
                .unwrap()
                .iter()
                .map(|e| e.event_id)
                .collect();
            assert_eq!(ids, [1, 2, 3]);
        })
        .await;
    }

    /// Whole games average at most 200 bytes of BSON per event, batch fields included.
    #[tokio::test]
    async fn stored_games_average_at_most_200_bytes_per_event() {
        with_mongo(|database| async move {
            let store = MongoEventStore::new(&database);
            crate::contract::event_store::whole_played_games_round_trip_whatever_their_seed(
                store.clone(),
            )
            .await;
            let documents: Vec<RawDocumentBuf> = database
                .collection::<RawDocumentBuf>("events")
                .find(doc! {})
                .await
                .unwrap()
                .try_collect()
                .await
                .unwrap();
            let bytes: usize = documents.iter().map(|d| d.as_bytes().len()).sum();
            let events =
                store.latest_id("low").await.unwrap() + store.latest_id("high").await.unwrap();
            let average = bytes as u64 / events;
            println!("{events} events in {bytes} bytes of BSON: {average} bytes per event");
            assert!(average <= 200, "{average} bytes per event");
        })
        .await;
    }
}

mod mongo_read_models {
    use caravan::adapters::outbound::mongodb::MongoReadModels;

    use crate::support::services::fresh_mongo;

    crate::contract!(
        read_models,
        fresh_mongo(|database| async move {
            let models = MongoReadModels::new(&database);
            models.prepare().await.unwrap();
            models
        })
    );
}
