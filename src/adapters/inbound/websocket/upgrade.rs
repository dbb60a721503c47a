//! `GET /ws?gameId=G&token=T&lastEventId=N`: checks the request, opens the game's feed, and
//! upgrades the connection to a [`Session`].
//!
//! Everything is checked before the session starts: the query, the token (signature, expiry, game)
//! and the game itself. A refused WebSocket handshake is still upgraded, so that the client can
//! read why: it receives one `error` message and a close frame (1008, or 1011 when a backing
//! service failed). Browsers cannot read the body of a refused handshake, which is why the
//! refusal is not an HTTP status. A request that is not a WebSocket handshake at all gets an HTTP
//! 400 with the usual JSON error body.
//!
//! The token travels in the query string (browsers cannot set headers on a WebSocket); it is
//! never logged (the request span records the path only).

use actix_web::{web, HttpRequest, HttpResponse};
use actix_web_actors::ws;
use serde::Deserialize;

use super::protocol::{close, codes};
use super::session::{Opened, Refused, Session};
use crate::adapters::inbound::wire::ErrorDto;
use crate::adapters::inbound::AppState;
use crate::application::ApplicationError;

/// The query string of `/ws`. Every field is read as text so that each problem gets its own code.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WsQuery {
    game_id: Option<String>,
    token: Option<String>,
    last_event_id: Option<String>,
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
    let frame_size = state.websocket.max_frame_bytes;
    let opened = match open(&req, &state).await {
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
        .map_err(|e| ApplicationError::invalid("invalid_query", format!("invalid query: {e}")))?
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
