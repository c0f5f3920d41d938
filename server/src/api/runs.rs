//! Runs (Forge's `/jobs…`, here `/v1/runs…`): listings newest first with
//! filters and a cursor, one run with its complete timeline, and aggregates.

use axum::Json;
use axum::extract::{Path, State};
use telltale_model::{RunDetail, RunFilter, RunOrder, RunPage, RunStats, RunStatus};

use serde::Deserialize;
use utoipa::IntoParams;

use super::query::{Params, RawQuery, invalid, limit, nonblank, number, row_cap, time};
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

type QueryMap = RawQuery;

/// The query string of every run listing: what the OpenAPI document shows
/// and what the handlers parse, in one place. Values stay strings here so
/// a bad one is reported by name, not as a generic decoding error; read
/// through [`Params`], so a retired spelling is refused as on every listing.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RunQuery {
    /// Comma-separated: queued, running, failed, completed
    status: Option<String>,
    /// Job name
    job: Option<String>,
    /// Worker id
    worker: Option<String>,
    /// Engine (resolve, ffmpeg, …)
    engine: Option<String>,
    /// RFC 3339; runs first seen at or after
    since: Option<String>,
    /// RFC 3339; runs first seen before
    until: Option<String>,
    /// Case-insensitive search in run id, job, failure reason, paths
    text: Option<String>,
    /// Cursor: `nextCursor` of the previous page
    before: Option<String>,
    /// 1–1000, default 100
    limit: Option<String>,
    /// `newest` (default) or `failures_first`: every failed run, then the
    /// rest, each newest first (a cursor in the failed part is negative)
    order: Option<String>,
}

/// Runs (Forge's jobs), newest first.
#[utoipa::path(get, path = "/runs", tag = "runs",
    params(RunQuery),
    responses(
        (status = 200, body = RunPage),
        (status = 400, description = "A query parameter is invalid (named in `field`)", body = ErrorBody),
        (status = 401, body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    query: QueryMap,
) -> Result<Json<RunPage>, ApiError> {
    list_with(state, query, None).await
}

/// Queued and running runs, newest first.
#[utoipa::path(get, path = "/runs/active", tag = "runs",
    params(RunQuery),
    responses(
        (status = 200, body = RunPage),
        (status = 400, description = "A query parameter is invalid (named in `field`)", body = ErrorBody),
        (status = 401, body = ErrorBody),
    ))]
pub async fn active(s: State<AppState>, q: QueryMap) -> Result<Json<RunPage>, ApiError> {
    list_with(s.0, q, Some(vec![RunStatus::Queued, RunStatus::Running])).await
}

/// Failed runs, newest first.
#[utoipa::path(get, path = "/runs/failed", tag = "runs",
    params(RunQuery),
    responses(
        (status = 200, body = RunPage),
        (status = 400, description = "A query parameter is invalid (named in `field`)", body = ErrorBody),
        (status = 401, body = ErrorBody),
    ))]
pub async fn failed(s: State<AppState>, q: QueryMap) -> Result<Json<RunPage>, ApiError> {
    list_with(s.0, q, Some(vec![RunStatus::Failed])).await
}

/// Completed runs, newest first.
#[utoipa::path(get, path = "/runs/completed", tag = "runs",
    params(RunQuery),
    responses(
        (status = 200, body = RunPage),
        (status = 400, description = "A query parameter is invalid (named in `field`)", body = ErrorBody),
        (status = 401, body = ErrorBody),
    ))]
pub async fn completed(s: State<AppState>, q: QueryMap) -> Result<Json<RunPage>, ApiError> {
    list_with(s.0, q, Some(vec![RunStatus::Completed])).await
}

async fn list_with(
    state: AppState,
    query: QueryMap,
    statuses: Option<Vec<RunStatus>>,
) -> Result<Json<RunPage>, ApiError> {
    let mut filter = parse_filter(unwrap_query(query)?)?;
    if let Some(statuses) = statuses {
        filter.status = statuses;
    }
    Ok(Json(state.core.store().list_runs(&filter).await?))
}

/// Counts by status, engine and worker; failure rate; duration p50/p95.
#[utoipa::path(get, path = "/runs/stats", tag = "runs",
    params(RunQuery),
    responses(
        (status = 200, body = RunStats),
        (status = 400, description = "A query parameter is invalid (named in `field`)", body = ErrorBody),
        (status = 401, body = ErrorBody),
    ))]
pub async fn stats(
    State(state): State<AppState>,
    query: QueryMap,
) -> Result<Json<RunStats>, ApiError> {
    let filter = parse_filter(unwrap_query(query)?)?;
    Ok(Json(state.core.store().run_stats(&filter).await?))
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
    Path(run_id): Path<String>,
) -> Result<Json<RunDetail>, ApiError> {
    match state.core.store().run_detail(&run_id).await? {
        Some(detail) => Ok(Json(detail)),
        None => Err(ApiError::RunNotFound(run_id)),
    }
}

/// An export's filter, and its `limit`, which caps the whole export rather
/// than a page.
pub(super) fn parse_run_query(query: QueryMap) -> Result<(RunFilter, Option<u64>), ApiError> {
    let mut q = unwrap_query(query)?;
    let cap = row_cap(q.limit.take())?;
    Ok((parse_filter(q)?, cap))
}

fn unwrap_query(query: QueryMap) -> Result<RunQuery, ApiError> {
    let p = Params::from_query(query)?.without_search()?;
    Ok(RunQuery {
        status: p.text("status"),
        job: p.text("job"),
        worker: p.text("worker"),
        engine: p.text("engine"),
        since: p.text("since"),
        until: p.text("until"),
        text: p.text("text"),
        before: p.text("before"),
        limit: p.text("limit"),
        order: p.text("order"),
    })
}

fn parse_filter(q: RunQuery) -> Result<RunFilter, ApiError> {
    let status = match nonblank(q.status) {
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
        job: nonblank(q.job),
        worker: nonblank(q.worker),
        engine: nonblank(q.engine),
        since: time("since", q.since)?,
        until: time("until", q.until)?,
        text: nonblank(q.text),
        before: number("before", q.before)?,
        limit: limit(q.limit, RunFilter::MAX_LIMIT)?,
        order: match nonblank(q.order) {
            None => RunOrder::Newest,
            Some(o) => RunOrder::parse(&o).ok_or_else(|| {
                invalid(
                    "order",
                    format!("must be newest or failures_first (got {o:?})"),
                )
            })?,
        },
    })
}
