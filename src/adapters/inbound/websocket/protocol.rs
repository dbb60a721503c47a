//! The WebSocket protocol's messages: what a client may send, what the server sends, the error
//! codes and the close codes. One JSON object per text frame.
//!
//! Parsing is strict: a message has exactly the fields of its type, and one without a readable
//! `type`, with a field its type does not define, or a command without a string `requestId`, is
//! refused with a stable code. This module never decides a game rule: a command that parses is
//! handed to the application as it is. The event frames are written by [`event_frame`] and
//! [`write_update_event`].

use actix_web_actors::ws::{CloseCode, CloseReason};
use serde::Serialize;
use serde_json::Value;

use crate::adapters::inbound::wire::{ErrorDto, EventDto};
use crate::adapters::inbound::{malformed, player_command};
use crate::application::{ApplicationError, Committed};
use crate::domain::{Command, GameView, Seat};

/// Error codes of the WebSocket layer itself (the application's codes are passed on as they are).
pub mod codes {
    /// The text frame is not JSON.
    pub const INVALID_JSON: &str = "invalid_json";
    /// JSON, but not a message this server understands the shape of (not an object, no string
    /// `type`, a command without a string `requestId`).
    pub const INVALID_MESSAGE: &str = "invalid_message";
    /// A `type` this server does not know.
    pub const UNKNOWN_MESSAGE_TYPE: &str = "unknown_message_type";
    /// The `command` of a command message is missing or not a valid command object.
    pub const INVALID_COMMAND: &str = "invalid_command";
    /// A binary frame: the protocol is JSON text only.
    pub const BINARY_NOT_SUPPORTED: &str = "binary_not_supported";
    /// A frame (or a fragmented message) larger than `WS_MAX_FRAME_BYTES`; the connection closes (1009).
    pub const FRAME_TOO_LARGE: &str = "frame_too_large";
    /// More than `WS_MAX_MESSAGES_PER_SEC` messages: this one was dropped.
    pub const RATE_LIMITED: &str = "rate_limited";
    /// The client did not read its messages fast enough; the connection closes (1013).
    pub const SLOW_CONSUMER: &str = "slow_consumer";
    /// A connection without a player token sent a command.
    pub const SPECTATOR_CANNOT_ACT: &str = "spectator_cannot_act";
    /// The server is shutting down and takes no new commands.
    pub const SERVER_STOPPING: &str = "server_stopping";
    /// A WebSocket protocol violation (bad opcode, unmasked frame, …); the connection closes (1002).
    pub const PROTOCOL_ERROR: &str = "protocol_error";
    /// The game already has `WS_MAX_SPECTATORS_PER_GAME` spectators on this server (close 1013).
    pub const TOO_MANY_SPECTATORS: &str = "too_many_spectators";
}

/// Close codes the server uses. 1000–1013 are RFC 6455's; 4008 is this protocol's.
pub mod close {
    use super::CloseCode;

    /// The server is stopping (SIGTERM): reconnect later with `lastEventId`.
    pub const GOING_AWAY: CloseCode = CloseCode::Away;
    /// The connection was refused (bad token, unknown game, bad query) or abused the rate limit.
    /// Reconnecting with the same parameters will not help.
    pub const POLICY: CloseCode = CloseCode::Policy;
    /// A frame larger than `WS_MAX_FRAME_BYTES`.
    pub const TOO_LARGE: CloseCode = CloseCode::Size;
    /// A WebSocket protocol violation.
    pub const PROTOCOL: CloseCode = CloseCode::Protocol;
    /// The server could not read the game's log: reconnect with `lastEventId`.
    pub const SERVER_ERROR: CloseCode = CloseCode::Error;
    /// Slow consumer: reconnect with `lastEventId` (the missed events are replayed).
    pub const TRY_AGAIN: CloseCode = CloseCode::Again;
    /// No frame from the client for `WS_CLIENT_TIMEOUT_SECS`.
    pub const CLIENT_TIMEOUT: CloseCode = CloseCode::Other(4008);
}

/// The version of the server → client protocol a connection speaks, chosen at connect with
/// `protocol=` (docs/protocol.md): the number is sent in `welcome` and `caughtUp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Protocol {
    /// 1: each commit as one `event` frame per event, then a `state` frame with the whole state.
    Full,
    /// 2 (the default): each commit as one `update` frame, its events and a patch of the state.
    #[default]
    Updates,
    /// 3: as 2, with each event's data written as the array of its values ([`compact`]).
    Compact,
    /// 4: as 3, with the `update` frame itself an array (`[events, patch]`), each event's
    /// timestamp in milliseconds since the epoch and the patch's `legal` hints as arrays.
    Packed,
}

impl Protocol {
    /// Reads the `protocol` parameter of `/ws`.
    pub fn parse(text: &str) -> Option<Protocol> {
        match text {
            "1" => Some(Protocol::Full),
            "2" => Some(Protocol::Updates),
            "3" => Some(Protocol::Compact),
            "4" => Some(Protocol::Packed),
            _ => None,
        }
    }

    /// Its number on the wire.
    pub fn number(self) -> u8 {
        match self {
            Protocol::Full => 1,
            Protocol::Updates => 2,
            Protocol::Compact => 3,
            Protocol::Packed => 4,
        }
    }

    /// Whether an `update` writes each event's data as the array of its values (3 and 4).
    pub fn compact_events(self) -> bool {
        matches!(self, Protocol::Compact | Protocol::Packed)
    }

    /// Whether the `update` frame is packed: an array, timestamps as numbers, `legal` as arrays
    /// (4).
    pub fn packed(self) -> bool {
        self == Protocol::Packed
    }
}

/// A close frame's reason: the code and a short text (the error code when there is one).
pub fn close_reason(code: CloseCode, description: &str) -> CloseReason {
    CloseReason {
        code,
        description: Some(description.to_string()),
    }
}

/// What a client may send.
#[derive(Debug, Clone, PartialEq)]
pub enum ClientMessage {
    /// `{"type":"command","requestId":"…","command":{…}}`: the request id is also the command id.
    Command {
        /// Echoed in the `commandResult`; the idempotency key of the command.
        request_id: String,
        /// The command as the domain reads it.
        command: Command,
    },
    /// `{"type":"ping"}`: answered with `{"type":"pong"}`.
    Ping,
}

/// The shape of what a client may send, for the published schema (`/api/schema/ws.json`);
/// [`parse`] reads the frames themselves, field by field, to answer each fault with its code.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum ClientFrame {
    /// `{"type":"command","requestId":"…","command":{…}}`.
    #[serde(rename_all = "camelCase")]
    Command {
        /// 1–128 printable characters; the command's idempotency key (its `commandId`).
        #[schema(
            min_length = 1,
            max_length = 128,
            pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$"
        )]
        request_id: String,
        /// The command, as over REST.
        command: Command,
    },
    /// `{"type":"ping"}`: answered with `{"type":"pong"}`.
    Ping,
}

/// A message that cannot be accepted.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    /// Stable code.
    pub code: &'static str,
    /// Human-readable explanation.
    pub message: String,
    /// The request id, when the message was a command whose `requestId` could be read: the
    /// answer is then a `commandResult` rather than an `error`.
    pub request_id: Option<String>,
}

impl Refusal {
    fn new(code: &'static str, message: impl Into<String>) -> Self {
        Refusal {
            code,
            message: message.into(),
            request_id: None,
        }
    }

    /// The frame that answers this refusal.
    pub fn to_frame(&self) -> String {
        let error = ErrorDto {
            code: self.code.to_string(),
            message: self.message.clone(),
        };
        match &self.request_id {
            Some(request_id) => {
                ServerMessage::CommandResult(CommandResult::refused(request_id.clone(), error))
                    .to_frame()
            }
            None => ServerMessage::error(error).to_frame(),
        }
    }
}

/// What a WebSocket protocol error means, in words (the library's own text names its internals,
/// such as "I/O error: invalid utf-8").
pub fn describe_protocol_error(error: &actix_web_actors::ws::ProtocolError) -> String {
    use actix_web_actors::ws::ProtocolError as P;
    match error {
        P::Io(_) => "a text frame must be valid UTF-8".into(),
        P::Overflow => "the frame is larger than WS_MAX_FRAME_BYTES".into(),
        P::UnmaskedFrame => "client frames must be masked".into(),
        P::ContinuationNotStarted | P::ContinuationStarted | P::ContinuationFragment(_) => {
            "the fragments of a message arrived out of order".into()
        }
        P::BadOpCode | P::InvalidOpcode(_) => "unknown frame opcode".into(),
        P::InvalidLength(_) => "a control frame is longer than 125 bytes".into(),
        _ => "the frame breaks the WebSocket protocol".into(),
    }
}

/// Reads one text frame.
///
/// A message has exactly the fields of its type (`type`; `requestId` and `command` for a
/// command): any other field is refused with `invalid_message`, as a `commandResult` when the
/// message is a command whose `requestId` could be read.
pub fn parse(text: &str) -> Result<ClientMessage, Refusal> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| Refusal::new(codes::INVALID_JSON, malformed::syntax("the message", &e)))?;
    let Value::Object(mut fields) = value else {
        return Err(Refusal::new(
            codes::INVALID_MESSAGE,
            "a message is a JSON object with a \"type\"",
        ));
    };
    let kind = match fields.remove("type") {
        Some(Value::String(kind)) => kind,
        Some(_) => {
            return Err(Refusal::new(
                codes::INVALID_MESSAGE,
                "\"type\" must be a string",
            ))
        }
        None => {
            return Err(Refusal::new(
                codes::INVALID_MESSAGE,
                "a message needs a \"type\"",
            ))
        }
    };
    match kind.as_str() {
        "ping" => match fields.keys().next() {
            Some(extra) => Err(Refusal::new(
                codes::INVALID_MESSAGE,
                format!("{extra} is not a field of a ping message"),
            )),
            None => Ok(ClientMessage::Ping),
        },
        "command" => {
            let request_id = match fields.remove("requestId") {
                Some(Value::String(id)) => id,
                Some(_) => {
                    return Err(Refusal::new(
                        codes::INVALID_MESSAGE,
                        "\"requestId\" must be a string",
                    ))
                }
                None => {
                    return Err(Refusal::new(
                        codes::INVALID_MESSAGE,
                        "a command message needs a \"requestId\"",
                    ))
                }
            };
            let command = fields.remove("command");
            if let Some(extra) = fields.keys().next() {
                return Err(Refusal {
                    code: codes::INVALID_MESSAGE,
                    message: format!("{extra} is not a field of a command message"),
                    request_id: Some(request_id),
                });
            }
            let refused = |code: &'static str, message: String| Refusal {
                code,
                message,
                request_id: Some(request_id.clone()),
            };
            let command = match command {
                Some(command @ Value::Object(_)) => command,
                Some(_) => {
                    return Err(refused(
                        codes::INVALID_COMMAND,
                        "\"command\" must be a JSON object".into(),
                    ))
                }
                None => {
                    return Err(refused(
                        codes::INVALID_COMMAND,
                        "a command message needs a \"command\"".into(),
                    ))
                }
            };
            let command = player_command::parse(&command)
                .map_err(|refusal| refused(refusal.code, refusal.message))?;
            Ok(ClientMessage::Command {
                request_id,
                command,
            })
        }
        other => Err(Refusal::new(
            codes::UNKNOWN_MESSAGE_TYPE,
            format!("unknown message type {other:?}; expected \"command\" or \"ping\""),
        )),
    }
}

/// The answer to one command message.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CommandResult {
    /// The client's `requestId`.
    pub request_id: String,
    /// Whether the command was accepted (or had been accepted before, for a repeated id).
    pub ok: bool,
    /// Ids of the events the command produced (`ok: true` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_ids: Option<Vec<u64>>,
    /// The game's version after those events (`ok: true` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_event_id: Option<u64>,
    /// True when this request id had been handled before: nothing new was written (`ok: true` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate: Option<bool>,
    /// Why it was refused (`ok: false` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorDto>,
}

impl CommandResult {
    /// An accepted command.
    pub fn accepted(request_id: String, committed: &Committed) -> Self {
        CommandResult {
            request_id,
            ok: true,
            event_ids: Some(committed.event_ids.clone()),
            last_event_id: Some(committed.last_event_id),
            duplicate: Some(committed.duplicate),
            error: None,
        }
    }

    /// A refused command.
    pub fn refused(request_id: String, error: ErrorDto) -> Self {
        CommandResult {
            request_id,
            ok: false,
            event_ids: None,
            last_event_id: None,
            duplicate: None,
            error: Some(error),
        }
    }

    /// A command the application refused.
    pub fn failed(request_id: String, error: &ApplicationError) -> Self {
        Self::refused(request_id, ErrorDto::from(error))
    }
}

/// What the server sends.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum ServerMessage<'a> {
    /// The first message of a connection opened without `lastEventId`.
    #[serde(rename_all = "camelCase")]
    Welcome {
        /// The game.
        game_id: &'a str,
        /// The connection's seat; `null` for a spectator.
        seat: Option<Seat>,
        /// The protocol this connection speaks: 1 (`event` and `state` frames), 2 (`update`
        /// frames), 3 (`update` frames with each event's data as an array) or 4 (`update` frames
        /// as arrays), as asked with `protocol=` at connect.
        #[schema(minimum = 1, maximum = 4)]
        protocol: u8,
        /// The version `state` is at.
        last_event_id: u64,
        /// The game as this connection may see it.
        state: &'a GameView,
    },
    /// One event, public form.
    Event(EventDto),
    /// After the missed events of a connection opened with `lastEventId`.
    #[serde(rename_all = "camelCase")]
    CaughtUp {
        /// The id of the last missed event (the client's own `lastEventId` if none was missed).
        last_event_id: u64,
        /// The protocol this connection speaks (see `welcome`).
        #[schema(minimum = 1, maximum = 4)]
        protocol: u8,
    },
    /// Protocols 2 and 3: everything one commit (or a run of commits) changed, in one frame (in
    /// protocol 4 the array `[events, patch]`, `PackedUpdate`). Written directly by the server
    /// (`websocket/frames.rs`); these fields describe its shape.
    #[serde(rename_all = "camelCase")]
    Update {
        /// The new events, each `[eventId, eventType, schemaVersion, timestamp, data]`, in order
        /// and without gaps after the last event the connection received (the timestamp is `null`
        /// when it is the one of the event before it in the frame). The state is at the last one's
        /// id once `patch` is applied. In protocol 3 `data` is the array of the data's values.
        #[schema(value_type = Vec<Object>)]
        events: Vec<Value>,
        /// What changed in the connection's state, merged into it as `docs/protocol.md` says.
        #[schema(value_type = Object)]
        patch: Value,
    },
    /// The state after the events just sent.
    #[serde(rename_all = "camelCase")]
    State {
        /// The version `state` is at.
        last_event_id: u64,
        /// The game as this connection may see it (with `legal` hints on its turn).
        state: &'a GameView,
    },
    /// The answer to a command message.
    CommandResult(CommandResult),
    /// A message that could not be accepted, or why the connection is about to close.
    #[serde(rename_all = "camelCase")]
    Error {
        /// `{"code","message"}`.
        error: ErrorDto,
    },
    /// The answer to `{"type":"ping"}`.
    Pong,
}

impl ServerMessage<'_> {
    /// An `error` message.
    pub fn error(error: ErrorDto) -> ServerMessage<'static> {
        ServerMessage::Error { error }
    }

    /// An `error` message with the given code.
    pub fn error_code(code: &str, message: impl Into<String>) -> ServerMessage<'static> {
        ServerMessage::Error {
            error: ErrorDto {
                code: code.to_string(),
                message: message.into(),
            },
        }
    }

    /// The JSON text of one frame.
    pub fn to_frame(&self) -> String {
        // Room for the whole frame up front: a state is a few KiB, and growing the buffer from
        // empty copied it several times per frame.
        let capacity = match self {
            ServerMessage::Welcome { .. } | ServerMessage::State { .. } => 4096,
            _ => 256,
        };
        let mut out = Vec::with_capacity(capacity);
        // Serialising these types cannot fail (string keys, no maps with non-string keys); should it
        // ever, the client gets an error it can report instead of a silently missing message.
        match serde_json::to_writer(&mut out, self).map(|()| String::from_utf8(out)) {
            Ok(Ok(text)) => text,
            Ok(Err(e)) => internal_error(&e),
            Err(e) => internal_error(&e),
        }
    }
}

pub(super) fn internal_error(e: &dyn std::fmt::Display) -> String {
    tracing::error!(error = %e, "cannot serialise a WebSocket message");
    r#"{"type":"error","error":{"code":"internal","message":"internal error"}}"#.into()
}

pub mod compact;
mod events;
pub use events::{event_frame, write_update_event};

#[cfg(test)]
mod tests;
