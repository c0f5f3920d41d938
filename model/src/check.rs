//! Check states and alerts: the pure rules. Given a job, its open alerts and
//! the time, say what the job's state is and which alerts open or close.
//! Level-triggered: evaluating twice at the same time changes nothing, so a
//! restart or a repeated tick cannot open an alert twice.

mod rules;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

pub use rules::{
    Acks, Blind, Evaluation, JobContext, Maintenance, RunningRun, check_state, deadline,
    evaluate_job, evaluate_worker,
};

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

/// A job as a person should read it at a glance: its check state, except
/// that an open FAILURE alert makes it FAILING whatever the clock says. The
/// check state measures timeliness only, and a job that runs on time but
/// fails every run is not fine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "UPPERCASE")]
pub enum JobHealth {
    /// Its FAILURE alert is open.
    Failing,
    Down,
    Late,
    Up,
    New,
    Paused,
}

impl JobHealth {
    /// Worst first: the order the dashboard lists and counts them in.
    pub const ALL: [JobHealth; 6] = [
        Self::Failing,
        Self::Down,
        Self::Late,
        Self::Up,
        Self::New,
        Self::Paused,
    ];

    /// `failing`: the job has an open FAILURE alert.
    pub fn of(state: CheckState, failing: bool) -> JobHealth {
        if failing {
            return Self::Failing;
        }
        match state {
            CheckState::Down => Self::Down,
            CheckState::Late => Self::Late,
            CheckState::Up => Self::Up,
            CheckState::New => Self::New,
            CheckState::Paused => Self::Paused,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Failing => "FAILING",
            Self::Down => "DOWN",
            Self::Late => "LATE",
            Self::Up => "UP",
            Self::New => "NEW",
            Self::Paused => "PAUSED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// Whether someone should look: failing, down or late.
    pub fn is_alarm(self) -> bool {
        matches!(self, Self::Failing | Self::Down | Self::Late)
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
    /// A scheduler that was online went silent: MISSED alerts are held (for
    /// a while) because Telltale cannot tell a run that did not happen
    /// from a signal that did not arrive.
    SchedulerOffline,
}

impl AlertType {
    pub const ALL: [AlertType; 5] = [
        Self::Failure,
        Self::Missed,
        Self::Recovery,
        Self::WorkerOffline,
        Self::SchedulerOffline,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Failure => "FAILURE",
            Self::Missed => "MISSED",
            Self::Recovery => "RECOVERY",
            Self::WorkerOffline => "WORKER_OFFLINE",
            Self::SchedulerOffline => "SCHEDULER_OFFLINE",
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
    /// Why it is recorded but not notified (maintenance, `depends_on`);
    /// `None` when it is notified.
    pub suppressed: Option<String>,
    /// When people were last told (opening, a repeat, or the end of its
    /// suppression); `None` while suppressed from the start.
    pub notified_at: Option<DateTime<Utc>>,
    /// How many times people were told.
    pub notify_count: u32,
    /// Where its deliveries stand, in lists of alerts (`GET /v1/alerts`,
    /// the alerts page); absent elsewhere, as in a webhook's payload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deliveries: Option<crate::DeliveryTally>,
}

/// An alert to open (the store assigns the id).
#[derive(Debug, Clone, PartialEq)]
pub struct NewAlert {
    pub alert_type: AlertType,
    pub job_name: Option<String>,
    pub worker_id: Option<String>,
    pub run_id: Option<String>,
    pub reason: String,
    pub suppressed: Option<String>,
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

#[cfg(test)]
mod tests;
