//! What the rules are given about a job besides its own row, and what
//! they decide.

use chrono::{DateTime, Utc};

use crate::check::{CheckTransition, NewAlert};

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
