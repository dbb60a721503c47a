//! The database's tables, and the settings of the writing connection.
//!
//! ```text
//! batches    one row per command: the game, its first and last event id, the command id (if
//!            any), the commit time (ms since the epoch) and the events as a JSON array;
//!            primary key (game_id, first): a game's log is contiguous on disk, and an append at
//!            a taken position cannot happen. Unique (game_id, command_id) where one is set.
//! events     a view: one row per event, for operators (`sqlite3 data/caravan.db`).
//! summaries  one row per game: the summary as JSON, plus the columns lists sort and filter by.
//! results    one row per (game, seat) of a finished game.
//! ```
//!
//! The schema's version is SQLite's `user_version`; a database made by a newer version of the
//! server is refused rather than misread.

use std::path::Path;

use rusqlite::Connection;

/// The schema this code reads and writes.
const VERSION: i64 = 1;

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS batches (
    game_id    TEXT    NOT NULL,
    first      INTEGER NOT NULL,
    last       INTEGER NOT NULL,
    command_id TEXT,
    at         INTEGER NOT NULL,
    events     TEXT    NOT NULL,
    PRIMARY KEY (game_id, first)
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS batches_command
    ON batches (game_id, command_id) WHERE command_id IS NOT NULL;
CREATE VIEW IF NOT EXISTS events AS
    SELECT b.game_id,
           b.first + e.key AS event_id,
           b.command_id,
           datetime(b.at / 1000.0, 'unixepoch', 'subsec') AS at,
           json_extract(e.value, '$.type') AS type,
           json_extract(e.value, '$.data') AS data
    FROM batches AS b, json_each(b.events) AS e;
CREATE TABLE IF NOT EXISTS summaries (
    game_id    TEXT    NOT NULL PRIMARY KEY,
    status     TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    version    INTEGER NOT NULL,
    seated     INTEGER NOT NULL,
    summary    TEXT    NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS summaries_newest ON summaries (created_at, game_id);
CREATE INDEX IF NOT EXISTS summaries_status ON summaries (status, created_at, game_id);
CREATE TABLE IF NOT EXISTS results (
    game_id     TEXT    NOT NULL,
    seat        INTEGER NOT NULL,
    name        TEXT    NOT NULL,
    score       INTEGER NOT NULL,
    won         INTEGER NOT NULL,
    finished_at INTEGER NOT NULL,
    result      TEXT    NOT NULL,
    PRIMARY KEY (game_id, seat)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS results_by_name ON results (name, finished_at);
"#;

/// Opens the writing connection on `path` (creating the file), in WAL mode with full
/// synchronisation, and brings the schema up to date.
pub(super) fn open_writer(path: &Path) -> Result<Connection, String> {
    prepare(path).map_err(|e| match e {
        Refusal::Sqlite(e) => e.to_string(),
        Refusal::Schema(reason) => reason,
    })
}

/// Why the writing connection could not be prepared.
enum Refusal {
    Sqlite(rusqlite::Error),
    Schema(String),
}

impl From<rusqlite::Error> for Refusal {
    fn from(e: rusqlite::Error) -> Self {
        Refusal::Sqlite(e)
    }
}

fn prepare(path: &Path) -> Result<Connection, Refusal> {
    let connection = Connection::open(path)?;
    connection.busy_timeout(super::BUSY_TIMEOUT)?;
    let mode: String =
        connection.pragma_update_and_check(None, "journal_mode", "wal", |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(Refusal::Schema(format!(
            "the database cannot use a write-ahead log (journal_mode is {mode})"
        )));
    }
    connection.pragma_update(None, "synchronous", "FULL")?;
    // Checkpoint less often than SQLite's 1,000 pages: the same hot pages (a running game's
    // rows) are written back once per checkpoint, not once per thousand pages of WAL.
    connection.pragma_update(None, "wal_autocheckpoint", 10_000)?;
    connection.pragma_update(None, "foreign_keys", "OFF")?;
    let found: i64 = connection.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if found > VERSION {
        return Err(Refusal::Schema(format!(
            "the database has schema version {found}, newer than this server's {VERSION}: run a newer caravan"
        )));
    }
    connection.execute_batch(SCHEMA)?;
    connection.pragma_update(None, "user_version", VERSION)?;
    Ok(connection)
}
