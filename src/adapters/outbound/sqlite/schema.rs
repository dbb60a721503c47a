//! The database's tables, and the settings of the writing connection.
//!
//! ```text
//! batches    one row per command: the game, its first and last event id, the command id (if
//!            any), the commit time (ms since the epoch) and the row of `payloads` holding its
//!            events; primary key (game_id, first): a game's log is contiguous on disk, and an
//!            append at a taken position cannot happen. The writer refuses a command id already
//!            in the game's rows before it inserts.
//! payloads   the events of each batch as a JSON array, in commit order. Kept apart from
//!            `batches` so that the rows an append lands among stay small: a commit then rewrites
//!            one page of `batches` per game and appends to the end of `payloads`, instead of
//!            splitting pages of kilobyte-long rows among the game's others.
//! events     a view: one row per event, for operators (`sqlite3 data/caravan.db`).
//! summaries  one row per game: the summary as JSON, plus the columns lists sort and filter by.
//! results    one row per (game, seat) of a finished game.
//! ```
//!
//! The schema's version is SQLite's `user_version`; a database made by a newer version of the
//! server is refused rather than misread, and one made by an older version is brought up to
//! date, in one transaction, when the server opens it.

use std::path::Path;

use rusqlite::config::DbConfig;
use rusqlite::{Connection, TransactionBehavior};

/// The schema this code reads and writes.
const VERSION: i64 = 2;

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS payloads (
    id     INTEGER PRIMARY KEY,
    events TEXT    NOT NULL
);
CREATE TABLE IF NOT EXISTS batches (
    game_id    TEXT    NOT NULL,
    first      INTEGER NOT NULL,
    last       INTEGER NOT NULL,
    command_id TEXT,
    at         INTEGER NOT NULL,
    payload    INTEGER NOT NULL,
    PRIMARY KEY (game_id, first)
) WITHOUT ROWID;
CREATE VIEW IF NOT EXISTS events AS
    SELECT b.game_id,
           b.first + e.key AS event_id,
           b.command_id,
           datetime(b.at / 1000.0, 'unixepoch', 'subsec') AS at,
           json_extract(e.value, '$.type') AS type,
           json_extract(e.value, '$.data') AS data
    FROM batches AS b JOIN payloads AS p ON p.id = b.payload, json_each(p.events) AS e;
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

/// From version 1 (each batch's events inline in `batches`, command ids in a unique index) to
/// 2, around [`SCHEMA`] in one transaction: the old table steps aside, the schema makes the new
/// ones, and the events move to `payloads` in the order of the games' logs.
const BEFORE_SCHEMA_FROM_1: &str = r#"
DROP VIEW IF EXISTS events;
ALTER TABLE batches RENAME TO batches_1;
"#;
const AFTER_SCHEMA_FROM_1: &str = r#"
INSERT INTO payloads (id, events)
    SELECT row_number() OVER (ORDER BY game_id, first), events FROM batches_1;
INSERT INTO batches (game_id, first, last, command_id, at, payload)
    SELECT game_id, first, last, command_id, at, row_number() OVER (ORDER BY game_id, first)
    FROM batches_1;
DROP TABLE batches_1;
"#;

/// The page size of a new database, bytes (SQLite's default is 4,096). Each commit rewrites the
/// page of `batches` that ends each game it appends to, in full, into the write-ahead log: with
/// 2 KiB pages a command writes about 5 KiB instead of 7.5 under load, and the server spends less
/// CPU per command (BENCHMARKS.md). Smaller pages cost more than they save: SQLite writes each
/// frame of the log with two system calls. A database keeps the page size it was made with (the
/// log mode forbids changing it), so one made before this setting keeps 4 KiB pages.
const PAGE_SIZE: i64 = 2048;

/// Bytes of log after which a commit copies the log back into the database (SQLite's default is
/// 1,000 pages): the same hot pages (a running game's rows) are then written back once per
/// checkpoint, not once per few megabytes of log.
const AUTOCHECKPOINT_BYTES: i64 = 40 * 1024 * 1024;

/// Pages the writing connection keeps in memory (negative: KiB): the pages a commit touches
/// (the last page of each game in play, the summaries) stay cached instead of being read again
/// from the file on every commit. No more than that: at the end of every transaction SQLite walks
/// the whole cache (`pcache1TruncateUnsafe`, from `pager_end_transaction`), which took 2.2 % of
/// the server's CPU under load with 16 MiB of 2 KiB pages, and 0.7 % with 4 MiB, while the
/// reads back from the file stayed under 0.1 % (1,000 games in play).
const WRITER_CACHE_KIB: i64 = 4 * 1024;

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
    let mut connection = Connection::open(path)?;
    connection.busy_timeout(super::BUSY_TIMEOUT)?;
    // Before anything is written: on a new, empty file this decides the page size; on an
    // existing database it changes nothing.
    connection.pragma_update(None, "page_size", PAGE_SIZE)?;
    let mode: String =
        connection.pragma_update_and_check(None, "journal_mode", "wal", |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(Refusal::Schema(format!(
            "the database cannot use a write-ahead log (journal_mode is {mode})"
        )));
    }
    connection.pragma_update(None, "synchronous", "FULL")?;
    let page_size: i64 = connection.pragma_query_value(None, "page_size", |row| row.get(0))?;
    connection.pragma_update(
        None,
        "wal_autocheckpoint",
        AUTOCHECKPOINT_BYTES / page_size.max(512),
    )?;
    connection.pragma_update(None, "foreign_keys", "OFF")?;
    connection.pragma_update(None, "cache_size", -WRITER_CACHE_KIB)?;
    // Each request of a group commit runs in a savepoint of its own, and a page it changes that an
    // earlier request of the transaction changed too (the end of `payloads`, the first page) is
    // copied to a sub-journal first, to be put back if the request fails. Keep that journal in
    // memory: in a temporary file, it costs two writes per copied page and a file per commit.
    connection.pragma_update(None, "temp_store", "MEMORY")?;
    // Keep each statement's plan whatever values are bound to it. Without this, SQLite (built
    // with STAT4) compiles the writer's look-ups again whenever their game id changes, which is
    // on nearly every call.
    connection.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    let found: i64 = connection.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if found > VERSION {
        return Err(Refusal::Schema(format!(
            "the database has schema version {found}, newer than this server's {VERSION}: run a newer caravan"
        )));
    }
    let transaction = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if found == 1 {
        tracing::info!(
            from = found,
            to = VERSION,
            "bringing the database's schema up to date"
        );
        transaction.execute_batch(BEFORE_SCHEMA_FROM_1)?;
    }
    transaction.execute_batch(SCHEMA)?;
    if found == 1 {
        transaction.execute_batch(AFTER_SCHEMA_FROM_1)?;
    }
    transaction.pragma_update(None, "user_version", VERSION)?;
    transaction.commit()?;
    Ok(connection)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tables as version 1 made them, with two commands of one game and one of another.
    const VERSION_1: &str = r#"
CREATE TABLE batches (
    game_id    TEXT    NOT NULL,
    first      INTEGER NOT NULL,
    last       INTEGER NOT NULL,
    command_id TEXT,
    at         INTEGER NOT NULL,
    events     TEXT    NOT NULL,
    PRIMARY KEY (game_id, first)
) WITHOUT ROWID;
CREATE UNIQUE INDEX batches_command
    ON batches (game_id, command_id) WHERE command_id IS NOT NULL;
CREATE VIEW events AS
    SELECT b.game_id, b.first + e.key AS event_id, b.command_id,
           datetime(b.at / 1000.0, 'unixepoch', 'subsec') AS at,
           json_extract(e.value, '$.type') AS type, json_extract(e.value, '$.data') AS data
    FROM batches AS b, json_each(b.events) AS e;
CREATE TABLE summaries (game_id TEXT NOT NULL PRIMARY KEY, status TEXT NOT NULL,
    created_at INTEGER NOT NULL, version INTEGER NOT NULL, seated INTEGER NOT NULL,
    summary TEXT NOT NULL) WITHOUT ROWID;
INSERT INTO batches VALUES ('g2', 1, 1, NULL, 5, '[{"type":"A","data":1}]');
INSERT INTO batches VALUES ('g1', 1, 2, NULL, 10, '[{"type":"A","data":1},{"type":"B","data":2}]');
INSERT INTO batches VALUES ('g1', 3, 3, 'c-3', 20, '[{"type":"C","data":3}]');
INSERT INTO summaries VALUES ('g1', 'active', 10, 3, 2, '{}');
PRAGMA user_version = 1;
"#;

    fn pragma(connection: &Connection, name: &str) -> i64 {
        connection
            .pragma_query_value(None, name, |row| row.get(0))
            .expect(name)
    }

    #[test]
    fn a_new_database_has_small_pages_and_the_writer_journals_savepoints_in_memory() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let connection = open_writer(&dir.path().join("new.db")).expect("a new database");
        assert_eq!(pragma(&connection, "page_size"), PAGE_SIZE);
        assert_eq!(
            pragma(&connection, "wal_autocheckpoint"),
            AUTOCHECKPOINT_BYTES / PAGE_SIZE
        );
        assert_eq!(pragma(&connection, "temp_store"), 2, "MEMORY");
        assert_eq!(pragma(&connection, "synchronous"), 2, "FULL");
    }

    #[test]
    fn a_database_made_with_other_pages_keeps_them_and_opens() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("old.db");
        Connection::open(&path)
            .and_then(|c| {
                c.execute_batch(
                    "PRAGMA page_size = 4096; PRAGMA journal_mode = wal; CREATE TABLE t (x);",
                )
            })
            .expect("a database with 4 KiB pages");

        let connection = open_writer(&path).expect("the database opens");
        assert_eq!(pragma(&connection, "page_size"), 4096);
        assert_eq!(
            pragma(&connection, "wal_autocheckpoint"),
            AUTOCHECKPOINT_BYTES / 4096,
            "the log is checkpointed after the same number of bytes"
        );
        let version = pragma(&connection, "user_version");
        assert_eq!(version, VERSION);
    }

    #[test]
    fn a_version_1_database_is_brought_up_to_date_with_every_event_kept() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("old.db");
        Connection::open(&path)
            .and_then(|c| c.execute_batch(VERSION_1))
            .expect("a version 1 database");

        let connection = open_writer(&path).expect("the old database opens");
        let version: i64 = connection
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .expect("user_version");
        assert_eq!(version, VERSION);
        let events: Vec<(String, i64, Option<String>, String)> = connection
            .prepare(
                "SELECT game_id, event_id, command_id, type FROM events ORDER BY game_id, event_id",
            )
            .and_then(|mut s| {
                s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                    .collect()
            })
            .expect("the events view");
        let expected = [
            ("g1", 1, None, "A"),
            ("g1", 2, None, "B"),
            ("g1", 3, Some("c-3"), "C"),
            ("g2", 1, None, "A"),
        ];
        let expected: Vec<(String, i64, Option<String>, String)> = expected
            .iter()
            .map(|(g, id, c, t)| (g.to_string(), *id, c.map(str::to_string), t.to_string()))
            .collect();
        assert_eq!(events, expected);
        assert_eq!(
            super::super::writer::latest(&connection, "g1").expect("latest"),
            3
        );
        let stored = super::super::writer::command_batch(&connection, "g1", "c-3")
            .expect("a read")
            .expect("the command id is still known");
        assert_eq!((stored.first, stored.last, stored.at), (3, 3, 20));
        assert_eq!(stored.events, r#"[{"type":"C","data":3}]"#);
        let summaries: i64 = connection
            .query_row("SELECT count(*) FROM summaries", [], |r| r.get(0))
            .expect("summaries");
        assert_eq!(summaries, 1, "the read models stay");
        drop(connection);
        // Opening it again changes nothing.
        let again = open_writer(&path).expect("the database opens again");
        let count: i64 = again
            .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
            .expect("events");
        assert_eq!(count, 4);
    }
}
