//! State badges: a word and a symbol, never color alone.

use leptos::prelude::*;
use telltale_model::{AlertStatus, CheckState, WorkerStatus};

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

/// The row class that makes broken things stand out.
pub fn check_row_class(state: CheckState) -> &'static str {
    match state {
        CheckState::Down => "row-down",
        CheckState::Late => "row-late",
        _ => "",
    }
}
