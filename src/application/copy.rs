//! Copying every game's events from one event store to another (`caravan copy-events`): how a
//! history moves from the embedded store to MongoDB, or back.
//!
//! Each game is read whole from the source (a game is a few hundred events) and appended to the
//! target one command at a time, with the command's id and commit time, at the expected version:
//! the target ends up with the same ids, the same idempotency keys and the same times. A copy that
//! stopped half-way can be run again: a game already in the target is checked event by event and
//! only what it lacks is appended. A game whose events differ between the two is reported and
//! left alone, never overwritten.

use super::ports::{AppendError, EventStore, StoreError, StoredEvent};

/// What a copy did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CopyReport {
    /// Games in the source.
    pub games: u64,
    /// Events appended to the target.
    pub events: u64,
    /// Games the target already held whole (nothing appended).
    pub already_there: u64,
}

/// Why a copy stopped. Games copied before it stay copied.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// Reading the source failed.
    #[error("cannot read the source store: {0}")]
    Source(StoreError),
    /// Reading or writing the target failed.
    #[error("cannot write the target store: {0}")]
    Target(String),
    /// The target holds other events for a game than the source.
    #[error(
        "game {game_id} differs between the stores at event {event_id}: the target holds other events (nothing of this game was written)"
    )]
    Diverged {
        /// The game.
        game_id: String,
        /// The first id whose events differ (or that only one store has).
        event_id: u64,
    },
}

/// Copies every game of `from` into `to`; see the module docs.
pub async fn copy_events(
    from: &dyn EventStore,
    to: &dyn EventStore,
) -> Result<CopyReport, CopyError> {
    let mut game_ids = from.game_ids().await.map_err(CopyError::Source)?;
    game_ids.sort_unstable();
    let mut report = CopyReport::default();
    for game_id in game_ids {
        report.games += 1;
        let events = from
            .read(&game_id, 0, None)
            .await
            .map_err(CopyError::Source)?;
        let copied = copy_game(&game_id, &events, to).await?;
        if copied == 0 {
            report.already_there += 1;
        }
        report.events += copied;
    }
    Ok(report)
}

/// Appends what the target lacks of one game; the number of events appended.
async fn copy_game(
    game_id: &str,
    events: &[StoredEvent],
    to: &dyn EventStore,
) -> Result<u64, CopyError> {
    let target = |e: StoreError| CopyError::Target(e.to_string());
    let held = to.latest_id(game_id).await.map_err(target)?;
    if held > 0 {
        let theirs = to.read(game_id, 0, None).await.map_err(target)?;
        let differs = theirs
            .iter()
            .zip(events)
            .position(|(a, b)| a != b)
            .or((theirs.len() > events.len()).then_some(events.len()));
        if let Some(index) = differs {
            return Err(CopyError::Diverged {
                game_id: game_id.to_string(),
                event_id: index as u64 + 1,
            });
        }
    }
    let missing = events.iter().skip_while(|e| e.event_id <= held);
    let mut version = held;
    let mut appended = 0;
    for batch in commands(missing) {
        let first = batch[0];
        let outcome = to
            .append(
                game_id,
                version,
                batch.iter().map(|e| e.event.clone()).collect(),
                first.command_id.clone(),
                first.timestamp,
            )
            .await;
        match outcome {
            Ok(outcome) if !outcome.duplicate => {}
            Ok(_) | Err(AppendError::Conflict { .. }) => {
                return Err(CopyError::Diverged {
                    game_id: game_id.to_string(),
                    event_id: version + 1,
                })
            }
            // A second run settles an append whose outcome is unknown (the target is checked
            // event by event first).
            Err(AppendError::Unavailable(reason) | AppendError::Unknown(reason)) => {
                return Err(CopyError::Target(reason))
            }
        }
        version += batch.len() as u64;
        appended += batch.len() as u64;
    }
    Ok(appended)
}

/// Consecutive events grouped as their commands committed them: the same command id and time.
fn commands<'a>(events: impl Iterator<Item = &'a StoredEvent>) -> Vec<Vec<&'a StoredEvent>> {
    let mut batches: Vec<Vec<&StoredEvent>> = Vec::new();
    for event in events {
        match batches.last_mut() {
            Some(batch)
                if batch[0].command_id == event.command_id
                    && batch[0].timestamp == event.timestamp =>
            {
                batch.push(event)
            }
            _ => batches.push(vec![event]),
        }
    }
    batches
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::adapters::outbound::memory::MemoryEventStore;
    use crate::application::ports::EventStore;
    use crate::domain::random_player::play_game;

    async fn played(store: &MemoryEventStore, game_id: &str, seed: u64) {
        let events = play_game(2, seed, 300);
        let mut version = 0;
        for (n, chunk) in events.chunks(3).enumerate() {
            let at = Utc
                .timestamp_millis_opt(1_700_000_000_000 + n as i64)
                .unwrap();
            let id = (n % 2 == 0).then(|| format!("c{n}"));
            EventStore::append(store, game_id, version, chunk.to_vec(), id, at)
                .await
                .unwrap();
            version += chunk.len() as u64;
        }
    }

    #[tokio::test]
    async fn a_copy_holds_the_same_events_commands_and_times() {
        let (from, to) = (Arc::new(MemoryEventStore::new()), MemoryEventStore::new());
        played(&from, "a", 1).await;
        played(&from, "b", 2).await;
        let report = copy_events(from.as_ref(), &to).await.unwrap();
        assert_eq!(report.games, 2);
        assert_eq!(report.already_there, 0);
        for game in ["a", "b"] {
            let source = EventStore::read(from.as_ref(), game, 0, None)
                .await
                .unwrap();
            assert_eq!(EventStore::read(&to, game, 0, None).await.unwrap(), source);
            let outcome = EventStore::find_command(&to, game, "c2").await.unwrap();
            assert_eq!(outcome.unwrap(), source[6..9], "the command ids came along");
        }
        let held = EventStore::latest_id(&to, "a").await.unwrap()
            + EventStore::latest_id(&to, "b").await.unwrap();
        assert_eq!(report.events, held);
    }

    #[tokio::test]
    async fn a_second_copy_appends_only_what_is_missing() {
        let (from, to) = (MemoryEventStore::new(), MemoryEventStore::new());
        played(&from, "a", 1).await;
        let first = EventStore::read(&from, "a", 0, Some(6)).await.unwrap();
        EventStore::append(
            &to,
            "a",
            0,
            first[..3].iter().map(|e| e.event.clone()).collect(),
            first[0].command_id.clone(),
            first[0].timestamp,
        )
        .await
        .unwrap();
        let report = copy_events(&from, &to).await.unwrap();
        let total = EventStore::latest_id(&from, "a").await.unwrap();
        assert_eq!(report.events, total - 3);
        assert_eq!(
            EventStore::read(&to, "a", 0, None).await.unwrap(),
            EventStore::read(&from, "a", 0, None).await.unwrap()
        );
        let again = copy_events(&from, &to).await.unwrap();
        assert_eq!((again.events, again.already_there), (0, 1));
    }

    #[tokio::test]
    async fn a_game_that_differs_in_the_target_is_refused_and_left_alone() {
        let (from, to) = (MemoryEventStore::new(), MemoryEventStore::new());
        played(&from, "a", 1).await;
        played(&to, "a", 2).await;
        let before = EventStore::read(&to, "a", 0, None).await.unwrap();
        let refused = copy_events(&from, &to).await.unwrap_err();
        assert!(
            matches!(&refused, CopyError::Diverged { game_id, .. } if game_id == "a"),
            "{refused}"
        );
        assert_eq!(EventStore::read(&to, "a", 0, None).await.unwrap(), before);
    }
}
