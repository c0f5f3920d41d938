use leptos::prelude::*;
use telltale_model::{EventFilter, EventPage};

/// Events matching `filter`, newest first: what `GET /v1/events` returns.
#[server(prefix = "/api", endpoint = "events/list")]
pub async fn list_events(
    #[server(default)] filter: EventFilter,
) -> Result<EventPage, ServerFnError> {
    use super::ssr::{store, to_server_error};
    store()?.list_events(&filter).await.map_err(to_server_error)
}
