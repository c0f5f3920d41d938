use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use super::*;
use crate::event::{DEFAULT_CLOCK_SKEW, Level, SourceType};

/// What one event does to copies of its run, job and worker: [`apply`]
/// without the in-place writes, for tests that compare before and after.
/// What happens to the event's run.
#[derive(Debug, Clone, PartialEq)]
enum RunChange {
    /// The event says nothing about a run.
    None,
    /// The run as it should now be stored (new or changed).
    Write(Box<Run>),
    /// The run is terminal; the event's transition is refused (and logged).
    Rejected { status: RunStatus, reason: String },
}

#[derive(Debug, Clone, PartialEq)]
struct Transition {
    run: RunChange,
    /// The job as it should now be stored, when the event names one.
    job: Option<Job>,
    /// The worker as it should now be stored, when the event names one.
    worker: Option<Worker>,
}

fn transition(
    run: Option<&Run>,
    job: Option<&Job>,
    worker: Option<&Worker>,
    event: &Event,
) -> Transition {
    let (mut run, mut job, mut worker) = (run.cloned(), job.cloned(), worker.cloned());
    let applied = apply(&mut run, &mut job, &mut worker, event, DEFAULT_CLOCK_SKEW);
    Transition {
        run: match applied.run {
            RunOutcome::Untouched => RunChange::None,
            RunOutcome::Rejected { status, reason } => RunChange::Rejected { status, reason },
            RunOutcome::Written => match run {
                Some(run) => RunChange::Write(Box::new(run)),
                None => RunChange::None,
            },
        },
        job: job.filter(|_| applied.job_written),
        worker: worker.filter(|_| applied.worker_written),
    }
}

fn t(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_764_000_000, 0).unwrap() + Duration::seconds(secs)
}

fn ev(event_type: &str, secs: i64, metadata: Value) -> Event {
    Event {
        id: secs,
        event_id: None,
        source_type: SourceType::Worker,
        level: Level::Info,
        event_type: event_type.into(),
        message: format!("{event_type} message"),
        event_at: t(secs),
        received_at: t(secs),
        job_name: Some("render".into()),
        run_id: Some("r1".into()),
        worker_id: Some("w1".into()),
        script_path: None,
        metadata,
    }
}

/// Folds events through `transition` as the store does, returning the final
/// run and job and every rejection.
/// Runs are keyed by id; the one returned is the last event's run.
fn replay(events: &[Event]) -> (Option<Run>, Option<Job>, Option<Worker>, Vec<String>) {
    let mut runs: std::collections::HashMap<String, Run> = Default::default();
    let (mut last_run, mut job, mut worker, mut rejected) = (None, None, None, Vec::new());
    for e in events {
        let key = e.run_id.clone().unwrap_or_default();
        let next = transition(runs.get(&key), job.as_ref(), worker.as_ref(), e);
        match next.run {
            RunChange::Write(r) => {
                runs.insert(key.clone(), *r);
            }
            RunChange::Rejected { reason, .. } => rejected.push(reason),
            RunChange::None => {}
        }
        if e.run_id.is_some() {
            last_run = runs.get(&key).cloned();
        }
        if next.job.is_some() {
            job = next.job;
        }
        if next.worker.is_some() {
            worker = next.worker;
        }
    }
    (last_run, job, worker, rejected)
}

#[test]
fn both_vocabularies_map_to_the_same_kinds() {
    let table = [
        ("job_created", EventKind::RunQueued),
        ("job.queued", EventKind::RunQueued),
        ("engine_selected", EventKind::EngineSelected),
        ("execution_started", EventKind::RunStarted),
        ("job.started", EventKind::RunStarted),
        ("progress_update", EventKind::Progress),
        ("execution_completed", EventKind::RunCompleted),
        ("job.completed", EventKind::RunCompleted),
        ("execution_failed", EventKind::RunFailed),
        ("job.failed", EventKind::RunFailed),
        ("job.next_scheduled", EventKind::NextScheduled),
        ("worker.heartbeat", EventKind::WorkerHeartbeat),
        ("chief.heartbeat", EventKind::SchedulerHeartbeat),
        ("script.started", EventKind::Other),
        ("script.completed", EventKind::Other),
        ("daemon.dispatch", EventKind::Other),
        ("worker.message", EventKind::Other),
        ("anything.else", EventKind::Other),
    ];
    for (event_type, kind) in table {
        assert_eq!(EventKind::of(event_type), kind, "{event_type}");
    }
}

#[test]
fn forge_lifecycle_fills_every_job_record_field() {
    let (run, ..) = replay(&[
        ev(
            "job_created",
            0,
            json!({"job_type": "proxy", "source_path": "/in/a.mov", "burnin_preset_id": "bp1",
                   "lut_id": "rec709", "verification_run_id": "v9"}),
        ),
        ev("engine_selected", 1, json!({"engine": "resolve"})),
        ev("execution_started", 2, json!({})),
        ev("progress_update", 3, json!({"progress": 42.4})),
        ev(
            "execution_completed",
            9,
            json!({"output_path": "/out/a.mov"}),
        ),
    ]);
    let run = run.unwrap();
    assert_eq!(run.status, RunStatus::Completed);
    assert_eq!(run.job_type.as_deref(), Some("proxy"));
    assert_eq!(run.engine.as_deref(), Some("resolve"));
    assert_eq!(run.source_path.as_deref(), Some("/in/a.mov"));
    assert_eq!(run.output_path.as_deref(), Some("/out/a.mov"));
    assert_eq!(run.burnin_preset_id.as_deref(), Some("bp1"));
    assert_eq!(run.lut_id.as_deref(), Some("rec709"));
    assert_eq!(run.verification_run_id.as_deref(), Some("v9"));
    assert_eq!(run.worker_id.as_deref(), Some("w1"));
    assert_eq!(run.progress, Some(42));
    assert_eq!(run.created_at, t(0));
    assert_eq!(run.start_time, Some(t(2)));
    assert_eq!(run.end_time, Some(t(9)));
    assert_eq!(run.duration_seconds(), Some(7.0));
}

#[test]
fn chief_failure_keeps_the_reason_verbatim_and_counts() {
    let reason = "Traceback (most recent call last):\n  File \"etl.py\", line 3\nKeyError: 'id'  ";
    let (run, job, _, _) = replay(&[
        ev("job.started", 0, json!({})),
        ev("job.failed", 5, json!({"failure_reason": reason})),
    ]);
    let run = run.unwrap();
    assert_eq!(run.status, RunStatus::Failed);
    assert_eq!(run.failure_reason.as_deref(), Some(reason));
    assert_eq!(job.unwrap().consecutive_failures, 1);

    // Without a reason in metadata, the message is the reason.
    let (run, ..) = replay(&[ev("execution_failed", 0, json!({}))]);
    assert_eq!(
        run.unwrap().failure_reason.as_deref(),
        Some("execution_failed message")
    );
}

#[test]
fn a_terminal_run_never_changes_and_the_attempt_is_rejected() {
    let events = [
        ev("job.started", 0, json!({})),
        ev("job.completed", 5, json!({"output_path": "/out/ok"})),
    ];
    let (done, ..) = replay(&events);
    let done = done.unwrap();
    for late in [
        ev("job.failed", 6, json!({"failure_reason": "late"})),
        ev("job.started", 7, json!({})),
        ev("progress_update", 8, json!({"progress": 10})),
        ev("engine_selected", 9, json!({"engine": "ffmpeg"})),
        ev("job_created", 10, json!({"source_path": "/other"})),
    ] {
        let next = transition(Some(&done), None, None, &late);
        match next.run {
            RunChange::Rejected { status, reason } => {
                assert_eq!(status, RunStatus::Completed);
                assert!(reason.contains("terminal"), "{reason}");
            }
            other => panic!("{} changed a completed run: {other:?}", late.event_type),
        }
    }
}

#[test]
fn a_rejected_failure_does_not_count_against_the_job() {
    let (_, job, _, rejected) = replay(&[
        ev("job.started", 0, json!({})),
        ev("job.failed", 1, json!({})),
        ev("job.failed", 2, json!({})),
    ]);
    assert_eq!(rejected.len(), 1);
    assert_eq!(job.unwrap().consecutive_failures, 1);
}

#[test]
fn success_resets_the_failure_counter_and_marks_a_heartbeat() {
    let mut second = ev("job.started", 10, json!({}));
    second.run_id = Some("r2".into());
    let mut second_done = ev("job.completed", 12, json!({}));
    second_done.run_id = Some("r2".into());
    let (_, job, _, _) = replay(&[
        ev("job.started", 0, json!({})),
        ev("job.failed", 1, json!({})),
        second,
        second_done,
    ]);
    let job = job.unwrap();
    assert_eq!(job.consecutive_failures, 0);
    assert_eq!(job.last_heartbeat_at, Some(t(12)));
    assert_eq!(job.last_success_at, Some(t(12)));
    assert_eq!(job.last_failure_at, Some(t(1)));
    assert_eq!(job.last_run_id.as_deref(), Some("r2"));
}

#[test]
fn next_scheduled_and_policy_come_from_metadata() {
    let mut e = ev(
        "job.next_scheduled",
        0,
        json!({"next_run_at": "2025-11-26T02:00:00+01:00", "grace_seconds": 120,
               "alert_on_miss": false, "check_enabled": true, "schedule": "0 2 * * *",
               "timezone": "Europe/Berlin"}),
    );
    e.run_id = None;
    let (run, job, _, _) = replay(&[e]);
    assert!(run.is_none(), "no run without a run event");
    let job = job.unwrap();
    assert_eq!(
        job.expected_next_at,
        Some(
            DateTime::parse_from_rfc3339("2025-11-26T01:00:00Z")
                .unwrap()
                .with_timezone(&Utc)
        )
    );
    assert_eq!(job.policy.grace_seconds, 120);
    assert!(!job.policy.alert_on_miss);
    assert!(job.policy.alert_on_failure, "absent keys keep their value");
    assert_eq!(job.policy.schedule.as_deref(), Some("0 2 * * *"));
    assert_eq!(job.policy.timezone.as_deref(), Some("Europe/Berlin"));
}

#[test]
fn heartbeats_set_liveness_hostname_and_current_run() {
    let mut beat = ev(
        "worker.heartbeat",
        10,
        json!({"hostname": "farm-01.local", "current_run_id": "r7", "interval_seconds": 5}),
    );
    beat.run_id = None;
    beat.job_name = None;
    let mut older = ev("worker.heartbeat", 3, json!({"current_run_id": "r-old"}));
    older.run_id = None;
    older.job_name = None;
    let (_, _, worker, _) = replay(&[beat, older]);
    let worker = worker.unwrap();
    assert_eq!(worker.hostname.as_deref(), Some("farm-01.local"));
    assert_eq!(
        worker.current_run_id.as_deref(),
        Some("r7"),
        "an older beat does not win"
    );
    assert_eq!(worker.last_heartbeat_at, Some(t(10)));
    assert_eq!(worker.first_seen_at, t(3));
    assert_eq!(worker.interval_seconds, 5);

    // Any other event names the worker but is not a heartbeat.
    let (_, _, worker, _) = replay(&[ev("worker.message", 0, json!({}))]);
    assert_eq!(worker.unwrap().last_heartbeat_at, None);
}

#[test]
fn events_out_of_order_never_move_a_run_backwards() {
    let (run, ..) = replay(&[
        ev("execution_started", 5, json!({})),
        ev("job_created", 1, json!({"source_path": "/in"})),
    ]);
    let run = run.unwrap();
    assert_eq!(run.status, RunStatus::Running);
    assert_eq!(run.created_at, t(1));
    assert_eq!(run.updated_at, t(5));
    assert_eq!(run.source_path.as_deref(), Some("/in"));
}

#[test]
fn other_events_change_no_run() {
    for event_type in [
        "script.started",
        "daemon.dispatch",
        "worker.message",
        "chief.heartbeat",
    ] {
        let next = transition(None, None, None, &ev(event_type, 0, json!({})));
        assert_eq!(next.run, RunChange::None, "{event_type}");
    }
}

#[test]
fn a_completion_under_min_runtime_counts_as_a_too_fast_failure() {
    let policy = json!({"min_runtime_seconds": 60});
    let (run, job, _, _) = replay(&[
        ev("job.started", 0, policy.clone()),
        ev("job.completed", 5, json!({})),
    ]);
    // The run keeps the producer's word; the job counts a failure.
    assert_eq!(run.unwrap().status, RunStatus::Completed);
    let job = job.unwrap();
    assert_eq!(job.consecutive_failures, 1);
    assert_eq!(
        job.last_failure_reason.as_deref(),
        Some("too_fast: run r1 completed in 5s; min_runtime_seconds is 60")
    );
    assert_eq!(job.last_success_at, None);

    let mut slow = ev("job.started", 100, json!({}));
    slow.run_id = Some("r2".into());
    let mut done = ev("job.completed", 200, json!({}));
    done.run_id = Some("r2".into());
    let mut events = vec![
        ev("job.started", 0, policy),
        ev("job.completed", 5, json!({})),
    ];
    events.extend([slow, done]);
    let (_, job, _, _) = replay(&events);
    assert_eq!(
        job.unwrap().consecutive_failures,
        0,
        "a long enough run resets"
    );
}

#[test]
fn every_policy_key_is_read_and_null_clears_it() {
    let (_, job, _, _) = replay(&[ev(
        "job.started",
        0,
        json!({
            "start_grace_seconds": 30, "max_runtime_seconds": 7200,
            "min_runtime_seconds": 10, "failure_threshold": 3,
            "repeat_interval_seconds": 3600, "depends_on": "extract",
            "schedule": "0 2 * * *", "timezone": "Europe/Berlin"
        }),
    )]);
    let p = job.unwrap().policy;
    assert_eq!(p.start_grace_seconds, Some(30));
    assert_eq!(p.max_runtime_seconds, Some(7200));
    assert_eq!(p.min_runtime_seconds, Some(10));
    assert_eq!(p.failure_threshold, 3);
    assert_eq!(p.repeat_interval_seconds, Some(3600));
    assert_eq!(p.depends_on.as_deref(), Some("extract"));
    assert_eq!(p.timezone.as_deref(), Some("Europe/Berlin"));
    let (_, job, _, _) = replay(&[
        ev(
            "job.started",
            0,
            json!({"max_runtime_seconds": 60, "depends_on": "x"}),
        ),
        ev(
            "job.completed",
            90,
            json!({"max_runtime_seconds": null, "depends_on": null}),
        ),
    ]);
    let p = job.unwrap().policy;
    assert_eq!((p.max_runtime_seconds, p.depends_on), (None, None));
}

/// The store folds with `apply`, in place: it must leave what it refuses
/// or ignores exactly as it was, and create only what the event names.
#[test]
fn apply_in_place_changes_only_what_the_event_touches() {
    let (done, job, worker, _) = replay(&[
        ev("job.started", 0, json!({"engine": "ffmpeg"})),
        ev("job.completed", 5, json!({})),
    ]);
    let (mut run, mut job, mut worker) = (done.clone(), job, worker);
    let applied = apply(
        &mut run,
        &mut job,
        &mut worker,
        &ev("job.failed", 6, json!({"failure_reason": "late"})),
        DEFAULT_CLOCK_SKEW,
    );
    assert!(matches!(applied.run, RunOutcome::Rejected { .. }));
    assert_eq!(run, done, "a refused event changed the terminal run");
    assert!(applied.job_written && applied.worker_written);

    // An event naming nothing creates nothing.
    let mut bare = ev("worker.message", 7, json!({}));
    (bare.job_name, bare.run_id, bare.worker_id) = (None, None, None);
    let (mut run, mut job, mut worker) = (None, None, None);
    let applied = apply(&mut run, &mut job, &mut worker, &bare, DEFAULT_CLOCK_SKEW);
    assert_eq!(applied.run, RunOutcome::Untouched);
    assert!(!applied.job_written && !applied.worker_written);
    assert!(run.is_none() && job.is_none() && worker.is_none());

    // A progress event for an unknown run creates it, with its job and worker.
    let applied = apply(
        &mut run,
        &mut job,
        &mut worker,
        &ev("progress_update", 8, json!({"progress": 30})),
        DEFAULT_CLOCK_SKEW,
    );
    assert_eq!(applied.run, RunOutcome::Written);
    let created = run.expect("run created");
    assert_eq!(
        (created.run_id.as_str(), created.progress),
        ("r1", Some(30))
    );
    assert_eq!(created.job_name.as_deref(), Some("render"));
    assert_eq!(job.expect("job created").last_run_id.as_deref(), Some("r1"));
    assert_eq!(worker.expect("worker created").worker_id, "w1");
}
