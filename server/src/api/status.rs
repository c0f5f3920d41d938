//! Chief's status views: the summary, jobs with their check state, one job.

use std::collections::{BTreeMap, HashMap};

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use chrono::Utc;
use telltale_model::{
    AlertFilter, AlertStatus, CheckState, JobDetail, JobStatus, JobStatusList, RunFilter,
    SchedulerPresence, StatusSummary, WorkerStatus,
};

use super::query::Params;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// Counts of runs, check states, open alerts and workers; scheduler presence.
#[utoipa::path(get, path = "/status/summary", tag = "status", responses(
    (status = 200, body = StatusSummary),
    (status = 401, body = ErrorBody),
))]
pub async fn summary(State(state): State<AppState>) -> Result<Json<StatusSummary>, ApiError> {
    let now = Utc::now();
    let store = &state.store;
    let runs_by_status = store.run_stats(&RunFilter::default()).await?.by_status;
    let jobs_by_check_state = store
        .check_state_counts()
        .await?
        .into_iter()
        .map(|(s, n)| (s.as_str().to_owned(), n))
        .collect();
    let open_alerts_by_type: BTreeMap<String, u64> = store
        .open_alert_counts()
        .await?
        .into_iter()
        .map(|(t, n)| (t.as_str().to_owned(), n))
        .collect();
    let mut workers_by_status: BTreeMap<String, u64> = [
        WorkerStatus::Busy,
        WorkerStatus::Idle,
        WorkerStatus::Offline,
    ]
    .into_iter()
    .map(|s| (s.as_str().to_owned(), 0))
    .collect();
    for w in store.list_workers().await? {
        *workers_by_status
            .entry(w.status(now).as_str().to_owned())
            .or_default() += 1;
    }
    let scheduler = SchedulerPresence::at(store.latest_scheduler_heartbeat().await?.as_ref(), now);
    Ok(Json(StatusSummary {
        runs_by_status,
        jobs_by_check_state,
        open_alerts_by_type,
        workers_by_status,
        scheduler,
    }))
}

/// Every job with its check state; DOWN and LATE first.
#[utoipa::path(get, path = "/status/jobs", tag = "status",
    params(
        ("state" = Option<String>, Query, description = "NEW, UP, LATE, DOWN or PAUSED"),
        ("text" = Option<String>, Query, description = "Case-insensitive part of the job name (also `q`)"),
    ),
    responses(
        (status = 200, body = JobStatusList),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
    ))]
pub async fn jobs(
    State(state): State<AppState>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Json<JobStatusList>, ApiError> {
    let p = Params::from_query(query)?;
    let wanted = p.one_of(
        &["state"],
        CheckState::parse,
        "NEW, UP, LATE, DOWN or PAUSED",
    )?;
    let text = p.text(&["text", "q"]).map(|t| t.to_lowercase());
    let mut jobs: Vec<JobStatus> = state
        .store
        .jobs_with_state()
        .await?
        .into_iter()
        .filter(|j| wanted.is_none_or(|w| w == j.check_state))
        .filter(|j| {
            text.as_deref()
                .is_none_or(|t| j.job.name.to_lowercase().contains(t))
        })
        .collect();
    // What is broken comes first (Forge: failures sorted first).
    let rank = |s: CheckState| match s {
        CheckState::Down => 0,
        CheckState::Late => 1,
        _ => 2,
    };
    jobs.sort_by(|a, b| {
        rank(a.check_state)
            .cmp(&rank(b.check_state))
            .then(b.job.consecutive_failures.cmp(&a.job.consecutive_failures))
            .then(a.job.name.cmp(&b.job.name))
    });
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
    let store = &state.store;
    let Some(job) = store.job_with_state(&job_name).await? else {
        return Err(ApiError::JobNotFound(job_name));
    };
    let runs_filter = RunFilter {
        job: Some(job_name.clone()),
        limit: Some(50),
        ..Default::default()
    };
    Ok(Json(JobDetail {
        recent_runs: store.list_runs(&runs_filter).await?.runs,
        transitions: store.check_transitions(&job_name, 100).await?,
        open_alerts: store
            .list_alerts(&AlertFilter {
                status: Some(AlertStatus::Open),
                job: Some(job_name.clone()),
                ..Default::default()
            })
            .await?,
        stats: store.run_stats(&runs_filter).await?,
        job,
    }))
}
