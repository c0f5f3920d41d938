//! Rows no version of Telltale writes, but a SQL shell or a damaged restore
//! can leave: times at the end of what the server can represent, spans past
//! an i64. The engine keeps ticking over them and the pages and API keep
//! answering: a panic in either would silence the monitor or blank a page.

use chrono::{DateTime, Utc};
use serde_json::json;

use crate::helpers::TestApp;

fn started(job: &str, run: &str) -> serde_json::Value {
    json!({
        "sourceType": "worker",
        "level": "info",
        "eventType": "job.started",
        "message": "started",
        "jobName": job,
        "runId": run,
        "metadata": { "max_runtime_seconds": 60 },
    })
}

/// Runs `sql` on the server's SQLite file, beside the server.
fn tamper(app: &TestApp, sql: &str) {
    let db = rusqlite::Connection::open(app.db_path()).expect("open the database");
    db.busy_timeout(std::time::Duration::from_secs(5))
        .expect("busy timeout");
    db.execute_batch(sql).expect(sql);
}

/// The evaluator's report once it has ticked after `after`, or its report
/// when 15 s have passed without such a tick.
async fn evaluator_after(app: &TestApp, after: DateTime<Utc>) -> serde_json::Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let (_, health) = app.get_json("/v1/health").await;
        let evaluator = health["loops"]["evaluator"].clone();
        let ticked = evaluator["lastTick"]
            .as_str()
            .and_then(|t| t.parse::<DateTime<Utc>>().ok())
            .is_some_and(|t| t > after);
        if ticked || std::time::Instant::now() > deadline {
            return evaluator;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn runs_at_the_ends_of_time_leave_the_engine_and_the_pages_working() {
    let app = TestApp::spawn().await;
    for (job, run) in [("long", "r-long"), ("far", "r-far")] {
        let (status, body) = app.post_json("/v1/events", &started(job, run)).await;
        assert_eq!(status, 200, "{body}");
    }
    // r-long started a second before the last instant the server can
    // represent, with a minute to run; r-far spans more than an i64 of µs.
    let end_of_time = DateTime::<Utc>::MAX_UTC.timestamp_micros() - 1_000_000;
    tamper(
        &app,
        &format!(
            "UPDATE runs SET start_time_us = {end_of_time} WHERE run_id = 'r-long';
             UPDATE runs SET start_time_us = {}, end_time_us = {} WHERE run_id = 'r-far';",
            i64::MIN + 1,
            i64::MAX - 1
        ),
    );

    // An event for the job makes the engine look at it now.
    let touched = Utc::now();
    let (status, body) = app
        .post_json(
            "/v1/events",
            &json!({
                "sourceType": "worker", "level": "info", "eventType": "note",
                "message": "still here", "jobName": "long",
            }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let evaluator = evaluator_after(&app, touched).await;
    assert_eq!(evaluator["restarts"], 0, "{evaluator}");
    assert_eq!(evaluator["status"], "running", "{evaluator}");
    let (status, health) = app.get_json("/v1/health").await;
    assert_eq!(status, 200, "{health}");

    let (status, stats) = app.get_json("/v1/runs/stats").await;
    assert_eq!(status, 200, "{stats}");
    assert_eq!(stats["total"], 2);
    let jobs = app
        .client
        .get(app.url("/jobs"))
        .send()
        .await
        .expect("the jobs page");
    assert_eq!(jobs.status(), 200);
    app.stop().await;
}

/// A job row no version writes (its first sighting past the end of the
/// calendar) costs that job its checks, not everyone's: before, every tick
/// that read it failed, the next tick read every job again, and no alert
/// of any kind opened until someone mended the row by hand.
#[tokio::test]
async fn one_damaged_job_does_not_stop_the_alerts_of_the_others() {
    let app = TestApp::spawn().await;
    for (job, run) in [("damaged", "r-d"), ("canary", "r-c")] {
        let (status, body) = app.post_json("/v1/events", &started(job, run)).await;
        assert_eq!(status, 200, "{body}");
    }
    tamper(
        &app,
        &format!(
            "UPDATE jobs SET first_seen_at_us = {} WHERE name = 'damaged'",
            i64::MAX
        ),
    );
    // A new maintenance window makes the engine look at every job.
    let starts = Utc::now() + chrono::Duration::days(1);
    let (status, body) = app
        .post_json(
            "/v1/maintenance-windows",
            &json!({
                "jobName": "elsewhere",
                "startsAt": starts,
                "endsAt": starts + chrono::Duration::hours(1),
                "reason": "upgrade",
            }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = app
        .post_json(
            "/v1/events",
            &json!({
                "sourceType": "worker", "level": "error", "eventType": "job.failed",
                "message": "disk full", "jobName": "canary", "runId": "r-c",
            }),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    let alerts = loop {
        let (status, body) = app.get_json("/v1/alerts?job=canary&status=OPEN").await;
        assert_eq!(status, 200, "{body}");
        let alerts = body["alerts"].as_array().cloned().unwrap_or_default();
        if !alerts.is_empty() || std::time::Instant::now() > deadline {
            break alerts;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(alerts.len(), 1, "the canary's FAILURE opened");
    assert_eq!(alerts[0]["alertType"], "FAILURE", "{}", alerts[0]);
    app.stop().await;
}

/// Events naming a job whose row cannot be read are stored, and start the
/// job afresh, mending the row. Before, each was refused with a 503 for
/// ever, and a worker's spool (sent in order, retried on 503) stalled
/// behind the first of them: its later failures never arrived.
#[tokio::test]
async fn events_for_a_damaged_job_are_stored_and_mend_it() {
    let app = TestApp::spawn().await;
    let (status, body) = app
        .post_json("/v1/events", &started("damaged", "r-1"))
        .await;
    assert_eq!(status, 200, "{body}");
    tamper(
        &app,
        &format!(
            "UPDATE jobs SET first_seen_at_us = {} WHERE name = 'damaged'",
            i64::MAX
        ),
    );
    let (status, _) = app.get_json("/v1/status/jobs/damaged").await;
    assert_eq!(status, 503, "the row cannot be read");

    let (status, body) = app
        .post_json(
            "/v1/events",
            &json!({
                "sourceType": "worker", "level": "error", "eventType": "job.failed",
                "message": "disk full", "jobName": "damaged", "runId": "r-1",
            }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["inserted"], 1, "{body}");
    let (status, job) = app.get_json("/v1/status/jobs/damaged").await;
    assert_eq!(status, 200, "mended: {job}");
    assert_eq!(job["job"]["failuresTotal"], 1, "{job}");
    app.stop().await;
}
