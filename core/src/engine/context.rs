//! What the engine gathers around the jobs of one tick (running runs, jobs
//! that are DOWN, maintenance windows, open alerts), and how it keeps track
//! of its own blindness: a restart after a gap, or the scheduler offline.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use telltale_model::status::beat_at;
use telltale_model::{
    Acks, Alert, AlertType, Blind, Evaluation, Job, JobContext, Level, Maintenance,
    MaintenanceWindow, NewAlert, NewEvent, RunningRun, SchedulerPresence, SourceType,
};
use telltale_store::{Store, StoreError};

pub(super) struct Surroundings {
    running: HashMap<String, RunningRun>,
    down: HashSet<String>,
    windows: Vec<MaintenanceWindow>,
    alerts: HashMap<String, Vec<Alert>>,
    blind: Option<Blind>,
    now: DateTime<Utc>,
}

impl Surroundings {
    /// Reads only what the jobs' policies need: running runs for jobs with
    /// a `max_runtime_seconds`, the state of the jobs named by `depends_on`.
    pub(super) async fn load(
        store: &Store,
        jobs: &[&Job],
        blind: Option<Blind>,
        now: DateTime<Utc>,
    ) -> Result<Self, StoreError> {
        let names: Vec<String> = jobs.iter().map(|j| j.name.clone()).collect();
        let mut alerts: HashMap<String, Vec<Alert>> = HashMap::new();
        for alert in store.open_alerts_for_jobs(&names).await? {
            if let Some(job) = alert.job_name.clone() {
                alerts.entry(job).or_default().push(alert);
            }
        }
        let timed: Vec<String> = jobs
            .iter()
            .filter(|j| j.policy.max_runtime_seconds.is_some())
            .map(|j| j.name.clone())
            .collect();
        let since = store.running_since(&timed).await?;
        let mut running = HashMap::new();
        for job in jobs {
            let (Some(started), Some(max)) = (since.get(&job.name), job.policy.max_runtime_seconds)
            else {
                continue;
            };
            // Which run it is matters only for the words of an overrun.
            // A start read from the database may lie so near the end of
            // time that its deadline does not exist: then it is not past.
            let overrun = started
                .checked_add_signed(chrono::Duration::seconds(i64::from(max)))
                .is_some_and(|deadline| now > deadline);
            let run = match overrun {
                true => store.oldest_running_run(&job.name).await?,
                false => None,
            };
            let run = run.unwrap_or_else(|| RunningRun {
                run_id: String::new(),
                started_at: *started,
            });
            running.insert(job.name.clone(), run);
        }
        let upstream: Vec<String> = jobs
            .iter()
            .filter_map(|j| j.policy.depends_on.clone())
            .collect();
        Ok(Self {
            running,
            down: store.down_among(&upstream).await?,
            windows: store.maintenance_windows().await?,
            alerts,
            blind,
            now,
        })
    }

    /// The context and open alerts of one job.
    pub(super) fn context(
        &mut self,
        job: &Job,
        expected: Option<DateTime<Utc>>,
        acks: Acks,
    ) -> (JobContext, Vec<Alert>) {
        // Of the windows covering the job now, the one that lasts longest
        // says until when its alerts stay quiet.
        let maintenance = self
            .windows
            .iter()
            .filter(|w| w.covers(&job.name))
            .filter_map(|w| Some((w.active_until(self.now)?, w)))
            .max_by_key(|(until, _)| *until)
            .map(|(until, w)| Maintenance {
                reason: w.describe(),
                until,
            });
        let ctx = JobContext {
            expected,
            running: self.running.remove(&job.name),
            upstream_down: job
                .policy
                .depends_on
                .clone()
                .filter(|up| self.down.contains(up)),
            maintenance,
            blind: self.blind.clone(),
            acks,
        };
        (ctx, self.alerts.remove(&job.name).unwrap_or_default())
    }
}

/// Notes when Telltale was blind and returns the blindness that applies now,
/// and whether sight just returned (then every job deserves a fresh look).
///
/// - At start-up (`first`), a gap since the last recorded tick longer than
///   `gap` means Telltale was not running for it.
/// - While a scheduler that was seen online (a `chief.heartbeat` fresh when
///   it arrived) is silent, Telltale cannot tell a job that did not run
///   from a signal that did not arrive: MISSED is held, for at most `hold`
///   after the silence began. A server that never saw a scheduler online is
///   never blind for one, whatever heartbeats arrive late or back-dated.
pub(super) async fn update_blindness(
    store: &Store,
    now: DateTime<Utc>,
    first: bool,
    gap: chrono::Duration,
    hold: chrono::Duration,
) -> Result<(Option<Blind>, bool), StoreError> {
    let mut blind = store.blind().await?;
    let mut returned = false;
    if first
        && let Some(last) = store.last_tick().await?
        && now - last > gap
    {
        let b = Blind {
            since: last,
            until: Some(now),
            cause: format!("Telltale was not running from {last} to {now}"),
            hold_until: None,
        };
        tracing::warn!(since = %last, until = %now, "restarted after a gap: MISSED held for jobs due in it");
        store.set_blind(&b).await?;
        blind = Some(b);
    }
    let latest = store.latest_scheduler_heartbeat().await?;
    let presence = SchedulerPresence::at(latest.as_ref(), now);
    let mut seen = store.scheduler_seen_online().await?;
    if let Some(beat) = &latest
        && SchedulerPresence::fresh_on_receipt(beat)
        && seen.is_none_or(|s| s < beat_at(beat))
    {
        store.record_scheduler_seen_online(beat_at(beat)).await?;
        seen = Some(beat_at(beat));
    }
    let ongoing = blind.as_ref().is_some_and(|b| b.until.is_none());
    if let Some(seen) = seen
        && !presence.online
        && !ongoing
    {
        let last = presence.last_heartbeat_at.map_or(seen, |at| at.max(seen));
        let since = last
            .checked_add_signed(chrono::Duration::seconds(presence.offline_after_seconds))
            .unwrap_or(last);
        let b = Blind {
            since,
            until: None,
            cause: format!("the scheduler has been silent since {since}"),
            hold_until: None,
        };
        tracing::warn!(%since, "scheduler silent: MISSED alerts held for a while");
        store.set_blind(&b).await?;
        blind = Some(b);
    } else if presence.online
        && ongoing
        && let Some(mut b) = blind.take()
    {
        b.until = Some(now);
        tracing::info!(since = %b.since, "scheduler back: held jobs re-evaluated");
        store.set_blind(&b).await?;
        blind = Some(b);
        returned = true;
    }
    if let Some(b) = &mut blind
        && b.until.is_none()
    {
        b.hold_until = Some(b.since.checked_add_signed(hold).unwrap_or(b.since));
    }
    Ok((blind, returned))
}

/// SCHEDULER_OFFLINE: opens once a silence begins (once per silence: one
/// closed by hand stays closed until the scheduler came back and went
/// silent again), closes when the scheduler is back. Returns the alerts
/// opened and how many closed.
pub(super) async fn scheduler_alert(
    store: &Store,
    blind: Option<&Blind>,
    now: DateTime<Utc>,
) -> Result<(Vec<Alert>, usize), StoreError> {
    let latest = store
        .latest_alert_of_type(AlertType::SchedulerOffline)
        .await?;
    let mut eval = Evaluation::default();
    match (blind.filter(|b| b.until.is_none()), &latest) {
        (Some(b), latest) if latest.as_ref().is_none_or(|a| a.opened_at < b.since) => {
            let held = b
                .hold_until
                .map(|end| format!("; MISSED alerts are held until {end} at most"))
                .unwrap_or_default();
            eval.open.push(NewAlert {
                alert_type: AlertType::SchedulerOffline,
                job_name: None,
                worker_id: None,
                run_id: None,
                reason: format!("{}{held}", b.cause),
                suppressed: None,
            });
        }
        (None, Some(a)) if a.status == telltale_model::AlertStatus::Open => {
            eval.close.push((a.id, "the scheduler is back".into()));
        }
        _ => return Ok((Vec::new(), 0)),
    }
    let closed = eval.close.len();
    let opened = store.apply_alert_changes(&eval, now).await?;
    for a in &opened {
        tracing::warn!(alert = a.alert_type.as_str(), reason = %a.reason, "alert opened");
    }
    Ok((opened, closed))
}

/// Writes a `worker_lost` event on the run a worker was running when it
/// went offline, so the run's timeline says so. The run's status is not
/// changed: the worker may come back and finish it, and only its producer
/// may call a run failed. The event id makes a retry harmless. Whether an
/// event was written.
pub(super) async fn mark_worker_lost(
    store: &Store,
    alert: &Alert,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let (Some(worker), Some(run_id)) = (&alert.worker_id, &alert.run_id) else {
        return Ok(false);
    };
    let job_name = store.get_run(run_id).await?.and_then(|r| r.job_name);
    let event = NewEvent {
        event_id: Some(format!("telltale:worker_lost:{}", alert.id)),
        source_type: SourceType::System,
        level: Level::Warn,
        event_type: "worker_lost".into(),
        message: format!(
            "worker {worker} went offline while running this run: {}",
            alert.reason
        ),
        event_at: now,
        job_name,
        run_id: Some(run_id.clone()),
        worker_id: None,
        script_path: None,
        metadata: serde_json::json!({ "worker_id": worker, "alert_id": alert.id }),
    };
    store.ingest(&[event], now).await?;
    Ok(true)
}
