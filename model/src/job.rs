use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How a job's health is checked. Producers set it through event metadata
/// (`check_enabled`, `grace_seconds`, `alert_on_failure`, `alert_on_miss`,
/// `schedule`, `timezone`); a key absent from an event leaves it unchanged.
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
    /// When the next run should start (`job.next_scheduled`, or the schedule).
    pub expected_next_at: Option<DateTime<Utc>>,
    pub policy: CheckPolicy,
}
