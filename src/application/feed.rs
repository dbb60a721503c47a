//! Live game feeds: every event of one game, in id order, without gaps or duplicates, each batch
//! followed by the state as one viewer may see it. The WebSocket layer sends what a feed yields.
//!
//! Joining a live stream without losing or repeating an event:
//! 1. subscribe to the bus first (events committed from now on are buffered by the subscription);
//! 2. read the current state (and, for a reconnect, the missed events `lastEventId+1 ..`) from the store;
//! 3. then deliver bus messages, dropping every id already delivered.
//!
//! The bus is only a hint: when a message arrives with an id beyond the next expected one, when the
//! bus reports lag, or when the feed has been quiet for a while, the missing ids are read from the
//! store. A feed never yields hidden information (events are redacted, states are views).
//!
//! The feeds of one game hand out the same runs of events: each run's public events, the game
//! after them and its common view are built by the first feed there and shared by the others
//! (`feed/steps.rs`); the game after a command run on this server is taken from the hot-game cache
//! rather than folded again.

use std::collections::BTreeMap;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures::{Stream, StreamExt};
use tokio::time::{Instant, Sleep};

use crate::domain::{GameView, LegalHints, Seat, Viewer};

use super::errors::ApplicationError;
use super::games::{HotGames, LoadedGame};
use super::ids::check_game_id;
use super::ports::{BusMessage, PlayerClaims, Ports, StoredEvent, Subscription};
use super::shared_by_game::SharedByGame;
use super::RuntimeCounters;
use steps::{Step, Steps};

/// Tuning of feeds.
#[derive(Debug, Clone)]
pub struct FeedSettings {
    /// When no bus message came for this long, check the store for events the bus may have dropped.
    /// `None` disables the check (the bus reports every loss as [`BusMessage::Lagged`]).
    pub resync_after: Option<Duration>,
    /// Most events read from the store in one repair.
    pub repair_page: usize,
}

impl Default for FeedSettings {
    fn default() -> Self {
        FeedSettings {
            resync_after: Some(Duration::from_secs(30)),
            repair_page: 1000,
        }
    }
}

/// How a feed starts.
#[derive(Debug, Clone, PartialEq)]
pub enum FeedStart {
    /// No `lastEventId` was given: here is the state at `last_event_id`; live events follow.
    Welcome {
        /// The version `state` is at.
        last_event_id: u64,
        /// The state as the viewer sees it.
        state: GameView,
    },
    /// A `lastEventId` was given: the events after it, up to `last_event_id`; live events follow.
    CatchUp {
        /// The missed events (public), in order; empty when the client was up to date.
        missed: Vec<StoredEvent>,
        /// The id of the last missed event (or the client's own `lastEventId` when nothing was missed).
        last_event_id: u64,
        /// The state after the missed events, as the viewer sees it.
        state: GameView,
    },
}

/// Events that follow the previous update, and the state after them.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedUpdate {
    /// Public events, ids `previous + 1 ..= last_event_id`, in order (at least one); the same
    /// `Arc` for every feed of the game that hands out the same run.
    pub events: Arc<[StoredEvent]>,
    /// The id of the last event in `events`.
    pub last_event_id: u64,
    /// The state after `events`, as the feed's viewer sees it (legal hints when it is their turn).
    pub state: ViewerState,
    /// The state this feed handed out before `events` (with the start, or the previous update):
    /// what a client of this feed holds, against which a patch to `state` is written.
    pub previous: ViewerState,
}

/// A game's state as one viewer sees it, in two parts: what every viewer of the game sees (built
/// once per version and shared by all the game's feeds on this server), and the viewer's own seat
/// and legal-action hints.
#[derive(Debug, Clone, PartialEq)]
pub struct ViewerState {
    /// The game as a spectator sees it (no `viewer_seat`, no `legal`); the same `Arc` for every
    /// feed of the game at this version.
    pub common: Arc<GameView>,
    /// The viewer's own seat, if seated.
    pub viewer_seat: Option<Seat>,
    /// What the viewer may do now; only present when it is the viewer's turn.
    pub legal: Option<LegalHints>,
}

impl ViewerState {
    /// The whole view, as [`Game::view`](crate::domain::Game::view) gives it for this viewer.
    pub fn to_view(&self) -> GameView {
        GameView {
            viewer_seat: self.viewer_seat,
            legal: self.legal.clone(),
            ..(*self.common).clone()
        }
    }
}

/// Opens feeds.
#[derive(Clone)]
pub struct FeedService {
    ports: Ports,
    games: Arc<HotGames>,
    counters: Arc<RuntimeCounters>,
    settings: FeedSettings,
    steps: Arc<SharedByGame<Steps>>,
}

impl FeedService {
    /// A feed service over the given ports and shared game cache.
    pub fn new(
        ports: Ports,
        games: Arc<HotGames>,
        counters: Arc<RuntimeCounters>,
        settings: FeedSettings,
    ) -> Self {
        FeedService {
            ports,
            games,
            counters,
            settings,
            steps: Arc::default(),
        }
    }

    /// Opens the feed of `game_id` for `player` (`None`: a spectator).
    ///
    /// - `last_event_id: None` → [`FeedStart::Welcome`] with the current state;
    /// - `Some(n)` → [`FeedStart::CatchUp`] with events `n+1 ..` (a client ahead of the game gets
    ///   `invalid_last_event_id`).
    ///
    /// A player's token must be for this game (`wrong_game`). Then call [`GameFeed::next`] (or use
    /// [`GameFeed::into_stream`]) for live updates.
    pub async fn open(
        &self,
        game_id: &str,
        player: Option<&PlayerClaims>,
        last_event_id: Option<u64>,
    ) -> Result<(FeedStart, GameFeed), ApplicationError> {
        check_game_id(game_id)?;
        if let Some(claims) = player {
            if claims.game_id != game_id {
                return Err(ApplicationError::forbidden(
                    "wrong_game",
                    "this token is for another game",
                ));
            }
        }
        // Subscribe BEFORE reading the store: nothing committed in between can be missed.
        let subscription = self.ports.bus.subscribe(game_id).await?;
        let current = self.games.latest(game_id).await?;
        if current.version() == 0 {
            return Err(ApplicationError::game_not_found(game_id));
        }
        let viewer = super::queries::viewer_for(&current.game, game_id, player);
        let mut loaded = current;
        let start = match last_event_id {
            None => FeedStart::Welcome {
                last_event_id: loaded.version(),
                state: loaded.game.view(viewer),
            },
            Some(n) if n > loaded.version() => {
                return Err(ApplicationError::invalid(
                    "invalid_last_event_id",
                    format!(
                        "lastEventId {n} is beyond the game's last event {}",
                        loaded.version()
                    ),
                ));
            }
            Some(n) => {
                // Read everything after n: the store may already be past the cached version.
                let missed = self.ports.store.read(game_id, n, None).await?;
                let missed = contiguous_from(n, missed);
                if !Arc::make_mut(&mut loaded).fold(&missed) {
                    return Err(ApplicationError::Unavailable {
                        code: "unavailable",
                        message: "the game's log could not be read in order; reconnect".into(),
                    });
                }
                FeedStart::CatchUp {
                    last_event_id: missed.last().map_or(n, |e| e.event_id),
                    missed: missed.iter().map(StoredEvent::public).collect(),
                    state: loaded.game.view(viewer),
                }
            }
        };
        let delivered = match &start {
            FeedStart::Welcome { last_event_id, .. } | FeedStart::CatchUp { last_event_id, .. } => {
                *last_event_id
            }
        };
        let steps = self.steps.game(game_id);
        let common = match steps.at(delivered) {
            Some((_, common)) => common,
            // Shared with the feeds opened after this one at the same version.
            None if loaded.version() == delivered => {
                steps
                    .share(Step {
                        from: delivered,
                        events: Arc::new([]),
                        common: Arc::new(loaded.game.view(Viewer::Spectator)),
                        loaded: loaded.clone(),
                    })
                    .common
            }
            None => Arc::new(loaded.game.view(Viewer::Spectator)),
        };
        let sent = viewer_state(common, &loaded, viewer);
        let feed = GameFeed {
            game_id: game_id.to_string(),
            viewer,
            delivered,
            loaded,
            pending: BTreeMap::new(),
            subscription,
            quiet: None,
            heard: Instant::now(),
            sent,
            steps,
            games: self.games.clone(),
            ports: self.ports.clone(),
            settings: self.settings.clone(),
            _open: OpenFeed::new(self.counters.clone()),
        };
        Ok((start, feed))
    }
}

/// Keeps `events` that continue `after` without a gap (ids after+1, after+2 …).
fn contiguous_from(after: u64, events: Vec<StoredEvent>) -> Vec<StoredEvent> {
    let mut next = after + 1;
    let mut out = Vec::with_capacity(events.len());
    for event in events {
        if event.event_id < next {
            continue;
        }
        if event.event_id != next {
            break;
        }
        next += 1;
        out.push(event);
    }
    out
}

/// Counts open feeds for `/api/stats`.
struct OpenFeed(Arc<RuntimeCounters>);

impl OpenFeed {
    fn new(counters: Arc<RuntimeCounters>) -> Self {
        counters.feed_opened();
        OpenFeed(counters)
    }
}

impl Drop for OpenFeed {
    fn drop(&mut self) {
        self.0.feed_closed();
    }
}

/// One viewer's live feed of one game. Yields [`FeedUpdate`]s in order; see the module docs.
pub struct GameFeed {
    game_id: String,
    viewer: Viewer,
    /// The id of the last event handed out (events ≤ it are dropped).
    delivered: u64,
    /// The state after `delivered` events (shared with the game's other feeds and steps: folding
    /// into it copies it first).
    loaded: Arc<LoadedGame>,
    /// Events received beyond `delivered`, waiting for the ids before them: each as the batch it
    /// came in and its index there (batches are shared with the game's other feeds, not copied).
    pending: BTreeMap<u64, (Arc<[StoredEvent]>, usize)>,
    subscription: Subscription,
    /// Fires when no bus message came for `resync_after` (one timer for the feed's life, moved
    /// only when it fires: arming one per message costs more than the rest of the feed).
    quiet: Option<Pin<Box<Sleep>>>,
    /// When the last bus message came (or the last resync was made).
    heard: Instant,
    /// The state handed out last (with the start, or the latest update).
    sent: ViewerState,
    /// The game's latest steps, shared with its other feeds.
    steps: Arc<Steps>,
    /// The hot-game cache: it holds the game after each command run on this server.
    games: Arc<HotGames>,
    ports: Ports,
    settings: FeedSettings,
    _open: OpenFeed,
}

impl std::fmt::Debug for GameFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GameFeed")
            .field("game_id", &self.game_id)
            .field("viewer", &self.viewer)
            .field("last_event_id", &self.delivered)
            .field("pending", &self.pending.len())
            .finish_non_exhaustive()
    }
}

impl GameFeed {
    /// The game this feed follows.
    pub fn game_id(&self) -> &str {
        &self.game_id
    }

    /// The viewer's seat (`None` for a spectator).
    pub fn seat(&self) -> Option<Seat> {
        match self.viewer {
            Viewer::Seat(seat) => Some(seat),
            Viewer::Spectator => None,
        }
    }

    /// The id of the last event this feed handed out.
    pub fn last_event_id(&self) -> u64 {
        self.delivered
    }

    /// The next events in order, with the state after them.
    ///
    /// `None` when the bus closed the subscription (the server is stopping). `Some(Err(_))` when the
    /// store could not be read to fill a gap: the caller should close the connection, and the client
    /// reconnects with its `lastEventId`.
    pub async fn next(&mut self) -> Option<Result<FeedUpdate, ApplicationError>> {
        loop {
            if let Some(update) = self.take_ready() {
                return Some(Ok(update));
            }
            let message = match self.settings.resync_after {
                Some(quiet) => self.next_or_quiet(quiet).await,
                None => self.subscription.next().await,
            };
            let result = match message {
                None => return None,
                Some(BusMessage::Lagged) => self.repair().await,
                Some(BusMessage::Events(batch)) => {
                    for (index, event) in batch.iter().enumerate() {
                        if event.event_id > self.delivered {
                            self.pending
                                .entry(event.event_id)
                                .or_insert_with(|| (batch.clone(), index));
                        }
                    }
                    let gap = self
                        .pending
                        .keys()
                        .next()
                        .is_some_and(|&first| first > self.delivered + 1);
                    if gap {
                        self.repair().await
                    } else {
                        Ok(())
                    }
                }
            };
            if let Err(e) = result {
                return Some(Err(e));
            }
        }
    }

    /// The next bus message, or [`BusMessage::Lagged`] once none came for `quiet`.
    async fn next_or_quiet(&mut self, quiet: Duration) -> Option<BusMessage> {
        let timer = self
            .quiet
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(self.heard + quiet)));
        loop {
            tokio::select! {
                biased;
                message = self.subscription.next() => {
                    self.heard = Instant::now();
                    return message;
                }
                () = timer.as_mut() => {
                    let due = self.heard + quiet;
                    let now = Instant::now();
                    if now >= due {
                        self.heard = now;
                        timer.as_mut().reset(now + quiet);
                        return Some(BusMessage::Lagged);
                    }
                    timer.as_mut().reset(due);
                }
            }
        }
    }

    /// The feed as a stream of updates (ends when [`GameFeed::next`] returns `None`).
    pub fn into_stream(
        self,
    ) -> impl Stream<Item = Result<FeedUpdate, ApplicationError>> + Send + 'static {
        futures::stream::unfold(self, |mut feed| async move {
            feed.next().await.map(|item| (item, feed))
        })
    }

    /// Reads the ids after `delivered` from the store into `pending`.
    async fn repair(&mut self) -> Result<(), ApplicationError> {
        let missing = self
            .ports
            .store
            .read(
                &self.game_id,
                self.delivered,
                Some(self.settings.repair_page),
            )
            .await?;
        if !missing.is_empty() {
            tracing::debug!(game_id = %self.game_id, from = self.delivered + 1, count = missing.len(), "feed repaired from the store");
        }
        let missing: Arc<[StoredEvent]> = missing.into();
        for (index, event) in missing.iter().enumerate() {
            self.pending
                .entry(event.event_id)
                .or_insert_with(|| (missing.clone(), index));
        }
        Ok(())
    }

    /// Hands out the run of pending events that continues `delivered`, if any.
    fn take_ready(&mut self) -> Option<FeedUpdate> {
        let from = self.delivered;
        let mut to = from;
        while self.pending.contains_key(&(to + 1)) {
            to += 1;
        }
        if to == from {
            return None;
        }
        let step = match self.steps.find(from, to) {
            Some(step) => {
                for id in from + 1..=to {
                    self.pending.remove(&id);
                }
                step
            }
            None => self.build_step(from, to),
        };
        self.delivered = to;
        self.loaded = step.loaded.clone();
        let state = viewer_state(step.common, &self.loaded, self.viewer);
        let previous = std::mem::replace(&mut self.sent, state.clone());
        Some(FeedUpdate {
            events: step.events,
            last_event_id: to,
            state,
            previous,
        })
    }

    /// Takes the pending events `from + 1 ..= to` (all present) and builds their step: the game
    /// at `to` is taken from a step of another feed that ends there, or from the hot-game cache
    /// when the command that wrote them ran here, and folded from this feed's own only when
    /// neither has it. Shares the step.
    fn build_step(&mut self, from: u64, to: u64) -> Step {
        let run: Vec<(Arc<[StoredEvent]>, usize)> = (from + 1..=to)
            .filter_map(|id| self.pending.remove(&id))
            .collect();
        let events: Arc<[StoredEvent]> = run.iter().map(|(batch, i)| batch[*i].public()).collect();
        let (loaded, common) = match self.steps.at(to) {
            Some(shared) => shared,
            None => {
                let loaded = match self.games.cached_at(&self.game_id, to) {
                    Some(cached) => cached,
                    None => {
                        let mut loaded = self.loaded.clone();
                        Arc::make_mut(&mut loaded).fold(run.iter().map(|(batch, i)| &batch[*i]));
                        loaded
                    }
                };
                let common = Arc::new(loaded.game.view(Viewer::Spectator));
                (loaded, common)
            }
        };
        let step = Step {
            from,
            events,
            loaded,
            common,
        };
        // Steps are found by the ids they span: share only a game that is at `to`.
        if step.to() == to {
            self.steps.share(step)
        } else {
            step
        }
    }
}

/// The state of `loaded` as `viewer` sees it, `common` being its spectator's view.
fn viewer_state(common: Arc<GameView>, loaded: &LoadedGame, viewer: Viewer) -> ViewerState {
    let (viewer_seat, legal) = loaded.game.viewer_part(viewer);
    ViewerState {
        common,
        viewer_seat,
        legal,
    }
}

mod steps;
#[cfg(test)]
mod tests;
