//! Who is asking: the player token (`Authorization: Bearer <token>`) and the admin token.
//! Tokens are read from the header only and never logged.

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};

use super::errors::ApiError;
use crate::adapters::inbound::AppState;
use crate::application::{ApplicationError, PlayerClaims};

/// The bearer token of a request, if any.
fn bearer(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

fn state(req: &HttpRequest) -> Result<&web::Data<AppState>, ApiError> {
    req.app_data::<web::Data<AppState>>()
        .ok_or(ApiError::Internal)
}

/// A request that carries a valid player token (401 otherwise).
#[derive(Debug, Clone)]
pub struct Player(pub PlayerClaims);

impl FromRequest for Player {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready((|| {
            let token = bearer(req).ok_or_else(|| {
                ApplicationError::unauthorized("unauthorized", "a player token is required")
            })?;
            Ok(Player(state(req)?.services.authenticate(token)?))
        })())
    }
}

/// A request that may carry a player token: `None` without one, 401 with an invalid one.
#[derive(Debug, Clone)]
pub struct MaybePlayer(pub Option<PlayerClaims>);

impl FromRequest for MaybePlayer {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready((|| match bearer(req) {
            None => Ok(MaybePlayer(None)),
            Some(token) => Ok(MaybePlayer(Some(state(req)?.services.authenticate(token)?))),
        })())
    }
}

/// Whether the request carries the admin token. Does not fail by itself: routes decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admin {
    /// The admin token was given.
    Yes,
    /// No bearer token, or not the admin one.
    No,
}

impl Admin {
    /// 403 unless the request is an admin's.
    pub fn require(self) -> Result<(), ApiError> {
        match self {
            Admin::Yes => Ok(()),
            Admin::No => {
                Err(ApplicationError::forbidden("admin_only", "this needs the admin token").into())
            }
        }
    }
}

impl FromRequest for Admin {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready((|| {
            let state = state(req)?;
            let is_admin = match (&state.admin_token, bearer(req)) {
                (Some(expected), Some(given)) => {
                    constant_time_eq(expected.expose().as_bytes(), given.as_bytes())
                }
                _ => false,
            };
            Ok(if is_admin { Admin::Yes } else { Admin::No })
        })())
    }
}

/// Compares without an early exit, so the time taken does not reveal how much of a guess was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_tokens_compare_equal() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
