//! Hostile numbers: no number a producer puts in an event's metadata can
//! panic the server or cost the event it rides on. A value Telltale cannot
//! accept is ignored (the setting it drives keeps its value) and named in
//! the answer's `warnings`; the event is stored all the same.

use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::support::Rig;

/// Values no numeric key can take: past every integer type, past every
/// range, negative, not a number at all, not whole.
fn hostile() -> Vec<Value> {
    vec![
        json!(9_223_372_036_854_775_807_i64),
        json!(18_446_744_073_709_551_615_u64),
        json!(-9_223_372_036_854_775_808_i64),
        json!(1e300),
        json!(-1e300),
        json!(-1),
        json!("x"),
        json!("60"),
        json!(true),
        json!([60]),
        json!({ "seconds": 60 }),
    ]
}

/// What every user of the server sees keeps answering 200 for a few
/// evaluator ticks: the summary, the overview page and health.
async fn keeps_answering(rig: &Rig, after: &str) {
    for _ in 0..4 {
        for path in ["/v1/status/summary", "/", "/v1/health"] {
            let resp = rig
                .request(reqwest::Method::GET, path)
                .send()
                .await
                .unwrap_or_else(|e| panic!("[{}] {path} after {after}: {e}", rig.backend));
            let status = resp.status().as_u16();
            let body = resp.text().await.unwrap_or_default();
            assert_eq!(
                status, 200,
                "[{}] {path} after {after}: {body}",
                rig.backend
            );
        }
        tokio::time::sleep(Duration::from_millis(800)).await;
    }
}

/// The answer stored the one event and warns about `field` alone, naming
/// it and saying what is wrong.
fn assert_warned(rig: &Rig, answer: &Value, index: usize, field: &str, what: &str) {
    let warnings = answer["warnings"].as_array().cloned().unwrap_or_default();
    assert_eq!(
        warnings.len(),
        1,
        "[{}] {what}: one warning, about {field}: {answer}",
        rig.backend
    );
    assert_eq!(
        warnings[0]["field"], field,
        "[{}] {what}: {answer}",
        rig.backend
    );
    assert_eq!(
        warnings[0]["index"], index,
        "[{}] {what}: {answer}",
        rig.backend
    );
    assert!(
        warnings[0]["reason"]
            .as_str()
            .is_some_and(|r| !r.trim().is_empty()),
        "[{}] {what}: the warning says what is wrong: {answer}",
        rig.backend
    );
}

fn assert_stored(rig: &Rig, answer: &Value, n: u64, what: &str) {
    assert_eq!(answer["inserted"], n, "[{}] {what}: {answer}", rig.backend);
    assert_eq!(
        answer["dropped"].as_array().map(Vec::len),
        Some(0),
        "[{}] {what}: nothing dropped: {answer}",
        rig.backend
    );
}

#[tokio::test]
async fn a_hostile_ping_interval_panics_nothing_and_alerts_keep_opening() {
    crate::on_each_backend!("numbers_ping", &[], |rig| {
        for (i, v) in hostile().into_iter().enumerate() {
            let answer = rig
                .event(json!({
                    "sourceType": "chief", "level": "info", "eventType": "chief.heartbeat",
                    "message": "scheduler alive", "eventId": format!("ping-{i}"),
                    "metadata": { "ping_interval_seconds": v },
                }))
                .await;
            let what = format!("ping_interval_seconds {v}");
            assert_stored(&rig, &answer, 1, &what);
            assert_warned(&rig, &answer, 0, "metadata.ping_interval_seconds", &what);
            // Every read that works the scheduler's presence out of its
            // newest heartbeat, while this one is the newest.
            let (status, summary) = rig.get("/v1/status/summary").await;
            assert_eq!(
                status, 200,
                "[{}] summary after {what}: {summary}",
                rig.backend
            );
        }
        keeps_answering(&rig, "hostile ping intervals").await;
        rig.canary().await;
        // The hostile heartbeat is still the newest after a restart.
        let rig = rig.restart().await;
        keeps_answering(&rig, "a restart").await;
        rig
    });
}

/// The policy keys a job event may carry, each with a valid value other
/// than its default.
const POLICY: &[(&str, u32)] = &[
    ("grace_seconds", 120),
    ("start_grace_seconds", 60),
    ("max_runtime_seconds", 3600),
    ("min_runtime_seconds", 5),
    ("repeat_interval_seconds", 600),
    ("failure_threshold", 1),
];

fn camel(key: &str) -> String {
    let mut out = String::new();
    let mut up = false;
    for c in key.chars() {
        if c == '_' {
            up = true;
        } else if up {
            out.extend(c.to_uppercase());
            up = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[tokio::test]
async fn a_bad_policy_value_is_a_warning_and_the_setting_keeps_its_value() {
    crate::on_each_backend!("numbers_policy", &[], |rig| {
        let job = "numbers-policy";
        let meta: serde_json::Map<String, Value> = POLICY
            .iter()
            .map(|(k, v)| ((*k).to_owned(), json!(v)))
            .collect();
        let answer = rig
            .event(json!({
                "sourceType": "worker", "level": "info", "eventType": "job.started",
                "message": "started", "jobName": job, "runId": "numbers-policy-1",
                "metadata": meta,
            }))
            .await;
        assert_stored(&rig, &answer, 1, "a valid policy");
        assert_eq!(answer["warnings"], json!([]), "[{}] {answer}", rig.backend);
        let policy = rig.job(job).await["policy"].clone();
        for (key, v) in POLICY {
            assert_eq!(
                policy[camel(key)],
                *v,
                "[{}] {key} set: {policy}",
                rig.backend
            );
        }

        for (key, _) in POLICY {
            for v in hostile().into_iter().chain([json!(60.5)]) {
                let what = format!("{key}: {v}");
                let answer = rig
                    .event(json!({
                        "sourceType": "worker", "level": "info", "eventType": "progress_update",
                        "message": "still going", "jobName": job, "runId": "numbers-policy-1",
                        "metadata": { *key: v },
                    }))
                    .await;
                assert_stored(&rig, &answer, 1, &what);
                assert_warned(&rig, &answer, 0, &format!("metadata.{key}"), &what);
            }
        }
        assert_eq!(
            rig.job(job).await["policy"],
            policy,
            "[{}] no bad value changed a setting",
            rig.backend
        );

        // An integral float is the whole number it writes.
        let answer = rig
            .event(json!({
                "sourceType": "worker", "level": "info", "eventType": "progress_update",
                "message": "still going", "jobName": job, "runId": "numbers-policy-1",
                "metadata": { "grace_seconds": 60.0, "failure_threshold": 1.0 },
            }))
            .await;
        assert_stored(&rig, &answer, 1, "60.0");
        assert_eq!(
            answer["warnings"],
            json!([]),
            "[{}] 60.0: {answer}",
            rig.backend
        );
        let now = rig.job(job).await["policy"].clone();
        assert_eq!(
            now["graceSeconds"], 60,
            "[{}] 60.0 is 60: {now}",
            rig.backend
        );
        assert_eq!(now["failureThreshold"], 1, "[{}] {now}", rig.backend);

        // The failure report a typo rides on is not lost: stored, counted,
        // alerted (the threshold keeps its value, 1).
        let answer = rig
            .event(json!({
                "sourceType": "worker", "level": "error", "eventType": "job.failed",
                "message": "disk full", "jobName": job, "runId": "numbers-policy-1",
                "metadata": { "failure_threshold": "x" },
            }))
            .await;
        assert_stored(&rig, &answer, 1, "a failure with a typo");
        assert_warned(
            &rig,
            &answer,
            0,
            "metadata.failure_threshold",
            "a failure with a typo",
        );
        let alert = rig
            .open_alert(job, "FAILURE", Duration::from_secs(20))
            .await;
        assert!(
            alert["reason"]
                .as_str()
                .is_some_and(|r| r.contains("numbers-policy-1")),
            "[{}] the alert names the failed run: {alert}",
            rig.backend
        );
        keeps_answering(&rig, "bad policy values").await;
        rig
    });
}

#[tokio::test]
async fn bad_progress_interval_and_next_run_values_are_warnings_and_change_nothing() {
    crate::on_each_backend!("numbers_kinds", &[], |rig| {
        let job = "numbers-kinds";
        let run = "numbers-kinds-1";
        let worker = "numbers-worker";
        let progress = |p: Value| {
            json!({
                "sourceType": "worker", "level": "info", "eventType": "progress_update",
                "message": "progress", "jobName": job, "runId": run, "metadata": { "progress": p },
            })
        };
        let heartbeat = |i: Value| {
            json!({
                "sourceType": "worker", "level": "info", "eventType": "worker.heartbeat",
                "message": "alive", "workerId": worker,
                "metadata": { "interval_seconds": i, "current_run_id": run },
            })
        };
        let next =
            (Utc::now() + chrono::Duration::hours(1)).to_rfc3339_opts(SecondsFormat::Secs, true);
        let scheduled = |at: Value| {
            json!({
                "sourceType": "chief", "level": "info", "eventType": "job.next_scheduled",
                "message": "next run", "jobName": job, "metadata": { "next_run_at": at },
            })
        };
        for (event, what) in [
            (progress(json!(40)), "progress 40"),
            (heartbeat(json!(30)), "interval 30"),
            (scheduled(json!(next)), "next run in an hour"),
        ] {
            let answer = rig.event(event).await;
            assert_stored(&rig, &answer, 1, what);
            assert_eq!(
                answer["warnings"],
                json!([]),
                "[{}] {what}: {answer}",
                rig.backend
            );
        }
        let (_, before_run) = rig.get(&format!("/v1/runs/{run}")).await;
        assert_eq!(
            before_run["run"]["progress"], 40,
            "[{}] {before_run}",
            rig.backend
        );
        let expected = rig.job(job).await["expectedNextAt"].clone();
        assert!(
            expected.is_string(),
            "[{}] next run set: {expected}",
            rig.backend
        );

        let times = [
            json!("x"),
            json!("tomorrow"),
            json!(1e300),
            json!(-1),
            json!(9_223_372_036_854_775_807_i64),
            // Past year 9999 once its offset is applied.
            json!("9999-12-31T23:00:00-05:00"),
            json!("+275760-09-13T00:00:00Z"),
        ];
        let cases = hostile()
            .into_iter()
            .chain([json!(101), json!(-0.5)])
            .map(|v| (progress(v.clone()), "metadata.progress", v))
            .chain(
                hostile()
                    .into_iter()
                    .chain([json!(0), json!(0.5)])
                    .map(|v| (heartbeat(v.clone()), "metadata.interval_seconds", v)),
            )
            .chain(
                times
                    .into_iter()
                    .map(|v| (scheduled(v.clone()), "metadata.next_run_at", v)),
            );
        for (event, field, v) in cases {
            let what = format!("{field}: {v}");
            let answer = rig.event(event).await;
            assert_stored(&rig, &answer, 1, &what);
            assert_warned(&rig, &answer, 0, field, &what);
        }
        let (_, run_now) = rig.get(&format!("/v1/runs/{run}")).await;
        assert_eq!(
            run_now["run"]["progress"], 40,
            "[{}] progress kept: {run_now}",
            rig.backend
        );
        let (status, w) = rig.get(&format!("/v1/workers/{worker}")).await;
        assert_eq!(status, 200, "[{}] {w}", rig.backend);
        assert_eq!(
            w["intervalSeconds"], 30,
            "[{}] interval kept: {w}",
            rig.backend
        );
        assert_eq!(w["status"], "busy", "[{}] still online: {w}", rig.backend);
        assert_eq!(
            rig.job(job).await["expectedNextAt"],
            expected,
            "[{}] next run kept",
            rig.backend
        );
        keeps_answering(&rig, "bad progress, interval and next run values").await;
        rig
    });
}

#[tokio::test]
async fn a_batch_with_one_bad_value_stores_every_event() {
    crate::on_each_backend!("numbers_batch", &[], |rig| {
        let job = "numbers-batch";
        let run = "numbers-batch-1";
        let event = |t: &str, level: &str, meta: Value| {
            json!({
                "sourceType": "worker", "level": level, "eventType": t, "message": t,
                "jobName": job, "runId": run, "metadata": meta,
            })
        };
        let answer = rig
            .batch(&[
                event("job.started", "info", json!({ "grace_seconds": 90 })),
                event(
                    "progress_update",
                    "info",
                    json!({ "progress": 50, "max_runtime_seconds": 1e300 }),
                ),
                event("job.failed", "error", json!({})),
            ])
            .await;
        assert_stored(&rig, &answer, 3, "a batch with one bad value");
        assert_warned(
            &rig,
            &answer,
            1,
            "metadata.max_runtime_seconds",
            "a batch with one bad value",
        );
        let (status, events) = rig.get(&format!("/v1/events?job={job}")).await;
        assert_eq!(status, 200, "{events}");
        assert_eq!(
            events["events"].as_array().map(Vec::len),
            Some(3),
            "[{}] all three stored: {events}",
            rig.backend
        );
        let state = rig.job(job).await;
        assert_eq!(
            state["policy"]["graceSeconds"], 90,
            "[{}] {state}",
            rig.backend
        );
        assert_eq!(
            state["policy"]["maxRuntimeSeconds"],
            Value::Null,
            "[{}] the bad value set nothing: {state}",
            rig.backend
        );
        let alert = rig
            .open_alert(job, "FAILURE", Duration::from_secs(20))
            .await;
        assert!(
            alert["reason"].as_str().is_some_and(|r| r.contains(run)),
            "[{}] {alert}",
            rig.backend
        );
        rig
    });
}

/// A body sent as it is (JSON text no `Value` can hold).
async fn post_raw(rig: &Rig, path: &str, body: String) -> (u16, Value) {
    let resp = rig
        .request(reqwest::Method::POST, path)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("request");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_number_past_every_float_in_one_event_costs_no_event() {
    crate::on_each_backend!("numbers_overflow", &[], |rig| {
        let job = "numbers-overflow";
        let failed = |run: &str, meta: &str| {
            format!(
                r#"{{"sourceType":"worker","level":"error","eventType":"job.failed","message":"disk full","jobName":"{job}","runId":"{run}","metadata":{meta}}}"#
            )
        };
        // JSON has no limit on numbers; 1e400 is past every f64.
        let (status, answer) = post_raw(
            &rig,
            "/v1/events",
            failed(
                "overflow-1",
                r#"{"grace_seconds": 1e400, "bytes": -1E+999}"#,
            ),
        )
        .await;
        assert_eq!(status, 200, "[{}] {answer}", rig.backend);
        assert_stored(&rig, &answer, 1, "grace_seconds 1e400");
        assert_warned(
            &rig,
            &answer,
            0,
            "metadata.grace_seconds",
            "grace_seconds 1e400",
        );
        let digits = "9".repeat(400);
        let (status, answer) = post_raw(
            &rig,
            "/v1/events/batch",
            format!(
                "[{}, {}]",
                failed("overflow-2", "{}"),
                failed(
                    "overflow-3",
                    &format!(r#"{{"failure_threshold": {digits}}}"#)
                )
            ),
        )
        .await;
        assert_eq!(status, 200, "[{}] {answer}", rig.backend);
        assert_stored(&rig, &answer, 2, "a batch with one 400-digit threshold");
        assert_warned(
            &rig,
            &answer,
            1,
            "metadata.failure_threshold",
            "a batch with one 400-digit threshold",
        );
        let state = rig.job(job).await;
        assert_eq!(
            state["policy"]["graceSeconds"], 300,
            "[{}] {state}",
            rig.backend
        );
        assert_eq!(
            state["policy"]["failureThreshold"], 1,
            "[{}] {state}",
            rig.backend
        );
        assert_eq!(
            state["failuresTotal"], 3,
            "[{}] every failure counted: {state}",
            rig.backend
        );
        // Still refused: what is not JSON at all.
        let (status, answer) = post_raw(&rig, "/v1/events", failed("overflow-4", "{1e400}")).await;
        assert_eq!(status, 400, "[{}] {answer}", rig.backend);
        rig.open_alert(job, "FAILURE", Duration::from_secs(20))
            .await;
        rig
    });
}
