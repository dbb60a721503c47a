//! The one mapping from errors to HTTP statuses. Every error body is
//! `{"error":{"code":"snake_case","message":"…"}}` (plus `fields` for validation errors); a 5xx body
//! never carries internals (the cause is logged where it happened).

use std::collections::BTreeMap;

use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::{header, StatusCode};
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use serde::Serialize;

use crate::adapters::inbound::wire::ErrorDto;
use crate::application::ApplicationError;

/// Everything an HTTP handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A use case refused.
    #[error(transparent)]
    Application(#[from] ApplicationError),
    /// The body is not the JSON the route expects (syntax, types, missing fields).
    #[error("{0}")]
    BadJson(String),
    /// A query-string or path parameter has the wrong form.
    #[error("{0}")]
    BadQuery(String),
    /// The body parsed but some fields are out of bounds.
    #[error("some fields are invalid")]
    Validation(BTreeMap<String, Vec<String>>),
    /// The body is larger than `HTTP_MAX_BODY_BYTES`.
    #[error("the request body is too large")]
    TooLarge,
    /// No such route.
    #[error("no such resource")]
    NoRoute,
    /// A failure the client cannot act on.
    #[error("internal error")]
    Internal,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorWithFields<'a>,
}

#[derive(Serialize)]
struct ErrorWithFields<'a> {
    #[serde(flatten)]
    error: ErrorDto,
    #[serde(skip_serializing_if = "Option::is_none")]
    fields: Option<&'a BTreeMap<String, Vec<String>>>,
}

impl ApiError {
    /// The stable machine code.
    pub fn code(&self) -> &str {
        match self {
            ApiError::Application(e) => e.code(),
            ApiError::BadJson(_) => "invalid_json",
            ApiError::BadQuery(_) => "invalid_query",
            ApiError::Validation(_) => "invalid_request",
            ApiError::TooLarge => "payload_too_large",
            ApiError::NoRoute => "not_found",
            ApiError::Internal => "internal",
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Application(e) => match e {
                ApplicationError::Domain(v) => match v.code() {
                    "game_full" | "game_already_created" | "name_taken" => StatusCode::CONFLICT,
                    _ => StatusCode::UNPROCESSABLE_ENTITY,
                },
                ApplicationError::Conflict { .. } => StatusCode::CONFLICT,
                ApplicationError::NotFound { .. } => StatusCode::NOT_FOUND,
                ApplicationError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
                ApplicationError::Forbidden { .. } => StatusCode::FORBIDDEN,
                ApplicationError::Invalid { .. } => StatusCode::BAD_REQUEST,
                ApplicationError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            },
            ApiError::BadJson(_) | ApiError::BadQuery(_) | ApiError::Validation(_) => {
                StatusCode::BAD_REQUEST
            }
            ApiError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::NoRoute => StatusCode::NOT_FOUND,
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let fields = match self {
            ApiError::Validation(fields) => Some(fields),
            _ => None,
        };
        let message = match self {
            ApiError::Application(e) => e.to_string(),
            ApiError::Validation(fields) => format!(
                "invalid fields: {}",
                fields.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
            other => other.to_string(),
        };
        let body = ErrorBody {
            error: ErrorWithFields {
                error: ErrorDto {
                    code: self.code().to_string(),
                    message,
                },
                fields,
            },
        };
        let mut response = HttpResponse::build(status);
        if status == StatusCode::UNAUTHORIZED {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        response.json(body)
    }
}

impl From<validator::ValidationErrors> for ApiError {
    fn from(errors: validator::ValidationErrors) -> Self {
        let fields = errors
            .field_errors()
            .into_iter()
            .map(|(field, errors)| {
                let messages = errors
                    .iter()
                    .map(|e| {
                        e.message
                            .as_ref()
                            .map_or_else(|| e.code.to_string(), |m| m.to_string())
                    })
                    .collect();
                (camel_case(&field), messages)
            })
            .collect();
        ApiError::Validation(fields)
    }
}

/// `num_players` → `numPlayers`: field errors name the protocol's fields, not Rust's.
fn camel_case(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// For `JsonConfig::error_handler`: malformed bodies become `invalid_json` (or 413).
pub fn json_error(err: JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    match err {
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
            ApiError::TooLarge.into()
        }
        JsonPayloadError::ContentType => {
            ApiError::BadJson("the body must be JSON (Content-Type: application/json)".into())
                .into()
        }
        JsonPayloadError::Deserialize(e) => {
            ApiError::BadJson(format!("the body is not valid: {e}")).into()
        }
        other => ApiError::BadJson(other.to_string()).into(),
    }
}

/// For `QueryConfig::error_handler`.
pub fn query_error(err: QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::BadQuery(format!("invalid query parameters: {err}")).into()
}

/// For `PathConfig::error_handler`.
pub fn path_error(err: PathError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::BadQuery(format!("invalid path: {err}")).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::RuleViolation;

    fn status(e: ApplicationError) -> u16 {
        ApiError::from(e).status_code().as_u16()
    }

    #[test]
    fn field_names_are_the_protocols() {
        assert_eq!(camel_case("num_players"), "numPlayers");
        assert_eq!(camel_case("name"), "name");
    }

    #[test]
    fn each_kind_of_failure_has_its_status() {
        assert_eq!(status(RuleViolation::GameFull.into()), 409);
        assert_eq!(status(RuleViolation::NothingToRest.into()), 422);
        assert_eq!(status(ApplicationError::game_not_found("g")), 404);
        assert_eq!(
            status(ApplicationError::conflict("version_conflict", "")),
            409
        );
        assert_eq!(
            status(ApplicationError::unauthorized("invalid_token", "")),
            401
        );
        assert_eq!(status(ApplicationError::forbidden("wrong_game", "")), 403);
        assert_eq!(status(ApplicationError::invalid("invalid_limit", "")), 400);
        assert_eq!(ApiError::TooLarge.status_code().as_u16(), 413);
    }
}
