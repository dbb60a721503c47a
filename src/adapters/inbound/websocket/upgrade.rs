//! `GET /ws?gameId=G&token=T&lastEventId=N&protocol=P`: checks the request, opens the game's feed, and
//! upgrades the connection to a [`Session`].
//!
//! Everything is checked before the session starts: the query, the token (signature, expiry, game)
//! and the game itself. A refused WebSocket handshake is still upgraded, so that the client can
//! read why: it receives one `error` message and a close frame (1008, or 1011 when a backing
//! service failed). Browsers cannot read the body of a refused handshake, which is why the
//! refusal is not an HTTP status. A request that is not a WebSocket handshake at all gets an HTTP
//! 400 with the usual JSON error body.
//!
//! Each address may hold `WS_CONNECTIONS_PER_ADDRESS` sockets at once (admin requests, with
//! `Authorization: Bearer <ADMIN_TOKEN>`, are exempt); one more is answered `429` with
//! `Retry-After` before any upgrade.
//!
//! The token travels in the query string (browsers cannot set headers on a WebSocket); it is
//! never logged (the request span records the path only).

use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use actix_web_actors::ws;
use serde::Deserialize;

use super::protocol::{close, codes, Protocol};
use super::refused::Refused;
use super::session::{Opened, Session};
use crate::adapters::inbound::http::auth::carries_admin_token;
use crate::adapters::inbound::http::errors::ApiError;
use crate::adapters::inbound::throttle::Permit;
use crate::adapters::inbound::wire::ErrorDto;
use crate::adapters::inbound::AppState;
use crate::application::ApplicationError;

/// The query string of `/ws`. Every field is read as text so that each problem gets its own code.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct WsQuery {
    game_id: Option<String>,
    token: Option<String>,
    last_event_id: Option<String>,
    protocol: Option<String>,
}

/// The `/ws` route.
pub async fn connect(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, actix_web::Error> {
    if let Err(e) = ws::handshake(&req) {
        return Ok(HttpResponse::BadRequest().json(serde_json::json!({
            "error": ErrorDto {
                code: "websocket_required".into(),
                message: format!("/ws speaks WebSocket only: {e}"),
            }
        })));
    }
    // Held for the connection's life: the response body (the socket's outgoing stream) owns it.
    let permit = if carries_admin_token(&req, &state) {
        None
    } else {
        let client = state.limits.client(&req);
        match state.limits.websockets.acquire(client) {
            Ok(permit) => Some(permit),
            Err(limited) => {
                tracing::debug!(%client, "WebSocket refused: too many from this address");
                return Ok(ApiError::limited(
                    "too_many_connections",
                    "this address has too many WebSockets open (WS_CONNECTIONS_PER_ADDRESS)",
                    limited,
                )
                .error_response());
            }
        }
    };
    let response = start(&req, payload, &state).await?;
    Ok(match permit {
        Some(permit) => response.map_body(|_, body| HoldWhileOpen::new(body, permit).boxed()),
        None => response,
    })
}

/// Checks the request and starts the session (or the refusal's).
async fn start(
    req: &HttpRequest,
    payload: web::Payload,
    state: &web::Data<AppState>,
) -> Result<HttpResponse, actix_web::Error> {
    let req = req.clone();
    let frame_size = state.websocket.max_frame_bytes;
    let opened = match open(&req, state).await {
        Ok(opened) => opened,
        Err(e) => Err(Refused::new(&e)),
    };
    match opened {
        Ok(opened) => {
            tracing::debug!(
                game_id = %opened.game_id,
                seat = ?opened.player.as_ref().map(|p| p.seat),
                "WebSocket opened"
            );
            let session = Session::new(
                opened,
                state.services.clone(),
                state.websocket.clone(),
                state.shutdown.clone(),
                state.websockets.clone(),
            );
            ws::WsResponseBuilder::new(session, &req, payload)
                .frame_size(frame_size)
                .start()
        }
        Err(refusal) => {
            tracing::debug!(code = %refusal.code(), "WebSocket refused");
            ws::WsResponseBuilder::new(refusal, &req, payload)
                .frame_size(frame_size)
                .start()
        }
    }
}

/// Checks the query and the token, opens the feed, and takes a spectator's place for a spectator
/// (the inner `Err` when the game has no place left).
async fn open(
    req: &HttpRequest,
    state: &AppState,
) -> Result<Result<Opened, Refused>, ApplicationError> {
    let query = web::Query::<WsQuery>::from_query(req.query_string())
        .map_err(|e| {
            let text = e.to_string();
            let message = match text
                .split_once("unknown field `")
                .and_then(|(_, rest)| rest.split_once('`'))
            {
                Some((name, _)) => format!("{name} is not a parameter of /ws"),
                None => "the query string is malformed".to_string(),
            };
            ApplicationError::invalid("invalid_query", message)
        })?
        .into_inner();
    let game_id = query
        .game_id
        .filter(|id| !id.is_empty())
        .ok_or_else(|| ApplicationError::invalid("invalid_game_id", "gameId is required"))?;
    let last_event_id = match query.last_event_id.as_deref() {
        None | Some("") => None,
        Some(text) => Some(text.parse::<u64>().map_err(|_| {
            ApplicationError::invalid(
                "invalid_last_event_id",
                "lastEventId must be a whole number ≥ 0",
            )
        })?),
    };
    let protocol = match query.protocol.as_deref() {
        None | Some("") => Protocol::default(),
        Some(text) => Protocol::parse(text).ok_or_else(|| {
            ApplicationError::invalid(
                "unsupported_protocol",
                "protocol must be 1 (event and state frames), 2 (update frames), 3 (update frames with each event's data as an array) or 4 (update frames as arrays)",
            )
        })?,
    };
    // No token (or an empty one) is a spectator; a token that is given must be valid.
    let player = match query.token.as_deref() {
        None | Some("") => None,
        Some(token) => Some(state.services.authenticate(token)?),
    };
    if state.shutdown.is_stopping() {
        return Err(ApplicationError::Unavailable {
            code: codes::SERVER_STOPPING,
            message: "the server is shutting down; reconnect shortly".into(),
        });
    }
    let (start, feed) = state
        .services
        .feeds
        .open(&game_id, player.as_ref(), last_event_id)
        .await?;
    // Whoever does not hold a seat (no token, or a token whose player left) watches as a spectator.
    let spectator = if feed.seat().is_none() {
        let limit = state.websocket.max_spectators_per_game;
        match state.websockets.spectator_place(&game_id, limit) {
            Some(place) => Some(place),
            None => return Ok(Err(too_many_spectators(limit))),
        }
    } else {
        None
    };
    Ok(Ok(Opened {
        game_id,
        player,
        start,
        feed,
        spectator,
        protocol,
    }))
}

/// The refusal of one spectator too many (close 1013: try again later).
fn too_many_spectators(limit: usize) -> Refused {
    Refused::with(
        ErrorDto {
            code: codes::TOO_MANY_SPECTATORS.into(),
            message: format!(
                "this game already has {limit} spectators on this server; try again later"
            ),
        },
        close::TRY_AGAIN,
    )
}

/// A WebSocket's outgoing stream with a [`Permit`] that is given back when the connection ends
/// (the stream is dropped then, whichever side closed).
struct HoldWhileOpen {
    body: BoxBody,
    _permit: Permit,
}

impl HoldWhileOpen {
    fn new(body: BoxBody, permit: Permit) -> Self {
        HoldWhileOpen {
            body,
            _permit: permit,
        }
    }
}

impl MessageBody for HoldWhileOpen {
    type Error = Box<dyn std::error::Error>;

    fn size(&self) -> BodySize {
        self.body.size()
    }

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_next(cx)
    }
}
