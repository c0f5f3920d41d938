//! The dashboard's overview in one answer: the counts, what is broken, the
//! last hour's throughput and the latest events. One read instead of seven,
//! so the page's parts come from the same moment and load together.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{Alert, CheckState, Event, JobHealth, JobStatus, Run, StatusSummary, Throughput};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Overview {
    /// Counts by state, scheduler presence, failing delivery targets.
    pub summary: StatusSummary,
    /// The latest failed runs, newest first (at most [`Overview::FAILED_RUNS`]).
    pub failed_runs: Vec<Run>,
    /// Open alerts, newest first (at most [`Overview::OPEN_ALERTS`]).
    pub open_alerts: Vec<Alert>,
    /// The FAILING jobs (an open FAILURE alert), then the DOWN ones, then
    /// the LATE ones; the first [`Overview::BROKEN_JOBS`] of them (the
    /// summary counts them all).
    pub broken_jobs: Vec<BrokenJob>,
    /// Events received per minute over the last hour.
    pub throughput: Throughput,
    /// The latest events, newest first (at most [`Overview::LATEST_EVENTS`]).
    pub latest_events: Vec<Event>,
}

impl Overview {
    /// A glance, not a listing: each list links to its full page.
    pub const FAILED_RUNS: u64 = 10;
    pub const OPEN_ALERTS: u64 = 50;
    pub const LATEST_EVENTS: u64 = 20;
    /// A NAS outage can fail a thousand jobs: the overview names the first
    /// fifty and links to the jobs page for the rest.
    pub const BROKEN_JOBS: usize = 50;
}

/// A broken job as the overview names it: which, how broken, since when.
/// The job's policy and upkeep are the job page's; the overview carries
/// (and the browser decodes) only what its line shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BrokenJob {
    pub name: String,
    pub health: JobHealth,
    pub check_state: CheckState,
    pub check_state_since: Option<DateTime<Utc>>,
}

impl From<JobStatus> for BrokenJob {
    fn from(j: JobStatus) -> Self {
        BrokenJob {
            name: j.job.name,
            health: j.health,
            check_state: j.check_state,
            check_state_since: j.check_state_since,
        }
    }
}
