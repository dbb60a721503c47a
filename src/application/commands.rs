//! Command use cases: create a game, join, leave, and the turn actions.
//!
//! Every command follows one path: load the game (hot cache) → decide (the domain) → append at the
//! expected version → publish → project. On a version conflict the game is refreshed from the store
//! and the command decided again, a bounded number of times. Publishing happens only after the append
//! succeeded; a failed publish never fails the command (subscribers repair gaps from the store).
//!
//! This file holds the use cases and their checks; the path itself is in `commands/path.rs`, and
//! settling an append whose answer was lost in `commands/resolve.rs`.
//!
//! This module must never contain a game rule: whatever the domain refuses, it refuses.

use std::sync::Arc;
use std::time::Instant;

use chrono::Duration;
use tracing::Instrument;

use crate::domain::{Actor, BotLevel, Command, PlayerId, Scenario, Seat, TurnClock};

use super::errors::ApplicationError;
use super::games::{HotGames, LoadedGame, Unsettled};
use super::ids::{check_command_id, check_game_id, new_game_id, new_player_id, new_seed};
use super::ports::{AppendError, GameSummary, PlayerClaims, Ports, StoredEvent};
use super::projections::{summarize, Projector};
use super::scheduler::{SchedulerSettings, Timetable};
use super::RuntimeCounters;

/// Default of [`CommandSettings::retries`] (`COMMAND_RETRIES`).
pub const DEFAULT_RETRIES: u32 = 5;
/// Default of [`CommandSettings::outcome_wait`], in milliseconds (`COMMAND_OUTCOME_WAIT_MS`).
pub const DEFAULT_OUTCOME_WAIT_MS: u64 = 5_000;
/// Default of [`CommandSettings::token_ttl_secs`] (`JWT_TTL_SECS`): a day.
pub const DEFAULT_TOKEN_TTL_SECS: u64 = 24 * 3600;

/// Limits and defaults the command handler applies.
#[derive(Debug, Clone)]
pub struct CommandSettings {
    /// Largest `numPlayers` accepted for a new game.
    pub max_players: u8,
    /// Caravan capacity recorded in new games.
    pub caravan_capacity: u16,
    /// Point cards that end new games (`None`: the rulebook's 6 or 5).
    pub point_cards_to_end: Option<u8>,
    /// Seconds per turn of new games that do not choose (`None`: no turn clock).
    pub turn_seconds: Option<u32>,
    /// Consecutive timeouts before a forfeit in new games that do not choose.
    pub timeouts_to_forfeit: u8,
    /// How many times a command is decided again after losing an append race.
    pub retries: u32,
    /// How long a command whose write went unanswered (the reply was lost, the store timed out)
    /// keeps asking the store what became of it before answering `outcome_unknown`.
    pub outcome_wait: std::time::Duration,
    /// Lifetime of player tokens, in seconds.
    pub token_ttl_secs: u64,
    /// Update the read models right after each commit. False when something else drives them
    /// from the committed batches (the Redis Streams consumer group across instances); a batch
    /// whose publish failed is then still projected here, since it may never reach that driver.
    pub in_process_projections: bool,
}

impl Default for CommandSettings {
    fn default() -> Self {
        CommandSettings {
            max_players: crate::domain::rules::MAX_PLAYERS,
            caravan_capacity: crate::domain::rules::DEFAULT_CARAVAN_CAPACITY,
            point_cards_to_end: None,
            turn_seconds: None,
            timeouts_to_forfeit: crate::domain::rules::DEFAULT_TIMEOUTS_TO_FORFEIT,
            retries: DEFAULT_RETRIES,
            outcome_wait: std::time::Duration::from_millis(DEFAULT_OUTCOME_WAIT_MS),
            token_ttl_secs: DEFAULT_TOKEN_TTL_SECS,
            in_process_projections: true,
        }
    }
}

/// A request to open a game.
#[derive(Debug, Clone, Default)]
pub struct NewGame {
    /// The id to use; a random one when `None`.
    pub game_id: Option<String>,
    /// Seats, 2 – `MAX_PLAYERS`.
    pub num_players: u8,
    /// Deck seed; random when `None`.
    pub seed: Option<u64>,
    /// Fixed deck starts. The caller must have checked that the requester may set one (admin only).
    pub scenario: Option<Scenario>,
    /// Seconds per turn; the server's default when `None`.
    pub turn_seconds: Option<u32>,
    /// Consecutive timeouts before a forfeit; the server's default when `None`.
    pub timeouts_to_forfeit: Option<u8>,
    /// Computer players seated at once, in the lowest seats, one per level given.
    pub bots: Vec<BotLevel>,
}

/// A seat taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Joined {
    /// The game.
    pub game_id: String,
    /// The new player's id.
    pub player_id: String,
    /// The seat taken.
    pub seat: Seat,
    /// Bearer token acting for that seat in that game.
    pub token: String,
    /// The game's version after the join (a join that starts the game also deals).
    pub last_event_id: u64,
}

/// What a command committed (or had committed, for a repeated command id).
#[derive(Debug, Clone, PartialEq)]
pub struct Committed {
    /// The game.
    pub game_id: String,
    /// Ids of the events the command produced, in order.
    pub event_ids: Vec<u64>,
    /// The game's version after this command's events (for a duplicate: after the original's).
    pub last_event_id: u64,
    /// True when the command id had already been handled: nothing new was written.
    pub duplicate: bool,
}

impl Committed {
    fn from_events(game_id: &str, events: &[StoredEvent], duplicate: bool) -> Self {
        Committed {
            game_id: game_id.to_string(),
            event_ids: events.iter().map(|e| e.event_id).collect(),
            last_event_id: events.last().map_or(0, |e| e.event_id),
            duplicate,
        }
    }
}

/// The command side of the application.
#[derive(Clone)]
pub struct CommandService {
    ports: Ports,
    games: Arc<HotGames>,
    projector: Projector,
    settings: CommandSettings,
    counters: Arc<RuntimeCounters>,
    /// Where each commit notes the game's next server move (turn clock, computer player).
    timetable: Arc<Timetable>,
}

impl CommandService {
    /// A command service over the given ports and shared game cache.
    pub fn new(
        ports: Ports,
        games: Arc<HotGames>,
        settings: CommandSettings,
        counters: Arc<RuntimeCounters>,
    ) -> Self {
        let projector = Projector::new(ports.read_models.clone(), ports.metrics.clone());
        CommandService {
            ports,
            games,
            projector,
            settings,
            counters,
            timetable: Arc::new(Timetable::new(SchedulerSettings::default())),
        }
    }

    /// The same service noting server moves in `timetable` (shared with the scheduler).
    pub fn with_timetable(mut self, timetable: Arc<Timetable>) -> Self {
        self.timetable = timetable;
        self
    }

    /// The projector the command path writes read models with (its failures are shared with
    /// the repair task).
    pub fn projector(&self) -> &Projector {
        &self.projector
    }

    /// Opens a game. A taken id is a `game_exists` conflict.
    pub async fn create_game(&self, request: NewGame) -> Result<GameSummary, ApplicationError> {
        let game_id = match request.game_id {
            Some(id) => {
                check_game_id(&id)?;
                id
            }
            None => new_game_id(),
        };
        if request.num_players > self.settings.max_players {
            return Err(ApplicationError::invalid(
                "invalid_player_count",
                format!(
                    "numPlayers must be between 2 and {} on this server",
                    self.settings.max_players
                ),
            ));
        }
        if request.bots.len() > usize::from(request.num_players) {
            return Err(ApplicationError::invalid(
                "invalid_bots",
                "more computer players than seats",
            ));
        }
        let turn_clock = request
            .turn_seconds
            .or(self.settings.turn_seconds)
            .map(|turn_seconds| TurnClock {
                turn_seconds,
                timeouts_to_forfeit: request
                    .timeouts_to_forfeit
                    .unwrap_or(self.settings.timeouts_to_forfeit),
            });
        let command = Command::CreateGame {
            num_players: request.num_players,
            seed: request.seed.unwrap_or_else(new_seed),
            scenario: request.scenario,
            caravan_capacity: Some(self.settings.caravan_capacity),
            point_cards_to_end: self.settings.point_cards_to_end,
            turn_clock,
        };
        let span = tracing::info_span!("command", game_id = %game_id, command = "createGame", outcome = tracing::field::Empty);
        let started = Instant::now();
        let result = self
            .create(&game_id, &command)
            .instrument(span.clone())
            .await;
        self.finish(&span, "createGame", started, &result);
        if result.is_err() {
            // A refused creation leaves no empty slot behind.
            self.games.forget_if_empty(&game_id);
        }
        let (mut loaded, _) = result?;
        for level in request.bots {
            loaded = self.add_bot(&game_id, level).await?.0;
        }
        summarize(&game_id, &loaded).ok_or_else(|| ApplicationError::game_not_found(&game_id))
    }

    /// Seats a computer player of `level` in the lowest free seat of a waiting game (anyone may).
    /// Returns the state after it and the seat taken.
    pub async fn add_bot(
        &self,
        game_id: &str,
        level: BotLevel,
    ) -> Result<(Arc<LoadedGame>, Seat), ApplicationError> {
        check_game_id(game_id)?;
        let player_id = format!("cpu-{}", new_player_id());
        let command = Command::AddBot {
            player_id: PlayerId::new(player_id.clone()),
            name: "Computer".to_string(),
            level,
        };
        let span = tracing::info_span!("command", game_id, command = "addBot", player_id = %player_id, outcome = tracing::field::Empty);
        let started = Instant::now();
        let result = self
            .run(game_id, &Actor::System, &command, None, None)
            .instrument(span.clone())
            .await;
        self.finish(&span, "addBot", started, &result);
        let (loaded, _) = result?;
        let seat = loaded
            .game
            .seat_of(&PlayerId::new(player_id))
            .ok_or_else(|| ApplicationError::game_not_found(game_id))?;
        Ok((loaded, seat))
    }

    /// A move the server makes itself (a timeout, a computer player's move), decided on the
    /// game at `version`: committed only if the game is still at that version, so however many
    /// instances fire the same moment, the move happens once. `None` when the game had moved on.
    pub async fn server_move(
        &self,
        game_id: &str,
        actor: &Actor,
        command: Command,
        version: u64,
    ) -> Result<Option<Committed>, ApplicationError> {
        let kind = command.kind();
        let span = tracing::info_span!(
            "command",
            game_id,
            command = kind,
            server = true,
            outcome = tracing::field::Empty
        );
        let started = Instant::now();
        let result = self
            .run(game_id, actor, &command, None, Some(version))
            .instrument(span.clone())
            .await;
        match result {
            Err(e) if e.code() == SUPERSEDED => Ok(None),
            result => {
                self.finish(&span, kind, started, &result);
                result.map(|(_, committed)| Some(committed))
            }
        }
    }

    async fn create(
        &self,
        game_id: &str,
        command: &Command,
    ) -> Result<(Arc<LoadedGame>, Committed), ApplicationError> {
        let slot = self.games.slot(game_id);
        let write = slot.write.lock().await;
        let current = self.games.refresh(game_id, &slot).await?;
        if current.version() > 0 {
            return Err(game_exists(game_id));
        }
        let events = current.game.decide(&Actor::System, command)?;
        let at = self.ports.clock.now();
        let unsettled = Unsettled::new(&slot);
        let outcome = match self.append_resolved(game_id, 0, events, None, at).await {
            Ok(outcome) => outcome,
            Err(AppendError::Conflict { .. }) => return Err(game_exists(game_id)),
            Err(e) => return Err(e.into()),
        };
        self.committed(game_id, &slot, write, unsettled, &current, &outcome.events)
            .await
    }

    /// Takes the lowest free seat under `name` and issues a token for it.
    pub async fn join(&self, game_id: &str, name: &str) -> Result<Joined, ApplicationError> {
        check_game_id(game_id)?;
        let player_id = new_player_id();
        let command = Command::Join {
            player_id: PlayerId::new(player_id.clone()),
            name: name.to_string(),
        };
        let actor = Actor::Player(PlayerId::new(player_id.clone()));
        let span = tracing::info_span!("command", game_id, command = "join", player_id = %player_id, outcome = tracing::field::Empty);
        let started = Instant::now();
        let result = self
            .run(game_id, &actor, &command, None, None)
            .instrument(span.clone())
            .await;
        self.finish(&span, "join", started, &result);
        if result.is_err() {
            // A join refused (an unknown game above all) leaves no empty slot behind.
            self.games.forget_if_empty(game_id);
        }
        let (loaded, committed) = result?;
        let seat = loaded
            .game
            .seat_of(&PlayerId::new(player_id.clone()))
            .ok_or_else(|| ApplicationError::game_not_found(game_id))?;
        let exp = self.ports.clock.now()
            + Duration::seconds(
                i64::try_from(self.settings.token_ttl_secs).unwrap_or(i64::MAX / 2),
            );
        let token = self.ports.tokens.issue(&PlayerClaims {
            player_id: player_id.clone(),
            game_id: game_id.to_string(),
            seat,
            exp: exp.timestamp(),
        })?;
        Ok(Joined {
            game_id: game_id.to_string(),
            player_id,
            seat,
            token,
            last_event_id: committed.last_event_id,
        })
    }

    /// Leaves the table for the token's player: frees the seat before the start, forfeits after.
    pub async fn leave(
        &self,
        player: &PlayerClaims,
        game_id: &str,
    ) -> Result<Committed, ApplicationError> {
        self.execute(player, game_id, None, Command::Leave).await
    }

    /// Handles a player's command. With a `command_id`, the same id sent again returns the first
    /// result (`duplicate: true`) without deciding again; the id reused for another command is a
    /// `command_id_reused` conflict.
    pub async fn execute(
        &self,
        player: &PlayerClaims,
        game_id: &str,
        command_id: Option<&str>,
        command: Command,
    ) -> Result<Committed, ApplicationError> {
        let kind = command.kind();
        let span = tracing::info_span!(
            "command",
            game_id,
            seat = player.seat,
            command = kind,
            command_id = command_id.unwrap_or(""),
            outcome = tracing::field::Empty,
        );
        let started = Instant::now();
        let result = self
            .execute_inner(player, game_id, command_id, &command)
            .instrument(span.clone())
            .await;
        self.finish(&span, kind, started, &result);
        if result.is_err() {
            self.games.forget_if_empty(game_id);
        }
        result.map(|(_, committed)| committed)
    }

    async fn execute_inner(
        &self,
        player: &PlayerClaims,
        game_id: &str,
        command_id: Option<&str>,
        command: &Command,
    ) -> Result<(Arc<LoadedGame>, Committed), ApplicationError> {
        check_game_id(game_id)?;
        if player.game_id != game_id {
            return Err(ApplicationError::forbidden(
                "wrong_game",
                "this token is for another game",
            ));
        }
        if !(command.is_turn_action() || matches!(command, Command::Leave)) {
            return Err(ApplicationError::invalid(
                "command_not_allowed",
                format!(
                    "{} is not a player command; use its own endpoint",
                    command.kind()
                ),
            ));
        }
        if let Some(id) = command_id {
            check_command_id(id)?;
        }
        let actor = Actor::Player(PlayerId::new(player.player_id.clone()));
        self.run(
            game_id,
            &actor,
            command,
            command_id.map(|id| (id, player.seat)),
            None,
        )
        .await
    }
}

/// The code of a server move whose game moved on first (never sent to clients).
const SUPERSEDED: &str = "superseded";

fn game_exists(game_id: &str) -> ApplicationError {
    ApplicationError::conflict(
        "game_exists",
        format!("a game with id {game_id:?} already exists"),
    )
}

mod path;
mod resolve;
#[cfg(test)]
use path::same_command;
#[cfg(test)]
mod tests;
