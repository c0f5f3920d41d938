//! The SQLite write path: one dedicated connection on its own thread,
//! prepared statements.
//!
//! sea-orm/sqlx hand every statement and row to a worker thread through a
//! channel; for ingest that overhead, not SQLite, was the limit (~25k
//! events/s in 1,000-event groups). Writes on SQLite go through this plain
//! connection instead — SQLite allows one writer at a time anyway — while
//! reads and PostgreSQL keep using sea-orm. The derivation of state is the
//! shared `fold`; only the I/O differs.

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicI64;
use std::thread::JoinHandle;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params, params_from_iter};
use telltale_model::{Event, Job, NewEvent, Run, Worker};
use telltale_supervise::{Beat, Loops, panic_text};
use tokio::sync::mpsc;

use crate::checkpoint::{Checkpointer, WRITER_AUTOCHECKPOINT_PAGES};
use crate::convert::{job_from_row, readable, run_from_row, to_secs, worker_from_row};
use crate::entity::{job, run, worker};
use crate::fold::{Keys, State, stored_events};
use crate::time::to_us;
use crate::writer::{QUEUE_DEPTH, gather};
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

/// One request's events to store, and where its outcome goes.
struct Request {
    events: Arc<[NewEvent]>,
    /// Each event's metadata as stored (JSON text).
    metadata: Arc<[String]>,
    /// When the events were received; `None`: when their group begins.
    received_at: Option<DateTime<Utc>>,
    reply: tokio::sync::oneshot::Sender<Result<Vec<EventOutcome>, StoreError>>,
}

/// The thread that owns the connection. Every write runs on this one
/// thread, not on whichever of tokio's blocking threads is free: SQLite
/// allocates through glibc, which gives each thread its own arena and keeps
/// what is freed there, so a connection passed among several threads left
/// its page cache's worth of memory in each of their arenas.
struct WriterThread {
    requests: Option<mpsc::Sender<Request>>,
    handle: Option<JoinHandle<()>>,
}

impl Drop for WriterThread {
    /// Closes the connection before the last clone is gone, as dropping
    /// the connection itself did: whoever opens the file next finds it shut.
    fn drop(&mut self) {
        drop(self.requests.take());
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

/// The writer's connection, set up for its work.
fn open_connection(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    // One INSERT per chunk size plus the state's reads and writes.
    conn.set_prepared_statement_cache_capacity(32);
    // The same durability as the pool's connections (see connect.rs).
    conn.execute_batch(&format!(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
         PRAGMA foreign_keys = ON; PRAGMA cache_size = -{WRITER_CACHE_KIB}; \
         PRAGMA wal_autocheckpoint = {WRITER_AUTOCHECKPOINT_PAGES};"
    ))?;
    Ok(conn)
}

impl SqliteWriter {
    /// Opens the writer's connection and starts its thread (and the
    /// checkpointer's), both reporting to `loops`. `skew`: how far ahead of
    /// receipt an event's time still counts.
    pub fn open(
        path: &Path,
        loops: &Loops,
        skew: Arc<AtomicI64>,
    ) -> Result<SqliteWriter, StoreError> {
        let conn = open_connection(path)?;
        let checkpointer = Arc::new(Checkpointer::start(
            path,
            loops.register("wal_checkpointer", Some(Duration::from_secs(1)), false),
        )?);
        let beat = loops.register("sqlite_writer", None, true);
        let (requests, queue) = mpsc::channel::<Request>(QUEUE_DEPTH);
        let path = path.to_owned();
        let handle = std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || run(conn, path, queue, &beat, &skew))
            .map_err(|e| StoreError::Query(format!("cannot start the SQLite writer: {e}")))?;
        Ok(SqliteWriter {
            thread: Arc::new(WriterThread {
                requests: Some(requests),
                handle: Some(handle),
            }),
            _checkpointer: checkpointer,
        })
    }

    /// Stores `events` (`metadata[i]` the stored text of `events[i]`'s
    /// metadata) in a transaction shared with whatever other requests are
    /// waiting; answered once that is committed. `received_at: None`
    /// stamps them with the time their group's transaction begins, so the
    /// log's times rise with its ids.
    ///
    /// `events` are shared rather than copied: the connection's thread
    /// needs them owned, and a group of 5,000 copied twice over was most
    /// of the writer's memory at peak.
    pub async fn ingest(
        &self,
        events: Arc<[NewEvent]>,
        metadata: Arc<[String]>,
        received_at: Option<DateTime<Utc>>,
    ) -> Result<Vec<EventOutcome>, StoreError> {
        let (reply, outcome) = tokio::sync::oneshot::channel();
        let request = Request {
            events,
            metadata,
            received_at,
            reply,
        };
        let Some(requests) = self.thread.requests.as_ref() else {
            return Err(StoreError::WriterPoisoned);
        };
        // Waits for room when the writer is QUEUE_DEPTH requests behind.
        if requests.send(request).await.is_err() {
            return Err(StoreError::WriterPoisoned);
        }
        // A dropped reply means the thread died (a panic) mid-job.
        outcome.await.map_err(|_| StoreError::WriterPoisoned)?
    }
}

/// The writer thread: groups and commits until every sender is gone. A
/// panic while committing a group (a bug, or data no one foresaw) fails
/// that group's requests (their replies are dropped: 503, retry) and the
/// thread goes on with a fresh connection, instead of dying and leaving
/// every later ingest to fail.
fn run(
    mut conn: Connection,
    path: PathBuf,
    mut queue: mpsc::Receiver<Request>,
    beat: &Beat,
    skew: &AtomicI64,
) {
    while let Some(group) = next_group(&mut queue) {
        let skew = crate::skew_of(skew);
        let committed =
            std::panic::catch_unwind(AssertUnwindSafe(|| commit_group(&mut conn, group, skew)));
        let Err(panic) = committed else { continue };
        let why = format!("panicked: {}", panic_text(panic));
        tracing::error!(error = %why, "the SQLite writer failed a group; it goes on with a new connection");
        beat.restarting(&why);
        match open_connection(&path) {
            Ok(fresh) => conn = fresh,
            Err(e) => {
                tracing::error!(error = %e, "could not reopen the writer's connection; keeping the old one")
            }
        }
        beat.running();
    }
    beat.stopped();
}

/// The requests waiting, up to MAX_GROUP_EVENTS events (a larger request
/// goes alone), after blocking for the first; `None` once every sender is
/// gone and the queue is drained.
///
/// The writer's own thread gathers them rather than a task handing it
/// groups: requests keep arriving while a group commits, and the next
/// group is taken the moment the last commit ends, with no wait for a task
/// to be scheduled among the request handlers.
fn next_group(queue: &mut mpsc::Receiver<Request>) -> Option<Vec<Request>> {
    let first = queue.blocking_recv()?;
    Some(gather(first, |r| r.events.len(), queue))
}

/// Commits `group` in one transaction and answers each request. Should
/// that fail, each request is committed alone, so one that cannot be
/// stored does not fail the others that happened to share its transaction.
fn commit_group(conn: &mut Connection, group: Vec<Request>, skew: chrono::Duration) {
    let now = Utc::now();
    let result = ingest(conn, &group, now, skew);
    match result {
        Ok(outcomes) => {
            for (request, outcome) in group.into_iter().zip(outcomes) {
                // The request may have gone (its client hung up); what was
                // committed stays committed.
                let _ = request.reply.send(Ok(outcome));
            }
        }
        Err(e) if group.len() > 1 => {
            tracing::warn!(error = %e, requests = group.len(), "group commit failed; retrying one by one");
            for request in group {
                let alone = std::slice::from_ref(&request);
                let outcome =
                    ingest(conn, alone, now, skew).map(|mut all| all.pop().unwrap_or_default());
                let _ = request.reply.send(outcome);
            }
        }
        Err(e) => {
            // The group was this one request.
            if let Some(request) = group.into_iter().next() {
                let _ = request.reply.send(Err(e));
            }
        }
    }
}

fn ingest(
    conn: &mut Connection,
    group: &[Request],
    now: DateTime<Utc>,
    skew: chrono::Duration,
) -> Result<Vec<Vec<EventOutcome>>, StoreError> {
    // IMMEDIATE: take the write lock at BEGIN (waiting up to the busy
    // timeout). A deferred transaction that read first could not upgrade
    // once another connection (the engine) had committed in between.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut outcomes = Vec::with_capacity(group.len());
    let mut stored = Vec::new();
    for request in group {
        let received_at = request.received_at.unwrap_or(now);
        let mine = insert_events(&tx, &request.events, &request.metadata, received_at)?;
        stored.extend(stored_events(&request.events, &mine, received_at));
        outcomes.push(mine);
    }
    if !stored.is_empty() {
        let mut state = load_state(&tx, &stored)?;
        state.fold(&stored, skew);
        write_state(&tx, &state)?;
    }
    tx.commit()?;
    Ok(outcomes)
}

/// Rows per `INSERT` statement, largest first: a group is cut into chunks
/// of these sizes, so at most one statement of each size is prepared (and
/// cached) however large the group. One statement for many rows keeps its
/// cursors on the table and its five indexes open from row to row, and
/// reads and writes AUTOINCREMENT's counter once instead of once per event:
/// per-row statements spent a fifth of the writer's time opening and
/// closing cursors (perf, seeding 1M events).
const ROWS_PER_INSERT: [usize; 9] = [256, 128, 64, 32, 16, 8, 4, 2, 1];
const EVENT_COLUMNS: usize = 12;

/// The SQL of each chunk size, built once (a cached statement is found by
/// its text), in the order of [`ROWS_PER_INSERT`].
fn insert_sql() -> &'static [String] {
    static SQL: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    SQL.get_or_init(|| {
        ROWS_PER_INSERT
            .iter()
            .map(|&n| build_insert_sql(n))
            .collect()
    })
}

fn build_insert_sql(rows: usize) -> String {
    let mut sql = String::from(
        "INSERT OR IGNORE INTO events (event_id, source_type, level, event_type, message, \
         event_at_us, received_at_us, job_name, run_id, worker_id, script_path, metadata) VALUES ",
    );
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        let first = row * EVENT_COLUMNS + 1;
        let placeholders: Vec<String> = (first..first + EVENT_COLUMNS)
            .map(|i| format!("?{i}"))
            .collect();
        sql.push('(');
        sql.push_str(&placeholders.join(", "));
        sql.push(')');
    }
    // The unique index on event_id decides duplicates in the same lookup
    // that inserts: a stored eventId returns no row. OR IGNORE rather than
    // ON CONFLICT DO NOTHING: a statement of many rows that could abort
    // midway makes SQLite journal every page it touches first, so it can
    // undo that statement alone (a third of the writer's time, measured);
    // one that cannot abort needs no such journal. The only other
    // constraints are NOT NULLs, and every such column is bound a value.
    sql.push_str(" RETURNING id, event_id");
    sql
}

fn insert_events(
    tx: &rusqlite::Transaction<'_>,
    events: &[NewEvent],
    metadata: &[String],
    received_at: DateTime<Utc>,
) -> Result<Vec<EventOutcome>, StoreError> {
    let received = to_us(received_at);
    let mut outcomes = Vec::with_capacity(events.len());
    let mut from = 0;
    for (size, sql) in ROWS_PER_INSERT.into_iter().zip(insert_sql()) {
        while events.len() - from >= size {
            let chunk = &events[from..from + size];
            let meta = &metadata[from..from + size];
            insert_chunk(tx, sql, chunk, meta, received, &mut outcomes)?;
            from += size;
        }
    }
    Ok(outcomes)
}

fn insert_chunk(
    tx: &rusqlite::Transaction<'_>,
    sql: &str,
    events: &[NewEvent],
    metadata: &[String],
    received: i64,
    outcomes: &mut Vec<EventOutcome>,
) -> Result<(), StoreError> {
    use rusqlite::types::{ToSqlOutput, Value, ValueRef};
    fn text(s: &str) -> ToSqlOutput<'_> {
        ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes()))
    }
    fn opt(s: Option<&str>) -> ToSqlOutput<'_> {
        s.map_or(ToSqlOutput::Owned(Value::Null), text)
    }
    let mut params: Vec<ToSqlOutput<'_>> = Vec::with_capacity(events.len() * EVENT_COLUMNS);
    for (e, meta) in events.iter().zip(metadata) {
        params.extend([
            opt(e.event_id.as_deref()),
            text(e.source_type.as_str()),
            text(e.level.as_str()),
            text(&e.event_type),
            text(&e.message),
            ToSqlOutput::Owned(Value::Integer(to_us(e.event_at))),
            ToSqlOutput::Owned(Value::Integer(received)),
            opt(e.job_name.as_deref()),
            opt(e.run_id.as_deref()),
            opt(e.worker_id.as_deref()),
            opt(e.script_path.as_deref()),
            text(meta),
        ]);
    }
    let mut insert = tx.prepare_cached(sql)?;
    let mut returned: Vec<(i64, Option<String>)> = insert
        .query_map(params_from_iter(params.iter()), |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .collect::<Result<_, _>>()?;
    // Rows are numbered in VALUES order; RETURNING's own order is not
    // promised. A row that conflicted returned nothing, so walking the
    // events in order, each either is the next returned row or was a
    // duplicate (of a stored event, or of one before it in the group).
    returned.sort_unstable_by_key(|(id, _)| *id);
    let mut next = returned.into_iter().peekable();
    for e in events {
        let inserted = next.next_if(|(_, id)| *id == e.event_id).map(|(id, _)| id);
        outcomes.push(inserted.map_or(EventOutcome::Duplicate, EventOutcome::Inserted));
    }
    Ok(())
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
fn load_state(tx: &rusqlite::Transaction<'_>, events: &[Event]) -> Result<State, StoreError> {
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

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Sqlite(e.to_string())
    }
}
