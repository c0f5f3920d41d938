use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use telltale_model::{Change, EventFilter};

use crate::components::event_table::EventTable;
use crate::components::loaded::Loaded;
use crate::components::pager::{Pager, use_page};
use crate::live::use_live;
use crate::server_fns::events::list_events;

/// The event log. The filter box narrows the loaded list as you type (in the
/// browser, no reload) and keeps its text in `?text=` (the name every list
/// and the REST API give their text filter), so a filtered view can be
/// shared and reloaded; without JavaScript the same box submits as a form and
/// the server renders the narrowed list.
#[component]
pub fn EventsPage() -> impl IntoView {
    let live = use_live(&[Change::Events]);
    let query = use_query_map();
    let text = RwSignal::new(query.with_untracked(|q| q.get("text").unwrap_or_default()));
    let page = use_page(EventFilter::DEFAULT_LIMIT);
    let events = crate::data::data(
        move || (page.get(), live.get()),
        move |((paging, limit), _)| {
            list_events(EventFilter {
                before: paging.before,
                limit: Some(limit),
                ..Default::default()
            })
        },
    );
    // Paging keeps the filter text as typed, and the page size.
    let params = move || {
        let limit = query.with(|q| q.get("limit").unwrap_or_default());
        vec![("text", text.get()), ("limit", limit)]
    };

    let on_input = move |ev| {
        let value = event_target_value(&ev);
        replace_query(&value);
        text.set(value);
    };

    view! {
        <Title text="Events" />
        <h1>"Events"</h1>
        <form method="get" action="/events" class="filters" role="search">
            <label for="event-filter">"Filter"</label>
            <input
                id="event-filter"
                type="search"
                name="text"
                placeholder="type, message, job, run, worker, level"
                autocomplete="off"
                prop:value=move || text.get()
                on:input=on_input
            />
        </form>
        <Loaded data=events loading="Loading events…" let:events>
            <EventTable events=events.events text />
            <Pager
                path="/events"
                params=Signal::derive(params)
                paging=page.get_untracked().0
                next_cursor=events.next_cursor
            />
        </Loaded>
    }
}

/// Keeps `?text=` in the address bar in step with the box without a navigation
/// (which would re-run the page) and without adding history entries.
fn replace_query(value: &str) {
    #[cfg(feature = "hydrate")]
    {
        let url = if value.is_empty() {
            "/events".to_owned()
        } else {
            format!("/events?text={}", js_sys_encode(value))
        };
        if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
            let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = value;
}

#[cfg(feature = "hydrate")]
fn js_sys_encode(value: &str) -> String {
    String::from(web_sys::js_sys::encode_uri_component(value))
}
