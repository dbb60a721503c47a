//! Waiting games that never fill are closed: `WAITING_GAME_TIMEOUT_SECS` after its `GameCreated`,
//! a game whose seats are not all taken ends with `GameEnded` (reason `expired`, no winner), so
//! the log says why it ended and the game leaves the lobby's list of waiting games.
//!
//! Each instance sweeps now and then: it asks the read models for the waiting games created
//! before the cut-off (newest first, an index range, never a scan of every game) and closes each
//! through the normal command path ([`CommandService::expire_waiting`]), which decides on the
//! log's state and appends at the expected version. Two instances sweeping the same game, or a
//! join racing the close, cannot both win: the second writer meets a conflict, decides again on
//! the latest state, and finds the game closed (or full).

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::errors::ApplicationError;
use super::ports::{GameCursor, GameListQuery};
use super::Services;
use crate::domain::GameStatus;

/// Waiting games looked at per read-model page.
const PAGE: usize = 200;
/// Most waiting games one sweep closes (the next sweep goes on).
const MOST_PER_SWEEP: usize = 5_000;

/// How often an instance sweeps for a timeout: a tenth of it, between 1 s and 60 s.
pub fn sweep_interval(timeout: Duration) -> Duration {
    (timeout / 10).clamp(Duration::from_secs(1), Duration::from_secs(60))
}

/// Closes the games that have been waiting longer than `timeout` at `now`; how many it closed.
pub async fn close_expired_games(
    services: &Services,
    timeout: Duration,
    now: DateTime<Utc>,
) -> Result<usize, ApplicationError> {
    let timeout = chrono::Duration::from_std(timeout).unwrap_or(chrono::Duration::MAX);
    let Some(cutoff) = now.checked_sub_signed(timeout) else {
        return Ok(0);
    };
    // (created_at, id) below (cutoff, ""): every game created before the cut-off.
    let mut after = GameCursor {
        created_at: cutoff,
        game_id: String::new(),
    };
    let (mut seen, mut closed) = (0, 0);
    while seen < MOST_PER_SWEEP {
        let page = services
            .ports()
            .read_models
            .list_summaries(GameListQuery {
                status: Some(GameStatus::Waiting),
                limit: PAGE,
                after: Some(after.clone()),
            })
            .await?;
        for summary in &page {
            if services
                .commands
                .expire_waiting(&summary.game_id, timeout)
                .await?
            {
                closed += 1;
            }
        }
        seen += page.len();
        match page.last() {
            Some(last) if page.len() == PAGE => {
                after = GameCursor {
                    created_at: last.created_at,
                    game_id: last.game_id.clone(),
                };
            }
            _ => break,
        }
    }
    Ok(closed)
}

/// Sweeps every [`sweep_interval`] for as long as it runs (the server aborts it when it stops).
pub async fn run_sweeps(services: std::sync::Arc<Services>, timeout: Duration) {
    let mut ticks = tokio::time::interval(sweep_interval(timeout));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let now = services.ports().clock.now();
        match close_expired_games(&services, timeout, now).await {
            Ok(0) => {}
            Ok(closed) => tracing::info!(closed, "closed games that waited too long for players"),
            Err(e) => {
                tracing::warn!(error = %e, "sweep of waiting games failed; trying again later")
            }
        }
    }
}
