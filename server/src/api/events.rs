//! `GET /v1/events`: the log, newest first, with filters and a cursor.

use std::collections::HashMap;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use serde::Serialize;
use telltale_model::{Event, EventFilter, Level};

use super::keys::require_api_key;
use super::query::{Params, invalid};
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
    let filter = parse_filter(&Params::from_query(query)?)?;
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
fn parse_filter(p: &Params) -> Result<EventFilter, ApiError> {
    let level = match p.text(&["level"]) {
        None => None,
        Some(v) => Some(Level::parse(&v).ok_or_else(|| {
            invalid(
                "level",
                format!("must be one of debug, info, warn, error (got {v:?})"),
            )
        })?),
    };
    Ok(EventFilter {
        job: p.text(&["job", "jobName"]),
        run: p.text(&["run", "runId", "job_id"]),
        worker: p.text(&["worker", "workerId"]),
        level,
        event_type: p.text(&["type", "eventType"]),
        since: p.time("since")?,
        until: p.time("until")?,
        before: p.number("before")?,
        limit: p.limit(EventFilter::MAX_LIMIT)?,
    })
}
