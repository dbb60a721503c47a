//! The REST adapter (actix-web): routes, request DTOs checked with `validator`, one error mapping
//! ([`errors::ApiError`]), the token extractors, and a tracing span per request. [`assets`] serves
//! the embedded browser client.
//!
//! Handlers translate and delegate; they never hold a game rule.

pub mod assets;
pub mod auth;
pub mod body;
pub mod dashboards;
pub mod errors;
pub mod games;
pub mod health;
pub mod json;
pub mod openapi;

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::{ErrorHandlerResponse, Next};
use actix_web::{web, HttpResponse, ResponseError};
use tracing::Instrument;
use uuid::Uuid;

use errors::ApiError;

/// Registers every REST route, the JSON/query/path error handlers and the JSON 404.
pub fn configure(max_body_bytes: usize) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.app_data(json::BodyLimit(max_body_bytes))
            .app_data(
                web::JsonConfig::default()
                    .limit(max_body_bytes)
                    .error_handler(errors::json_error),
            )
            .app_data(web::QueryConfig::default().error_handler(errors::query_error))
            .app_data(web::PathConfig::default().error_handler(errors::path_error))
            .configure(health::routes)
            .configure(games::routes)
            .configure(dashboards::routes)
            .configure(openapi::routes)
            .configure(assets::routes);
    }
}

/// The answer for a known route asked with a method it does not take. actix-web answers these
/// itself (each route is a resource whose routes are its methods) with `405` and the `Allow`
/// header; this middleware handler gives that answer the usual error body.
pub fn method_not_allowed<B>(
    response: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let (request, answered) = response.into_parts();
    let mut refusal = ApiError::MethodNotAllowed.error_response();
    if let Some(allow) = answered.headers().get(header::ALLOW) {
        refusal.headers_mut().insert(header::ALLOW, allow.clone());
    }
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(request, refusal).map_into_right_body(),
    ))
}

/// The answer for unknown routes.
pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NoRoute)
}

/// Middleware: one `http` span per request (method, path without the query string, request id),
/// and one log line with status and latency. The query string is left out because a WebSocket
/// URL carries the token there.
pub async fn trace_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let request_id = Uuid::new_v4().simple().to_string();
    let span = tracing::info_span!(
        "http",
        method = %req.method(),
        path = %req.path(),
        request_id = %&request_id[..12],
        status = tracing::field::Empty,
    );
    let started = Instant::now();
    let result = next.call(req).instrument(span.clone()).await;
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    let _enter = span.enter();
    match &result {
        Ok(response) => {
            let status = response.status().as_u16();
            span.record("status", status);
            if status >= 500 {
                tracing::warn!(status, latency_ms, "request failed");
            } else {
                tracing::info!(status, latency_ms, "request handled");
            }
        }
        Err(e) => tracing::warn!(error = %e, latency_ms, "request failed"),
    }
    result
}
