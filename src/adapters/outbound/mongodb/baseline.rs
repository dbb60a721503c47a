//! The MongoDB driver alone, writing what the event store writes: the baseline a server on
//! MongoDB is read against. `caravan mongo-baseline` prints [`raw_insert_rate`] (the load
//! generator's `--mongo-baseline` runs it before and after the load), and `benches/mongo.rs` puts
//! the event store next to the same raw side ([`raw_collection`], [`raw_documents`]).
//!
//! The documents are the event store's batch documents — the same fields, the same four indexes,
//! events encoded by the adapter's codec, two events a batch (a bot game averages 1.9) — inserted
//! one at a time with `insert_one` by `concurrency` tasks for `duration`, into a database of the
//! measurement's own that is dropped afterwards.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use mongodb::bson::Document;
use mongodb::{Collection, Database};
use serde::Serialize;

use super::batches::{batch_document, index_models};
use super::connect;
use crate::domain::{random_player, Event};

/// Events in each inserted batch.
const EVENTS_PER_BATCH: usize = 2;

/// One measurement of the driver's insert rate.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InsertRate {
    /// The database inserted into (dropped afterwards).
    pub database: String,
    /// Tasks inserting at the same time.
    pub concurrency: usize,
    /// Documents inserted.
    pub inserts: u64,
    /// How long it took, s.
    pub secs: f64,
    /// Inserts per second.
    pub per_sec: f64,
    /// BSON bytes of an average document.
    pub document_bytes: f64,
}

/// A collection with the event store's indexes.
pub async fn raw_collection(
    database: &Database,
    name: &str,
) -> Result<Collection<Document>, mongodb::error::Error> {
    let collection = database.collection::<Document>(name);
    collection.create_indexes(index_models()).await?;
    Ok(collection)
}

/// The documents the event store would write for one game's batches (each one command's events
/// and its command id), stamped `at` (ms).
pub fn raw_documents<'a>(
    game_id: &str,
    batches: impl IntoIterator<Item = (&'a [Event], Option<&'a str>)>,
    at: i64,
) -> Result<Vec<Document>, String> {
    let mut first = 1;
    batches
        .into_iter()
        .map(|(events, command_id)| {
            let document = batch_document(game_id, first, events, command_id, at)?;
            first += events.len() as u64;
            Ok(document)
        })
        .collect()
}

/// Inserts batch documents with `concurrency` tasks for `duration` (each task its own game, one
/// `insert_one` after the other) into a fresh database on `uri`, drops the database, and reports
/// the rate.
pub async fn raw_insert_rate(
    uri: &str,
    concurrency: usize,
    duration: Duration,
) -> Result<InsertRate, String> {
    let concurrency = concurrency.max(1);
    let name = format!(
        "caravan_baseline_{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    );
    let database = connect(uri, &name).await.map_err(|e| e.to_string())?;
    let result = measure(&database, &name, concurrency, duration).await;
    let dropped = database.drop().await;
    let rate = result?;
    dropped.map_err(|e| format!("dropping {name}: {e}"))?;
    Ok(rate)
}

async fn measure(
    database: &Database,
    name: &str,
    concurrency: usize,
    duration: Duration,
) -> Result<InsertRate, String> {
    let collection = raw_collection(database, "events")
        .await
        .map_err(|e| e.to_string())?;
    // A whole bot game's events, cut into batches; every task inserts them under its own game id.
    let events = random_player::play_game(4, 1, 5_000);
    let batches: Arc<Vec<Vec<Event>>> = Arc::new(
        events
            .chunks(EVENTS_PER_BATCH)
            .map(<[Event]>::to_vec)
            .collect(),
    );
    let now = Utc::now().timestamp_millis();
    let sample = batch_document("sample", 1, &batches[batches.len() / 2], Some("c"), now)?;
    let document_bytes = mongodb::bson::to_vec(&sample).map_or(0, |b| b.len()) as f64;
    let inserts = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + duration;
    let tasks: Vec<_> = (0..concurrency)
        .map(|task| {
            let (collection, batches, inserts) =
                (collection.clone(), batches.clone(), inserts.clone());
            tokio::spawn(async move {
                let mut round = 0usize;
                while Instant::now() < deadline {
                    let game = format!("baseline-{task}-{round}");
                    let mut first = 1u64;
                    for (n, batch) in batches.iter().enumerate() {
                        if Instant::now() >= deadline {
                            break;
                        }
                        let command = format!("{game}-{n}");
                        let at = Utc::now().timestamp_millis();
                        let document = batch_document(&game, first, batch, Some(&command), at)?;
                        collection
                            .insert_one(document)
                            .await
                            .map_err(|e| e.to_string())?;
                        inserts.fetch_add(1, Ordering::Relaxed);
                        first += batch.len() as u64;
                    }
                    round += 1;
                }
                Ok::<(), String>(())
            })
        })
        .collect();
    for task in tasks {
        task.await.map_err(|e| e.to_string())??;
    }
    let secs = started.elapsed().as_secs_f64();
    let inserts = inserts.load(Ordering::Relaxed);
    Ok(InsertRate {
        database: name.to_string(),
        concurrency,
        inserts,
        secs,
        per_sec: inserts as f64 / secs,
        document_bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_games_documents_number_its_events_on_from_one() {
        let events = random_player::play_game(4, 1, 5_000);
        let docs =
            raw_documents("g1", [(&events[0..3], None), (&events[3..5], Some("c"))], 1).unwrap();
        assert_eq!(docs[0].get_i64("f").unwrap(), 1);
        assert_eq!(docs[0].get_i64("l").unwrap(), 3);
        assert_eq!(docs[1].get_i64("f").unwrap(), 4);
        assert_eq!(docs[1].get_str("c").unwrap(), "c");
    }

    #[test]
    fn batch_documents_have_the_event_stores_fields_and_size() {
        let events = random_player::play_game(4, 1, 5_000);
        let doc = batch_document("g1", 7, &events[6..8], Some("cmd"), 1).unwrap();
        assert_eq!(doc.get_str("g").unwrap(), "g1");
        assert_eq!(doc.get_i64("f").unwrap(), 7);
        assert_eq!(doc.get_i64("l").unwrap(), 8);
        assert_eq!(doc.get_str("c").unwrap(), "cmd");
        assert_eq!(doc.get_array("e").unwrap().len(), 2);
        let bytes = mongodb::bson::to_vec(&doc).unwrap().len();
        assert!((150..1000).contains(&bytes), "{bytes} bytes");
        let without = batch_document("g1", 7, &events[6..7], None, 1).unwrap();
        assert!(!without.contains_key("c"));
        assert_eq!(without.get_i64("l").unwrap(), 7);
    }
}
