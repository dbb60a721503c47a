//! The player tokens port: who holds which seat of which game.

use serde::{Deserialize, Serialize};

use crate::domain::Seat;

/// What a player token asserts: this player holds this seat in this game until `exp`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlayerClaims {
    /// The player's id.
    pub player_id: String,
    /// The game the token is valid for (and no other).
    pub game_id: String,
    /// The seat the token acts for.
    pub seat: Seat,
    /// Expiry, seconds since the Unix epoch.
    pub exp: i64,
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Well-formed and signed by us, but past its expiry.
    #[error("the token has expired")]
    Expired,
    /// Malformed, forged, or signed with another key.
    #[error("the token is not valid")]
    Invalid,
    /// The token could not be made (a key problem).
    #[error("cannot issue a token: {0}")]
    Issue(String),
}

/// Issues and checks player tokens.
#[cfg_attr(test, mockall::automock)]
pub trait PlayerTokens: Send + Sync + 'static {
    /// Signs the claims.
    fn issue(&self, claims: &PlayerClaims) -> Result<String, TokenError>;
    /// Checks signature and expiry, and returns the claims.
    fn verify(&self, token: &str) -> Result<PlayerClaims, TokenError>;
}
