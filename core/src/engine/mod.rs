//! The check engine: evaluates jobs against the alert rules of
//! `telltale_model::check` and records states, transitions and alerts.
//!
//! It runs as one task, woken by ingest (the jobs an ingest touched, at
//! once) and by a timer (jobs whose deadline passed). All time comes from a
//! [`Clock`], so tests drive it deterministically with [`Engine::tick`].

mod context;
mod heartbeat;
mod inbox;
mod run;

pub use heartbeat::SelfHeartbeat;
pub use inbox::EngineInbox;
pub use run::{EvaluatorParts, Retention, spawn, spawn_retention};

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use prometheus_client::metrics::histogram::Histogram;
use telltale_model::schedule::expected_start;
use telltale_model::{
    Acks, AlertType, CheckState, Evaluation, Job, JobContext, deadline, evaluate_job,
    evaluate_worker,
};
use telltale_store::{JobOutcome, JobUpdate, Store, StoreError};

use telltale_model::Change;
pub use telltale_model::clock::{Clock, ManualClock, SystemClock};

use context::Surroundings;

impl TickReport {
    /// What the tick changed, for the live stream.
    pub fn changes(&self) -> Vec<Change> {
        let mut out = Vec::new();
        if self.transitions > 0 {
            out.push(Change::Jobs);
        }
        if self.opened + self.closed + self.renotified > 0 {
            out.push(Change::Alerts);
        }
        // A `worker_lost` mark is an event on a run's timeline.
        if self.marks > 0 {
            out.extend([Change::Events, Change::Runs]);
        }
        out
    }
}

/// What one tick did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TickReport {
    pub evaluated: usize,
    pub transitions: usize,
    pub opened: usize,
    pub closed: usize,
    /// Open alerts notified again (a repeat, or a suppression that ended).
    pub renotified: usize,
    /// `worker_lost` events written on the runs of workers gone offline.
    pub marks: usize,
}

#[derive(Clone)]
pub struct Engine {
    store: Store,
    clock: Arc<dyn Clock>,
    /// A gap between ticks longer than this means Telltale was not running.
    blind_gap: chrono::Duration,
    /// When the last tick was written down (written at most every few
    /// seconds, not on every ingest wake-up).
    recorded_tick: Arc<Mutex<Option<DateTime<Utc>>>>,
    /// Each tick's duration, for the metrics (none in unit tests).
    tick_seconds: Option<Histogram>,
    /// How long MISSED is held while a scheduler that was online is silent.
    scheduler_hold: chrono::Duration,
}

impl Engine {
    pub fn new(store: Store, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            clock,
            blind_gap: chrono::Duration::seconds(60),
            recorded_tick: Arc::default(),
            tick_seconds: None,
            scheduler_hold: chrono::Duration::minutes(15),
        }
    }

    /// Sets how long MISSED alerts are held while a scheduler that was
    /// online is silent (`MONITOR_SCHEDULER_HOLD_SECONDS`).
    pub fn with_scheduler_hold(mut self, hold: chrono::Duration) -> Self {
        self.scheduler_hold = hold;
        self
    }

    /// Records each tick's duration (ok or failed) in `histogram`.
    pub fn with_tick_histogram(mut self, histogram: Histogram) -> Self {
        self.tick_seconds = Some(histogram);
        self
    }

    /// Sets how long a gap between ticks must be to count as Telltale having
    /// been down (at least a minute: a slow tick is not blindness).
    pub fn with_blind_gap(mut self, gap: chrono::Duration) -> Self {
        self.blind_gap = gap.max(chrono::Duration::seconds(60));
        self
    }

    /// Evaluates the jobs in `touched` and every job whose deadline has
    /// passed (every job at all when `all`), at the clock's now.
    pub async fn tick(&self, touched: &[String], all: bool) -> Result<TickReport, StoreError> {
        let start = std::time::Instant::now();
        let report = self.tick_unmeasured(touched, all).await;
        if let Some(h) = &self.tick_seconds {
            h.observe(start.elapsed().as_secs_f64());
        }
        report
    }

    async fn tick_unmeasured(
        &self,
        touched: &[String],
        all: bool,
    ) -> Result<TickReport, StoreError> {
        let now = self.clock.now();
        let (blind, sight_returned) =
            context::update_blindness(&self.store, now, all, self.blind_gap, self.scheduler_hold)
                .await?;
        let mut report = TickReport::default();
        let (opened, closed) = context::scheduler_alert(&self.store, blind.as_ref(), now).await?;
        report.opened += opened.len();
        report.closed += closed;
        // Once Telltale can see again, every held job gets a fresh look.
        let all = all || sight_returned;
        let jobs = self.store.jobs_to_evaluate(now, touched, all).await?;
        let left_down = self.evaluate(jobs, blind.clone(), now, &mut report).await?;
        // Jobs waiting on one that just came back: their MISSED is no longer
        // excused by it.
        if !left_down.is_empty() {
            let dependents = self.store.dependents_of(&left_down).await?;
            if !dependents.is_empty() {
                let jobs = self.store.jobs_to_evaluate(now, &dependents, false).await?;
                let jobs = jobs
                    .into_iter()
                    .filter(|(j, ..)| dependents.contains(&j.name))
                    .collect();
                self.evaluate(jobs, blind, now, &mut report).await?;
            }
        }
        self.tick_workers(now, &mut report).await?;
        self.record_tick(now).await?;
        Ok(report)
    }

    /// Evaluates `jobs` and records the outcome; returns the jobs that left
    /// DOWN. A job whose outcome is what is stored already is not written.
    async fn evaluate(
        &self,
        jobs: Vec<(Job, JobOutcome, Acks)>,
        blind: Option<telltale_model::Blind>,
        now: DateTime<Utc>,
        report: &mut TickReport,
    ) -> Result<Vec<String>, StoreError> {
        let mut evaluated = self.judge(jobs, blind, now).await?;
        self.judge_again_by_fresh_acks(&mut evaluated, now).await?;
        let (left_down, updates) = changes_to_write(evaluated, now, report);
        self.write_evaluations(&updates, now, report).await?;
        Ok(left_down)
    }

    /// Applies the alert rules to each job, in its surroundings.
    async fn judge(
        &self,
        jobs: Vec<(Job, JobOutcome, Acks)>,
        blind: Option<telltale_model::Blind>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Judged>, StoreError> {
        let refs: Vec<&Job> = jobs.iter().map(|(j, ..)| j).collect();
        let mut around = Surroundings::load(&self.store, &refs, blind, now).await?;
        let mut evaluated = Vec::with_capacity(jobs.len());
        for (job, stored, acks) in jobs {
            let expected = expected_start(&job);
            let acks = held(acks, &stored, expected);
            let (ctx, alerts) = around.context(&job, expected, acks);
            let (state, eval) = evaluate_job(&job, &ctx, stored.state, &alerts, now);
            evaluated.push((job, stored, ctx, alerts, state, eval));
        }
        Ok(evaluated)
    }

    /// What was closed by hand was read with the jobs, before their open
    /// alerts: an alert closed in between looks merely not open, and would
    /// open again. For the jobs about to open a FAILURE or MISSED, reads it
    /// again now that the open alerts are read, and judges them again if it
    /// changed.
    async fn judge_again_by_fresh_acks(
        &self,
        evaluated: &mut [Judged],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let opening: Vec<String> = evaluated
            .iter()
            .filter(|(.., eval)| opens_sticky(eval))
            .map(|(job, ..)| job.name.clone())
            .collect();
        if opening.is_empty() {
            return Ok(());
        }
        let fresh = self.store.acks_of(&opening).await?;
        for (job, stored, ctx, alerts, state, eval) in evaluated {
            let Some(acks) = fresh.get(&job.name) else {
                continue;
            };
            let acks = held(*acks, stored, ctx.expected);
            if opens_sticky(eval) && acks != ctx.acks {
                ctx.acks = acks;
                (*state, *eval) = evaluate_job(job, ctx, stored.state, alerts, now);
            }
        }
        Ok(())
    }

    /// Writes the evaluations in one go, counting and logging what they
    /// changed.
    async fn write_evaluations(
        &self,
        updates: &[JobUpdate],
        now: DateTime<Utc>,
        report: &mut TickReport,
    ) -> Result<(), StoreError> {
        for u in updates {
            report.transitions += usize::from(u.eval.transition.is_some());
            report.closed += u.eval.close.len();
            report.renotified += u.eval.repeat.len() + u.eval.unsuppress.len();
        }
        let opened = self.store.apply_evaluations(updates, now).await?;
        report.opened += opened.len();
        for alert in &opened {
            tracing::warn!(
                job = alert.job_name.as_deref(),
                alert = alert.alert_type.as_str(),
                reason = %alert.reason,
                suppressed = alert.suppressed.as_deref(),
                "alert opened"
            );
        }
        Ok(())
    }

    /// WORKER_OFFLINE for every worker (there are few; liveness changes by
    /// time alone, so each tick looks at all of them). A worker lost while
    /// running leaves a `worker_lost` event on its run's timeline.
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
        let acks = self.store.worker_acks().await?;
        for worker in self.store.list_workers().await? {
            let acked = acks.get(&worker.worker_id).copied();
            let eval = evaluate_worker(&worker, open.get(&worker.worker_id), acked, now);
            if eval.open.is_empty() && eval.close.is_empty() {
                continue;
            }
            let opened = self.store.apply_alert_changes(&eval, now).await?;
            report.closed += eval.close.len();
            report.opened += opened.len();
            for alert in opened {
                tracing::warn!(worker = %worker.worker_id, run = alert.run_id.as_deref(), reason = %alert.reason, "alert opened");
                if context::mark_worker_lost(&self.store, &alert, now).await? {
                    report.marks += 1;
                }
            }
        }
        Ok(())
    }

    async fn record_tick(&self, now: DateTime<Utc>) -> Result<(), StoreError> {
        let due = self
            .recorded_tick
            .lock()
            .map(|last| last.is_none_or(|t| now - t >= chrono::Duration::seconds(5)))
            .unwrap_or(true);
        if due {
            self.store.record_tick(now).await?;
            if let Ok(mut last) = self.recorded_tick.lock() {
                *last = Some(now);
            }
        }
        Ok(())
    }
}

/// What a job's hand-closed alerts hold, given what the engine last stored
/// about it and the run now `expected`. A MISSED closed by hand is about
/// the run expected when it opened: once another run is expected (the job
/// ran, or was told of a new run), a DOWN is a new incident, even when the
/// engine never saw it UP in between (a backlog sent at once). Compared as
/// stored: to the microsecond.
fn held(acks: Acks, stored: &JobOutcome, expected: Option<DateTime<Utc>>) -> Acks {
    let micros = |t: Option<DateTime<Utc>>| t.map(|t| t.timestamp_micros());
    Acks {
        missed: acks.missed && micros(stored.expected) == micros(expected),
        ..acks
    }
}

/// A job as judged: its row, its stored outcome, its context, its open
/// alerts, and the state and evaluation the rules gave.
type Judged = (
    Job,
    JobOutcome,
    JobContext,
    Vec<telltale_model::Alert>,
    CheckState,
    Evaluation,
);

/// Whether the evaluation opens an alert a hand close holds back.
fn opens_sticky(eval: &Evaluation) -> bool {
    eval.open
        .iter()
        .any(|a| matches!(a.alert_type, AlertType::Failure | AlertType::Missed))
}

/// The jobs that left DOWN, and the updates for the jobs whose outcome or
/// alerts changed.
fn changes_to_write(
    evaluated: Vec<Judged>,
    now: DateTime<Utc>,
    report: &mut TickReport,
) -> (Vec<String>, Vec<JobUpdate>) {
    let mut left_down = Vec::new();
    let mut updates = Vec::new();
    for (job, stored, ctx, alerts, state, eval) in evaluated {
        let outcome = JobOutcome {
            state,
            deadline: deadline(&job, &ctx, state, &alerts, &eval, now),
            expected: ctx.expected,
        };
        report.evaluated += 1;
        if stored.state == CheckState::Down && state != CheckState::Down {
            left_down.push(job.name.clone());
        }
        if let Some(t) = &eval.transition {
            tracing::info!(job = %job.name, from = t.from.as_str(), to = t.to.as_str(), reason = %t.reason, "check state changed");
        }
        if outcome != stored || eval != Evaluation::default() {
            updates.push(JobUpdate {
                job_name: job.name,
                outcome,
                eval,
            });
        }
    }
    (left_down, updates)
}
