//! `PUT /v1/jobs/{name}/badge`: whether a job's status badge
//! (`/badge/{job}.svg`, `.json`) answers without login. Admins only (the
//! access table sends everyone else away before this runs).

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use telltale_model::{BadgeSetting, BadgeVisibility, FieldError};

use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// Mark a job's badge public (readable without login) or private (read
/// like the API: a session or a read key).
#[utoipa::path(put, path = "/jobs/{job_name}/badge", tag = "status",
    params(("job_name" = String, Path, description = "The job name")),
    request_body = BadgeVisibility,
    responses(
        (status = 200, body = BadgeSetting),
        (status = 400, description = "`public` is missing or not a boolean", body = ErrorBody),
        (status = 404, description = "No such job", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ))]
pub async fn set_public(
    State(state): State<AppState>,
    Path(job_name): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<BadgeSetting>, ApiError> {
    let body = body.map_err(|e| ApiError::BodyUnreadable(e.body_text()))?;
    let value: serde_json::Value =
        serde_json::from_slice(&body).map_err(|e| ApiError::MalformedJson(e.to_string()))?;
    let public = value
        .get("public")
        .and_then(serde_json::Value::as_bool)
        .ok_or_else(|| {
            ApiError::InvalidField(FieldError::new("public", "must be true or false"))
        })?;
    state.core.set_public_badge(&job_name, public).await?;
    Ok(Json(BadgeSetting::new(&job_name, public)))
}
