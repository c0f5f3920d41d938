//! How the rows of the job views are read back from JSON.
//!
//! [`JobStatus`] and [`JobOverview`] write the job's own fields beside their
//! own (`#[serde(flatten)]`), and that stays the API's shape. Reading a
//! flattened struct, though, makes serde buffer every field as `Content`
//! and decode each of the job's field types a second time through it: in
//! the browser that is a second copy of the whole job reader on every page
//! that lists jobs. [`JobRow`] reads the same JSON with the fields side by
//! side instead.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::{JobOverview, JobStatus, RunSpan};
use crate::check::{CheckState, JobHealth};
use crate::job::{CheckPolicy, Job, Managed};

/// Every field of [`Job`], then those of [`JobStatus`] and [`JobOverview`],
/// with the same names and defaults. Under test it refuses unknown fields,
/// so a field added to one of them and not here fails the round trips below.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(test, serde(deny_unknown_fields))]
pub(super) struct JobRow {
    name: String,
    first_seen_at: DateTime<Utc>,
    last_event_at: DateTime<Utc>,
    last_heartbeat_at: Option<DateTime<Utc>>,
    last_run_id: Option<String>,
    last_success_at: Option<DateTime<Utc>>,
    last_failure_at: Option<DateTime<Utc>>,
    consecutive_failures: u32,
    #[serde(default)]
    failures_total: u64,
    last_failure_reason: Option<String>,
    #[serde(default)]
    last_failure_run_id: Option<String>,
    expected_next_at: Option<DateTime<Utc>>,
    policy: CheckPolicy,
    #[serde(default)]
    managed: Managed,
    check_state: CheckState,
    health: JobHealth,
    check_state_since: Option<DateTime<Utc>>,
    expected_at: Option<DateTime<Utc>>,
    #[serde(default)]
    public_badge: bool,
    /// Only a [`JobOverview`] has it.
    #[serde(default)]
    recent_runs: Vec<RunSpan>,
}

impl From<JobRow> for JobOverview {
    fn from(row: JobRow) -> Self {
        let job = Job {
            name: row.name,
            first_seen_at: row.first_seen_at,
            last_event_at: row.last_event_at,
            last_heartbeat_at: row.last_heartbeat_at,
            last_run_id: row.last_run_id,
            last_success_at: row.last_success_at,
            last_failure_at: row.last_failure_at,
            consecutive_failures: row.consecutive_failures,
            failures_total: row.failures_total,
            last_failure_reason: row.last_failure_reason,
            last_failure_run_id: row.last_failure_run_id,
            expected_next_at: row.expected_next_at,
            policy: row.policy,
            managed: row.managed,
        };
        JobOverview {
            status: JobStatus {
                job,
                check_state: row.check_state,
                health: row.health,
                check_state_since: row.check_state_since,
                expected_at: row.expected_at,
                public_badge: row.public_badge,
            },
            recent_runs: row.recent_runs,
        }
    }
}

impl From<JobRow> for JobStatus {
    fn from(row: JobRow) -> Self {
        JobOverview::from(row).status
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::job::Managed;
    use crate::run::RunStatus;

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 4, h, 0, 0).unwrap()
    }

    /// A row with every optional field set to something other than its
    /// default, so a field read from the wrong key or dropped shows.
    fn overview() -> JobOverview {
        let mut job = Job::new("nightly etl", at(1));
        job.last_event_at = at(5);
        job.last_heartbeat_at = Some(at(4));
        job.last_run_id = Some("run-9".to_owned());
        job.last_success_at = Some(at(2));
        job.last_failure_at = Some(at(3));
        job.consecutive_failures = 2;
        job.failures_total = 7;
        job.last_failure_reason = Some("exit 3".to_owned());
        job.last_failure_run_id = Some("run-8".to_owned());
        job.expected_next_at = Some(at(6));
        job.policy.schedule = Some("0 2 * * *".to_owned());
        job.managed = Managed {
            operator_keys: vec!["schedule".to_owned()],
            retired_at: Some(at(7)),
            description: Some("loads the warehouse".to_owned()),
            tags: vec!["etl".to_owned()],
            channels: vec!["ops".to_owned()],
        };
        JobOverview {
            status: JobStatus {
                job,
                check_state: CheckState::Late,
                health: JobHealth::Failing,
                check_state_since: Some(at(5)),
                expected_at: Some(at(6)),
                public_badge: true,
            },
            recent_runs: vec![RunSpan {
                status: RunStatus::Failed,
                started_at: Some(at(3)),
                duration_seconds: Some(12.5),
            }],
        }
    }

    #[test]
    fn a_job_overview_reads_back_as_written() {
        let row = overview();
        let json = serde_json::to_string(&row).unwrap();
        assert_eq!(serde_json::from_str::<JobOverview>(&json).unwrap(), row);
    }

    #[test]
    fn a_job_status_reads_back_as_written_and_keeps_the_flat_shape() {
        let status = overview().status;
        let json = serde_json::to_value(&status).unwrap();
        assert_eq!(
            json["name"], "nightly etl",
            "the job's fields sit beside the status"
        );
        assert_eq!(json["checkState"], "LATE");
        assert_eq!(serde_json::from_value::<JobStatus>(json).unwrap(), status);
    }

    #[test]
    fn fields_written_before_they_existed_take_their_defaults() {
        let mut json = serde_json::to_value(overview().status).unwrap();
        let object = json.as_object_mut().unwrap();
        for key in [
            "failuresTotal",
            "lastFailureRunId",
            "managed",
            "publicBadge",
        ] {
            object.remove(key);
        }
        let read: JobStatus = serde_json::from_value(json).unwrap();
        assert_eq!(read.job.failures_total, 0);
        assert_eq!(read.job.last_failure_run_id, None);
        assert_eq!(read.job.managed, Managed::default());
        assert!(!read.public_badge);
    }

    #[test]
    fn a_missing_required_field_is_named() {
        let mut json = serde_json::to_value(overview()).unwrap();
        json.as_object_mut().unwrap().remove("checkState");
        let err = serde_json::from_value::<JobOverview>(json).unwrap_err();
        assert!(err.to_string().contains("checkState"), "{err}");
    }
}
