//! The runs, jobs and workers a group names: read into the shared fold's
//! [`State`] and written back, one upsert per changed row. The column lists
//! and the parameter lists below are aligned by position.

use rusqlite::{OptionalExtension, Row, params, params_from_iter};
use telltale_model::{Event, Job, Run, Worker};

use crate::StoreError;
use crate::convert::{job_from_row, readable, run_from_row, to_secs, worker_from_row};
use crate::entity::{job, run, worker};
use crate::ingest::fold::{Keys, State};
use crate::time::to_us;

const RUN_COLUMNS: &str = "seq, run_id, job_name, job_type, engine, status, created_at_us, \
    start_time_us, end_time_us, failure_reason, burnin_preset_id, lut_id, worker_id, \
    verification_run_id, source_path, output_path, progress, updated_at_us, metadata";

fn run_model(r: &Row<'_>) -> rusqlite::Result<run::Model> {
    Ok(run::Model {
        seq: r.get(0)?,
        run_id: r.get(1)?,
        job_name: r.get(2)?,
        job_type: r.get(3)?,
        engine: r.get(4)?,
        status: r.get(5)?,
        created_at_us: r.get(6)?,
        start_time_us: r.get(7)?,
        end_time_us: r.get(8)?,
        failure_reason: r.get(9)?,
        burnin_preset_id: r.get(10)?,
        lut_id: r.get(11)?,
        worker_id: r.get(12)?,
        verification_run_id: r.get(13)?,
        source_path: r.get(14)?,
        output_path: r.get(15)?,
        progress: r.get(16)?,
        updated_at_us: r.get(17)?,
        metadata: r.get(18)?,
    })
}

const JOB_COLUMNS: &str = "name, first_seen_at_us, last_event_at_us, last_heartbeat_at_us, \
    last_run_id, last_success_at_us, last_failure_at_us, consecutive_failures, \
    expected_next_at_us, check_enabled, grace_seconds, alert_on_failure, alert_on_miss, \
    schedule, timezone, start_grace_seconds, max_runtime_seconds, min_runtime_seconds, \
    failure_threshold, repeat_interval_seconds, depends_on, last_failure_reason, \
    failures_total, last_failure_run_id";

fn job_model(r: &Row<'_>) -> rusqlite::Result<job::Model> {
    Ok(job::Model {
        name: r.get(0)?,
        first_seen_at_us: r.get(1)?,
        last_event_at_us: r.get(2)?,
        last_heartbeat_at_us: r.get(3)?,
        last_run_id: r.get(4)?,
        last_success_at_us: r.get(5)?,
        last_failure_at_us: r.get(6)?,
        consecutive_failures: r.get(7)?,
        expected_next_at_us: r.get(8)?,
        check_enabled: r.get(9)?,
        grace_seconds: r.get(10)?,
        alert_on_failure: r.get(11)?,
        alert_on_miss: r.get(12)?,
        schedule: r.get(13)?,
        timezone: r.get(14)?,
        start_grace_seconds: r.get(15)?,
        max_runtime_seconds: r.get(16)?,
        min_runtime_seconds: r.get(17)?,
        failure_threshold: r.get(18)?,
        repeat_interval_seconds: r.get(19)?,
        depends_on: r.get(20)?,
        last_failure_reason: r.get(21)?,
        failures_total: r.get(22)?,
        last_failure_run_id: r.get(23)?,
        // Not selected: the engine and closing by hand own them.
        failure_ack: 0,
        miss_ack: false,
        // Not selected: the engine owns them and ingest does not read them.
        check_state: String::new(),
        check_state_since_us: None,
        check_deadline_us: None,
        check_expected_at_us: None,
        // Not selected either: an operator's choice, never written here.
        public_badge: false,
    })
}

const WORKER_COLUMNS: &str = "worker_id, hostname, first_seen_at_us, last_event_at_us, \
    last_heartbeat_at_us, current_run_id, interval_seconds";

fn worker_model(r: &Row<'_>) -> rusqlite::Result<worker::Model> {
    Ok(worker::Model {
        worker_id: r.get(0)?,
        hostname: r.get(1)?,
        first_seen_at_us: r.get(2)?,
        last_event_at_us: r.get(3)?,
        last_heartbeat_at_us: r.get(4)?,
        current_run_id: r.get(5)?,
        interval_seconds: r.get(6)?,
        // Not selected: closing by hand owns it.
        offline_ack_beat_us: None,
    })
}

/// As `ingest::load_state`: a row that cannot be read is started afresh.
pub(super) fn load_state(
    tx: &rusqlite::Transaction<'_>,
    events: &[Event],
) -> Result<State, StoreError> {
    let keys = Keys::of(events);
    let mut state = State::default();
    let mut q = tx.prepare_cached(&format!("SELECT {RUN_COLUMNS} FROM runs WHERE run_id = ?1"))?;
    for id in &keys.run_ids {
        let row = q.query_row([id], run_model).optional()?;
        if let Some(run) = readable(row, run_from_row).pop() {
            state.runs.insert(id.clone(), run);
        }
    }
    let mut q = tx.prepare_cached(&format!("SELECT {JOB_COLUMNS} FROM jobs WHERE name = ?1"))?;
    for name in &keys.job_names {
        let row = q.query_row([name], job_model).optional()?;
        if let Some(job) = readable(row, job_from_row).pop() {
            state.jobs.insert(name.clone(), job);
        }
    }
    let mut q = tx.prepare_cached(&format!(
        "SELECT {WORKER_COLUMNS} FROM workers WHERE worker_id = ?1"
    ))?;
    for id in &keys.worker_ids {
        let row = q.query_row([id], worker_model).optional()?;
        if let Some(worker) = readable(row, worker_from_row).pop() {
            state.workers.insert(id.clone(), worker);
        }
    }
    Ok(state)
}

/// `INSERT … ON CONFLICT(key) DO UPDATE SET` every column but the key (and
/// a run's `seq`). The schema's trigger refuses any update of a terminal run.
fn upsert_sql(table: &str, columns: &str, key: &str, skip: &[&str]) -> String {
    let cols: Vec<&str> = columns
        .split(',')
        .map(str::trim)
        .filter(|c| !skip.contains(c))
        .collect();
    let placeholders: Vec<String> = (1..=cols.len()).map(|i| format!("?{i}")).collect();
    let updates: Vec<String> = cols
        .iter()
        .filter(|c| **c != key)
        .map(|c| format!("{c} = excluded.{c}"))
        .collect();
    format!(
        "INSERT INTO {table} ({}) VALUES ({}) ON CONFLICT({key}) DO UPDATE SET {}",
        cols.join(", "),
        placeholders.join(", "),
        updates.join(", ")
    )
}

pub(super) fn write_state(tx: &rusqlite::Transaction<'_>, state: &State) -> Result<(), StoreError> {
    let mut upsert = tx.prepare_cached(&upsert_sql("runs", RUN_COLUMNS, "run_id", &["seq"]))?;
    for r in state.changed_runs() {
        upsert.execute(params_from_iter(run_params(r).iter()))?;
    }
    let mut upsert = tx.prepare_cached(&upsert_sql("jobs", JOB_COLUMNS, "name", &[]))?;
    for j in state.changed_jobs() {
        upsert.execute(params_from_iter(job_params(j).iter()))?;
    }
    let mut upsert = tx.prepare_cached(&upsert_sql("workers", WORKER_COLUMNS, "worker_id", &[]))?;
    for w in state.changed_workers() {
        upsert.execute(params_from_iter(worker_params(w).iter()))?;
    }
    let mut insert = tx.prepare_cached(
        "INSERT INTO rejected_transitions (event_row_id, run_id, event_type, run_status, reason, at_us) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for r in &state.rejected {
        insert.execute(params![
            r.event,
            r.run_id,
            r.event_type,
            r.run_status.as_str(),
            r.reason,
            to_us(r.at)
        ])?;
    }
    Ok(())
}

type Params = Vec<Box<dyn rusqlite::ToSql>>;

/// These columns are INTEGERs that the read side takes as `i32` (as the
/// PostgreSQL path writes them): a larger value would make the row
/// unreadable for every later ingest and tick. Saturate, as `convert` does.
fn to_i32(v: u32) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

fn run_params(r: &Run) -> Params {
    vec![
        Box::new(r.run_id.clone()),
        Box::new(r.job_name.clone()),
        Box::new(r.job_type.clone()),
        Box::new(r.engine.clone()),
        Box::new(r.status.as_str()),
        Box::new(to_us(r.created_at)),
        Box::new(r.start_time.map(to_us)),
        Box::new(r.end_time.map(to_us)),
        Box::new(r.failure_reason.clone()),
        Box::new(r.burnin_preset_id.clone()),
        Box::new(r.lut_id.clone()),
        Box::new(r.worker_id.clone()),
        Box::new(r.verification_run_id.clone()),
        Box::new(r.source_path.clone()),
        Box::new(r.output_path.clone()),
        Box::new(r.progress.map(i16::from)),
        Box::new(to_us(r.updated_at)),
        Box::new(r.metadata.to_string()),
    ]
}

fn job_params(j: &Job) -> Params {
    vec![
        Box::new(j.name.clone()),
        Box::new(to_us(j.first_seen_at)),
        Box::new(to_us(j.last_event_at)),
        Box::new(j.last_heartbeat_at.map(to_us)),
        Box::new(j.last_run_id.clone()),
        Box::new(j.last_success_at.map(to_us)),
        Box::new(j.last_failure_at.map(to_us)),
        Box::new(to_i32(j.consecutive_failures)),
        Box::new(j.expected_next_at.map(to_us)),
        Box::new(j.policy.check_enabled),
        Box::new(to_i32(j.policy.grace_seconds)),
        Box::new(j.policy.alert_on_failure),
        Box::new(j.policy.alert_on_miss),
        Box::new(j.policy.schedule.clone()),
        Box::new(j.policy.timezone.clone()),
        Box::new(to_secs(j.policy.start_grace_seconds)),
        Box::new(to_secs(j.policy.max_runtime_seconds)),
        Box::new(to_secs(j.policy.min_runtime_seconds)),
        Box::new(to_i32(j.policy.failure_threshold)),
        Box::new(to_secs(j.policy.repeat_interval_seconds)),
        Box::new(j.policy.depends_on.clone()),
        Box::new(j.last_failure_reason.clone()),
        Box::new(i64::try_from(j.failures_total).unwrap_or(i64::MAX)),
        Box::new(j.last_failure_run_id.clone()),
    ]
}

fn worker_params(w: &Worker) -> Params {
    vec![
        Box::new(w.worker_id.clone()),
        Box::new(w.hostname.clone()),
        Box::new(to_us(w.first_seen_at)),
        Box::new(to_us(w.last_event_at)),
        Box::new(w.last_heartbeat_at.map(to_us)),
        Box::new(w.current_run_id.clone()),
        Box::new(to_i32(w.interval_seconds)),
    ]
}
