//! The replay use case (`caravan replay`): one game's state rebuilt from its stored events, up to a
//! chosen event, for an operator. It reads; it never writes or projects.

use super::games::LoadedGame;
use super::ports::{StoreError, StoredEvent};
use super::Services;

/// A game rebuilt from its log.
#[derive(Debug)]
pub struct Replayed {
    /// The events read, in order (hidden information included).
    pub events: Vec<StoredEvent>,
    /// The state after them.
    pub game: LoadedGame,
}

/// Why a replay failed.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// The event store could not be read.
    #[error("cannot read the event store: {0}")]
    Store(#[from] StoreError),
    /// The store holds no event of this game.
    #[error("no events for game {0:?}")]
    NoEvents(String),
    /// An event id is missing from the log.
    #[error("the log of game {0:?} has a gap")]
    Gap(String),
}

impl Services {
    /// Reads `game_id`'s events (up to event `at`, all when `None`) and folds them into its state.
    pub async fn replay(&self, game_id: &str, at: Option<u64>) -> Result<Replayed, ReplayError> {
        let limit = at.map(|n| usize::try_from(n).unwrap_or(usize::MAX));
        let events = self.ports().store.read(game_id, 0, limit).await?;
        if events.is_empty() {
            return Err(ReplayError::NoEvents(game_id.to_string()));
        }
        let mut game = LoadedGame::empty();
        if !game.fold(&events) {
            return Err(ReplayError::Gap(game_id.to_string()));
        }
        Ok(Replayed { events, game })
    }
}
