//! The application's one error type. Every variant has a stable snake_case code that the protocol
//! sends to clients (`{"error":{"code":…,"message":…}}`); the edges map variants to statuses.
//!
//! A port failure becomes [`ApplicationError::Unavailable`] whose message is safe to show; the
//! underlying cause is logged where it happens, never sent.

use crate::domain::RuleViolation;

use super::ports::{AppendError, BusError, ReadModelError, StoreError, TokenError};

/// The code of [`ApplicationError::outcome_unknown`].
pub const OUTCOME_UNKNOWN: &str = "outcome_unknown";

/// Why a use case did not succeed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApplicationError {
    /// A game rule refused the command; the code is the rule's (`not_your_turn`, `cannot_afford` …).
    #[error(transparent)]
    Domain(#[from] RuleViolation),
    /// The request conflicts with the current state of the game.
    #[error("{message}")]
    Conflict {
        /// `game_exists`, `version_conflict`, `command_id_reused`.
        code: &'static str,
        /// Human-readable explanation.
        message: String,
    },
    /// No such game (or no such thing asked for).
    #[error("{message}")]
    NotFound {
        /// `game_not_found`, `event_not_found`.
        code: &'static str,
        /// Human-readable explanation.
        message: String,
    },
    /// No valid credentials.
    #[error("{message}")]
    Unauthorized {
        /// `unauthorized` (missing), `invalid_token`, `token_expired`.
        code: &'static str,
        /// Human-readable explanation.
        message: String,
    },
    /// Valid credentials that do not allow this (another game's token, a spectator acting, no admin token).
    #[error("{message}")]
    Forbidden {
        /// `forbidden`, `wrong_game`, `admin_only`.
        code: &'static str,
        /// Human-readable explanation.
        message: String,
    },
    /// Input that no game state could accept (bad id, out-of-range parameter).
    #[error("{message}")]
    Invalid {
        /// `invalid_request`, `invalid_game_id`, `invalid_command_id`, `invalid_version`, …
        code: &'static str,
        /// Human-readable explanation.
        message: String,
    },
    /// A backing service cannot be reached. With `unavailable` nothing was changed; with
    /// `outcome_unknown` a command's write may have been stored (retry with the same command id).
    #[error("{message}")]
    Unavailable {
        /// `unavailable`, `outcome_unknown`.
        code: &'static str,
        /// Which service, without internals.
        message: String,
    },
}

impl ApplicationError {
    /// The stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            ApplicationError::Domain(v) => v.code(),
            ApplicationError::Conflict { code, .. }
            | ApplicationError::NotFound { code, .. }
            | ApplicationError::Unauthorized { code, .. }
            | ApplicationError::Forbidden { code, .. }
            | ApplicationError::Invalid { code, .. }
            | ApplicationError::Unavailable { code, .. } => code,
        }
    }

    /// `game_not_found` for this id.
    pub fn game_not_found(game_id: &str) -> Self {
        ApplicationError::NotFound {
            code: "game_not_found",
            message: format!("no game with id {game_id:?}"),
        }
    }

    /// An `Invalid` with the given code.
    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        ApplicationError::Invalid {
            code,
            message: message.into(),
        }
    }

    /// A `Forbidden` with the given code.
    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        ApplicationError::Forbidden {
            code,
            message: message.into(),
        }
    }

    /// An `Unauthorized` with the given code.
    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> Self {
        ApplicationError::Unauthorized {
            code,
            message: message.into(),
        }
    }

    /// A `Conflict` with the given code.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        ApplicationError::Conflict {
            code,
            message: message.into(),
        }
    }

    /// `outcome_unknown`: the command may have been committed; the client should send it again
    /// with the same command id, which is answered with the real result.
    pub fn outcome_unknown() -> Self {
        ApplicationError::Unavailable {
            code: OUTCOME_UNKNOWN,
            message: "the event store did not confirm whether this command was stored; \
                      send it again with the same commandId to learn its result"
                .into(),
        }
    }

    /// True for `outcome_unknown`.
    pub fn is_outcome_unknown(&self) -> bool {
        matches!(self, ApplicationError::Unavailable { code, .. } if *code == OUTCOME_UNKNOWN)
    }

    fn unavailable(what: &str) -> Self {
        ApplicationError::Unavailable {
            code: "unavailable",
            message: format!("the {what} is unavailable; try again shortly"),
        }
    }
}

impl From<StoreError> for ApplicationError {
    fn from(e: StoreError) -> Self {
        tracing::warn!(error = %e, "event store read failed");
        ApplicationError::unavailable("event store")
    }
}

impl From<ReadModelError> for ApplicationError {
    fn from(e: ReadModelError) -> Self {
        tracing::warn!(error = %e, "read model failed");
        ApplicationError::unavailable("read model store")
    }
}

impl From<BusError> for ApplicationError {
    fn from(e: BusError) -> Self {
        tracing::warn!(error = %e, "event bus failed");
        ApplicationError::unavailable("event bus")
    }
}

impl From<AppendError> for ApplicationError {
    fn from(e: AppendError) -> Self {
        match e {
            AppendError::Conflict { actual } => ApplicationError::conflict(
                "version_conflict",
                format!("the game moved on (now at event {actual}); reload and try again"),
            ),
            AppendError::Unavailable(reason) => {
                tracing::warn!(error = %reason, "event store append failed");
                ApplicationError::unavailable("event store")
            }
            AppendError::Unknown(reason) => {
                tracing::warn!(error = %reason, "the outcome of an append is still unknown");
                ApplicationError::outcome_unknown()
            }
        }
    }
}

impl From<TokenError> for ApplicationError {
    fn from(e: TokenError) -> Self {
        match e {
            TokenError::Expired => {
                ApplicationError::unauthorized("token_expired", "the token has expired; join again")
            }
            TokenError::Invalid => {
                ApplicationError::unauthorized("invalid_token", "the token is not valid")
            }
            TokenError::Issue(reason) => {
                tracing::error!(error = %reason, "cannot issue a player token");
                ApplicationError::unavailable("token service")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_violation_keeps_its_own_code() {
        let e = ApplicationError::from(RuleViolation::GameFull);
        assert_eq!(e.code(), "game_full");
    }

    #[test]
    fn an_append_conflict_is_a_version_conflict() {
        let e = ApplicationError::from(AppendError::Conflict { actual: 7 });
        assert_eq!(e.code(), "version_conflict");
    }

    #[test]
    fn an_append_of_unknown_outcome_is_not_a_plain_unavailable() {
        let e = ApplicationError::from(AppendError::Unknown("reply lost".into()));
        assert_eq!(e.code(), "outcome_unknown");
        assert!(e.is_outcome_unknown());
        assert!(!ApplicationError::unavailable("event store").is_outcome_unknown());
    }

    #[test]
    fn an_unavailable_store_does_not_leak_its_cause() {
        let e = ApplicationError::from(AppendError::Unavailable("mongodb://user:pw@host".into()));
        assert_eq!(e.code(), "unavailable");
        assert!(!e.to_string().contains("pw"));
    }
}
