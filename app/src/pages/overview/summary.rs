//! The top of the overview: a warning when alert delivery fails, then the
//! counts of jobs (by health), runs, open alerts and workers, and the
//! scheduler once one has been seen.

use std::collections::BTreeMap;

use leptos::prelude::*;
use telltale_model::{JobHealth, RunStatus, SchedulerPresence, StatusSummary};

use crate::components::time::Time;

/// The delivery warning (if any) and the counts.
#[component]
pub fn Summary(summary: StatusSummary) -> impl IntoView {
    view! {
        <DeliveryWarning failing=summary.failing_deliveries.clone() />
        <Counts s=summary />
    }
}

/// The summary as counts, in a fixed order so they do not jump around.
#[component]
fn Counts(s: StatusSummary) -> impl IntoView {
    let jobs: Vec<&str> = JobHealth::ALL.iter().map(|h| h.as_str()).collect();
    let runs: Vec<&str> = RunStatus::ALL.iter().map(|r| r.as_str()).collect();
    let alerts: Vec<&str> = telltale_model::AlertType::ALL
        .iter()
        .map(|a| a.as_str())
        .collect();
    view! {
        <div class="counts" data-testid="counts">
            <CountGroup title="Jobs" href="/jobs" order=jobs counts=s.jobs_by_health alarm=&["FAILING", "DOWN", "LATE"] />
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
            // Most installs have no scheduler sending heartbeats: the box
            // appears once one has been seen, not as "never seen" to all.
            {s.scheduler.last_heartbeat_at.is_some().then(|| view! { <Scheduler p=s.scheduler /> })}
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
    } else {
        ("offline", "alarm")
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
