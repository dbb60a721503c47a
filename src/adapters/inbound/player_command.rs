//! The `command` object a player sends, read the same way over REST and WebSocket.
//!
//! Three outcomes, decided in this order so that each code has one meaning:
//! - `command_not_allowed`: the `type` names a command only the server or another request sends
//!   (`createGame`, `join`, `addBot`, `timeOut`, `expire`), whatever the other fields are;
//! - `invalid_command`: not an object, an unknown `type`, a missing, mistyped or unknown field;
//! - otherwise the domain's [`Command`].

use serde::Deserialize;
use serde_json::Value;

use super::malformed;
use crate::domain::Command;

/// Command kinds a client never sends as a command (games are created and joined through their
/// own requests; computer players, timeouts and expiry are the server's own moves).
pub const SERVER_ONLY: &[&str] = &["createGame", "join", "addBot", "timeOut", "expire"];

/// Why a `command` object was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandRefusal {
    /// `invalid_command` or `command_not_allowed`.
    pub code: &'static str,
    /// What is wrong, in words.
    pub message: String,
}

/// Reads a player's `command` object.
pub fn parse(value: &Value) -> Result<Command, CommandRefusal> {
    let invalid = |message: String| CommandRefusal {
        code: "invalid_command",
        message,
    };
    let Some(fields) = value.as_object() else {
        return Err(invalid("the command must be a JSON object".into()));
    };
    if let Some(Value::String(kind)) = fields.get("type") {
        if SERVER_ONLY.contains(&kind.as_str()) {
            let how = match kind.as_str() {
                "createGame" => "create games with POST /api/games",
                "join" => "join with POST /api/games/{id}/join",
                _ => "only the server sends it",
            };
            return Err(CommandRefusal {
                code: "command_not_allowed",
                message: format!("{kind} is not a player command: {how}"),
            });
        }
    }
    let command = Command::deserialize(value).map_err(|_| {
        invalid(malformed::describe_hiding::<Command>(
            "the command",
            value,
            SERVER_ONLY,
        ))
    })?;
    // Commands without fields (`rest`, `leave`) take any object with their `type`: a field the
    // command does not have is refused here, as it is for the others by the decoder.
    let known = serde_json::to_value(&command).unwrap_or(Value::Null);
    if let Some(extra) = fields.keys().find(|key| known.get(key.as_str()).is_none()) {
        return Err(invalid(format!("{extra} is not a field of the command")));
    }
    Ok(command)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn code(value: Value) -> &'static str {
        match parse(&value) {
            Ok(_) => "ok",
            Err(refusal) => refusal.code,
        }
    }

    #[test]
    fn a_server_only_type_is_not_allowed_whatever_its_fields() {
        assert_eq!(
            code(json!({"type": "createGame", "numPlayers": 2})),
            "command_not_allowed"
        );
        assert_eq!(code(json!({"type": "join"})), "command_not_allowed");
        assert_eq!(
            code(json!({"type": "expire", "x": 1})),
            "command_not_allowed"
        );
        assert_eq!(code(json!({"type": "timeOut"})), "command_not_allowed");
    }

    #[test]
    fn unknown_fields_are_refused_in_every_command() {
        assert_eq!(code(json!({"type": "rest"})), "ok");
        assert_eq!(code(json!({"type": "rest", "slot": 1})), "invalid_command");
        assert_eq!(
            code(json!({"type": "leave", "why": "x"})),
            "invalid_command"
        );
        assert_eq!(code(json!({"type": "playCard", "cardId": "S01"})), "ok");
        let refused = parse(&json!({"type": "playCard", "cardId": "S01", "colour": "red"}));
        assert_eq!(
            refused.unwrap_err().message,
            "colour is not a field of the command"
        );
        assert_eq!(
            code(json!({"type": "discard", "spices": {"yellow": 1, "pink": 1}})),
            "invalid_command"
        );
    }

    #[test]
    fn malformed_commands_are_invalid() {
        assert_eq!(code(json!([1])), "invalid_command");
        assert_eq!(code(json!({"type": "fly"})), "invalid_command");
        assert_eq!(code(json!({"type": "claim"})), "invalid_command");
        let message = parse(&json!({"type": "fly"})).unwrap_err().message;
        for hidden in SERVER_ONLY {
            assert!(!message.contains(hidden), "{message}");
        }
    }
}
