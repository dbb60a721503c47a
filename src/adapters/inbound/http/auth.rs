//! Who is asking: the player token (`Authorization: Bearer <token>`) and the admin token.
//! Tokens are read from the header only and never logged; the admin and metrics tokens are
//! compared on digests, in constant time, with a limit on wrong guesses per address.

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};

use sha2::{Digest, Sha256};

use super::errors::ApiError;
use crate::adapters::inbound::client_ip::ClientKey;
use crate::adapters::inbound::throttle::Limited;
use crate::adapters::inbound::AppState;
use crate::application::{ApplicationError, PlayerClaims};
use crate::config::Secret;

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

/// Whether the request carries the admin token. Does not fail by itself: routes decide, and
/// routes that exempt admins from per-address limits ask [`Admin::is_admin`].
///
/// Wrong tokens count against `ADMIN_AUTH_FAILURES_PER_MIN` for the client's address when a
/// route requires the admin ([`Admin::require`]); past the limit, that address is refused with
/// `429` even with the right token until its allowance refills, so guessing runs at that many
/// tries a minute at most.
#[derive(Clone)]
pub struct Admin {
    verdict: Verdict,
    client: ClientKey,
    state: web::Data<AppState>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// The admin token was given.
    Yes,
    /// No bearer token.
    Absent,
    /// A bearer token that is not the admin one (possibly a player's).
    Wrong,
    /// This address has failed too often lately.
    LockedOut(Limited),
}

impl std::fmt::Debug for Admin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Admin")
            .field("verdict", &self.verdict)
            .field("client", &self.client)
            .finish()
    }
}

impl Admin {
    /// True when the request carries the admin token (and its address is not locked out).
    pub fn is_admin(&self) -> bool {
        self.verdict == Verdict::Yes
    }

    /// The client's address key, as per-address limits count it.
    pub fn client(&self) -> ClientKey {
        self.client
    }

    /// 403 unless the request is an admin's (429 once its address has failed too often).
    pub fn require(&self) -> Result<(), ApiError> {
        match self.verdict {
            Verdict::Yes => Ok(()),
            Verdict::LockedOut(limited) => Err(locked_out(limited)),
            Verdict::Wrong => {
                if let Err(limited) = self.state.limits.admin_failures.check(&self.client) {
                    tracing::warn!(client = %self.client, "too many wrong admin tokens");
                    return Err(locked_out(limited));
                }
                Err(admin_only())
            }
            Verdict::Absent => Err(admin_only()),
        }
    }
}

fn admin_only() -> ApiError {
    ApplicationError::forbidden("admin_only", "this needs the admin token").into()
}

fn locked_out(limited: Limited) -> ApiError {
    ApiError::limited(
        "too_many_auth_failures",
        "too many wrong tokens from this address (ADMIN_AUTH_FAILURES_PER_MIN); wait before trying again",
        limited,
    )
}

impl FromRequest for Admin {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready((|| {
            let state = state(req)?.clone();
            let client = state.limits.client(req);
            let verdict = match bearer(req) {
                None => Verdict::Absent,
                Some(given) => match state.admin_token.as_ref() {
                    Some(expected) if tokens_match(expected, given) => {
                        match state.limits.admin_failures.is_exhausted(&client) {
                            Some(limited) => Verdict::LockedOut(limited),
                            None => Verdict::Yes,
                        }
                    }
                    _ => Verdict::Wrong,
                },
            };
            Ok(Admin {
                verdict,
                client,
                state,
            })
        })())
    }
}

/// Whether `given` is the secret `expected`, compared on SHA-256 digests without an early exit:
/// the time taken reveals neither the secret's length nor how much of a guess was right.
pub fn tokens_match(expected: &Secret, given: &str) -> bool {
    let a = Sha256::digest(expected.expose().as_bytes());
    let b = Sha256::digest(given.as_bytes());
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// Whether `req` carries `Authorization: Bearer <admin token>`, for routes that only need to know
/// (the WebSocket upgrade's connection limit). Failures are not counted here: nothing is refused.
pub fn carries_admin_token(req: &HttpRequest, state: &AppState) -> bool {
    match (&state.admin_token, bearer(req)) {
        (Some(expected), Some(given)) => {
            tokens_match(expected, given)
                && state
                    .limits
                    .admin_failures
                    .is_exhausted(&state.limits.client(req))
                    .is_none()
        }
        _ => false,
    }
}

/// `/metrics` behind `METRICS_TOKEN` (the admin token is accepted too): `Ok` when it is open or the
/// right bearer token is given; a wrong one counts against `ADMIN_AUTH_FAILURES_PER_MIN`.
pub fn check_metrics_token(req: &HttpRequest, state: &AppState) -> Result<(), ApiError> {
    let Some(expected) = &state.metrics_token else {
        return Ok(());
    };
    let client = state.limits.client(req);
    if let Some(limited) = state.limits.admin_failures.is_exhausted(&client) {
        return Err(locked_out(limited));
    }
    let given = bearer(req);
    let right = given.is_some_and(|given| {
        tokens_match(expected, given)
            || state
                .admin_token
                .as_ref()
                .is_some_and(|admin| tokens_match(admin, given))
    });
    if right {
        return Ok(());
    }
    if given.is_some() {
        if let Err(limited) = state.limits.admin_failures.check(&client) {
            return Err(locked_out(limited));
        }
    }
    Err(ApplicationError::unauthorized(
        "metrics_token_required",
        "/metrics needs the metrics token (Authorization: Bearer <METRICS_TOKEN>)",
    )
    .into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_match_only_when_equal_whatever_their_length() {
        let secret = Secret::new("abc-def-ghi-jkl-mno");
        assert!(tokens_match(&secret, "abc-def-ghi-jkl-mno"));
        assert!(!tokens_match(&secret, "abc-def-ghi-jkl-mnp"));
        assert!(!tokens_match(&secret, "abc"));
        assert!(!tokens_match(&secret, ""));
        assert!(!tokens_match(&secret, "abc-def-ghi-jkl-mno-and-more"));
    }
}
