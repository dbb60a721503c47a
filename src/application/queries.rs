//! Query use cases. Lists, results, the leaderboard and stats read the read models only; a game's
//! view and its events come from the event log (the cache for the current state), always redacted:
//! nothing returned here contains the deck order or the seed.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::{Game, GameStatus, GameView, PlayerId, Viewer};

use super::errors::ApplicationError;
use super::games::HotGames;
use super::ids::check_game_id;
use super::ports::{
    GameCursor, GameListQuery, GameSummary, LeaderboardEntry, PlayerClaims, PlayerResult, Ports,
    StoredEvent,
};
use super::RuntimeCounters;

/// Largest page of games or events.
pub const MAX_PAGE: usize = 1000;
/// Page size when none is asked for.
pub const DEFAULT_PAGE: usize = 50;

/// A game's state as one viewer sees it, at a version.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ViewAt {
    /// The game.
    pub game_id: String,
    /// The id of the last event folded into `state`.
    pub last_event_id: u64,
    /// What the viewer may see.
    pub state: GameView,
}

/// A page of game summaries.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GamePage {
    /// The games, newest first.
    pub games: Vec<GameSummary>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// Counts for dashboards.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServerStats {
    /// Games by status (from the read models).
    pub games: GameCounts,
    /// Events stored over all games.
    pub events: u64,
    /// Seats taken over all games.
    pub players: u64,
    /// Live game feeds open in this instance (one per WebSocket connection).
    pub open_connections: u64,
    /// Commands handled by this instance since it started.
    pub commands_total: u64,
    /// Seconds since this instance started.
    pub uptime_secs: u64,
}

/// Games by status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct GameCounts {
    /// Waiting for players.
    pub waiting: u64,
    /// Running.
    pub active: u64,
    /// Ended.
    pub finished: u64,
}

/// The query side of the application.
#[derive(Clone)]
pub struct QueryService {
    ports: Ports,
    games: Arc<HotGames>,
    counters: Arc<RuntimeCounters>,
}

impl QueryService {
    /// A query service over the given ports and shared game cache.
    pub fn new(ports: Ports, games: Arc<HotGames>, counters: Arc<RuntimeCounters>) -> Self {
        QueryService {
            ports,
            games,
            counters,
        }
    }

    /// A page of summaries, newest first, optionally of one status.
    pub async fn list_games(
        &self,
        status: Option<GameStatus>,
        limit: Option<usize>,
        cursor: Option<&str>,
    ) -> Result<GamePage, ApplicationError> {
        let limit = page_size(limit)?;
        let after = cursor.map(decode_cursor).transpose()?;
        let mut games = self
            .ports
            .read_models
            .list_summaries(GameListQuery {
                status,
                limit: limit + 1,
                after,
            })
            .await?;
        let next_cursor = if games.len() > limit {
            games.truncate(limit);
            games.last().map(encode_cursor)
        } else {
            None
        };
        Ok(GamePage { games, next_cursor })
    }

    /// One game's summary.
    pub async fn summary(&self, game_id: &str) -> Result<GameSummary, ApplicationError> {
        check_game_id(game_id)?;
        self.ports
            .read_models
            .summary(game_id)
            .await?
            .ok_or_else(|| ApplicationError::game_not_found(game_id))
    }

    /// The current state as `viewer` sees it.
    pub async fn view(&self, game_id: &str, viewer: Viewer) -> Result<ViewAt, ApplicationError> {
        check_game_id(game_id)?;
        let loaded = self.games.latest(game_id).await?;
        if loaded.version() == 0 {
            return Err(ApplicationError::game_not_found(game_id));
        }
        Ok(ViewAt {
            game_id: game_id.to_string(),
            last_event_id: loaded.version(),
            state: loaded.game.view(viewer),
        })
    }

    /// The current state as the holder of `player`'s token sees it: that seat's view while the
    /// token's player still holds the seat in this game, a spectator's otherwise (a token for another
    /// game, or of a player who left before the start and whose seat someone else may now hold).
    pub async fn view_for(
        &self,
        game_id: &str,
        player: Option<&PlayerClaims>,
    ) -> Result<ViewAt, ApplicationError> {
        check_game_id(game_id)?;
        let loaded = self.games.latest(game_id).await?;
        if loaded.version() == 0 {
            return Err(ApplicationError::game_not_found(game_id));
        }
        let viewer = viewer_for(&loaded.game, game_id, player);
        Ok(ViewAt {
            game_id: game_id.to_string(),
            last_event_id: loaded.version(),
            state: loaded.game.view(viewer),
        })
    }

    /// The public state as it was right after event `at` (1 = after `GameCreated`).
    pub async fn view_at(&self, game_id: &str, at: u64) -> Result<ViewAt, ApplicationError> {
        check_game_id(game_id)?;
        if at == 0 {
            return Err(ApplicationError::invalid(
                "invalid_version",
                "at must be at least 1",
            ));
        }
        match self.games.at(game_id, at).await? {
            Some(loaded) => Ok(ViewAt {
                game_id: game_id.to_string(),
                last_event_id: at,
                state: loaded.game.view(Viewer::Spectator),
            }),
            None => {
                let latest = self.ports.store.latest_id(game_id).await?;
                if latest == 0 {
                    Err(ApplicationError::game_not_found(game_id))
                } else {
                    Err(ApplicationError::NotFound {
                        code: "event_not_found",
                        message: format!(
                            "the game has {latest} events; at={at} is beyond the last"
                        ),
                    })
                }
            }
        }
    }

    /// Public events with id > `after`, at most `limit` (default 50, at most 1000).
    pub async fn events(
        &self,
        game_id: &str,
        after: u64,
        limit: Option<usize>,
    ) -> Result<Vec<StoredEvent>, ApplicationError> {
        check_game_id(game_id)?;
        let limit = page_size(limit.or(Some(MAX_PAGE)))?;
        let events = self.ports.store.read(game_id, after, Some(limit)).await?;
        if events.is_empty() {
            self.ensure_exists(game_id).await?;
        }
        Ok(events.iter().map(StoredEvent::public).collect())
    }

    /// Public events committed in `since <= t < until`, at most `limit`.
    pub async fn events_between(
        &self,
        game_id: &str,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: Option<usize>,
    ) -> Result<Vec<StoredEvent>, ApplicationError> {
        check_game_id(game_id)?;
        if until <= since {
            return Err(ApplicationError::invalid(
                "invalid_range",
                "until must be later than since",
            ));
        }
        let limit = page_size(limit.or(Some(MAX_PAGE)))?;
        let events = self
            .ports
            .store
            .read_range(game_id, since, until, Some(limit))
            .await?;
        if events.is_empty() {
            self.ensure_exists(game_id).await?;
        }
        Ok(events.iter().map(StoredEvent::public).collect())
    }

    async fn ensure_exists(&self, game_id: &str) -> Result<(), ApplicationError> {
        if self.ports.store.latest_id(game_id).await? == 0 {
            Err(ApplicationError::game_not_found(game_id))
        } else {
            Ok(())
        }
    }

    /// Names by wins, then total score.
    pub async fn leaderboard(
        &self,
        limit: Option<usize>,
    ) -> Result<Vec<LeaderboardEntry>, ApplicationError> {
        let limit = page_size(limit)?;
        Ok(self.ports.read_models.leaderboard(limit).await?)
    }

    /// Every finished game played under `name`, newest first.
    pub async fn player_results(
        &self,
        name: &str,
        limit: Option<usize>,
    ) -> Result<Vec<PlayerResult>, ApplicationError> {
        let limit = page_size(limit)?;
        Ok(self.ports.read_models.player_results(name, limit).await?)
    }

    /// Counts for dashboards.
    pub async fn stats(&self) -> Result<ServerStats, ApplicationError> {
        let read = self.ports.read_models.stats().await?;
        Ok(ServerStats {
            games: GameCounts {
                waiting: read.games_waiting,
                active: read.games_active,
                finished: read.games_finished,
            },
            events: read.events,
            players: read.players,
            open_connections: self.counters.open_feeds(),
            commands_total: self.counters.commands(),
            uptime_secs: self.counters.uptime_secs(),
        })
    }
}

/// Who the holder of `player`'s token is in `game`: the token's seat while its player holds it.
pub(crate) fn viewer_for(game: &Game, game_id: &str, player: Option<&PlayerClaims>) -> Viewer {
    match player {
        Some(claims)
            if claims.game_id == game_id
                && game.seat_of(&PlayerId::new(claims.player_id.clone())) == Some(claims.seat) =>
        {
            Viewer::Seat(claims.seat)
        }
        _ => Viewer::Spectator,
    }
}

fn page_size(limit: Option<usize>) -> Result<usize, ApplicationError> {
    match limit {
        None => Ok(DEFAULT_PAGE),
        Some(n) if (1..=MAX_PAGE).contains(&n) => Ok(n),
        Some(_) => Err(ApplicationError::invalid(
            "invalid_limit",
            format!("limit must be between 1 and {MAX_PAGE}"),
        )),
    }
}

/// `<created_at in ns>.<game_id>`: opaque to clients, stable under concurrent updates, and exact
/// (a coarser time would skip games created within the same millisecond).
fn encode_cursor(summary: &GameSummary) -> String {
    let nanos = summary.created_at.timestamp_nanos_opt().unwrap_or(i64::MAX);
    format!("{nanos}.{}", summary.game_id)
}

fn decode_cursor(cursor: &str) -> Result<GameCursor, ApplicationError> {
    let bad = || {
        ApplicationError::invalid(
            "invalid_cursor",
            "the cursor is not one this server gave out",
        )
    };
    let (nanos, game_id) = cursor.split_once('.').ok_or_else(bad)?;
    let nanos: i64 = nanos.parse().map_err(|_| bad())?;
    let created_at = DateTime::from_timestamp_nanos(nanos);
    check_game_id(game_id).map_err(|_| bad())?;
    Ok(GameCursor {
        created_at,
        game_id: game_id.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_cursor_survives_the_round_trip() {
        let summary = GameSummary {
            game_id: "g-1".into(),
            status: GameStatus::Waiting,
            num_players: 2,
            players: vec![],
            current_seat: None,
            round: 0,
            winner: None,
            version: 1,
            created_at: Utc.timestamp_nanos(1_700_000_000_123_456_789),
            updated_at: Utc::now(),
        };
        let cursor = decode_cursor(&encode_cursor(&summary)).unwrap();
        assert_eq!(cursor.created_at, summary.created_at);
        assert_eq!(cursor.game_id, "g-1");
        assert!(decode_cursor("garbage").is_err());
        assert!(decode_cursor("12.bad id").is_err());
    }

    #[test]
    fn page_sizes_are_bounded() {
        assert_eq!(page_size(None).unwrap(), DEFAULT_PAGE);
        assert!(page_size(Some(0)).is_err());
        assert!(page_size(Some(MAX_PAGE + 1)).is_err());
    }
}
