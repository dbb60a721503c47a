//! Appends whose outcome must be known before the client is answered.
//!
//! When the store took a write but its answer was lost (the connection dropped, a timeout), the
//! write may or may not be in the log, and may even land later. Telling the client "nothing
//! changed" could be false, so the command path sends the very same append again until the store
//! answers: the unique command id and the unique first event id make a second copy impossible, so
//! the second answer tells what became of the first:
//!
//! - accepted: the first never landed, and now it never can (its place is taken by this copy);
//! - the command id is already stored with OUR events at OUR commit time: the first landed;
//! - a conflict: something holds our place; it is ours when the events there are ours (same
//!   command id, events and commit time), otherwise another writer's, and ours never landed.
//!
//! When the store does not answer within [`CommandSettings::outcome_wait`], the answer is
//! `outcome_unknown`: the client sends the command again with the same command id and learns the
//! real result. This module must never turn an unknown outcome into "nothing changed".

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::time::Instant;

use super::CommandService;
#[cfg(doc)]
use super::CommandSettings;
use crate::application::ports::{AppendError, AppendOutcome, StoredEvent};
use crate::domain::Event;

/// First pause between two attempts to learn an outcome; doubles up to [`MAX_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_millis(50);
/// Longest pause between two attempts.
const MAX_PAUSE: Duration = Duration::from_millis(500);

impl CommandService {
    /// [`EventStore::append`](crate::application::ports::EventStore::append), except that an
    /// [`AppendError::Unknown`] is settled by asking the store again (see the module docs). Still
    /// `Unknown` only when the store gave no definite answer within the outcome wait.
    pub(super) async fn append_resolved(
        &self,
        game_id: &str,
        expected_version: u64,
        events: Vec<Event>,
        command_id: Option<String>,
        at: DateTime<Utc>,
    ) -> Result<AppendOutcome, AppendError> {
        let first = self
            .ports
            .store
            .append(
                game_id,
                expected_version,
                events.clone(),
                command_id.clone(),
                at,
            )
            .await;
        let Err(AppendError::Unknown(reason)) = first else {
            return first;
        };
        tracing::warn!(game_id, expected_version, error = %reason, "append unanswered; asking the store what became of it");
        let deadline = Instant::now() + self.settings.outcome_wait;
        let mut pause = FIRST_PAUSE;
        let mut last = reason;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(AppendError::Unknown(last));
            }
            let again = self.ports.store.append(
                game_id,
                expected_version,
                events.clone(),
                command_id.clone(),
                at,
            );
            match tokio::time::timeout(left, again).await {
                Ok(Ok(outcome)) if outcome.duplicate => {
                    return Ok(if is_ours(&outcome.events, &events, &command_id, at) {
                        tracing::info!(game_id, "the unanswered append had been stored");
                        AppendOutcome {
                            events: outcome.events,
                            duplicate: false,
                        }
                    } else {
                        outcome
                    });
                }
                Ok(Ok(outcome)) => {
                    tracing::info!(
                        game_id,
                        "the unanswered append had not been stored; stored now"
                    );
                    return Ok(outcome);
                }
                Ok(Err(AppendError::Conflict { actual })) => {
                    return self
                        .conflict_or_ours(
                            game_id,
                            expected_version,
                            &events,
                            &command_id,
                            at,
                            actual,
                        )
                        .await;
                }
                Ok(Err(AppendError::Unavailable(e) | AppendError::Unknown(e))) => last = e,
                Err(_) => last = "the store did not answer in time".into(),
            }
            let left = deadline.saturating_duration_since(Instant::now());
            tokio::time::sleep(pause.min(left)).await;
            pause = (pause * 2).min(MAX_PAUSE);
        }
    }

    /// After a conflict on the repeated append: `Ok` when the events at our place are ours.
    async fn conflict_or_ours(
        &self,
        game_id: &str,
        expected_version: u64,
        events: &[Event],
        command_id: &Option<String>,
        at: DateTime<Utc>,
        actual: u64,
    ) -> Result<AppendOutcome, AppendError> {
        let stored = match self
            .ports
            .store
            .read(game_id, expected_version, Some(events.len()))
            .await
        {
            Ok(stored) => stored,
            // The conflict is certain, only its author is not: still unknown.
            Err(e) => return Err(AppendError::Unknown(e.to_string())),
        };
        if is_ours(&stored, events, command_id, at)
            && stored.first().map(|e| e.event_id) == Some(expected_version + 1)
        {
            tracing::info!(game_id, "the unanswered append had been stored");
            return Ok(AppendOutcome {
                events: stored,
                duplicate: false,
            });
        }
        Err(AppendError::Conflict { actual })
    }
}

/// Whether `stored` are the events this very append wrote: the same events, command id and commit
/// time (stores keep times to the millisecond at least).
fn is_ours(
    stored: &[StoredEvent],
    events: &[Event],
    command_id: &Option<String>,
    at: DateTime<Utc>,
) -> bool {
    stored.len() == events.len()
        && stored.iter().zip(events).all(|(s, e)| {
            &s.event == e
                && &s.command_id == command_id
                && s.timestamp.timestamp_millis() == at.timestamp_millis()
        })
}

#[cfg(test)]
mod tests;
