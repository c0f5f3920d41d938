//! Chief's status views: the summary, jobs with their check state, one job.

use axum::Json;
use axum::extract::{Path, State};
use telltale_model::{CheckState, JobDetail, JobStatusList, StatusSummary};

use super::query::{Params, RawQuery};
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// Counts of runs, check states, open alerts and workers; scheduler presence.
#[utoipa::path(get, path = "/status/summary", tag = "status", responses(
    (status = 200, body = StatusSummary),
    (status = 401, body = ErrorBody),
))]
pub async fn summary(State(state): State<AppState>) -> Result<Json<StatusSummary>, ApiError> {
    Ok(Json(
        state.core.store().status_summary(state.core.now()).await?,
    ))
}

/// Every job with its check state; DOWN and LATE first.
#[utoipa::path(get, path = "/status/jobs", tag = "status",
    params(
        ("state" = Option<String>, Query, description = "NEW, UP, LATE, DOWN or PAUSED"),
        ("text" = Option<String>, Query, description = "Case-insensitive part of the job name"),
    ),
    responses(
        (status = 200, body = JobStatusList),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
    ))]
pub async fn jobs(
    State(state): State<AppState>,
    query: RawQuery,
) -> Result<Json<JobStatusList>, ApiError> {
    let p = Params::from_query(query)?.without_search()?;
    let wanted = p.one_of("state", CheckState::parse, "NEW, UP, LATE, DOWN or PAUSED")?;
    let text = p.text("text");
    let jobs = state
        .core
        .store()
        .job_statuses(wanted, text.as_deref())
        .await?;
    Ok(Json(JobStatusList { jobs }))
}

/// One job: policy, check state, recent runs, transitions, open alerts, durations.
#[utoipa::path(get, path = "/status/jobs/{job_name}", tag = "status",
    params(("job_name" = String, Path, description = "The job name")),
    responses(
        (status = 200, body = JobDetail),
        (status = 404, body = ErrorBody),
        (status = 401, body = ErrorBody),
    ))]
pub async fn job(
    State(state): State<AppState>,
    Path(job_name): Path<String>,
) -> Result<Json<JobDetail>, ApiError> {
    match state.core.store().job_detail(&job_name).await? {
        Some(detail) => Ok(Json(detail)),
        None => Err(ApiError::JobNotFound(job_name)),
    }
}
