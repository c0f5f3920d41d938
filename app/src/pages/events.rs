use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;
use serde::{Deserialize, Serialize};
use telltale_model::{Change, EventFilter, Level, SourceType};

use crate::components::event_table::EventTable;
use crate::components::loaded::Loaded;
use crate::components::pager::{Pager, use_page};
use crate::error::AppError;
use crate::live::use_live;
use crate::server_fns::events::list_events;

/// The filters the server applies, by the REST API's names (`q`: the
/// full-text search over every stored event); `text` is the box that
/// narrows the loaded page as you type.
const SERVER_FILTERS: [&str; 9] = [
    "q", "job", "run", "worker", "level", "type", "source", "since", "until",
];

/// The event log. The filters are a plain GET form with the REST API's
/// parameter names, so a filtered view is an address (shared, reloaded,
/// the back button works) and works without JavaScript; the server applies
/// them over every stored event, not only the loaded ones. The text box
/// narrows the loaded page as you type and keeps its text in `?text=`.
#[component]
pub fn EventsPage() -> impl IntoView {
    let live = use_live(&[Change::Events]);
    let query = use_query_map();
    let text = RwSignal::new(query.with_untracked(|q| q.get("text").unwrap_or_default()));
    let page = use_page(EventFilter::DEFAULT_LIMIT);
    let filter = move || query.with(EventQuery::of);
    let events = crate::data::data(
        move || (filter(), page.get(), live.get()),
        move |(filter, (paging, limit), _)| list_events(filter, paging.before, limit),
    );
    // Paging keeps every filter and the page size.
    let params = move || {
        query.with(|q| {
            let mut kept: Vec<(&'static str, String)> = SERVER_FILTERS
                .into_iter()
                .map(|k| (k, q.get(k).unwrap_or_default()))
                .collect();
            kept.push(("text", text.get()));
            kept.push(("limit", q.get("limit").unwrap_or_default()));
            kept
        })
    };
    let shown = query.with_untracked(|q| q.clone());
    let empty = if SERVER_FILTERS
        .iter()
        .any(|k| shown.get_str(k).is_some_and(|v| !v.trim().is_empty()))
    {
        "No stored event matches these filters."
    } else {
        "No events stored."
    };

    view! {
        <Title text="Events" />
        <h1>"Events"</h1>
        <EventFilterForm q=shown text />
        <Loaded data=events loading="Loading events…" let:events>
            <Unsearched n=events.unsearched />
            <EventTable events=events.events text empty />
            <Pager
                path="/events"
                params=Signal::derive(params)
                paging=page.get_untracked().0
                next_cursor=events.next_cursor
            />
        </Loaded>
    }
}

/// Said beside a search's results while the index trails the log.
#[component]
fn Unsearched(n: Option<u64>) -> impl IntoView {
    n.filter(|&n| n > 0).map(|n| {
        view! {
            <p class="muted" role="status" data-testid="unsearched">
                {format!(
                    "The newest {n} events are not searchable yet: indexing catches up in the background."
                )}
            </p>
        }
    })
}

/// The server-side filters as form fields, showing the ones the page was
/// loaded with (times in UTC: `datetime-local` has no zone): first the
/// search over every stored event, then the box that narrows the loaded
/// page (hydrated, as you type; without JavaScript, Enter submits it with
/// the rest).
#[component]
fn EventFilterForm(q: ParamsMap, text: RwSignal<String>) -> impl IntoView {
    let on_input = move |ev| {
        let value = event_target_value(&ev);
        replace_query(&value);
        text.set(value);
    };
    let value = |k: &str| q.get(k).unwrap_or_default();
    let field = |id: &'static str, name: &'static str, label: &'static str, hint: &'static str| {
        view! {
            <label for=id>{label}</label>
            <input id=id type="search" name=name placeholder=hint autocomplete="off" value=value(name) />
        }
    };
    let level = value("level");
    let source = value("source");
    view! {
        <form method="get" action="/events" class="filters event-filters" role="search" aria-label="Filter events">
            <label for="event-search">"Search"</label>
            <input
                id="event-search"
                type="search"
                data-page-search
                name="q"
                placeholder="words in message or metadata, all events"
                autocomplete="off"
                value=value("q")
            />
            <label for="event-filter">"Narrow"</label>
            <input
                id="event-filter"
                type="search"
                name="text"
                placeholder="type, message, job, run, worker, level"
                autocomplete="off"
                value=text.get_untracked()
                prop:value=move || text.get()
                on:input=on_input
            />
            {field("ev-job", "job", "Job", "exact job name")}
            {field("ev-run", "run", "Run", "run id")}
            {field("ev-worker", "worker", "Worker", "worker id")}
            {field("ev-type", "type", "Type", "e.g. job.failed")}
            <label for="ev-level">"Level"</label>
            <select id="ev-level" name="level">
                <option value="" selected=level.is_empty()>"any"</option>
                {Level::ALL
                    .into_iter()
                    .map(|l| view! { <option value=l.as_str() selected=level == l.as_str()>{l.as_str()}</option> })
                    .collect_view()}
            </select>
            <label for="ev-source">"Source"</label>
            <select id="ev-source" name="source">
                <option value="" selected=source.is_empty()>"any"</option>
                {SourceType::ALL
                    .into_iter()
                    .map(|s| view! { <option value=s.as_str() selected=source == s.as_str()>{s.as_str()}</option> })
                    .collect_view()}
            </select>
            <label for="ev-since">"From (UTC)"</label>
            <input id="ev-since" type="datetime-local" step="1" name="since" value=value("since") />
            <label for="ev-until">"To (UTC)"</label>
            <input id="ev-until" type="datetime-local" step="1" name="until" value=value("until") />
            <button type="submit">"Filter"</button>
            <a href="/events">"Clear"</a>
        </form>
    }
}

/// The server's filters as the address holds them, by the REST API's names,
/// blank when absent: read into an [`EventFilter`] by the server.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EventQuery {
    pub q: String,
    pub job: String,
    pub run: String,
    pub worker: String,
    pub level: String,
    #[serde(rename = "type")]
    pub event_type: String,
    pub source: String,
    pub since: String,
    pub until: String,
}

impl EventQuery {
    /// The filter fields of the page's address.
    pub fn of(q: &ParamsMap) -> Self {
        let get = |k: &str| q.get(k).unwrap_or_default();
        EventQuery {
            q: get("q"),
            job: get("job"),
            run: get("run"),
            worker: get("worker"),
            level: get("level"),
            event_type: get("type"),
            source: get("source"),
            since: get("since"),
            until: get("until"),
        }
    }

    /// The filter these fields ask for, or the error naming the first
    /// field that cannot be read.
    pub fn filter(&self) -> Result<EventFilter, AppError> {
        let fields = [
            ("q", &self.q),
            ("job", &self.job),
            ("run", &self.run),
            ("worker", &self.worker),
            ("level", &self.level),
            ("type", &self.event_type),
            ("source", &self.source),
            ("since", &self.since),
            ("until", &self.until),
        ];
        filter_from_query(
            &fields
                .into_iter()
                .map(|(k, v)| (k, v.clone()))
                .collect::<ParamsMap>(),
        )
    }
}

/// The listing's filter from the address, by the REST API's names. A value
/// that cannot be read is an error naming the parameter, not ignored: an
/// operator who typed a filter must not see everything and think it applied.
pub fn filter_from_query(q: &ParamsMap) -> Result<EventFilter, AppError> {
    let text = |k: &str| {
        q.get(k)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let level = match text("level") {
        Some(v) => Some(Level::parse(&v.to_ascii_lowercase()).ok_or_else(|| {
            AppError::bad_input(
                "level",
                format!("must be one of debug, info, warn, error (got {v:?})"),
            )
        })?),
        None => None,
    };
    let source = match text("source") {
        Some(v) => Some(SourceType::parse(&v.to_ascii_lowercase()).ok_or_else(|| {
            AppError::bad_input(
                "source",
                format!("must be one of chief, worker, scheduler, system (got {v:?})"),
            )
        })?),
        None => None,
    };
    Ok(EventFilter {
        q: text("q"),
        job: text("job"),
        run: text("run"),
        worker: text("worker"),
        level,
        event_type: text("type"),
        source,
        since: text("since")
            .map(|v| crate::form::utc_time("since", &v))
            .transpose()?,
        until: text("until")
            .map(|v| crate::form::utc_time("until", &v))
            .transpose()?,
        ..Default::default()
    })
}

/// Keeps `?text=` in the address bar in step with the box without a navigation
/// (which would re-run the page) and without adding history entries; the
/// other parameters stay as they are.
fn replace_query(value: &str) {
    #[cfg(feature = "hydrate")]
    {
        let Some(window) = web_sys::window() else {
            return;
        };
        let search = window.location().search().unwrap_or_default();
        let mut pairs: Vec<String> = search
            .trim_start_matches('?')
            .split('&')
            .filter(|p| !p.is_empty() && !p.starts_with("text="))
            .map(str::to_owned)
            .collect();
        if !value.is_empty() {
            pairs.push(format!("text={}", js_sys_encode(value)));
        }
        let url = if pairs.is_empty() {
            "/events".to_owned()
        } else {
            format!("/events?{}", pairs.join("&"))
        };
        if let Ok(history) = window.history() {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> ParamsMap {
        let mut map = ParamsMap::new();
        for (k, v) in pairs {
            map.insert((*k).to_owned(), (*v).to_owned());
        }
        map
    }

    #[test]
    fn the_form_reads_as_the_api_filter() {
        let f = filter_from_query(&q(&[
            ("job", " nightly "),
            ("q", " disk full "),
            ("level", "ERROR"),
            ("source", "worker"),
            ("since", "2026-12-03T14:05"),
            ("until", "2026-12-03T15:00:30"),
            ("run", ""),
        ]))
        .unwrap();
        assert_eq!(f.job.as_deref(), Some("nightly"));
        assert_eq!(f.q.as_deref(), Some("disk full"));
        assert_eq!(f.run, None, "blank is no filter");
        assert_eq!(f.level, Some(Level::Error));
        assert_eq!(f.source, Some(SourceType::Worker));
        assert_eq!(f.since.unwrap().to_rfc3339(), "2026-12-03T14:05:00+00:00");
        assert_eq!(f.until.unwrap().to_rfc3339(), "2026-12-03T15:00:30+00:00");
    }

    #[test]
    fn the_page_sends_the_address_fields_the_server_reads() {
        let address = q(&[("type", "job.failed"), ("level", "warn"), ("text", "x")]);
        let sent = EventQuery::of(&address);
        assert_eq!(sent.event_type, "job.failed");
        let f = sent.filter().unwrap();
        assert_eq!(f.event_type.as_deref(), Some("job.failed"));
        assert_eq!(f.level, Some(Level::Warn));
        assert_eq!(f.job, None);
        let e = EventQuery {
            until: "soon".into(),
            ..EventQuery::default()
        }
        .filter()
        .unwrap_err();
        assert!(e.to_string().starts_with("until: must be a time"), "{e}");
    }

    #[test]
    fn an_unreadable_filter_names_its_parameter() {
        let e = filter_from_query(&q(&[("level", "loud")])).unwrap_err();
        assert!(e.to_string().starts_with("level: must be one of"), "{e}");
        let e = filter_from_query(&q(&[("since", "yesterday")])).unwrap_err();
        assert!(e.to_string().starts_with("since: must be a time"), "{e}");
    }
}
