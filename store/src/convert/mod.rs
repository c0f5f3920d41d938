//! Rows ⇄ model types. Reading a row that breaks the model (an unknown
//! status, a time out of range) is a `StoreError::Corrupt`, never a panic.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::{NotSet, Set};
use telltale_model::{
    CheckPolicy, CheckState, Event, Job, JobHealth, JobStatus, Level, Managed, RejectedTransition,
    Run, RunStatus, SourceType, Worker,
};

use crate::StoreError;
use crate::entity::{event, job, rejected_transition, run, worker};
use crate::time::{from_us, to_us};

struct Row {
    table: &'static str,
    id: String,
}

impl Row {
    fn corrupt(&self, problem: String) -> StoreError {
        StoreError::Corrupt {
            table: self.table,
            id: self.id.clone(),
            problem,
        }
    }

    fn time(&self, column: &str, us: i64) -> Result<DateTime<Utc>, StoreError> {
        from_us(us).ok_or_else(|| self.corrupt(format!("{column} {us} out of range")))
    }

    fn opt_time(&self, column: &str, us: Option<i64>) -> Result<Option<DateTime<Utc>>, StoreError> {
        us.map(|us| self.time(column, us)).transpose()
    }

    fn json(&self, text: &str) -> Result<serde_json::Value, StoreError> {
        serde_json::from_str(text).map_err(|e| self.corrupt(format!("metadata is not JSON: {e}")))
    }
}

/// The rows `convert` can read, each unreadable one logged and left out.
///
/// For the engine's reads: a damaged row (a time past the ends of the
/// calendar, a state no version writes) costs its own job, alert, worker or
/// window, not the whole tick. A failed tick is retried over every job, so
/// one such row anywhere failed every tick after it, and no alert opened
/// until someone mended it by hand.
pub(crate) fn readable<R, T>(
    rows: impl IntoIterator<Item = R>,
    convert: impl Fn(R) -> Result<T, StoreError>,
) -> Vec<T> {
    rows.into_iter()
        .filter_map(|row| {
            convert(row)
                .inspect_err(|e| tracing::error!(error = %e, "an unreadable row is left out"))
                .ok()
        })
        .collect()
}

pub fn event_from_row(row: event::Model) -> Result<Event, StoreError> {
    let r = Row {
        table: "events",
        id: row.id.to_string(),
    };
    Ok(Event {
        id: row.id,
        event_id: row.event_id,
        source_type: SourceType::parse(&row.source_type)
            .ok_or_else(|| r.corrupt(format!("unknown source_type {:?}", row.source_type)))?,
        level: Level::parse(&row.level)
            .ok_or_else(|| r.corrupt(format!("unknown level {:?}", row.level)))?,
        event_type: row.event_type,
        message: row.message,
        event_at: r.time("event_at_us", row.event_at_us)?,
        received_at: r.time("received_at_us", row.received_at_us)?,
        job_name: row.job_name,
        run_id: row.run_id,
        worker_id: row.worker_id,
        script_path: row.script_path,
        metadata: r.json(&row.metadata)?,
    })
}

pub fn run_from_row(row: run::Model) -> Result<Run, StoreError> {
    let r = Row {
        table: "runs",
        id: row.run_id.clone(),
    };
    Ok(Run {
        seq: row.seq,
        status: RunStatus::parse(&row.status)
            .ok_or_else(|| r.corrupt(format!("unknown status {:?}", row.status)))?,
        created_at: r.time("created_at_us", row.created_at_us)?,
        start_time: r.opt_time("start_time_us", row.start_time_us)?,
        end_time: r.opt_time("end_time_us", row.end_time_us)?,
        updated_at: r.time("updated_at_us", row.updated_at_us)?,
        metadata: r.json(&row.metadata)?,
        progress: row.progress.map(|p| p.clamp(0, 100) as u8),
        run_id: row.run_id,
        job_name: row.job_name,
        job_type: row.job_type,
        engine: row.engine,
        failure_reason: row.failure_reason,
        burnin_preset_id: row.burnin_preset_id,
        lut_id: row.lut_id,
        worker_id: row.worker_id,
        verification_run_id: row.verification_run_id,
        source_path: row.source_path,
        output_path: row.output_path,
    })
}

/// The row for `run`; `seq` is left to the database for a new run.
pub fn run_to_row(run: &Run) -> run::ActiveModel {
    run::ActiveModel {
        seq: if run.seq == 0 { NotSet } else { Set(run.seq) },
        run_id: Set(run.run_id.clone()),
        job_name: Set(run.job_name.clone()),
        job_type: Set(run.job_type.clone()),
        engine: Set(run.engine.clone()),
        status: Set(run.status.as_str().to_owned()),
        created_at_us: Set(to_us(run.created_at)),
        start_time_us: Set(run.start_time.map(to_us)),
        end_time_us: Set(run.end_time.map(to_us)),
        failure_reason: Set(run.failure_reason.clone()),
        burnin_preset_id: Set(run.burnin_preset_id.clone()),
        lut_id: Set(run.lut_id.clone()),
        worker_id: Set(run.worker_id.clone()),
        verification_run_id: Set(run.verification_run_id.clone()),
        source_path: Set(run.source_path.clone()),
        output_path: Set(run.output_path.clone()),
        progress: Set(run.progress.map(i16::from)),
        updated_at_us: Set(to_us(run.updated_at)),
        metadata: Set(run.metadata.to_string()),
    }
}

pub fn job_from_row(row: job::Model) -> Result<Job, StoreError> {
    let r = Row {
        table: "jobs",
        id: row.name.clone(),
    };
    Ok(Job {
        first_seen_at: r.time("first_seen_at_us", row.first_seen_at_us)?,
        last_event_at: r.time("last_event_at_us", row.last_event_at_us)?,
        last_heartbeat_at: r.opt_time("last_heartbeat_at_us", row.last_heartbeat_at_us)?,
        last_success_at: r.opt_time("last_success_at_us", row.last_success_at_us)?,
        last_failure_at: r.opt_time("last_failure_at_us", row.last_failure_at_us)?,
        expected_next_at: r.opt_time("expected_next_at_us", row.expected_next_at_us)?,
        consecutive_failures: u32::try_from(row.consecutive_failures).unwrap_or(0),
        failures_total: u64::try_from(row.failures_total).unwrap_or(0),
        last_failure_reason: row.last_failure_reason,
        last_failure_run_id: row.last_failure_run_id,
        name: row.name,
        last_run_id: row.last_run_id,
        policy: CheckPolicy {
            check_enabled: row.check_enabled,
            grace_seconds: u32::try_from(row.grace_seconds).unwrap_or(0),
            alert_on_failure: row.alert_on_failure,
            alert_on_miss: row.alert_on_miss,
            schedule: row.schedule,
            timezone: row.timezone,
            start_grace_seconds: from_secs(row.start_grace_seconds),
            max_runtime_seconds: from_secs(row.max_runtime_seconds),
            min_runtime_seconds: from_secs(row.min_runtime_seconds),
            failure_threshold: u32::try_from(row.failure_threshold).unwrap_or(1).max(1),
            repeat_interval_seconds: from_secs(row.repeat_interval_seconds),
            depends_on: row.depends_on,
        },
        managed: Managed {
            operator_keys: split_list(&row.operator_keys),
            retired_at: r.opt_time("retired_at_us", row.retired_at_us)?,
            description: row.description,
            tags: split_list(&row.tags),
            channels: split_list(&row.channels),
        },
    })
}

/// A comma-separated column (policy keys, tags, channel names: none has
/// commas).
pub fn split_list(text: &str) -> Vec<String> {
    text.split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `failing`: the job's FAILURE alert is open (a fact of the alerts
/// table, not of the row).
pub fn job_status_from_row(row: job::Model, failing: bool) -> Result<JobStatus, StoreError> {
    let r = Row {
        table: "jobs",
        id: row.name.clone(),
    };
    let check_state = CheckState::parse(&row.check_state).unwrap_or(CheckState::New);
    Ok(JobStatus {
        check_state,
        health: JobHealth::of(check_state, failing),
        check_state_since: r.opt_time("check_state_since_us", row.check_state_since_us)?,
        expected_at: r.opt_time("check_expected_at_us", row.check_expected_at_us)?,
        public_badge: row.public_badge,
        job: job_from_row(row)?,
    })
}

pub fn job_to_row(job: &Job) -> job::ActiveModel {
    job::ActiveModel {
        name: Set(job.name.clone()),
        first_seen_at_us: Set(to_us(job.first_seen_at)),
        last_event_at_us: Set(to_us(job.last_event_at)),
        last_heartbeat_at_us: Set(job.last_heartbeat_at.map(to_us)),
        last_run_id: Set(job.last_run_id.clone()),
        last_success_at_us: Set(job.last_success_at.map(to_us)),
        last_failure_at_us: Set(job.last_failure_at.map(to_us)),
        consecutive_failures: Set(i32::try_from(job.consecutive_failures).unwrap_or(i32::MAX)),
        expected_next_at_us: Set(job.expected_next_at.map(to_us)),
        check_enabled: Set(job.policy.check_enabled),
        grace_seconds: Set(i32::try_from(job.policy.grace_seconds).unwrap_or(i32::MAX)),
        alert_on_failure: Set(job.policy.alert_on_failure),
        alert_on_miss: Set(job.policy.alert_on_miss),
        schedule: Set(job.policy.schedule.clone()),
        timezone: Set(job.policy.timezone.clone()),
        start_grace_seconds: Set(to_secs(job.policy.start_grace_seconds)),
        max_runtime_seconds: Set(to_secs(job.policy.max_runtime_seconds)),
        min_runtime_seconds: Set(to_secs(job.policy.min_runtime_seconds)),
        failure_threshold: Set(i32::try_from(job.policy.failure_threshold).unwrap_or(i32::MAX)),
        repeat_interval_seconds: Set(to_secs(job.policy.repeat_interval_seconds)),
        depends_on: Set(job.policy.depends_on.clone()),
        last_failure_reason: Set(job.last_failure_reason.clone()),
        failures_total: Set(i64::try_from(job.failures_total).unwrap_or(i64::MAX)),
        last_failure_run_id: Set(job.last_failure_run_id.clone()),
        // Closing by hand and the engine own these.
        failure_ack: NotSet,
        miss_ack: NotSet,
        check_state: NotSet,
        check_state_since_us: NotSet,
        check_deadline_us: NotSet,
        check_expected_at_us: NotSet,
        // The operator's; an upsert from ingest must not reset them.
        public_badge: NotSet,
        operator_keys: NotSet,
        retired_at_us: NotSet,
        description: NotSet,
        tags: NotSet,
        channels: NotSet,
    }
}

/// Seconds are u32 in the model and a signed INTEGER column in both
/// databases; values past i32 saturate (68 years is "never" here).
pub fn to_secs(v: Option<u32>) -> Option<i32> {
    v.map(|s| i32::try_from(s).unwrap_or(i32::MAX))
}

pub fn from_secs(v: Option<i32>) -> Option<u32> {
    v.and_then(|s| u32::try_from(s).ok())
}

pub fn worker_from_row(row: worker::Model) -> Result<Worker, StoreError> {
    let r = Row {
        table: "workers",
        id: row.worker_id.clone(),
    };
    Ok(Worker {
        first_seen_at: r.time("first_seen_at_us", row.first_seen_at_us)?,
        last_event_at: r.time("last_event_at_us", row.last_event_at_us)?,
        last_heartbeat_at: r.opt_time("last_heartbeat_at_us", row.last_heartbeat_at_us)?,
        interval_seconds: u32::try_from(row.interval_seconds).unwrap_or(1).max(1),
        worker_id: row.worker_id,
        hostname: row.hostname,
        current_run_id: row.current_run_id,
    })
}

pub fn worker_to_row(worker: &Worker) -> worker::ActiveModel {
    worker::ActiveModel {
        worker_id: Set(worker.worker_id.clone()),
        hostname: Set(worker.hostname.clone()),
        first_seen_at_us: Set(to_us(worker.first_seen_at)),
        last_event_at_us: Set(to_us(worker.last_event_at)),
        last_heartbeat_at_us: Set(worker.last_heartbeat_at.map(to_us)),
        current_run_id: Set(worker.current_run_id.clone()),
        interval_seconds: Set(i32::try_from(worker.interval_seconds).unwrap_or(i32::MAX)),
        offline_ack_beat_us: NotSet,
    }
}

pub fn rejected_from_row(
    row: rejected_transition::Model,
) -> Result<RejectedTransition, StoreError> {
    let r = Row {
        table: "rejected_transitions",
        id: row.id.to_string(),
    };
    Ok(RejectedTransition {
        event: row.event_row_id,
        run_status: RunStatus::parse(&row.run_status)
            .ok_or_else(|| r.corrupt(format!("unknown run_status {:?}", row.run_status)))?,
        at: r.time("at_us", row.at_us)?,
        run_id: row.run_id,
        event_type: row.event_type,
        reason: row.reason,
    })
}

pub fn rejected_to_row(rejected: &RejectedTransition) -> rejected_transition::ActiveModel {
    rejected_transition::ActiveModel {
        id: NotSet,
        event_row_id: Set(rejected.event),
        run_id: Set(rejected.run_id.clone()),
        event_type: Set(rejected.event_type.clone()),
        run_status: Set(rejected.run_status.as_str().to_owned()),
        reason: Set(rejected.reason.clone()),
        at_us: Set(to_us(rejected.at)),
    }
}

mod alerts;

pub use alerts::{alert_from_row, delivery_from_row, transition_from_row, webhook_from_row};
