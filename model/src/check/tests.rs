use chrono::{DateTime, Duration, Utc};

use super::*;
use crate::job::{CheckPolicy, Job};

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
        // Failures long past; nobody closed their alerts by hand.
        failures_total: 5,
        last_failure_run_id: None,
        last_failure_reason: None,
        expected_next_at: None,
        policy: CheckPolicy {
            grace_seconds: 60,
            ..CheckPolicy::default()
        },
        managed: Default::default(),
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
        suppressed: None,
        notified_at: Some(t(opened)),
        notify_count: 1,
        deliveries: None,
    }
}

/// The context a job alone gives: its producer-told expected time.
fn ctx(j: &Job) -> JobContext {
    JobContext {
        expected: j.expected_next_at,
        ..JobContext::default()
    }
}

fn state_at(j: &Job, now: DateTime<Utc>) -> CheckState {
    check_state(j, &ctx(j), now).0
}

fn eval(
    j: &Job,
    previous: CheckState,
    open: &[Alert],
    now: DateTime<Utc>,
) -> (CheckState, Evaluation) {
    evaluate_job(j, &ctx(j), previous, open, now)
}

#[test]
fn states_follow_the_expected_time_and_grace() {
    let mut j = job();
    assert_eq!(state_at(&j, t(0)), CheckState::New);
    j.last_heartbeat_at = Some(t(5));
    assert_eq!(state_at(&j, t(10)), CheckState::Up);
    j.expected_next_at = Some(t(100));
    let table = [
        (99, CheckState::Up),
        (100, CheckState::Up),
        (101, CheckState::Late),
        (160, CheckState::Late),
        (161, CheckState::Down),
    ];
    for (now, state) in table {
        assert_eq!(state_at(&j, t(now)), state, "at {now}");
    }
    // The expected run started: up again, whatever the clock says.
    j.last_heartbeat_at = Some(t(170));
    assert_eq!(state_at(&j, t(500)), CheckState::Up);
    j.policy.check_enabled = false;
    assert_eq!(state_at(&j, t(500)), CheckState::Paused);
}

#[test]
fn deadlines_point_at_the_next_change() {
    let mut j = job();
    j.expected_next_at = Some(t(100));
    let none = Evaluation::default();
    let at = |state, now| deadline(&j, &ctx(&j), state, &[], &none, t(now));
    assert_eq!(at(CheckState::New, 50), Some(t(100)));
    assert_eq!(
        at(CheckState::Late, 120),
        Some(t(160) + Duration::microseconds(1))
    );
    assert_eq!(at(CheckState::Down, 170), None);
}

#[test]
fn failure_opens_once_and_recovery_follows_success() {
    let mut j = job();
    j.consecutive_failures = 1;
    j.last_failure_at = Some(t(9));
    let (_, e) = eval(&j, CheckState::Up, &[], t(10));
    assert_eq!(e.open.len(), 1);
    assert_eq!(e.open[0].alert_type, AlertType::Failure);
    assert_eq!(e.open[0].dedupe_key(), "FAILURE:job:nightly");

    // Already open: nothing new.
    let failure = open_alert(7, AlertType::Failure, 10);
    let (_, e) = eval(&j, CheckState::Up, std::slice::from_ref(&failure), t(20));
    assert_eq!(e, Evaluation::default());

    // A success closes it and opens RECOVERY.
    j.consecutive_failures = 0;
    j.last_heartbeat_at = Some(t(30));
    let (_, e) = eval(&j, CheckState::Up, &[failure], t(31));
    assert_eq!(e.close, vec![(7, "a later run completed".to_owned())]);
    assert_eq!(e.open[0].alert_type, AlertType::Recovery);

    // RECOVERY closes on the next heartbeat, or after the TTL.
    let recovery = open_alert(8, AlertType::Recovery, 31);
    let (_, e) = eval(&j, CheckState::Up, std::slice::from_ref(&recovery), t(40));
    assert!(e.close.is_empty(), "no newer heartbeat yet");
    let (_, e) = eval(
        &j,
        CheckState::Up,
        std::slice::from_ref(&recovery),
        t(31 + 900),
    );
    assert_eq!(e.close[0].0, 8);
    j.last_heartbeat_at = Some(t(50));
    let (_, e) = eval(&j, CheckState::Up, &[recovery], t(51));
    assert_eq!(e.close, vec![(8, "next heartbeat".to_owned())]);
}

#[test]
fn missed_opens_on_down_and_closes_when_the_job_runs() {
    let mut j = job();
    j.last_heartbeat_at = Some(t(0));
    j.expected_next_at = Some(t(100));
    let (state, e) = eval(&j, CheckState::Up, &[], t(130));
    assert_eq!(state, CheckState::Late);
    assert!(e.open.is_empty(), "late is not yet missed");
    assert_eq!(e.transition.as_ref().map(|t| t.to), Some(CheckState::Late));

    let (state, e) = eval(&j, CheckState::Late, &[], t(200));
    assert_eq!(state, CheckState::Down);
    assert_eq!(e.open[0].alert_type, AlertType::Missed);

    let missed = open_alert(3, AlertType::Missed, 200);
    j.last_heartbeat_at = Some(t(250));
    let (state, e) = eval(&j, CheckState::Down, &[missed], t(251));
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
    let (state, e) = eval(&j, CheckState::Late, &[], t(1000));
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
        evaluate_worker(&w, None, None, t(30)),
        Evaluation::default(),
        "30 s: still online"
    );
    let e = evaluate_worker(&w, None, None, t(31));
    assert_eq!(e.open.len(), 1);
    assert_eq!(e.open[0].alert_type, AlertType::WorkerOffline);
    assert_eq!(e.open[0].dedupe_key(), "WORKER_OFFLINE:worker:farm-01");
    assert_eq!(e.open[0].run_id.as_deref(), Some("r9"));

    let idle = crate::worker::Worker {
        current_run_id: None,
        ..w.clone()
    };
    assert!(
        evaluate_worker(&idle, None, None, t(100)).open.is_empty(),
        "an idle worker going away is not an alert"
    );

    let mut alert = open_alert(5, AlertType::WorkerOffline, 31);
    alert.job_name = None;
    let back = crate::worker::Worker {
        last_heartbeat_at: Some(t(40)),
        ..w
    };
    assert_eq!(
        evaluate_worker(&back, Some(&alert), None, t(41)).close,
        vec![(5, "heartbeats resumed".to_owned())]
    );
}

#[test]
fn a_run_past_max_runtime_makes_the_job_down_with_overrun() {
    let mut j = job();
    j.policy.max_runtime_seconds = Some(3600);
    j.last_heartbeat_at = Some(t(0));
    let c = JobContext {
        running: Some(RunningRun {
            run_id: "r7".into(),
            started_at: t(0),
        }),
        ..JobContext::default()
    };
    assert_eq!(check_state(&j, &c, t(3600)).0, CheckState::Up);
    let (state, why) = check_state(&j, &c, t(3601));
    assert_eq!(state, CheckState::Down);
    assert!(why.starts_with("overrun: run r7"), "{why}");
    let (_, e) = evaluate_job(&j, &c, CheckState::Up, &[], t(3601));
    assert_eq!(e.open[0].alert_type, AlertType::Missed);
    assert!(e.open[0].reason.starts_with("overrun"));
    // The engine is woken just after the limit, not polled.
    let none = Evaluation::default();
    assert_eq!(
        deadline(&j, &c, CheckState::Up, &[], &none, t(10)),
        Some(t(3600) + Duration::microseconds(1))
    );
}

#[test]
fn start_grace_is_the_shorter_clock_for_a_missing_start() {
    let mut j = job();
    j.policy.grace_seconds = 600;
    j.policy.start_grace_seconds = Some(30);
    j.last_heartbeat_at = Some(t(0));
    j.expected_next_at = Some(t(100));
    assert_eq!(state_at(&j, t(130)), CheckState::Late);
    let (state, why) = check_state(&j, &ctx(&j), t(131));
    assert_eq!(state, CheckState::Down);
    assert!(why.contains("start_grace_seconds"), "{why}");
}

#[test]
fn failure_waits_for_the_threshold_and_carries_the_reason() {
    let mut j = job();
    j.policy.failure_threshold = 3;
    j.last_failure_reason = Some("exit 2: disk full".into());
    for n in 1..3 {
        j.consecutive_failures = n;
        assert!(eval(&j, CheckState::Up, &[], t(10)).1.open.is_empty());
    }
    j.consecutive_failures = 3;
    let (_, e) = eval(&j, CheckState::Up, &[], t(10));
    assert_eq!(e.open[0].alert_type, AlertType::Failure);
    assert!(e.open[0].reason.ends_with(": exit 2: disk full"));
    // Below the threshold again (not yet a success): stays open.
    let failure = open_alert(1, AlertType::Failure, 10);
    j.consecutive_failures = 1;
    assert!(
        eval(&j, CheckState::Up, std::slice::from_ref(&failure), t(20))
            .1
            .close
            .is_empty()
    );
}

#[test]
fn maintenance_and_dependencies_suppress_and_release_alerts() {
    let mut j = job();
    j.last_heartbeat_at = Some(t(0));
    j.expected_next_at = Some(t(100));
    j.consecutive_failures = 1;
    let mut c = ctx(&j);
    c.maintenance = Some(Maintenance {
        reason: "maintenance: window 4 (db upgrade)".into(),
        until: t(1000),
    });
    let (state, e) = evaluate_job(&j, &c, CheckState::Late, &[], t(500));
    assert_eq!(state, CheckState::Down);
    assert_eq!(e.open.len(), 2);
    assert!(
        e.open
            .iter()
            .all(|a| a.suppressed.as_deref() == Some("maintenance: window 4 (db upgrade)"))
    );
    // The window's end is the next deadline: re-evaluate then.
    let mut open = open_alert(1, AlertType::Missed, 500);
    open.suppressed = Some("maintenance: window 4 (db upgrade)".into());
    open.notified_at = None;
    let none = Evaluation::default();
    assert_eq!(
        deadline(
            &j,
            &c,
            CheckState::Down,
            std::slice::from_ref(&open),
            &none,
            t(500)
        ),
        Some(t(1000))
    );
    // Still down after the window: people are told now.
    let (_, e) = eval(&j, CheckState::Down, std::slice::from_ref(&open), t(1000));
    assert_eq!(e.unsuppress, vec![1]);

    // depends_on suppresses MISSED only.
    let mut c = ctx(&j);
    c.upstream_down = Some("extract".into());
    let (_, e) = evaluate_job(&j, &c, CheckState::Late, &[], t(500));
    let by_type = |t: AlertType| e.open.iter().find(|a| a.alert_type == t).unwrap();
    assert_eq!(
        by_type(AlertType::Missed).suppressed.as_deref(),
        Some("depends_on: job extract is DOWN")
    );
    assert_eq!(by_type(AlertType::Failure).suppressed, None);
}

#[test]
fn open_alerts_repeat_every_interval() {
    let mut j = job();
    j.consecutive_failures = 1;
    j.policy.repeat_interval_seconds = Some(3600);
    let failure = open_alert(2, AlertType::Failure, 0);
    let one = std::slice::from_ref(&failure);
    assert!(eval(&j, CheckState::Up, one, t(3599)).1.repeat.is_empty());
    assert_eq!(eval(&j, CheckState::Up, one, t(3600)).1.repeat, vec![2]);
    let none = Evaluation::default();
    assert_eq!(
        deadline(&j, &ctx(&j), CheckState::Up, one, &none, t(10)),
        Some(t(3600))
    );
}

#[test]
fn a_blind_monitor_holds_missed_until_it_has_seen_a_full_grace() {
    let mut j = job();
    j.last_heartbeat_at = Some(t(0));
    j.expected_next_at = Some(t(100));
    let mut c = ctx(&j);
    // Telltale was down from 50 to 1000: the run due at 100 may have come.
    c.blind = Some(Blind {
        hold_until: None,
        since: t(50),
        until: Some(t(1000)),
        cause: "Telltale was not running".into(),
    });
    assert_eq!(check_state(&j, &c, t(1000)).0, CheckState::Late);
    assert_eq!(check_state(&j, &c, t(1060)).0, CheckState::Late);
    let (state, why) = check_state(&j, &c, t(1061));
    assert_eq!(state, CheckState::Down);
    assert!(why.contains("grace counted from"), "{why}");

    // While the scheduler is offline, MISSED is held however long it lasts.
    c.blind = Some(Blind {
        hold_until: None,
        since: t(50),
        until: None,
        cause: "the scheduler is offline".into(),
    });
    let (state, e) = evaluate_job(&j, &c, CheckState::Late, &[], t(5000));
    assert_eq!(state, CheckState::Late);
    assert!(e.open.is_empty());
    assert!(e.transition.is_none());
    assert!(check_state(&j, &c, t(5000)).1.starts_with("monitor_blind"));

    // A miss already past its grace before the blindness is not hidden.
    c.blind = Some(Blind {
        hold_until: None,
        since: t(500),
        until: None,
        cause: "the scheduler is offline".into(),
    });
    assert_eq!(check_state(&j, &c, t(5000)).0, CheckState::Down);
}

#[test]
fn a_failure_alert_closed_by_hand_reopens_only_on_a_later_failed_run() {
    let mut j = job();
    j.consecutive_failures = 1;
    j.failures_total = 7;
    j.last_failure_run_id = Some("job-1".into());
    j.last_failure_reason = Some("disk full".into());
    // The next run started: it is the latest run, but it has not failed.
    j.last_run_id = Some("job-2".into());
    let mut c = ctx(&j);
    let (_, e) = evaluate_job(&j, &c, CheckState::Up, &[], t(10));
    assert_eq!(e.open.len(), 1);
    assert_eq!(e.open[0].run_id.as_deref(), Some("job-1"));
    assert!(
        e.open[0].reason.contains("last: job-1: disk full"),
        "{}",
        e.open[0].reason
    );
    assert!(!e.open[0].reason.contains("job-2"), "{}", e.open[0].reason);

    // Closed by hand at failure 7: nothing opens while no run fails again.
    c.acks.failures = 7;
    assert!(
        evaluate_job(&j, &c, CheckState::Up, &[], t(20))
            .1
            .open
            .is_empty()
    );
    // job-2 fails: a new incident.
    j.failures_total = 8;
    j.consecutive_failures = 2;
    j.last_failure_run_id = Some("job-2".into());
    let (_, e) = evaluate_job(&j, &c, CheckState::Up, &[], t(30));
    assert_eq!(e.open.len(), 1);
    assert_eq!(e.open[0].run_id.as_deref(), Some("job-2"));

    // The job's row was damaged and started afresh by its next event: its
    // count begins again below the old ack, and a failure still alerts.
    j.failures_total = 1;
    j.consecutive_failures = 1;
    let (_, e) = evaluate_job(&j, &c, CheckState::Up, &[], t(40));
    assert_eq!(e.open.len(), 1, "an ack above the count holds nothing back");
}

#[test]
fn a_missed_alert_closed_by_hand_stays_closed_while_the_job_stays_down() {
    let mut j = job();
    j.last_heartbeat_at = Some(t(0));
    j.expected_next_at = Some(t(100));
    let mut c = ctx(&j);
    c.acks.missed = true;
    let (state, e) = evaluate_job(&j, &c, CheckState::Down, &[], t(500));
    assert_eq!(state, CheckState::Down);
    assert!(e.open.is_empty(), "reopened a hand-closed MISSED: {e:?}");
    c.acks.missed = false;
    let (_, e) = evaluate_job(&j, &c, CheckState::Down, &[], t(500));
    assert_eq!(e.open[0].alert_type, AlertType::Missed);
}

#[test]
fn a_worker_alert_closed_by_hand_reopens_only_after_the_worker_came_back() {
    let w = crate::worker::Worker {
        worker_id: "farm-01".into(),
        hostname: None,
        first_seen_at: t(0),
        last_event_at: t(0),
        last_heartbeat_at: Some(t(0)),
        current_run_id: Some("r9".into()),
        interval_seconds: 15,
    };
    // Closed by hand while its newest heartbeat was the one at 0.
    assert!(
        evaluate_worker(&w, None, Some(t(0)), t(100))
            .open
            .is_empty()
    );
    // It came back (a heartbeat at 200) and went silent again.
    let again = crate::worker::Worker {
        last_heartbeat_at: Some(t(200)),
        ..w
    };
    assert_eq!(
        evaluate_worker(&again, None, Some(t(0)), t(300)).open.len(),
        1
    );
}

#[test]
fn a_scheduler_hold_ends_and_the_job_goes_down_saying_why() {
    let mut j = job();
    j.last_heartbeat_at = Some(t(0));
    j.expected_next_at = Some(t(100));
    let mut c = ctx(&j);
    c.blind = Some(Blind {
        since: t(50),
        until: None,
        cause: "the scheduler has been silent since 2025-11-24 16:00:50 UTC".into(),
        hold_until: Some(t(950)),
    });
    assert_eq!(check_state(&j, &c, t(900)).0, CheckState::Late);
    let (state, e) = evaluate_job(&j, &c, CheckState::Late, &[], t(951));
    assert_eq!(state, CheckState::Down);
    assert_eq!(e.open.len(), 1, "MISSED opens once the hold ends");
    assert!(
        e.open[0]
            .reason
            .contains("the scheduler has been silent since"),
        "{}",
        e.open[0].reason
    );
    // The end of the hold is a deadline: the engine looks again then.
    let none = Evaluation::default();
    assert_eq!(
        deadline(&j, &c, CheckState::Late, &[], &none, t(900)),
        Some(t(950) + Duration::microseconds(1))
    );
}

#[test]
fn an_open_failure_reads_failing_whatever_the_clock_says() {
    use crate::check::JobHealth;
    for state in CheckState::ALL {
        assert_eq!(JobHealth::of(state, true), JobHealth::Failing);
        // Without the alert the health is the check state, word for word.
        assert_eq!(JobHealth::of(state, false).as_str(), state.as_str());
    }
    assert!(JobHealth::Failing.is_alarm() && !JobHealth::Up.is_alarm());
    assert_eq!(JobHealth::parse("FAILING"), Some(JobHealth::Failing));
}
