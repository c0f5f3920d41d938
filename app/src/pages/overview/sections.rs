//! What is broken, what went through, and what happened last: the
//! overview's sections below the counts.

use leptos::prelude::*;
use telltale_model::{Alert, EventPage, JobStatus, RunPage, Throughput};

use super::error;
use crate::components::alert_table::AlertTable;
use crate::components::badge::{CheckBadge, check_row_class};
use crate::components::chart::ThroughputChart;
use crate::components::event_table::EventTable;
use crate::components::format::encode;
use crate::components::run_table::RunTable;
use crate::components::time::Time;
use crate::data::Data;

/// The latest failed runs, with a link to all runs.
#[component]
pub fn FailedRuns(failed: Data<Result<RunPage, ServerFnError>>) -> impl IntoView {
    view! {
        <section>
            <h2>"Failed runs"</h2>
            {move || Suspend::new(async move {
                match failed.await {
                    Ok(page) if page.runs.is_empty() => {
                        view! { <p class="muted">"No failed run stored."</p> }.into_any()
                    }
                    Ok(page) => {
                        view! {
                            <RunTable runs=page.runs />
                            <p>
                                <a href="/runs">"All runs"</a>
                            </p>
                        }
                            .into_any()
                    }
                    Err(e) => error(e),
                }
            })}
        </section>
    }
}

/// Every open alert, with a link to all alerts.
#[component]
pub fn OpenAlerts(alerts: Data<Result<Vec<Alert>, ServerFnError>>) -> impl IntoView {
    view! {
        <section>
            <h2>"Open alerts"</h2>
            {move || Suspend::new(async move {
                match alerts.await {
                    Ok(alerts) => {
                        view! {
                            <AlertTable alerts />
                            <p>
                                <a href="/alerts">"All alerts"</a>
                            </p>
                        }
                            .into_any()
                    }
                    Err(e) => error(e),
                }
            })}
        </section>
    }
}

/// The jobs that are DOWN, then those that are LATE, each since when.
#[component]
pub fn BrokenJobs(
    down: Data<Result<Vec<JobStatus>, ServerFnError>>,
    late: Data<Result<Vec<JobStatus>, ServerFnError>>,
) -> impl IntoView {
    view! {
        <section>
            <h2>"DOWN and LATE jobs"</h2>
            {move || Suspend::new(async move {
                match (down.await, late.await) {
                    (Ok(mut jobs), Ok(late)) => {
                        jobs.extend(late);
                        if jobs.is_empty() {
                            view! { <p class="muted">"0 jobs DOWN, 0 LATE."</p> }.into_any()
                        } else {
                            view! {
                                <ul class="broken-jobs">
                                    {jobs
                                        .into_iter()
                                        .map(|j| {
                                            view! {
                                                <li class=check_row_class(j.check_state)>
                                                    <CheckBadge state=j.check_state />
                                                    " "
                                                    <a href=format!(
                                                        "/jobs/{}",
                                                        encode(&j.job.name),
                                                    )>{j.job.name.clone()}</a>
                                                    {j
                                                        .check_state_since
                                                        .map(|at| view! { " since " <Time at /> })}
                                                </li>
                                            }
                                        })
                                        .collect_view()}
                                </ul>
                            }
                                .into_any()
                        }
                    }
                    (Err(e), _) | (_, Err(e)) => error(e),
                }
            })}
        </section>
    }
}

/// Events per minute over the last hour.
#[component]
pub fn ThroughputSection(throughput: Data<Result<Throughput, ServerFnError>>) -> impl IntoView {
    view! {
        <section>
            <h2>"Throughput, last hour"</h2>
            {move || Suspend::new(async move {
                match throughput.await {
                    Ok(t) => view! { <ThroughputChart t /> }.into_any(),
                    Err(e) => error(e),
                }
            })}
        </section>
    }
}

/// The latest events, with a link to all events.
#[component]
pub fn LatestEvents(latest: Data<Result<EventPage, ServerFnError>>) -> impl IntoView {
    view! {
        <section data-testid="latest-events">
            <h2>"Latest events"</h2>
            {move || Suspend::new(async move {
                match latest.await {
                    Ok(page) => {
                        view! {
                            <EventTable events=page.events text=Signal::stored(String::new()) />
                        }
                            .into_any()
                    }
                    Err(e) => error(e),
                }
            })}
            <p>
                <a href="/events">"All events"</a>
            </p>
        </section>
    }
}
