use leptos::prelude::*;
use telltale_model::EventPage;

use crate::error::AppError;
use crate::pages::events::EventQuery;

/// Events matching the events page's filter fields, newest first: what
/// `GET /v1/events` returns. The fields travel as typed in the address and
/// are read here, so a bad one is refused by name (and the browser carries
/// no reader for levels, sources or times).
#[server(prefix = "/api", endpoint = "events/list")]
pub async fn list_events(
    #[server(default)] query: EventQuery,
    before: Option<i64>,
    limit: u64,
) -> Result<EventPage, AppError> {
    use super::ssr::store;
    let filter = telltale_model::EventFilter {
        before,
        limit: Some(limit),
        ..query.filter()?
    };
    Ok(store()?.list_events(&filter).await?)
}
