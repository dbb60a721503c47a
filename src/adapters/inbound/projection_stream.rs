//! The projection stream's consumer: the read models across instances, driven by a Redis Stream
//! (`{prefix}:projections`) and its consumer group [`PROJECTION_GROUP`].
//!
//! Every committed batch is added to the stream by the publishing instance (`XADD … g <game>
//! v <last id>`: the Redis event bus's `projection_stream` option). Every instance runs one
//! consumer in the group: it reads new entries (`XREADGROUP … >`), asks the [`ProjectionHandler`]
//! to bring each game's read models up to date, and acknowledges (`XACK`) only the entries whose
//! update succeeded; one whose update failed is read again from the consumer's own pending list
//! (`XREADGROUP … 0`) right away, until it succeeds. An entry left pending longer than
//! [`ProjectionConsumerOptions::claim_after`] — its consumer died — is claimed by whichever
//! consumer looks next (`XAUTOCLAIM`) and tried again. When the group is missing (`NOGROUP`: Redis
//! restarted without its data) it is created again at once, and the handler's
//! [`ProjectionHandler::resync`] projects every unfinished game, since the stream's unread entries
//! went with the data. Consumers idle for a long time with nothing pending are
//! removed from the group, so dead instances do not accumulate.
//!
//! An entry is only a hint that a game moved on: the handler projects the game's state as the
//! event store has it, guarded by version, so entries handled late, twice or out of order are
//! harmless (see [`crate::application::projections`]).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use deadpool_redis::Pool;
use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt};
use redis::streams::{
    StreamAutoClaimOptions, StreamAutoClaimReply, StreamId, StreamInfoConsumersReply,
    StreamReadOptions, StreamReadReply,
};
use redis::AsyncCommands;
use tokio::time::{timeout, Instant};

use crate::adapters::redis::{backoff, RedisKeys};
use crate::application::Services;

/// Games of one batch projected at the same time.
const PROJECT_AT_ONCE: usize = 16;

/// How often consumers idle for long are looked for.
const FORGET_EVERY: Duration = Duration::from_secs(60);

/// The consumer group every instance joins.
pub const PROJECTION_GROUP: &str = "projections";

/// What the consumer asks for each game it sees in the stream.
pub trait ProjectionHandler: Send + Sync + 'static {
    /// Brings the read models of `game_id` up to date (to `version` at least). An error leaves the
    /// entry pending, to be tried again after [`ProjectionConsumerOptions::claim_after`].
    fn project<'a>(&'a self, game_id: &'a str, version: u64) -> BoxFuture<'a, Result<(), String>>;

    /// Brings every game that may have moved on up to date: called when the group had to be
    /// created (a new or emptied Redis), since entries added before may be gone. Nothing by default.
    fn resync(&self) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async { Ok(()) })
    }
}

/// The handler of a serving instance: projects the games the stream names through the services.
pub struct ProjectGames(pub Arc<Services>);

impl ProjectionHandler for ProjectGames {
    fn project<'a>(&'a self, game_id: &'a str, _version: u64) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            match self.0.project_game(game_id).await {
                Ok(_) => Ok(()),
                Err(e) => {
                    self.0.metrics().projection_failed();
                    Err(e.to_string())
                }
            }
        })
    }

    fn resync(&self) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async move {
            self.0
                .project_unfinished_games()
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
    }
}

/// Tuning of a [`ProjectionConsumer`].
#[derive(Debug, Clone)]
pub struct ProjectionConsumerOptions {
    /// This consumer's name in the group (unique per process).
    pub consumer: String,
    /// Most entries read at once.
    pub batch: usize,
    /// How long one read waits for new entries.
    pub block: Duration,
    /// Entries pending longer than this are claimed and tried again.
    pub claim_after: Duration,
    /// How often pending entries are looked for.
    pub claim_every: Duration,
    /// Consumers idle this long with nothing pending are removed from the group.
    pub forget_consumers_after: Duration,
    /// Longest any other Redis command may take.
    pub command_timeout: Duration,
    /// Longest wait between retries after a Redis error (the first is 100 ms, then doubling): short,
    /// so that the read models catch up within a second of Redis answering again.
    pub max_retry_delay: Duration,
}

impl Default for ProjectionConsumerOptions {
    fn default() -> Self {
        ProjectionConsumerOptions {
            consumer: format!(
                "caravan-{}",
                &uuid::Uuid::new_v4().simple().to_string()[..12]
            ),
            batch: 100,
            block: Duration::from_secs(2),
            claim_after: Duration::from_millis(500),
            claim_every: Duration::from_millis(250),
            forget_consumers_after: Duration::from_secs(3600),
            command_timeout: Duration::from_secs(2),
            max_retry_delay: Duration::from_millis(500),
        }
    }
}

/// One process's consumer of the projection stream.
pub struct ProjectionConsumer {
    pool: Pool,
    keys: RedisKeys,
    options: ProjectionConsumerOptions,
    handler: Arc<dyn ProjectionHandler>,
}

/// Why a round stopped.
#[derive(Debug, thiserror::Error)]
enum RoundError {
    #[error("{0}")]
    Redis(#[from] redis::RedisError),
    #[error("cannot get a Redis connection: {0}")]
    Pool(#[from] deadpool_redis::PoolError),
    #[error("Redis did not answer in time")]
    TimedOut,
}

impl RoundError {
    /// The group (or the whole stream) is gone, e.g. Redis restarted without persistence.
    fn is_no_group(&self) -> bool {
        matches!(self, RoundError::Redis(e) if e.code() == Some("NOGROUP"))
    }
}

impl ProjectionConsumer {
    /// A consumer of the stream under `keys`, using `pool`, calling `handler`.
    pub fn new(
        pool: Pool,
        keys: RedisKeys,
        options: ProjectionConsumerOptions,
        handler: Arc<dyn ProjectionHandler>,
    ) -> Self {
        ProjectionConsumer {
            pool,
            keys,
            options,
            handler,
        }
    }

    /// This consumer's name in the group.
    pub fn name(&self) -> &str {
        &self.options.consumer
    }

    /// Consumes until the task is aborted. Redis errors are logged and retried with backoff.
    pub async fn run(self) {
        self.run_until(std::future::pending()).await;
    }

    /// Consumes until `stop` completes, then returns once the round under way is over: the
    /// entries it read are handled and acknowledged, not left pending for another instance to
    /// claim (what a stopping server wants; aborting the task leaves them pending).
    pub async fn run_until(self, stop: impl std::future::Future<Output = ()>) {
        let stop = stop.fuse();
        futures::pin_mut!(stop);
        let first_delay = Duration::from_millis(100);
        let mut delay = first_delay;
        let mut group_ready = false;
        let mut next_claim = Instant::now();
        let mut failures: u32 = 0;
        // The group was recreated at once after a NOGROUP since the last good round.
        let mut regrouped = false;
        let mut resync = false;
        let mut retry_own = false;
        let mut forget_next = Instant::now();
        loop {
            if futures::poll!(stop.as_mut()).is_ready() {
                return;
            }
            let round = async {
                if !group_ready {
                    resync |= self.create_group().await?;
                    group_ready = true;
                }
                if resync {
                    // Entries added before the group existed may be gone with the old Redis.
                    match self.handler.resync().await {
                        Ok(()) => resync = false,
                        Err(error) => {
                            tracing::warn!(%error, "could not project the unfinished games; trying again")
                        }
                    }
                }
                if retry_own {
                    // Entries whose update failed: tried again at once, not after claim_after.
                    retry_own = self.retry_own_pending().await?;
                }
                if Instant::now() >= next_claim {
                    self.claim_stale().await?;
                    next_claim = Instant::now() + self.options.claim_every;
                }
                if Instant::now() >= forget_next {
                    self.forget_idle_consumers().await?;
                    forget_next = Instant::now() + FORGET_EVERY;
                }
                let (_, all_done) = self.read_new().await?;
                retry_own |= !all_done;
                Ok::<_, RoundError>(())
            }
            .await;
            match round {
                Ok(()) => {
                    if failures > 0 {
                        tracing::info!(consumer = %self.options.consumer, "projection stream reachable again");
                    }
                    failures = 0;
                    regrouped = false;
                    delay = first_delay;
                    if retry_own {
                        tokio::time::sleep(first_delay).await;
                    }
                }
                Err(e) if e.is_no_group() && !regrouped => {
                    // Redis came back without its data: recreate the group (and project every
                    // unfinished game) now, not after a backoff, however long Redis was away.
                    tracing::warn!(consumer = %self.options.consumer, "the projection group is gone; creating it again");
                    failures += 1;
                    regrouped = true;
                    group_ready = false;
                }
                Err(e) => {
                    failures += 1;
                    if e.is_no_group() {
                        group_ready = false;
                    }
                    // The first failures, then one in twenty: a long outage does not flood the log.
                    if failures <= 3 || failures.is_multiple_of(20) {
                        tracing::warn!(consumer = %self.options.consumer, error = %e, "projection stream unavailable; retrying");
                    }
                    tokio::time::sleep(delay).await;
                    delay = backoff(delay, self.options.max_retry_delay);
                }
            }
        }
    }

    /// Reads this consumer's own pending entries (those whose update failed) and handles them
    /// again. True while some are still failing.
    async fn retry_own_pending(&self) -> Result<bool, RoundError> {
        let options = StreamReadOptions::default()
            .group(PROJECTION_GROUP, &self.options.consumer)
            .count(self.options.batch);
        let mut connection = self.connection().await?;
        let reply: StreamReadReply = self
            .timed(connection.xread_options(&[self.keys.projection_stream()], &["0"], &options))
            .await??;
        drop(connection);
        let entries: Vec<StreamId> = reply.keys.into_iter().flat_map(|k| k.ids).collect();
        if entries.is_empty() {
            return Ok(false);
        }
        self.handle(entries).await
    }

    /// Creates the group (and the stream) unless it exists; true when it had to be created. A new
    /// group starts at the beginning of the stream: entries added before it existed are projected
    /// too (harmlessly, if twice).
    async fn create_group(&self) -> Result<bool, RoundError> {
        let mut connection = self.connection().await?;
        let created: Result<(), redis::RedisError> = self
            .timed(connection.xgroup_create_mkstream(
                self.keys.projection_stream(),
                PROJECTION_GROUP,
                "0",
            ))
            .await?;
        match created {
            Ok(()) => {
                tracing::info!(consumer = %self.options.consumer, "created the projection group");
                Ok(true)
            }
            Err(e) if e.code() == Some("BUSYGROUP") => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Reads and handles new entries; returns how many were read, and whether every update
    /// succeeded.
    async fn read_new(&self) -> Result<(usize, bool), RoundError> {
        let options = StreamReadOptions::default()
            .group(PROJECTION_GROUP, &self.options.consumer)
            .count(self.options.batch)
            .block(self.options.block.as_millis() as usize);
        let mut connection = self.connection().await?;
        let reply: StreamReadReply = timeout(
            self.options.block + self.options.command_timeout,
            connection.xread_options(&[self.keys.projection_stream()], &[">"], &options),
        )
        .await
        .map_err(|_| RoundError::TimedOut)??;
        drop(connection);
        let entries: Vec<StreamId> = reply.keys.into_iter().flat_map(|k| k.ids).collect();
        let count = entries.len();
        let failing = self.handle(entries).await?;
        Ok((count, !failing))
    }

    /// Claims entries pending longer than `claim_after` (from any consumer) and handles them.
    async fn claim_stale(&self) -> Result<(), RoundError> {
        let mut start = "0-0".to_string();
        // A bounded number of pages per round: a huge backlog is worked off over several rounds.
        for _ in 0..10 {
            let mut connection = self.connection().await?;
            let reply: StreamAutoClaimReply = self
                .timed(connection.xautoclaim_options(
                    self.keys.projection_stream(),
                    PROJECTION_GROUP,
                    &self.options.consumer,
                    self.options.claim_after.as_millis() as u64,
                    &start,
                    StreamAutoClaimOptions::default().count(self.options.batch),
                ))
                .await??;
            drop(connection);
            if !reply.claimed.is_empty() {
                tracing::info!(
                    consumer = %self.options.consumer,
                    entries = reply.claimed.len(),
                    "claimed projection entries left pending"
                );
            }
            // What still fails stays pending, to be claimed (or retried by its owner) again.
            self.handle(reply.claimed).await?;
            if reply.next_stream_id == "0-0" {
                break;
            }
            start = reply.next_stream_id;
        }
        Ok(())
    }

    /// Projects each game once (at its highest version among `entries`) and acknowledges the
    /// entries of the games whose update succeeded. Malformed entries are acknowledged and logged.
    /// True when some update failed (its entries stay pending).
    async fn handle(&self, entries: Vec<StreamId>) -> Result<bool, RoundError> {
        if entries.is_empty() {
            return Ok(false);
        }
        let mut failing = false;
        let mut games: BTreeMap<String, (u64, Vec<String>)> = BTreeMap::new();
        let mut done: Vec<String> = Vec::new();
        for entry in entries {
            match (entry.get::<String>("g"), entry.get::<u64>("v")) {
                (Some(game_id), Some(version)) => {
                    let (highest, ids) = games.entry(game_id).or_default();
                    *highest = (*highest).max(version);
                    ids.push(entry.id);
                }
                _ => {
                    tracing::warn!(id = %entry.id, "malformed projection entry; dropping it");
                    done.push(entry.id);
                }
            }
        }
        // The games are independent: project them at once (each is a few store round trips), so
        // a batch takes as long as its slowest game, not the sum of all of them, and is
        // acknowledged well before another consumer would count it as left pending.
        let mut projected = futures::stream::iter(games)
            .map(|(game_id, (version, ids))| async move {
                let result = self.handler.project(&game_id, version).await;
                (game_id, version, ids, result)
            })
            .buffer_unordered(PROJECT_AT_ONCE);
        while let Some((game_id, version, ids, result)) = projected.next().await {
            match result {
                Ok(()) => done.extend(ids),
                Err(error) => {
                    failing = true;
                    tracing::warn!(game_id, version, %error, "projection failed; the entry stays pending and will be tried again");
                }
            }
        }
        drop(projected);
        if !done.is_empty() {
            let mut connection = self.connection().await?;
            let _: u64 = self
                .timed(connection.xack(self.keys.projection_stream(), PROJECTION_GROUP, &done))
                .await??;
        }
        Ok(failing)
    }

    /// Removes other consumers that have been idle for `forget_consumers_after` with nothing pending.
    async fn forget_idle_consumers(&self) -> Result<(), RoundError> {
        let mut connection = self.connection().await?;
        let info: StreamInfoConsumersReply = self
            .timed(connection.xinfo_consumers(self.keys.projection_stream(), PROJECTION_GROUP))
            .await??;
        let idle_limit = self.options.forget_consumers_after.as_millis();
        for consumer in info.consumers {
            if consumer.name != self.options.consumer
                && consumer.pending == 0
                && consumer.idle as u128 >= idle_limit
            {
                let _: u64 = self
                    .timed(connection.xgroup_delconsumer(
                        self.keys.projection_stream(),
                        PROJECTION_GROUP,
                        &consumer.name,
                    ))
                    .await??;
                tracing::info!(consumer = %consumer.name, "removed an idle consumer from the projection group");
            }
        }
        Ok(())
    }

    async fn connection(&self) -> Result<deadpool_redis::Connection, RoundError> {
        timeout(self.options.command_timeout, self.pool.get())
            .await
            .map_err(|_| RoundError::TimedOut)?
            .map_err(RoundError::from)
    }

    async fn timed<T>(
        &self,
        future: impl std::future::Future<Output = T>,
    ) -> Result<T, RoundError> {
        timeout(self.options.command_timeout, future)
            .await
            .map_err(|_| RoundError::TimedOut)
    }
}
