//! Moves the server makes when their time comes: a turn clock that ran out, a computer player
//! whose thinking delay is over, a waiting game whose seats did not fill in time.
//!
//! One [`Timetable`] holds, per game this instance knows of, when the server next has something
//! to do in it. It is only a reminder: each time is derived from the game's log (the commit that
//! began the turn, the last commit), and when it comes the [`Scheduler`] reloads the game, derives
//! the move again from the latest state, and sends it through the one command path at the version
//! it decided on ([`CommandService::server_move`]). A second firing of the same moment (another
//! instance, a retry, a player who moved in the same millisecond) meets a newer version and
//! changes nothing, so each move happens once on any number of instances. An instance that starts
//! loads every game in the store and fires what became due while nobody was running.
//!
//! Time comes only from the [`Clock`](super::ports::Clock) port: [`Scheduler::run_due`] fires
//! what is due at the clock's now, so tests drive it with a controlled clock; [`Scheduler::run`]
//! is the loop that sleeps until the next due time in production.
//!
//! This module holds no game rule: what a timeout does, and what a computer player plays, the
//! domain decides.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use futures::StreamExt;
use parking_lot::Mutex;
use tokio::sync::Notify;

use crate::domain::{computer, Actor, BotLevel, Command, GameStatus, Seat};

use super::commands::CommandService;
use super::errors::ApplicationError;
use super::games::{HotGames, LoadedGame};
use super::ports::Ports;

/// Default of [`SchedulerSettings::bot_thinking`], in milliseconds (`BOT_THINKING_MS`).
pub const DEFAULT_BOT_THINKING_MS: u64 = 700;
/// Default of [`SchedulerSettings::rescan`], in seconds (`SCHEDULER_RESCAN_SECS`).
pub const DEFAULT_RESCAN_SECS: u64 = 10;

/// When the server acts on its own.
#[derive(Debug, Clone)]
pub struct SchedulerSettings {
    /// How long a computer player "thinks" before its move, so people can follow it.
    pub bot_thinking: StdDuration,
    /// How often to look for games whose next move another instance should have made (its
    /// committer stopped); each instance also loads every game once at start.
    pub rescan: StdDuration,
    /// Server moves fired at once.
    pub concurrency: usize,
    /// `WAITING_GAME_TIMEOUT_SECS`: a game still waiting for players this long after its
    /// creation is closed (`None`: never).
    pub waiting_timeout: Option<StdDuration>,
}

impl Default for SchedulerSettings {
    fn default() -> Self {
        SchedulerSettings {
            bot_thinking: StdDuration::from_millis(DEFAULT_BOT_THINKING_MS),
            rescan: StdDuration::from_secs(DEFAULT_RESCAN_SECS),
            concurrency: 16,
            waiting_timeout: None,
        }
    }
}

/// A move the server makes in a game.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerMove {
    /// The turn clock of `seat` ran out.
    TimeOut {
        /// The seat to move.
        seat: Seat,
    },
    /// The computer player at `seat` moves.
    Computer {
        /// The seat to move.
        seat: Seat,
        /// Its level.
        level: BotLevel,
    },
    /// The seats did not fill in time: the waiting game is closed.
    Expire,
}

/// The next move the server makes in a game and when, derived from the game's log alone.
pub fn next_move(
    loaded: &LoadedGame,
    settings: &SchedulerSettings,
) -> Option<(DateTime<Utc>, ServerMove)> {
    let game = &loaded.game;
    if game.status() == GameStatus::Waiting {
        // The deadline is the time of the game's `GameCreated` in its log.
        let timeout = Duration::from_std(settings.waiting_timeout?).ok()?;
        let created_at = loaded.created_at?;
        return Some((created_at.checked_add_signed(timeout)?, ServerMove::Expire));
    }
    if game.status() != GameStatus::Active {
        return None;
    }
    let seat = game.current_seat()?;
    let player = game.player(seat)?;
    let clock = game
        .turn_deadline()
        .map(|at| (at, ServerMove::TimeOut { seat }));
    let computer = match (player.bot, loaded.updated_at) {
        (Some(level), Some(last)) if !player.left => {
            let thinking = Duration::from_std(settings.bot_thinking).unwrap_or(Duration::zero());
            Some((last + thinking, ServerMove::Computer { seat, level }))
        }
        _ => None,
    };
    match (clock, computer) {
        (Some(c), Some(b)) => Some(if b.0 < c.0 { b } else { c }),
        (c, b) => c.or(b),
    }
}

/// When the server next acts in each game this instance knows of. Bounded by the games the
/// store holds: one entry per game, removed when the game has nothing due.
pub struct Timetable {
    settings: SchedulerSettings,
    inner: Mutex<Entries>,
    wake: Notify,
}

#[derive(Default)]
struct Entries {
    by_game: HashMap<String, DateTime<Utc>>,
    queue: BTreeSet<(DateTime<Utc>, String)>,
}

impl Timetable {
    /// An empty timetable.
    pub fn new(settings: SchedulerSettings) -> Self {
        Timetable {
            settings,
            inner: Mutex::new(Entries::default()),
            wake: Notify::new(),
        }
    }

    /// The settings it derives times with.
    pub fn settings(&self) -> &SchedulerSettings {
        &self.settings
    }

    /// Notes the game's next server move after a commit or a load (or removes it if none).
    pub fn watch(&self, game_id: &str, loaded: &LoadedGame) {
        let at = next_move(loaded, &self.settings).map(|(at, _)| at);
        self.set(game_id, at);
    }

    /// Sets (or clears) when the server next acts in a game.
    pub fn set(&self, game_id: &str, at: Option<DateTime<Utc>>) {
        let earliest_changed = {
            let mut entries = self.inner.lock();
            let before = entries.queue.first().map(|(t, _)| *t);
            if let Some(old) = entries.by_game.remove(game_id) {
                entries.queue.remove(&(old, game_id.to_string()));
            }
            if let Some(at) = at {
                entries.by_game.insert(game_id.to_string(), at);
                entries.queue.insert((at, game_id.to_string()));
            }
            entries.queue.first().map(|(t, _)| *t) != before
        };
        if earliest_changed {
            self.wake.notify_one();
        }
    }

    /// Takes out every game due at `now`.
    pub fn take_due(&self, now: DateTime<Utc>) -> Vec<String> {
        let mut entries = self.inner.lock();
        let mut due = Vec::new();
        while let Some((at, _)) = entries.queue.first() {
            if *at > now {
                break;
            }
            if let Some((_, game_id)) = entries.queue.pop_first() {
                entries.by_game.remove(&game_id);
                due.push(game_id);
            }
        }
        due
    }

    /// The earliest time anything is due.
    pub fn next_due(&self) -> Option<DateTime<Utc>> {
        self.inner.lock().queue.first().map(|(t, _)| *t)
    }

    /// When the server next acts in one game, if it is noted.
    pub fn due_at(&self, game_id: &str) -> Option<DateTime<Utc>> {
        self.inner.lock().by_game.get(game_id).copied()
    }

    /// Games with a move noted.
    pub fn len(&self) -> usize {
        self.inner.lock().by_game.len()
    }

    /// True when nothing is noted.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What firing a game's due time did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fired {
    /// The move was committed.
    Moved(ServerMove),
    /// Nothing was due any more (the game moved on, or another instance made the move).
    Nothing,
    /// Not yet: the move is due later (noted again).
    NotYet,
}

/// Fires the server's moves when they are due.
#[derive(Clone)]
pub struct Scheduler {
    commands: CommandService,
    games: Arc<HotGames>,
    timetable: Arc<Timetable>,
    ports: Ports,
}

impl Scheduler {
    /// A scheduler over the command path, the game cache and the shared timetable.
    pub(crate) fn new(
        commands: CommandService,
        games: Arc<HotGames>,
        timetable: Arc<Timetable>,
        ports: Ports,
    ) -> Self {
        Scheduler {
            commands,
            games,
            timetable,
            ports,
        }
    }

    /// The timetable it fires from.
    pub fn timetable(&self) -> &Arc<Timetable> {
        &self.timetable
    }

    /// Loads every game in the store and notes its next server move (at start: a deadline that
    /// passed while no instance was running is then due at once). Returns the games noted.
    pub async fn load_all(&self) -> Result<usize, ApplicationError> {
        let ids = self.ports.store.game_ids().await?;
        self.watch_ids(ids).await
    }

    async fn watch_ids(&self, ids: Vec<String>) -> Result<usize, ApplicationError> {
        let mut noted = 0;
        for game_id in ids {
            let loaded = self.games.current(&game_id).await?;
            self.timetable.watch(&game_id, &loaded);
            if self.timetable.due_at(&game_id).is_some() {
                noted += 1;
            }
        }
        Ok(noted)
    }

    /// Fires every move due at the clock's now; returns how many were committed.
    pub async fn run_due(&self) -> usize {
        let due = self.timetable.take_due(self.ports.clock.now());
        let concurrency = self.timetable.settings().concurrency.max(1);
        futures::stream::iter(due)
            .map(|game_id| async move {
                match self.fire(&game_id).await {
                    Ok(Fired::Moved(_)) => 1,
                    Ok(_) => 0,
                    Err(e) => {
                        tracing::warn!(game_id, code = e.code(), error = %e, "server move failed; trying again later");
                        // Try again after a pause rather than never.
                        let retry = self.ports.clock.now() + Duration::seconds(1);
                        self.timetable.set(&game_id, Some(retry));
                        0
                    }
                }
            })
            .buffer_unordered(concurrency)
            .fold(0, |sum, n| async move { sum + n })
            .await
    }

    /// Fires one game's due move, if it is still due on the latest state.
    pub async fn fire(&self, game_id: &str) -> Result<Fired, ApplicationError> {
        let loaded = self.games.latest(game_id).await?;
        let settings = self.timetable.settings();
        let Some((at, action)) = next_move(&loaded, settings) else {
            self.timetable.set(game_id, None);
            return Ok(Fired::Nothing);
        };
        if at > self.ports.clock.now() {
            self.timetable.set(game_id, Some(at));
            return Ok(Fired::NotYet);
        }
        let version = loaded.version();
        let (actor, command) = match action {
            ServerMove::TimeOut { seat } => (Actor::System, Command::TimeOut { seat }),
            ServerMove::Expire => (Actor::System, Command::Expire),
            ServerMove::Computer { seat, level } => {
                let Some(player) = loaded.game.player(seat) else {
                    return Ok(Fired::Nothing);
                };
                let actor = Actor::Player(player.player_id.clone());
                let view = loaded.game.seat_view(seat);
                let seed = decision_seed(game_id, version);
                // The strong level searches for a few milliseconds: off the async workers.
                let chosen =
                    tokio::task::spawn_blocking(move || computer::choose(&view, level, seed))
                        .await
                        .map_err(|_| {
                            ApplicationError::invalid("bot_failed", "the computer player failed")
                        })?;
                let Some(command) = chosen else {
                    self.timetable.watch(game_id, &loaded);
                    return Ok(Fired::Nothing);
                };
                (actor, command)
            }
        };
        match self
            .commands
            .server_move(game_id, &actor, command, version)
            .await?
        {
            Some(_) => Ok(Fired::Moved(action)),
            None => {
                // Another instance or a player got there first: note what comes next.
                let latest = self.games.latest(game_id).await?;
                self.timetable.watch(game_id, &latest);
                Ok(Fired::Nothing)
            }
        }
    }

    /// Runs until `shutdown` resolves: loads every game, then fires moves as they fall due and
    /// looks again for games other instances left behind every `rescan`.
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()> + Send) {
        tokio::pin!(shutdown);
        let rescan = self.timetable.settings().rescan;
        let mut last_scan: Option<tokio::time::Instant> = None;
        loop {
            if last_scan.is_none_or(|t| t.elapsed() >= rescan) {
                match self.rescan(last_scan.is_none()).await {
                    Ok(_) => last_scan = Some(tokio::time::Instant::now()),
                    Err(e) => {
                        tracing::warn!(error = %e, "could not load the games to watch; trying again");
                        last_scan = Some(tokio::time::Instant::now());
                    }
                }
            }
            self.run_due().await;
            let now = self.ports.clock.now();
            let until_due = self
                .timetable
                .next_due()
                .map(|at| (at - now).to_std().unwrap_or(StdDuration::ZERO))
                .unwrap_or(rescan);
            let until_scan =
                last_scan.map_or(StdDuration::ZERO, |t| rescan.saturating_sub(t.elapsed()));
            let wait = until_due.min(until_scan);
            tokio::select! {
                () = &mut shutdown => return,
                () = tokio::time::sleep(wait) => {}
                () = self.timetable.wake.notified() => {}
            }
        }
    }

    /// At start every game; later the games the read models list as running or waiting.
    async fn rescan(&self, first: bool) -> Result<usize, ApplicationError> {
        if first {
            return self.load_all().await;
        }
        let ids = running_games(&self.ports).await?;
        self.watch_ids(ids).await
    }
}

/// The games to look at again: those the read models list as active, and as waiting.
async fn running_games(ports: &Ports) -> Result<Vec<String>, ApplicationError> {
    let mut ids = Vec::new();
    for status in [GameStatus::Active, GameStatus::Waiting] {
        ids.extend(games_in(ports, status).await?);
    }
    Ok(ids)
}

/// The games the read models list in `status`, newest first (bounded).
async fn games_in(ports: &Ports, status: GameStatus) -> Result<Vec<String>, ApplicationError> {
    let mut ids = Vec::new();
    let mut query = super::ports::GameListQuery {
        status: Some(status),
        limit: 200,
        after: None,
    };
    // Bounded: at most this many games per look.
    for _ in 0..100 {
        let page = ports
            .read_models
            .list_summaries(query.clone())
            .await
            .map_err(ApplicationError::from)?;
        let Some(last) = page.last() else { break };
        query.after = Some(super::ports::GameCursor {
            created_at: last.created_at,
            game_id: last.game_id.clone(),
        });
        let full = page.len() >= query.limit;
        ids.extend(page.into_iter().map(|s| s.game_id));
        if !full {
            break;
        }
    }
    Ok(ids)
}

/// The seed of a computer player's decision: the same on every instance for the same position.
fn decision_seed(game_id: &str, version: u64) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in game_id.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    h ^ version.wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

#[cfg(test)]
mod tests;
