use std::sync::Arc;
use std::time::Duration;

use prometheus_client::metrics::histogram::Histogram;
use telltale_delivery::Deliverer;
use telltale_store::{LiveHub, Store};
use telltale_supervise::Loops as Registry;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::engine::{self, Clock, Engine, EngineInbox, SelfHeartbeat};
use crate::faults::Faults;

/// How long a stopping supervisor may take (its loop has its own grace).
const GRACE: Duration = Duration::from_secs(15);

/// The loops only the leader runs, by their names in `/v1/health`.
pub const LEADER_LOOPS: [&str; 3] = ["evaluator", "retention", "delivery"];

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
    pub retention: engine::Retention,
    /// Where the evaluator records how long each tick took.
    pub tick_seconds: Histogram,
    /// How long MISSED is held while a scheduler that was online is silent.
    pub scheduler_hold: chrono::Duration,
    pub heartbeat: Option<SelfHeartbeat>,
    pub faults: Faults,
}

/// The loops of one term of leadership.
pub struct Running {
    stops: Vec<Arc<Notify>>,
    tasks: Vec<(&'static str, JoinHandle<()>)>,
}

impl Loops {
    /// Where the loops report: the store's registry, one per server.
    pub fn registry(&self) -> &Registry {
        self.store.loops()
    }

    /// Marks the leader's loops as run elsewhere (this instance follows).
    pub fn standby(&self) {
        for (name, interval, critical) in self.kinds() {
            self.registry().register(name, interval, critical).standby();
        }
    }

    fn kinds(&self) -> [(&'static str, Option<Duration>, bool); 3] {
        [
            ("evaluator", Some(self.evaluator_interval), true),
            ("retention", Some(self.retention.interval), false),
            // A round waits for a free slot, which a slow receiver holds for
            // up to the send timeout.
            ("delivery", Some(self.deliverer.round_bound()), true),
        ]
    }

    pub fn start(&self) -> Running {
        let [evaluator, retention, delivery] = self
            .kinds()
            .map(|(name, interval, critical)| self.registry().register(name, interval, critical));
        // One per loop, told with `notify_one`, which keeps the permit for
        // a supervisor that is between two waits.
        let stops: Vec<Arc<Notify>> = (0..3).map(|_| Arc::new(Notify::new())).collect();
        let engine = Engine::new(self.store.clone(), self.clock.clone())
            .with_blind_gap(
                chrono::Duration::from_std(self.evaluator_interval * 4)
                    .unwrap_or(chrono::Duration::MAX),
            )
            .with_scheduler_hold(self.scheduler_hold)
            .with_tick_histogram(self.tick_seconds.clone());
        let engine = engine::spawn(
            engine,
            engine::EvaluatorParts {
                inbox: self.inbox.clone(),
                live: self.live.clone(),
                interval: self.evaluator_interval,
                faults: self.faults.clone(),
                heartbeat: self.heartbeat.clone(),
            },
            evaluator,
            stops[0].clone(),
        );
        let retention = engine::spawn_retention(
            self.store.clone(),
            self.clock.clone(),
            self.retention.clone(),
            retention,
            stops[1].clone(),
        );
        let deliverer = self.deliverer.clone();
        // Aborting the supervisor (a lost leadership) aborts the sender too.
        let delivery = telltale_supervise::spawn(delivery, stops[2].clone(), move |beat, stop| {
            telltale_supervise::join(telltale_delivery::spawn(deliverer.clone(), beat, stop))
        });
        Running {
            stops,
            tasks: vec![
                ("evaluator", engine),
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
