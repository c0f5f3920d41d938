use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use telltale_model::{Health, HealthStatus};

use crate::state::AppState;

/// `GET /v1/health`: open to all; 503 when the database does not answer, so
/// a load balancer takes the instance out.
pub async fn health(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let (status, code, database) = match state.store.ping().await {
        Ok(()) => (HealthStatus::Ok, StatusCode::OK, "ok".to_owned()),
        Err(e) => (
            HealthStatus::Degraded,
            StatusCode::SERVICE_UNAVAILABLE,
            e.to_string(),
        ),
    };
    let body = Health {
        status,
        version: env!("CARGO_PKG_VERSION").to_owned(),
        database,
    };
    (code, Json(body))
}
