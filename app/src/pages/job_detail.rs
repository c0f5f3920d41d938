use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use telltale_model::Change;
#[cfg(feature = "ssr")]
use telltale_model::{CheckPolicy, CheckTransition, JobDetail, JobStatus, RunStatus};

#[cfg(feature = "ssr")]
use crate::components::alert_table::AlertTable;
#[cfg(feature = "ssr")]
use crate::components::badge::{CheckBadge, HealthBadge};
#[cfg(feature = "ssr")]
use crate::components::chart::{Bar, DurationChart};
use crate::components::format::encode;
#[cfg(feature = "ssr")]
use crate::components::format::{duration, percent, seconds};
use crate::components::loaded::{Loaded, error_line};
#[cfg(feature = "ssr")]
use crate::components::run_table::RunTable;
use crate::components::server_html::ServerHtml;
#[cfg(feature = "ssr")]
use crate::components::time::Time;
use crate::live::use_live;
use crate::pages::job_badge::JobBadge;
use crate::pages::job_manage::{AuditLog, JobManage, ManageActions};
use crate::pages::job_ping::JobPingUrls;
use crate::server_fns::status::job_html;
use crate::server_fns::upkeep::{JobUpkeep, get_job_upkeep};

/// One job: its policy in words, its check state and why, the state
/// changes, open alerts, durations and runs. Observation only, rendered on
/// the server ([`job_html`]); below it what an operator does with the job.
#[component]
pub fn JobDetailPage() -> impl IntoView {
    let live = use_live(&[Change::Jobs, Change::Runs, Change::Alerts]);
    let params = use_params_map();
    let name = move || params.read().get("name").unwrap_or_default();
    let detail = crate::data::data(move || (name(), live.get()), |(name, _)| job_html(name));
    // The forms (ping URL, badge, management) are not redrawn by live
    // changes: any job's change anywhere closed an open form and dropped
    // what the operator had typed. They read the job again only when one
    // of their own actions completes.
    let actions = ManageActions::default();
    let upkeep = crate::data::data(
        move || (name(), actions.version()),
        |(name, _)| get_job_upkeep(name),
    );
    view! {
        <Title text=move || format!("Job {}", name()) />
        <Loaded data=detail loading="Loading job…" let:html>
            <ServerHtml html />
        </Loaded>
        // Nothing for an unknown job (said above); a failure in its words.
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match upkeep.await {
                    Ok(Some(u)) => Some(view! { <Upkeep u actions /> }.into_any()),
                    Ok(None) => None,
                    Err(error) => Some(error_line(error).into_any()),
                }
            })}
        </Transition>
    }
}

/// What an operator does with the job, below what it shows.
#[component]
fn Upkeep(u: JobUpkeep, actions: ManageActions) -> impl IntoView {
    let JobUpkeep {
        name,
        ping,
        badge,
        manage,
    } = u;
    view! {
        <JobPingUrls html=ping regenerate=actions.regenerate />
        <JobBadge html=badge toggle=actions.toggle />
        {manage.map(|forms| view! { <JobManage forms actions /> })}
        <AuditLog job=Some(name.clone()) />
        <p>
            <a href=format!("/events?job={}", encode(&name))>"Events of this job"</a>
            " · "
            <a href=format!("/statistics?job={}", encode(&name))>"Statistics of this job"</a>
        </p>
    }
}

/// What the job page shows of the job, rendered by [`job_html`].
#[cfg(feature = "ssr")]
#[component]
pub fn JobView(d: JobDetail) -> impl IntoView {
    let s = d.job;
    let job = s.job.clone();
    let reason = d.transitions.first().map(|t| t.reason.clone());
    let mut bars: Vec<Bar> = d
        .recent_runs
        .iter()
        .filter_map(|r| {
            Some(Bar {
                seconds: r.duration_seconds()?,
                failed: r.status == RunStatus::Failed,
                label: format!(
                    "{} {} {}",
                    r.run_id,
                    r.status.as_str(),
                    duration(r.duration_seconds()?)
                ),
            })
        })
        .collect();
    bars.reverse();
    let stats = d.stats;
    view! {
        <h1>
            "Job " <span class="mono">{job.name.clone()}</span> " " <HealthBadge health=s.health state=s.check_state />
        </h1>
        {job
            .managed
            .retired_at
            .map(|at| {
                view! {
                    <p class="notice" data-testid="retired">
                        "Retired " <Time at /> ": no longer checked; its history is kept."
                    </p>
                }
            })}
        {job.managed.description.clone().map(|d| view! { <p class="description">{d}</p> })}
        <JobFields status=s.clone() reason />
        {job
            .last_failure_reason
            .clone()
            .map(|r| {
                view! {
                    <h2>"Last failure reason"</h2>
                    <pre class="failure">{r}</pre>
                }
            })}
        <h2>"Policy"</h2>
        <Policy policy=job.policy.clone() />
        <h2>"Open alerts"</h2>
        <AlertTable alerts=d.open_alerts />
        <h2>"Durations"</h2>
        <p class="count">
            {format!(
                "{} runs; p50 {}, p95 {}; failure rate {}",
                stats.total,
                stats.duration_p50_seconds.map(duration).unwrap_or_else(|| "—".into()),
                stats.duration_p95_seconds.map(duration).unwrap_or_else(|| "—".into()),
                stats.failure_rate.map(percent).unwrap_or_else(|| "—".into()),
            )}
        </p>
        <DurationChart bars p50=stats.duration_p50_seconds p95=stats.duration_p95_seconds />
        <h2>"State changes"</h2>
        <Transitions transitions=d.transitions />
        <h2>"Runs"</h2>
        <RunTable runs=d.recent_runs />
    }
}

/// The job's state and why, and its last runs' times.
#[cfg(feature = "ssr")]
#[component]
fn JobFields(status: JobStatus, reason: Option<String>) -> impl IntoView {
    let s = status;
    let job = s.job;
    view! {
        <dl class="fields">
            <dt>"State since"</dt>
            <dd>{s.check_state_since.map(|at| view! { <Time at /> })}</dd>
            <dt>"Why"</dt>
            <dd class="mono" data-testid="state-reason">{reason.unwrap_or_else(|| "—".into())}</dd>
            <dt>"Expected next start"</dt>
            <dd>{s.expected_at.map(|at| view! { <Time at /> })}</dd>
            <dt>"Last run"</dt>
            <dd>
                {job
                    .last_run_id
                    .map(|id| {
                        view! { <a class="mono" href=format!("/runs/{}", encode(&id))>{id.clone()}</a> }
                    })}
            </dd>
            <dt>"Last success"</dt>
            <dd>{job.last_success_at.map(|at| view! { <Time at /> })}</dd>
            <dt>"Last failure"</dt>
            <dd>{job.last_failure_at.map(|at| view! { <Time at /> })}</dd>
            <dt>"Failures in a row"</dt>
            <dd>{job.consecutive_failures}</dd>
            {(!job.managed.tags.is_empty()).then(|| view! {
                <dt>"Tags"</dt>
                <dd data-testid="job-tags">{job.managed.tags.join(", ")}</dd>
            })}
            {(!job.managed.channels.is_empty()).then(|| view! {
                <dt>"Always notifies"</dt>
                <dd data-testid="job-channels">{job.managed.channels.join(", ")}</dd>
            })}
        </dl>
    }
}

/// The job's check policy in words, with a link to the job it depends on.
#[cfg(feature = "ssr")]
#[component]
fn Policy(policy: CheckPolicy) -> impl IntoView {
    view! {
        <ul class="policy" data-testid="policy">
            {policy_in_words(&policy)
                .into_iter()
                .map(|line| view! { <li>{line}</li> })
                .collect_view()}
            {policy
                .depends_on
                .clone()
                .map(|up| {
                    view! {
                        <li>
                            "Depends on " <a href=format!("/jobs/{}", encode(&up))>{up.clone()}</a>
                            ": its MISSED alerts are suppressed while that job is DOWN."
                        </li>
                    }
                })}
        </ul>
    }
}

/// The job's changes of check state, newest first.
#[cfg(feature = "ssr")]
#[component]
fn Transitions(transitions: Vec<CheckTransition>) -> impl IntoView {
    if transitions.is_empty() {
        return view! { <p class="muted">"No change of state recorded."</p> }.into_any();
    }
    view! {
        <div class="table-wrap" role="region" aria-label="State changes" tabindex="0">
            <table class="events transitions">
                <thead>
                    <tr>
                        <th>"At"</th>
                        <th>"From"</th>
                        <th>"To"</th>
                        <th>"Reason"</th>
                    </tr>
                </thead>
                <tbody>
                    {transitions
                        .into_iter()
                        .map(|t| {
                            view! {
                                <tr>
                                    <td class="nowrap">
                                        <Time at=t.at />
                                    </td>
                                    <td>
                                        <CheckBadge state=t.from />
                                    </td>
                                    <td>
                                        <CheckBadge state=t.to />
                                    </td>
                                    <td class="message">{t.reason}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

/// The check policy as sentences, in the order an operator asks about it.
#[cfg(feature = "ssr")]
pub fn policy_in_words(p: &CheckPolicy) -> Vec<String> {
    let mut out = Vec::new();
    if !p.check_enabled {
        out.push("Checking is paused (check_enabled: false).".to_owned());
    }
    out.push(match &p.schedule {
        Some(s) if s.trim_start().starts_with("every") => format!("Schedule: {s}."),
        Some(s) => format!(
            "Schedule: cron {s} in {}.",
            p.timezone.as_deref().unwrap_or("UTC")
        ),
        None => "No schedule: the next start is expected only when the producer announces it \
                 (job.next_scheduled)."
            .to_owned(),
    });
    out.push(format!(
        "Grace: {} before a late job is DOWN.",
        seconds(p.grace_seconds)
    ));
    if let Some(g) = p.start_grace_seconds {
        out.push(format!(
            "Start grace: {} for a run that has not started.",
            seconds(g)
        ));
    }
    if let Some(m) = p.max_runtime_seconds {
        out.push(format!(
            "Max runtime: {}; a run still running after that makes the job DOWN.",
            seconds(m)
        ));
    }
    if let Some(m) = p.min_runtime_seconds {
        out.push(format!(
            "Min runtime: {}; a run that completes faster counts as failed.",
            seconds(m)
        ));
    }
    out.push(if p.alert_on_failure {
        match p.failure_threshold {
            1 => "FAILURE alert on a failed run.".to_owned(),
            n => format!("FAILURE alert after {n} failed runs in a row."),
        }
    } else {
        "No FAILURE alerts (alert_on_failure: false).".to_owned()
    });
    out.push(if p.alert_on_miss {
        "MISSED alert when the job goes DOWN.".to_owned()
    } else {
        "No MISSED alerts (alert_on_miss: false).".to_owned()
    });
    if let Some(r) = p.repeat_interval_seconds {
        out.push(format!(
            "Notified again every {} while an alert stays open.",
            seconds(r)
        ));
    }
    out
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn policy_reads_as_sentences() {
        let p = CheckPolicy {
            schedule: Some("30 2 * * *".into()),
            timezone: Some("Europe/Berlin".into()),
            max_runtime_seconds: Some(3600),
            failure_threshold: 3,
            alert_on_miss: false,
            ..CheckPolicy::default()
        };
        let words = policy_in_words(&p);
        assert_eq!(words[0], "Schedule: cron 30 2 * * * in Europe/Berlin.");
        assert_eq!(words[1], "Grace: 300 s (5 min) before a late job is DOWN.");
        assert!(words.contains(&"FAILURE alert after 3 failed runs in a row.".to_owned()));
        assert!(words.contains(&"No MISSED alerts (alert_on_miss: false).".to_owned()));
        assert!(words[2].starts_with("Max runtime: 3600 s (1 h)"));
        let every = CheckPolicy {
            schedule: Some("every 15m".into()),
            ..CheckPolicy::default()
        };
        assert_eq!(policy_in_words(&every)[0], "Schedule: every 15m.");
    }
}
