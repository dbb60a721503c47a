//! Use cases: what the server does, in terms of the domain and the ports, never of a technology.
//!
//! - [`commands`]: create, join, leave, turn actions (load → decide → append → publish → project);
//! - [`queries`]: summaries, views, events, leaderboard, stats;
//! - [`feed`]: ordered, gap-free live feeds for the WebSocket layer;
//! - [`projections`]: read-model updates and rebuilds;
//! - [`ports`]: the traits adapters implement.
//!
//! [`Services`] bundles them; the inbound adapters (HTTP, WebSocket) hold one `Arc<Services>`.

pub mod commands;
pub mod copy;
pub mod errors;
pub mod feed;
pub mod games;
pub mod ids;
pub mod ports;
pub mod projections;
pub mod queries;
pub mod repair;
pub mod replay;
pub mod scheduler;
pub mod shared_by_game;
pub mod summaries;
#[cfg(test)]
mod testing;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

pub use commands::{CommandService, CommandSettings, Committed, Joined, NewGame};
pub use errors::ApplicationError;
pub use feed::{FeedService, FeedSettings, FeedStart, FeedUpdate, GameFeed, ViewerState};
pub use games::HotGames;
pub use ports::{PlayerClaims, Ports};
pub use projections::{Projector, RebuildError, RebuildReport};
pub use queries::{GamePage, QueryService, ServerStats, ViewAt};
pub use scheduler::{Scheduler, SchedulerSettings, Timetable};
pub use shared_by_game::SharedByGame;

/// Default of [`ServiceSettings::hot_games`] (`HOT_GAMES`).
pub const DEFAULT_HOT_GAMES: usize = 10_000;

/// Settings of the services, taken from the configuration by the composition root.
#[derive(Debug, Clone)]
pub struct ServiceSettings {
    /// Command handling.
    pub commands: CommandSettings,
    /// Live feeds.
    pub feeds: FeedSettings,
    /// Games kept in memory.
    pub hot_games: usize,
    /// Server moves: turn clocks and computer players.
    pub scheduler: SchedulerSettings,
    /// This process is the only writer of the event store (the embedded store, which locks its
    /// directory, or the in-memory store): a game in the hot-game cache is then never behind the
    /// store, and opening a feed or reading a game's state does not read the store for it.
    pub sole_writer: bool,
}

impl Default for ServiceSettings {
    fn default() -> Self {
        ServiceSettings {
            commands: CommandSettings::default(),
            feeds: FeedSettings::default(),
            hot_games: DEFAULT_HOT_GAMES,
            scheduler: SchedulerSettings::default(),
            sole_writer: false,
        }
    }
}

/// Counters of this instance that `/api/stats` reports next to the read models'.
#[derive(Debug)]
pub struct RuntimeCounters {
    started: Instant,
    commands: AtomicU64,
    open_feeds: AtomicU64,
}

impl Default for RuntimeCounters {
    fn default() -> Self {
        RuntimeCounters {
            started: Instant::now(),
            commands: AtomicU64::new(0),
            open_feeds: AtomicU64::new(0),
        }
    }
}

impl RuntimeCounters {
    fn command_handled(&self) {
        self.commands.fetch_add(1, Ordering::Relaxed);
    }
    fn feed_opened(&self) {
        self.open_feeds.fetch_add(1, Ordering::Relaxed);
    }
    fn feed_closed(&self) {
        self.open_feeds.fetch_sub(1, Ordering::Relaxed);
    }
    /// Commands handled since start.
    pub fn commands(&self) -> u64 {
        self.commands.load(Ordering::Relaxed)
    }
    /// Feeds open now.
    pub fn open_feeds(&self) -> u64 {
        self.open_feeds.load(Ordering::Relaxed)
    }
    /// Seconds since start.
    pub fn uptime_secs(&self) -> u64 {
        self.started.elapsed().as_secs()
    }
}

/// Longest a readiness check waits for each backing service.
pub const READY_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(400);

/// Which backing services answer (for `/ready`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readiness {
    /// The event store answered.
    pub store: bool,
    /// The event bus answered.
    pub bus: bool,
}

impl Readiness {
    /// Both answered.
    pub fn is_ready(&self) -> bool {
        self.store && self.bus
    }

    /// Names of the services that did not answer.
    pub fn failing(&self) -> Vec<&'static str> {
        let mut failing = Vec::new();
        if !self.store {
            failing.push("event_store");
        }
        if !self.bus {
            failing.push("event_bus");
        }
        failing
    }
}

/// Every use case, sharing one game cache.
#[derive(Clone)]
pub struct Services {
    /// Commands.
    pub commands: CommandService,
    /// Queries.
    pub queries: QueryService,
    /// Live feeds.
    pub feeds: FeedService,
    /// Read-model updates and rebuilds.
    pub projector: Projector,
    /// Server moves: turn clocks and computer players (its loop is started by the caller).
    pub scheduler: Scheduler,
    games: Arc<HotGames>,
    ports: Ports,
}

impl Services {
    /// Builds the services over the ports.
    pub fn new(ports: Ports, settings: ServiceSettings) -> Self {
        let games = Arc::new(
            HotGames::new(ports.store.clone(), settings.hot_games)
                .sole_writer(settings.sole_writer),
        );
        let counters = Arc::new(RuntimeCounters::default());
        let timetable = Arc::new(Timetable::new(settings.scheduler));
        let commands = CommandService::new(
            ports.clone(),
            games.clone(),
            settings.commands,
            counters.clone(),
        )
        .with_timetable(timetable.clone());
        let projector = commands.projector().clone();
        Services {
            scheduler: Scheduler::new(commands.clone(), games.clone(), timetable, ports.clone()),
            commands,
            queries: QueryService::new(ports.clone(), games.clone(), counters.clone()),
            feeds: FeedService::new(ports.clone(), games.clone(), counters, settings.feeds),
            projector,
            games,
            ports,
        }
    }

    /// Checks a player token: `unauthorized`/`invalid_token`/`token_expired` on failure.
    pub fn authenticate(&self, token: &str) -> Result<PlayerClaims, ApplicationError> {
        if token.is_empty() {
            return Err(ApplicationError::unauthorized(
                "unauthorized",
                "a player token is required",
            ));
        }
        Ok(self.ports.tokens.verify(token)?)
    }

    /// `token_expired` once `claims` have expired by the services' clock: a connection that
    /// authenticated earlier checks its claims again before each command.
    pub fn ensure_unexpired(&self, claims: &PlayerClaims) -> Result<(), ApplicationError> {
        if claims.exp <= self.ports.clock.now().timestamp() {
            return Err(ports::TokenError::Expired.into());
        }
        Ok(())
    }

    /// Pings the event store and the bus.
    /// Pings the event store and the bus, each for at most [`READY_TIMEOUT`]: a service that does
    /// not answer by then counts as failing, so `/ready` answers quickly whatever is down.
    pub async fn readiness(&self) -> Readiness {
        let (store, bus) = futures::join!(
            tokio::time::timeout(READY_TIMEOUT, self.ports.store.ping()),
            tokio::time::timeout(READY_TIMEOUT, self.ports.bus.ping())
        );
        Readiness {
            store: matches!(store, Ok(Ok(()))),
            bus: matches!(bus, Ok(Ok(()))),
        }
    }

    /// Brings one game's read models up to the store's latest event (for drivers that project
    /// committed batches outside the command path). Returns the version projected; errors are
    /// returned, not just counted, so the driver can try again.
    pub async fn project_game(&self, game_id: &str) -> Result<u64, ApplicationError> {
        let loaded = self.games.current(game_id).await?;
        if loaded.version() > 0 {
            self.projector.project_state(game_id, &loaded).await?;
        }
        Ok(loaded.version())
    }

    /// Rebuilds every read model from the events.
    pub async fn rebuild_projections(&self) -> Result<RebuildReport, RebuildError> {
        self.projector.rebuild(self.ports.store.as_ref()).await
    }

    /// Games whose state this instance holds in memory now.
    pub fn cached_games(&self) -> usize {
        self.games.len()
    }

    /// The metrics port (the WebSocket layer counts its connections there).
    pub fn metrics(&self) -> &Arc<dyn ports::Metrics> {
        &self.ports.metrics
    }

    /// The ports (for tools such as `caravan replay`).
    pub fn ports(&self) -> &Ports {
        &self.ports
    }
}
