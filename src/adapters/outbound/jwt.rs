//! Player tokens as HS256 JSON Web Tokens (`jsonwebtoken`).
//!
//! Claims: `playerId`, `gameId`, `seat`, `exp`. Expiry is checked without leeway. A token never
//! appears in a log line: errors say only "expired" or "invalid".

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};

use crate::application::ports::{PlayerClaims, PlayerTokens, TokenError};

/// The [`PlayerTokens`] adapter.
pub struct JwtTokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl JwtTokens {
    /// Tokens signed and checked with `secret`.
    pub fn new(secret: &[u8]) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.validate_exp = true;
        validation.set_required_spec_claims(&["exp"]);
        JwtTokens {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
        }
    }
}

impl PlayerTokens for JwtTokens {
    fn issue(&self, claims: &PlayerClaims) -> Result<String, TokenError> {
        encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .map_err(|e| TokenError::Issue(e.to_string()))
    }

    fn verify(&self, token: &str) -> Result<PlayerClaims, TokenError> {
        decode::<PlayerClaims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: i64) -> PlayerClaims {
        PlayerClaims {
            player_id: "p1".into(),
            game_id: "g1".into(),
            seat: 1,
            exp,
        }
    }

    #[test]
    fn a_token_round_trips() {
        let tokens = JwtTokens::new(b"secret");
        let c = claims(chrono::Utc::now().timestamp() + 60);
        let token = tokens.issue(&c).unwrap();
        assert_eq!(tokens.verify(&token).unwrap(), c);
    }

    #[test]
    fn an_expired_token_is_refused_as_expired() {
        let tokens = JwtTokens::new(b"secret");
        let token = tokens
            .issue(&claims(chrono::Utc::now().timestamp() - 10))
            .unwrap();
        assert_eq!(tokens.verify(&token), Err(TokenError::Expired));
    }

    #[test]
    fn a_token_signed_with_another_key_is_invalid() {
        let token = JwtTokens::new(b"other")
            .issue(&claims(chrono::Utc::now().timestamp() + 60))
            .unwrap();
        assert_eq!(
            JwtTokens::new(b"secret").verify(&token),
            Err(TokenError::Invalid)
        );
        assert_eq!(
            JwtTokens::new(b"secret").verify("not.a.token"),
            Err(TokenError::Invalid)
        );
    }
}
