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
use crate::metadata::{self, Read};
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
///
/// Derived times are the event's [`Event::judged_at`]: an `eventAt` more
/// than `skew` ahead of its receipt counts as received, so no date from a
/// producer can keep a job up or a worker online for ever.
pub fn apply(
    run: &mut Option<Run>,
    job: &mut Option<Job>,
    worker: &mut Option<Worker>,
    event: &Event,
    skew: chrono::Duration,
) -> Applied {
    let kind = EventKind::of(&event.event_type);
    let at = event.judged_at(skew);
    let run_outcome = next_run(run, kind, event, at);
    // A refused run transition must not count twice on the job either.
    let run_accepted = !matches!(run_outcome, RunOutcome::Rejected { .. });
    let written = match run_outcome {
        RunOutcome::Written => run.as_ref(),
        _ => None,
    };
    let job_written = match event.job_name.as_deref() {
        Some(name) => {
            let job = job.get_or_insert_with(|| Job::new(name, at));
            next_job(job, kind, run_accepted, written, event, at);
            true
        }
        None => false,
    };
    let worker_written = match event.worker_id.as_deref() {
        Some(id) => {
            let worker = worker.get_or_insert_with(|| Worker {
                worker_id: id.to_owned(),
                hostname: None,
                first_seen_at: at,
                last_event_at: at,
                last_heartbeat_at: None,
                current_run_id: None,
                interval_seconds: DEFAULT_HEARTBEAT_INTERVAL_SECONDS,
            });
            next_worker(worker, kind, event, at);
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

fn next_run(
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

    let meta = event.metadata.as_object();
    let run = current.get_or_insert_with(|| Run::first_seen(run_id, at));

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
    RunOutcome::Written
}

fn next_job(
    job: &mut Job,
    kind: EventKind,
    run_accepted: bool,
    run: Option<&Run>,
    event: &Event,
    at: DateTime<Utc>,
) {
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
                count_failure(job, at, reason, run);
            } else {
                job.last_success_at = Some(later(job.last_success_at, at));
                job.consecutive_failures = 0;
            }
        }
        EventKind::RunFailed if run_accepted => {
            let reason = run.and_then(|r| r.failure_reason.clone());
            count_failure(
                job,
                at,
                reason.unwrap_or_else(|| event.message.clone()),
                run,
            );
        }
        EventKind::NextScheduled => {
            let next = event
                .metadata
                .as_object()
                .and_then(|m| metadata::next_run_at(m, event.received_at).value());
            if let Some(next) = next {
                job.expected_next_at = Some(next);
            }
        }
        _ => {}
    }
}

/// One more failed run of `job`: the counters, when, why, and which run
/// (so an alert never names a run that did not fail).
fn count_failure(job: &mut Job, at: DateTime<Utc>, reason: String, run: Option<&Run>) {
    job.last_failure_at = Some(later(job.last_failure_at, at));
    job.consecutive_failures = job.consecutive_failures.saturating_add(1);
    job.failures_total = job.failures_total.saturating_add(1);
    job.last_failure_reason = Some(reason);
    job.last_failure_run_id = run.map(|r| r.run_id.clone());
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

/// The policy keys an event sets. A key whose value cannot be accepted
/// (ingest listed it in `warnings`) leaves its setting as it was.
fn apply_policy(policy: &mut CheckPolicy, meta: Option<&Map<String, Value>>) {
    let Some(meta) = meta else { return };
    for (key, slot) in [
        ("check_enabled", &mut policy.check_enabled),
        ("alert_on_failure", &mut policy.alert_on_failure),
        ("alert_on_miss", &mut policy.alert_on_miss),
    ] {
        if let Read::Value(v) = metadata::flag(meta, key) {
            *slot = v;
        }
    }
    if let Read::Value(v) = metadata::number(meta, "grace_seconds") {
        policy.grace_seconds = v;
    }
    if let Read::Value(v) = metadata::number(meta, "failure_threshold") {
        policy.failure_threshold = v;
    }
    // An explicit null clears an optional key; absence leaves it alone.
    for (key, slot) in [
        ("start_grace_seconds", &mut policy.start_grace_seconds),
        ("max_runtime_seconds", &mut policy.max_runtime_seconds),
        ("min_runtime_seconds", &mut policy.min_runtime_seconds),
        (
            "repeat_interval_seconds",
            &mut policy.repeat_interval_seconds,
        ),
    ] {
        match metadata::number(meta, key) {
            Read::Null => *slot = None,
            Read::Value(v) => *slot = Some(v),
            Read::Absent | Read::Bad(_) => {}
        }
    }
    // Producers often repeat their policy on every event: a schedule or
    // zone equal to the current one was checked when it was set, and is
    // not parsed again on the writer's thread.
    #[cfg(feature = "schedule")]
    let unchanged = |key: &str, current: &Option<String>| matches!(metadata::text(meta, key), Read::Value(v) if current.as_deref() == Some(v));
    #[cfg(feature = "schedule")]
    let (schedule, timezone) = (
        if unchanged("schedule", &policy.schedule) {
            Read::Absent
        } else {
            metadata::schedule(meta)
        },
        if unchanged("timezone", &policy.timezone) {
            Read::Absent
        } else {
            metadata::timezone(meta)
        },
    );
    #[cfg(not(feature = "schedule"))]
    let (schedule, timezone) = (
        metadata::text(meta, "schedule"),
        metadata::text(meta, "timezone"),
    );
    for (read, slot) in [
        (schedule, &mut policy.schedule),
        (timezone, &mut policy.timezone),
        (metadata::text(meta, "depends_on"), &mut policy.depends_on),
    ] {
        match read {
            Read::Null => *slot = None,
            Read::Value(v) => set_text(slot, v),
            Read::Absent | Read::Bad(_) => {}
        }
    }
}

fn next_worker(worker: &mut Worker, kind: EventKind, event: &Event, at: DateTime<Utc>) {
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
            if let Some(secs) = meta.and_then(|m| metadata::number(m, "interval_seconds").value()) {
                worker.interval_seconds = secs;
            }
        }
    }
}

fn later(current: Option<DateTime<Utc>>, at: DateTime<Utc>) -> DateTime<Utc> {
    current.map_or(at, |c| c.max(at))
}

#[cfg(test)]
mod tests;
