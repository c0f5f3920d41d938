use std::collections::BTreeMap;

use leptos::prelude::*;
use leptos_meta::Title;
use telltale_model::{
    AlertFilter, AlertStatus, Change, CheckState, EventFilter, RunFilter, RunStatus,
    SchedulerPresence, StatusSummary,
};

use crate::components::alert_table::AlertTable;
use crate::components::badge::{CheckBadge, check_row_class};
use crate::components::chart::ThroughputChart;
use crate::components::event_table::EventTable;
use crate::components::format::encode;
use crate::components::run_table::RunTable;
use crate::components::time::Time;
use crate::live::use_live;
use crate::server_fns::alerts::list_alerts;
use crate::server_fns::events::list_events;
use crate::server_fns::runs::list_runs;
use crate::server_fns::status::{get_status_summary, get_throughput, list_job_statuses};

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
    let error = |e: ServerFnError| view! { <p class="error">{e.to_string()}</p> }.into_any();
    view! {
        <Title text="Overview" />
        <h1>"Overview"</h1>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match summary.await {
                    Ok(s) => {
                        view! {
                            <DeliveryWarning failing=s.failing_deliveries.clone() />
                            <Counts s />
                        }
                            .into_any()
                    }
                    Err(e) => error(e),
                }
            })}
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
            <section>
                <h2>"Throughput, last hour"</h2>
                {move || Suspend::new(async move {
                    match throughput.await {
                        Ok(t) => view! { <ThroughputChart t /> }.into_any(),
                        Err(e) => error(e),
                    }
                })}
            </section>
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
        </Transition>
    }
}

/// The summary as counts, in a fixed order so they do not jump around.
#[component]
fn Counts(s: StatusSummary) -> impl IntoView {
    let jobs: Vec<&str> = CheckState::ALL.iter().map(|c| c.as_str()).collect();
    let runs: Vec<&str> = RunStatus::ALL.iter().map(|r| r.as_str()).collect();
    let alerts: Vec<&str> = telltale_model::AlertType::ALL
        .iter()
        .map(|a| a.as_str())
        .collect();
    view! {
        <div class="counts" data-testid="counts">
            <CountGroup title="Jobs" href="/jobs" order=jobs counts=s.jobs_by_check_state alarm=&["DOWN", "LATE"] />
            <CountGroup title="Runs" href="/runs" order=runs counts=s.runs_by_status alarm=&["failed"] />
            <CountGroup
                title="Open alerts"
                href="/alerts"
                order=alerts
                counts=s.open_alerts_by_type
                alarm=&["FAILURE", "MISSED", "WORKER_OFFLINE"]
            />
            <CountGroup
                title="Workers"
                href="/workers"
                order=vec!["offline", "busy", "idle"]
                counts=s.workers_by_status
                alarm=&["offline"]
            />
            <Scheduler p=s.scheduler />
        </div>
    }
}

#[component]
fn CountGroup(
    title: &'static str,
    href: &'static str,
    order: Vec<&'static str>,
    counts: BTreeMap<String, u64>,
    alarm: &'static [&'static str],
) -> impl IntoView {
    view! {
        <section class="count-group">
            <h2>
                <a href=href>{title}</a>
            </h2>
            <dl>
                {order
                    .into_iter()
                    .map(|k| {
                        let n = counts.get(k).copied().unwrap_or(0);
                        let class = if n > 0 && alarm.contains(&k) { "alarm" } else { "" };
                        view! {
                            <div class=class data-count=k>
                                <dt>{k}</dt>
                                <dd>{n}</dd>
                            </div>
                        }
                    })
                    .collect_view()}
            </dl>
        </section>
    }
}

#[component]
fn Scheduler(p: SchedulerPresence) -> impl IntoView {
    let (state, class) = if p.online {
        ("online", "")
    } else if p.last_heartbeat_at.is_some() {
        ("offline", "alarm")
    } else {
        ("never seen", "")
    };
    view! {
        <section class="count-group">
            <h2>"Scheduler"</h2>
            <dl>
                <div class=class data-count="scheduler">
                    <dt>"presence"</dt>
                    <dd>{state}</dd>
                </div>
            </dl>
            <p class="muted small">
                "last heartbeat: "
                {match p.last_heartbeat_at {
                    Some(at) => view! { <Time at /> }.into_any(),
                    None => view! { "none" }.into_any(),
                }}
            </p>
        </section>
    }
}

/// Alerts nobody receives are worthless: say so first when the last
/// attempt on a delivery target failed, with the receiver's words.
#[component]
fn DeliveryWarning(failing: Vec<telltale_model::FailingChannel>) -> impl IntoView {
    (!failing.is_empty()).then(|| {
        view! {
            <section class="delivery-warning" role="alert">
                <h2>"⚠ Alert delivery failing"</h2>
                <ul>
                    {failing
                        .into_iter()
                        .map(|f| {
                            view! {
                                <li>
                                    <strong>{f.channel.as_str()} " " {f.target}</strong>
                                    ": last attempt failed "
                                    <crate::components::time::Time at=f.failed_at />
                                    {format!(" ({} of the last attempts failed): ", f.recent_failures)}
                                    <span class="mono">{f.error}</span>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </section>
        }
    })
}
