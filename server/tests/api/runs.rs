use serde_json::{Value, json};

use crate::helpers::{TestApp, event};

fn run_event(event_type: &str, run: &str, at: &str, metadata: Value) -> Value {
    let mut e = event(event_type, &format!("{event_type} {run}"));
    e["runId"] = json!(run);
    e["eventAt"] = json!(at);
    e["metadata"] = metadata;
    e
}

#[tokio::test]
async fn runs_are_derived_and_listed_like_forge_jobs() {
    let app = TestApp::spawn().await;
    let batch = json!([
        run_event(
            "job_created",
            "r1",
            "2026-11-25T10:00:00Z",
            json!({"job_type": "proxy", "source_path": "/in/a.mov"})
        ),
        run_event(
            "engine_selected",
            "r1",
            "2026-11-25T10:00:01Z",
            json!({"engine": "ffmpeg"})
        ),
        run_event("execution_started", "r1", "2026-11-25T10:00:02Z", json!({})),
        run_event(
            "execution_failed",
            "r1",
            "2026-11-25T10:00:12Z",
            json!({"failure_reason": "exit 1\nInvalid data"})
        ),
        run_event("job.started", "r2", "2026-11-25T11:00:00Z", json!({})),
    ]);
    let (status, body) = app.post_json("/v1/events/batch", &batch).await;
    assert_eq!(status, 200, "{body}");

    let (_, all) = app.get_json("/v1/runs").await;
    let ids: Vec<_> = all["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["runId"].clone())
        .collect();
    assert_eq!(ids, [json!("r2"), json!("r1")], "newest first");

    let (_, failed) = app.get_json("/v1/runs/failed").await;
    assert_eq!(failed["runs"].as_array().unwrap().len(), 1);
    assert_eq!(failed["runs"][0]["failureReason"], "exit 1\nInvalid data");
    assert_eq!(failed["runs"][0]["engine"], "ffmpeg");
    let (_, active) = app.get_json("/v1/runs/active").await;
    assert_eq!(active["runs"][0]["runId"], "r2");
    assert_eq!(active["runs"][0]["status"], "running");
    let (_, completed) = app.get_json("/v1/runs/completed").await;
    assert!(completed["runs"].as_array().unwrap().is_empty());

    let (status, detail) = app.get_json("/v1/runs/r1").await;
    assert_eq!(status, 200);
    assert_eq!(detail["run"]["sourcePath"], "/in/a.mov");
    assert_eq!(detail["timeline"].as_array().unwrap().len(), 4);
    assert_eq!(detail["timeline"][0]["eventType"], "job_created");

    let (_, stats) = app.get_json("/v1/runs/stats").await;
    assert_eq!(stats["total"], 2);
    assert_eq!(stats["byStatus"]["failed"], 1);
    assert_eq!(stats["failureRate"], 1.0);
    assert_eq!(stats["durationP50Seconds"], 10.0);

    let (status, body) = app.get_json("/v1/runs/nope").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "not_found");
    let (status, body) = app.get_json("/v1/runs?status=exploded").await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["field"], "status");
    app.stop().await;
}

#[tokio::test]
async fn an_event_for_a_terminal_run_is_stored_but_changes_nothing() {
    let app = TestApp::spawn().await;
    app.post_json(
        "/v1/events/batch",
        &json!([
            run_event("job.started", "r9", "2026-11-25T10:00:00Z", json!({})),
            run_event(
                "job.completed",
                "r9",
                "2026-11-25T10:05:00Z",
                json!({"output_path": "/out/ok"})
            ),
        ]),
    )
    .await;
    let (_, before) = app.get_json("/v1/runs/r9").await;

    let late = run_event(
        "job.failed",
        "r9",
        "2026-11-25T10:06:00Z",
        json!({"failure_reason": "too late"}),
    );
    let (status, body) = app.post_json("/v1/events", &late).await;
    assert_eq!(status, 200, "the event itself is accepted: {body}");
    assert_eq!(body["inserted"], 1);

    let (_, after) = app.get_json("/v1/runs/r9").await;
    assert_eq!(after["run"], before["run"], "run row untouched");
    assert_eq!(after["run"]["status"], "completed");
    assert_eq!(
        after["timeline"].as_array().unwrap().len(),
        3,
        "the late event is on the timeline"
    );
    assert_eq!(after["rejected"][0]["eventType"], "job.failed");
    assert!(
        after["rejected"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("terminal")
    );
    app.stop().await;
}

#[tokio::test]
async fn workers_report_status_from_heartbeats() {
    let app = TestApp::spawn().await;
    let mut beat = event("worker.heartbeat", "alive");
    beat["workerId"] = json!("farm-07");
    beat["metadata"] = json!({"hostname": "farm-07.studio", "current_run_id": "r1"});
    app.post_json("/v1/events", &beat).await;
    let mut stale = event("worker.heartbeat", "old");
    stale["workerId"] = json!("farm-02");
    stale["eventAt"] = json!("2020-01-01T00:00:00Z");
    app.post_json("/v1/events", &stale).await;

    let (_, list) = app.get_json("/v1/workers").await;
    let workers = list["workers"].as_array().unwrap();
    assert_eq!(workers.len(), 2, "{list}");
    let (status, w) = app.get_json("/v1/workers/farm-07").await;
    assert_eq!(status, 200);
    assert_eq!(w["status"], "busy");
    assert_eq!(w["hostname"], "farm-07.studio");
    assert_eq!(w["currentRunId"], "r1");
    let (_, w) = app.get_json("/v1/workers/farm-02").await;
    assert_eq!(w["status"], "offline");
    assert_eq!(app.get_json("/v1/workers/ghost").await.0, 404);
    app.stop().await;
}

#[tokio::test]
async fn concurrent_posts_are_all_committed_and_answered() {
    let app = TestApp::spawn().await;
    let mut tasks = Vec::new();
    for i in 0..200 {
        let client = app.client.clone();
        let url = app.url("/v1/events");
        tasks.push(tokio::spawn(async move {
            let mut e = event("progress_update", &format!("step {i}"));
            e["eventId"] = json!(format!("c-{i}"));
            client
                .post(url)
                .json(&e)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    let (_, page) = app.get_json("/v1/events?limit=1000").await;
    assert_eq!(page["events"].as_array().unwrap().len(), 200);
    app.stop().await;
}
