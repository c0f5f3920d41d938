use leptos::prelude::*;
use telltale_model::{Event, Level};

use super::time::Time;

/// Lower case by Unicode's default mapping, as `str::to_lowercase`; in the
/// browser by its own `toLowerCase` (the same mapping), so the bundle does
/// not carry Rust's case tables (about 7 KB gzipped on each page that
/// filters events).
fn lower(s: &str) -> String {
    #[cfg(all(feature = "hydrate", target_arch = "wasm32"))]
    {
        String::from(web_sys::js_sys::JsString::from(s).to_lower_case())
    }
    #[cfg(not(all(feature = "hydrate", target_arch = "wasm32")))]
    {
        s.to_lowercase()
    }
}

/// Events as a table, narrowed to those matching `text` (case-insensitive,
/// the same rule the API's text filter uses). Messages are shown verbatim.
///
/// Every row is rendered once and the ones that do not match are hidden,
/// not removed: a row's opened details stay open (and on the right event)
/// while the filter changes, and the page carries no keyed list.
#[component]
pub fn EventTable(
    events: Vec<Event>,
    #[prop(into)] text: Signal<String>,
    /// What an empty list says: the page knows whether it asked for all.
    #[prop(default = "No events stored.")]
    empty: &'static str,
) -> impl IntoView {
    let total = events.len();
    if total == 0 {
        return view! {
            <p class="count" data-testid="event-count">"0 events"</p>
            <p class="muted">{empty}</p>
        }
        .into_any();
    }
    let searched = StoredValue::new(events.clone());
    // One flag per row, in the rows' order.
    let shown = Memo::new(move |_| {
        let needle = lower(text.get().trim());
        searched.with_value(|all| {
            all.iter()
                .map(|e| e.matches_text_by(&needle, lower))
                .collect::<Vec<bool>>()
        })
    });
    let count = move || shown.with(|s| s.iter().filter(|&&m| m).count());
    let rows = events
        .into_iter()
        .enumerate()
        .map(|(i, event)| {
            let hidden = move || !shown.with(|s| s.get(i).copied().unwrap_or(true));
            let (id, level) = (event.id, event.level);
            view! {
                <tr class=level_class(level) data-event-id=id hidden=hidden>
                    <td class="nowrap">
                        <Time at=event.event_at />
                    </td>
                    <td>
                        <span class="badge">{event.level.as_str()}</span>
                    </td>
                    <td class="mono">{event.event_type.clone()}</td>
                    <td>{event.job_name.clone().unwrap_or_default()}</td>
                    <td class="mono">{event.run_id.clone().unwrap_or_default()}</td>
                    <td>{event.worker_id.clone().unwrap_or_default()}</td>
                    <td class="message">
                        {event.message.clone()}
                        <EventDetails event />
                    </td>
                </tr>
            }
        })
        .collect_view();

    view! {
        <p class="count" data-testid="event-count">
            {move || {
                let n = count();
                if n == total {
                    format!("{total} events")
                } else {
                    format!("{n} of {total} events")
                }
            }}
        </p>
        <p class="muted" hidden=move || count() != 0>"No event matches the filter."</p>
        <div class="table-wrap" role="region" aria-label="Events" tabindex="0" hidden=move || count() == 0>
            <table class="events">
                <thead>
                    <tr>
                        <th>"Time"</th>
                        <th>"Level"</th>
                        <th>"Type"</th>
                        <th>"Job"</th>
                        <th>"Run"</th>
                        <th>"Worker"</th>
                        <th>"Message"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

/// Everything else the producer sent, behind a disclosure that works
/// without JavaScript: who sent it, the script, the event id, both clocks,
/// and the metadata as pretty-printed JSON to read and copy.
#[component]
fn EventDetails(event: Event) -> impl IntoView {
    let late = (event.received_at - event.event_at).num_seconds();
    let clocks = if late.abs() >= 1 {
        format!(
            " (received {}{} s after)",
            if late < 0 { "-" } else { "" },
            late.abs()
        )
    } else {
        String::new()
    };
    view! {
        <details class="event-details" data-key=format!("event-{}", event.id)>
            <summary>"details"</summary>
            <dl class="event-fields small">
                <dt>"Source"</dt>
                <dd>{event.source_type.as_str()}</dd>
                <dt>"Script"</dt>
                <dd class="mono">{event.script_path.unwrap_or_else(|| "—".into())}</dd>
                <dt>"Event id"</dt>
                <dd class="mono">{event.event_id.unwrap_or_else(|| "—".into())}</dd>
                <dt>"Happened"</dt>
                <dd>
                    <Time at=event.event_at />
                    {clocks}
                </dd>
                <dt>"Received"</dt>
                <dd>
                    <Time at=event.received_at />
                </dd>
                <dt>"Stored as"</dt>
                <dd class="mono">{format!("#{}", event.id)}</dd>
            </dl>
            <MetadataBlock metadata=event.metadata />
        </details>
    }
}

/// Metadata as indented JSON in a monospace block, selectable whole; an
/// empty object says so rather than showing `{}`.
#[component]
pub fn MetadataBlock(metadata: serde_json::Value) -> impl IntoView {
    let empty = metadata.as_object().is_some_and(|m| m.is_empty()) || metadata.is_null();
    if empty {
        return view! { <p class="muted small">"No metadata."</p> }.into_any();
    }
    let text = super::json_text::pretty(&metadata);
    // Focusable: a long payload scrolls, and the keyboard must reach it.
    view! { <pre class="mono metadata" data-testid="metadata" tabindex="0">{text}</pre> }.into_any()
}

fn level_class(level: Level) -> &'static str {
    match level {
        Level::Error => "level-error",
        Level::Warn => "level-warn",
        Level::Info => "level-info",
        Level::Debug => "level-debug",
    }
}
