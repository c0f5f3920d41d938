use crate::job::CheckPolicy;
use chrono::{DateTime, Utc};
use serde_json::json;

use super::*;
use crate::check::{CheckState, JobContext, check_state};

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn next(schedule: &str, tz: &str, after: &str) -> String {
    Schedule::parse(schedule, Some(tz))
        .unwrap()
        .next_after(utc(after))
        .unwrap()
        .to_rfc3339()
}

#[test]
fn every_adds_its_duration() {
    let s = Schedule::parse("every 1h 30m", None).unwrap();
    assert_eq!(
        s.next_after(utc("2026-01-01T00:00:00Z")),
        Some(utc("2026-01-01T01:30:00Z"))
    );
    assert_eq!(
        next("@daily", "UTC", "2026-01-01T05:00:00Z"),
        "2026-01-02T00:00:00+00:00"
    );
    assert_eq!(
        Schedule::parse("every 1d", None)
            .unwrap()
            .next_after(utc("2026-01-01T00:00:00Z")),
        Some(utc("2026-01-02T00:00:00Z"))
    );
    assert_eq!(
        Schedule::parse("every 0s", None).unwrap_err(),
        ScheduleError::ZeroEvery
    );
    assert!(matches!(
        Schedule::parse("every soon", None),
        Err(ScheduleError::BadEvery(_))
    ));
}

#[test]
fn berlin_daily_cron_across_both_dst_changes() {
    // 2026-03-29: 02:00 CET jumps to 03:00 CEST; 02:30 does not exist that
    // day, so the run falls right after the gap, then 02:30 CEST again.
    assert_eq!(
        next("30 2 * * *", "Europe/Berlin", "2026-03-28T01:30:00Z"),
        "2026-03-29T01:00:00+00:00"
    );
    assert_eq!(
        next("30 2 * * *", "Europe/Berlin", "2026-03-29T01:00:00Z"),
        "2026-03-30T00:30:00+00:00"
    );
    // 2026-10-25: 03:00 CEST falls back to 02:00 CET; 02:30 happens twice,
    // the job runs once (the first), and next at 02:30 CET the day after.
    assert_eq!(
        next("30 2 * * *", "Europe/Berlin", "2026-10-24T23:00:00Z"),
        "2026-10-25T00:30:00+00:00"
    );
    assert_eq!(
        next("30 2 * * *", "Europe/Berlin", "2026-10-25T00:30:00Z"),
        "2026-10-26T01:30:00+00:00"
    );
}

#[test]
fn new_york_daily_cron_across_both_dst_changes() {
    // 09:00 local is 14:00 UTC in winter and 13:00 UTC in summer.
    assert_eq!(
        next("0 9 * * *", "America/New_York", "2026-03-07T14:00:00Z"),
        "2026-03-08T13:00:00+00:00"
    );
    // 2026-11-01: 01:30 happens at 05:30 UTC (EDT) and 06:30 UTC (EST);
    // a daily 01:30 job runs once.
    assert_eq!(
        next("30 1 * * *", "America/New_York", "2026-10-31T06:00:00Z"),
        "2026-11-01T05:30:00+00:00"
    );
    assert_eq!(
        next("30 1 * * *", "America/New_York", "2026-11-01T05:30:00Z"),
        "2026-11-02T06:30:00+00:00"
    );
}

#[test]
fn a_daily_berlin_job_is_late_and_down_by_local_time_on_the_dst_day() {
    let mut job = Job {
        name: "nightly".into(),
        first_seen_at: utc("2026-03-28T01:30:00Z"),
        last_event_at: utc("2026-03-28T01:30:00Z"),
        last_heartbeat_at: Some(utc("2026-03-28T01:30:00Z")),
        last_run_id: None,
        last_success_at: None,
        last_failure_at: None,
        consecutive_failures: 0,
        failures_total: 0,
        last_failure_run_id: None,
        last_failure_reason: None,
        expected_next_at: None,
        policy: CheckPolicy {
            schedule: Some("30 2 * * *".into()),
            timezone: Some("Europe/Berlin".into()),
            grace_seconds: 600,
            ..CheckPolicy::default()
        },
        managed: Default::default(),
    };
    let expected = expected_start(&job).unwrap();
    assert_eq!(expected, utc("2026-03-29T01:00:00Z"));
    let ctx = JobContext {
        expected: Some(expected),
        ..JobContext::default()
    };
    let at = |s: &str| check_state(&job, &ctx, utc(s)).0;
    assert_eq!(at("2026-03-29T01:00:00Z"), CheckState::Up);
    assert_eq!(at("2026-03-29T01:05:00Z"), CheckState::Late);
    assert_eq!(at("2026-03-29T01:10:01Z"), CheckState::Down);

    // A producer's own `job.next_scheduled` wins while it is ahead.
    job.expected_next_at = Some(utc("2026-03-29T05:00:00Z"));
    assert_eq!(expected_start(&job), Some(utc("2026-03-29T05:00:00Z")));
    // Once a run came after it, the schedule speaks again.
    job.last_heartbeat_at = Some(utc("2026-03-29T05:00:10Z"));
    assert_eq!(expected_start(&job), Some(utc("2026-03-30T00:30:00Z")));
}

#[test]
fn bad_policy_metadata_names_the_field() {
    let check = |v: serde_json::Value| validate_policy(v.as_object().unwrap());
    assert_eq!(check(json!({"schedule": "*/5 * * * *"})), Ok(()));
    assert_eq!(
        check(json!({"schedule": "every 15m", "timezone": "UTC"})),
        Ok(())
    );
    let field = |v| check(v).unwrap_err().0;
    assert_eq!(
        field(json!({"schedule": "61 * * * *"})),
        "metadata.schedule"
    );
    assert_eq!(field(json!({"schedule": 5})), "metadata.schedule");
    assert_eq!(
        field(json!({"timezone": "Mars/Olympus"})),
        "metadata.timezone"
    );
    assert_eq!(
        field(json!({"max_runtime_seconds": -1})),
        "metadata.max_runtime_seconds"
    );
    assert_eq!(
        field(json!({"grace_seconds": "ten"})),
        "metadata.grace_seconds"
    );
    assert_eq!(
        field(json!({"failure_threshold": 0})),
        "metadata.failure_threshold"
    );
    assert_eq!(
        field(json!({"alert_on_miss": "yes"})),
        "metadata.alert_on_miss"
    );
    assert_eq!(field(json!({"depends_on": 3})), "metadata.depends_on");
}

#[test]
fn a_cron_that_never_fires_is_refused_at_once() {
    let started = std::time::Instant::now();
    for never in ["0 0 30 2 *", "0 0 31 4 *", "0 0 31 11 *"] {
        assert!(
            matches!(
                Schedule::parse(never, None),
                Err(ScheduleError::NeverFires(_))
            ),
            "{never}"
        );
    }
    // Feb 29 comes every four years: a real schedule.
    assert!(Schedule::parse("0 0 29 2 *", None).is_ok());
    // Refusing costs a ten-year search, not a search to croner's year 5000
    // (a second here per evaluation, before): generous bound for debug builds.
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
}
