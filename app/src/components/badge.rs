//! State badges: a word and a symbol, never color alone.

use leptos::prelude::*;
use telltale_model::{AlertStatus, CheckState, JobHealth, RunSpan, RunStatus, WorkerStatus};

use crate::components::format::{duration, utc_time};

/// A job's check state, e.g. "✕ DOWN".
#[component]
pub fn CheckBadge(state: CheckState) -> impl IntoView {
    let (icon, class) = match state {
        CheckState::Down => ("✕", "badge state-down"),
        CheckState::Late => ("!", "badge state-late"),
        CheckState::Up => ("✓", "badge state-up"),
        CheckState::New => ("○", "badge state-new"),
        CheckState::Paused => ("‖", "badge state-paused"),
    };
    view! { <span class=class>{format!("{icon} {}", state.as_str())}</span> }
}

/// A job's health: "✗ FAILING" while its FAILURE alert is open, with the
/// check state beside it when that is an alarm of its own (DOWN, LATE), so
/// neither hides the other; otherwise the check state alone.
#[component]
pub fn HealthBadge(health: JobHealth, state: CheckState) -> impl IntoView {
    if health != JobHealth::Failing {
        return view! { <CheckBadge state /> }.into_any();
    }
    let beside = matches!(state, CheckState::Down | CheckState::Late)
        .then(|| view! { " " <CheckBadge state /> });
    view! {
        <span class="badge state-failing" data-health="FAILING">"✗ FAILING"</span>
        {beside}
    }
    .into_any()
}

/// A job's last runs, oldest first, one symbol each (colour second), each
/// saying its status, start and duration on hover and to screen readers.
#[component]
pub fn RunStrip(runs: Vec<RunSpan>) -> impl IntoView {
    let failed = runs
        .iter()
        .filter(|r| r.status == RunStatus::Failed)
        .count();
    let label = format!("last {} runs, {failed} failed", runs.len());
    view! {
        <span class="run-strip" role="img" aria-label=label>
            {runs
                .into_iter()
                .map(|r| {
                    let (icon, class) = match r.status {
                        RunStatus::Completed => ("✓", "run-ok"),
                        RunStatus::Failed => ("✗", "run-failed"),
                        RunStatus::Running => ("▶", "run-running"),
                        RunStatus::Queued => ("◌", "run-queued"),
                    };
                    let when = r
                        .started_at
                        .map(utc_time)
                        .unwrap_or_else(|| "start unknown".into());
                    let took = r.duration_seconds.map(duration).unwrap_or_else(|| "—".into());
                    let title = format!("{}: {when}, {took}", r.status.as_str());
                    view! { <span class=class title=title>{icon}</span> }
                })
                .collect_view()}
        </span>
    }
}

/// A worker's status, e.g. "✕ offline".
#[component]
pub fn WorkerBadge(status: WorkerStatus) -> impl IntoView {
    let (icon, class) = match status {
        WorkerStatus::Offline => ("✕", "badge worker-offline"),
        WorkerStatus::Busy => ("▶", "badge worker-busy"),
        WorkerStatus::Idle => ("○", "badge worker-idle"),
    };
    view! { <span class=class>{format!("{icon} {}", status.as_str())}</span> }
}

/// An alert's status, e.g. "● OPEN".
#[component]
pub fn AlertBadge(status: AlertStatus) -> impl IntoView {
    let (icon, class) = match status {
        AlertStatus::Open => ("●", "badge alert-open"),
        AlertStatus::Closed => ("○", "badge alert-closed"),
    };
    view! { <span class=class>{format!("{icon} {}", status.as_str())}</span> }
}

/// The row class that makes a broken job stand out: a failing job as a
/// DOWN one does.
pub fn health_row_class(health: JobHealth) -> &'static str {
    match health {
        JobHealth::Failing | JobHealth::Down => "row-down",
        JobHealth::Late => "row-late",
        _ => "",
    }
}
