//! What is broken, what went through, and what happened last: the
//! overview's sections below the counts.

use leptos::prelude::*;
use telltale_model::{Alert, BrokenJob, Event, Run, Throughput};

use crate::components::alert_table::AlertTable;
use crate::components::badge::{HealthBadge, health_row_class};
use crate::components::chart::ThroughputChart;
use crate::components::event_table::EventTable;
use crate::components::format::encode;
use crate::components::run_table::RunTable;
use crate::components::time::Time;

/// The latest failed runs, with a link to all runs.
#[component]
pub fn FailedRuns(runs: Vec<Run>) -> impl IntoView {
    let body = if runs.is_empty() {
        view! { <p class="muted">"No failed run stored."</p> }.into_any()
    } else {
        view! {
            <RunTable runs />
            <p>
                <a href="/runs">"All runs"</a>
            </p>
        }
        .into_any()
    };
    view! {
        <section>
            <h2>"Failed runs"</h2>
            {body}
        </section>
    }
}

/// Every open alert, with a link to all alerts.
#[component]
pub fn OpenAlerts(alerts: Vec<Alert>) -> impl IntoView {
    view! {
        <section>
            <h2>"Open alerts"</h2>
            <AlertTable alerts />
            <p>
                <a href="/alerts">"All alerts"</a>
            </p>
        </section>
    }
}

/// The jobs that are FAILING, then DOWN, then LATE, each since when; the
/// first of them, with the count of the rest and the way to them.
#[component]
pub fn BrokenJobs(jobs: Vec<BrokenJob>, total: u64) -> impl IntoView {
    let rest = total.saturating_sub(jobs.len() as u64);
    let more = (rest > 0).then(|| {
        view! {
            <p data-testid="broken-more">
                {format!("and {rest} more: ")}
                <a href="/jobs">"all jobs, broken first"</a>
            </p>
        }
    });
    let body = if jobs.is_empty() {
        view! { <p class="muted">"No job is FAILING, DOWN or LATE."</p> }.into_any()
    } else {
        view! {
            <ul class="broken-jobs">
                {jobs
                    .into_iter()
                    .map(|j| {
                        view! {
                            <li class=health_row_class(j.health)>
                                <HealthBadge health=j.health state=j.check_state />
                                " "
                                <a href=format!("/jobs/{}", encode(&j.name))>{j.name.clone()}</a>
                                {j.check_state_since.map(|at| view! { " since " <Time at /> })}
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        }
        .into_any()
    };
    view! {
        <section>
            <h2>"FAILING, DOWN and LATE jobs"</h2>
            {body}
            {more}
        </section>
    }
}

/// Events per minute over the last hour.
#[component]
pub fn ThroughputSection(throughput: Throughput) -> impl IntoView {
    view! {
        <section>
            <h2>"Throughput, last hour"</h2>
            <ThroughputChart t=throughput />
        </section>
    }
}

/// The latest events, with a link to all events.
#[component]
pub fn LatestEvents(events: Vec<Event>) -> impl IntoView {
    view! {
        <section data-testid="latest-events">
            <h2>"Latest events"</h2>
            <EventTable events text=Signal::stored(String::new()) />
            <p>
                <a href="/events">"All events"</a>
            </p>
        </section>
    }
}
