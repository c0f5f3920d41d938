//! Runs (Forge's `/jobs…`, here `/v1/runs…`): listings newest first with
//! filters and a cursor, one run with its complete timeline, and aggregates.

use std::collections::HashMap;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use telltale_model::{RunDetail, RunFilter, RunPage, RunStats, RunStatus};

use super::keys::require_api_key;
use super::query::{Params, invalid};
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

type QueryMap = Result<Query<HashMap<String, String>>, QueryRejection>;

/// Runs (Forge's jobs), newest first.
#[utoipa::path(get, path = "/runs", tag = "runs",
    params(
        ("status" = Option<String>, Query, description = "Comma-separated: queued, running, failed, completed"),
        ("job" = Option<String>, Query, description = "Job name"),
        ("worker" = Option<String>, Query, description = "Worker id"),
        ("engine" = Option<String>, Query, description = "Engine (resolve, ffmpeg, …)"),
        ("since" = Option<String>, Query, description = "RFC 3339; runs first seen at or after"),
        ("until" = Option<String>, Query, description = "RFC 3339; runs first seen before"),
        ("text" = Option<String>, Query, description = "Case-insensitive search in run id, job, failure reason, paths (also `q`)"),
        ("before" = Option<i64>, Query, description = "Cursor: `nextCursor` of the previous page"),
        ("limit" = Option<u64>, Query, description = "1–1000, default 100"),
    ),
    responses(
        (status = 200, body = RunPage),
        (status = 400, description = "A query parameter is invalid (named in `field`)", body = ErrorBody),
        (status = 401, body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: QueryMap,
) -> Result<Json<RunPage>, ApiError> {
    list_with(state, headers, query, None).await
}

/// Queued and running runs, newest first.
#[utoipa::path(get, path = "/runs/active", tag = "runs",
    params(
        ("status" = Option<String>, Query, description = "Comma-separated: queued, running, failed, completed"),
        ("job" = Option<String>, Query, description = "Job name"),
        ("worker" = Option<String>, Query, description = "Worker id"),
        ("engine" = Option<String>, Query, description = "Engine (resolve, ffmpeg, …)"),
        ("since" = Option<String>, Query, description = "RFC 3339; runs first seen at or after"),
        ("until" = Option<String>, Query, description = "RFC 3339; runs first seen before"),
        ("text" = Option<String>, Query, description = "Case-insensitive search in run id, job, failure reason, paths (also `q`)"),
        ("before" = Option<i64>, Query, description = "Cursor: `nextCursor` of the previous page"),
        ("limit" = Option<u64>, Query, description = "1–1000, default 100"),
    ),
    responses(
        (status = 200, body = RunPage),
        (status = 400, description = "A query parameter is invalid (named in `field`)", body = ErrorBody),
        (status = 401, body = ErrorBody),
    ))]
pub async fn active(
    s: State<AppState>,
    h: HeaderMap,
    q: QueryMap,
) -> Result<Json<RunPage>, ApiError> {
    list_with(s.0, h, q, Some(vec![RunStatus::Queued, RunStatus::Running])).await
}

/// Failed runs, newest first.
#[utoipa::path(get, path = "/runs/failed", tag = "runs",
    params(
        ("status" = Option<String>, Query, description = "Comma-separated: queued, running, failed, completed"),
        ("job" = Option<String>, Query, description = "Job name"),
        ("worker" = Option<String>, Query, description = "Worker id"),
        ("engine" = Option<String>, Query, description = "Engine (resolve, ffmpeg, …)"),
        ("since" = Option<String>, Query, description = "RFC 3339; runs first seen at or after"),
        ("until" = Option<String>, Query, description = "RFC 3339; runs first seen before"),
        ("text" = Option<String>, Query, description = "Case-insensitive search in run id, job, failure reason, paths (also `q`)"),
        ("before" = Option<i64>, Query, description = "Cursor: `nextCursor` of the previous page"),
        ("limit" = Option<u64>, Query, description = "1–1000, default 100"),
    ),
    responses(
        (status = 200, body = RunPage),
        (status = 400, description = "A query parameter is invalid (named in `field`)", body = ErrorBody),
        (status = 401, body = ErrorBody),
    ))]
pub async fn failed(
    s: State<AppState>,
    h: HeaderMap,
    q: QueryMap,
) -> Result<Json<RunPage>, ApiError> {
    list_with(s.0, h, q, Some(vec![RunStatus::Failed])).await
}

/// Completed runs, newest first.
#[utoipa::path(get, path = "/runs/completed", tag = "runs",
    params(
        ("status" = Option<String>, Query, description = "Comma-separated: queued, running, failed, completed"),
        ("job" = Option<String>, Query, description = "Job name"),
        ("worker" = Option<String>, Query, description = "Worker id"),
        ("engine" = Option<String>, Query, description = "Engine (resolve, ffmpeg, …)"),
        ("since" = Option<String>, Query, description = "RFC 3339; runs first seen at or after"),
        ("until" = Option<String>, Query, description = "RFC 3339; runs first seen before"),
        ("text" = Option<String>, Query, description = "Case-insensitive search in run id, job, failure reason, paths (also `q`)"),
        ("before" = Option<i64>, Query, description = "Cursor: `nextCursor` of the previous page"),
        ("limit" = Option<u64>, Query, description = "1–1000, default 100"),
    ),
    responses(
        (status = 200, body = RunPage),
        (status = 400, description = "A query parameter is invalid (named in `field`)", body = ErrorBody),
        (status = 401, body = ErrorBody),
    ))]
pub async fn completed(
    s: State<AppState>,
    h: HeaderMap,
    q: QueryMap,
) -> Result<Json<RunPage>, ApiError> {
    list_with(s.0, h, q, Some(vec![RunStatus::Completed])).await
}

async fn list_with(
    state: AppState,
    headers: HeaderMap,
    query: QueryMap,
    statuses: Option<Vec<RunStatus>>,
) -> Result<Json<RunPage>, ApiError> {
    require_api_key(&state, &headers)?;
    let mut filter = parse_filter(&Params::from_query(query)?)?;
    if let Some(statuses) = statuses {
        filter.status = statuses;
    }
    Ok(Json(state.store.list_runs(&filter).await?))
}

/// Counts by status, engine and worker; failure rate; duration p50/p95.
#[utoipa::path(get, path = "/runs/stats", tag = "runs",
    params(
        ("status" = Option<String>, Query, description = "Comma-separated: queued, running, failed, completed"),
        ("job" = Option<String>, Query, description = "Job name"),
        ("worker" = Option<String>, Query, description = "Worker id"),
        ("engine" = Option<String>, Query, description = "Engine (resolve, ffmpeg, …)"),
        ("since" = Option<String>, Query, description = "RFC 3339; runs first seen at or after"),
        ("until" = Option<String>, Query, description = "RFC 3339; runs first seen before"),
        ("text" = Option<String>, Query, description = "Case-insensitive search in run id, job, failure reason, paths (also `q`)"),
        ("before" = Option<i64>, Query, description = "Cursor: `nextCursor` of the previous page"),
        ("limit" = Option<u64>, Query, description = "1–1000, default 100"),
    ),
    responses(
        (status = 200, body = RunStats),
        (status = 400, description = "A query parameter is invalid (named in `field`)", body = ErrorBody),
        (status = 401, body = ErrorBody),
    ))]
pub async fn stats(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: QueryMap,
) -> Result<Json<RunStats>, ApiError> {
    require_api_key(&state, &headers)?;
    let filter = parse_filter(&Params::from_query(query)?)?;
    Ok(Json(state.store.run_stats(&filter).await?))
}

/// One run with its complete event timeline and refused transitions.
#[utoipa::path(get, path = "/runs/{run_id}", tag = "runs",
    params(("run_id" = String, Path, description = "The run id")),
    responses(
        (status = 200, body = RunDetail),
        (status = 404, description = "No such run", body = ErrorBody),
        (status = 401, body = ErrorBody),
    ))]
pub async fn detail(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(run_id): Path<String>,
) -> Result<Json<RunDetail>, ApiError> {
    require_api_key(&state, &headers)?;
    match state.store.run_detail(&run_id).await? {
        Some(detail) => Ok(Json(detail)),
        None => Err(ApiError::RunNotFound(run_id)),
    }
}

fn parse_filter(p: &Params) -> Result<RunFilter, ApiError> {
    let status = match p.text(&["status"]) {
        None => Vec::new(),
        Some(list) => list
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                RunStatus::parse(s).ok_or_else(|| {
                    invalid(
                        "status",
                        format!("must be queued, running, failed or completed (got {s:?})"),
                    )
                })
            })
            .collect::<Result<_, _>>()?,
    };
    Ok(RunFilter {
        status,
        job: p.text(&["job", "jobName"]),
        worker: p.text(&["worker", "workerId"]),
        engine: p.text(&["engine"]),
        since: p.time("since")?,
        until: p.time("until")?,
        text: p.text(&["text", "q"]),
        before: p.number("before")?,
        limit: p.limit(RunFilter::MAX_LIMIT)?,
    })
}
