//! The writer thread: the only connection that writes, and group commit.
//!
//! Callers send a [`Request`] and await its answer. The thread takes the first request waiting,
//! then every other one already queued (up to [`MAX_BATCH`]), and runs them all in one
//! transaction; a request that fails is rolled back alone (through a savepoint of its own), the
//! others stay. Answers are sent only after the COMMIT returned, so nothing is acknowledged before
//! it is on disk; when the COMMIT fails every request of the batch is answered with that failure
//! and none of them happened. So is every request of a batch whose transaction SQLite rolled back
//! itself (it may, on a full disk or an I/O error): the writer stops the batch there rather than
//! run its remaining requests outside the transaction.
//!
//! A transaction that holds events commits with `synchronous=FULL` (the WAL is fsynced before the
//! COMMIT returns); one that holds only read-model updates commits with `NORMAL` (no fsync of its
//! own: a process crash loses nothing, the next FULL commit makes it durable, and read models
//! are rebuilt from the events in any case).
//!
//! Under load the writer paces its transactions: after one that held [`PACED_FROM`] requests or
//! more, the next does not begin until [`COMMIT_INTERVAL`] after it began, and takes every request
//! that arrived meanwhile. Each transaction costs the same whatever it holds (a `fsync`, the writer
//! thread put to sleep and woken again, the pages of the log shared by its requests), so fewer,
//! larger ones cost the server less CPU per command; a command waits at most that interval longer
//! for its answer. One request at a time is committed at once.
//!
//! This module must never run on an async worker: the thread blocks on SQLite and on its queue.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rusqlite::{params, Connection, OptionalExtension};
use tokio::sync::{mpsc, oneshot};

use super::Failure;
use known::Known;

mod known;

/// Most requests in one transaction.
const MAX_BATCH: usize = 512;

/// Requests waiting for the writer at most; senders wait (asynchronously) beyond it.
const QUEUE: usize = 4096;

/// Under load, the least time from the start of one transaction to the start of the next. With
/// 1,000 games in play on two cores, transactions every 6 ms instead of back to back (about 145
/// `fsync`s a second instead of 600, some 42 commands each instead of 9) took 14 % less server
/// CPU per command and gave 14 % more commands per second (BENCHMARKS.md).
const COMMIT_INTERVAL: Duration = Duration::from_millis(6);

/// Requests in a transaction from which the next one is paced: fewer means the load is light, and
/// waiting would only add to each command's latency.
const PACED_FROM: usize = 4;

/// One command's events, ready to store.
pub(super) struct Append {
    pub game_id: String,
    pub expected: i64,
    /// How many events `events` holds (0: only check the version and the command id).
    pub count: i64,
    pub command_id: Option<String>,
    /// Commit time, ms since the epoch.
    pub at: i64,
    /// The events, a JSON array.
    pub events: String,
}

/// A batch as stored.
#[derive(Debug)]
pub(super) struct StoredBatch {
    pub first: i64,
    pub last: i64,
    pub command_id: Option<String>,
    pub at: i64,
    pub events: String,
}

impl StoredBatch {
    /// The columns `first, last, command_id, at, events` of a row.
    pub fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<StoredBatch> {
        Ok(StoredBatch {
            first: row.get(0)?,
            last: row.get(1)?,
            command_id: row.get(2)?,
            at: row.get(3)?,
            events: row.get(4)?,
        })
    }
}

/// What became of an [`Append`].
#[derive(Debug)]
pub(super) enum Appended {
    /// The events are committed.
    Written,
    /// Nothing to write and the version matched.
    Nothing,
    /// The command id was stored already: its batch, and nothing was written.
    Duplicate(StoredBatch),
    /// The log is at `actual`, not at the expected version: nothing was written.
    Conflict { actual: i64 },
}

/// A game summary as stored.
pub(super) struct SummaryRow {
    pub game_id: String,
    pub status: &'static str,
    pub created_at: i64,
    pub version: i64,
    pub seated: i64,
    pub summary: String,
}

/// A player result as stored.
pub(super) struct ResultRow {
    pub game_id: String,
    pub seat: i64,
    pub name: String,
    pub score: i64,
    pub won: bool,
    pub finished_at: i64,
    pub result: String,
}

/// A write and where its answer goes.
pub(super) enum Request {
    Append(Append, oneshot::Sender<Result<Appended, Failure>>),
    Summaries(Vec<SummaryRow>, oneshot::Sender<Result<(), Failure>>),
    Results(Vec<ResultRow>, oneshot::Sender<Result<(), Failure>>),
    Clear(oneshot::Sender<Result<(), Failure>>),
}

impl Request {
    fn holds_events(&self) -> bool {
        matches!(self, Request::Append(..))
    }
}

/// An answer computed inside the transaction, sent once it commits.
enum Answer {
    Append(
        oneshot::Sender<Result<Appended, Failure>>,
        Result<Appended, Failure>,
    ),
    Done(oneshot::Sender<Result<(), Failure>>, Result<(), Failure>),
}

impl Answer {
    fn send(self) {
        // A caller that stopped waiting (its request was cancelled) needs no answer.
        let _ = match self {
            Answer::Append(reply, answer) => reply.send(answer).map_err(|_| ()),
            Answer::Done(reply, answer) => reply.send(answer).map_err(|_| ()),
        };
    }

    fn is_ok(&self) -> bool {
        match self {
            Answer::Append(_, result) => result.is_ok(),
            Answer::Done(_, result) => result.is_ok(),
        }
    }

    /// The same answer replaced by a failure (the transaction did not commit).
    fn failed(self, failure: &str) -> Answer {
        match self {
            Answer::Append(reply, _) => Answer::Append(reply, Err(failure.to_string())),
            Answer::Done(reply, _) => Answer::Done(reply, Err(failure.to_string())),
        }
    }
}

/// The handle on the writer thread. The thread ends (and closes its connection) when every
/// handle is gone.
pub(super) struct Writer {
    queue: mpsc::Sender<Request>,
    commits: Arc<AtomicU64>,
}

impl Writer {
    /// Starts the thread over `connection`. `only_writer`: no other process writes to the
    /// database, so the thread may keep what it knows of each game's log (see `writer/known.rs`).
    pub fn start(connection: Connection, only_writer: bool) -> Writer {
        let (queue, requests) = mpsc::channel(QUEUE);
        let commits = Arc::new(AtomicU64::new(0));
        let counted = commits.clone();
        let spawned = std::thread::Builder::new()
            .name("caravan-sqlite-writer".into())
            .spawn(move || {
                let known = if only_writer {
                    Known::new(known::GAMES)
                } else {
                    Known::off()
                };
                run(connection, known, requests, &counted)
            });
        if let Err(e) = spawned {
            // The receiver went with the closure: every request will fail as unavailable.
            tracing::error!(error = %e, "cannot start the SQLite writer thread");
        }
        Writer { queue, commits }
    }

    /// Transactions committed so far.
    pub fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }

    /// Queues a request; its answer arrives on the request's channel.
    pub async fn send<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<Result<T, Failure>>) -> Request,
    ) -> Result<T, Failure> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(make(reply))
            .await
            .map_err(|_| "the database writer has stopped".to_string())?;
        answer
            .await
            .map_err(|_| "the database writer stopped before answering".to_string())?
    }

    /// True while the thread runs.
    pub fn is_running(&self) -> bool {
        !self.queue.is_closed()
    }
}

fn run(
    mut connection: Connection,
    mut known: Known,
    mut requests: mpsc::Receiver<Request>,
    commits: &AtomicU64,
) {
    let mut full = true;
    let mut batch = Vec::with_capacity(MAX_BATCH);
    let mut previous: Option<(Instant, usize)> = None;
    while let Some(first) = requests.blocking_recv() {
        batch.push(first);
        take_waiting(&mut requests, &mut batch);
        if let Some(wait) = pause(previous, Instant::now(), batch.len()) {
            std::thread::sleep(wait);
            take_waiting(&mut requests, &mut batch);
        }
        previous = Some((Instant::now(), batch.len()));
        let durable = batch.iter().any(Request::holds_events);
        if durable != full {
            let mode = if durable { "FULL" } else { "NORMAL" };
            match connection.pragma_update(None, "synchronous", mode) {
                Ok(()) => full = durable,
                Err(e) => tracing::warn!(error = %e, mode, "cannot change synchronous"),
            }
        }
        let (answers, committed) = commit(&mut connection, &mut known, batch.drain(..));
        if committed {
            commits.fetch_add(1, Ordering::Relaxed);
        }
        for answer in answers {
            answer.send();
        }
    }
}

/// Moves the requests already queued into `batch`, up to [`MAX_BATCH`].
fn take_waiting(requests: &mut mpsc::Receiver<Request>, batch: &mut Vec<Request>) {
    while batch.len() < MAX_BATCH {
        match requests.try_recv() {
            Ok(request) => batch.push(request),
            Err(_) => break,
        }
    }
}

/// How long to wait before beginning a transaction with `taken` requests at `now`, given when the
/// previous one began and how many it held: until [`COMMIT_INTERVAL`] after the previous one
/// began when that one held [`PACED_FROM`] requests or more and this one is not full already.
fn pause(previous: Option<(Instant, usize)>, now: Instant, taken: usize) -> Option<Duration> {
    let (began, held) = previous?;
    if held < PACED_FROM || taken >= MAX_BATCH {
        return None;
    }
    let wait = (began + COMMIT_INTERVAL).saturating_duration_since(now);
    (!wait.is_zero()).then_some(wait)
}

/// Runs the requests in one transaction; their answers, to send now that it is over, and whether
/// it committed. When anything fails, `known` forgets everything: the database may have undone
/// what it had learnt.
fn commit(
    connection: &mut Connection,
    known: &mut Known,
    batch: impl Iterator<Item = Request>,
) -> (Vec<Answer>, bool) {
    let requests: Vec<Request> = batch.collect();
    if let Err(e) = connection.execute_batch("BEGIN IMMEDIATE") {
        let failure = format!("cannot begin a transaction: {e}");
        tracing::error!(%failure);
        let answers = requests.into_iter().map(|r| refuse(r, &failure)).collect();
        return (answers, false);
    }
    let mut answers = Vec::with_capacity(requests.len());
    let mut requests = requests.into_iter();
    while let Some(request) = requests.next() {
        let answer = in_savepoint(connection, known, request);
        if !answer.is_ok() {
            known.forget_all();
        }
        answers.push(answer);
        if connection.is_autocommit() {
            // SQLite rolled the whole transaction back (it may on a full disk, an I/O error or
            // out of memory): the requests before this one are undone too, and the ones after
            // it would each commit on their own. Run none of them; answer them all as failed.
            let failure = "the transaction was rolled back by the database";
            tracing::error!(%failure);
            known.forget_all();
            let answers = answers
                .into_iter()
                .map(|a: Answer| a.failed(failure))
                .chain(requests.map(|r| refuse(r, failure)))
                .collect();
            return (answers, false);
        }
    }
    match connection.execute_batch("COMMIT") {
        Ok(()) => (answers, true),
        Err(e) => {
            let failure = format!("the commit failed: {e}");
            tracing::error!(%failure);
            known.forget_all();
            if let Err(e) = connection.execute_batch("ROLLBACK") {
                tracing::error!(error = %e, "the rollback after a failed commit failed");
            }
            let answers = answers.into_iter().map(|a| a.failed(&failure)).collect();
            (answers, false)
        }
    }
}

fn refuse(request: Request, failure: &str) -> Answer {
    let failure = failure.to_string();
    match request {
        Request::Append(_, reply) => Answer::Append(reply, Err(failure)),
        Request::Summaries(_, reply) | Request::Results(_, reply) | Request::Clear(reply) => {
            Answer::Done(reply, Err(failure))
        }
    }
}

/// Runs one request inside a savepoint of its own, rolled back if the request fails. The
/// savepoint's statements are prepared once per connection.
fn in_savepoint(connection: &Connection, known: &mut Known, request: Request) -> Answer {
    let run = |sql: &str| {
        connection
            .prepare_cached(sql)
            .and_then(|mut s| s.execute([]))
    };
    if let Err(e) = run("SAVEPOINT request") {
        return refuse(request, &format!("cannot open a savepoint: {e}"));
    }
    let answer = apply(connection, known, request);
    let ended = if answer.is_ok() {
        run("RELEASE request")
    } else {
        run("ROLLBACK TO request").and_then(|_| run("RELEASE request"))
    };
    match ended {
        Ok(_) => answer,
        Err(e) => answer.failed(&format!("cannot close a savepoint: {e}")),
    }
}

fn apply(connection: &Connection, known: &mut Known, request: Request) -> Answer {
    let text = |e: rusqlite::Error| e.to_string();
    match request {
        Request::Append(append, reply) => Answer::Append(
            reply,
            append_batch(connection, known, &append).map_err(text),
        ),
        Request::Summaries(rows, reply) => {
            Answer::Done(reply, upsert_summaries(connection, &rows).map_err(text))
        }
        Request::Results(rows, reply) => {
            Answer::Done(reply, record_results(connection, &rows).map_err(text))
        }
        Request::Clear(reply) => Answer::Done(
            reply,
            connection
                .execute_batch("DELETE FROM summaries; DELETE FROM results;")
                .map_err(text),
        ),
    }
}

/// The latest event id of a game (0 when it has none).
pub(super) fn latest(connection: &Connection, game_id: &str) -> rusqlite::Result<i64> {
    Ok(connection
        .prepare_cached("SELECT last FROM batches WHERE game_id = ?1 ORDER BY first DESC LIMIT 1")?
        .query_row([game_id], |row| row.get(0))
        .optional()?
        .unwrap_or(0))
}

/// The batch a command id wrote in a game, if any: a scan of the game's own rows (a few pages,
/// next to each other), which costs less than keeping an index of command ids up to date on
/// every commit.
pub(super) fn command_batch(
    connection: &Connection,
    game_id: &str,
    command_id: &str,
) -> rusqlite::Result<Option<StoredBatch>> {
    connection
        .prepare_cached(
            "SELECT b.first, b.last, b.command_id, b.at, p.events
             FROM batches AS b JOIN payloads AS p ON p.id = b.payload
             WHERE b.game_id = ?1 AND b.command_id = ?2",
        )?
        .query_row([game_id, command_id], StoredBatch::from_row)
        .optional()
}

/// The command-id check, the expected-version check and the inserts. The command id is answered
/// before the version: a retried command gets its original events even after the game moved on.
/// Only this thread writes, inside a transaction that holds the database's write lock, so nothing
/// can store the same command id between the check and the insert. What `known` holds of the game
/// spares the queries: the table is searched for the command id only when its hash is known.
fn append_batch(
    connection: &Connection,
    known: &mut Known,
    append: &Append,
) -> rusqlite::Result<Appended> {
    let mut log = known.log(connection, &append.game_id)?;
    if let Some(id) = &append.command_id {
        if log.as_ref().is_none_or(|log| log.may_hold(id)) {
            if let Some(stored) = command_batch(connection, &append.game_id, id)? {
                return Ok(Appended::Duplicate(stored));
            }
        }
    }
    let actual = match &log {
        Some(log) => log.latest,
        None => latest(connection, &append.game_id)?,
    };
    if actual != append.expected {
        return Ok(Appended::Conflict { actual });
    }
    if append.count == 0 {
        return Ok(Appended::Nothing);
    }
    connection
        .prepare_cached("INSERT INTO payloads (events) VALUES (?1)")?
        .execute([&append.events])?;
    let payload = connection.last_insert_rowid();
    connection
        .prepare_cached(
            "INSERT INTO batches (game_id, first, last, command_id, at, payload)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![
            append.game_id,
            append.expected + 1,
            append.expected + append.count,
            append.command_id,
            append.at,
            payload,
        ])?;
    if let Some(log) = log.as_mut() {
        log.appended(append.expected + append.count, append.command_id.as_deref());
    }
    Ok(Appended::Written)
}

/// Stores each summary unless the stored one has a version at least as high.
fn upsert_summaries(connection: &Connection, rows: &[SummaryRow]) -> rusqlite::Result<()> {
    let mut upsert = connection.prepare_cached(
        "INSERT INTO summaries (game_id, status, created_at, version, seated, summary)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (game_id) DO UPDATE SET
             status = excluded.status, version = excluded.version,
             seated = excluded.seated, summary = excluded.summary
         WHERE excluded.version > summaries.version",
    )?;
    for row in rows {
        upsert.execute(params![
            row.game_id,
            row.status,
            row.created_at,
            row.version,
            row.seated,
            row.summary,
        ])?;
    }
    Ok(())
}

fn record_results(connection: &Connection, rows: &[ResultRow]) -> rusqlite::Result<()> {
    let mut insert = connection.prepare_cached(
        "INSERT INTO results (game_id, seat, name, score, won, finished_at, result)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (game_id, seat) DO NOTHING",
    )?;
    for row in rows {
        insert.execute(params![
            row.game_id,
            row.seat,
            row.name,
            row.score,
            row.won,
            row.finished_at,
            row.result,
        ])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
