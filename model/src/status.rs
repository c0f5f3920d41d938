//! The status views of Chief (`/v1/status/*`) and scheduler presence (§12).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::check::{Alert, CheckState, CheckTransition, JobHealth};
use crate::event::Event;
use crate::job::Job;
use crate::run::{Run, RunStats};

mod job_row;

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
    /// A heartbeat counts at its event time capped at its receipt, so one
    /// dated in the future cannot keep a silent scheduler online; an
    /// interval outside 1 s to a day counts as unsaid.
    pub fn at(last: Option<&Event>, now: DateTime<Utc>) -> Self {
        let interval = last.and_then(ping_interval);
        let offline_after = offline_after(interval);
        let last_at = last.map(beat_at);
        SchedulerPresence {
            online: last_at.is_some_and(|at| now - at <= Duration::seconds(offline_after)),
            last_heartbeat_at: last_at,
            ping_interval_seconds: interval,
            offline_after_seconds: offline_after,
        }
    }

    /// Whether `beat` was fresh when it arrived: a scheduler that sent it
    /// was online then. One sent late (or back-dated) shows no such thing.
    pub fn fresh_on_receipt(beat: &Event) -> bool {
        let offline_after = offline_after(ping_interval(beat));
        beat.received_at - beat_at(beat) <= Duration::seconds(offline_after)
    }
}

/// When a `chief.heartbeat` speaks for: its time, but never after receipt.
pub fn beat_at(beat: &Event) -> DateTime<Utc> {
    beat.event_at.min(beat.received_at)
}

fn ping_interval(beat: &Event) -> Option<u64> {
    let meta = beat.metadata.as_object()?;
    crate::metadata::number(meta, "ping_interval_seconds")
        .value()
        .map(u64::from)
}

fn offline_after(interval: Option<u64>) -> i64 {
    match interval {
        Some(i) => i64::try_from(i.saturating_mul(2))
            .unwrap_or(i64::MAX)
            .max(5),
        None => DEFAULT_SCHEDULER_OFFLINE_SECONDS,
    }
}

/// `GET /v1/status/summary`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct StatusSummary {
    pub runs_by_status: BTreeMap<String, u64>,
    pub jobs_by_check_state: BTreeMap<String, u64>,
    /// Jobs by health: the check state, except that a job with an open
    /// FAILURE alert counts as FAILING only (each job in one bucket).
    #[serde(default)]
    pub jobs_by_health: BTreeMap<String, u64>,
    pub open_alerts_by_type: BTreeMap<String, u64>,
    pub workers_by_status: BTreeMap<String, u64>,
    pub scheduler: SchedulerPresence,
    /// Delivery targets whose last attempt failed (the overview warns).
    #[serde(default)]
    pub failing_deliveries: Vec<crate::FailingChannel>,
}

/// A job with its check state (`GET /v1/status/jobs`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", from = "job_row::JobRow")]
pub struct JobStatus {
    #[serde(flatten)]
    pub job: Job,
    pub check_state: CheckState,
    /// The check state, or FAILING while the job's FAILURE alert is open:
    /// what the dashboard and the badge show.
    pub health: JobHealth,
    /// When the job entered its check state.
    pub check_state_since: Option<DateTime<Utc>>,
    /// When the next run should start, as the engine last worked it out
    /// (the producer's `job.next_scheduled`, or the schedule).
    pub expected_at: Option<DateTime<Utc>>,
    /// Whether `/badge/{job}.svg` answers without login (an operator's
    /// choice, `PUT /v1/jobs/{name}/badge`).
    #[serde(default)]
    pub public_badge: bool,
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

/// A run reduced to what a job's sparkline and success rate need.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct RunSpan {
    pub status: crate::run::RunStatus,
    /// When it started (absent for a run known only by its end).
    #[serde(default)]
    pub started_at: Option<DateTime<Utc>>,
    /// Start to end, when both are known.
    pub duration_seconds: Option<f64>,
}

/// A job with its check state and its latest runs: one row of the jobs page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", from = "job_row::JobRow")]
pub struct JobOverview {
    #[serde(flatten)]
    pub status: JobStatus,
    /// The job's latest runs, oldest first (at most
    /// [`JobOverview::RECENT_RUNS`]).
    pub recent_runs: Vec<RunSpan>,
}

impl JobOverview {
    /// How many of a job's latest runs the overview carries.
    pub const RECENT_RUNS: u64 = 30;

    /// completed / (completed + failed) over the recent runs; `None` before
    /// any of them ended.
    pub fn success_rate(&self) -> Option<f64> {
        use crate::run::RunStatus;
        let count = |s: RunStatus| self.recent_runs.iter().filter(|r| r.status == s).count();
        let (ok, failed) = (count(RunStatus::Completed), count(RunStatus::Failed));
        (ok + failed > 0).then(|| ok as f64 / (ok + failed) as f64)
    }

    /// Durations of the recent runs that have one, oldest first.
    pub fn durations(&self) -> Vec<f64> {
        self.recent_runs
            .iter()
            .filter_map(|r| r.duration_seconds)
            .collect()
    }
}

/// Orders jobs as every page shows them: DOWN, then LATE, then the rest;
/// within a state, more consecutive failures first, then by name.
pub fn sort_failures_first(jobs: &mut [JobStatus]) {
    jobs.sort_by(|a, b| JobCursor::of(a).cmp(&JobCursor::of(b)));
}

/// A job's place in failures-first order; the jobs page's cursor. In the
/// address it reads `rank.failures.name`, e.g. `0.3.nightly-render`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct JobCursor {
    /// 0 DOWN, 1 LATE, 2 any other state.
    rank: u8,
    /// Consecutive failures, more first.
    failures: std::cmp::Reverse<u32>,
    name: String,
}

impl JobCursor {
    pub fn of(j: &JobStatus) -> JobCursor {
        JobCursor::new(j.check_state, j.job.consecutive_failures, &j.job.name)
    }

    /// A job's place from the three columns that decide it (the store
    /// orders 10,000 jobs by these without reading whole rows).
    pub fn new(state: CheckState, consecutive_failures: u32, name: &str) -> JobCursor {
        JobCursor {
            rank: match state {
                CheckState::Down => 0,
                CheckState::Late => 1,
                _ => 2,
            },
            failures: std::cmp::Reverse(consecutive_failures),
            name: name.to_owned(),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// 0 DOWN, 1 LATE, 2 any other state.
    pub fn rank(&self) -> u8 {
        self.rank
    }

    /// Consecutive failures.
    pub fn failures(&self) -> u32 {
        self.failures.0
    }

    /// `None` for text that is not a cursor this type wrote.
    pub fn parse(text: &str) -> Option<JobCursor> {
        let mut parts = text.splitn(3, '.');
        let rank = parts.next()?.parse().ok()?;
        let failures = std::cmp::Reverse(parts.next()?.parse().ok()?);
        let name = parts.next()?.to_owned();
        Some(JobCursor {
            rank,
            failures,
            name,
        })
    }
}

impl std::fmt::Display for JobCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.rank, self.failures.0, self.name)
    }
}

/// One page of the jobs page: its jobs in failures-first order, and counts
/// over every job the filter matched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct JobOverviewPage {
    pub jobs: Vec<JobOverview>,
    pub total: u64,
    /// Jobs with an open FAILURE alert, whatever their check state.
    #[serde(default)]
    pub failing: u64,
    pub down: u64,
    pub late: u64,
    /// Pass as `after` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

impl JobOverviewPage {
    /// Jobs per page: 10,000 rows were 17 MB of HTML and two seconds.
    pub const LIMIT: usize = 100;
}

#[cfg(test)]
mod overview_tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_as_written_and_orders_failures_first() {
        let c = JobCursor {
            rank: 0,
            failures: std::cmp::Reverse(3),
            name: "render.nightly".into(),
        };
        assert_eq!(c.to_string(), "0.3.render.nightly");
        assert_eq!(JobCursor::parse("0.3.render.nightly"), Some(c.clone()));
        assert!(JobCursor::parse("0.x.a").is_none());
        let more_failures = JobCursor::parse("0.5.zzz").unwrap();
        let late = JobCursor::parse("1.9.aaa").unwrap();
        assert!(more_failures < c && c < late);
    }
    use crate::run::RunStatus;

    #[test]
    fn success_rate_counts_only_ended_runs() {
        let span = |status, d| RunSpan {
            status,
            started_at: None,
            duration_seconds: d,
        };
        let mut o = JobOverview {
            status: JobStatus {
                job: crate::job::Job::new("j", Utc::now()),
                check_state: CheckState::Up,
                health: JobHealth::Up,
                check_state_since: None,
                expected_at: None,
                public_badge: false,
            },
            recent_runs: vec![span(RunStatus::Running, None)],
        };
        assert_eq!(o.success_rate(), None);
        o.recent_runs.extend([
            span(RunStatus::Completed, Some(2.0)),
            span(RunStatus::Completed, Some(4.0)),
            span(RunStatus::Failed, Some(1.0)),
            span(RunStatus::Completed, None),
        ]);
        assert_eq!(o.success_rate(), Some(0.75));
        assert_eq!(o.durations(), vec![2.0, 4.0, 1.0]);
    }
}
