//! Read models that fell behind the log are brought up to date within a second of their store
//! answering again, without waiting for the game's next command or a rebuild.
//!
//! Three ways a read model falls behind:
//! - an update failed (the read-model store did not answer): the game is remembered in
//!   [`Projector::failed`](super::Projector::failed) and [`Services::repair_projections`] tries it
//!   again every [`REPAIR_EVERY`] until it succeeds;
//! - the hints that drive projections were lost (a Redis restarted without its data loses the
//!   projection stream's unread entries): [`Services::project_unfinished_games`] projects every
//!   game that is not finished yet;
//! - an instance died between its append and its publish: nothing anywhere says the game moved.
//!   [`Services::repair_projections`] sweeps the unfinished games at its start and then every
//!   [`SWEEP_EVERY`], [`SWEEP_PAGE`] games per round ([`Services::sweep_behind_read_models`]), and
//!   projects each one whose read model is behind its log.
//!
//! Every update here projects the game's state as the store has it, guarded by version, so it is
//! harmless when the read model was up to date already. Nothing here writes an event.

use std::time::Duration;

use tokio::time::Instant;

use crate::domain::GameStatus;

use super::ports::{GameCursor, GameListQuery};
use super::{ApplicationError, Services};

/// How often failed updates are tried again.
pub const REPAIR_EVERY: Duration = Duration::from_millis(250);

/// Pause between two sweeps of the unfinished games for read models behind their log (a sweep
/// longer than one page goes on every [`REPAIR_EVERY`] until it is through).
pub const SWEEP_EVERY: Duration = Duration::from_secs(5);

/// Most games [`Services::project_unfinished_games`] projects in one sweep.
pub const MAX_SWEPT_GAMES: usize = 10_000;

/// Games per page while sweeping.
pub const SWEEP_PAGE: usize = 200;

/// Where [`Services::sweep_behind_read_models`] goes on: which list (active, then waiting games)
/// and after which game.
#[derive(Debug, Clone, Default)]
pub struct SweepCursor {
    status: usize,
    after: Option<GameCursor>,
}

impl SweepCursor {
    /// True at the start of a sweep (a new one, or one that just went through every list).
    pub fn is_start(&self) -> bool {
        self.status == 0 && self.after.is_none()
    }
}

impl Services {
    /// Tries the games whose read-model update failed again, forever, every [`REPAIR_EVERY`]
    /// (the composition root runs it in the background).
    ///
    /// Between those rounds it sweeps the unfinished games for read models behind their log: the
    /// first sweep at once (an instance that died between an append and its publish is usually
    /// this one, restarted), then one every [`SWEEP_EVERY`], one page per round.
    pub async fn repair_projections(&self) {
        let mut tick = tokio::time::interval(REPAIR_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut sweep = SweepCursor::default();
        let mut next_sweep = Instant::now();
        loop {
            tick.tick().await;
            self.repair_failed_projections().await;
            if Instant::now() < next_sweep {
                continue;
            }
            match self.sweep_behind_read_models(&mut sweep).await {
                // Through the list: the next sweep after the pause.
                Ok(_) if sweep.is_start() => next_sweep = Instant::now() + SWEEP_EVERY,
                Ok(_) => {}
                Err(e) => {
                    tracing::debug!(error = %e, "read-model sweep failed; trying again shortly");
                    sweep = SweepCursor::default();
                    next_sweep = Instant::now() + REPAIR_EVERY * 4;
                }
            }
        }
    }

    /// One round of the sweep for read models behind their log: the next [`SWEEP_PAGE`] unfinished
    /// games after `cursor` (active ones, then waiting ones), each compared with its latest event
    /// id in the store and projected when its summary is behind. Moves `cursor` on (back to the
    /// start once both lists are through). Returns how many games were projected.
    pub async fn sweep_behind_read_models(
        &self,
        cursor: &mut SweepCursor,
    ) -> Result<usize, ApplicationError> {
        let statuses = [GameStatus::Active, GameStatus::Waiting];
        let Some(&status) = statuses.get(cursor.status) else {
            *cursor = SweepCursor::default();
            return Ok(0);
        };
        let page = self
            .ports
            .read_models
            .list_summaries(GameListQuery {
                status: Some(status),
                limit: SWEEP_PAGE,
                after: cursor.after.clone(),
            })
            .await?;
        let full = page.len() == SWEEP_PAGE;
        cursor.after = page.last().map(|last| GameCursor {
            created_at: last.created_at,
            game_id: last.game_id.clone(),
        });
        if !full {
            cursor.status += 1;
            cursor.after = None;
            if cursor.status == statuses.len() {
                *cursor = SweepCursor::default();
            }
        }
        let mut projected = 0;
        for summary in page {
            let latest = self.ports.store.latest_id(&summary.game_id).await?;
            if latest <= summary.version {
                continue;
            }
            match self.project_game(&summary.game_id).await {
                Ok(_) => projected += 1,
                Err(_) => self.projector.failed().add(&summary.game_id),
            }
            tracing::info!(game_id = %summary.game_id, from = summary.version, to = latest, "read model was behind the log; projected");
        }
        Ok(projected)
    }

    /// One round of [`Services::repair_projections`]: projects each remembered game; the ones
    /// that fail again stay remembered. Returns how many were brought up to date.
    pub async fn repair_failed_projections(&self) -> usize {
        let failed = self.projector.failed().clone();
        let games = failed.take();
        let mut repaired = 0;
        for game_id in games {
            match self.project_game(&game_id).await {
                Ok(_) => repaired += 1,
                Err(_) => failed.add(&game_id),
            }
        }
        if repaired > 0 {
            tracing::info!(
                repaired,
                "read models brought up to date after failed updates"
            );
        }
        repaired
    }

    /// Projects every waiting or running game (at most [`MAX_SWEPT_GAMES`]) from the store. For
    /// when the hints that drive projections may have been lost. Returns how many were projected.
    pub async fn project_unfinished_games(&self) -> Result<usize, ApplicationError> {
        let mut projected = 0;
        for status in [GameStatus::Active, GameStatus::Waiting] {
            let mut after = None;
            while projected < MAX_SWEPT_GAMES {
                let page = self
                    .ports
                    .read_models
                    .list_summaries(GameListQuery {
                        status: Some(status),
                        limit: SWEEP_PAGE,
                        after: after.take(),
                    })
                    .await?;
                let Some(last) = page.last() else { break };
                after = Some(super::ports::GameCursor {
                    created_at: last.created_at,
                    game_id: last.game_id.clone(),
                });
                let full = page.len() == SWEEP_PAGE;
                for summary in page {
                    if let Err(e) = self.project_game(&summary.game_id).await {
                        self.projector.failed().add(&summary.game_id);
                        tracing::warn!(game_id = %summary.game_id, error = %e, "sweep could not project a game; trying again shortly");
                    }
                    projected += 1;
                }
                if !full {
                    break;
                }
            }
        }
        tracing::info!(projected, "projected every unfinished game from the store");
        Ok(projected)
    }
}
