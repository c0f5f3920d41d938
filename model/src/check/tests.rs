use chrono::{DateTime, Duration, Utc};

use super::*;
use crate::job::CheckPolicy;

fn t(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_764_000_000, 0).unwrap() + Duration::seconds(secs)
}

fn job() -> Job {
    Job {
        name: "nightly".into(),
        first_seen_at: t(0),
        last_event_at: t(0),
        last_heartbeat_at: None,
        last_run_id: Some("r1".into()),
        last_success_at: None,
        last_failure_at: None,
        consecutive_failures: 0,
        expected_next_at: None,
        policy: CheckPolicy {
            grace_seconds: 60,
            ..CheckPolicy::default()
        },
    }
}

fn open_alert(id: i64, alert_type: AlertType, opened: i64) -> Alert {
    Alert {
        id,
        alert_type,
        status: AlertStatus::Open,
        job_name: Some("nightly".into()),
        worker_id: None,
        run_id: None,
        dedupe_key: format!("{}:job:nightly", alert_type.as_str()),
        reason: String::new(),
        opened_at: t(opened),
        closed_at: None,
        close_reason: None,
    }
}

#[test]
fn states_follow_the_expected_time_and_grace() {
    let mut j = job();
    assert_eq!(check_state(&j, t(0)).0, CheckState::New);
    j.last_heartbeat_at = Some(t(5));
    assert_eq!(check_state(&j, t(10)).0, CheckState::Up);
    j.expected_next_at = Some(t(100));
    let table = [
        (99, CheckState::Up),
        (100, CheckState::Up),
        (101, CheckState::Late),
        (160, CheckState::Late),
        (161, CheckState::Down),
    ];
    for (now, state) in table {
        assert_eq!(check_state(&j, t(now)).0, state, "at {now}");
    }
    // The expected run started: up again, whatever the clock says.
    j.last_heartbeat_at = Some(t(170));
    assert_eq!(check_state(&j, t(500)).0, CheckState::Up);
    j.policy.check_enabled = false;
    assert_eq!(check_state(&j, t(500)).0, CheckState::Paused);
}

#[test]
fn deadlines_point_at_the_next_change() {
    let mut j = job();
    j.expected_next_at = Some(t(100));
    assert_eq!(next_deadline(&j, CheckState::New), Some(t(100)));
    assert_eq!(next_deadline(&j, CheckState::Late), Some(t(160)));
    assert_eq!(next_deadline(&j, CheckState::Down), None);
}

#[test]
fn failure_opens_once_and_recovery_follows_success() {
    let mut j = job();
    j.consecutive_failures = 1;
    j.last_failure_at = Some(t(9));
    let (_, e) = evaluate_job(&j, CheckState::Up, &[], t(10));
    assert_eq!(e.open.len(), 1);
    assert_eq!(e.open[0].alert_type, AlertType::Failure);
    assert_eq!(e.open[0].dedupe_key(), "FAILURE:job:nightly");

    // Already open: nothing new.
    let failure = open_alert(7, AlertType::Failure, 10);
    let (_, e) = evaluate_job(&j, CheckState::Up, std::slice::from_ref(&failure), t(20));
    assert_eq!(e, Evaluation::default());

    // A success closes it and opens RECOVERY.
    j.consecutive_failures = 0;
    j.last_heartbeat_at = Some(t(30));
    let (_, e) = evaluate_job(&j, CheckState::Up, &[failure], t(31));
    assert_eq!(e.close, vec![(7, "a later run completed".to_owned())]);
    assert_eq!(e.open[0].alert_type, AlertType::Recovery);

    // RECOVERY closes on the next heartbeat, or after the TTL.
    let recovery = open_alert(8, AlertType::Recovery, 31);
    let (_, e) = evaluate_job(&j, CheckState::Up, std::slice::from_ref(&recovery), t(40));
    assert!(e.close.is_empty(), "no newer heartbeat yet");
    let (_, e) = evaluate_job(
        &j,
        CheckState::Up,
        std::slice::from_ref(&recovery),
        t(31 + 900),
    );
    assert_eq!(e.close[0].0, 8);
    j.last_heartbeat_at = Some(t(50));
    let (_, e) = evaluate_job(&j, CheckState::Up, &[recovery], t(51));
    assert_eq!(e.close, vec![(8, "next heartbeat".to_owned())]);
}

#[test]
fn missed_opens_on_down_and_closes_when_the_job_runs() {
    let mut j = job();
    j.last_heartbeat_at = Some(t(0));
    j.expected_next_at = Some(t(100));
    let (state, e) = evaluate_job(&j, CheckState::Up, &[], t(130));
    assert_eq!(state, CheckState::Late);
    assert!(e.open.is_empty(), "late is not yet missed");
    assert_eq!(e.transition.as_ref().map(|t| t.to), Some(CheckState::Late));

    let (state, e) = evaluate_job(&j, CheckState::Late, &[], t(200));
    assert_eq!(state, CheckState::Down);
    assert_eq!(e.open[0].alert_type, AlertType::Missed);

    let missed = open_alert(3, AlertType::Missed, 200);
    j.last_heartbeat_at = Some(t(250));
    let (state, e) = evaluate_job(&j, CheckState::Down, &[missed], t(251));
    assert_eq!(state, CheckState::Up);
    assert_eq!(e.close[0].0, 3);
    assert_eq!(e.open[0].alert_type, AlertType::Recovery);
}

#[test]
fn policy_switches_silence_alerts() {
    let mut j = job();
    j.consecutive_failures = 2;
    j.policy.alert_on_failure = false;
    j.expected_next_at = Some(t(0));
    j.policy.alert_on_miss = false;
    let (state, e) = evaluate_job(&j, CheckState::Late, &[], t(1000));
    assert_eq!(state, CheckState::Down);
    assert!(e.open.is_empty());
}

#[test]
fn a_busy_worker_going_quiet_raises_worker_offline() {
    let w = crate::worker::Worker {
        worker_id: "farm-01".into(),
        hostname: None,
        first_seen_at: t(0),
        last_event_at: t(0),
        last_heartbeat_at: Some(t(0)),
        current_run_id: Some("r9".into()),
        interval_seconds: 15,
    };
    assert_eq!(
        evaluate_worker(&w, None, t(30)),
        Evaluation::default(),
        "30 s: still online"
    );
    let e = evaluate_worker(&w, None, t(31));
    assert_eq!(e.open.len(), 1);
    assert_eq!(e.open[0].alert_type, AlertType::WorkerOffline);
    assert_eq!(e.open[0].dedupe_key(), "WORKER_OFFLINE:worker:farm-01");
    assert_eq!(e.open[0].run_id.as_deref(), Some("r9"));

    let idle = crate::worker::Worker {
        current_run_id: None,
        ..w.clone()
    };
    assert!(
        evaluate_worker(&idle, None, t(100)).open.is_empty(),
        "an idle worker going away is not an alert"
    );

    let mut alert = open_alert(5, AlertType::WorkerOffline, 31);
    alert.job_name = None;
    let back = crate::worker::Worker {
        last_heartbeat_at: Some(t(40)),
        ..w
    };
    assert_eq!(
        evaluate_worker(&back, Some(&alert), t(41)).close,
        vec![(5, "heartbeats resumed".to_owned())]
    );
}
