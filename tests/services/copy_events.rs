//! `caravan copy-events` from the embedded store into MongoDB (the MongoDB-wire server, over a
//! real connection): the same events, command ids and times, and read models a server on MongoDB
//! can answer from.

use caravan::adapters::outbound::mongodb::{MongoEventStore, MongoReadModels};
use caravan::adapters::outbound::sqlite::{self, Access};
use caravan::application::ports::{EventStore, GameListQuery, ReadModels};
use caravan::config::{EventStoreKind, Secret, Settings};
use caravan::startup::copy_between;
use chrono::{TimeZone, Utc};

use crate::support::services::{mongo_uri, TestDb};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_game_is_copied_from_the_embedded_store_into_mongodb() {
    let Some(db) = TestDb::new().await else {
        return;
    };
    let name = db.name.clone();
    db.run(|database| async move {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = sqlite::open(dir.path(), Access::Exclusive).unwrap().store;
            for (game, seed) in [("a", 1u64), ("b", 2)] {
                let events = caravan::domain::random_player::play_game(2, seed, 300);
                let mut version = 0;
                for (n, chunk) in events.chunks(2).enumerate() {
                    let at = Utc
                        .timestamp_millis_opt(1_767_225_600_000 + n as i64)
                        .unwrap();
                    let id = (n > 0).then(|| format!("{game}-{n}"));
                    store
                        .append(game, version, chunk.to_vec(), id, at)
                        .await
                        .unwrap();
                    version += chunk.len() as u64;
                }
            }
        }
        let mut source = Settings::for_tests();
        source.storage.event_store = EventStoreKind::Embedded;
        source.storage.data_dir = dir.path().to_path_buf();
        let mut target = Settings::for_tests();
        target.storage.event_store = EventStoreKind::Mongodb;
        target.storage.mongo_uri = Secret::new(mongo_uri());
        target.storage.mongo_db = name;

        let (copied, rebuilt) = copy_between(&source, &target).await.unwrap();
        assert_eq!((copied.games, rebuilt.games), (2, 2));

        let embedded = sqlite::open(dir.path(), Access::Exclusive).unwrap().store;
        let mongo = MongoEventStore::new(&database);
        for game in ["a", "b"] {
            let theirs = mongo.read(game, 0, None).await.unwrap();
            assert_eq!(
                theirs,
                embedded.read(game, 0, None).await.unwrap(),
                "{game}"
            );
            let command = mongo
                .find_command(game, &format!("{game}-3"))
                .await
                .unwrap();
            assert_eq!(command.unwrap(), theirs[6..8], "command ids came along");
        }
        let summaries = MongoReadModels::new(&database)
            .list_summaries(GameListQuery {
                status: None,
                limit: 10,
                after: None,
            })
            .await
            .unwrap();
        assert_eq!(summaries.len(), 2);

        drop(embedded);
        let again = copy_between(&source, &target).await.unwrap().0;
        assert_eq!(
            (again.events, again.already_there),
            (0, 2),
            "a second copy adds nothing"
        );
    })
    .await;
}
