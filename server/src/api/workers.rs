//! Workers with their status (busy / idle / offline) as of now.

use axum::Json;
use axum::extract::{Path, State};
use telltale_model::{WorkerList, WorkerState};

use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// Every worker with its status now: busy, idle or offline.
#[utoipa::path(get, path = "/workers", tag = "workers", responses(
    (status = 200, body = WorkerList),
    (status = 401, body = ErrorBody),
))]
pub async fn list(State(state): State<AppState>) -> Result<Json<WorkerList>, ApiError> {
    let workers = state.core.store().worker_states(state.core.now()).await?;
    Ok(Json(WorkerList { workers }))
}

/// One worker with its status now.
#[utoipa::path(get, path = "/workers/{worker_id}", tag = "workers",
    params(("worker_id" = String, Path, description = "The worker id")),
    responses(
        (status = 200, body = WorkerState),
        (status = 404, description = "No such worker", body = ErrorBody),
        (status = 401, body = ErrorBody),
    ))]
pub async fn detail(
    State(state): State<AppState>,
    Path(worker_id): Path<String>,
) -> Result<Json<WorkerState>, ApiError> {
    match state.core.store().get_worker(&worker_id).await? {
        Some(w) => Ok(Json(WorkerState::at(w, state.core.now()))),
        None => Err(ApiError::WorkerNotFound(worker_id)),
    }
}
