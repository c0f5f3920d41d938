//! The SQLite write path: one dedicated connection on its own thread,
//! prepared statements.
//!
//! sea-orm/sqlx hand every statement and row to a worker thread through a
//! channel; for ingest that overhead, not SQLite, was the limit (~25k
//! events/s in 1,000-event groups). Writes on SQLite go through this plain
//! connection instead — SQLite allows one writer at a time anyway — while
//! reads and PostgreSQL keep using sea-orm. The derivation of state is the
//! shared `fold`; only the I/O differs.

use std::path::Path;
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params, params_from_iter};
use telltale_model::{Event, Job, NewEvent, Run, Worker};

use crate::checkpoint::{Checkpointer, WRITER_AUTOCHECKPOINT_PAGES};
use crate::convert::{job_from_row, run_from_row, to_secs, worker_from_row};
use crate::entity::{job, run, worker};
use crate::fold::{Keys, State, stored_events};
use crate::time::to_us;
use crate::{EventOutcome, StoreError};

/// Page cache of the writer: index pages of a large log stay in memory.
/// 16 MiB holds the hot index pages as well as 32 did: `make bench` on 2
/// cores (2026-11-26, three runs each) ingested as fast (batches of 1,000:
/// 60–67k vs 52–56k events/s; seeding 98–111k vs 100–109k) and peaked at
/// 194–213 MiB RSS instead of 205–227.
const WRITER_CACHE_KIB: i64 = 16 * 1024;

#[derive(Clone)]
pub struct SqliteWriter {
    thread: Arc<WriterThread>,
    /// Checkpoints the WAL beside this connection while any clone lives.
    _checkpointer: Arc<Checkpointer>,
}

impl std::fmt::Debug for SqliteWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SqliteWriter")
    }
}

/// One group of events to store, and where its outcome goes.
struct Group {
    events: Arc<[NewEvent]>,
    received_at: DateTime<Utc>,
    reply: tokio::sync::oneshot::Sender<Result<Vec<EventOutcome>, StoreError>>,
}

/// The thread that owns the connection. Every write runs on this one
/// thread, not on whichever of tokio's blocking threads is free: SQLite
/// allocates through glibc, which gives each thread its own arena and keeps
/// what is freed there, so a connection passed among several threads left
/// its page cache's worth of memory in each of their arenas.
struct WriterThread {
    groups: Option<mpsc::Sender<Group>>,
    handle: Option<JoinHandle<()>>,
}

impl Drop for WriterThread {
    /// Closes the connection before the last clone is gone, as dropping
    /// the connection itself did: whoever opens the file next finds it shut.
    fn drop(&mut self) {
        drop(self.groups.take());
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

impl SqliteWriter {
    pub fn open(path: &Path) -> Result<SqliteWriter, StoreError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        // The same durability as the pool's connections (see connect.rs).
        conn.execute_batch(&format!(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
             PRAGMA foreign_keys = ON; PRAGMA cache_size = -{WRITER_CACHE_KIB}; \
             PRAGMA wal_autocheckpoint = {WRITER_AUTOCHECKPOINT_PAGES};"
        ))?;
        let checkpointer = Arc::new(Checkpointer::start(path)?);
        let (groups, queue) = mpsc::channel::<Group>();
        let handle = std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || {
                let mut conn = conn;
                for group in queue {
                    let outcome = ingest(&mut conn, &group.events, group.received_at);
                    // The request may have gone (its client hung up); what
                    // was committed stays committed.
                    let _ = group.reply.send(outcome);
                }
            })
            .map_err(|e| StoreError::Query(format!("cannot start the SQLite writer: {e}")))?;
        Ok(SqliteWriter {
            thread: Arc::new(WriterThread {
                groups: Some(groups),
                handle: Some(handle),
            }),
            _checkpointer: checkpointer,
        })
    }

    /// `events` are shared rather than copied: the connection's thread
    /// needs them owned, and a group of 5,000 copied twice over was most
    /// of the writer's memory at peak.
    pub async fn ingest(
        &self,
        events: Arc<[NewEvent]>,
        received_at: DateTime<Utc>,
    ) -> Result<Vec<EventOutcome>, StoreError> {
        let (reply, outcome) = tokio::sync::oneshot::channel();
        let group = Group {
            events,
            received_at,
            reply,
        };
        let sent = self.thread.groups.as_ref().map(|groups| groups.send(group));
        if !matches!(sent, Some(Ok(()))) {
            return Err(StoreError::WriterPoisoned);
        }
        // A dropped reply means the thread died (a panic) mid-job.
        outcome.await.map_err(|_| StoreError::WriterPoisoned)?
    }
}

fn ingest(
    conn: &mut Connection,
    events: &[NewEvent],
    received_at: DateTime<Utc>,
) -> Result<Vec<EventOutcome>, StoreError> {
    // IMMEDIATE: take the write lock at BEGIN (waiting up to the busy
    // timeout). A deferred transaction that read first could not upgrade
    // once another connection (the engine) had committed in between.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let outcomes = insert_events(&tx, events, received_at)?;
    let stored = stored_events(events, &outcomes, received_at);
    if !stored.is_empty() {
        let mut state = load_state(&tx, &stored)?;
        state.fold(&stored);
        write_state(&tx, &state)?;
    }
    tx.commit()?;
    Ok(outcomes)
}

fn insert_events(
    tx: &rusqlite::Transaction<'_>,
    events: &[NewEvent],
    received_at: DateTime<Utc>,
) -> Result<Vec<EventOutcome>, StoreError> {
    // The unique index on event_id decides duplicates in the same lookup
    // that inserts: no separate SELECT per event.
    let mut insert = tx.prepare_cached(
        "INSERT INTO events (event_id, source_type, level, event_type, message, event_at_us, \
         received_at_us, job_name, run_id, worker_id, script_path, metadata) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) \
         ON CONFLICT (event_id) DO NOTHING",
    )?;
    let received = to_us(received_at);
    let mut outcomes = Vec::with_capacity(events.len());
    for e in events {
        let inserted = insert.execute(params![
            e.event_id,
            e.source_type.as_str(),
            e.level.as_str(),
            e.event_type,
            e.message,
            to_us(e.event_at),
            received,
            e.job_name,
            e.run_id,
            e.worker_id,
            e.script_path,
            e.metadata.to_string(),
        ])?;
        outcomes.push(if inserted == 0 {
            EventOutcome::Duplicate
        } else {
            EventOutcome::Inserted(tx.last_insert_rowid())
        });
    }
    Ok(outcomes)
}

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
    failure_threshold, repeat_interval_seconds, depends_on, last_failure_reason";

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
    })
}

fn load_state(tx: &rusqlite::Transaction<'_>, events: &[Event]) -> Result<State, StoreError> {
    let keys = Keys::of(events);
    let mut state = State::default();
    let mut q = tx.prepare_cached(&format!("SELECT {RUN_COLUMNS} FROM runs WHERE run_id = ?1"))?;
    for id in &keys.run_ids {
        if let Some(row) = q.query_row([id], run_model).optional()? {
            state.runs.insert(id.clone(), run_from_row(row)?);
        }
    }
    let mut q = tx.prepare_cached(&format!("SELECT {JOB_COLUMNS} FROM jobs WHERE name = ?1"))?;
    for name in &keys.job_names {
        if let Some(row) = q.query_row([name], job_model).optional()? {
            state.jobs.insert(name.clone(), job_from_row(row)?);
        }
    }
    let mut q = tx.prepare_cached(&format!(
        "SELECT {WORKER_COLUMNS} FROM workers WHERE worker_id = ?1"
    ))?;
    for id in &keys.worker_ids {
        if let Some(row) = q.query_row([id], worker_model).optional()? {
            state.workers.insert(id.clone(), worker_from_row(row)?);
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

fn write_state(tx: &rusqlite::Transaction<'_>, state: &State) -> Result<(), StoreError> {
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
        Box::new(i64::from(j.consecutive_failures)),
        Box::new(j.expected_next_at.map(to_us)),
        Box::new(j.policy.check_enabled),
        Box::new(i64::from(j.policy.grace_seconds)),
        Box::new(j.policy.alert_on_failure),
        Box::new(j.policy.alert_on_miss),
        Box::new(j.policy.schedule.clone()),
        Box::new(j.policy.timezone.clone()),
        Box::new(to_secs(j.policy.start_grace_seconds)),
        Box::new(to_secs(j.policy.max_runtime_seconds)),
        Box::new(to_secs(j.policy.min_runtime_seconds)),
        Box::new(i64::from(j.policy.failure_threshold)),
        Box::new(to_secs(j.policy.repeat_interval_seconds)),
        Box::new(j.policy.depends_on.clone()),
        Box::new(j.last_failure_reason.clone()),
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
        Box::new(i64::from(w.interval_seconds)),
    ]
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Sqlite(e.to_string())
    }
}
