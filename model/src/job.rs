use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How a job's health is checked. Producers set it through event metadata
/// (the keys are the snake_case field names: `check_enabled`, `grace_seconds`,
/// `schedule`, `timezone`, `max_runtime_seconds`, …); a key absent from an
/// event leaves it unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct CheckPolicy {
    pub check_enabled: bool,
    pub grace_seconds: u32,
    pub alert_on_failure: bool,
    pub alert_on_miss: bool,
    /// `every 15m` or a cron expression; interpreted by the check engine.
    pub schedule: Option<String>,
    /// IANA time zone of a cron schedule.
    pub timezone: Option<String>,
    /// A shorter grace for a run that has not started at all (LATE→DOWN
    /// sooner than `grace_seconds`).
    pub start_grace_seconds: Option<u32>,
    /// A run still running this long after its start makes the job DOWN
    /// (`overrun`).
    pub max_runtime_seconds: Option<u32>,
    /// A run that completes faster than this counts as failed (`too_fast`).
    pub min_runtime_seconds: Option<u32>,
    /// FAILURE opens only after this many consecutive failed runs.
    pub failure_threshold: u32,
    /// Re-notify this often while an alert stays open.
    pub repeat_interval_seconds: Option<u32>,
    /// A job this one needs: its MISSED alerts are suppressed while that job
    /// is DOWN.
    pub depends_on: Option<String>,
}

impl CheckPolicy {
    /// Policy keys whose value is a number (ranges in `metadata::RANGES`).
    pub const NUMBER_KEYS: &'static [&'static str] = &[
        "grace_seconds",
        "start_grace_seconds",
        "max_runtime_seconds",
        "min_runtime_seconds",
        "repeat_interval_seconds",
        "failure_threshold",
    ];

    /// Policy keys that are `true` or `false`.
    pub const FLAG_KEYS: &'static [&'static str] =
        &["check_enabled", "alert_on_failure", "alert_on_miss"];

    /// The grace a missing start gets: `start_grace_seconds` when it is the
    /// shorter clock.
    pub fn start_grace(&self) -> u32 {
        self.start_grace_seconds
            .map_or(self.grace_seconds, |s| s.min(self.grace_seconds))
    }
}

impl Default for CheckPolicy {
    fn default() -> Self {
        Self {
            check_enabled: true,
            grace_seconds: 300,
            alert_on_failure: true,
            alert_on_miss: true,
            schedule: None,
            timezone: None,
            start_grace_seconds: None,
            max_runtime_seconds: None,
            min_runtime_seconds: None,
            failure_threshold: 1,
            repeat_interval_seconds: None,
            depends_on: None,
        }
    }
}

/// A named, usually recurring unit of work, derived from its runs' events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct Job {
    pub name: String,
    pub first_seen_at: DateTime<Utc>,
    pub last_event_at: DateTime<Utc>,
    /// Newest start or completion: the job's sign of life.
    pub last_heartbeat_at: Option<DateTime<Utc>>,
    pub last_run_id: Option<String>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_failure_at: Option<DateTime<Utc>>,
    pub consecutive_failures: u32,
    /// Failed runs ever counted: never reset, so "a run failed after this
    /// alert was closed" is a comparison, not a guess from clocks.
    #[serde(default)]
    pub failures_total: u64,
    /// Why the latest failed run failed, verbatim (or `too_fast: …`).
    pub last_failure_reason: Option<String>,
    /// The run that failed last (absent when the failure named none).
    #[serde(default)]
    pub last_failure_run_id: Option<String>,
    /// When the next run should start (`job.next_scheduled`, or the schedule).
    pub expected_next_at: Option<DateTime<Utc>>,
    pub policy: CheckPolicy,
    /// What operators set (`/v1/jobs`, the dashboard); ingest never writes it.
    #[serde(default)]
    pub managed: Managed,
}

/// What operators set on a job. Ingest never writes it; the fold reads
/// `operator_keys` to leave those policy keys to the operator.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", default)]
pub struct Managed {
    /// Policy keys an operator set: a producer's value for them is ignored
    /// (and named in the ingest answer's `warnings`).
    pub operator_keys: Vec<String>,
    /// Retired: checks stopped, its alerts closed; its history is kept.
    pub retired_at: Option<DateTime<Utc>>,
    pub description: Option<String>,
    pub tags: Vec<String>,
    /// Channels told of this job's alerts whatever their routing says.
    pub channels: Vec<String>,
}

impl CheckPolicy {
    /// Policy keys whose value is text.
    pub const TEXT_KEYS: &'static [&'static str] = &["schedule", "timezone", "depends_on"];

    /// Every key of `meta` that names a policy setting.
    pub fn keys() -> impl Iterator<Item = &'static str> {
        Self::FLAG_KEYS
            .iter()
            .chain(Self::NUMBER_KEYS)
            .chain(Self::TEXT_KEYS)
            .copied()
    }

    pub fn is_key(key: &str) -> bool {
        Self::keys().any(|k| k == key)
    }

    /// Sets every policy key of `meta` whose value can be accepted, as a
    /// producer's event would (an explicit null clears an optional key).
    pub fn set_from(&mut self, meta: &serde_json::Map<String, serde_json::Value>) {
        crate::transition::set_policy(self, meta);
    }
}

impl Job {
    /// A job first seen at `at`, with nothing known about it yet.
    pub fn new(name: &str, at: DateTime<Utc>) -> Self {
        Job {
            name: name.to_owned(),
            first_seen_at: at,
            last_event_at: at,
            last_heartbeat_at: None,
            last_run_id: None,
            last_success_at: None,
            last_failure_at: None,
            consecutive_failures: 0,
            failures_total: 0,
            last_failure_reason: None,
            last_failure_run_id: None,
            expected_next_at: None,
            policy: CheckPolicy::default(),
            managed: Managed::default(),
        }
    }
}
