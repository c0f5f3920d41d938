use leptos::prelude::*;
use leptos_meta::Title;
use telltale_model::EventFilter;

use crate::components::event_table::EventTable;
use crate::server_fns::events::list_events;

const LATEST: u64 = 20;

#[component]
pub fn OverviewPage() -> impl IntoView {
    let latest = Resource::new(
        || (),
        |_| {
            list_events(EventFilter {
                limit: Some(LATEST),
                ..Default::default()
            })
        },
    );
    view! {
        <Title text="Overview" />
        <h1>"Overview"</h1>
        <section>
            <h2>"Latest events"</h2>
            <Suspense fallback=|| view! { <p class="muted">"Loading events…"</p> }>
                {move || Suspend::new(async move {
                    match latest.await {
                        Ok(page) => {
                            view! {
                                <EventTable events=page.events text=Signal::stored(String::new()) />
                            }
                                .into_any()
                        }
                        Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
            <p>
                <a href="/events">"All events"</a>
            </p>
        </section>
    }
}
