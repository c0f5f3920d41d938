//! The overview page: the counts first, then what is broken, then the last
//! hour's throughput and the latest events. One server call brings all of
//! it, rendered on the server ([`overview_html`]): nothing on it changes in
//! the browser but by a new read; each part is its own component.

#[cfg(feature = "ssr")]
mod sections;
#[cfg(feature = "ssr")]
mod summary;
#[cfg(feature = "ssr")]
mod welcome;

use leptos::prelude::*;
use leptos_meta::Title;
use telltale_model::Change;
#[cfg(feature = "ssr")]
use telltale_model::Overview;

use crate::components::loaded::Loaded;
use crate::components::server_html::ServerHtml;
use crate::live::use_live;
use crate::server_fns::status::overview_html;
#[cfg(feature = "ssr")]
use sections::{BrokenJobs, FailedRuns, LatestEvents, OpenAlerts, ThroughputSection};
#[cfg(feature = "ssr")]
use summary::Summary;
#[cfg(feature = "ssr")]
use welcome::Welcome;

/// What an operator checks first: the counts, then what is broken (failed
/// runs, open alerts, FAILING, DOWN and LATE jobs), then the last hour's throughput
/// and the latest events. Factual: numbers and states, no reassurance.
#[component]
pub fn OverviewPage() -> impl IntoView {
    // Every kind of change moves some part of it: one read for all.
    let live = use_live(Change::ALL.as_slice());
    let overview = crate::data::data(move || live.get(), move |_| overview_html());
    view! {
        <Title text="Overview" />
        <h1>"Overview"</h1>
        <Loaded data=overview let:html>
            <ServerHtml html />
        </Loaded>
    }
}

/// The page's sections, rendered by [`overview_html`]; `origin` is the
/// address the page was asked at, for the welcome's snippets.
#[cfg(feature = "ssr")]
#[component]
pub fn OverviewSections(o: Overview, origin: String) -> impl IntoView {
    // Nothing stored yet: a new install. Say how to send the first event
    // before the empty counts; it goes once one arrives (the page is live).
    let welcome = o
        .latest_events
        .is_empty()
        .then(|| view! { <Welcome origin /> });
    // Each job is in one health bucket: these three are the broken ones.
    let broken_total: u64 = ["FAILING", "DOWN", "LATE"]
        .iter()
        .filter_map(|h| o.summary.jobs_by_health.get(*h))
        .sum();
    view! {
        {welcome}
        <Summary summary=o.summary />
        <FailedRuns runs=o.failed_runs />
        <OpenAlerts alerts=o.open_alerts />
        <BrokenJobs jobs=o.broken_jobs total=broken_total />
        <ThroughputSection throughput=o.throughput />
        <LatestEvents events=o.latest_events />
    }
}
