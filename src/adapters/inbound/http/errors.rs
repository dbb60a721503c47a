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

/// The `Retry-After` of every 503, in seconds.
pub const RETRY_AFTER_SECS: &str = "1";

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
    /// The route exists but does not take this method: `405` with `Allow`.
    #[error("this route does not take that method; `Allow` lists the ones it takes")]
    MethodNotAllowed,
    /// A per-address limit was reached: `429` with `Retry-After`.
    #[error("{message}")]
    Limited {
        /// The stable code (`too_many_games`, …).
        code: &'static str,
        /// What was limited, and the setting.
        message: String,
        /// Whole seconds to wait.
        retry_after_secs: u64,
    },
    /// The body is compressed (`Content-Encoding` other than `identity`).
    #[error("compressed request bodies are not accepted; send the body without Content-Encoding")]
    UnsupportedEncoding,
    /// The body did not arrive within `HTTP_BODY_TIMEOUT_SECS`.
    #[error("the request body did not arrive in time")]
    BodyTimeout,
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
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::Limited { code, .. } => code,
            ApiError::UnsupportedEncoding => "unsupported_encoding",
            ApiError::BodyTimeout => "body_timeout",
            ApiError::Internal => "internal",
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Application(e) => match e {
                // One status per code: a code the adapters also give for malformed input keeps
                // their 400 when the rules find the same fault.
                ApplicationError::Domain(v) => match v.code() {
                    "game_full" | "game_already_created" | "name_taken" => StatusCode::CONFLICT,
                    "invalid_command" | "invalid_player_count" => StatusCode::BAD_REQUEST,
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
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Limited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::UnsupportedEncoding => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
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
        if let ApiError::Limited {
            retry_after_secs, ..
        } = self
        {
            response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
        }
        if matches!(self, ApiError::BodyTimeout) {
            // The rest of the body may still be trickling in: do not wait for it.
            response.insert_header((header::CONNECTION, "close"));
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            // A backing service is down or a command's outcome is not known yet: ask again soon
            // (a command with the same commandId).
            response.insert_header((header::RETRY_AFTER, RETRY_AFTER_SECS));
        }
        response.json(body)
    }
}

impl ApiError {
    /// A `429` for limit `code`, with `Retry-After` from `limited`.
    pub fn limited(
        code: &'static str,
        message: impl Into<String>,
        limited: crate::adapters::inbound::throttle::Limited,
    ) -> ApiError {
        ApiError::Limited {
            code,
            message: message.into(),
            retry_after_secs: limited.retry_after_secs(),
        }
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
        JsonPayloadError::Deserialize(e) if e.is_syntax() || e.is_eof() => {
            ApiError::BadJson(crate::adapters::inbound::malformed::syntax("the body", &e)).into()
        }
        JsonPayloadError::Deserialize(e) => ApiError::BadJson(format!(
            "the body must be {}",
            crate::adapters::inbound::malformed::expected_in_words(&e.to_string())
        ))
        .into(),
        JsonPayloadError::Payload(e) if super::body::is_body_timeout(&e) => {
            ApiError::BodyTimeout.into()
        }
        JsonPayloadError::Payload(actix_web::error::PayloadError::Overflow) => {
            ApiError::TooLarge.into()
        }
        _ => ApiError::BadJson("the body could not be read".into()).into(),
    }
}

/// For `QueryConfig::error_handler`: names the first parameter whose value is not of its form.
/// A parameter the route does not have is named as such (query strings are as strict as bodies).
pub fn query_error(err: QueryPayloadError, req: &HttpRequest) -> actix_web::Error {
    let text = err.to_string();
    if let Some(name) = text
        .split_once("unknown field `")
        .and_then(|(_, rest)| rest.split_once('`'))
        .map(|(name, _)| name)
    {
        return ApiError::BadQuery(format!("{name} is not a parameter of this request")).into();
    }
    ApiError::BadQuery(describe_query(req.query_string())).into()
}

/// The query parameters of the REST routes and the form of each, in words.
const QUERY_PARAMETERS: &[(&str, &str)] = &[
    ("limit", "a whole number ≥ 0"),
    ("after", "a whole number ≥ 0"),
    ("at", "a whole number ≥ 0"),
    ("status", "one of waiting, active, finished"),
    (
        "since",
        "a time in RFC 3339 form, such as 2024-05-01T12:00:00Z",
    ),
    (
        "until",
        "a time in RFC 3339 form, such as 2024-05-01T12:00:00Z",
    ),
];

/// Which parameter of `query` is malformed, and what it should be.
fn describe_query(query: &str) -> String {
    let pairs = actix_web::web::Query::<Vec<(String, String)>>::from_query(query)
        .map(|q| q.into_inner())
        .unwrap_or_default();
    for (name, value) in &pairs {
        let Some((_, form)) = QUERY_PARAMETERS.iter().find(|(known, _)| known == name) else {
            continue;
        };
        let ok = match name.as_str() {
            "limit" | "after" | "at" => value.parse::<u64>().is_ok(),
            "status" => matches!(value.as_str(), "waiting" | "active" | "finished"),
            _ => chrono::DateTime::parse_from_rfc3339(value).is_ok(),
        };
        if !ok {
            return format!("{name} must be {form}");
        }
    }
    "the query string is malformed".into()
}

/// For `PathConfig::error_handler`.
pub fn path_error(_err: PathError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::BadQuery("the path is malformed".into()).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::RuleViolation;

    fn status(e: ApplicationError) -> u16 {
        ApiError::from(e).status_code().as_u16()
    }

    #[test]
    fn a_malformed_query_names_the_parameter_and_its_form() {
        assert_eq!(
            describe_query("limit=abc"),
            "limit must be a whole number ≥ 0"
        );
        assert_eq!(
            describe_query("status=new&limit=2"),
            "status must be one of waiting, active, finished"
        );
        assert!(describe_query("after=1&since=yesterday").starts_with("since must be"));
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
        let malformed = RuleViolation::InvalidCommand { reason: "times" };
        assert_eq!(
            status(malformed.into()),
            400,
            "invalid_command is always 400"
        );
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
        assert_eq!(status(ApplicationError::outcome_unknown()), 503);
    }

    #[test]
    fn an_unknown_outcome_says_when_to_send_the_command_again() {
        let response = ApiError::from(ApplicationError::outcome_unknown()).error_response();
        assert_eq!(response.status().as_u16(), 503);
        assert_eq!(
            response.headers().get(header::RETRY_AFTER).unwrap(),
            RETRY_AFTER_SECS
        );
    }
}
