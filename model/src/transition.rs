//! The one transition function: from the current state of a run, its job and
//! its worker, and one stored event, to their new state. Pure: no clock, no
//! I/O; the store calls it inside the transaction that stores the event.
//!
//! Both vocabularies of SPEC §3 are understood: Forge's (`job_created`,
//! `execution_started`, …) and Chief's (`job.started`, `job.failed`, …).

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::event::Event;
use crate::job::{CheckPolicy, Job};
use crate::run::{Run, RunStatus};
use crate::worker::{DEFAULT_HEARTBEAT_INTERVAL_SECONDS, Worker};

/// What an event type means for derived state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    RunQueued,
    EngineSelected,
    RunStarted,
    Progress,
    RunCompleted,
    RunFailed,
    NextScheduled,
    WorkerHeartbeat,
    SchedulerHeartbeat,
    /// Stored and shown on the timeline; changes nothing.
    Other,
}

impl EventKind {
    pub fn of(event_type: &str) -> Self {
        match event_type {
            "job_created" | "job.queued" => Self::RunQueued,
            "engine_selected" => Self::EngineSelected,
            "execution_started" | "job.started" => Self::RunStarted,
            "progress_update" => Self::Progress,
            "execution_completed" | "job.completed" => Self::RunCompleted,
            "execution_failed" | "job.failed" => Self::RunFailed,
            "job.next_scheduled" => Self::NextScheduled,
            "worker.heartbeat" => Self::WorkerHeartbeat,
            "chief.heartbeat" => Self::SchedulerHeartbeat,
            _ => Self::Other,
        }
    }

    /// Kinds that create or change a run.
    pub fn touches_run(self) -> bool {
        matches!(
            self,
            Self::RunQueued
                | Self::EngineSelected
                | Self::RunStarted
                | Self::Progress
                | Self::RunCompleted
                | Self::RunFailed
        )
    }
}

/// What happens to the event's run.
#[derive(Debug, Clone, PartialEq)]
pub enum RunChange {
    /// The event says nothing about a run.
    None,
    /// The run as it should now be stored (new or changed).
    Write(Box<Run>),
    /// The run is terminal; the event's transition is refused (and logged).
    Rejected { status: RunStatus, reason: String },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    pub run: RunChange,
    /// The job as it should now be stored, when the event names one.
    pub job: Option<Job>,
    /// The worker as it should now be stored, when the event names one.
    pub worker: Option<Worker>,
}

pub fn transition(
    run: Option<&Run>,
    job: Option<&Job>,
    worker: Option<&Worker>,
    event: &Event,
) -> Transition {
    let (mut run, mut job, mut worker) = (run.cloned(), job.cloned(), worker.cloned());
    let applied = apply(&mut run, &mut job, &mut worker, event);
    Transition {
        run: match applied.run {
            RunOutcome::Untouched => RunChange::None,
            RunOutcome::Rejected { status, reason } => RunChange::Rejected { status, reason },
            RunOutcome::Written => match run {
                Some(run) => RunChange::Write(Box::new(run)),
                None => RunChange::None,
            },
        },
        job: job.filter(|_| applied.job_written),
        worker: worker.filter(|_| applied.worker_written),
    }
}

/// What `apply` did to the event's run.
#[derive(Debug, Clone, PartialEq)]
pub enum RunOutcome {
    /// The event says nothing about a run: it is as it was.
    Untouched,
    /// The run (new or changed) is to be stored.
    Written,
    /// The run is terminal; the event's transition is refused (and logged),
    /// and the run is as it was.
    Rejected { status: RunStatus, reason: String },
}

/// What `apply` changed, besides the run.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    pub run: RunOutcome,
    /// The job (created when missing) is to be stored.
    pub job_written: bool,
    /// The worker (created when missing) is to be stored.
    pub worker_written: bool,
}

/// `transition` done in place, for the store's fold: the state the event
/// names is changed where it lies instead of copied whole for every event
/// (copying each run, job and worker, metadata maps included, and dropping
/// the old ones, showed at several percent of the SQLite writer's thread in
/// perf). A subject that is `None` and that the
/// event creates becomes `Some`.
pub fn apply(
    run: &mut Option<Run>,
    job: &mut Option<Job>,
    worker: &mut Option<Worker>,
    event: &Event,
) -> Applied {
    let kind = EventKind::of(&event.event_type);
    let run_outcome = next_run(run, kind, event);
    // A refused run transition must not count twice on the job either.
    let run_accepted = !matches!(run_outcome, RunOutcome::Rejected { .. });
    let written = match run_outcome {
        RunOutcome::Written => run.as_ref(),
        _ => None,
    };
    let job_written = match event.job_name.as_deref() {
        Some(name) => {
            let job = job.get_or_insert_with(|| Job::new(name, event.event_at));
            next_job(job, kind, run_accepted, written, event);
            true
        }
        None => false,
    };
    let worker_written = match event.worker_id.as_deref() {
        Some(id) => {
            let worker = worker.get_or_insert_with(|| Worker {
                worker_id: id.to_owned(),
                hostname: None,
                first_seen_at: event.event_at,
                last_event_at: event.event_at,
                last_heartbeat_at: None,
                current_run_id: None,
                interval_seconds: DEFAULT_HEARTBEAT_INTERVAL_SECONDS,
            });
            next_worker(worker, kind, event);
            true
        }
        None => false,
    };
    Applied {
        run: run_outcome,
        job_written,
        worker_written,
    }
}

/// Sets `slot` to `value` unless it already holds it (no allocation then).
fn set_text(slot: &mut Option<String>, value: &str) {
    if slot.as_deref() != Some(value) {
        *slot = Some(value.to_owned());
    }
}

fn next_run(current: &mut Option<Run>, kind: EventKind, event: &Event) -> RunOutcome {
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

    let meta = event.metadata.as_object();
    let run = current.get_or_insert_with(|| Run::first_seen(run_id, event.event_at));

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
    run.created_at = run.created_at.min(event.event_at);
    run.updated_at = run.updated_at.max(event.event_at);

    match kind {
        // Never moves a run backwards: a late "queued" only fills fields.
        EventKind::RunStarted => {
            run.status = RunStatus::Running;
            run.start_time = Some(
                run.start_time
                    .map_or(event.event_at, |s| s.min(event.event_at)),
            );
        }
        EventKind::Progress => {
            if let Some(p) = meta.and_then(|m| m.get("progress")).and_then(Value::as_f64) {
                run.progress = Some(p.clamp(0.0, 100.0).round() as u8);
            }
            if run.status == RunStatus::Queued {
                run.status = RunStatus::Running;
            }
        }
        EventKind::RunCompleted => {
            run.status = RunStatus::Completed;
            run.end_time = Some(event.event_at);
        }
        EventKind::RunFailed => {
            run.status = RunStatus::Failed;
            run.end_time = Some(event.event_at);
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
    RunOutcome::Written
}

fn next_job(job: &mut Job, kind: EventKind, run_accepted: bool, run: Option<&Run>, event: &Event) {
    let at = event.event_at;
    job.first_seen_at = job.first_seen_at.min(at);
    job.last_event_at = job.last_event_at.max(at);
    apply_policy(&mut job.policy, event.metadata.as_object());

    if kind.touches_run()
        && run_accepted
        && let Some(run_id) = &event.run_id
    {
        set_text(&mut job.last_run_id, run_id);
    }
    match kind {
        EventKind::RunStarted if run_accepted => {
            job.last_heartbeat_at = Some(later(job.last_heartbeat_at, at));
        }
        EventKind::RunCompleted if run_accepted => {
            job.last_heartbeat_at = Some(later(job.last_heartbeat_at, at));
            if let Some(reason) = too_fast(&job.policy, run) {
                // The producer said it completed; the policy says a run this
                // short cannot have done its work. The run keeps its status,
                // the job counts a failure.
                job.last_failure_at = Some(later(job.last_failure_at, at));
                job.consecutive_failures = job.consecutive_failures.saturating_add(1);
                job.last_failure_reason = Some(reason);
            } else {
                job.last_success_at = Some(later(job.last_success_at, at));
                job.consecutive_failures = 0;
            }
        }
        EventKind::RunFailed if run_accepted => {
            job.last_failure_at = Some(later(job.last_failure_at, at));
            job.consecutive_failures = job.consecutive_failures.saturating_add(1);
            job.last_failure_reason = run.and_then(|r| r.failure_reason.clone());
        }
        EventKind::NextScheduled => {
            let next = event
                .metadata
                .get("next_run_at")
                .and_then(Value::as_str)
                .and_then(|s| DateTime::parse_from_rfc3339(s).ok());
            if let Some(next) = next {
                job.expected_next_at = Some(next.with_timezone(&Utc));
            }
        }
        _ => {}
    }
}

/// `too_fast: …` when a completed run was shorter than `min_runtime_seconds`.
fn too_fast(policy: &CheckPolicy, run: Option<&Run>) -> Option<String> {
    let min = policy.min_runtime_seconds?;
    let run = run?;
    let took = run.end_time? - run.start_time?;
    (took < chrono::Duration::seconds(i64::from(min))).then(|| {
        format!(
            "too_fast: run {} completed in {}s; min_runtime_seconds is {min}",
            run.run_id,
            took.num_seconds()
        )
    })
}

fn apply_policy(policy: &mut CheckPolicy, meta: Option<&Map<String, Value>>) {
    let Some(meta) = meta else { return };
    let flag = |key: &str| meta.get(key).and_then(Value::as_bool);
    if let Some(v) = flag("check_enabled") {
        policy.check_enabled = v;
    }
    if let Some(v) = flag("alert_on_failure") {
        policy.alert_on_failure = v;
    }
    if let Some(v) = flag("alert_on_miss") {
        policy.alert_on_miss = v;
    }
    let seconds = |key: &str| {
        meta.get(key)
            .and_then(Value::as_u64)
            .map(|v| u32::try_from(v).unwrap_or(u32::MAX))
    };
    if let Some(v) = seconds("grace_seconds") {
        policy.grace_seconds = v;
    }
    // An explicit null clears an optional key; absence leaves it alone.
    let optional = |key: &str, slot: &mut Option<u32>| match meta.get(key) {
        Some(Value::Null) => *slot = None,
        Some(_) => {
            if let Some(v) = seconds(key) {
                *slot = Some(v);
            }
        }
        None => {}
    };
    optional("start_grace_seconds", &mut policy.start_grace_seconds);
    optional("max_runtime_seconds", &mut policy.max_runtime_seconds);
    optional("min_runtime_seconds", &mut policy.min_runtime_seconds);
    optional(
        "repeat_interval_seconds",
        &mut policy.repeat_interval_seconds,
    );
    if let Some(v) = seconds("failure_threshold") {
        policy.failure_threshold = v.max(1);
    }
    let text = |key: &str, slot: &mut Option<String>| match meta.get(key) {
        Some(Value::Null) => *slot = None,
        Some(Value::String(v)) => *slot = Some(v.clone()),
        _ => {}
    };
    text("schedule", &mut policy.schedule);
    text("timezone", &mut policy.timezone);
    text("depends_on", &mut policy.depends_on);
}

fn next_worker(worker: &mut Worker, kind: EventKind, event: &Event) {
    let at = event.event_at;
    worker.first_seen_at = worker.first_seen_at.min(at);
    worker.last_event_at = worker.last_event_at.max(at);
    if kind == EventKind::WorkerHeartbeat {
        // Only a heartbeat at least as new as the last one speaks for now;
        // a late, older one must not overwrite the current run.
        let newest = worker.last_heartbeat_at.is_none_or(|last| at >= last);
        if newest {
            worker.last_heartbeat_at = Some(at);
            let meta = event.metadata.as_object();
            let text = |key: &str| meta.and_then(|m| m.get(key)).and_then(Value::as_str);
            if let Some(host) = text("hostname") {
                worker.hostname = Some(host.to_owned());
            }
            worker.current_run_id = text("current_run_id")
                .or_else(|| text("current_job_id"))
                .map(str::to_owned)
                .or_else(|| event.run_id.clone());
            if let Some(secs) = meta
                .and_then(|m| m.get("interval_seconds"))
                .and_then(Value::as_u64)
                && secs > 0
            {
                worker.interval_seconds = u32::try_from(secs).unwrap_or(u32::MAX);
            }
        }
    }
}

fn later(current: Option<DateTime<Utc>>, at: DateTime<Utc>) -> DateTime<Utc> {
    current.map_or(at, |c| c.max(at))
}

#[cfg(test)]
mod tests;
