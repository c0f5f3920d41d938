//! No value a producer (or a clock) can supply makes the model panic: the
//! state, deadline, presence, schedule and fold functions are run on
//! arbitrary inputs, the ends of time and of every integer included. A
//! panic here would kill the evaluator or the writer in the server.

#![cfg(feature = "schedule")]

use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;
use serde_json::{Value, json};
use telltale_model::schedule::{Schedule, expected_start};
use telltale_model::{
    Acks, Alert, AlertStatus, AlertType, Blind, CheckPolicy, CheckState, Evaluation, Event, Job,
    JobContext, Level, Maintenance, MaintenanceWindow, RunningRun, SchedulerPresence, SourceType,
    Worker, apply, check_state, deadline, evaluate_job, evaluate_worker, metadata,
};

fn any_time() -> impl Strategy<Value = DateTime<Utc>> {
    let lo = DateTime::<Utc>::MIN_UTC.timestamp();
    let hi = DateTime::<Utc>::MAX_UTC.timestamp();
    prop_oneof![
        Just(DateTime::<Utc>::MIN_UTC),
        Just(DateTime::<Utc>::MAX_UTC),
        Just(DateTime::<Utc>::UNIX_EPOCH),
        (1_700_000_000i64..1_900_000_000).prop_map(|s| Utc.timestamp_opt(s, 0).unwrap()),
        (lo..=hi).prop_map(|s| Utc
            .timestamp_opt(s, 0)
            .single()
            .unwrap_or(DateTime::<Utc>::MAX_UTC)),
    ]
}

fn any_u32() -> impl Strategy<Value = u32> {
    prop_oneof![
        Just(0u32),
        Just(1),
        Just(u32::MAX),
        Just(u32::MAX - 1),
        any::<u32>()
    ]
}

fn any_u64() -> impl Strategy<Value = u64> {
    prop_oneof![Just(0u64), Just(u64::MAX), any::<u64>()]
}

/// A JSON value of the kinds producers send for numbers, and worse.
fn any_number_json() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        Just(json!(1e308)),
        Just(json!(-1e308)),
        Just(json!(60.0)),
        Just(json!("60")),
        Just(json!("9999-12-31T23:59:59-05:00")),
        Just(json!(true)),
        Just(json!(null)),
        Just(json!([1, 2])),
        Just(json!({"x": 1})),
    ]
}

fn schedule_text() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        Just(Some("every 15m".to_owned())),
        Just(Some("every 1s".to_owned())),
        Just(Some("every 100000y".to_owned())),
        Just(Some("0 0 30 2 *".to_owned())),
        Just(Some("*/5 * * * *".to_owned())),
        Just(Some("59 23 31 12 *".to_owned())),
        Just(Some("garbage".to_owned())),
        any::<u64>().prop_map(|n| Some(format!("every {n}s"))),
    ]
}

fn any_timezone() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        Just(Some("Europe/Berlin".to_owned())),
        Just(Some("Nowhere/Else".to_owned())),
    ]
}

prop_compose! {
    fn any_policy()(
        check_enabled in any::<bool>(),
        grace_seconds in any_u32(),
        schedule in schedule_text(),
        timezone in any_timezone(),
        start_grace_seconds in proptest::option::of(any_u32()),
        max_runtime_seconds in proptest::option::of(any_u32()),
        min_runtime_seconds in proptest::option::of(any_u32()),
        failure_threshold in any_u32(),
        repeat_interval_seconds in proptest::option::of(any_u32()),
    ) -> CheckPolicy {
        CheckPolicy {
            check_enabled,
            grace_seconds,
            alert_on_failure: true,
            alert_on_miss: true,
            schedule,
            timezone,
            start_grace_seconds,
            max_runtime_seconds,
            min_runtime_seconds,
            failure_threshold,
            repeat_interval_seconds,
            depends_on: None,
        }
    }
}

prop_compose! {
    fn any_job()(
        policy in any_policy(),
        first_seen_at in any_time(),
        last_event_at in any_time(),
        last_heartbeat_at in proptest::option::of(any_time()),
        last_success_at in proptest::option::of(any_time()),
        last_failure_at in proptest::option::of(any_time()),
        consecutive_failures in any_u32(),
        failures_total in any_u64(),
        expected_next_at in proptest::option::of(any_time()),
    ) -> Job {
        Job {
            name: "j".into(),
            first_seen_at,
            last_event_at,
            last_heartbeat_at,
            last_run_id: Some("r".into()),
            last_success_at,
            last_failure_at,
            consecutive_failures,
            failures_total,
            last_failure_reason: Some("boom".into()),
            last_failure_run_id: Some("r".into()),
            expected_next_at,
            policy,
            managed: Default::default(),
        }
    }
}

prop_compose! {
    fn any_blind()(
        since in any_time(),
        until in proptest::option::of(any_time()),
        hold_until in proptest::option::of(any_time()),
    ) -> Blind {
        Blind { since, until, cause: "c".into(), hold_until }
    }
}

prop_compose! {
    fn any_context()(
        expected in proptest::option::of(any_time()),
        running in proptest::option::of(any_time()),
        maintenance in proptest::option::of(any_time()),
        blind in proptest::option::of(any_blind()),
        failures in any_u64(),
        missed in any::<bool>(),
    ) -> JobContext {
        JobContext {
            expected,
            running: running.map(|started_at| RunningRun { run_id: "r".into(), started_at }),
            upstream_down: None,
            maintenance: maintenance.map(|until| Maintenance { reason: "m".into(), until }),
            blind,
            acks: Acks { failures, missed },
        }
    }
}

prop_compose! {
    fn any_alert()(
        kind in 0usize..5,
        opened_at in any_time(),
        notified_at in proptest::option::of(any_time()),
        suppressed in any::<bool>(),
    ) -> Alert {
        Alert {
            id: kind as i64,
            alert_type: AlertType::ALL[kind],
            status: AlertStatus::Open,
            job_name: Some("j".into()),
            worker_id: None,
            run_id: None,
            dedupe_key: String::new(),
            reason: String::new(),
            opened_at,
            closed_at: None,
            close_reason: None,
            suppressed: suppressed.then(|| "s".into()),
            notified_at,
            notify_count: 1,
            deliveries: None,
        }
    }
}

fn event(
    event_type: &str,
    event_at: DateTime<Utc>,
    received_at: DateTime<Utc>,
    metadata: Value,
) -> Event {
    Event {
        id: 1,
        event_id: None,
        source_type: SourceType::Chief,
        level: Level::Info,
        event_type: event_type.into(),
        message: "m".into(),
        event_at,
        received_at,
        job_name: Some("j".into()),
        run_id: Some("r".into()),
        worker_id: Some("w".into()),
        script_path: None,
        metadata,
    }
}

const TYPES: [&str; 10] = [
    "job.started",
    "job.completed",
    "job.failed",
    "progress_update",
    "job.next_scheduled",
    "worker.heartbeat",
    "chief.heartbeat",
    "job_created",
    "engine_selected",
    "other",
];

const KEYS: [&str; 12] = [
    "grace_seconds",
    "start_grace_seconds",
    "max_runtime_seconds",
    "min_runtime_seconds",
    "repeat_interval_seconds",
    "failure_threshold",
    "progress",
    "interval_seconds",
    "ping_interval_seconds",
    "next_run_at",
    "check_enabled",
    "schedule",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn job_rules_never_panic(
        job in any_job(),
        ctx in any_context(),
        alerts in proptest::collection::vec(any_alert(), 0..4),
        now in any_time(),
        previous in 0usize..5,
    ) {
        let previous = CheckState::ALL[previous];
        let _ = check_state(&job, &ctx, now);
        let (state, eval) = evaluate_job(&job, &ctx, previous, &alerts, now);
        let _ = deadline(&job, &ctx, state, &alerts, &eval, now);
        let _ = deadline(&job, &ctx, state, &alerts, &Evaluation::default(), now);
        let _ = expected_start(&job);
    }

    #[test]
    fn worker_rules_never_panic(
        beat in proptest::option::of(any_time()),
        acked in proptest::option::of(any_time()),
        interval in any_u32(),
        now in any_time(),
        alert in proptest::option::of(any_alert()),
    ) {
        let worker = Worker {
            worker_id: "w".into(),
            hostname: None,
            first_seen_at: now,
            last_event_at: now,
            last_heartbeat_at: beat,
            current_run_id: Some("r".into()),
            interval_seconds: interval,
        };
        let _ = worker.status(now);
        let _ = evaluate_worker(&worker, alert.as_ref(), acked, now);
    }

    #[test]
    fn presence_never_panics(
        event_at in any_time(),
        received_at in any_time(),
        now in any_time(),
        interval in any_number_json(),
    ) {
        let meta = json!({"ping_interval_seconds": interval});
        let beat = event("chief.heartbeat", event_at, received_at, meta);
        let p = SchedulerPresence::at(Some(&beat), now);
        prop_assert!(p.offline_after_seconds >= 5);
        let _ = SchedulerPresence::fresh_on_receipt(&beat);
    }

    #[test]
    fn schedules_never_panic(text in schedule_text(), after in any_time()) {
        if let Some(text) = text
            && let Ok(s) = Schedule::parse(&text, Some("Europe/Berlin"))
        {
            let _ = s.next_after(after);
        }
    }

    #[test]
    fn maintenance_windows_never_panic(
        starts_at in proptest::option::of(any_time()),
        ends_at in proptest::option::of(any_time()),
        duration_seconds in proptest::option::of(any_u32()),
        now in any_time(),
    ) {
        let w = MaintenanceWindow {
            id: 1,
            job_name: None,
            schedule: Some("0 2 * * *".into()),
            duration_seconds,
            timezone: None,
            starts_at,
            ends_at,
            reason: "r".into(),
            created_at: now,
        };
        let _ = w.active_until(now);
    }

    #[test]
    fn the_fold_never_panics(
        kind in 0usize..10,
        event_at in any_time(),
        received_at in any_time(),
        values in proptest::collection::vec(any_number_json(), 12),
        skew in any::<i64>(),
    ) {
        let meta: serde_json::Map<String, Value> =
            KEYS.iter().map(|k| (*k).to_owned()).zip(values).collect();
        let e = event(TYPES[kind], event_at, received_at, Value::Object(meta.clone()));
        let skew = Duration::try_milliseconds(skew).unwrap_or(Duration::MAX);
        let (mut run, mut job, mut worker) = (None, None, None);
        for _ in 0..3 {
            let _ = apply(&mut run, &mut job, &mut worker, &e, skew);
        }
        let _ = metadata::problems(TYPES[kind], &meta, received_at);
        if let Some(job) = &job {
            let _ = expected_start(job);
        }
    }
}

#[test]
fn a_huge_ping_interval_is_an_unsaid_one() {
    let now = Utc::now();
    let beat = event(
        "chief.heartbeat",
        now,
        now,
        json!({"ping_interval_seconds": 9_223_372_036_854_775_807u64}),
    );
    let p = SchedulerPresence::at(Some(&beat), now);
    assert_eq!(p.ping_interval_seconds, None);
    assert!(p.online);
}

#[test]
fn a_far_future_event_counts_at_its_receipt() {
    let received = Utc.with_ymd_and_hms(2026, 12, 3, 12, 0, 0).unwrap();
    let far = Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap();
    let e = event("worker.heartbeat", far, received, json!({}));
    let (mut run, mut job, mut worker) = (None, None, None);
    apply(&mut run, &mut job, &mut worker, &e, Duration::seconds(300));
    let worker = worker.expect("worker");
    assert_eq!(worker.last_heartbeat_at, Some(received));
    assert_eq!(worker.last_event_at, received);
    // Within the skew, the producer's own time stands.
    let near = received + Duration::seconds(299);
    let e = event("job.started", near, received, json!({}));
    let (mut run, mut job, mut worker) = (None, None, None);
    apply(&mut run, &mut job, &mut worker, &e, Duration::seconds(300));
    assert_eq!(job.expect("job").last_heartbeat_at, Some(near));
}
