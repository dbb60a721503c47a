//! Read models in process memory. Lost at exit; with a durable event store the composition root
//! rebuilds them from the events at start-up.

use std::collections::{BTreeMap, HashMap};

use parking_lot::RwLock;

use crate::application::ports::{
    GameListQuery, GameSummary, LeaderboardEntry, PlayerResult, ReadModelError, ReadModels,
    ReadStats,
};
use crate::domain::{GameStatus, Seat};

#[derive(Default)]
struct Models {
    summaries: HashMap<String, GameSummary>,
    results: BTreeMap<(String, Seat), PlayerResult>,
}

/// The in-memory [`ReadModels`].
#[derive(Default)]
pub struct MemoryReadModels {
    models: RwLock<Models>,
}

impl MemoryReadModels {
    /// Empty read models.
    pub fn new() -> Self {
        Self::default()
    }
}

impl ReadModels for MemoryReadModels {
    async fn upsert_summary(&self, summary: GameSummary) -> Result<bool, ReadModelError> {
        let mut models = self.models.write();
        match models.summaries.get(&summary.game_id) {
            Some(stored) if stored.version >= summary.version => Ok(false),
            _ => {
                models.summaries.insert(summary.game_id.clone(), summary);
                Ok(true)
            }
        }
    }

    async fn record_results(&self, results: Vec<PlayerResult>) -> Result<(), ReadModelError> {
        let mut models = self.models.write();
        for result in results {
            models
                .results
                .entry((result.game_id.clone(), result.seat))
                .or_insert(result);
        }
        Ok(())
    }

    async fn summary(&self, game_id: &str) -> Result<Option<GameSummary>, ReadModelError> {
        Ok(self.models.read().summaries.get(game_id).cloned())
    }

    async fn list_summaries(
        &self,
        query: GameListQuery,
    ) -> Result<Vec<GameSummary>, ReadModelError> {
        let models = self.models.read();
        let mut games: Vec<&GameSummary> = models
            .summaries
            .values()
            .filter(|s| query.status.map_or(true, |status| s.status == status))
            .filter(|s| {
                query.after.as_ref().map_or(true, |cursor| {
                    (s.created_at, s.game_id.as_str())
                        < (cursor.created_at, cursor.game_id.as_str())
                })
            })
            .collect();
        games.sort_unstable_by(|a, b| (b.created_at, &b.game_id).cmp(&(a.created_at, &a.game_id)));
        Ok(games.into_iter().take(query.limit).cloned().collect())
    }

    async fn player_results(
        &self,
        name: &str,
        limit: usize,
    ) -> Result<Vec<PlayerResult>, ReadModelError> {
        let models = self.models.read();
        let mut results: Vec<PlayerResult> = models
            .results
            .values()
            .filter(|r| r.name == name)
            .cloned()
            .collect();
        results.sort_unstable_by(|a, b| {
            b.finished_at
                .cmp(&a.finished_at)
                .then_with(|| a.game_id.cmp(&b.game_id))
        });
        results.truncate(limit);
        Ok(results)
    }

    async fn leaderboard(&self, limit: usize) -> Result<Vec<LeaderboardEntry>, ReadModelError> {
        let models = self.models.read();
        let mut by_name: HashMap<&str, LeaderboardEntry> = HashMap::new();
        for result in models.results.values() {
            let entry = by_name
                .entry(result.name.as_str())
                .or_insert_with(|| LeaderboardEntry {
                    name: result.name.clone(),
                    games: 0,
                    wins: 0,
                    total_score: 0,
                    best_score: 0,
                });
            entry.games += 1;
            entry.wins += u32::from(result.won);
            entry.total_score += u64::from(result.score);
            entry.best_score = entry.best_score.max(result.score);
        }
        let mut entries: Vec<LeaderboardEntry> = by_name.into_values().collect();
        entries.sort_unstable_by(|a, b| {
            b.wins
                .cmp(&a.wins)
                .then(b.total_score.cmp(&a.total_score))
                .then_with(|| a.name.cmp(&b.name))
        });
        entries.truncate(limit);
        Ok(entries)
    }

    async fn stats(&self) -> Result<ReadStats, ReadModelError> {
        let models = self.models.read();
        let mut stats = ReadStats::default();
        for summary in models.summaries.values() {
            match summary.status {
                GameStatus::Waiting => stats.games_waiting += 1,
                GameStatus::Active => stats.games_active += 1,
                GameStatus::Finished => stats.games_finished += 1,
                GameStatus::New => {}
            }
            stats.events += summary.version;
            stats.players += summary.players.len() as u64;
        }
        Ok(stats)
    }

    async fn clear(&self) -> Result<(), ReadModelError> {
        let mut models = self.models.write();
        models.summaries.clear();
        models.results.clear();
        Ok(())
    }
}
