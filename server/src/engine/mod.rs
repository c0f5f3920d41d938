//! The check engine: evaluates jobs against the alert rules of
//! `telltale_model::check` and records states, transitions and alerts.
//!
//! It runs as one task, woken by ingest (the jobs an ingest touched, at
//! once) and by a timer (jobs whose deadline passed). All time comes from a
//! [`Clock`], so tests drive it deterministically with [`Engine::tick`].

mod clock;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use telltale_model::{
    AlertStatus, AlertType, RECOVERY_TTL, evaluate_job, evaluate_worker, next_deadline,
};
use telltale_store::{Store, StoreError};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

pub use clock::{Clock, ManualClock, SystemClock};

/// What one tick did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TickReport {
    pub evaluated: usize,
    pub transitions: usize,
    pub opened: usize,
    pub closed: usize,
}

#[derive(Clone)]
pub struct Engine {
    store: Store,
    clock: Arc<dyn Clock>,
}

impl Engine {
    pub fn new(store: Store, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    /// Evaluates the jobs in `touched` and every job whose deadline has
    /// passed (every job at all when `all`), at the clock's now.
    pub async fn tick(&self, touched: &[String], all: bool) -> Result<TickReport, StoreError> {
        let now = self.clock.now();
        let jobs = self.store.jobs_to_evaluate(now, touched, all).await?;
        let names: Vec<String> = jobs.iter().map(|(j, _)| j.name.clone()).collect();
        let mut open: HashMap<String, Vec<telltale_model::Alert>> = HashMap::new();
        for alert in self.store.open_alerts_for_jobs(&names).await? {
            if let Some(job) = alert.job_name.clone() {
                open.entry(job).or_default().push(alert);
            }
        }
        let mut report = TickReport::default();
        for (job, previous) in jobs {
            let alerts = open.remove(&job.name).unwrap_or_default();
            let (state, eval) = evaluate_job(&job, previous, &alerts, now);
            let deadline = deadline(&job, state, &alerts, &eval, now);
            let opened = self
                .store
                .apply_evaluation(&job.name, state, deadline, &eval, now)
                .await?;
            report.evaluated += 1;
            report.transitions += usize::from(eval.transition.is_some());
            report.closed += eval.close.len();
            report.opened += opened.len();
            for alert in &opened {
                tracing::warn!(
                    job = %job.name,
                    alert = alert.alert_type.as_str(),
                    reason = %alert.reason,
                    "alert opened"
                );
            }
            if let Some(t) = &eval.transition {
                tracing::info!(job = %job.name, from = t.from.as_str(), to = t.to.as_str(), reason = %t.reason, "check state changed");
            }
        }
        self.tick_workers(now, &mut report).await?;
        Ok(report)
    }

    /// WORKER_OFFLINE for every worker (there are few; liveness changes by
    /// time alone, so each tick looks at all of them).
    async fn tick_workers(
        &self,
        now: DateTime<Utc>,
        report: &mut TickReport,
    ) -> Result<(), StoreError> {
        let open: HashMap<String, telltale_model::Alert> = self
            .store
            .open_worker_alerts()
            .await?
            .into_iter()
            .filter(|a| a.alert_type == AlertType::WorkerOffline)
            .filter_map(|a| Some((a.worker_id.clone()?, a)))
            .collect();
        for worker in self.store.list_workers().await? {
            let eval = evaluate_worker(&worker, open.get(&worker.worker_id), now);
            if eval.open.is_empty() && eval.close.is_empty() {
                continue;
            }
            let opened = self.store.apply_alert_changes(&eval, now).await?;
            report.closed += eval.close.len();
            report.opened += opened.len();
            for alert in opened {
                tracing::warn!(worker = %worker.worker_id, run = alert.run_id.as_deref(), reason = %alert.reason, "alert opened");
            }
        }
        Ok(())
    }
}

/// The earliest time at which time alone can change this job's outcome:
/// its check deadline, or the expiry of an open RECOVERY.
fn deadline(
    job: &telltale_model::Job,
    state: telltale_model::CheckState,
    alerts: &[telltale_model::Alert],
    eval: &telltale_model::Evaluation,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let closed: HashSet<i64> = eval.close.iter().map(|(id, _)| *id).collect();
    let recovery_expiry = alerts
        .iter()
        .filter(|a| a.alert_type == AlertType::Recovery && a.status == AlertStatus::Open)
        .filter(|a| !closed.contains(&a.id))
        .map(|a| a.opened_at + RECOVERY_TTL)
        .chain(
            eval.open
                .iter()
                .filter(|a| a.alert_type == AlertType::Recovery)
                .map(|_| now + RECOVERY_TTL),
        )
        .min();
    match (next_deadline(job, state), recovery_expiry) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// How ingest tells the engine which jobs just changed.
#[derive(Clone, Default)]
pub struct EngineInbox {
    pending: Arc<Mutex<HashSet<String>>>,
    wake: Arc<Notify>,
}

impl EngineInbox {
    pub fn touch<'a>(&self, jobs: impl IntoIterator<Item = &'a str>) {
        let mut any = false;
        if let Ok(mut pending) = self.pending.lock() {
            for job in jobs {
                any |= pending.insert(job.to_owned());
            }
        }
        if any {
            self.wake.notify_one();
        }
    }

    fn take(&self) -> Vec<String> {
        self.pending
            .lock()
            .map(|mut p| p.drain().collect())
            .unwrap_or_default()
    }
}

/// Runs the engine until `stop` is notified: every job once at start (a
/// restart may have missed deadlines), then touched jobs as ingest reports
/// them and due jobs every `interval`.
pub fn spawn(
    engine: Engine,
    inbox: EngineInbox,
    interval: Duration,
    stop: Arc<Notify>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut timer = tokio::time::interval(interval);
        timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut all = true;
        loop {
            tokio::select! {
                () = stop.notified() => break,
                _ = timer.tick() => {}
                () = inbox.wake.notified() => {}
            }
            let touched = inbox.take();
            match engine.tick(&touched, all).await {
                Ok(report) => {
                    all = false;
                    if report.opened + report.closed + report.transitions > 0 {
                        tracing::debug!(?report, "engine tick");
                    }
                }
                Err(e) => {
                    // Retry these jobs on the next tick.
                    inbox.touch(touched.iter().map(String::as_str));
                    tracing::error!(error = %e, "engine tick failed");
                }
            }
        }
        tracing::info!("engine stopped");
    })
}

/// Prunes events older than `retention_days` every `interval` (the first
/// time at start-up), until `stop` is notified.
pub fn spawn_retention(
    store: Store,
    clock: Arc<dyn Clock>,
    retention_days: u32,
    interval: Duration,
    stop: Arc<Notify>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut timer = tokio::time::interval(interval);
        timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = stop.notified() => break,
                _ = timer.tick() => {}
            }
            let cutoff = clock.now() - chrono::Duration::days(i64::from(retention_days));
            match store.prune_events(cutoff).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(pruned = n, %cutoff, "retention pruned old events"),
                Err(e) => tracing::error!(error = %e, "retention failed; retrying next interval"),
            }
        }
        tracing::info!("retention stopped");
    })
}
