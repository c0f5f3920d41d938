//! The REST API under `/v1`: thin handlers that parse, call the store and
//! answer. Unknown `/v1` paths get a JSON 404, not the dashboard's page.

mod events;
mod health;
mod ingest;
mod keys;
mod query;
mod runs;
mod workers;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::Uri;
use axum::routing::{get, post};

use crate::error::ApiError;
use crate::state::AppState;

pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/health", get(health::health))
        .route("/events", post(ingest::ingest_one).get(events::list))
        .route("/events/batch", post(ingest::ingest_batch))
        .route("/runs", get(runs::list))
        .route("/runs/active", get(runs::active))
        .route("/runs/failed", get(runs::failed))
        .route("/runs/completed", get(runs::completed))
        .route("/runs/stats", get(runs::stats))
        .route("/runs/{run_id}", get(runs::detail))
        .route("/workers", get(workers::list))
        .route("/workers/{worker_id}", get(workers::detail))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(state.config.ingest.max_body_bytes))
}

async fn not_found(uri: Uri) -> ApiError {
    ApiError::NotFound(uri.path().to_owned())
}
