//! The rules: given a job, what the engine knows around it, its open alerts
//! and the time, say what the job's state is and which alerts open, close,
//! repeat or stop being suppressed. Level-triggered: evaluating twice at the
//! same time changes nothing, so a restart or a repeated tick cannot open an
//! alert twice.

use chrono::{DateTime, Duration, Utc};

use super::{Alert, AlertType, CheckState, CheckTransition, NewAlert, RECOVERY_TTL};
use crate::job::Job;

/// A run of the job that has started and not finished.
#[derive(Debug, Clone, PartialEq)]
pub struct RunningRun {
    pub run_id: String,
    pub started_at: DateTime<Utc>,
}

/// A time when Telltale could not see: it was not running, or the
/// scheduler that relays the jobs' signals was offline. A run expected in
/// that window is not called missed until Telltale has seen again for a
/// full grace period.
#[derive(Debug, Clone, PartialEq)]
pub struct Blind {
    pub since: DateTime<Utc>,
    /// `None` while it lasts.
    pub until: Option<DateTime<Utc>>,
    pub cause: String,
    /// While it lasts, MISSED is held at most until then; past it, a job
    /// that is overdue goes DOWN with the cause in its reason. `None`:
    /// held for as long as it lasts.
    pub hold_until: Option<DateTime<Utc>>,
}

/// A maintenance window covering the job now.
#[derive(Debug, Clone, PartialEq)]
pub struct Maintenance {
    pub reason: String,
    pub until: DateTime<Utc>,
}

/// What the engine knows about a job beyond its own row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JobContext {
    /// When the next run should start (`schedule::expected_start`).
    pub expected: Option<DateTime<Utc>>,
    /// The oldest of the job's runs still running.
    pub running: Option<RunningRun>,
    /// The job named by `depends_on`, when it is DOWN.
    pub upstream_down: Option<String>,
    pub maintenance: Option<Maintenance>,
    pub blind: Option<Blind>,
    /// What people closed by hand: those alerts stay closed for their
    /// incident.
    pub acks: Acks,
}

/// Alerts of a job closed by hand, and the incident each belonged to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Acks {
    /// `failures_total` when a FAILURE was last closed by hand: it reopens
    /// only once a run fails after that.
    pub failures: u64,
    /// A MISSED was closed by hand while the job was DOWN: it reopens only
    /// once the job has been UP again and goes DOWN again.
    pub missed: bool,
}

/// What evaluating one job decided.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evaluation {
    pub transition: Option<CheckTransition>,
    pub open: Vec<NewAlert>,
    /// Alert ids to close, with the reason.
    pub close: Vec<(i64, String)>,
    /// Open alerts whose suppression ended: notify now.
    pub unsuppress: Vec<i64>,
    /// Open alerts due for a repeated notification.
    pub repeat: Vec<i64>,
}

fn secs(n: u32) -> Duration {
    Duration::seconds(i64::from(n))
}

/// `t + d`, saturating at the ends of time instead of panicking: no time or
/// number a producer sends can make the rules panic.
pub(crate) fn plus(t: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    t.checked_add_signed(d).unwrap_or(if d < Duration::zero() {
        DateTime::<Utc>::MIN_UTC
    } else {
        DateTime::<Utc>::MAX_UTC
    })
}

/// The state of `job` at `now`, and why.
pub fn check_state(job: &Job, ctx: &JobContext, now: DateTime<Utc>) -> (CheckState, String) {
    let policy = &job.policy;
    if !policy.check_enabled {
        return (
            CheckState::Paused,
            "checking is off (check_enabled: false)".into(),
        );
    }
    if let (Some(run), Some(max)) = (&ctx.running, policy.max_runtime_seconds)
        && now > plus(run.started_at, secs(max))
    {
        return (
            CheckState::Down,
            format!(
                "overrun: run {} started at {} is still running after max_runtime_seconds {max}",
                run.run_id, run.started_at
            ),
        );
    }
    // Any start, success or failure is a first signal.
    let seen = job.last_heartbeat_at.is_some() || job.last_failure_at.is_some();
    let Some(expected) = ctx.expected else {
        return if seen {
            (CheckState::Up, "runs seen; no next run expected".into())
        } else {
            (CheckState::New, "no run seen yet".into())
        };
    };
    // The expected run came: the job is up until the next expectation.
    if job.last_heartbeat_at.is_some_and(|beat| beat >= expected) {
        return (CheckState::Up, "the expected run started".into());
    }
    let grace = secs(policy.start_grace());
    let grace_name = if policy.start_grace() < policy.grace_seconds {
        "start_grace_seconds"
    } else {
        "grace"
    };
    let overdue = now - expected;
    if overdue <= Duration::zero() {
        return if seen {
            (CheckState::Up, format!("next run expected at {expected}"))
        } else {
            (CheckState::New, format!("first run expected at {expected}"))
        };
    }
    let mut down_at = plus(expected, grace);
    let mut counted_from = String::new();
    if let Some(blind) = &ctx.blind
        && down_at >= blind.since
    {
        match blind.until {
            None if now > down_at => match blind.hold_until {
                Some(end) if now > end => {
                    counted_from = format!(
                        "; {} (MISSED was held until {end} and is no longer)",
                        blind.cause
                    );
                }
                _ => {
                    return (
                        CheckState::Late,
                        format!(
                            "monitor_blind: expected at {expected}; MISSED held while {}",
                            blind.cause
                        ),
                    );
                }
            },
            Some(until) if expected < until => {
                down_at = down_at.max(plus(until, grace));
                counted_from = format!(
                    " (grace counted from {until}, when Telltale could see again after {})",
                    blind.cause
                );
            }
            _ => {}
        }
    }
    if now <= down_at {
        (
            CheckState::Late,
            format!(
                "expected at {expected}; {}s late, {grace_name} {}s{counted_from}",
                overdue.num_seconds(),
                grace.num_seconds()
            ),
        )
    } else {
        (
            CheckState::Down,
            format!(
                "expected at {expected}; no start within the {}s {grace_name}{counted_from}",
                grace.num_seconds()
            ),
        )
    }
}

/// Applies the alert rules (Chief §11, plus noise control) to one job whose
/// stored state is `previous`, given its open alerts.
pub fn evaluate_job(
    job: &Job,
    ctx: &JobContext,
    previous: CheckState,
    open: &[Alert],
    now: DateTime<Utc>,
) -> (CheckState, Evaluation) {
    let policy = &job.policy;
    let (state, reason) = check_state(job, ctx, now);
    let mut eval = Evaluation::default();
    if state != previous {
        eval.transition = Some(CheckTransition {
            job_name: job.name.clone(),
            from: previous,
            to: state,
            reason: reason.clone(),
            at: now,
        });
    }
    let maintenance = ctx.maintenance.as_ref().map(|m| m.reason.clone());
    let suppression = |t: AlertType| match t {
        AlertType::Missed => maintenance.clone().or_else(|| {
            ctx.upstream_down
                .as_ref()
                .map(|up| format!("depends_on: job {up} is DOWN"))
        }),
        _ => maintenance.clone(),
    };
    let find = |t: AlertType| open.iter().find(|a| a.alert_type == t);
    let alert = |t: AlertType, reason: String| NewAlert {
        alert_type: t,
        job_name: Some(job.name.clone()),
        worker_id: None,
        // A FAILURE names the run that failed, never merely the latest one.
        run_id: match t {
            AlertType::Failure => job.last_failure_run_id.clone(),
            _ => job.last_run_id.clone(),
        },
        reason,
        suppressed: suppression(t),
    };
    let mut recovered = false;

    // FAILURE: open once the latest runs failed `failure_threshold` times in
    // a row, and a run failed since one was last closed by hand; close on a
    // success.
    // `!=`, not `>`: the count only grows, except when a job row that could
    // not be read was started afresh (its old ack then stands above it), and
    // a stale ack must not hold back that job's failures.
    let failing = job.consecutive_failures >= policy.failure_threshold.max(1)
        && job.failures_total != ctx.acks.failures;
    match find(AlertType::Failure) {
        None if failing && policy.alert_on_failure => {
            let last = match &job.last_failure_run_id {
                Some(run) => format!("; last: {run}"),
                None => String::new(),
            };
            let why = job
                .last_failure_reason
                .as_deref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default();
            eval.open.push(alert(
                AlertType::Failure,
                format!(
                    "{} consecutive failed run(s){last}{why}",
                    job.consecutive_failures
                ),
            ));
        }
        Some(a) if job.consecutive_failures == 0 => {
            eval.close.push((a.id, "a later run completed".into()));
            recovered = true;
        }
        _ => {}
    }

    // MISSED: open when the check is DOWN (unless closed by hand in this
    // same DOWN); close when it is up again.
    match find(AlertType::Missed) {
        None if state == CheckState::Down && policy.alert_on_miss && !ctx.acks.missed => {
            eval.open.push(alert(AlertType::Missed, reason.clone()))
        }
        Some(a) if matches!(state, CheckState::Up | CheckState::New) => {
            eval.close.push((a.id, "the job ran again".into()));
            recovered = true;
        }
        Some(a) if state == CheckState::Paused => {
            eval.close.push((a.id, "checking was turned off".into()));
        }
        _ => {}
    }

    // RECOVERY: transient; closes on the next heartbeat or after the TTL.
    match find(AlertType::Recovery) {
        Some(a) if !recovered => {
            if job.last_heartbeat_at.is_some_and(|beat| beat > a.opened_at) {
                eval.close.push((a.id, "next heartbeat".into()));
            } else if now - a.opened_at >= RECOVERY_TTL {
                eval.close.push((
                    a.id,
                    format!("expired after {}s", RECOVERY_TTL.num_seconds()),
                ));
            }
        }
        None if recovered => eval.open.push(alert(
            AlertType::Recovery,
            "the job is healthy again".into(),
        )),
        _ => {}
    }

    // Alerts that stay open: tell people once a suppression ends, and again
    // every `repeat_interval_seconds` while nobody has fixed it.
    for a in open {
        if eval.close.iter().any(|(id, _)| *id == a.id) {
            continue;
        }
        if a.suppressed.is_some() {
            if suppression(a.alert_type).is_none() {
                eval.unsuppress.push(a.id);
            }
        } else if let Some(due) = repeat_due(job, a)
            && now >= due
        {
            eval.repeat.push(a.id);
        }
    }
    (state, eval)
}

/// When an open, notified FAILURE or MISSED is next re-notified.
fn repeat_due(job: &Job, a: &Alert) -> Option<DateTime<Utc>> {
    let every = job.policy.repeat_interval_seconds.filter(|s| *s > 0)?;
    if !matches!(a.alert_type, AlertType::Failure | AlertType::Missed) || a.suppressed.is_some() {
        return None;
    }
    Some(plus(a.notified_at.unwrap_or(a.opened_at), secs(every)))
}

/// The earliest time after `now` at which time alone can change this job's
/// outcome: its check deadline, an overrun, the expiry of a RECOVERY, a
/// repeat, or the end of a maintenance window that suppresses an alert.
pub fn deadline(
    job: &Job,
    ctx: &JobContext,
    state: CheckState,
    alerts: &[Alert],
    eval: &Evaluation,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let mut times: Vec<DateTime<Utc>> = Vec::new();
    if state != CheckState::Paused {
        if let Some(expected) = ctx.expected {
            let grace = secs(job.policy.start_grace());
            let mut down_at = plus(expected, grace);
            if let Some(b) = &ctx.blind
                && let Some(until) = b.until
                && down_at >= b.since
                && expected < until
            {
                down_at = down_at.max(plus(until, grace));
            }
            times.push(expected);
            times.push(plus(down_at, Duration::microseconds(1)));
            // A hold ends by time alone.
            if let Some(b) = &ctx.blind
                && b.until.is_none()
                && let Some(end) = b.hold_until
            {
                times.push(plus(end, Duration::microseconds(1)));
            }
        }
        if let (Some(run), Some(max)) = (&ctx.running, job.policy.max_runtime_seconds) {
            times.push(plus(
                plus(run.started_at, secs(max)),
                Duration::microseconds(1),
            ));
        }
    }
    let closed = |id: i64| eval.close.iter().any(|(c, _)| *c == id);
    for a in alerts.iter().filter(|a| !closed(a.id)) {
        if a.alert_type == AlertType::Recovery {
            times.push(plus(a.opened_at, RECOVERY_TTL));
        }
        // Notified in this very evaluation: the next repeat counts from now.
        let notified_now = eval.repeat.contains(&a.id) || eval.unsuppress.contains(&a.id);
        let a = &Alert {
            notified_at: if notified_now {
                Some(now)
            } else {
                a.notified_at
            },
            suppressed: if eval.unsuppress.contains(&a.id) {
                None
            } else {
                a.suppressed.clone()
            },
            ..a.clone()
        };
        if let Some(due) = repeat_due(job, a) {
            times.push(due);
        }
        if a.suppressed.is_some()
            && let Some(m) = &ctx.maintenance
        {
            times.push(m.until);
        }
    }
    for new in &eval.open {
        if new.alert_type == AlertType::Recovery {
            times.push(plus(now, RECOVERY_TTL));
        }
        if new.suppressed.is_some()
            && let Some(m) = &ctx.maintenance
        {
            times.push(m.until);
        }
        if new.suppressed.is_none()
            && matches!(new.alert_type, AlertType::Failure | AlertType::Missed)
            && let Some(every) = job.policy.repeat_interval_seconds.filter(|s| *s > 0)
        {
            times.push(plus(now, secs(every)));
        }
    }
    times.into_iter().filter(|t| *t > now).min()
}

/// WORKER_OFFLINE opens when a worker that reported a run stops sending
/// heartbeats past its offline threshold, and closes when heartbeats resume.
///
/// `acked_beat` is the heartbeat the worker had last sent when a
/// WORKER_OFFLINE about it was closed by hand: while that is still its
/// newest, it has not come back, and the closed alert stays closed.
pub fn evaluate_worker(
    worker: &crate::worker::Worker,
    open: Option<&Alert>,
    acked_beat: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Evaluation {
    use crate::worker::WorkerStatus;
    let offline = worker.status(now) == WorkerStatus::Offline;
    let mut eval = Evaluation::default();
    let acked = acked_beat.is_some() && acked_beat == worker.last_heartbeat_at;
    match (open, worker.last_heartbeat_at, &worker.current_run_id) {
        (None, Some(beat), Some(run)) if offline && !acked => eval.open.push(NewAlert {
            alert_type: AlertType::WorkerOffline,
            job_name: None,
            worker_id: Some(worker.worker_id.clone()),
            run_id: Some(run.clone()),
            reason: format!(
                "no heartbeat since {beat} (offline after {}s) while running {run}",
                worker.offline_after().num_seconds()
            ),
            suppressed: None,
        }),
        (Some(a), _, _) if !offline => eval.close.push((a.id, "heartbeats resumed".into())),
        _ => {}
    }
    eval
}
