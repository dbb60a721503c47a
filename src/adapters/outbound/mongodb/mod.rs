//! MongoDB adapters (`EVENT_STORE=mongodb`, `MONGO_URI`, `MONGO_DB`): the event store
//! ([`MongoEventStore`]) and the read models ([`MongoReadModels`]), with the official driver.
//!
//! Works against a standalone server, a replica set, and the MongoDB-wire test server the test
//! suites use. It must never depend on multi-document transactions or change streams (a standalone
//! server refuses the first, test servers have neither), and reads numbers only through typed
//! serde structs (a server may answer a small Int64 as Int32).
//!
//! Nothing here contacts the server when built: [`connect`] only parses the URI, and each adapter
//! creates its indexes on first use or in [`prepare_with_backoff`], which the composition root
//! runs in the background at start-up so that a server that is not up yet delays readiness
//! (`/ready` fails) instead of stopping the process.

pub mod baseline;
mod batches;
mod codec;
mod event_store;
mod read_models;

use std::time::Duration;

use chrono::{DateTime, Utc};
use mongodb::error::{Error as MongoError, ErrorKind, WriteFailure};
use mongodb::options::ClientOptions;
use mongodb::{Client, Database};

pub use codec::{decode as decode_event, encode as encode_event, CodecError};
pub use event_store::{MongoEventStore, EVENTS_COLLECTION};
pub use read_models::{MongoReadModels, RESULTS_COLLECTION, SUMMARIES_COLLECTION};

/// How long an operation waits for a reachable server (unless the URI sets `serverSelectionTimeoutMS`).
pub const DEFAULT_SERVER_SELECTION_TIMEOUT: Duration = Duration::from_secs(3);

/// How long opening a connection may take (unless the URI sets `connectTimeoutMS`).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// Longest any single operation may take before the store counts as unavailable.
const OPERATION_TIMEOUT: Duration = Duration::from_secs(10);

/// MongoDB's duplicate key error.
const DUPLICATE_KEY: i32 = 11000;

/// Why a database handle could not be made.
#[derive(Debug, thiserror::Error)]
#[error("cannot use MONGO_URI: {0}")]
pub struct ConnectError(String);

/// A handle on database `name` at `uri`. Parses the URI (and resolves `mongodb+srv://`) but
/// opens no connection: operations connect on demand and fail after the server-selection timeout.
pub async fn connect(uri: &str, name: &str) -> Result<Database, ConnectError> {
    let mut options = ClientOptions::parse(uri)
        .await
        .map_err(|e| ConnectError(e.to_string()))?;
    options.app_name.get_or_insert_with(|| "caravan".into());
    options
        .server_selection_timeout
        .get_or_insert(DEFAULT_SERVER_SELECTION_TIMEOUT);
    options
        .connect_timeout
        .get_or_insert(DEFAULT_CONNECT_TIMEOUT);
    let client = Client::with_options(options).map_err(|e| ConnectError(e.to_string()))?;
    Ok(client.database(name))
}

/// Creates the indexes of both adapters, retrying with exponential backoff (0.25 s doubling up to
/// 30 s) until it succeeds. Every failure is logged; `/ready` reports the store failing meanwhile.
pub async fn prepare_with_backoff(store: &MongoEventStore, read_models: &MongoReadModels) {
    let mut delay = Duration::from_millis(250);
    let mut attempt = 1u32;
    loop {
        let result = match store.prepare().await {
            Ok(()) => read_models.prepare().await.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        match result {
            Ok(()) => {
                if attempt > 1 {
                    tracing::info!(attempt, "MongoDB reachable: indexes are in place");
                }
                return;
            }
            Err(error) => {
                tracing::warn!(attempt, retry_in_ms = delay.as_millis() as u64, %error, "MongoDB not ready");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(30));
                attempt += 1;
            }
        }
    }
}

/// A failed or timed-out operation.
#[derive(Debug)]
enum Failure {
    /// The driver's error.
    Mongo(MongoError),
    /// No answer within [`OPERATION_TIMEOUT`].
    TimedOut,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Mongo(e) => write!(f, "{e}"),
            Failure::TimedOut => write!(f, "no answer within {OPERATION_TIMEOUT:?}"),
        }
    }
}

impl Failure {
    fn is_duplicate_key(&self) -> bool {
        matches!(self, Failure::Mongo(e) if is_duplicate_key(e))
    }

    /// False only when the operation certainly wrote nothing: no server could be selected to send
    /// it to, the driver refused it before sending, or the server answered with an error. A
    /// timeout or a connection lost after sending may hide a write that went through.
    fn may_have_written(&self) -> bool {
        match self {
            Failure::TimedOut => true,
            Failure::Mongo(e) => !matches!(
                e.kind.as_ref(),
                ErrorKind::ServerSelection { .. }
                    | ErrorKind::InvalidArgument { .. }
                    | ErrorKind::BsonSerialization(_)
                    | ErrorKind::Write(_)
                    | ErrorKind::Command(_)
                    | ErrorKind::InsertMany(_)
            ),
        }
    }
}

/// Runs an operation with [`OPERATION_TIMEOUT`].
async fn timed<T>(
    operation: impl std::future::IntoFuture<Output = Result<T, MongoError>>,
) -> Result<T, Failure> {
    match tokio::time::timeout(OPERATION_TIMEOUT, operation.into_future()).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(Failure::Mongo(e)),
        Err(_) => Err(Failure::TimedOut),
    }
}

/// True for duplicate key 11000, however the server reported it.
fn is_duplicate_key(error: &MongoError) -> bool {
    match error.kind.as_ref() {
        ErrorKind::Write(WriteFailure::WriteError(e)) => e.code == DUPLICATE_KEY,
        ErrorKind::Command(e) => e.code == DUPLICATE_KEY,
        ErrorKind::InsertMany(e) => e
            .write_errors
            .as_ref()
            .is_some_and(|errors| errors.iter().all(|e| e.code == DUPLICATE_KEY)),
        _ => false,
    }
}

/// Milliseconds since the Unix epoch as a chrono time.
///
/// Times are stored as Int64 milliseconds rather than BSON dates: every server compares numbers
/// exactly, while the MongoDB-wire test server compares dates to the second only.
fn to_chrono(millis: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(millis).unwrap_or_default()
}

/// A chrono time as stored: milliseconds since the Unix epoch (finer parts are dropped).
fn to_millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}
