//! `/api/games…`: create, list, view, join, leave, commands, events, state at a version.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use validator::{Validate, ValidationError};

use super::auth::{Admin, MaybePlayer, Player};
use super::errors::ApiError;
use super::json::JsonBody;
use crate::adapters::inbound::player_command;
use crate::adapters::inbound::wire::EventDto;
use crate::adapters::inbound::AppState;
use crate::application::ids::is_valid_game_id;
use crate::application::{Committed, NewGame};
use crate::domain::rules::{
    MAX_PLAYERS, MAX_TIMEOUTS_TO_FORFEIT, MAX_TURN_SECONDS, MIN_PLAYERS, MIN_TURN_SECONDS,
};
use crate::domain::{BotLevel, Command, GameStatus, Scenario, Viewer};

/// Registers the routes of this module under `/api/games`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/games")
            .service(
                web::resource("")
                    .route(web::post().to(create_game))
                    .route(web::get().to(list_games)),
            )
            .service(web::resource("/{game_id}").route(web::get().to(get_game)))
            .service(web::resource("/{game_id}/join").route(web::post().to(join)))
            .service(web::resource("/{game_id}/leave").route(web::post().to(leave)))
            .service(web::resource("/{game_id}/bots").route(web::post().to(add_bot)))
            .service(web::resource("/{game_id}/commands").route(web::post().to(command)))
            .service(web::resource("/{game_id}/events").route(web::get().to(events)))
            .service(web::resource("/{game_id}/state").route(web::get().to(state_at))),
    );
}

/// The bounds of a new game's numbers (`numPlayers`, `turnSeconds`, `timeoutsToForfeit`): the
/// domain's rules, declared there once. The published schema takes them from here.
pub(crate) const NEW_GAME_BOUNDS: [(&str, i64, i64); 3] = [
    ("numPlayers", MIN_PLAYERS as i64, MAX_PLAYERS as i64),
    (
        "turnSeconds",
        MIN_TURN_SECONDS as i64,
        MAX_TURN_SECONDS as i64,
    ),
    ("timeoutsToForfeit", 1, MAX_TIMEOUTS_TO_FORFEIT as i64),
];

/// `Ok` when `value` is within the bounds of `field` in [`NEW_GAME_BOUNDS`].
fn within_bounds(field: &str, value: i64) -> Result<(), ValidationError> {
    let Some(&(_, min, max)) = NEW_GAME_BOUNDS.iter().find(|(name, _, _)| *name == field) else {
        return Ok(());
    };
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(ValidationError::new("range")
            .with_message(format!("must be between {min} and {max}").into()))
    }
}

fn players_bounds(value: i64) -> Result<(), ValidationError> {
    within_bounds("numPlayers", value)
}

fn turn_seconds_bounds(value: i64) -> Result<(), ValidationError> {
    within_bounds("turnSeconds", value)
}

fn timeouts_bounds(value: i64) -> Result<(), ValidationError> {
    within_bounds("timeoutsToForfeit", value)
}

fn game_id_format(id: &str) -> Result<(), ValidationError> {
    if is_valid_game_id(id) {
        Ok(())
    } else {
        Err(ValidationError::new("pattern").with_message("must match [A-Za-z0-9_-]{1,64}".into()))
    }
}

/// `POST /api/games` body.
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateGameRequest {
    /// Seats, 2–5 (and at most the server's `MAX_PLAYERS`).
    #[validate(custom(function = "players_bounds"))]
    pub num_players: i64,
    /// Optional id; random when absent.
    #[validate(custom(function = "game_id_format"))]
    #[schema(pattern = "^[A-Za-z0-9_-]{1,64}$")]
    pub game_id: Option<String>,
    /// Deck seed: admin only (anyone who knows it knows the decks' order).
    pub seed: Option<u64>,
    /// Fixed deck starts: admin only.
    pub scenario: Option<Scenario>,
    /// Seconds per turn (the turn clock); the server's `TURN_SECONDS` when absent.
    #[validate(custom(function = "turn_seconds_bounds"))]
    pub turn_seconds: Option<i64>,
    /// Consecutive timeouts before a seat forfeits; the server's `TIMEOUTS_TO_FORFEIT` when absent.
    #[validate(custom(function = "timeouts_bounds"))]
    pub timeouts_to_forfeit: Option<i64>,
    /// Computer players seated at once, in the lowest seats (no more than `numPlayers`).
    pub bots: Option<Vec<BotRequest>>,
}

/// A computer player to seat: `{"level":"easy"|"greedy"|"strong"}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BotRequest {
    /// How it plays.
    pub level: BotLevel,
}

async fn create_game(
    state: web::Data<AppState>,
    admin: Admin,
    body: JsonBody<CreateGameRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    body.validate()?;
    if body.scenario.is_some() || body.seed.is_some() {
        admin.require()?;
    }
    if !admin.is_admin() {
        state
            .limits
            .games
            .check(&admin.client())
            .map_err(|limited| {
                ApiError::limited(
                    "too_many_games",
                    "this address has created too many games lately (RATE_LIMIT_GAMES_PER_MIN)",
                    limited,
                )
            })?;
    }
    let summary = state
        .services
        .commands
        .create_game(NewGame {
            game_id: body.game_id,
            // In range: validated above.
            num_players: u8::try_from(body.num_players).unwrap_or(0),
            seed: body.seed,
            scenario: body.scenario,
            // In range: validated above.
            turn_seconds: body.turn_seconds.and_then(|n| u32::try_from(n).ok()),
            timeouts_to_forfeit: body.timeouts_to_forfeit.and_then(|n| u8::try_from(n).ok()),
            bots: body
                .bots
                .unwrap_or_default()
                .into_iter()
                .map(|b| b.level)
                .collect(),
        })
        .await?;
    Ok(HttpResponse::Created().json(summary))
}

/// Takes one seat from the client's `RATE_LIMIT_JOINS_PER_MIN` allowance (admins are exempt).
fn check_join_allowance(state: &AppState, admin: &Admin) -> Result<(), ApiError> {
    if admin.is_admin() {
        return Ok(());
    }
    state
        .limits
        .joins
        .check(&admin.client())
        .map_err(|limited| {
            ApiError::limited(
                "too_many_joins",
                "this address has taken too many seats lately (RATE_LIMIT_JOINS_PER_MIN)",
                limited,
            )
        })
}

/// `POST /api/games/{id}/bots` answer.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BotResponse {
    /// The game.
    pub game_id: String,
    /// The seat the computer player took.
    pub seat: u8,
    /// Its level.
    pub level: BotLevel,
    /// The game's version after it joined.
    pub last_event_id: u64,
}

/// Seats a computer player in a waiting game; anyone may, within the same per-address allowance
/// as joins (a seat is a seat, whoever plays it).
async fn add_bot(
    state: web::Data<AppState>,
    path: web::Path<String>,
    admin: Admin,
    body: JsonBody<BotRequest>,
) -> Result<HttpResponse, ApiError> {
    check_join_allowance(&state, &admin)?;
    let game_id = path.into_inner();
    let level = body.into_inner().level;
    let (loaded, seat) = state.services.commands.add_bot(&game_id, level).await?;
    Ok(HttpResponse::Created().json(BotResponse {
        game_id,
        seat,
        level,
        last_event_id: loaded.version(),
    }))
}

/// `GET /api/games` query.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListQuery {
    status: Option<GameStatus>,
    limit: Option<usize>,
    cursor: Option<String>,
}

async fn list_games(
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    if query.status == Some(GameStatus::New) {
        return Err(ApiError::BadQuery(
            "status must be waiting, active or finished".into(),
        ));
    }
    let page = state
        .services
        .queries
        .list_games(query.status, query.limit, query.cursor.as_deref())
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

async fn get_game(
    state: web::Data<AppState>,
    path: web::Path<String>,
    player: MaybePlayer,
) -> Result<HttpResponse, ApiError> {
    let game_id = path.into_inner();
    // A player of this game sees its own view (with the legal hints on its turn); anyone else,
    // including a token whose player no longer holds its seat, a spectator's.
    let view = state
        .services
        .queries
        .view_for(&game_id, player.0.as_ref())
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// `POST /api/games/{id}/join` body.
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct JoinRequest {
    /// The name shown to others.
    #[validate(length(min = 1, max = 32, message = "must be 1–32 characters"))]
    #[schema(min_length = 1, max_length = 32)]
    pub name: String,
}

/// `POST /api/games/{id}/join` answer.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JoinResponse {
    /// The game.
    pub game_id: String,
    /// The new player's id.
    pub player_id: String,
    /// The seat taken.
    pub seat: u8,
    /// Bearer token for this seat in this game.
    pub token: String,
    /// The game's version after the join.
    pub last_event_id: u64,
}

async fn join(
    state: web::Data<AppState>,
    path: web::Path<String>,
    admin: Admin,
    body: JsonBody<JoinRequest>,
) -> Result<HttpResponse, ApiError> {
    body.validate()?;
    check_join_allowance(&state, &admin)?;
    let joined = state
        .services
        .commands
        .join(&path.into_inner(), &body.name)
        .await?;
    Ok(HttpResponse::Created().json(JoinResponse {
        game_id: joined.game_id,
        player_id: joined.player_id,
        seat: joined.seat,
        token: joined.token,
        last_event_id: joined.last_event_id,
    }))
}

/// What a command (or leave) committed.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CommandResponse {
    /// Ids of the events the command produced.
    pub event_ids: Vec<u64>,
    /// The game's version after them.
    pub last_event_id: u64,
    /// True when this command id had been handled before (nothing new was written).
    pub duplicate: bool,
}

impl From<Committed> for CommandResponse {
    fn from(c: Committed) -> Self {
        CommandResponse {
            event_ids: c.event_ids,
            last_event_id: c.last_event_id,
            duplicate: c.duplicate,
        }
    }
}

async fn leave(
    state: web::Data<AppState>,
    path: web::Path<String>,
    player: Player,
) -> Result<HttpResponse, ApiError> {
    let committed = state
        .services
        .commands
        .leave(&player.0, &path.into_inner())
        .await?;
    Ok(HttpResponse::Ok().json(CommandResponse::from(committed)))
}

/// `POST /api/games/{id}/commands` body.
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CommandRequest {
    /// Idempotency key: the same id again returns the first result.
    #[validate(length(min = 1, max = 128, message = "must be 1–128 characters"))]
    #[schema(
        min_length = 1,
        max_length = 128,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    pub command_id: String,
    /// The command object (`{"type":"playCard",…}`).
    #[schema(value_type = crate::domain::Command)]
    pub command: serde_json::Value,
}

async fn command(
    state: web::Data<AppState>,
    path: web::Path<String>,
    player: Player,
    body: JsonBody<CommandRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    body.validate()?;
    let command: Command = player_command::parse(&body.command).map_err(|refusal| {
        ApiError::Application(crate::application::ApplicationError::invalid(
            refusal.code,
            refusal.message,
        ))
    })?;
    let committed = state
        .services
        .commands
        .execute(
            &player.0,
            &path.into_inner(),
            Some(&body.command_id),
            command,
        )
        .await?;
    Ok(HttpResponse::Ok().json(CommandResponse::from(committed)))
}

/// `GET /api/games/{id}/events` query: `after`/`limit`, or `since`/`until` (RFC 3339).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EventsQuery {
    after: Option<u64>,
    limit: Option<usize>,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
}

/// A list of events.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EventsResponse {
    game_id: String,
    events: Vec<EventDto>,
}

async fn events(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<EventsQuery>,
) -> Result<HttpResponse, ApiError> {
    let game_id = path.into_inner();
    let query = query.into_inner();
    let queries = &state.services.queries;
    let events = match (query.since, query.until) {
        (None, None) => {
            queries
                .events(&game_id, query.after.unwrap_or(0), query.limit)
                .await?
        }
        (since, until) => {
            if query.after.is_some() {
                return Err(ApiError::BadQuery(
                    "use either after or since/until, not both".into(),
                ));
            }
            let since = since.unwrap_or(DateTime::<Utc>::MIN_UTC);
            let until = until.unwrap_or(DateTime::<Utc>::MAX_UTC);
            queries
                .events_between(&game_id, since, until, query.limit)
                .await?
        }
    };
    Ok(HttpResponse::Ok().json(EventsResponse {
        events: events.iter().map(EventDto::from).collect(),
        game_id,
    }))
}

/// `GET /api/games/{id}/state?at=N`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateQuery {
    at: Option<u64>,
}

async fn state_at(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<StateQuery>,
) -> Result<HttpResponse, ApiError> {
    let game_id = path.into_inner();
    let view = match query.at {
        Some(at) => state.services.queries.view_at(&game_id, at).await?,
        None => {
            state
                .services
                .queries
                .view(&game_id, Viewer::Spectator)
                .await?
        }
    };
    Ok(HttpResponse::Ok().json(view))
}
