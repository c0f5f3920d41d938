use std::sync::Arc;
use std::time::Duration;

use prometheus_client::metrics::histogram::Histogram;
use telltale_delivery::Deliverer;
use telltale_store::{LiveHub, Store};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::engine::{self, Clock, Engine, EngineInbox};

/// How long a stopping loop may take to finish its step at shutdown before
/// it is dropped mid-way (its transaction then rolls back).
const GRACE: Duration = Duration::from_secs(10);

/// What the leader runs: the evaluator, retention and the delivery sender,
/// with everything needed to start them again after a lost leadership.
#[derive(Clone)]
pub struct Loops {
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub inbox: EngineInbox,
    pub live: LiveHub,
    pub deliverer: Deliverer,
    pub evaluator_interval: Duration,
    pub retention_days: u32,
    pub retention_interval: Duration,
    /// Where the evaluator records how long each tick took.
    pub tick_seconds: Histogram,
}

/// The loops of one term of leadership.
pub struct Running {
    stops: [Arc<Notify>; 3],
    tasks: Vec<(&'static str, JoinHandle<()>)>,
}

impl Loops {
    pub fn start(&self) -> Running {
        // One per loop, told with `notify_one`, which keeps the permit for
        // a loop that is between two waits (`notify_waiters` would not).
        let stops: [Arc<Notify>; 3] = Default::default();
        let [engine_stop, retention_stop, delivery_stop] = stops.clone();
        let engine = engine::spawn(
            Engine::new(self.store.clone(), self.clock.clone())
                .with_blind_gap(
                    chrono::Duration::from_std(self.evaluator_interval * 4)
                        .unwrap_or(chrono::Duration::MAX),
                )
                .with_tick_histogram(self.tick_seconds.clone()),
            self.inbox.clone(),
            self.live.clone(),
            self.evaluator_interval,
            engine_stop,
        );
        let retention = engine::spawn_retention(
            self.store.clone(),
            self.clock.clone(),
            self.retention_days,
            self.retention_interval,
            retention_stop,
        );
        let delivery = telltale_delivery::spawn(self.deliverer.clone(), delivery_stop);
        Running {
            stops,
            tasks: vec![
                ("engine", engine),
                ("retention", retention),
                ("delivery", delivery),
            ],
        }
    }
}

impl Running {
    /// Lets each loop finish its step (up to a grace period): for a shutdown.
    pub async fn stop(self) {
        for stop in &self.stops {
            stop.notify_one();
        }
        for (name, task) in self.tasks {
            let abort = task.abort_handle();
            match tokio::time::timeout(GRACE, task).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    tracing::error!(error = %e, task = name, "background task ended abnormally");
                }
                Err(_) => {
                    tracing::warn!(task = name, "background task did not stop in time; dropped");
                    abort.abort();
                }
            }
        }
    }

    /// Drops every loop where it stands: leadership is lost and another
    /// instance may already run them. An unfinished step's transaction rolls
    /// back; deliveries already claimed are sent again after their lease.
    pub async fn abort(self) {
        for (_, task) in self.tasks {
            task.abort();
            let _ = task.await;
        }
    }
}
