//! Check states and alerts: the pure rules. Given a job, its open alerts and
//! the time, say what the job's state is and which alerts open or close.
//! Level-triggered: evaluating twice at the same time changes nothing, so a
//! restart or a repeated tick cannot open an alert twice.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::job::Job;

/// Derived health of a job (Chief §11).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "UPPERCASE")]
pub enum CheckState {
    /// No sign of life yet, and nothing overdue.
    New,
    Up,
    /// Overdue, within the grace period.
    Late,
    /// Overdue past the grace period.
    Down,
    /// Checking is off for this job (`check_enabled: false`).
    Paused,
}

impl CheckState {
    pub const ALL: [CheckState; 5] = [Self::New, Self::Up, Self::Late, Self::Down, Self::Paused];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "NEW",
            Self::Up => "UP",
            Self::Late => "LATE",
            Self::Down => "DOWN",
            Self::Paused => "PAUSED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AlertType {
    Failure,
    Missed,
    Recovery,
    WorkerOffline,
}

impl AlertType {
    pub const ALL: [AlertType; 4] = [
        Self::Failure,
        Self::Missed,
        Self::Recovery,
        Self::WorkerOffline,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Failure => "FAILURE",
            Self::Missed => "MISSED",
            Self::Recovery => "RECOVERY",
            Self::WorkerOffline => "WORKER_OFFLINE",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "UPPERCASE")]
pub enum AlertStatus {
    Open,
    Closed,
}

impl AlertStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "OPEN",
            Self::Closed => "CLOSED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Open, Self::Closed]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// An incident: opened by a rule, closed by recovery, a TTL or a person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    pub id: i64,
    pub alert_type: AlertType,
    pub status: AlertStatus,
    pub job_name: Option<String>,
    pub worker_id: Option<String>,
    pub run_id: Option<String>,
    /// At most one open alert per key: `<type>:job:<name>` or `<type>:worker:<id>`.
    pub dedupe_key: String,
    /// Why it opened, in plain words.
    pub reason: String,
    pub opened_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub close_reason: Option<String>,
}

/// An alert to open (the store assigns the id).
#[derive(Debug, Clone, PartialEq)]
pub struct NewAlert {
    pub alert_type: AlertType,
    pub job_name: Option<String>,
    pub worker_id: Option<String>,
    pub run_id: Option<String>,
    pub reason: String,
}

impl NewAlert {
    pub fn dedupe_key(&self) -> String {
        match (&self.job_name, &self.worker_id) {
            (Some(job), _) => format!("{}:job:{job}", self.alert_type.as_str()),
            (None, Some(worker)) => format!("{}:worker:{worker}", self.alert_type.as_str()),
            (None, None) => self.alert_type.as_str().to_owned(),
        }
    }
}

/// One change of a job's check state, kept in an append-only log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CheckTransition {
    pub job_name: String,
    pub from: CheckState,
    pub to: CheckState,
    pub reason: String,
    pub at: DateTime<Utc>,
}

/// Which alerts a listing returns, newest first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", default)]
pub struct AlertFilter {
    pub status: Option<AlertStatus>,
    pub alert_type: Option<AlertType>,
    pub job: Option<String>,
    pub before: Option<i64>,
    pub limit: Option<u64>,
}

/// A RECOVERY alert closes by itself after this long (Chief §11.3).
pub const RECOVERY_TTL: Duration = Duration::seconds(900);

/// The state of `job` at `now`, and why.
pub fn check_state(job: &Job, now: DateTime<Utc>) -> (CheckState, String) {
    if !job.policy.check_enabled {
        return (
            CheckState::Paused,
            "checking is off (check_enabled: false)".into(),
        );
    }
    // Any start, success or failure is a first signal.
    let seen = job.last_heartbeat_at.is_some() || job.last_failure_at.is_some();
    let Some(expected) = job.expected_next_at else {
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
    let grace = Duration::seconds(i64::from(job.policy.grace_seconds));
    let overdue = now - expected;
    if overdue <= Duration::zero() {
        if seen {
            (CheckState::Up, format!("next run expected at {expected}"))
        } else {
            (CheckState::New, format!("first run expected at {expected}"))
        }
    } else if overdue <= grace {
        (
            CheckState::Late,
            format!(
                "expected at {expected}; {}s late, grace {}s",
                overdue.num_seconds(),
                grace.num_seconds()
            ),
        )
    } else {
        (
            CheckState::Down,
            format!(
                "expected at {expected}; no start within the {}s grace",
                grace.num_seconds()
            ),
        )
    }
}

/// When time alone could next change the job's state, so the evaluator
/// looks only at jobs that are due.
pub fn next_deadline(job: &Job, state: CheckState) -> Option<DateTime<Utc>> {
    let expected = job.expected_next_at?;
    match state {
        CheckState::New | CheckState::Up if job.last_heartbeat_at.is_none_or(|b| b < expected) => {
            Some(expected)
        }
        CheckState::Late => Some(expected + Duration::seconds(i64::from(job.policy.grace_seconds))),
        _ => None,
    }
}

/// What evaluating one job decided.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evaluation {
    pub transition: Option<CheckTransition>,
    pub open: Vec<NewAlert>,
    /// Alert ids to close, with the reason.
    pub close: Vec<(i64, String)>,
}

/// Applies the alert rules (Chief §11) to one job whose stored state is
/// `previous`, given its open alerts.
pub fn evaluate_job(
    job: &Job,
    previous: CheckState,
    open: &[Alert],
    now: DateTime<Utc>,
) -> (CheckState, Evaluation) {
    let (state, reason) = check_state(job, now);
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
    let find = |t: AlertType| open.iter().find(|a| a.alert_type == t);
    let alert = |t: AlertType, reason: String| NewAlert {
        alert_type: t,
        job_name: Some(job.name.clone()),
        worker_id: None,
        run_id: job.last_run_id.clone(),
        reason,
    };
    let mut recovered = false;

    // FAILURE: open while the latest runs failed; close on a success.
    let failing = job.consecutive_failures > 0;
    match find(AlertType::Failure) {
        None if failing && job.policy.alert_on_failure => eval.open.push(alert(
            AlertType::Failure,
            format!(
                "{} consecutive failed run(s); last: {}",
                job.consecutive_failures,
                job.last_run_id.as_deref().unwrap_or("?")
            ),
        )),
        Some(a) if !failing => {
            eval.close.push((a.id, "a later run completed".into()));
            recovered = true;
        }
        _ => {}
    }

    // MISSED: open when the check is DOWN; close when it is up again.
    match find(AlertType::Missed) {
        None if state == CheckState::Down && job.policy.alert_on_miss => {
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
    (state, eval)
}

/// WORKER_OFFLINE opens when a worker that reported a run stops sending
/// heartbeats past its offline threshold, and closes when heartbeats resume.
pub fn evaluate_worker(
    worker: &crate::worker::Worker,
    open: Option<&Alert>,
    now: DateTime<Utc>,
) -> Evaluation {
    use crate::worker::WorkerStatus;
    let offline = worker.status(now) == WorkerStatus::Offline;
    let mut eval = Evaluation::default();
    match (open, worker.last_heartbeat_at, &worker.current_run_id) {
        (None, Some(beat), Some(run)) if offline => eval.open.push(NewAlert {
            alert_type: AlertType::WorkerOffline,
            job_name: None,
            worker_id: Some(worker.worker_id.clone()),
            run_id: Some(run.clone()),
            reason: format!(
                "no heartbeat since {beat} (offline after {}s) while running {run}",
                worker.offline_after().num_seconds()
            ),
        }),
        (Some(a), _, _) if !offline => eval.close.push((a.id, "heartbeats resumed".into())),
        _ => {}
    }
    eval
}

#[cfg(test)]
mod tests;
