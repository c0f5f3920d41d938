//! `make soak`: a bounded soak of the release server on loopback.
//!
//! Hostile and valid ingest from many connections, a canary failure every
//! 10 s that must be alerted and delivered exactly once, real process
//! restarts (SIGTERM and SIGKILL) and, on PostgreSQL, cut database
//! connections. See `docs/soak.md`.

pub mod api;
pub mod attacks;
pub mod canary;
pub mod chaos;
pub mod hostile;
pub mod ingest;
pub mod logscan;
pub mod pg;
pub mod process;
pub mod receiver;
pub mod report;
pub mod run;
pub mod table;
pub mod traffic;

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// What stops a soak before it can judge the server.
#[derive(Debug, thiserror::Error)]
pub enum SoakError {
    #[error("{0}")]
    Setup(String),
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error("http: {0}")]
    Http(#[from] reqwest::Error),
    #[error("database: {0}")]
    Db(#[from] sea_orm::DbErr),
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    #[error("the server did not answer /v1/health within {0:?}{1}")]
    NotHealthy(Duration, String),
    #[error("unexpected answer from {what}: HTTP {status}: {body}")]
    Answer {
        what: &'static str,
        status: u16,
        body: String,
    },
    #[error("interrupted (Ctrl-C)")]
    Interrupted,
}

pub type Result<T, E = SoakError> = std::result::Result<T, E>;

/// When the server is knowingly unavailable (stopped, starting, its
/// database connections just cut). Failures then are expected and counted
/// apart from failures while it should be serving.
pub struct Disruption {
    active: AtomicBool,
    /// Failures until this instant still count as the disruption's: a
    /// request that began before the server came back, or a pool that is
    /// reconnecting after a cut.
    until: Mutex<Instant>,
}

impl Default for Disruption {
    fn default() -> Self {
        Self {
            active: AtomicBool::new(false),
            until: Mutex::new(Instant::now()),
        }
    }
}

impl Disruption {
    pub fn begin(&self) {
        self.active.store(true, Ordering::SeqCst);
    }

    /// Ends the window; failures in the next `grace` still belong to it.
    pub fn end(&self, grace: Duration) {
        if let Ok(mut until) = self.until.lock() {
            *until = Instant::now() + grace;
        }
        self.active.store(false, Ordering::SeqCst);
    }

    /// Whether a request that began at `started` and failed now falls in a
    /// window.
    pub fn covers(&self, started: Instant) -> bool {
        if self.active.load(Ordering::SeqCst) {
            return true;
        }
        let until = self
            .until
            .lock()
            .map(|u| *u)
            .unwrap_or_else(|_| Instant::now());
        let now = Instant::now();
        now <= until || started <= until
    }
}

/// Milliseconds as a float, for latencies in the report.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
