//! The documents of the `events` collection: a batch as written ([`batch_document`]) and as read
//! back ([`Batch`], [`LastId`]), and the collection's indexes ([`index_models`]). The event store
//! and the insert-rate baseline (`caravan mongo-baseline`) write the same documents.

use mongodb::bson::{doc, Bson, Document};
use mongodb::options::IndexOptions;
use mongodb::IndexModel;
use serde::Deserialize;

use super::{codec, to_chrono};
use crate::application::ports::{StoreError, StoredEvent};
use crate::domain::Event;

/// One stored batch, as read back.
#[derive(Debug, Deserialize)]
pub(super) struct Batch {
    pub(super) f: u64,
    pub(super) l: u64,
    #[serde(default)]
    pub(super) c: Option<String>,
    pub(super) t: i64,
    pub(super) e: Vec<Document>,
}

/// Just the last id of a batch.
#[derive(Debug, Deserialize)]
pub(super) struct LastId {
    pub(super) l: u64,
}

impl Batch {
    /// The batch's events with ids in `(after, ..)`, in order.
    pub(super) fn events_after(
        self,
        game_id: &str,
        after: u64,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        if self.l < self.f || self.l - self.f + 1 != self.e.len() as u64 {
            return Err(StoreError::Unavailable(format!(
                "the batch {}..{} of game {game_id} holds {} events",
                self.f,
                self.l,
                self.e.len()
            )));
        }
        let timestamp = to_chrono(self.t);
        let first = self.f;
        let command_id = self.c;
        let events = self
            .e
            .into_iter()
            .map(|stored| codec::decode(stored).map_err(|e| StoreError::Unavailable(e.to_string())))
            .collect::<Result<Vec<Event>, StoreError>>()?;
        Ok(events
            .into_iter()
            .enumerate()
            .map(|(i, event)| StoredEvent {
                game_id: game_id.to_string(),
                event_id: first + i as u64,
                command_id: command_id.clone(),
                timestamp,
                event,
            })
            .filter(|e| e.event_id > after)
            .collect())
    }
}

/// An event id beyond what BSON's Int64 holds.
pub(super) struct TooLarge(pub(super) String);

/// The indexes of the events collection: unique (game, first id) — which decides an append race —
/// unique (game, command id) where a command id is set, (game, last id) and (game, time).
pub(super) fn index_models() -> Vec<IndexModel> {
    let unique = |name: &str| {
        IndexOptions::builder()
            .name(name.to_string())
            .unique(true)
            .build()
    };
    let named = |name: &str| IndexOptions::builder().name(name.to_string()).build();
    vec![
        IndexModel::builder()
            .keys(doc! { "g": 1, "f": 1 })
            .options(unique("game_first"))
            .build(),
        IndexModel::builder()
            .keys(doc! { "g": 1, "c": 1 })
            .options(
                IndexOptions::builder()
                    .name("game_command".to_string())
                    .unique(true)
                    .partial_filter_expression(doc! { "c": { "$exists": true } })
                    .build(),
            )
            .build(),
        IndexModel::builder()
            .keys(doc! { "g": 1, "l": 1 })
            .options(named("game_last"))
            .build(),
        IndexModel::builder()
            .keys(doc! { "g": 1, "t": 1 })
            .options(named("game_time"))
            .build(),
    ]
}

/// The document stored for one batch of a game's events: `g` game, `f`/`l` first and last event
/// id, `c` command id (when there is one), `t` time (ms), `e` the encoded events.
pub(super) fn batch_document(
    game_id: &str,
    first: u64,
    events: &[Event],
    command_id: Option<&str>,
    at: i64,
) -> Result<Document, String> {
    let last = first + (events.len() as u64).max(1) - 1;
    let encoded = events
        .iter()
        .map(|e| codec::encode(e).map(Bson::Document))
        .collect::<Result<Vec<Bson>, _>>()
        .map_err(|e| e.to_string())?;
    let mut batch = doc! {
        "g": game_id,
        "f": to_i64(first).map_err(|e| e.0)?,
        "l": to_i64(last).map_err(|e| e.0)?,
    };
    if let Some(id) = command_id {
        batch.insert("c", id);
    }
    batch.insert("t", at);
    batch.insert("e", encoded);
    Ok(batch)
}

fn to_i64(id: u64) -> Result<i64, TooLarge> {
    i64::try_from(id).map_err(|_| TooLarge(format!("event id {id} is beyond Int64")))
}
