//! Worker heartbeats (`worker.heartbeat`): the worker's hostname, its
//! current run and how often to expect the next one, so the server can tell
//! busy, idle and offline workers apart.
//!
//! Heartbeats are sent straight away and never spooled: one delivered late
//! says nothing about now (and the server ignores one older than the newest).

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::json;
use telltale_model::{Level, NewEvent, SourceType};

use crate::client::{ClientError, new_event_id};
use crate::config::{Config, ConfigError};
use crate::transport::{SendError, Transport};

/// Forge's emitter beats every 15 seconds; so do we unless told otherwise.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(15);

#[derive(Debug, thiserror::Error)]
pub enum HeartbeatError {
    #[error("configuration error: {0}")]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Client(#[from] ClientError),
}

/// Sends one heartbeat at a time for one worker.
pub struct Beater {
    transport: Transport,
    worker_id: String,
    hostname: String,
    interval: Duration,
}

impl Beater {
    pub fn new(config: &Config, worker_id: &str, interval: Duration) -> Result<Self, SendError> {
        Ok(Beater {
            transport: Transport::new(config)?,
            worker_id: worker_id.to_owned(),
            hostname: hostname(),
            interval,
        })
    }

    pub fn beat(&self, current_run: Option<&str>) -> Result<(), SendError> {
        let event = heartbeat_event(&self.worker_id, &self.hostname, current_run, self.interval);
        self.transport.post_one(&event).map(|_| ())
    }
}

/// The heartbeat event as the server's transition function reads it.
pub fn heartbeat_event(
    worker_id: &str,
    hostname: &str,
    current_run: Option<&str>,
    interval: Duration,
) -> NewEvent {
    let message = match current_run {
        Some(run) => format!("{worker_id} on {hostname}: running {run}"),
        None => format!("{worker_id} on {hostname}: idle"),
    };
    // Debug level: a heartbeat every few seconds must not bury the log.
    let mut event = NewEvent::new(
        SourceType::Worker,
        Level::Debug,
        "worker.heartbeat",
        message,
        Utc::now(),
    );
    event.event_id = Some(new_event_id());
    event.worker_id = Some(worker_id.to_owned());
    event.metadata = json!({
        "hostname": hostname,
        "current_run_id": current_run,
        "interval_seconds": interval.as_secs().max(1),
        "pid": std::process::id(),
    });
    event
}

/// This machine's name, as `uname -n` says it.
pub fn hostname() -> String {
    #[cfg(unix)]
    {
        rustix::system::uname()
            .nodename()
            .to_string_lossy()
            .into_owned()
    }
    #[cfg(not(unix))]
    {
        std::env::var("COMPUTERNAME").unwrap_or_else(|_| "unknown".into())
    }
}

/// Starts heartbeats for `worker_id` every `interval` on a thread of their
/// own, configured from the environment (`TELLTALE_URL`, …): the library
/// counterpart of Forge's `start_heartbeat()`.
pub fn start_heartbeat(
    worker_id: impl Into<String>,
    interval: Duration,
) -> Result<Heartbeat, HeartbeatError> {
    Heartbeat::start(Config::from_env()?, worker_id.into(), interval)
}

/// A running heartbeat; stops when dropped.
pub struct Heartbeat {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

#[derive(Default)]
struct State {
    current_run: Option<String>,
    /// Beat now (the current run changed).
    now: bool,
    stop: bool,
}

impl Heartbeat {
    pub fn start(
        config: Config,
        worker_id: String,
        interval: Duration,
    ) -> Result<Heartbeat, HeartbeatError> {
        let interval = interval.max(Duration::from_secs(1));
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
        });
        let thread = {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name("telltale-heartbeat".into())
                .spawn(move || beat_loop(&shared, &config, &worker_id, interval))
                .map_err(|e| HeartbeatError::Client(ClientError::Thread(e)))?
        };
        Ok(Heartbeat {
            shared,
            thread: Some(thread),
        })
    }

    /// The run this worker is busy with (`None`: idle). Sent at once.
    pub fn set_current_run(&self, run_id: Option<&str>) {
        let mut state = self.shared.lock();
        state.current_run = run_id.map(str::to_owned);
        state.now = true;
        self.shared.changed.notify_all();
    }

    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        self.shared.lock().stop = true;
        self.shared.changed.notify_all();
        if let Some(thread) = self.thread.take()
            && thread.is_finished()
        {
            let _ = thread.join();
        }
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.halt();
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn beat_loop(shared: &Shared, config: &Config, worker_id: &str, interval: Duration) {
    let beater = match Beater::new(config, worker_id, interval) {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "heartbeats cannot start");
            return;
        }
    };
    let mut failing = false;
    loop {
        let current = {
            let mut state = shared.lock();
            if state.stop {
                return;
            }
            state.now = false;
            state.current_run.clone()
        };
        match beater.beat(current.as_deref()) {
            Ok(()) if failing => {
                tracing::info!(worker = worker_id, "heartbeats delivered again");
                failing = false;
            }
            Ok(()) => {}
            Err(e) if !failing => {
                tracing::warn!(worker = worker_id, error = %e, "heartbeat not delivered");
                failing = true;
            }
            Err(_) => {}
        }
        let until = crate::deadline::after(interval);
        let mut state = shared.lock();
        while !state.stop && !state.now {
            let now = Instant::now();
            if now >= until {
                break;
            }
            state = shared
                .changed
                .wait_timeout(state, until - now)
                .map(|(s, _)| s)
                .unwrap_or_else(|e| e.into_inner().0);
        }
    }
}
