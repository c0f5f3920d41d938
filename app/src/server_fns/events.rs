use leptos::prelude::*;
use telltale_model::{EventFilter, EventPage};

use crate::error::AppError;

/// Events matching `filter`, newest first: what `GET /v1/events` returns.
#[server(prefix = "/api", endpoint = "events/list")]
pub async fn list_events(#[server(default)] filter: EventFilter) -> Result<EventPage, AppError> {
    use super::ssr::store;
    Ok(store()?.list_events(&filter).await?)
}
