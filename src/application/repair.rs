//! Read models that fell behind the log are brought up to date within a second of their store
//! answering again, without waiting for the game's next command or a rebuild.
//!
//! Two ways a read model falls behind:
//! - an update failed (the read-model store did not answer): the game is remembered in
//!   [`Projector::failed`](super::Projector::failed) and [`Services::repair_projections`] tries it
//!   again every [`REPAIR_EVERY`] until it succeeds;
//! - the hints that drive projections were lost (a Redis restarted without its data loses the
//!   projection stream's unread entries): [`Services::project_unfinished_games`] projects every
//!   game that is not finished yet.
//!
//! Every update here projects the game's state as the store has it, guarded by version, so it is
//! harmless when the read model was up to date already. Nothing here writes an event.

use std::time::Duration;

use crate::domain::GameStatus;

use super::ports::GameListQuery;
use super::{ApplicationError, Services};

/// How often failed updates are tried again.
pub const REPAIR_EVERY: Duration = Duration::from_millis(250);

/// Most games [`Services::project_unfinished_games`] projects in one sweep.
pub const MAX_SWEPT_GAMES: usize = 10_000;

/// Games per page while sweeping.
const SWEEP_PAGE: usize = 200;

impl Services {
    /// Tries the games whose read-model update failed again, forever, every [`REPAIR_EVERY`]
    /// (the composition root runs it in the background).
    pub async fn repair_projections(&self) {
        let mut tick = tokio::time::interval(REPAIR_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            self.repair_failed_projections().await;
        }
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
