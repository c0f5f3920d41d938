//! WAL checkpoints off the ingest path.
//!
//! SQLite checkpoints on the connection whose commit pushes the WAL past
//! `wal_autocheckpoint` pages: with the default (1,000) that was the ingest
//! writer every few hundred commits, copying pages into the database file
//! and fsyncing it while every waiting request waited too (a fifth of the
//! server's time under single-event load went to checkpoints and WAL
//! writes, and its cores sat a third idle behind the fsyncs).
//!
//! Here a thread of its own runs a PASSIVE checkpoint every
//! [`INTERVAL`], beside the writer (WAL checkpoints never block writers),
//! so each copies a few pages and its fsync holds up nobody.
//! The writer keeps a high `wal_autocheckpoint` as a bound on the WAL: a
//! WAL only starts over once a writer finds it fully copied, which a busy
//! writer rarely does on its own, and then its checkpoint has little left
//! to copy. Durability is unchanged: commits still append to the WAL with
//! `synchronous = NORMAL`, checkpoints fsync as before.

use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::Connection;
use telltale_supervise::{Beat, panic_text};

use crate::StoreError;

/// How often the WAL is copied into the database file. Often: each
/// checkpoint then copies little, so the writer rarely reaches its own
/// bound and runs the larger checkpoints that showed as the p99 latency of
/// single-event ingest; the throughput is the same at any interval.
const INTERVAL: Duration = Duration::from_millis(20);

/// WAL pages (4 KiB) after which the writer checkpoints itself: the bound
/// on the WAL while the thread cannot keep it short.
pub(crate) const WRITER_AUTOCHECKPOINT_PAGES: u32 = 8_192;

/// The checkpoint thread; it ends when this is dropped.
pub(crate) struct Checkpointer {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    pub(crate) fn start(path: &Path, beat: Beat) -> Result<Checkpointer, StoreError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("telltale-checkpoint".to_owned())
            .spawn(move || {
                // Any message, or the sender dropped, ends the thread.
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(INTERVAL) {
                    // A panic in one round must not end checkpoints for good:
                    // the WAL would then grow without bound.
                    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        checkpoint(&conn)
                    })) {
                        Ok(Ok(_)) => beat.tick(),
                        Ok(Err(e)) => {
                            if beat.failed(&e.to_string()) % 500 == 1 {
                                tracing::warn!(error = %e, "WAL checkpoint failed; retrying");
                            }
                        }
                        Err(panic) => {
                            let why = format!("panicked: {}", panic_text(panic));
                            tracing::error!(error = %why, "WAL checkpoint failed; going on");
                            beat.restarting(&why);
                            beat.running();
                        }
                    }
                }
                beat.stopped();
            })
            .map_err(|e| StoreError::Sqlite(format!("cannot start the checkpoint thread: {e}")))?;
        Ok(Checkpointer {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

/// `(busy, WAL pages, pages copied)`: busy when another checkpoint ran.
fn checkpoint(conn: &Connection) -> rusqlite::Result<(i64, i64, i64)> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl std::fmt::Debug for Checkpointer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Checkpointer")
    }
}
