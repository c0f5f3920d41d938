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
use crate::error::ApiError;
use crate::state::AppState;

type QueryMap = Result<Query<HashMap<String, String>>, QueryRejection>;

pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: QueryMap,
) -> Result<Json<RunPage>, ApiError> {
    list_with(state, headers, query, None).await
}

pub async fn active(
    s: State<AppState>,
    h: HeaderMap,
    q: QueryMap,
) -> Result<Json<RunPage>, ApiError> {
    list_with(s.0, h, q, Some(vec![RunStatus::Queued, RunStatus::Running])).await
}

pub async fn failed(
    s: State<AppState>,
    h: HeaderMap,
    q: QueryMap,
) -> Result<Json<RunPage>, ApiError> {
    list_with(s.0, h, q, Some(vec![RunStatus::Failed])).await
}

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

pub async fn stats(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: QueryMap,
) -> Result<Json<RunStats>, ApiError> {
    require_api_key(&state, &headers)?;
    let filter = parse_filter(&Params::from_query(query)?)?;
    Ok(Json(state.store.run_stats(&filter).await?))
}

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
