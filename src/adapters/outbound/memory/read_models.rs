//! Read models in process memory. Lost at exit; with a durable event store the composition root
//! rebuilds them from the events at start-up.
//!
//! Game lists are served from ordered indexes (all games, and each status, by creation time and
//! id), so a page costs its own size, not a sort of every game.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};

use parking_lot::RwLock;

use crate::application::ports::{
    GameListQuery, GameSummary, LeaderboardEntry, PlayerResult, ReadModelError, ReadModels,
    ReadStats,
};
use crate::domain::{GameStatus, Seat};

/// A game's place in the lists: newest last.
type ListKey = (DateTime<Utc>, String);

#[derive(Default)]
struct Models {
    summaries: HashMap<String, GameSummary>,
    results: BTreeMap<(String, Seat), PlayerResult>,
    /// Every game by (created_at, id).
    newest: BTreeSet<ListKey>,
    /// The games of each status by (created_at, id).
    by_status: HashMap<GameStatus, BTreeSet<ListKey>>,
}

fn list_key(summary: &GameSummary) -> ListKey {
    (summary.created_at, summary.game_id.clone())
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

#[async_trait::async_trait]
impl ReadModels for MemoryReadModels {
    async fn upsert_summary(&self, summary: GameSummary) -> Result<(), ReadModelError> {
        let mut guard = self.models.write();
        let models = &mut *guard;
        match models.summaries.get(&summary.game_id) {
            Some(stored) if stored.version >= summary.version => Ok(()),
            stored => {
                if let Some(stored) = stored {
                    let key = list_key(stored);
                    if let Some(set) = models.by_status.get_mut(&stored.status) {
                        set.remove(&key);
                    }
                    models.newest.remove(&key);
                }
                let key = list_key(&summary);
                models.newest.insert(key.clone());
                models
                    .by_status
                    .entry(summary.status)
                    .or_default()
                    .insert(key);
                models.summaries.insert(summary.game_id.clone(), summary);
                Ok(())
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
        let index = match query.status {
            None => Some(&models.newest),
            Some(status) => models.by_status.get(&status),
        };
        let Some(index) = index else {
            return Ok(Vec::new());
        };
        let keys: Box<dyn Iterator<Item = &ListKey>> = match query.after {
            Some(cursor) => Box::new(index.range(..(cursor.created_at, cursor.game_id)).rev()),
            None => Box::new(index.iter().rev()),
        };
        Ok(keys
            .take(query.limit)
            .filter_map(|(_, id)| models.summaries.get(id).cloned())
            .collect())
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
        models.newest.clear();
        models.by_status.clear();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn summary(id: &str, status: GameStatus, version: u64, created: i64) -> GameSummary {
        GameSummary {
            game_id: id.into(),
            status,
            num_players: 2,
            players: vec![],
            current_seat: None,
            round: 0,
            winner: None,
            version,
            created_at: Utc.timestamp_opt(created, 0).unwrap(),
            updated_at: Utc.timestamp_opt(created, 0).unwrap(),
        }
    }

    async fn ids(models: &MemoryReadModels, status: Option<GameStatus>) -> Vec<String> {
        let query = GameListQuery {
            status,
            limit: 100,
            after: None,
        };
        let page = models.list_summaries(query).await.unwrap();
        page.into_iter().map(|s| s.game_id).collect()
    }

    #[tokio::test]
    async fn a_game_moves_between_the_status_lists_as_its_summary_changes() {
        let models = MemoryReadModels::new();
        for (i, id) in ["a", "b", "c"].iter().enumerate() {
            models
                .upsert_summary(summary(id, GameStatus::Waiting, 1, i as i64))
                .await
                .unwrap();
        }
        models
            .upsert_summary(summary("b", GameStatus::Active, 2, 1))
            .await
            .unwrap();
        // An older version changes nothing.
        models
            .upsert_summary(summary("b", GameStatus::Waiting, 1, 1))
            .await
            .unwrap();
        assert_eq!(ids(&models, Some(GameStatus::Waiting)).await, ["c", "a"]);
        assert_eq!(ids(&models, Some(GameStatus::Active)).await, ["b"]);
        assert_eq!(ids(&models, None).await, ["c", "b", "a"]);
        assert!(ids(&models, Some(GameStatus::Finished)).await.is_empty());
        models.clear().await.unwrap();
        assert!(ids(&models, None).await.is_empty());
    }
}
