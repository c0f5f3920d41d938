//! Sticky closes: an alert closed by hand stays closed for its incident,
//! across evaluator ticks and a restart, and opens again (and is delivered
//! again) only when something new happens: a run fails after the close,
//! the job was UP and went DOWN again, the worker came back and went
//! offline again.

use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::support::Rig;

const OPENS: Duration = Duration::from_secs(20);
/// Long enough for several evaluator ticks (1 s apart) to have looked.
const TICKS: Duration = Duration::from_secs(3);

fn rfc3339(t: chrono::DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn id(alert: &Value) -> i64 {
    alert["id"].as_i64().expect("alert id")
}

/// `alert.opened` deliveries the receiver accepted whose alert matches.
fn openings(rig: &Rig, matches: impl Fn(&Value) -> bool) -> Vec<i64> {
    rig.hook
        .accepted()
        .into_iter()
        .filter(|r| r.body["event"] == "alert.opened" && matches(&r.body["alert"]))
        .filter_map(|r| r.body["alert"]["id"].as_i64())
        .collect()
}

/// Waits until alert `id` has been delivered (opened) once.
async fn delivered_once(rig: &Rig, id: i64) {
    rig.wait_for("the alert's delivery", OPENS, || async {
        let n = rig
            .delivered(id)
            .iter()
            .filter(|r| r.body["event"] == "alert.opened")
            .count();
        (n > 0).then_some(())
    })
    .await;
}

/// For a few ticks, sends `nudge` (an event that makes the engine look at
/// the job again) and checks that no alert of `alert_type` of `job` is
/// open and that only the first one was ever delivered.
async fn stays_closed(rig: &Rig, job: &str, alert_type: &str, first: i64, when: &str) {
    let deadline = tokio::time::Instant::now() + TICKS;
    let mut n = 0;
    while tokio::time::Instant::now() < deadline {
        rig.event(json!({
            "sourceType": "worker", "level": "info", "eventType": "job.log",
            "message": format!("nudge {n}"), "jobName": job,
        }))
        .await;
        n += 1;
        tokio::time::sleep(Duration::from_millis(600)).await;
        let alerts: Vec<Value> = rig
            .alerts_of(job)
            .await
            .into_iter()
            .filter(|a| a["alertType"] == alert_type)
            .collect();
        assert!(
            alerts.iter().all(|a| id(a) == first),
            "[{}] {when}: the closed {alert_type} stays closed, none opens: {alerts:?}",
            rig.backend
        );
    }
    let opened = openings(rig, |a| a["jobName"] == job && a["alertType"] == alert_type);
    assert_eq!(
        opened,
        [first],
        "[{}] {when}: delivered once, for the first alert only",
        rig.backend
    );
}

#[tokio::test]
async fn a_hand_closed_failure_stays_closed_until_a_later_run_fails() {
    crate::on_each_backend!("sticky_failure", &[], |rig| {
        let job = "sticky-failure";
        let event = |t: &str, level: &str, run: &str, message: &str| {
            json!({
                "sourceType": "worker", "level": level, "eventType": t, "message": message,
                "jobName": job, "runId": run,
            })
        };
        rig.event(event("job.started", "info", "job-1", "started"))
            .await;
        rig.event(event("job.failed", "error", "job-1", "disk full"))
            .await;
        let first = rig.open_alert(job, "FAILURE", OPENS).await;
        assert!(
            first["reason"]
                .as_str()
                .is_some_and(|r| r.contains("job-1")),
            "[{}] names the failed run: {first}",
            rig.backend
        );
        delivered_once(&rig, id(&first)).await;
        rig.close_alert(id(&first), "known: the disk is being replaced")
            .await;

        // The next run starts: nothing failed since the close.
        rig.event(event("job.started", "info", "job-2", "started"))
            .await;
        stays_closed(&rig, job, "FAILURE", id(&first), "job-2 started").await;
        let rig = rig.restart().await;
        stays_closed(&rig, job, "FAILURE", id(&first), "after a restart").await;

        // job-2 fails: a new incident, named after the run that failed.
        rig.event(event("job.failed", "error", "job-2", "disk full again"))
            .await;
        let second = rig.open_alert(job, "FAILURE", OPENS).await;
        assert_ne!(id(&second), id(&first), "[{}] a new alert", rig.backend);
        let reason = second["reason"].as_str().unwrap_or_default();
        assert!(
            reason.contains("job-2") && !reason.contains("job-1"),
            "[{}] names job-2, the run that failed: {second}",
            rig.backend
        );
        assert_eq!(second["runId"], "job-2", "[{}] {second}", rig.backend);
        delivered_once(&rig, id(&second)).await;
        rig
    });
}

/// A job that never ran, told its run was due 10 minutes ago with no
/// grace: DOWN at once. Its MISSED alert.
async fn missed_job(rig: &Rig, job: &str) -> Value {
    rig.event(json!({
        "sourceType": "chief", "level": "info", "eventType": "job.next_scheduled",
        "message": "next run", "jobName": job,
        "metadata": {
            "next_run_at": rfc3339(Utc::now() - chrono::Duration::minutes(10)),
            "grace_seconds": 0,
        },
    }))
    .await;
    let alert = rig.open_alert(job, "MISSED", OPENS).await;
    delivered_once(rig, id(&alert)).await;
    alert
}

#[tokio::test]
async fn a_hand_closed_missed_stays_closed_until_the_job_was_up_and_down_again() {
    crate::on_each_backend!("sticky_missed", &[], |rig| {
        let job = "sticky-missed";
        let first = missed_job(&rig, job).await;
        rig.close_alert(id(&first), "we know, it is off for today")
            .await;
        stays_closed(&rig, job, "MISSED", id(&first), "the job still DOWN").await;
        let rig = rig.restart().await;
        stays_closed(&rig, job, "MISSED", id(&first), "after a restart").await;
        assert_eq!(
            rig.job(job).await["checkState"],
            "DOWN",
            "[{}] still DOWN",
            rig.backend
        );

        // It runs (UP), and its next run, due just after, never starts.
        rig.event(json!({
            "sourceType": "worker", "level": "info", "eventType": "job.started",
            "message": "started", "jobName": job, "runId": "sticky-missed-1",
        }))
        .await;
        rig.job_in_state(job, "UP", OPENS).await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        rig.event(json!({
            "sourceType": "chief", "level": "info", "eventType": "job.next_scheduled",
            "message": "next run", "jobName": job,
            "metadata": { "next_run_at": rfc3339(Utc::now() - chrono::Duration::milliseconds(200)) },
        }))
        .await;
        let second = rig.open_alert(job, "MISSED", OPENS).await;
        assert_ne!(id(&second), id(&first), "[{}] a new alert", rig.backend);
        delivered_once(&rig, id(&second)).await;
        rig
    });
}

#[tokio::test]
async fn a_hand_closed_missed_reopens_when_a_backlog_shows_the_job_ran_and_missed_again() {
    crate::on_each_backend!("sticky_missed_backlog", &[], |rig| {
        let job = "sticky-backlog";
        let first = missed_job(&rig, job).await;
        rig.close_alert(id(&first), "we know").await;
        stays_closed(&rig, job, "MISSED", id(&first), "the job still DOWN").await;

        // A producer cut off for a while sends its backlog at once: the
        // run did start (late: the job was UP again), and the next run,
        // due a second later, never started (DOWN again).
        let now = Utc::now();
        let answer = rig
            .batch(&[
                json!({
                    "sourceType": "worker", "level": "info", "eventType": "job.started",
                    "message": "started", "jobName": job, "runId": "sticky-backlog-1",
                    "eventAt": rfc3339(now - chrono::Duration::seconds(3)),
                }),
                json!({
                    "sourceType": "worker", "level": "info", "eventType": "job.completed",
                    "message": "done", "jobName": job, "runId": "sticky-backlog-1",
                    "eventAt": rfc3339(now - chrono::Duration::seconds(2)),
                }),
                json!({
                    "sourceType": "chief", "level": "info", "eventType": "job.next_scheduled",
                    "message": "next run", "jobName": job,
                    "eventAt": rfc3339(now - chrono::Duration::seconds(2)),
                    "metadata": { "next_run_at": rfc3339(now - chrono::Duration::seconds(1)) },
                }),
            ])
            .await;
        assert_eq!(answer["inserted"], 3, "[{}] {answer}", rig.backend);
        // The engine has seen it: DOWN again, for the run due a second ago.
        let due = now - chrono::Duration::seconds(1);
        rig.wait_for("DOWN for the new run", OPENS, || async {
            let state = rig.job(job).await;
            let expected = state["expectedAt"]
                .as_str()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok());
            (state["checkState"] == "DOWN"
                && expected.is_some_and(|t| {
                    (t.with_timezone(&Utc) - due).abs() < chrono::Duration::milliseconds(2)
                }))
            .then_some(())
        })
        .await;
        let second = rig.open_alert(job, "MISSED", OPENS).await;
        assert_ne!(id(&second), id(&first), "[{}] a new alert", rig.backend);
        delivered_once(&rig, id(&second)).await;
        rig
    });
}

/// A busy worker beating every second: offline 5 s after `beat`.
async fn beat(rig: &Rig, worker: &str, run: &str) {
    rig.event(json!({
        "sourceType": "worker", "level": "info", "eventType": "worker.heartbeat",
        "message": "alive", "workerId": worker,
        "metadata": { "interval_seconds": 1, "current_run_id": run },
    }))
    .await;
}

/// For a few ticks, no WORKER_OFFLINE of `worker` but `first` exists, and
/// only `first` was ever delivered.
async fn worker_quiet(rig: &Rig, worker: &str, first: i64, when: &str) {
    tokio::time::sleep(TICKS).await;
    let alerts = rig.worker_alerts(worker).await;
    assert!(
        alerts.iter().all(|a| id(a) == first),
        "[{}] {when}: the closed WORKER_OFFLINE stays closed: {alerts:?}",
        rig.backend
    );
    assert_eq!(
        openings(rig, |a| a["workerId"] == worker),
        [first],
        "[{}] {when}: delivered once",
        rig.backend
    );
}

#[tokio::test]
async fn a_hand_closed_worker_offline_stays_closed_until_the_worker_came_back() {
    crate::on_each_backend!("sticky_worker", &[], |rig| {
        let worker = "sticky-worker";
        beat(&rig, worker, "sticky-worker-run-1").await;
        let first = rig.open_worker_alert(worker, OPENS).await;
        delivered_once(&rig, id(&first)).await;
        rig.close_alert(id(&first), "the host is being rebuilt")
            .await;

        worker_quiet(&rig, worker, id(&first), "still offline").await;
        let rig = rig.restart().await;
        worker_quiet(&rig, worker, id(&first), "after a restart").await;

        // Back (a fresh heartbeat), then gone again: a new incident.
        beat(&rig, worker, "sticky-worker-run-2").await;
        let second = rig.open_worker_alert(worker, OPENS).await;
        assert_ne!(id(&second), id(&first), "[{}] a new alert", rig.backend);
        assert_eq!(
            second["runId"], "sticky-worker-run-2",
            "[{}] {second}",
            rig.backend
        );
        delivered_once(&rig, id(&second)).await;
        rig
    });
}

#[tokio::test]
async fn a_worker_offline_closed_just_after_the_worker_came_back_does_not_hold_its_next_absence() {
    crate::on_each_backend!("sticky_worker_race", &[], |rig| {
        // It comes back, and a person closes the alert at once, before
        // the engine has seen the heartbeat: that incident is over. (Should
        // the engine see it first and close the alert itself, that is not
        // the case under test: again with another worker.)
        let mut attempt = 0;
        let (worker, first) = loop {
            attempt += 1;
            assert!(attempt <= 5, "[{}] never closed first", rig.backend);
            let worker = format!("sticky-worker-race-{attempt}");
            beat(&rig, &worker, "sticky-race-run-1").await;
            let first = rig.open_worker_alert(&worker, OPENS).await;
            beat(&rig, &worker, "sticky-race-run-2").await;
            let (status, closed) = rig
                .post(
                    &format!("/v1/alerts/{}/close", id(&first)),
                    &json!({ "reason": "it came back" }),
                )
                .await;
            assert_eq!(status, 200, "[{}] {closed}", rig.backend);
            if closed["updated"] == true {
                break (worker, first);
            }
        };
        let worker = worker.as_str();
        // It goes offline again: a new incident.
        let second = rig.open_worker_alert(worker, OPENS).await;
        assert_ne!(id(&second), id(&first), "[{}] a new alert", rig.backend);
        assert_eq!(
            second["runId"], "sticky-race-run-2",
            "[{}] {second}",
            rig.backend
        );
        delivered_once(&rig, id(&second)).await;
        rig
    });
}

/// Keeps the engine busy looking at `job` and 2,000 others (each tick
/// reads them all) until `stop` is set.
fn keep_engine_busy(
    rig: &Rig,
    job: &str,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> tokio::task::JoinHandle<()> {
    let (client, url, job) = (
        rig.client.clone(),
        rig.url("/v1/events/batch"),
        job.to_owned(),
    );
    tokio::spawn(async move {
        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
            for b in 0..2 {
                let events: Vec<Value> = (0..999)
                    .map(|i| format!("sticky-busy-{b}-{i}"))
                    .chain([job.clone()])
                    .map(|name| {
                        json!({
                            "sourceType": "worker", "level": "info", "eventType": "job.log",
                            "message": "busy", "jobName": name,
                        })
                    })
                    .collect();
                let _ = client
                    .post(&url)
                    .json(&json!({ "events": events }))
                    .send()
                    .await;
            }
        }
    })
}

#[tokio::test]
async fn a_failure_closed_while_the_engine_looks_at_its_job_stays_closed() {
    crate::on_each_backend!("sticky_failure_race", &[], |rig| {
        // The close lands at some point of a tick that reads the job, then
        // its open alerts; wherever it lands, the alert stays closed. (Read
        // in the wrong order, one close in five or so came back.)
        for attempt in 0..5 {
            let job = format!("sticky-race-{attempt}");
            rig.event(json!({
                "sourceType": "worker", "level": "error", "eventType": "job.failed",
                "message": "disk full", "jobName": job, "runId": format!("{job}-1"),
            }))
            .await;
            let first = rig.open_alert(&job, "FAILURE", OPENS).await;
            let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
            let busy = keep_engine_busy(&rig, &job, stop.clone());
            tokio::time::sleep(Duration::from_millis(700 + 131 * attempt)).await;
            rig.close_alert(id(&first), "known").await;
            tokio::time::sleep(Duration::from_secs(2)).await;
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            busy.await.expect("busy task");
            let failures: Vec<Value> = rig
                .alerts_of(&job)
                .await
                .into_iter()
                .filter(|a| a["alertType"] == "FAILURE")
                .collect();
            assert!(
                failures.iter().all(|a| id(a) == id(&first)),
                "[{}] attempt {attempt}: closed by hand, nothing failed since, yet: {failures:?}",
                rig.backend
            );
        }
        rig
    });
}
