//! The one transition function: from the current state of a run, its job and
//! its worker, and one stored event, to their new state. Pure: no clock, no
//! I/O; the store calls it inside the transaction that stores the event.
//!
//! Both vocabularies of SPEC §3 are understood: Forge's (`job_created`,
//! `execution_started`, …) and Chief's (`job.started`, `job.failed`, …).

mod job;
mod policy;
mod run;
mod worker;

use chrono::{DateTime, Utc};

use crate::event::Event;
use crate::job::Job;
use crate::run::{Run, RunStatus};
use crate::worker::{DEFAULT_HEARTBEAT_INTERVAL_SECONDS, Worker};
use job::next_job;
pub(crate) use policy::set_policy;
use run::next_run;
use worker::next_worker;

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

fn later(current: Option<DateTime<Utc>>, at: DateTime<Utc>) -> DateTime<Utc> {
    current.map_or(at, |c| c.max(at))
}

#[cfg(test)]
mod tests;
