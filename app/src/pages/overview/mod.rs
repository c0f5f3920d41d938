//! The overview page: the counts first, then what is broken, then the last
//! hour's throughput and the latest events. Each part is its own component;
//! the page creates every resource, so they load (and are sent to the
//! browser) in one fixed order.

mod sections;
mod summary;

use leptos::prelude::*;
use leptos_meta::Title;
use telltale_model::{
    AlertFilter, AlertStatus, Change, CheckState, EventFilter, RunFilter, RunStatus,
};

use crate::live::use_live;
use crate::server_fns::alerts::list_alerts;
use crate::server_fns::events::list_events;
use crate::server_fns::runs::list_runs;
use crate::server_fns::status::{get_status_summary, get_throughput, list_job_statuses};
use sections::{BrokenJobs, FailedRuns, LatestEvents, OpenAlerts, ThroughputSection};
use summary::Summary;

const LATEST: u64 = 20;
const FAILURES: u64 = 10;

/// What an operator checks first: the counts, then what is broken (failed
/// runs, open alerts, DOWN and LATE jobs), then the last hour's throughput
/// and the latest events. Factual: numbers and states, no reassurance.
#[component]
pub fn OverviewPage() -> impl IntoView {
    let live = use_live(Change::ALL.as_slice());
    let summary = crate::data::data(move || live.get(), move |_| get_status_summary());
    // Re-read on new events only: other changes do not move it.
    let events_live = use_live(&[Change::Events]);
    let throughput = crate::data::data(move || events_live.get(), move |_| get_throughput());
    let failed = crate::data::data(
        move || live.get(),
        move |_| {
            list_runs(RunFilter {
                status: vec![RunStatus::Failed],
                limit: Some(FAILURES),
                ..Default::default()
            })
        },
    );
    let alerts = crate::data::data(
        move || live.get(),
        move |_| {
            list_alerts(AlertFilter {
                status: Some(AlertStatus::Open),
                limit: Some(50),
                ..Default::default()
            })
        },
    );
    let down = crate::data::data(
        move || live.get(),
        move |_| list_job_statuses(Some(CheckState::Down), None),
    );
    let late = crate::data::data(
        move || live.get(),
        move |_| list_job_statuses(Some(CheckState::Late), None),
    );
    let latest = crate::data::data(
        move || live.get(),
        move |_| {
            list_events(EventFilter {
                limit: Some(LATEST),
                ..Default::default()
            })
        },
    );
    view! {
        <Title text="Overview" />
        <h1>"Overview"</h1>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            <Summary summary />
            <FailedRuns failed />
            <OpenAlerts alerts />
            <BrokenJobs down late />
            <ThroughputSection throughput />
            <LatestEvents latest />
        </Transition>
    }
}

/// What a part of the page shows when its data could not be loaded.
fn error(e: ServerFnError) -> AnyView {
    view! { <p class="error">{e.to_string()}</p> }.into_any()
}
