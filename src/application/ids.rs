//! Identifiers that come from outside (game ids, command ids, names): checked once, here.

use uuid::Uuid;

use super::errors::ApplicationError;

/// Longest accepted game id.
pub const MAX_GAME_ID_LEN: usize = 64;
/// Longest accepted command id.
pub const MAX_COMMAND_ID_LEN: usize = 128;

/// True for `[A-Za-z0-9_-]{1,64}`.
pub fn is_valid_game_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_GAME_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Refuses a game id outside `[A-Za-z0-9_-]{1,64}` with `invalid_game_id`.
pub fn check_game_id(id: &str) -> Result<(), ApplicationError> {
    if is_valid_game_id(id) {
        Ok(())
    } else {
        Err(ApplicationError::invalid(
            "invalid_game_id",
            "a game id is 1–64 characters of A–Z, a–z, 0–9, _ and -",
        ))
    }
}

/// Refuses an empty, over-long or non-printable command id with `invalid_command_id`.
pub fn check_command_id(id: &str) -> Result<(), ApplicationError> {
    if !id.is_empty()
        && id.chars().count() <= MAX_COMMAND_ID_LEN
        && id.chars().all(|c| !c.is_control())
    {
        Ok(())
    } else {
        Err(ApplicationError::invalid(
            "invalid_command_id",
            "a command id is 1–128 printable characters",
        ))
    }
}

/// A fresh game id: 12 characters from a random UUID (URL-safe, no ambiguity with user-chosen ids
/// in practice).
pub fn new_game_id() -> String {
    Uuid::new_v4().simple().to_string()[..12].to_string()
}

/// A fresh player id.
pub fn new_player_id() -> String {
    Uuid::new_v4().to_string()
}

/// A random seed for a new game.
pub fn new_seed() -> u64 {
    Uuid::new_v4().as_u64_pair().0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn game_ids_follow_the_protocol_pattern() {
        assert!(is_valid_game_id("abc_DEF-123"));
        assert!(is_valid_game_id(&"a".repeat(64)));
        assert!(!is_valid_game_id(""));
        assert!(!is_valid_game_id(&"a".repeat(65)));
        assert!(!is_valid_game_id("a b"));
        assert!(!is_valid_game_id("a/b"));
        assert!(!is_valid_game_id("é"));
        assert!(is_valid_game_id(&new_game_id()));
    }

    #[test]
    fn command_ids_are_printable_and_bounded() {
        assert!(check_command_id("c-1").is_ok());
        assert!(check_command_id("").is_err());
        assert!(check_command_id("a\nb").is_err());
        assert!(check_command_id(&"x".repeat(129)).is_err());
    }
}
