//! Every change goes through the service layer, whichever edge it comes
//! from: the REST API and the dashboard's server functions follow one rule
//! and announce the change to every live page alike.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use serde_json::{Value, json};
use telltale_server::engine::ManualClock;

use crate::helpers::{TestApp, event};
use crate::sse::read_until;

/// Reads the stream until it has said nothing for a while: what is left
/// over from earlier changes is not taken for the one under test.
async fn drain(stream: &mut reqwest::Response) {
    while let Ok(Some(_)) = tokio::time::timeout(Duration::from_millis(700), stream.chunk())
        .await
        .map(|c| c.expect("stream chunk"))
    {}
}

/// A job that failed, and the FAILURE alert about it.
async fn failed_alert(app: &TestApp, job: &str) -> i64 {
    let mut failed = event("job.failed", "exit 1");
    failed["jobName"] = job.into();
    failed["runId"] = format!("{job}-run").into();
    failed["metadata"] = json!({"failure_reason": "exit 1"});
    let (status, body) = app.post_json("/v1/events", &failed).await;
    assert_eq!(status, 200, "{body}");
    for _ in 0..100 {
        let (_, alerts) = app
            .get_json(&format!("/v1/alerts?type=FAILURE&job={job}"))
            .await;
        if let Some(id) = alerts["alerts"][0]["id"].as_i64() {
            return id;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no FAILURE alert opened for {job}");
}

async fn alert(app: &TestApp, id: i64) -> Value {
    let (status, body) = app.get_json(&format!("/v1/alerts/{id}")).await;
    assert_eq!(status, 200, "{body}");
    body["alert"].clone()
}

/// Closes `id` as the alerts page's plain form does (no JavaScript).
async fn close_from_dashboard(app: &TestApp, id: i64, reason: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/alerts/close"))
        .header("accept", "text/html")
        .header("referer", app.url("/alerts"))
        .form(&[("id", id.to_string()), ("reason", reason.to_owned())])
        .send()
        .await
        .expect("request")
}

/// Closing an alert that does not exist from the dashboard is refused in
/// words that name the alert, and nothing is closed.
#[tokio::test]
async fn a_close_of_an_unknown_alert_from_the_dashboard_names_it() {
    let app = TestApp::spawn().await;
    let id = failed_alert(&app, "nightly").await;
    let resp = app
        .client
        .post(app.url("/api/alerts/close"))
        .header("origin", app.origin())
        .form(&[("id", "999999"), ("reason", "typo")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    let said = resp.text().await.unwrap();
    assert!(said.contains("999999"), "{said}");
    assert_eq!(alert(&app, id).await["status"], "OPEN");
    app.stop().await;
}

#[tokio::test]
async fn a_close_from_the_dashboard_reaches_another_open_dashboard() {
    let app = TestApp::spawn().await;
    let id = failed_alert(&app, "nightly").await;
    // Another operator's dashboard, listening.
    let mut stream = app.client.get(app.url("/v1/stream")).send().await.unwrap();
    assert_eq!(stream.status(), 200);
    drain(&mut stream).await;

    let resp = close_from_dashboard(&app, id, "disk replaced").await;
    assert!(resp.status().is_redirection(), "{}", resp.status());
    read_until(&mut stream, "event: alerts\n", Duration::from_secs(5)).await;
    assert_eq!(alert(&app, id).await["status"], "CLOSED");
    app.stop().await;
}

#[tokio::test]
async fn both_close_paths_follow_one_rule_for_the_reason() {
    let app = TestApp::spawn().await;

    // A blank reason is the default one, from either edge.
    let by_api = failed_alert(&app, "by-api").await;
    let (status, body) = app
        .post_json(
            &format!("/v1/alerts/{by_api}/close"),
            &json!({"reason": "   "}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["reason"], "closed by hand");
    let by_page = failed_alert(&app, "by-page").await;
    let resp = close_from_dashboard(&app, by_page, "   ").await;
    assert!(resp.status().is_redirection(), "{}", resp.status());
    for id in [by_api, by_page] {
        let closed = alert(&app, id).await;
        assert_eq!(closed["status"], "CLOSED", "{closed}");
        assert_eq!(closed["closeReason"], "closed by hand", "{closed}");
    }

    // A reason past the limit is refused by both, naming the field, and
    // the alert stays open.
    let open = failed_alert(&app, "long-reason").await;
    let long = "x".repeat(1001);
    let (status, body) = app
        .post_json(
            &format!("/v1/alerts/{open}/close"),
            &json!({"reason": long}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["field"], "reason", "{body}");
    let resp = app
        .client
        .post(app.url("/api/alerts/close"))
        .header("origin", app.origin())
        .form(&[("id", open.to_string()), ("reason", long)])
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_server_error() || resp.status().is_client_error());
    let said = resp.text().await.unwrap();
    assert!(said.contains("reason"), "{said}");
    assert_eq!(alert(&app, open).await["status"], "OPEN");

    // An unknown alert: a 404 that names the alert, not the endpoint.
    let (status, body) = app.post_json("/v1/alerts/999999/close", &json!({})).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["found"], false, "{body}");
    let (status, body) = app.get_json("/v1/alerts/999999").await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"]["message"], "no alert 999999", "{body}");
    app.stop().await;
}

#[tokio::test]
async fn a_missing_webhook_is_named_as_such() {
    let app = TestApp::spawn().await;
    let resp = app
        .client
        .delete(app.url("/v1/settings/alerts/webhooks/4242"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["message"], "no webhook 4242", "{body}");
    app.stop().await;
}

#[tokio::test]
async fn a_worker_lost_mid_run_reaches_the_runs_page_live() {
    let start = Utc::now();
    let clock = Arc::new(ManualClock::new(start));
    let app = TestApp::spawn_with_clock(
        &[("MONITOR_EVALUATOR_INTERVAL_SECONDS", "1")],
        clock.clone(),
    )
    .await;
    let mut started = event("job.started", "rendering");
    started["runId"] = "r-lost".into();
    let mut beat = event("worker.heartbeat", "alive");
    beat["jobName"] = Value::Null;
    beat["runId"] = Value::Null;
    beat["metadata"] = json!({"current_run_id": "r-lost", "interval_seconds": 10});
    let (status, body) = app
        .post_json("/v1/events/batch", &json!([started, beat]))
        .await;
    assert_eq!(status, 200, "{body}");
    // The run page of `r-lost`, listening.
    let mut stream = app.client.get(app.url("/v1/stream")).send().await.unwrap();
    drain(&mut stream).await;

    clock.set(start + chrono::Duration::seconds(120));
    read_until(&mut stream, "event: events\n", Duration::from_secs(10)).await;
    let (_, run) = app.get_json("/v1/runs/r-lost").await;
    let lost = run["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["eventType"] == "worker_lost");
    assert!(lost, "{run}");
    app.stop().await;
}

#[tokio::test]
async fn a_duplicate_event_changes_nothing_and_says_nothing_live() {
    let app = TestApp::spawn().await;
    let mut first = event("job.started", "go");
    first["eventId"] = "once".into();
    let (status, body) = app.post_json("/v1/events", &first).await;
    assert_eq!(
        (status, body["inserted"].as_u64()),
        (200, Some(1)),
        "{body}"
    );
    let mut stream = app.client.get(app.url("/v1/stream")).send().await.unwrap();
    drain(&mut stream).await;

    let (status, body) = app.post_json("/v1/events", &first).await;
    assert_eq!(
        (status, body["duplicates"].as_u64()),
        (200, Some(1)),
        "{body}"
    );
    let said = tokio::time::timeout(Duration::from_millis(1500), async {
        let mut said = String::new();
        while let Some(chunk) = stream.chunk().await.expect("stream chunk") {
            said.push_str(&String::from_utf8_lossy(&chunk));
            if said.contains("event: ") {
                break;
            }
        }
        said
    })
    .await
    .unwrap_or_default();
    assert!(!said.contains("event: events"), "{said}");

    // A new event is announced as before.
    let mut second = event("job.completed", "done");
    second["eventId"] = "twice".into();
    app.post_json("/v1/events", &second).await;
    read_until(&mut stream, "event: events\n", Duration::from_secs(5)).await;
    app.stop().await;
}

/// Reads of a worker's status go by the injected clock, as the engine
/// does: an hour on the test clock and the worker is offline everywhere,
/// though the wall clock has barely moved.
#[tokio::test]
async fn worker_status_reads_follow_the_injected_clock() {
    let start = Utc::now();
    let clock = Arc::new(ManualClock::new(start));
    let app = TestApp::spawn_with_clock(&[], clock.clone()).await;
    let mut beat = event("worker.heartbeat", "alive");
    beat["jobName"] = Value::Null;
    beat["runId"] = Value::Null;
    beat["metadata"] = json!({"interval_seconds": 10});
    let (status, body) = app.post_json("/v1/events", &beat).await;
    assert_eq!(status, 200, "{body}");
    let worker = beat["workerId"]
        .as_str()
        .expect("the helper names a worker");
    let path = format!("/v1/workers/{worker}");
    let (_, one) = app.get_json(&path).await;
    assert_eq!(one["status"], "idle", "{one}");

    clock.set(start + chrono::Duration::hours(1));
    let (_, one) = app.get_json(&path).await;
    assert_eq!(one["status"], "offline", "{one}");
    let (_, all) = app.get_json("/v1/workers").await;
    assert_eq!(all["workers"][0]["status"], "offline", "{all}");
    let (_, summary) = app.get_json("/v1/status/summary").await;
    assert_eq!(summary["workersByStatus"]["offline"], 1, "{summary}");
    app.stop().await;
}
