//! `GET /v1/events`: the log, newest first, with filters and a cursor.

use axum::Json;
use axum::extract::State;
use telltale_model::{EventFilter, EventPage, Level, SourceType, search_words};

use super::query::{Params, RawQuery};
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// Events, newest first.
#[utoipa::path(get, path = "/events", tag = "events",
    params(
        ("job" = Option<String>, Query, description = "Job name"),
        ("run" = Option<String>, Query, description = "Run id (also Forge's `job_id`)"),
        ("worker" = Option<String>, Query, description = "Worker id"),
        ("level" = Option<Level>, Query, description = "debug, info, warn or error"),
        ("type" = Option<String>, Query, description = "Event type"),
        ("source" = Option<SourceType>, Query, description = "chief, worker, scheduler or system"),
        ("since" = Option<String>, Query, description = "RFC 3339; events at or after"),
        ("until" = Option<String>, Query, description = "RFC 3339; events before"),
        ("q" = Option<String>, Query, description = "Full-text search over every stored event: events whose message or metadata hold every word (letters and digits; any other character separates words; case is ignored). The answer's `unsearched` says how many of the newest events the index has not reached yet"),
        ("before" = Option<i64>, Query, description = "Cursor: `nextCursor` of the previous page"),
        ("limit" = Option<u64>, Query, description = "1–1000, default 200"),
    ),
    responses(
        (status = 200, body = EventPage),
        (status = 400, description = "A query parameter is invalid (named in `field`; `q` without letters or digits, over 500 characters or 16 words)", body = ErrorBody),
        (status = 401, body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    query: RawQuery,
) -> Result<Json<EventPage>, ApiError> {
    let filter = parse_filter(&Params::from_query(query)?)?;
    Ok(Json(state.core.store().list_events(&filter).await?))
}

/// The listing's filters, by the API's one naming style; Forge's `job_id`
/// (which is our run) is accepted for `run`, as its clients send it.
pub(super) fn parse_filter(p: &Params) -> Result<EventFilter, ApiError> {
    let level = p.one_of("level", Level::parse, "one of debug, info, warn, error")?;
    let source = p.one_of(
        "source",
        SourceType::parse,
        "one of chief, worker, scheduler, system",
    )?;
    let q = p.text("q");
    // Checked here as well as by the store: an export streams its answer,
    // and a search it cannot run must be a 400 before the first line.
    if let Some(q) = &q {
        search_words(q).map_err(|e| super::query::invalid("q", format!("the search {e}")))?;
    }
    Ok(EventFilter {
        job: p.text("job"),
        run: p.text("run").or_else(|| p.text("job_id")),
        worker: p.text("worker"),
        level,
        event_type: p.text("type"),
        source,
        since: p.time("since")?,
        until: p.time("until")?,
        q,
        before: p.number("before")?,
        limit: p.limit(EventFilter::MAX_LIMIT)?,
    })
}
