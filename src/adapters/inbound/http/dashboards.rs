//! Read-only routes for lobbies and dashboards, the card catalogue, and the admin rebuild.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::auth::Admin;
use super::errors::ApiError;
use crate::adapters::inbound::AppState;
use crate::application::ports::{LeaderboardEntry, PlayerResult};

/// Registers the routes of this module.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/api/leaderboard").route(web::get().to(leaderboard)))
        .service(web::resource("/api/stats").route(web::get().to(stats)))
        .service(web::resource("/api/players/{name}/results").route(web::get().to(player_results)))
        .service(web::resource("/api/cards").route(web::get().to(cards)))
        .service(
            web::resource("/api/admin/rebuild-projections")
                .route(web::post().to(rebuild_projections)),
        );
}

/// `?limit=`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitQuery {
    limit: Option<usize>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct LeaderboardResponse {
    leaderboard: Vec<LeaderboardEntry>,
}

async fn leaderboard(
    state: web::Data<AppState>,
    query: web::Query<LimitQuery>,
) -> Result<HttpResponse, ApiError> {
    let leaderboard = state.services.queries.leaderboard(query.limit).await?;
    Ok(HttpResponse::Ok().json(LeaderboardResponse { leaderboard }))
}

async fn stats(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(state.services.queries.stats().await?))
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct ResultsResponse {
    name: String,
    results: Vec<PlayerResult>,
}

async fn player_results(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<LimitQuery>,
) -> Result<HttpResponse, ApiError> {
    let name = path.into_inner();
    let results = state
        .services
        .queries
        .player_results(&name, query.limit)
        .await?;
    Ok(HttpResponse::Ok().json(ResultsResponse { name, results }))
}

async fn cards() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .json(crate::domain::catalogue())
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct RebuildResponse {
    games: u64,
    events: u64,
    skipped: u64,
}

async fn rebuild_projections(
    state: web::Data<AppState>,
    admin: Admin,
) -> Result<HttpResponse, ApiError> {
    admin.require()?;
    let report = state.services.rebuild_projections().await.map_err(|e| {
        tracing::error!(error = %e, "projection rebuild failed");
        ApiError::Application(crate::application::ApplicationError::Unavailable {
            code: "unavailable",
            message: "the rebuild failed; see the server log".into(),
        })
    })?;
    tracing::info!(
        games = report.games,
        events = report.events,
        skipped = report.skipped,
        "read models rebuilt"
    );
    Ok(HttpResponse::Ok().json(RebuildResponse {
        games: report.games,
        events: report.events,
        skipped: report.skipped,
    }))
}
