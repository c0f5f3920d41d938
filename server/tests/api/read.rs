use serde_json::json;

use crate::helpers::{TestApp, event};

#[tokio::test]
async fn health_reports_version_database_and_leadership() {
    let app = TestApp::spawn_with(&[("MONITOR_INSTANCE_NAME", "render-farm-a")]).await;
    let (status, mut body) = app.get_json("/v1/health").await;
    assert_eq!(status, 200, "{body}");
    let loops = body.as_object_mut().unwrap().remove("loops").unwrap();
    // One process on SQLite always leads.
    assert_eq!(
        body,
        json!({"status": "ok", "version": env!("CARGO_PKG_VERSION"), "database": "ok",
               "instance": "render-farm-a", "leader": true, "problems": []})
    );
    for name in [
        "evaluator",
        "delivery",
        "retention",
        "sqlite_writer",
        "leadership",
    ] {
        assert_eq!(loops[name]["status"], "running", "{name}: {loops}");
    }
    app.stop().await;
}

#[tokio::test]
async fn events_filter_and_paginate_newest_first() {
    let app = TestApp::spawn().await;
    let mut batch = Vec::new();
    for i in 0..5 {
        let mut e = event("progress_update", &format!("step {i}"));
        if i % 2 == 0 {
            e["jobName"] = json!("etl-orders");
            e["level"] = json!("warn");
        }
        batch.push(e);
    }
    app.post_json("/v1/events/batch", &json!(batch)).await;

    let (_, page) = app.get_json("/v1/events?limit=2").await;
    assert_eq!(page["events"][0]["message"], "step 4");
    assert_eq!(page["events"][1]["message"], "step 3");
    let cursor = page["nextCursor"].as_i64().expect("cursor on a full page");
    let (_, rest) = app
        .get_json(&format!("/v1/events?limit=10&before={cursor}"))
        .await;
    let messages: Vec<_> = rest["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(messages, ["step 2", "step 1", "step 0"]);
    assert_eq!(rest["nextCursor"], json!(null));

    let (_, etl) = app.get_json("/v1/events?job=etl-orders&level=warn").await;
    assert_eq!(etl["events"].as_array().unwrap().len(), 3);

    let (status, body) = app.get_json("/v1/events?level=loud").await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["field"], "level");
    let (status, body) = app.get_json("/v1/events?since=noon").await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["field"], "since");
    app.stop().await;
}

#[tokio::test]
async fn unknown_api_paths_are_json_404s() {
    let app = TestApp::spawn().await;
    let (status, body) = app.get_json("/v1/nope").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "not_found");
    app.stop().await;
}

#[tokio::test]
async fn events_survive_a_restart_on_the_same_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("keep.sqlite").display().to_string();
    let app = TestApp::spawn_with(&[("MONITOR_DB_PATH", &db)]).await;
    let (status, _) = app
        .post_json("/v1/events", &event("job.started", "before restart"))
        .await;
    assert_eq!(status, 200);
    app.stop().await;

    let again = TestApp::spawn_with(&[("MONITOR_DB_PATH", &db)]).await;
    let events = again.events().await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["message"], "before restart");
    again.stop().await;
}

/// `q` searches every stored event by its words, pages with the cursor,
/// refuses a search with no words by name, and `/metrics` says how far
/// the index trails (0 once it caught up).
#[tokio::test]
async fn events_are_searched_by_words_over_the_whole_log() {
    let app = TestApp::spawn().await;
    let mut first = event("execution_failed", "Disk full on /mnt/render");
    first["metadata"] = json!({"exit_code": 137, "host": "nas-07"});
    app.post_json("/v1/events", &first).await;
    let filler: Vec<_> = (0..300)
        .map(|i| event("progress_update", &format!("frame {i} rendered")))
        .collect();
    app.post_json("/v1/events/batch", &json!(filler)).await;

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let found = loop {
        let (status, page) = app.get_json("/v1/events?q=DISK%20nas").await;
        assert_eq!(status, 200, "{page}");
        if page["unsearched"] == json!(0) || std::time::Instant::now() > deadline {
            break page;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert_eq!(found["unsearched"], 0, "the index caught up: {found}");
    assert_eq!(found["events"].as_array().map(Vec::len), Some(1), "{found}");
    assert_eq!(found["events"][0]["message"], "Disk full on /mnt/render");
    let (_, by_code) = app
        .get_json("/v1/events?q=exit_code&job=nightly-proxy-render")
        .await;
    assert_eq!(by_code["events"][0]["metadata"]["exit_code"], 137);

    let (_, page) = app.get_json("/v1/events?q=rendered&limit=200").await;
    assert_eq!(page["events"].as_array().map(Vec::len), Some(200));
    let cursor = page["nextCursor"]
        .as_i64()
        .expect("a cursor on a full page");
    let (_, rest) = app
        .get_json(&format!("/v1/events?q=rendered&limit=200&before={cursor}"))
        .await;
    assert_eq!(rest["events"].as_array().map(Vec::len), Some(100));
    assert_eq!(rest["events"][99]["message"], "frame 0 rendered");

    let many_words: Vec<String> = (0..17).map(|i| format!("w{i}")).collect();
    for bad in ["%2A%2A%2A".to_owned(), many_words.join("%20")] {
        let (status, body) = app.get_json(&format!("/v1/events?q={bad}")).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["error"]["field"], "q", "{body}");
    }
    let (status, body) = app.get_json("/v1/export/events.ndjson?q=%2A").await;
    assert_eq!(
        (status, &body["error"]["field"]),
        (400, &json!("q")),
        "{body}"
    );

    let metrics = app.page("/metrics").await;
    assert!(
        metrics.contains("telltale_search_index_lag_events 0\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("telltale_search_index_lag_seconds 0.0\n"),
        "{metrics}"
    );
    app.stop().await;
}
