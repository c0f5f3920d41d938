//! Far-future times: a producer's `eventAt` is stored and shown as sent,
//! but a date far ahead cannot keep a job up or a worker online: liveness
//! counts such an event as received. A time that cannot be written back
//! (past year 9999 once its offset is applied) is refused, naming
//! `eventAt`, and changes nothing.

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::support::Rig;

const YEAR_9999: &str = "9999-12-31T23:59:59Z";

fn time(v: &Value) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(v.as_str()?)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The stored events naming `query` (`job=…`, `worker=…`), newest first.
async fn events(rig: &Rig, query: &str) -> Vec<Value> {
    let (status, body) = rig.get(&format!("/v1/events?{query}")).await;
    assert_eq!(status, 200, "[{}] events {query}: {body}", rig.backend);
    body["events"].as_array().cloned().unwrap_or_default()
}

/// Each of `events` is shown with `eventAt` exactly as it was sent.
fn assert_shown_as_sent(rig: &Rig, events: &[Value], sent: &str, what: &str) {
    let want = DateTime::parse_from_rfc3339(sent).map(|t| t.with_timezone(&Utc));
    assert!(
        !events.is_empty() && events.iter().all(|e| time(&e["eventAt"]) == want.ok()),
        "[{}] {what}: stored and shown as sent ({sent}): {events:?}",
        rig.backend
    );
}

#[tokio::test]
async fn a_worker_whose_heartbeat_is_dated_9999_still_goes_offline() {
    crate::on_each_backend!("times_worker", &[], |rig| {
        let worker = "times-worker";
        let answer = rig
            .event(json!({
                "sourceType": "worker", "level": "info", "eventType": "worker.heartbeat",
                "message": "alive", "workerId": worker, "eventAt": YEAR_9999,
                "metadata": { "interval_seconds": 1, "current_run_id": "times-worker-run" },
            }))
            .await;
        assert_eq!(answer["inserted"], 1, "[{}] {answer}", rig.backend);
        assert_shown_as_sent(
            &rig,
            &events(&rig, &format!("worker={worker}")).await,
            YEAR_9999,
            "the heartbeat",
        );
        let alert = rig.open_worker_alert(worker, Duration::from_secs(20)).await;
        assert_eq!(
            alert["runId"], "times-worker-run",
            "[{}] {alert}",
            rig.backend
        );
        let (_, w) = rig.get(&format!("/v1/workers/{worker}")).await;
        assert_eq!(w["status"], "offline", "[{}] {w}", rig.backend);
        let beat = time(&w["lastHeartbeatAt"]);
        assert!(
            beat.is_some_and(|b| b < Utc::now()),
            "[{}] its heartbeat counts when it was received, not in 9999: {w}",
            rig.backend
        );
        rig
    });
}

#[tokio::test]
async fn a_job_whose_start_is_dated_9999_still_goes_down() {
    crate::on_each_backend!("times_job", &[], |rig| {
        // Overdue: the start dated 9999 came (counted at its receipt), the
        // next run was due just after it and never started.
        let job = "times-job";
        rig.event(json!({
            "sourceType": "worker", "level": "info", "eventType": "job.started",
            "message": "started", "jobName": job, "runId": "times-job-1",
            "eventAt": YEAR_9999,
        }))
        .await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let due = Utc::now() - chrono::Duration::milliseconds(200);
        rig.event(json!({
            "sourceType": "chief", "level": "info", "eventType": "job.next_scheduled",
            "message": "next run", "jobName": job,
            "metadata": { "next_run_at": rfc3339(due), "grace_seconds": 0 },
        }))
        .await;
        let alert = rig.open_alert(job, "MISSED", Duration::from_secs(20)).await;
        assert_eq!(
            rig.job(job).await["checkState"],
            "DOWN",
            "[{}] {alert}",
            rig.backend
        );
        assert_shown_as_sent(
            &rig,
            &events(&rig, &format!("job={job}&type=job.started")).await,
            YEAR_9999,
            "the start",
        );

        // A run started in 9999 that overruns is an overrun all the same.
        let job = "times-overrun";
        rig.event(json!({
            "sourceType": "worker", "level": "info", "eventType": "job.started",
            "message": "started", "jobName": job, "runId": "times-overrun-1",
            "eventAt": YEAR_9999, "metadata": { "max_runtime_seconds": 1 },
        }))
        .await;
        rig.open_alert(job, "MISSED", Duration::from_secs(20)).await;
        let state = rig.job(job).await;
        assert_eq!(state["checkState"], "DOWN", "[{}] {state}", rig.backend);
        // The pages that show these events and runs still answer.
        for path in [
            "/events",
            "/runs/times-job-1",
            "/jobs/times-job",
            "/workers",
            "/v1/export/events.ndjson?job=times-job",
            "/v1/export/runs.csv?job=times-job",
        ] {
            let resp = rig
                .request(reqwest::Method::GET, path)
                .send()
                .await
                .unwrap_or_else(|e| panic!("[{}] {path}: {e}", rig.backend));
            assert_eq!(resp.status(), 200, "[{}] {path}", rig.backend);
            let body = resp.text().await.unwrap_or_default();
            if path.contains("events") {
                assert!(
                    body.contains("9999-12-31"),
                    "[{}] {path} shows the time as sent",
                    rig.backend
                );
            }
        }
        rig
    });
}

#[tokio::test]
async fn an_event_at_past_year_9999_is_refused_naming_event_at_and_changes_nothing() {
    crate::on_each_backend!("times_refused", &[], |rig| {
        let job = "times-refused";
        rig.event(json!({
            "sourceType": "worker", "level": "info", "eventType": "job.started",
            "message": "started", "jobName": job, "runId": "times-refused-1",
        }))
        .await;
        let before = rig.job_in_state(job, "UP", Duration::from_secs(10)).await;
        let stored = events(&rig, &format!("job={job}")).await.len();
        let failed = |at: &str| {
            json!({
                "sourceType": "worker", "level": "error", "eventType": "job.failed",
                "message": "disk full", "jobName": job, "runId": "times-refused-1",
                "eventAt": at,
            })
        };
        // Past 9999 once the offset is applied, or not a 4-digit year at all.
        let unwritable = [
            "9999-12-31T23:00:00-05:00",
            "9999-12-31T23:59:59.999-00:01",
            "0000-01-01T00:00:00+01:00",
            "10000-01-01T00:00:00Z",
        ];
        for at in unwritable {
            let (status, body) = rig.post("/v1/events", &failed(at)).await;
            assert_eq!(status, 400, "[{}] eventAt {at}: {body}", rig.backend);
            assert_eq!(
                body["error"]["field"], "eventAt",
                "[{}] eventAt {at}: {body}",
                rig.backend
            );
        }
        let good = json!({
            "sourceType": "worker", "level": "info", "eventType": "job.log",
            "message": "a line", "jobName": job,
        });
        let events_in_batch: Vec<Value> = std::iter::once(good.clone())
            .chain(unwritable.iter().map(|at| failed(at)))
            .collect();
        let answer = rig.batch(&events_in_batch).await;
        assert_eq!(answer["inserted"], 1, "[{}] {answer}", rig.backend);
        let dropped = answer["dropped"].as_array().cloned().unwrap_or_default();
        let indexes: Vec<u64> = dropped.iter().filter_map(|d| d["index"].as_u64()).collect();
        assert_eq!(indexes, [1, 2, 3, 4], "[{}] {answer}", rig.backend);
        assert!(
            dropped
                .iter()
                .all(|d| d["reason"].as_str().is_some_and(|r| r.contains("eventAt"))),
            "[{}] each names eventAt: {answer}",
            rig.backend
        );
        // Nothing of the refused failures is stored, counted or alerted.
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert_eq!(
            events(&rig, &format!("job={job}")).await.len(),
            stored + 1,
            "[{}] only the good event stored",
            rig.backend
        );
        let after = rig.job(job).await;
        for key in [
            "consecutiveFailures",
            "lastFailureAt",
            "checkState",
            "lastHeartbeatAt",
        ] {
            assert_eq!(after[key], before[key], "[{}] {key}: {after}", rig.backend);
        }
        let (_, run) = rig.get("/v1/runs/times-refused-1").await;
        assert_eq!(run["run"]["status"], "running", "[{}] {run}", rig.backend);
        assert!(
            rig.alerts_of(job).await.is_empty(),
            "[{}] no alert: {:?}",
            rig.backend,
            rig.alerts_of(job).await
        );
        rig
    });
}

#[tokio::test]
async fn an_event_at_slightly_ahead_counts_as_sent_and_far_ahead_as_received() {
    crate::on_each_backend!("times_skew", &[], |rig| {
        // Within the default skew (300 s): the producer's clock is trusted.
        let ahead = rfc3339(Utc::now() + chrono::Duration::seconds(120));
        let far = rfc3339(Utc::now() + chrono::Duration::seconds(900));
        let start = |job: &str, at: &str| {
            json!({
                "sourceType": "worker", "level": "info", "eventType": "job.started",
                "message": "started", "jobName": job, "runId": format!("{job}-1"),
                "eventAt": at,
            })
        };
        rig.event(start("times-ahead", &ahead)).await;
        let sent_at = Utc::now();
        rig.event(start("times-far", &far)).await;
        let received_by = Utc::now();
        let job = rig.job("times-ahead").await;
        assert_eq!(
            time(&job["lastHeartbeatAt"]),
            time(&json!(ahead)),
            "[{}] within the skew, counted as sent: {job}",
            rig.backend
        );
        let job = rig.job("times-far").await;
        let beat = time(&job["lastHeartbeatAt"]);
        assert!(
            beat.is_some_and(|b| b >= sent_at - chrono::Duration::seconds(1)
                && b <= received_by + chrono::Duration::seconds(1)),
            "[{}] past the skew, counted as received: {job}",
            rig.backend
        );
        assert_shown_as_sent(
            &rig,
            &events(&rig, "job=times-far").await,
            &far,
            "the far start",
        );

        // A worker 2 minutes ahead, beating every second, is online for
        // those 2 minutes as its clock says.
        let worker = "times-skew-worker";
        rig.event(json!({
            "sourceType": "worker", "level": "info", "eventType": "worker.heartbeat",
            "message": "alive", "workerId": worker, "eventAt": ahead,
            "metadata": { "interval_seconds": 1, "current_run_id": "times-ahead-1" },
        }))
        .await;
        tokio::time::sleep(Duration::from_secs(7)).await;
        let (_, w) = rig.get(&format!("/v1/workers/{worker}")).await;
        assert_eq!(w["status"], "busy", "[{}] {w}", rig.backend);
        assert!(
            rig.worker_alerts(worker).await.is_empty(),
            "[{}] no WORKER_OFFLINE",
            rig.backend
        );
        rig
    });
}

#[tokio::test]
async fn the_clock_skew_is_configurable() {
    crate::on_each_backend!(
        "times_skew_config",
        &[("MONITOR_CLOCK_SKEW_SECONDS", "30")],
        |rig| {
            let ahead = rfc3339(Utc::now() + chrono::Duration::seconds(120));
            let sent_at = Utc::now();
            rig.event(json!({
                "sourceType": "worker", "level": "info", "eventType": "job.started",
                "message": "started", "jobName": "times-skew30", "runId": "times-skew30-1",
                "eventAt": ahead,
            }))
            .await;
            let job = rig.job("times-skew30").await;
            let beat = time(&job["lastHeartbeatAt"]);
            assert!(
                beat.is_some_and(|b| b >= sent_at - chrono::Duration::seconds(1)
                    && b <= Utc::now() + chrono::Duration::seconds(1)),
                "[{}] 120 s ahead is past a 30 s skew: counted as received: {job}",
                rig.backend
            );
            rig
        }
    );
}
