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
use rusqlite::{Connection, TransactionBehavior};
use telltale_model::NewEvent;
use telltale_supervise::{Beat, Loops, panic_text};
use tokio::sync::mpsc;

use crate::ingest::fold::stored_events;
use crate::ingest::queue::{QUEUE_DEPTH, gather};
use crate::upkeep::checkpoint::{Checkpointer, WRITER_AUTOCHECKPOINT_PAGES};
use crate::{EventOutcome, StoreError};

mod insert;
mod state;

use insert::insert_events;
use state::{load_state, write_state};

/// Page cache of the writer: index pages of a large log stay in memory.
/// 16 MiB holds the hot index pages of a large log: a larger cache ingested
/// no faster and only raised the server's peak memory (docs/benchmarks.md).
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

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Sqlite(e.to_string())
    }
}
