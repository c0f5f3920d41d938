//! Maintenance windows: while one covers a job, its alerts are recorded as
//! suppressed (with the window named), not notified.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use telltale_model::{FieldError, MaintenanceWindow, MaintenanceWindowList, NewMaintenanceWindow};

use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// Every maintenance window, oldest first.
#[utoipa::path(get, path = "/maintenance-windows", tag = "alerts",
    responses(
        (status = 200, body = MaintenanceWindowList),
        (status = 401, body = ErrorBody),
    ))]
pub async fn list(State(state): State<AppState>) -> Result<Json<MaintenanceWindowList>, ApiError> {
    Ok(Json(MaintenanceWindowList {
        windows: state.core.store().maintenance_windows().await?,
    }))
}

/// Add a window (admin): `startsAt` + `endsAt` once, or a cron `schedule` (in
/// `timezone`) with `durationSeconds`; `jobName` absent means every job.
#[utoipa::path(post, path = "/maintenance-windows", tag = "alerts",
    request_body = NewMaintenanceWindow,
    responses(
        (status = 201, body = MaintenanceWindow),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<MaintenanceWindow>), ApiError> {
    let body = body.map_err(|e| ApiError::BodyUnreadable(e.body_text()))?;
    let new: NewMaintenanceWindow = serde_json::from_slice(&body).map_err(|e| {
        // serde names the field in its message ("unknown field `x`",
        // "missing field `reason`", "invalid type … at line…").
        ApiError::InvalidField(FieldError::new(field_of(&e), e.to_string()))
    })?;
    let window = state.core.add_maintenance_window(&new).await?;
    Ok((StatusCode::CREATED, Json(window)))
}

/// Remove a window (admin).
#[utoipa::path(delete, path = "/maintenance-windows/{id}", tag = "alerts",
    params(("id" = i64, Path, description = "Window id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, body = ErrorBody),
        (status = 401, body = ErrorBody),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    state.core.delete_maintenance_window(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The field serde complained about, when its message names one.
fn field_of(e: &serde_json::Error) -> String {
    let text = e.to_string();
    text.split('`')
        .nth(1)
        .filter(|f| f.chars().all(|c| c.is_ascii_alphanumeric()))
        .unwrap_or("body")
        .to_owned()
}
