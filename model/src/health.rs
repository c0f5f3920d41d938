use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// `ok` when every part answers, `degraded` when the service runs but a part
/// does not: the database, or a loop that alerting or ingest needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum HealthStatus {
    Ok,
    Degraded,
}

/// Body of `GET /v1/health`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    pub status: HealthStatus,
    pub version: String,
    /// `ok`, or the database error verbatim.
    pub database: String,
    /// This process's name (`MONITOR_INSTANCE_NAME`, or host:port).
    pub instance: String,
    /// Whether this instance runs the evaluator, retention and delivery
    /// now: always on SQLite; on PostgreSQL exactly one instance of a
    /// database at a time.
    pub leader: bool,
    /// Every supervised background loop and thread, by name.
    #[serde(default)]
    pub loops: BTreeMap<String, LoopReport>,
    /// What is down and since when, in words; empty when all is well.
    #[serde(default)]
    pub problems: Vec<String>,
}

/// What a background loop is doing now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum LoopStatus {
    /// Started and not yet known to be stuck.
    Running,
    /// It failed (a panic, or errors in a row) and waits to start again.
    Restarting,
    /// Not run by this instance: another one leads.
    Standby,
    /// Ended on purpose (shutdown, lost leadership).
    Stopped,
}

/// One background loop, as `/v1/health` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct LoopReport {
    pub status: LoopStatus,
    /// When it entered that status.
    pub since: DateTime<Utc>,
    /// Its last completed round, for loops that go round.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_tick: Option<DateTime<Utc>>,
    /// A periodic loop that has not completed a round within three of its
    /// intervals is stuck, whatever its status says.
    pub stale: bool,
    pub restarts: u64,
    /// Rounds that failed in a row just now.
    pub failures_in_a_row: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// Whether alerting (or ingest) depends on it: a critical loop that is
    /// down makes the instance degraded.
    pub critical: bool,
}

impl LoopReport {
    /// Restarting, or silent past three intervals.
    pub fn is_down(&self) -> bool {
        self.status == LoopStatus::Restarting || self.stale
    }
}
