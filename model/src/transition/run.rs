//! A run's next state: the fields an event carries, and the status it
//! moves to. A terminal run refuses every change.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{EventKind, RunOutcome, set_text};
use crate::event::Event;
use crate::metadata;
use crate::run::{Run, RunStatus};

pub(super) fn next_run(
    current: &mut Option<Run>,
    kind: EventKind,
    event: &Event,
    at: DateTime<Utc>,
) -> RunOutcome {
    let Some(run_id) = event.run_id.as_deref() else {
        return RunOutcome::Untouched;
    };
    if !kind.touches_run() {
        return RunOutcome::Untouched;
    }
    if let Some(run) = current
        && run.status.is_terminal()
    {
        return RunOutcome::Rejected {
            status: run.status,
            reason: format!(
                "run {run_id} is {} (terminal); {} cannot change it",
                run.status.as_str(),
                event.event_type
            ),
        };
    }

    let run = current.get_or_insert_with(|| Run::first_seen(run_id, at));
    carry_fields(run, event, at);
    move_status(run, kind, event, at);
    RunOutcome::Written
}

/// The names and metadata the event carries, and the run's time span.
fn carry_fields(run: &mut Run, event: &Event, at: DateTime<Utc>) {
    let meta = event.metadata.as_object();
    if let Some(job) = &event.job_name {
        set_text(&mut run.job_name, job);
    }
    if let Some(worker) = &event.worker_id {
        set_text(&mut run.worker_id, worker);
    }
    // Forge's job-record fields may ride on any run event's metadata.
    let text = |key: &str| meta.and_then(|m| m.get(key)).and_then(Value::as_str);
    for (key, slot) in [
        ("job_type", &mut run.job_type),
        ("engine", &mut run.engine),
        ("burnin_preset_id", &mut run.burnin_preset_id),
        ("lut_id", &mut run.lut_id),
        ("verification_run_id", &mut run.verification_run_id),
        ("source_path", &mut run.source_path),
        ("output_path", &mut run.output_path),
    ] {
        if let Some(v) = text(key) {
            set_text(slot, v);
        }
    }
    if let (Some(merged), Some(new)) = (run.metadata.as_object_mut(), meta) {
        for (k, v) in new {
            merged.insert(k.clone(), v.clone());
        }
    }
    run.created_at = run.created_at.min(at);
    run.updated_at = run.updated_at.max(at);
}

/// The status the event moves the run to, with its progress, times and
/// failure reason.
fn move_status(run: &mut Run, kind: EventKind, event: &Event, at: DateTime<Utc>) {
    let meta = event.metadata.as_object();
    let text = |key: &str| meta.and_then(|m| m.get(key)).and_then(Value::as_str);
    match kind {
        // Never moves a run backwards: a late "queued" only fills fields.
        EventKind::RunStarted => {
            run.status = RunStatus::Running;
            run.start_time = Some(run.start_time.map_or(at, |s| s.min(at)));
        }
        EventKind::Progress => {
            if let Some(p) = meta.and_then(|m| metadata::percent(m, "progress").value()) {
                run.progress = Some(p);
            }
            if run.status == RunStatus::Queued {
                run.status = RunStatus::Running;
            }
        }
        EventKind::RunCompleted => {
            run.status = RunStatus::Completed;
            run.end_time = Some(at);
        }
        EventKind::RunFailed => {
            run.status = RunStatus::Failed;
            run.end_time = Some(at);
            // Verbatim: the producer's own words, never reworded or cut.
            run.failure_reason = Some(
                text("failure_reason")
                    .or_else(|| text("error"))
                    .unwrap_or(&event.message)
                    .to_owned(),
            );
        }
        _ => {}
    }
}
