use leptos::prelude::*;
use telltale_model::{Event, Level};

use super::time::Time;

/// Events as a table, narrowed to those matching `text` (case-insensitive,
/// the same rule the API's text filter uses). Messages are shown verbatim.
#[component]
pub fn EventTable(events: Vec<Event>, #[prop(into)] text: Signal<String>) -> impl IntoView {
    let total = events.len();
    let events = StoredValue::new(events);
    let shown = Memo::new(move |_| {
        let needle = text.get().trim().to_lowercase();
        events.with_value(|all| {
            all.iter()
                .filter(|e| e.matches_text(&needle))
                .cloned()
                .collect::<Vec<_>>()
        })
    });

    view! {
        <p class="count" data-testid="event-count">
            {move || {
                let n = shown.with(Vec::len);
                if n == total {
                    format!("{total} events")
                } else {
                    format!("{n} of {total} events")
                }
            }}
        </p>
        <Show
            when=move || shown.with(|s| !s.is_empty())
            fallback=move || {
                view! {
                    <p class="muted">
                        {if total == 0 { "No events stored." } else { "No event matches the filter." }}
                    </p>
                }
            }
        >
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
                <tbody>
                    <For each=move || shown.get() key=|e| e.id let:event>
                        <tr class=level_class(event.level) data-event-id=event.id>
                            <td class="nowrap">
                                <Time at=event.event_at />
                            </td>
                            <td>
                                <span class="badge">{event.level.as_str()}</span>
                            </td>
                            <td class="mono">{event.event_type}</td>
                            <td>{event.job_name.unwrap_or_default()}</td>
                            <td class="mono">{event.run_id.unwrap_or_default()}</td>
                            <td>{event.worker_id.unwrap_or_default()}</td>
                            <td class="message">{event.message}</td>
                        </tr>
                    </For>
                </tbody>
            </table>
        </Show>
    }
}

fn level_class(level: Level) -> &'static str {
    match level {
        Level::Error => "level-error",
        Level::Warn => "level-warn",
        Level::Info => "level-info",
        Level::Debug => "level-debug",
    }
}
