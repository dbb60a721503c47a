//! The one path of every command after creation: decide (the domain) → append at the expected
//! version, refreshed and decided again after a conflict a bounded number of times → publish →
//! project; a command id already stored is answered with its first outcome; each command's
//! outcome is logged and counted.

use std::sync::Arc;
use std::time::Instant;

use crate::domain::{Actor, Command, Event, Seat};

use super::super::errors::ApplicationError;
use super::super::games::{HotGames, LoadedGame, Slot, Unsettled};
use super::super::ports::{AppendError, CommandOutcome, StoredEvent};
use super::{CommandService, Committed, SUPERSEDED};

impl CommandService {
    /// The one path of every command after creation: decide, append with bounded retries, publish, project.
    ///
    /// With `at_version`, the command is only for the game at that version (a server move): if the
    /// game is elsewhere, or moves on before the append, it is `superseded` and nothing is written.
    pub(super) async fn run(
        &self,
        game_id: &str,
        actor: &Actor,
        command: &Command,
        command_id: Option<(&str, Seat)>,
        at_version: Option<u64>,
    ) -> Result<(Arc<LoadedGame>, Committed), ApplicationError> {
        let superseded =
            || ApplicationError::conflict(SUPERSEDED, "the game moved on before this server move");
        let slot = self.games.slot(game_id);
        let write = slot.write.lock().await;
        // A command id seen before is not looked up here, on every command: the append recognises
        // it before it checks the version (the event store's contract) and answers with the first
        // outcome, and a repeat that the game no longer allows is looked up where it is refused.
        let mut current = self.games.cached_or_load(game_id, &slot).await?;
        let mut fresh = false;
        if at_version.is_some_and(|v| current.version() < v) {
            current = self.games.refresh(game_id, &slot).await?;
            fresh = true;
        }
        let mut attempt = 0;
        loop {
            if current.version() == 0 {
                // Nothing of an unknown game stays in the cache: not its lock, not its slot.
                drop(write);
                drop(slot);
                self.games.forget_if_empty(game_id);
                return Err(ApplicationError::game_not_found(game_id));
            }
            if at_version.is_some_and(|v| current.version() != v) {
                return Err(superseded());
            }
            let events = match current.game.decide(actor, command) {
                Ok(events) => events,
                Err(violation) if !fresh => {
                    // The cache may be behind another instance: refuse only on the latest state.
                    tracing::debug!(
                        code = violation.code(),
                        "refused on cached state; checking the store"
                    );
                    current = self.games.refresh(game_id, &slot).await?;
                    fresh = true;
                    continue;
                }
                Err(violation) => {
                    // Another instance may have handled this very command id since we looked.
                    drop(write);
                    if let Some(answer) =
                        self.answer_if_repeated(game_id, command, command_id).await
                    {
                        return answer;
                    }
                    return Err(violation.into());
                }
            };
            if events.is_empty() {
                drop(write);
                if let Some(answer) = self.answer_if_repeated(game_id, command, command_id).await {
                    return answer;
                }
                return Ok((current.clone(), Committed::from_events(game_id, &[], false)));
            }
            let at = self.ports.clock.now();
            let command_key = command_id.map(|(id, _)| id.to_string());
            let unsettled = Unsettled::new(&slot);
            match self
                .append_resolved(game_id, current.version(), events, command_key, at)
                .await
            {
                Ok(outcome) if outcome.duplicate => {
                    drop(unsettled);
                    drop(write);
                    let (id, seat) = command_id.unwrap_or(("", 0));
                    return self
                        .repeated(game_id, id, seat, command, &outcome.events)
                        .await;
                }
                Ok(outcome) => {
                    return self
                        .committed(game_id, &slot, write, unsettled, &current, &outcome.events)
                        .await;
                }
                Err(AppendError::Conflict { actual }) if attempt < self.settings.retries => {
                    // Nothing was written, and the game is read again below.
                    unsettled.settled();
                    attempt += 1;
                    tracing::debug!(
                        attempt,
                        actual,
                        "append conflict; deciding again on the latest state"
                    );
                    current = self.games.refresh(game_id, &slot).await?;
                    fresh = true;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// After a successful append: fold the events into the cache, count them, publish them (still
    /// holding the game's write lock, so this process publishes a game's batches in order), release
    /// the lock, then update the read models (unless another driver does: see
    /// [`CommandSettings::in_process_projections`]).
    pub(super) async fn committed(
        &self,
        game_id: &str,
        slot: &Slot,
        write: tokio::sync::MutexGuard<'_, ()>,
        unsettled: Unsettled<'_>,
        before: &LoadedGame,
        events: &[StoredEvent],
    ) -> Result<(Arc<LoadedGame>, Committed), ApplicationError> {
        let mut after = before.clone();
        let loaded = if after.fold(events) {
            HotGames::remember_in(slot, after)
        } else {
            // The store gave ids we did not expect: trust the store.
            self.games.refresh(game_id, slot).await?
        };
        unsettled.settled();
        self.timetable.watch(game_id, &loaded);
        self.ports.metrics.events_appended(events.len() as u64);
        let batch: Arc<[StoredEvent]> = events.to_vec().into();
        let published = match self.ports.bus.publish(game_id, batch).await {
            Ok(()) => true,
            Err(e) => {
                self.ports.metrics.publish_failed();
                tracing::warn!(game_id, error = %e, "publish failed; subscribers will repair from the store");
                false
            }
        };
        drop(write);
        if self.settings.in_process_projections || !published {
            self.projector.project(game_id, &loaded, events).await;
        }
        Ok((loaded, Committed::from_events(game_id, events, false)))
    }

    /// `Some(answer)` when the command id is already stored for this game.
    async fn answer_if_repeated(
        &self,
        game_id: &str,
        command: &Command,
        command_id: Option<(&str, Seat)>,
    ) -> Option<Result<(Arc<LoadedGame>, Committed), ApplicationError>> {
        let (id, seat) = command_id?;
        match self.ports.store.find_command(game_id, id).await {
            Ok(Some(original)) => Some(self.repeated(game_id, id, seat, command, &original).await),
            Ok(None) => None,
            Err(e) => Some(Err(e.into())),
        }
    }

    /// Answers a command id seen before: the original result if it was the same command.
    async fn repeated(
        &self,
        game_id: &str,
        command_id: &str,
        seat: Seat,
        command: &Command,
        original: &[StoredEvent],
    ) -> Result<(Arc<LoadedGame>, Committed), ApplicationError> {
        if !same_command(seat, command, original) {
            return Err(ApplicationError::conflict(
                "command_id_reused",
                format!("command id {command_id:?} was already used for another command"),
            ));
        }
        // The first attempt's instance may have died between its append and its publish: publish
        // the original batch again (subscribers drop ids they have), so every feed and the
        // projections hear of it now; if that fails, the repair task checks the read models.
        let batch: Arc<[StoredEvent]> = original.to_vec().into();
        if self.ports.bus.publish(game_id, batch).await.is_err() {
            self.ports.metrics.publish_failed();
            self.projector.failed().add(game_id);
        }
        let loaded = self.games.current(game_id).await?;
        Ok((loaded, Committed::from_events(game_id, original, true)))
    }

    pub(super) fn finish(
        &self,
        span: &tracing::Span,
        kind: &'static str,
        started: Instant,
        result: &Result<(Arc<LoadedGame>, Committed), ApplicationError>,
    ) {
        let outcome = match result {
            Ok((_, committed)) if committed.duplicate => CommandOutcome::Duplicate,
            Ok(_) => CommandOutcome::Accepted,
            Err(e) => outcome_of(e),
        };
        let seconds = started.elapsed().as_secs_f64();
        span.record("outcome", outcome.as_str());
        self.counters.command_handled();
        self.ports.metrics.command_handled(kind, outcome, seconds);
        let _enter = span.enter();
        match result {
            Ok(_) => tracing::info!(latency_ms = seconds * 1000.0, "command handled"),
            Err(e) => tracing::info!(
                latency_ms = seconds * 1000.0,
                code = e.code(),
                "command refused"
            ),
        }
    }
}

fn outcome_of(e: &ApplicationError) -> CommandOutcome {
    match e {
        ApplicationError::Domain(_) => CommandOutcome::Rejected,
        ApplicationError::Conflict { .. } => CommandOutcome::Conflict,
        e if e.is_outcome_unknown() => CommandOutcome::Unknown,
        ApplicationError::Unavailable { .. } => CommandOutcome::Failed,
        _ => CommandOutcome::Refused,
    }
}

/// Whether stored events were produced by this command from this seat: the first event must be the
/// command's own action event, by the same seat, with the same arguments the event records.
pub(super) fn same_command(seat: Seat, command: &Command, original: &[StoredEvent]) -> bool {
    let Some(first) = original.first() else {
        return false;
    };
    if first.event.seat() != Some(seat) {
        return false;
    }
    match (command, &first.event) {
        (
            Command::PlayCard {
                card_id,
                upgrades,
                times,
            },
            Event::CardPlayed {
                card_id: c,
                upgrades: u,
                times: t,
                ..
            },
        ) => card_id == c && upgrades == u && times == t,
        (
            Command::Acquire { slot, payment },
            Event::ItemAcquired {
                slot: s,
                payment: p,
                ..
            },
        ) => slot == s && payment == p,
        (Command::Rest, Event::PlayerRested { .. }) => true,
        (Command::Claim { slot }, Event::ClaimCompleted { slot: s, .. }) => slot == s,
        (Command::Discard { spices }, Event::SpicesDiscarded { spices: s, .. }) => spices == s,
        (Command::Leave, Event::PlayerLeft { .. }) => true,
        _ => false,
    }
}
