//! The status views of Chief (`/v1/status/*`) and scheduler presence (§12).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::check::{Alert, CheckState, CheckTransition};
use crate::event::Event;
use crate::job::Job;
use crate::run::{Run, RunStats};

/// Offline threshold when the scheduler never said its ping interval.
pub const DEFAULT_SCHEDULER_OFFLINE_SECONDS: i64 = 45;

/// Whether the scheduler (Chief) is alive, from its `chief.heartbeat`s.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct SchedulerPresence {
    pub online: bool,
    pub last_heartbeat_at: Option<DateTime<Utc>>,
    pub ping_interval_seconds: Option<u64>,
    pub offline_after_seconds: i64,
}

impl SchedulerPresence {
    /// Online when the newest heartbeat is younger than
    /// `max(5, 2 × ping_interval_seconds)`, or 45 s without an interval.
    pub fn at(last: Option<&Event>, now: DateTime<Utc>) -> Self {
        let interval = last.and_then(|e| e.metadata.get("ping_interval_seconds")?.as_u64());
        let offline_after = match interval {
            Some(i) => i64::try_from(i.saturating_mul(2))
                .unwrap_or(i64::MAX)
                .max(5),
            None => DEFAULT_SCHEDULER_OFFLINE_SECONDS,
        };
        let last_at = last.map(|e| e.event_at);
        SchedulerPresence {
            online: last_at.is_some_and(|at| now - at <= Duration::seconds(offline_after)),
            last_heartbeat_at: last_at,
            ping_interval_seconds: interval,
            offline_after_seconds: offline_after,
        }
    }
}

/// `GET /v1/status/summary`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct StatusSummary {
    pub runs_by_status: BTreeMap<String, u64>,
    pub jobs_by_check_state: BTreeMap<String, u64>,
    pub open_alerts_by_type: BTreeMap<String, u64>,
    pub workers_by_status: BTreeMap<String, u64>,
    pub scheduler: SchedulerPresence,
}

/// A job with its check state (`GET /v1/status/jobs`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct JobStatus {
    #[serde(flatten)]
    pub job: Job,
    pub check_state: CheckState,
    /// When the job entered its check state.
    pub check_state_since: Option<DateTime<Utc>>,
    /// When the next run should start, as the engine last worked it out
    /// (the producer's `job.next_scheduled`, or the schedule).
    pub expected_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobStatusList {
    pub jobs: Vec<JobStatus>,
}

/// `GET /v1/status/jobs/{jobName}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct JobDetail {
    pub job: JobStatus,
    pub recent_runs: Vec<Run>,
    /// Newest first.
    pub transitions: Vec<CheckTransition>,
    pub open_alerts: Vec<Alert>,
    pub stats: RunStats,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AlertList {
    pub alerts: Vec<Alert>,
}

/// Answer to closing an alert by hand (Chief §11.4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CloseAlertResponse {
    pub found: bool,
    /// False when it was already closed.
    pub updated: bool,
    pub reason: String,
    pub alert: Option<Alert>,
}
