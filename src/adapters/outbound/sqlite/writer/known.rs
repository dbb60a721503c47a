//! What the writer thread knows of the logs of the games it appended to lately, so that an append
//! needs no query: each game's last event id, and a hash of each command id stored for it.
//!
//! Before this, every append read the game's last row and scanned all of its rows for the command
//! id (about a third of the writer's time). Now a game's rows are read once, when the writer
//! first appends to it (or again after it was forgotten); a command id whose hash is known is
//! looked up in the table as before (a retry, or a collision of hashes), so the answer is always
//! the table's.
//!
//! Exact only while this thread is the database's only writer: it is turned off for a database
//! opened [`Shared`](super::super::Access::Shared). Nothing a transaction undid may stay known:
//! the writer forgets everything when a request or a transaction fails.

use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};

use hashlink::LruCache;
use rusqlite::Connection;

/// Games known at most (the least recently appended to are forgotten first): with a game's
/// hashes taking about 1 KiB once it has played out, a few MiB at most.
pub(super) const GAMES: usize = 4_096;

/// A game's log as this thread last wrote it.
pub(super) struct GameLog {
    /// The last event id (0: no events).
    pub latest: i64,
    /// Hashes of the command ids stored for the game.
    commands: HashSet<u64>,
}

impl GameLog {
    /// False when the command id is surely not stored for the game; true when it may be.
    pub fn may_hold(&self, command_id: &str) -> bool {
        self.commands.contains(&hash(command_id))
    }

    /// A batch was stored, up to `last`, with this command id.
    pub fn appended(&mut self, last: i64, command_id: Option<&str>) {
        self.latest = last;
        if let Some(id) = command_id {
            self.commands.insert(hash(id));
        }
    }
}

/// The games known, or nothing when turned off.
pub(super) struct Known(Option<LruCache<String, GameLog>>);

impl Known {
    /// Knows up to `games` games ([`GAMES`] in the writer).
    pub fn new(games: usize) -> Known {
        Known(Some(LruCache::new(games)))
    }

    /// Knows nothing: every append queries the table.
    pub fn off() -> Known {
        Known(None)
    }

    /// The game's log, read from the table when it is not known; `None` when turned off.
    pub fn log(
        &mut self,
        connection: &Connection,
        game_id: &str,
    ) -> rusqlite::Result<Option<&mut GameLog>> {
        let Some(games) = &mut self.0 else {
            return Ok(None);
        };
        if !games.contains_key(game_id) {
            games.insert(game_id.to_string(), read(connection, game_id)?);
        }
        Ok(games.get_mut(game_id))
    }

    /// Forgets every game (after a failure: what the database kept is read again).
    pub fn forget_all(&mut self) {
        if let Some(games) = &mut self.0 {
            games.clear();
        }
    }

    /// Games known now.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.0.as_ref().map_or(0, LruCache::len)
    }
}

/// A game's log from its rows (in event-id order, so the last row holds the last event id).
fn read(connection: &Connection, game_id: &str) -> rusqlite::Result<GameLog> {
    let mut select = connection
        .prepare_cached("SELECT last, command_id FROM batches WHERE game_id = ?1 ORDER BY first")?;
    let mut rows = select.query([game_id])?;
    let mut log = GameLog {
        latest: 0,
        commands: HashSet::new(),
    };
    while let Some(row) = rows.next()? {
        let command_id: Option<String> = row.get(1)?;
        log.appended(row.get(0)?, command_id.as_deref());
    }
    Ok(log)
}

fn hash(command_id: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    command_id.hash(&mut hasher);
    hasher.finish()
}
