use serde_json::json;

use crate::helpers::{TestApp, event};

#[tokio::test]
async fn one_event_is_stored_and_listed() {
    let app = TestApp::spawn().await;
    let mut e = event(
        "execution_failed",
        "ffmpeg: moov atom not found\n  at /mnt/a.mov",
    );
    e["level"] = json!("error");
    e["metadata"] = json!({"exit_code": 1});
    let (status, body) = app.post_json("/v1/events", &e).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"inserted": 1, "duplicates": 0, "dropped": [], "warnings": []})
    );

    let events = app.events().await;
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0]["message"],
        "ffmpeg: moov atom not found\n  at /mnt/a.mov"
    );
    assert_eq!(events[0]["level"], "error");
    assert_eq!(events[0]["jobName"], "nightly-proxy-render");
    assert_eq!(events[0]["metadata"], json!({"exit_code": 1}));
    app.stop().await;
}

#[tokio::test]
async fn a_bad_event_is_a_400_naming_the_field_and_stores_nothing() {
    let app = TestApp::spawn().await;
    let (status, _) = app
        .post_json("/v1/events", &event("job.started", "ok"))
        .await;
    assert_eq!(status, 200);

    let mut bad = event("job.started", "x");
    bad["level"] = json!("fatal");
    let (status, body) = app.post_json("/v1/events", &bad).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "invalid_event");
    assert_eq!(body["error"]["field"], "level");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("debug, info, warn, error"),
        "{body}"
    );

    let mut missing = event("job.started", "x");
    missing.as_object_mut().unwrap().remove("message");
    let (status, body) = app.post_json("/v1/events", &missing).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["field"], "message");

    assert_eq!(
        app.events().await.len(),
        1,
        "the earlier event is untouched"
    );
    app.stop().await;
}

/// A failure report is never lost over a policy typo: the event is stored,
/// the bad key is listed in `warnings` and the setting keeps its value.
#[tokio::test]
async fn a_bad_policy_value_is_a_warning_and_the_event_is_stored() {
    let app = TestApp::spawn().await;
    let mut first = event("job.started", "ok");
    first["metadata"] = json!({"grace_seconds": 120, "schedule": "0 2 * * *"});
    let (status, body) = app.post_json("/v1/events", &first).await;
    assert_eq!(
        (status, body["warnings"].clone()),
        (200, json!([])),
        "{body}"
    );
    for (meta, field) in [
        (
            json!({"schedule": "every fortnight-ish"}),
            "metadata.schedule",
        ),
        (
            json!({"schedule": "0 3 * * *", "timezone": "Europe/Atlantis"}),
            "metadata.timezone",
        ),
        (
            json!({"max_runtime_seconds": "1h"}),
            "metadata.max_runtime_seconds",
        ),
        (json!({"grace_seconds": -5}), "metadata.grace_seconds"),
    ] {
        let mut failed = event("job.failed", "disk full");
        failed["level"] = json!("error");
        failed["metadata"] = meta;
        let (status, body) = app.post_json("/v1/events", &failed).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["inserted"], 1, "{body}");
        assert_eq!(body["warnings"][0]["index"], 0, "{body}");
        assert_eq!(body["warnings"][0]["field"], field, "{body}");
    }
    // An integral float is a whole number.
    let mut float = event("job.started", "ok");
    float["metadata"] = json!({"grace_seconds": 60.0});
    let (_, body) = app.post_json("/v1/events", &float).await;
    assert_eq!(body["warnings"], json!([]), "{body}");

    assert_eq!(app.events().await.len(), 6, "every event stored");
    let (_, job) = app.get_json("/v1/status/jobs/nightly-proxy-render").await;
    let policy = &job["job"]["policy"];
    // 120 stayed through the -5; the 60.0 came after and took.
    assert_eq!(policy["graceSeconds"], 60, "{job}");
    assert_eq!(policy["schedule"], "0 3 * * *", "{job}");
    assert_eq!(policy["timezone"], json!(null), "{job}");
    assert_eq!(policy["maxRuntimeSeconds"], json!(null), "{job}");
    app.stop().await;
}

#[tokio::test]
async fn malformed_json_is_a_400_that_says_so() {
    let app = TestApp::spawn().await;
    let (status, body) = app.post_raw("/v1/events", "{\"level\": ").await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "malformed_json");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("line 1"),
        "{body}"
    );
    app.stop().await;
}

#[tokio::test]
async fn retried_event_ids_are_counted_as_duplicates() {
    let app = TestApp::spawn().await;
    let mut e = event("job.completed", "done");
    e["eventId"] = json!("evt-42");
    assert_eq!(app.post_json("/v1/events", &e).await.1["inserted"], 1);
    let (status, body) = app.post_json("/v1/events", &e).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"inserted": 0, "duplicates": 1, "dropped": [], "warnings": []})
    );
    assert_eq!(app.events().await.len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn a_batch_keeps_good_events_and_lists_bad_ones() {
    let app = TestApp::spawn().await;
    let mut dup = event("progress_update", "50%");
    dup["eventId"] = json!("p-50");
    let mut bad_time = event("progress_update", "x");
    bad_time["eventAt"] = json!("tuesday");
    let batch = json!({"events": [
        event("job.started", "start"),
        {"sourceType": "robot", "level": "info", "eventType": "x", "message": "y"},
        dup.clone(),
        dup,
        bad_time,
        "not an object",
    ]});
    let (status, body) = app.post_json("/v1/events/batch", &batch).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["inserted"], 2);
    assert_eq!(body["duplicates"], 1);
    let dropped = body["dropped"].as_array().unwrap();
    assert_eq!(dropped.len(), 3);
    assert_eq!(dropped[0]["index"], 1);
    assert!(
        dropped[0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("sourceType")
    );
    assert_eq!(dropped[1]["index"], 4);
    assert!(
        dropped[1]["reason"]
            .as_str()
            .unwrap()
            .starts_with("eventAt")
    );
    assert_eq!(dropped[2]["index"], 5);

    // A bare array is a batch too.
    let (status, body) = app
        .post_json("/v1/events/batch", &json!([event("job.completed", "end")]))
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["inserted"], 1);
    assert_eq!(app.events().await.len(), 3);
    app.stop().await;
}

#[tokio::test]
async fn limits_answer_413_with_a_json_reason() {
    let app = TestApp::spawn_with(&[
        ("MONITOR_MAX_BATCH_EVENTS", "3"),
        ("MONITOR_MAX_BODY_BYTES", "2048"),
    ])
    .await;
    let batch = json!(
        (0..4)
            .map(|i| event("x", &i.to_string()))
            .collect::<Vec<_>>()
    );
    let (status, body) = app.post_json("/v1/events/batch", &batch).await;
    assert_eq!(status, 413);
    assert_eq!(body["error"]["code"], "batch_too_large");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("MONITOR_MAX_BATCH_EVENTS")
    );

    let big = event("x", &"a".repeat(4096));
    let (status, body) = app.post_json("/v1/events", &big).await;
    assert_eq!(status, 413);
    assert_eq!(body["error"]["code"], "body_too_large");
    assert!(app.events().await.is_empty(), "nothing stored");
    app.stop().await;
}

#[tokio::test]
async fn api_key_is_required_when_configured() {
    let key = "k3y-0123456789abcdef";
    let app = TestApp::spawn_with(&[("MONITOR_API_KEY", key)]).await;
    let e = event("job.started", "x");
    let (status, body) = app.post_json("/v1/events", &e).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "unauthorized");

    let wrong = app
        .client
        .post(app.url("/v1/events"))
        .header("x-api-key", "k3y-0123456789abcdeX")
        .json(&e)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);

    let ok = app
        .client
        .post(app.url("/v1/events"))
        .header("x-api-key", key)
        .json(&e)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);

    // Reads need it too; health does not.
    assert_eq!(app.get_json("/v1/events").await.0, 401);
    assert_eq!(app.get_json("/v1/health").await.0, 200);
    app.stop().await;
}

#[tokio::test]
async fn a_body_that_is_not_json_by_content_type_is_a_415() {
    let app = TestApp::spawn().await;
    let resp = app
        .client
        .post(app.url("/v1/events"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(event("job.started", "x").to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 415);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unsupported_media_type");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("application/json")
    );
    assert!(app.events().await.is_empty());
    app.stop().await;
}

/// A worker whose HTTP library accepts gzip (Python's `requests` does) gets
/// its small ingest answers as they are; large reads are still compressed.
#[tokio::test]
async fn small_answers_are_not_compressed_large_ones_are() {
    let app = TestApp::spawn().await;
    let answer = app
        .client
        .post(app.url("/v1/events"))
        .header("content-type", "application/json")
        .header("accept-encoding", "gzip")
        .body(event("job.started", "render A001").to_string())
        .send()
        .await
        .expect("post");
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers().get("content-encoding"), None);
    let body: serde_json::Value = answer.json().await.expect("plain JSON");
    assert_eq!(body["inserted"], 1);

    let spec = app
        .client
        .get(app.url("/v1/openapi.json"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .expect("get");
    assert_eq!(spec.status(), 200);
    assert_eq!(
        spec.headers()
            .get("content-encoding")
            .and_then(|v| v.to_str().ok()),
        Some("gzip"),
        "the OpenAPI document (tens of KB) is compressed"
    );
}
