//! Summaries held back before they are written: the read models' write-behind.
//!
//! A game's summary changes with every command. Written then, it cost each command a second trip
//! through the writer thread, an upsert and a page of the log, for a row that only queries read.
//! Instead [`PendingSummaries`] keeps the newest summary of each game that changed and writes them
//! all in one request:
//! - [`FLUSH_DELAY`] after the first of them arrived (a game's many commands in that time cost
//!   one upsert);
//! - at once when [`MAX_PENDING`] games are waiting (what it holds stays bounded);
//! - before every read of the summaries, so a query sees every command answered before it;
//! - when the server stops.
//!
//! Nothing is lost when the process dies with summaries held: the events are committed, and a
//! summary behind its game's log is projected again at start-up
//! ([`super::SqliteReadModels::stale_games`]).

use std::collections::HashMap;
use std::sync::{Arc, Weak};
use std::time::Duration;

use parking_lot::Mutex;

use super::read_models::{status_name, to_nanos};
use super::writer::{Request, SummaryRow};
use super::{to_i64, Database, Failure};
use crate::application::ports::GameSummary;

/// How long the first summary held waits for others before they are written.
pub(super) const FLUSH_DELAY: Duration = Duration::from_secs(1);

/// Games whose summaries are held at most; the one that reaches it writes them all first.
pub(super) const MAX_PENDING: usize = 10_000;

/// The summaries not yet written, at most one per game (the newest), and the flushes.
#[derive(Default)]
pub(super) struct PendingSummaries {
    held: Mutex<Held>,
    /// One flush at a time: a read waits here for the one under way, whose rows it must see.
    flushing: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct Held {
    summaries: HashMap<String, GameSummary>,
    /// A delayed flush is on its way.
    armed: bool,
}

/// What the caller of [`PendingSummaries::hold`] must do next.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Next {
    /// Nothing: a flush is on its way.
    Nothing,
    /// Start the delayed flush ([`flush_later`]).
    Arm,
    /// Flush now: [`MAX_PENDING`] games are waiting.
    Flush,
}

impl PendingSummaries {
    /// Holds `summary` unless one of its game with a version at least as high is held already.
    pub fn hold(&self, summary: GameSummary) -> Next {
        let mut held = self.held.lock();
        match held.summaries.get(&summary.game_id) {
            Some(kept) if kept.version >= summary.version => {}
            _ => {
                held.summaries.insert(summary.game_id.clone(), summary);
            }
        }
        if held.summaries.len() >= MAX_PENDING {
            Next::Flush
        } else if held.armed {
            Next::Nothing
        } else {
            held.armed = true;
            Next::Arm
        }
    }

    /// Writes every summary held, in one request to the writer; on failure they are held again
    /// (unless a newer one of the same game arrived meanwhile).
    pub async fn flush(&self, database: &Database) -> Result<(), Failure> {
        let _one_at_a_time = self.flushing.lock().await;
        let taken = std::mem::take(&mut self.held.lock().summaries);
        if taken.is_empty() {
            return Ok(());
        }
        let rows = taken.values().filter_map(row).collect();
        let written = database
            .writer
            .send(|reply| Request::Summaries(rows, reply))
            .await;
        if written.is_err() {
            let mut held = self.held.lock();
            for (game_id, summary) in taken {
                let newer = held
                    .summaries
                    .get(&game_id)
                    .is_some_and(|kept| kept.version >= summary.version);
                if !newer {
                    held.summaries.insert(game_id, summary);
                }
            }
        }
        written
    }

    /// Forgets every summary held (the read models are being cleared). Waits for a flush under
    /// way, so none of its rows are written after the caller clears the table.
    pub async fn discard(&self) -> tokio::sync::MutexGuard<'_, ()> {
        let flushing = self.flushing.lock().await;
        self.held.lock().summaries.clear();
        flushing
    }

    /// Ends the delayed flush if nothing is held; true when it ended.
    fn disarm_if_empty(&self) -> bool {
        let mut held = self.held.lock();
        if held.summaries.is_empty() {
            held.armed = false;
        }
        !held.armed
    }
}

/// The delayed flush: waits [`FLUSH_DELAY`], writes what is held, and goes on while summaries
/// keep arriving. It ends when the database is closed (what it held is then projected again at
/// the next start).
pub(super) async fn flush_later(database: Weak<Database>, pending: Arc<PendingSummaries>) {
    loop {
        tokio::time::sleep(FLUSH_DELAY).await;
        let Some(database) = database.upgrade() else {
            return;
        };
        if let Err(e) = pending.flush(&database).await {
            tracing::warn!(error = %e, "cannot write game summaries; holding them to try again");
        }
        drop(database);
        if pending.disarm_if_empty() {
            return;
        }
    }
}

/// A summary as stored; `None` (logged) if it cannot be encoded, which a summary's plain fields
/// never cause: it is then projected again at the next start.
fn row(summary: &GameSummary) -> Option<SummaryRow> {
    let encoded = serde_json::to_string(summary)
        .map_err(
            |e| tracing::error!(game_id = summary.game_id, error = %e, "cannot encode a summary"),
        )
        .ok()?;
    Some(SummaryRow {
        game_id: summary.game_id.clone(),
        status: status_name(summary.status),
        created_at: to_nanos(summary.created_at),
        version: to_i64(summary.version),
        seated: summary.players.len() as i64,
        summary: encoded,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::GameStatus;

    fn summary(game_id: &str, version: u64) -> GameSummary {
        let at = chrono::DateTime::from_timestamp(0, 0).unwrap();
        GameSummary {
            game_id: game_id.into(),
            status: GameStatus::Waiting,
            num_players: 2,
            players: Vec::new(),
            current_seat: None,
            round: 0,
            winner: None,
            version,
            created_at: at,
            updated_at: at,
        }
    }

    fn held(pending: &PendingSummaries) -> Vec<(String, u64)> {
        let mut held: Vec<_> = pending
            .held
            .lock()
            .summaries
            .values()
            .map(|s| (s.game_id.clone(), s.version))
            .collect();
        held.sort();
        held
    }

    #[test]
    fn the_first_summary_held_arms_one_delayed_flush() {
        let pending = PendingSummaries::default();
        assert_eq!(pending.hold(summary("a", 1)), Next::Arm);
        assert_eq!(pending.hold(summary("b", 1)), Next::Nothing);
        assert_eq!(pending.hold(summary("a", 2)), Next::Nothing);
        assert!(!pending.disarm_if_empty(), "summaries are held");
        pending.held.lock().summaries.clear();
        assert!(pending.disarm_if_empty());
        assert_eq!(pending.hold(summary("a", 3)), Next::Arm);
    }

    #[test]
    fn a_game_keeps_its_newest_summary() {
        let pending = PendingSummaries::default();
        pending.hold(summary("a", 5));
        pending.hold(summary("a", 3));
        pending.hold(summary("b", 1));
        pending.hold(summary("b", 2));
        assert_eq!(held(&pending), [("a".into(), 5), ("b".into(), 2)]);
    }

    #[test]
    fn the_summary_that_fills_the_limit_asks_for_a_flush() {
        let pending = PendingSummaries::default();
        for i in 0..MAX_PENDING - 1 {
            assert_ne!(pending.hold(summary(&i.to_string(), 1)), Next::Flush);
        }
        assert_eq!(pending.hold(summary("last", 1)), Next::Flush);
    }
}
