use serde_json::json;

use crate::helpers::{TestApp, event};

#[tokio::test]
async fn a_failed_run_opens_a_failure_alert_that_can_be_closed_by_hand() {
    let app = TestApp::spawn().await;
    let mut failed = event("job.failed", "exit 2: disk full");
    failed["metadata"] = json!({"failure_reason": "exit 2: disk full"});
    app.post_json(
        "/v1/events/batch",
        &json!([event("job.started", "go"), failed]),
    )
    .await;

    // The engine runs as soon as ingest reports the job; give it a moment.
    let mut alerts = json!(null);
    for _ in 0..50 {
        let (_, body) = app.get_json("/v1/alerts?status=OPEN").await;
        if !body["alerts"].as_array().unwrap().is_empty() {
            alerts = body;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let alert = &alerts["alerts"][0];
    assert_eq!(alert["alertType"], "FAILURE");
    assert_eq!(alert["jobName"], "nightly-proxy-render");
    assert_eq!(alert["status"], "OPEN");

    let (_, summary) = app.get_json("/v1/status/summary").await;
    assert_eq!(summary["runsByStatus"]["failed"], 1);
    assert_eq!(summary["openAlertsByType"]["FAILURE"], 1);
    assert_eq!(summary["jobsByCheckState"]["UP"], 1);
    assert_eq!(summary["scheduler"]["online"], false);

    let (status, jobs) = app.get_json("/v1/status/jobs?state=up").await;
    assert_eq!(status, 200);
    assert_eq!(jobs["jobs"][0]["name"], "nightly-proxy-render");
    assert_eq!(jobs["jobs"][0]["consecutiveFailures"], 1);
    let (_, detail) = app.get_json("/v1/status/jobs/nightly-proxy-render").await;
    assert_eq!(detail["openAlerts"].as_array().unwrap().len(), 1);
    assert_eq!(
        detail["recentRuns"][0]["failureReason"],
        "exit 2: disk full"
    );

    let id = alert["id"].as_i64().unwrap();
    let (status, closed) = app
        .post_json(
            &format!("/v1/alerts/{id}/close"),
            &json!({"reason": "disk replaced"}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(closed["found"], true);
    assert_eq!(closed["updated"], true);
    assert_eq!(closed["alert"]["closeReason"], "disk replaced");
    let (_, again) = app
        .post_json(&format!("/v1/alerts/{id}/close"), &json!({}))
        .await;
    assert_eq!(again["updated"], false, "already closed");
    let (status, missing) = app.post_json("/v1/alerts/424242/close", &json!({})).await;
    assert_eq!(status, 404);
    assert_eq!(missing["found"], false);
    app.stop().await;
}

#[tokio::test]
async fn scheduler_presence_follows_chief_heartbeats() {
    let app = TestApp::spawn().await;
    let mut beat = event("chief.heartbeat", "alive");
    beat["sourceType"] = json!("chief");
    beat["metadata"] = json!({"ping_interval_seconds": 10});
    app.post_json("/v1/events", &beat).await;
    let (_, summary) = app.get_json("/v1/status/summary").await;
    assert_eq!(summary["scheduler"]["online"], true);
    assert_eq!(summary["scheduler"]["offlineAfterSeconds"], 20);
    let (status, body) = app.get_json("/v1/status/jobs?state=sideways").await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["field"], "state");
    app.stop().await;
}
