//! The embedded adapters (`EVENT_STORE=embedded`, files under `DATA_DIR`): the event store
//! ([`SqliteEventStore`]) and the read models ([`SqliteReadModels`]) in one SQLite database,
//! `DATA_DIR/caravan.db`, compiled into the binary (nothing to install).
//!
//! - Durable before acknowledged: the database is in WAL mode and every commit that holds events is
//!   made with `synchronous=FULL`, so the WAL is on disk before an append answers (and therefore
//!   before anything is published). A process killed right after loses nothing it acknowledged.
//! - Group commit: one writer thread owns the only writing connection. It takes every write waiting
//!   in its queue (appends of many games, read-model updates) and commits them in ONE transaction,
//!   each undone alone when it fails, so one command's events are all written or none are and
//!   a refused append does not disturb the others. While one commit waits for the disk the next
//!   batch fills up, so the throughput does not fall with the fsync. Under load the writer begins
//!   a transaction at most every 6 ms, so each one (an fsync, the thread's sleep and wake-up) is
//!   shared by more commands (`writer.rs`).
//! - Reads run on a small pool of reading connections (WAL lets them read while the writer
//!   writes), on tokio's blocking threads: no SQLite call ever runs on an async worker.
//! - One server per directory: [`open`] with [`Access::Exclusive`] holds a lock on
//!   `DATA_DIR/caravan.lock` for as long as the database is open, and a second server on the
//!   same directory is refused with a clear message.
//!
//! Nothing here keeps events in memory: what memory the server holds is bounded by the hot-game
//! cache (`HOT_GAMES`), SQLite's page caches (4 MiB for the writer, 2 MiB for each reader), the
//! writer's note of the 4,096 games it appended to last (each one's last event id and command-id
//! hashes, `writer/known.rs`) and the summaries held back, one per game, 10,000 at most
//! (`pending.rs`).

mod event_store;
mod pending;
mod read_models;
mod schema;
mod writer;

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use rusqlite::{Connection, OpenFlags};
use tokio::sync::Semaphore;

pub use event_store::SqliteEventStore;
pub use read_models::SqliteReadModels;

/// The database file's name inside `DATA_DIR`.
pub const DATABASE_FILE: &str = "caravan.db";

/// The lock file's name inside `DATA_DIR`.
pub const LOCK_FILE: &str = "caravan.lock";

/// Reading connections open at most (reads beyond this wait for one to be free).
const READERS: usize = 4;

/// How long a connection waits for another process's lock on the database before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// How a process uses the data directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// The one process that writes (the server, a rebuild, a copy into this store): holds the
    /// directory's lock, and is refused while another process holds it.
    Exclusive,
    /// Reads and writes without the directory's lock (tests that open one directory twice, and
    /// read-only tools next to a running server). SQLite still keeps every write consistent.
    Shared,
}

/// Why the embedded database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The directory cannot be created or its files opened.
    #[error("cannot use DATA_DIR {path}: {reason}")]
    Directory {
        /// The directory.
        path: String,
        /// What failed.
        reason: String,
    },
    /// Another process holds the directory's lock.
    #[error(
        "DATA_DIR {path} is in use by another caravan process (it holds {path}/{LOCK_FILE}): stop it first, or give this one another DATA_DIR"
    )]
    InUse {
        /// The directory.
        path: String,
    },
    /// SQLite refused to open or prepare the database.
    #[error("cannot open the database {path}: {reason}")]
    Database {
        /// The database file.
        path: String,
        /// SQLite's message.
        reason: String,
    },
}

/// The event store and read models over one open database.
#[derive(Clone)]
pub struct Embedded {
    /// The event log.
    pub store: SqliteEventStore,
    /// The read models.
    pub read_models: SqliteReadModels,
}

/// Opens (creating when missing) the database in `dir`, and starts its writer thread.
///
/// Blocking (it creates files and the schema): call it at start-up, or from a blocking thread.
pub fn open(dir: &Path, access: Access) -> Result<Embedded, OpenError> {
    let shown = dir.display().to_string();
    std::fs::create_dir_all(dir).map_err(|e| OpenError::Directory {
        path: shown.clone(),
        reason: e.to_string(),
    })?;
    let lock = match access {
        Access::Exclusive => Some(lock_directory(dir)?),
        Access::Shared => None,
    };
    let path = dir.join(DATABASE_FILE);
    let database_error = |e: rusqlite::Error| OpenError::Database {
        path: path.display().to_string(),
        reason: e.to_string(),
    };
    let writing = schema::open_writer(&path).map_err(|reason| OpenError::Database {
        path: path.display().to_string(),
        reason,
    })?;
    let readers = Readers::new(path.clone());
    // Open one reader now, so that a file SQLite cannot read fails here rather than on first use.
    let first = readers.connect().map_err(database_error)?;
    readers.idle.lock().push(first);
    let database = Arc::new(Database {
        writer: writer::Writer::start(writing, access == Access::Exclusive),
        readers,
        _lock: lock,
    });
    Ok(Embedded {
        store: SqliteEventStore::new(database.clone()),
        read_models: SqliteReadModels::new(database),
    })
}

/// Takes the directory's lock without waiting; `InUse` when another process holds it.
fn lock_directory(dir: &Path) -> Result<File, OpenError> {
    let path = dir.join(LOCK_FILE);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| OpenError::Directory {
            path: dir.display().to_string(),
            reason: format!("cannot open {}: {e}", path.display()),
        })?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(OpenError::InUse {
            path: dir.display().to_string(),
        }),
        Err(std::fs::TryLockError::Error(e)) => Err(OpenError::Directory {
            path: dir.display().to_string(),
            reason: format!("cannot lock {}: {e}", path.display()),
        }),
    }
}

/// What the store and the read models share: the writer, the readers, and the directory's lock.
struct Database {
    writer: writer::Writer,
    readers: Readers,
    /// Held (locked) while the database is open; released when the last handle goes.
    _lock: Option<File>,
}

/// Why a read or a write failed: SQLite's message, or a stopped writer.
type Failure = String;

impl Database {
    /// Runs `read` on a reading connection, on a blocking thread.
    async fn read<T, F>(self: &Arc<Self>, read: F) -> Result<T, Failure>
    where
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let permit = self
            .readers
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| e.to_string())?;
        let database = self.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let connection = match database.readers.idle.lock().pop() {
                Some(connection) => connection,
                None => database.readers.connect().map_err(|e| e.to_string())?,
            };
            let result = read(&connection).map_err(|e| e.to_string());
            database.readers.idle.lock().push(connection);
            result
        })
        .await
        .map_err(|e| format!("a read stopped: {e}"))?
    }
}

/// The reading connections: at most [`READERS`] in use at once, kept open between reads.
struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    permits: Arc<Semaphore>,
}

impl Readers {
    fn new(path: PathBuf) -> Self {
        Readers {
            path,
            idle: Mutex::new(Vec::new()),
            permits: Arc::new(Semaphore::new(READERS)),
        }
    }

    fn connect(&self) -> rusqlite::Result<Connection> {
        let connection = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI,
        )?;
        connection.busy_timeout(BUSY_TIMEOUT)?;
        // As on the writer: plans that do not depend on the game id bound (see `schema.rs`).
        connection.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
            true,
        )?;
        Ok(connection)
    }
}

/// Milliseconds since the epoch, as events are stored (the clock keeps milliseconds too).
fn to_millis(t: chrono::DateTime<chrono::Utc>) -> i64 {
    t.timestamp_millis()
}

/// The time a stored number of milliseconds means.
fn from_millis(millis: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(millis).unwrap_or_default()
}

/// An id or count as SQLite's signed 64-bit integer (ids beyond it cannot occur: a game would
/// need 2^63 events).
fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
