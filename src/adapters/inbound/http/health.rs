//! `/health` (the process answers), `/ready` (its store and bus answer), `/metrics` (Prometheus, behind
//! `METRICS_TOKEN` when it is set).

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use super::auth::check_metrics_token;
use super::errors::ApiError;
use crate::adapters::inbound::AppState;

/// Registers the routes of this module.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/health").route(web::get().to(health)))
        .service(web::resource("/ready").route(web::get().to(ready)))
        .service(web::resource("/metrics").route(web::get().to(metrics)));
}

async fn health() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let readiness = state.services.readiness().await;
    let word = |ok: bool| if ok { "ok" } else { "failing" };
    if readiness.is_ready() {
        HttpResponse::Ok().json(json!({
            "status": "ready",
            "eventStore": word(readiness.store),
            "eventBus": word(readiness.bus),
        }))
    } else {
        let failing = readiness.failing();
        tracing::warn!(?failing, "not ready");
        HttpResponse::ServiceUnavailable().json(json!({
            "error": {
                "code": "not_ready",
                "message": format!("not answering: {}", failing.join(", ")),
            },
            "status": "unavailable",
            "failing": failing,
            "eventStore": word(readiness.store),
            "eventBus": word(readiness.bus),
        }))
    }
}

async fn metrics(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    check_metrics_token(&req, &state)?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render()))
}
