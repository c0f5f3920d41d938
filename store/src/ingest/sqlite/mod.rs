//! The SQLite write path: one dedicated connection on its own thread,
//! prepared statements.
//!
//! sea-orm/sqlx hand every statement and row to a worker thread through a
//! channel; for ingest that overhead, not SQLite, was the limit (~25k
//! events/s in 1,000-event groups). Writes on SQLite go through this plain
//! connection instead — SQLite allows one writer at a time anyway — while
//! reads and PostgreSQL keep using sea-orm. The derivation of state is the
//! shared `fold`; only the I/O differs.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicI64;
use std::thread::JoinHandle;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension};
use telltale_model::{Event, NewEvent};
use telltale_supervise::{Beat, Loops};
use tokio::sync::mpsc;

use crate::StoreError;
use crate::ingest::commit::Backend;
use crate::ingest::fold::State;
use crate::ingest::ping::{PingJob, lookup_sql};
use crate::ingest::queue::{Batch, QUEUE_DEPTH, Request, run, send};
use crate::ingest::{EventOutcome, IngestReport};
use crate::search::{Indexed, Indexer, index_sqlite};
use crate::upkeep::checkpoint::{Checkpointer, WRITER_AUTOCHECKPOINT_PAGES};

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
        let indexer = Indexer::new(loops.register("search_indexer", None, false));
        let (requests, queue) = mpsc::channel::<Request>(QUEUE_DEPTH);
        let path = path.to_owned();
        let handle = std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || writer_thread(conn, path, queue, (&beat, indexer), &skew))
            .map_err(|e| StoreError::Query(format!("cannot start the SQLite writer: {e}")))?;
        Ok(SqliteWriter {
            thread: Arc::new(WriterThread {
                requests: Some(requests),
                handle: Some(handle),
            }),
            _checkpointer: checkpointer,
        })
    }

    /// Hands `batch` to the writer's loop, to be committed in a
    /// transaction shared with whatever other requests are waiting;
    /// answered once that is committed.
    pub(crate) async fn send(&self, batch: Batch) -> Result<IngestReport, StoreError> {
        match self.thread.requests.as_ref() {
            Some(requests) => send(requests, batch).await,
            None => Err(StoreError::WriterPoisoned),
        }
    }
}

/// The writer thread runs the ingest loop (`queue::run`) on a runtime of
/// its own, with one thread: every await in it is on the queue, and the
/// commits themselves are plain blocking calls on this connection.
fn writer_thread(
    conn: Connection,
    path: PathBuf,
    queue: mpsc::Receiver<Request>,
    (beat, indexer): (&Beat, Indexer),
    skew: &AtomicI64,
) {
    // Time: the loop waits for requests with a timeout between index steps.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            tracing::error!(error = %e, "the SQLite writer cannot start its runtime");
            beat.failed(&format!("cannot start its runtime: {e}"));
            return;
        }
    };
    let backend = Sqlite { conn, path };
    runtime.block_on(run(backend, queue, (beat, indexer), skew));
}

/// The backend of the writer thread: its connection, and the file to
/// reopen after a panic.
struct Sqlite {
    conn: Connection,
    path: PathBuf,
}

impl Backend for Sqlite {
    async fn begin(&mut self) -> Result<(), StoreError> {
        // IMMEDIATE: take the write lock at BEGIN (waiting up to the busy
        // timeout). A deferred transaction that read first could not
        // upgrade once another connection (the engine) had committed.
        Ok(self.conn.execute_batch("BEGIN IMMEDIATE")?)
    }

    async fn insert(
        &mut self,
        events: &[NewEvent],
        metadata: &[String],
        received_at: DateTime<Utc>,
    ) -> Result<Vec<EventOutcome>, StoreError> {
        insert_events(&self.conn, events, metadata, received_at)
    }

    async fn load(&mut self, events: &[Event]) -> Result<State, StoreError> {
        load_state(&self.conn, events)
    }

    async fn find_ping(
        &mut self,
        job: &PingJob,
    ) -> Result<Option<(String, Option<String>)>, StoreError> {
        let mut query = self.conn.prepare_cached(&lookup_sql(job, "?1"))?;
        Ok(query
            .query_row([job.key()], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    async fn write(&mut self, state: &State) -> Result<(), StoreError> {
        write_state(&self.conn, state)
    }

    async fn commit(&mut self) -> Result<(), StoreError> {
        Ok(self.conn.execute_batch("COMMIT")?)
    }

    async fn rollback(&mut self) {
        if !self.conn.is_autocommit()
            && let Err(e) = self.conn.execute_batch("ROLLBACK")
        {
            tracing::warn!(error = %e, "rolling back an ingest transaction failed");
        }
    }

    /// Ids commit in order here: nothing to sweep.
    async fn index_search(
        &mut self,
        limit: usize,
        _sweep: Option<(i64, i64)>,
    ) -> Result<Indexed, StoreError> {
        index_sqlite(&self.conn, limit)
    }

    /// A fresh connection: the old one may hold a transaction a panic left
    /// half done.
    fn recover(&mut self) {
        match open_connection(&self.path) {
            Ok(fresh) => self.conn = fresh,
            Err(e) => {
                tracing::error!(error = %e, "could not reopen the writer's connection; keeping the old one");
                if let Err(e) = self.conn.execute_batch("ROLLBACK") {
                    tracing::warn!(error = %e, "and rolling back on it failed");
                }
            }
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Sqlite(e.to_string())
    }
}
