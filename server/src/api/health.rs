use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use telltale_model::{Health, HealthStatus};

use crate::state::AppState;

/// Liveness and database reachability; needs no key. 503 when the database
/// does not answer, so a load balancer takes the instance out.
#[utoipa::path(get, path = "/health", tag = "health", responses(
    (status = 200, description = "Serving", body = Health),
    (status = 503, description = "The database does not answer", body = Health),
))]
pub async fn health(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let (status, code, database) = match state.store.ping().await {
        Ok(()) => (HealthStatus::Ok, StatusCode::OK, "ok".to_owned()),
        // The details (which can name the database file) go to the log:
        // this endpoint answers anyone.
        Err(e) => {
            tracing::error!(error = %e, "health check: the database does not answer");
            (
                HealthStatus::Degraded,
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable".to_owned(),
            )
        }
    };
    let body = Health {
        status,
        version: env!("CARGO_PKG_VERSION").to_owned(),
        database,
        instance: state.instance.to_string(),
        leader: state.leader.is_leader(),
    };
    (code, Json(body))
}
