//! The reporting client: `emit` writes an event to this process's spool and
//! returns; a delivery thread sends the spool in order, in batches, with
//! retries and backoff; `flush`/`close` wait (up to a limit) for delivery.
//!
//! At start the client also adopts spool files left by processes that are
//! gone and delivers them first (they are older than anything it will say).

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::Utc;
use telltale_model::{FieldError, Level, NewEvent, SourceType};

use crate::config::Config;
use crate::delivery;
use crate::spool::Spool;

/// Largest single event the client accepts: one must always fit a request.
pub const MAX_EVENT_BYTES: usize = 900 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("invalid event: {0}")]
    Invalid(#[from] FieldError),
    #[error("event is {size} bytes serialized; at most {MAX_EVENT_BYTES} are accepted")]
    TooLarge { size: usize },
    #[error("cannot write the spool in {dir}: {source}")]
    Spool {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot start the delivery thread: {0}")]
    Thread(std::io::Error),
}

/// Where delivery stands, as `flush` and `close` report it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlushReport {
    /// Events of this process and adopted spools not yet acknowledged.
    pub pending: usize,
    /// Adopted spool files not yet fully delivered.
    pub orphan_files: usize,
    /// Events the server acknowledged since the client started.
    pub delivered: u64,
    /// Events the server refused for good (invalid there); logged.
    pub refused: u64,
    /// The newest delivery error, while delivery is failing.
    pub last_error: Option<String>,
}

impl FlushReport {
    pub fn is_complete(&self) -> bool {
        self.pending == 0 && self.orphan_files == 0
    }
}

pub struct Client {
    config: Config,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

pub(crate) struct Shared {
    pub(crate) state: Mutex<State>,
    pub(crate) changed: Condvar,
}

pub(crate) struct State {
    /// This process's spool, created with the first event.
    pub(crate) own: Option<Spool>,
    /// What `own` is called when it is created (a job or worker name).
    pub(crate) label: String,
    pub(crate) own_pending: usize,
    pub(crate) orphan_files: usize,
    pub(crate) orphan_pending: usize,
    pub(crate) delivered: u64,
    pub(crate) refused: u64,
    pub(crate) last_error: Option<String>,
    /// A flush is waiting: try now, whatever the backoff says.
    pub(crate) urgent: bool,
    pub(crate) quit: bool,
    pub(crate) exited: bool,
}

impl Client {
    /// Starts a client: finds spool files left by processes that are gone and
    /// starts delivering them. `label` names this process's spool file.
    pub fn start(config: Config, label: &str) -> Result<Client, ClientError> {
        let orphans: VecDeque<PathBuf> = Spool::list(&config.spool_dir, None)
            .map_err(|source| ClientError::Spool {
                dir: config.spool_dir.clone(),
                source,
            })?
            .into();
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                own: None,
                label: label.to_owned(),
                own_pending: 0,
                orphan_files: orphans.len(),
                orphan_pending: 0,
                delivered: 0,
                refused: 0,
                last_error: None,
                urgent: false,
                quit: false,
                exited: false,
            }),
            changed: Condvar::new(),
        });
        let thread = {
            let shared = shared.clone();
            let config = config.clone();
            std::thread::Builder::new()
                .name("telltale-delivery".into())
                .spawn(move || delivery::deliver(&shared, &config, orphans))
                .map_err(ClientError::Thread)?
        };
        Ok(Client {
            config,
            shared,
            thread: Some(thread),
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// A worker event stamped now, carrying what the environment says about
    /// the job, run and worker (`CHIEF_*`, `TELLTALE_*`); fill in the rest.
    pub fn event(&self, event_type: &str, level: Level, message: &str) -> NewEvent {
        let ctx = &self.config.context;
        let mut event = NewEvent::new(SourceType::Worker, level, event_type, message, Utc::now());
        event.job_name = ctx.job_name.clone();
        event.run_id = ctx.run_id.clone();
        event.worker_id = ctx.worker_id.clone();
        event.script_path = ctx.script_path.clone();
        event
    }

    /// Checks the event as the server will, gives it an `eventId` if it has
    /// none, and appends it to the spool. Returns once it is on disk; delivery
    /// happens in the background.
    pub fn emit(&self, mut event: NewEvent) -> Result<String, ClientError> {
        let id = event.event_id.get_or_insert_with(new_event_id).clone();
        let line = checked_line(&event)?;
        let mut state = self.shared.lock();
        if state.own.is_none() {
            let spool = Spool::create(&self.config.spool_dir, &state.label).map_err(|source| {
                ClientError::Spool {
                    dir: self.config.spool_dir.clone(),
                    source,
                }
            })?;
            state.own = Some(spool);
        }
        if let Some(own) = state.own.as_mut() {
            own.append(&line).map_err(|source| ClientError::Spool {
                dir: self.config.spool_dir.clone(),
                source,
            })?;
        }
        state.own_pending += 1;
        self.shared.changed.notify_all();
        Ok(id)
    }

    /// Where delivery stands now.
    pub fn report(&self) -> FlushReport {
        self.shared.lock().report()
    }

    /// Waits until everything spooled so far is delivered, or `timeout`
    /// passes. A pending retry is brought forward.
    pub fn flush(&self, timeout: Duration) -> FlushReport {
        let deadline = crate::deadline::after(timeout);
        let mut state = self.shared.lock();
        state.urgent = true;
        self.shared.changed.notify_all();
        loop {
            let report = state.report();
            let now = Instant::now();
            if report.is_complete() || now >= deadline || state.exited {
                return report;
            }
            state = self
                .shared
                .changed
                .wait_timeout(state, deadline - now)
                .map(|(s, _)| s)
                .unwrap_or_else(|e| e.into_inner().0);
        }
    }

    /// Flushes for up to `timeout`, then stops delivery. What is still
    /// undelivered stays in the spool file, which a later process adopts.
    pub fn close(mut self, timeout: Duration) -> FlushReport {
        let report = self.flush(timeout);
        self.shutdown();
        report
    }

    fn shutdown(&mut self) {
        let own = {
            let mut state = self.shared.lock();
            state.quit = true;
            self.shared.changed.notify_all();
            state.own.take()
        };
        if let Some(own) = own {
            let path = own.path().to_owned();
            let result = if own.is_drained() {
                own.remove()
            } else {
                // Unlocked on drop: the next process adopts it.
                Ok(())
            };
            if let Err(e) = result {
                tracing::warn!(path = %path.display(), error = %e, "cannot remove the delivered spool file");
            }
        }
        // The thread may be inside a request (bounded by the request
        // timeout); it is not waited for, so exiting is never held up.
        if let Some(thread) = self.thread.take()
            && thread.is_finished()
        {
            let _ = thread.join();
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl Shared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere must not stop delivery of what is on disk.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// One adopted (or skipped) spool file is done with.
    pub(crate) fn orphan_done(&self) {
        let mut state = self.lock();
        state.orphan_files = state.orphan_files.saturating_sub(1);
        state.orphan_pending = 0;
        self.changed.notify_all();
    }

    /// Sleeps until `until`, a flush or quit; false when told to quit.
    pub(crate) fn wait_until(&self, until: Instant) -> bool {
        let mut state = self.lock();
        loop {
            if state.quit {
                return false;
            }
            if state.urgent {
                return true;
            }
            let now = Instant::now();
            if now >= until {
                return true;
            }
            state = self
                .changed
                .wait_timeout(state, until - now)
                .map(|(s, _)| s)
                .unwrap_or_else(|e| e.into_inner().0);
        }
    }
}

impl State {
    fn report(&self) -> FlushReport {
        FlushReport {
            pending: self.own_pending + self.orphan_pending,
            orphan_files: self.orphan_files,
            delivered: self.delivered,
            refused: self.refused,
            last_error: self.last_error.clone(),
        }
    }
}

pub fn new_event_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The event as one line of JSON, refused here if the server would refuse it.
fn checked_line(event: &NewEvent) -> Result<String, ClientError> {
    let value = serde_json::to_value(event)
        .map_err(|e| FieldError::new("event", format!("cannot be serialized: {e}")))?;
    NewEvent::from_json(&value, event.event_at)?;
    let line = value.to_string();
    if line.len() > MAX_EVENT_BYTES {
        return Err(ClientError::TooLarge { size: line.len() });
    }
    Ok(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A flush with no end (`--timeout` as large as it parses) is a wait
    /// that ends when delivery does, not a panic adding it to the clock.
    #[test]
    fn a_flush_without_end_returns_once_nothing_is_left() {
        let dir = tempfile::tempdir().unwrap();
        let spool = dir.path().display().to_string();
        let config = Config::from_lookup(|k| match k {
            "TELLTALE_SPOOL_DIR" => Some(spool.clone()),
            // Nothing listens there; nothing is sent either.
            "TELLTALE_URL" => Some("http://127.0.0.1:9".to_owned()),
            _ => None,
        })
        .unwrap();
        let client = Client::start(config, "endless").unwrap();
        let report = client.close(Duration::MAX);
        assert!(report.is_complete(), "{report:?}");
    }
}
