//! Jobs managed by operators (admins; the access table sends everyone else
//! away before these run): declare a job before its first run, edit it,
//! pause, resume, retire or delete it; forget a worker; read the audit log.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::Deserialize;
use telltale_model::{AuditPage, FieldError, JobSpec, JobStatus};

use crate::auth::caller::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

fn spec_of(
    body: Result<Json<JobSpec>, axum::extract::rejection::JsonRejection>,
) -> Result<JobSpec, ApiError> {
    body.map(|Json(s)| s)
        .map_err(|e| ApiError::MalformedJson(e.body_text()))
}

/// Declare a job before its first run, with its check policy.
#[utoipa::path(post, path = "/jobs", tag = "jobs",
    request_body = JobSpec,
    responses(
        (status = 201, body = JobStatus),
        (status = 400, description = "A field is wrong (named in `field`: `name`, `policy.schedule`, …)", body = ErrorBody),
        (status = 409, description = "A job of that name exists", body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Admins only", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Result<Json<JobSpec>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<JobStatus>), ApiError> {
    let spec = spec_of(body)?;
    let job = state.core.create_job(&spec, &caller.actor()).await?;
    Ok((StatusCode::CREATED, Json(job)))
}

/// Change a job's policy (each key given becomes the operator's: a
/// producer's value for it is ignored from then on), description or tags.
#[utoipa::path(put, path = "/jobs/{job_name}", tag = "jobs",
    params(("job_name" = String, Path, description = "The job name")),
    request_body = JobSpec,
    responses(
        (status = 200, body = JobStatus),
        (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ))]
pub async fn edit(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(job_name): Path<String>,
    body: Result<Json<JobSpec>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<JobStatus>, ApiError> {
    let spec = spec_of(body)?;
    Ok(Json(
        state
            .core
            .edit_job(&job_name, &spec, &caller.actor())
            .await?,
    ))
}

/// Stop checking a job (PAUSED) until it is resumed.
#[utoipa::path(post, path = "/jobs/{job_name}/pause", tag = "jobs",
    params(("job_name" = String, Path, description = "The job name")),
    responses((status = 200, body = JobStatus), (status = 404, body = ErrorBody)))]
pub async fn pause(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(job_name): Path<String>,
) -> Result<Json<JobStatus>, ApiError> {
    Ok(Json(
        state.core.pause_job(&job_name, &caller.actor()).await?,
    ))
}

/// Check a paused job again.
#[utoipa::path(post, path = "/jobs/{job_name}/resume", tag = "jobs",
    params(("job_name" = String, Path, description = "The job name")),
    responses((status = 200, body = JobStatus), (status = 404, body = ErrorBody)))]
pub async fn resume(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(job_name): Path<String>,
) -> Result<Json<JobStatus>, ApiError> {
    Ok(Json(
        state.core.resume_job(&job_name, &caller.actor()).await?,
    ))
}

/// Retire a job: checks stop, its open alerts close ("job retired"), its
/// history stays.
#[utoipa::path(post, path = "/jobs/{job_name}/retire", tag = "jobs",
    params(("job_name" = String, Path, description = "The job name")),
    responses(
        (status = 200, body = JobStatus),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Retired already", body = ErrorBody),
    ))]
pub async fn retire(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(job_name): Path<String>,
) -> Result<Json<JobStatus>, ApiError> {
    Ok(Json(
        state.core.retire_job(&job_name, &caller.actor()).await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct Confirm {
    /// The job's name again: deleting purges its whole history.
    confirm: Option<String>,
}

/// Delete a job and its whole history (events, runs, alerts, transitions).
#[utoipa::path(delete, path = "/jobs/{job_name}", tag = "jobs",
    params(("job_name" = String, Path, description = "The job name"), Confirm),
    responses(
        (status = 200, description = "What went, by table"),
        (status = 400, description = "`confirm` does not repeat the name", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "A run has not ended", body = ErrorBody),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(job_name): Path<String>,
    Query(q): Query<Confirm>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let deleted = state
        .core
        .delete_job(
            &job_name,
            q.confirm.as_deref().unwrap_or(""),
            &caller.actor(),
        )
        .await?;
    Ok(Json(serde_json::json!({ "deleted": deleted })))
}

/// Forget a worker: it leaves the list and its WORKER_OFFLINE alert
/// closes; it comes back if it reports again.
#[utoipa::path(delete, path = "/workers/{worker_id}", tag = "jobs",
    params(("worker_id" = String, Path, description = "The worker id")),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn forget_worker(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(worker_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .core
        .forget_worker(&worker_id, &caller.actor())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AuditQuery {
    /// Only this job's entries.
    job: Option<String>,
    /// At most this many (default 200, at most 1000).
    limit: Option<u64>,
}

/// Operator changes, newest first: who, when, what, before → after.
#[utoipa::path(get, path = "/audit", tag = "jobs",
    params(AuditQuery),
    responses((status = 200, body = AuditPage), (status = 400, body = ErrorBody)))]
pub async fn audit(
    State(state): State<AppState>,
    Query(q): Query<AuditQuery>,
) -> Result<Json<AuditPage>, ApiError> {
    let limit = q.limit.unwrap_or(200);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::InvalidQuery(FieldError::new(
            "limit",
            "must be 1 to 1000",
        )));
    }
    let entries = state
        .core
        .store()
        .list_audit(q.job.as_deref(), limit)
        .await?;
    Ok(Json(AuditPage { entries }))
}
