//! `GET /v1/events`: the log, newest first, with filters and a cursor.

use std::collections::HashMap;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use chrono::{DateTime, Utc};
use serde::Serialize;
use telltale_model::{Event, EventFilter, FieldError, Level};

use super::keys::require_api_key;
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventPage {
    pub events: Vec<Event>,
    /// Pass as `before` to get the next (older) page; absent on the last page.
    pub next_cursor: Option<i64>,
}

pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Json<EventPage>, ApiError> {
    require_api_key(&state, &headers)?;
    let Query(params) =
        query.map_err(|e| ApiError::InvalidQuery(FieldError::new("query", e.body_text())))?;
    let filter = parse_filter(&params).map_err(ApiError::InvalidQuery)?;
    let events = state.store.list_events(&filter).await?;
    let full_page = events.len() as u64 == filter.effective_limit();
    let next_cursor = if full_page {
        events.last().map(|e| e.id)
    } else {
        None
    };
    Ok(Json(EventPage {
        events,
        next_cursor,
    }))
}

/// Query parameters of Chief (`jobName`, `runId`…) and Forge (`job_id`, which
/// is our run) are accepted beside the short names.
fn parse_filter(params: &HashMap<String, String>) -> Result<EventFilter, FieldError> {
    let get = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| params.get(*n))
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let level = match get(&["level"]) {
        None => None,
        Some(v) => Some(Level::parse(&v).ok_or_else(|| {
            FieldError::new(
                "level",
                format!("must be one of debug, info, warn, error (got {v:?})"),
            )
        })?),
    };
    Ok(EventFilter {
        job: get(&["job", "jobName"]),
        run: get(&["run", "runId", "job_id"]),
        worker: get(&["worker", "workerId"]),
        level,
        event_type: get(&["type", "eventType"]),
        since: time_param("since", get(&["since"]))?,
        until: time_param("until", get(&["until"]))?,
        before: number_param("before", get(&["before"]))?,
        limit: number_param("limit", get(&["limit"]))?
            .map(|n: i64| n.clamp(1, EventFilter::MAX_LIMIT as i64) as u64),
    })
}

fn time_param(field: &str, value: Option<String>) -> Result<Option<DateTime<Utc>>, FieldError> {
    value
        .map(|v| {
            DateTime::parse_from_rfc3339(&v)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|e| FieldError::new(field, format!("must be an RFC 3339 timestamp ({e})")))
        })
        .transpose()
}

fn number_param(field: &str, value: Option<String>) -> Result<Option<i64>, FieldError> {
    value
        .map(|v| {
            v.parse::<i64>()
                .map_err(|_| FieldError::new(field, format!("must be a whole number (got {v:?})")))
        })
        .transpose()
}
