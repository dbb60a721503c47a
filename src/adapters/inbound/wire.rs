//! JSON shapes shared by the HTTP and WebSocket adapters, so both speak the same protocol.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::application::ports::StoredEvent;
use crate::application::ApplicationError;

/// One event as clients see it: `{"gameId","eventId","eventType","timestamp","data":{…}}`.
/// Build it only from events the application returned (they are already public).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventDto {
    /// The game.
    pub game_id: String,
    /// Position in the game's log.
    pub event_id: u64,
    /// `GameCreated`, `CardPlayed`, …
    pub event_type: &'static str,
    /// Version of the event's shape.
    pub schema_version: u16,
    /// When it was committed (RFC 3339).
    pub timestamp: DateTime<Utc>,
    /// The event's fields (camelCase).
    pub data: serde_json::Value,
}

impl From<&StoredEvent> for EventDto {
    fn from(stored: &StoredEvent) -> Self {
        // The domain serialises events as {"type": …, "data": {…}}; keep the data part.
        let data = match serde_json::to_value(stored.event.public()) {
            Ok(serde_json::Value::Object(mut map)) => {
                map.remove("data").unwrap_or(serde_json::Value::Null)
            }
            Ok(_) | Err(_) => serde_json::Value::Null,
        };
        EventDto {
            game_id: stored.game_id.clone(),
            event_id: stored.event_id,
            event_type: stored.event.event_type(),
            schema_version: stored.event.schema_version(),
            timestamp: stored.timestamp,
            data,
        }
    }
}

/// The error object: `{"code":"snake_case","message":"…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ErrorDto {
    /// Stable machine code.
    pub code: String,
    /// Human-readable message.
    pub message: String,
}

impl From<&ApplicationError> for ErrorDto {
    fn from(e: &ApplicationError) -> Self {
        ErrorDto {
            code: e.code().to_string(),
            message: e.to_string(),
        }
    }
}
