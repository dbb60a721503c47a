//! Read-model updates: from a game's state after some events to the documents queries read.
//!
//! Every update is derived from the state of ONE game at a known version, never from "the highest
//! id seen so far" across games, so updates that arrive out of order are harmless: the summary
//! upsert is guarded by version, results are keyed by (game, seat), and the counts in stats are
//! recomputed from the summaries. Everything here can be rebuilt from the events alone
//! ([`Projector::rebuild`]).

use std::sync::Arc;

use crate::domain::{EndReason, Event, GameStatus};

use super::games::LoadedGame;
use super::ports::{
    EventStore, GameSummary, Metrics, PlayerResult, ReadModelError, ReadModels, SeatSummary,
    StoreError,
};

/// The summary of a game at its current version. `None` for a game with no events.
pub fn summarize(game_id: &str, loaded: &LoadedGame) -> Option<GameSummary> {
    let (created_at, updated_at) = (loaded.created_at?, loaded.updated_at?);
    let game = &loaded.game;
    // Straight from the game: the summary runs after every command, and building a whole view
    // (rows, hands, played cards) for these few fields showed in profiles.
    Some(GameSummary {
        game_id: game_id.to_string(),
        status: game.status(),
        num_players: game.num_players(),
        players: game
            .players()
            .iter()
            .zip(game.scores())
            .map(|(p, score)| SeatSummary {
                seat: p.seat,
                player_id: p.player_id.to_string(),
                name: p.name.clone(),
                left: p.left,
                score: score.total,
            })
            .collect(),
        current_seat: game.current_seat(),
        round: game.round(),
        winner: game.winner(),
        version: game.version(),
        created_at,
        updated_at,
    })
}

/// Every seat's result, once the game has ended by the rules; empty before, and for a game that
/// ended any other way (every other player left, or the seats never filled): the leaderboard
/// counts games that were played out, so a name cannot collect wins from opponents who walk away.
pub fn results(game_id: &str, loaded: &LoadedGame) -> Vec<PlayerResult> {
    let game = &loaded.game;
    let (GameStatus::Finished, Some(finished_at)) = (game.status(), loaded.updated_at) else {
        return Vec::new();
    };
    if game.end_reason() != Some(EndReason::PointCards) {
        return Vec::new();
    }
    let winner = game.winner();
    let num_players = game.players().len() as u8;
    game.scores()
        .into_iter()
        .filter_map(|score| {
            let player = game.player(score.seat)?;
            Some(PlayerResult {
                game_id: game_id.to_string(),
                seat: score.seat,
                player_id: player.player_id.to_string(),
                name: score.name.clone(),
                score: score.total,
                won: winner == Some(score.seat),
                forfeited: score.forfeited,
                num_players,
                finished_at,
            })
        })
        .collect()
}

/// Writes read models after commands, and rebuilds them.
#[derive(Clone)]
pub struct Projector {
    read_models: Arc<dyn ReadModels>,
    metrics: Arc<dyn Metrics>,
    /// Games whose last update failed, for [`crate::application::repair`] to try again soon.
    failed: Arc<FailedGames>,
}

/// Most games remembered as failed at once; past it the oldest failures wait for the next
/// command or a rebuild (never an unbounded set).
pub const MAX_FAILED_GAMES: usize = 10_000;

/// The games whose read-model update failed, bounded by [`MAX_FAILED_GAMES`].
#[derive(Debug, Default)]
pub struct FailedGames(parking_lot::Mutex<std::collections::HashSet<String>>);

impl FailedGames {
    /// Remembers that `game_id`'s read models are behind.
    pub fn add(&self, game_id: &str) {
        let mut games = self.0.lock();
        if games.len() < MAX_FAILED_GAMES {
            games.insert(game_id.to_string());
        }
    }

    /// Takes every remembered game.
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock()).into_iter().collect()
    }

    /// How many are remembered.
    pub fn len(&self) -> usize {
        self.0.lock().len()
    }

    /// None are remembered.
    pub fn is_empty(&self) -> bool {
        self.0.lock().is_empty()
    }
}

/// What a rebuild did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RebuildReport {
    /// Games projected.
    pub games: u64,
    /// Events replayed.
    pub events: u64,
    /// Games whose log could not be replayed (a gap): left out and logged.
    pub skipped: u64,
}

/// Why a rebuild stopped.
#[derive(Debug, thiserror::Error)]
pub enum RebuildError {
    /// Reading the events failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Writing the read models failed.
    #[error(transparent)]
    ReadModels(#[from] ReadModelError),
}

impl Projector {
    /// A projector writing to `read_models`.
    pub fn new(read_models: Arc<dyn ReadModels>, metrics: Arc<dyn Metrics>) -> Self {
        Projector {
            read_models,
            metrics,
            failed: Arc::default(),
        }
    }

    /// The games whose last update failed (shared by every clone of this projector).
    pub fn failed(&self) -> &Arc<FailedGames> {
        &self.failed
    }

    /// Updates the read models of one game from its state after `events`. Failures are counted,
    /// logged and remembered in [`Projector::failed`], not returned: the events are committed, and
    /// the repair task brings the read models up to date once they answer again.
    pub async fn project(
        &self,
        game_id: &str,
        loaded: &LoadedGame,
        events: &[crate::application::ports::StoredEvent],
    ) {
        if let Err(e) = self.try_project(game_id, loaded, events).await {
            self.metrics.projection_failed();
            self.failed.add(game_id);
            tracing::warn!(game_id, error = %e, "read model update failed; trying again shortly");
        }
    }

    async fn try_project(
        &self,
        game_id: &str,
        loaded: &LoadedGame,
        events: &[crate::application::ports::StoredEvent],
    ) -> Result<(), ReadModelError> {
        if let Some(summary) = summarize(game_id, loaded) {
            self.read_models.upsert_summary(summary).await?;
        }
        if events
            .iter()
            .any(|e| matches!(e.event, Event::GameEnded { .. }))
        {
            let results = results(game_id, loaded);
            if !results.is_empty() {
                self.read_models.record_results(results).await?;
            }
        }
        Ok(())
    }

    /// Writes the read models of one game from its state: the summary (version-guarded) and, once
    /// the game has ended, every seat's result (recorded once). Idempotent, and safe in any order:
    /// for drivers that see committed batches late, twice, or out of order.
    pub async fn project_state(
        &self,
        game_id: &str,
        loaded: &LoadedGame,
    ) -> Result<(), ReadModelError> {
        if let Some(summary) = summarize(game_id, loaded) {
            self.read_models.upsert_summary(summary).await?;
        }
        let results = results(game_id, loaded);
        if !results.is_empty() {
            self.read_models.record_results(results).await?;
        }
        Ok(())
    }

    /// Writes the read-model updates the adapter holds back (see [`ReadModels::flush`]); the
    /// server calls it when it stops.
    pub async fn flush(&self) -> Result<(), ReadModelError> {
        self.read_models.flush().await
    }

    /// Clears the read models and projects every game in the store again.
    pub async fn rebuild(&self, store: &dyn EventStore) -> Result<RebuildReport, RebuildError> {
        self.read_models.clear().await?;
        let mut report = RebuildReport::default();
        for game_id in store.game_ids().await? {
            let events = store.read(&game_id, 0, None).await?;
            let mut loaded = LoadedGame::empty();
            if !loaded.fold(&events) {
                tracing::error!(game_id, "the game's log has a gap: left out of the rebuild");
                report.skipped += 1;
                continue;
            }
            if let Some(summary) = summarize(&game_id, &loaded) {
                self.read_models.upsert_summary(summary).await?;
            }
            let results = results(&game_id, &loaded);
            if !results.is_empty() {
                self.read_models.record_results(results).await?;
            }
            report.games += 1;
            report.events += events.len() as u64;
        }
        // The caller may exit next (`caravan rebuild-projections`).
        self.read_models.flush().await?;
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::application::ports::MockReadModels;
    use crate::application::ports::{MockEventStore, NoMetrics};
    use crate::application::testing::{history, stored};
    use crate::domain::random_player::play_game;

    #[test]
    fn a_summary_agrees_with_the_spectator_view_at_every_version() {
        let events = play_game(4, 5, 5_000);
        let mut loaded = LoadedGame::empty();
        for (i, event) in events.iter().enumerate() {
            let stored_event = crate::application::ports::StoredEvent {
                game_id: "g".into(),
                event_id: i as u64 + 1,
                command_id: None,
                timestamp: chrono::Utc::now(),
                event: event.clone(),
            };
            assert!(loaded.fold([&stored_event]));
            let summary = summarize("g", &loaded).unwrap();
            let view = loaded.game.view(crate::domain::Viewer::Spectator);
            assert_eq!(summary.status, view.status);
            assert_eq!(summary.num_players, view.num_players);
            assert_eq!(summary.current_seat, view.current_seat);
            assert_eq!(summary.round, view.round);
            assert_eq!(summary.winner, view.winner);
            let seats: Vec<_> = view
                .players
                .iter()
                .map(|p| {
                    (
                        p.seat,
                        p.player_id.to_string(),
                        p.name.clone(),
                        p.left,
                        p.score,
                    )
                })
                .collect();
            let summarized: Vec<_> = summary
                .players
                .iter()
                .map(|p| (p.seat, p.player_id.clone(), p.name.clone(), p.left, p.score))
                .collect();
            assert_eq!(summarized, seats);
        }
    }

    fn finished_game() -> (LoadedGame, Vec<crate::application::ports::StoredEvent>) {
        let events = play_game(3, 11, 5_000);
        assert!(
            matches!(events.last(), Some(Event::GameEnded { .. })),
            "the bots finish"
        );
        let log = stored("g", 0, events, None);
        let mut loaded = LoadedGame::empty();
        assert!(loaded.fold(&log));
        (loaded, log)
    }

    #[test]
    fn a_summary_follows_the_public_view() {
        let (_, log) = history(3, 2);
        let mut loaded = LoadedGame::empty();
        loaded.fold(&log);
        let summary = summarize("g", &loaded).unwrap();
        assert_eq!(summary.status, GameStatus::Waiting);
        assert_eq!(summary.version, log.len() as u64);
        assert_eq!(summary.players.len(), 2);
        assert!(summarize("g", &LoadedGame::empty()).is_none());
    }

    #[test]
    fn results_exist_only_for_a_finished_game_and_name_one_winner() {
        let (_, log) = history(2, 2);
        let mut running = LoadedGame::empty();
        running.fold(&log);
        assert!(results("g", &running).is_empty());

        let (finished, _) = finished_game();
        let results = results("g", &finished);
        assert_eq!(results.len(), 3);
        assert_eq!(results.iter().filter(|r| r.won).count(), 1);
        let winner = finished.game.winner().unwrap();
        assert!(results.iter().any(|r| r.won && r.seat == winner));
    }

    #[test]
    fn a_game_won_because_the_others_left_records_no_results() {
        let (mut game, log) = history(2, 2);
        let mut events: Vec<Event> = log.into_iter().map(|e| e.event).collect();
        let leaver = crate::domain::Actor::Player(crate::domain::PlayerId::new(
            crate::application::testing::pid(1),
        ));
        crate::application::testing::play(
            &mut game,
            &mut events,
            &leaver,
            &crate::domain::Command::Leave,
        );
        assert_eq!(game.end_reason(), Some(EndReason::LastPlayerStanding));
        let mut loaded = LoadedGame::empty();
        assert!(loaded.fold(&stored("g", 0, events, None)));
        assert_eq!(loaded.game.status(), GameStatus::Finished);
        assert!(results("g", &loaded).is_empty());
    }

    #[tokio::test]
    async fn a_rebuild_clears_then_projects_every_game_from_its_events() {
        let (_, log) = finished_game();
        let mut store = MockEventStore::new();
        store
            .expect_game_ids()
            .returning(|| Ok(vec!["g".to_string()]));
        let all = log.clone();
        store.expect_read().returning(move |_, _, _| {
            let all = all.clone();
            Ok(all)
        });
        let mut models = MockReadModels::new();
        let mut order = mockall::Sequence::new();
        models
            .expect_clear()
            .times(1)
            .in_sequence(&mut order)
            .returning(|| Ok(()));
        let version = log.len() as u64;
        models
            .expect_upsert_summary()
            .withf(move |s| s.version == version && s.status == GameStatus::Finished)
            .times(1)
            .in_sequence(&mut order)
            .returning(|_| Ok(()));
        models
            .expect_record_results()
            .withf(|r| r.len() == 3)
            .times(1)
            .in_sequence(&mut order)
            .returning(|_| Ok(()));
        models
            .expect_flush()
            .times(1)
            .in_sequence(&mut order)
            .returning(|| Ok(()));
        let projector = Projector::new(Arc::new(models), Arc::new(NoMetrics));
        let store: Arc<dyn EventStore> = Arc::new(store);
        let report = projector.rebuild(store.as_ref()).await.unwrap();
        assert_eq!(
            report,
            RebuildReport {
                games: 1,
                events: version,
                skipped: 0
            }
        );
    }
}
