//! The client library, as a Rust worker uses it, against a real server.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use telltale_client::{Client, ClientError, Config, Heartbeat, Level};

use crate::helpers::TestApp;

fn config(app: &TestApp, spool: &std::path::Path) -> Config {
    let vars = HashMap::from([
        ("TELLTALE_URL", app.url("")),
        ("TELLTALE_SPOOL_DIR", spool.display().to_string()),
        ("TELLTALE_JOB_NAME", "proxy-render".to_owned()),
        ("TELLTALE_WORKER_ID", "lib-worker".to_owned()),
    ]);
    Config::from_lookup(|k| vars.get(k).cloned()).expect("config")
}

#[tokio::test]
async fn a_rust_worker_reports_a_run_and_beats() {
    let app = TestApp::spawn().await;
    let spool = tempfile::tempdir().unwrap();
    let config = config(&app, spool.path());

    // The library blocks (on its own threads): keep it off the server's runtime.
    let (report, heartbeat, invalid) = tokio::task::spawn_blocking(move || {
        let client = Client::start(config.clone(), "proxy-render").unwrap();
        let heartbeat =
            Heartbeat::start(config, "lib-worker".into(), Duration::from_secs(1)).unwrap();
        heartbeat.set_current_run(Some("lib-1"));
        for (event_type, message) in [
            ("job.started", "rendering"),
            ("progress_update", "half way"),
            ("job.completed", "done"),
        ] {
            let mut event = client.event(event_type, Level::Info, message);
            event.run_id = Some("lib-1".into());
            if event_type == "progress_update" {
                event.metadata = serde_json::json!({"progress": 50});
            }
            let id = client.emit(event).unwrap();
            assert_eq!(id.len(), 36, "a UUID eventId");
        }
        // Refused before it is spooled: the server would refuse it too.
        let invalid = client.emit(client.event("worker.message", Level::Info, " "));
        (client.close(Duration::from_secs(10)), heartbeat, invalid)
    })
    .await
    .unwrap();

    assert!(report.is_complete(), "{report:?}");
    assert_eq!(report.delivered, 3);
    match invalid {
        Err(ClientError::Invalid(e)) => assert_eq!(e.field, "message"),
        other => panic!("expected an invalid message, got {other:?}"),
    }
    let (_, detail) = app.get_json("/v1/runs/lib-1").await;
    assert_eq!(detail["run"]["status"], "completed", "{detail}");
    assert_eq!(detail["run"]["progress"], 50);
    assert_eq!(detail["run"]["jobName"], "proxy-render");
    assert_eq!(detail["run"]["workerId"], "lib-worker");

    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, worker) = app.get_json("/v1/workers/lib-worker").await;
        if status == 200 && worker["currentRunId"] == "lib-1" {
            assert_eq!(worker["intervalSeconds"], 1);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no heartbeat with the run: {worker}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::task::spawn_blocking(move || heartbeat.stop())
        .await
        .unwrap();
}

#[tokio::test]
async fn batches_too_large_for_the_server_are_split_not_lost() {
    let app = TestApp::spawn_with(&[("MONITOR_MAX_BATCH_EVENTS", "2")]).await;
    let spool = tempfile::tempdir().unwrap();
    let config = config(&app, spool.path());
    let report = tokio::task::spawn_blocking(move || {
        let client = Client::start(config, "split").unwrap();
        for n in 0..7 {
            let event = client.event("worker.message", Level::Info, &format!("line {n}"));
            client.emit(event).unwrap();
        }
        client.close(Duration::from_secs(10))
    })
    .await
    .unwrap();
    assert!(report.is_complete(), "{report:?}");
    assert_eq!((report.delivered, report.refused), (7, 0));
    let messages: Vec<String> = app
        .events()
        .await
        .iter()
        .rev()
        .map(|e| e["message"].as_str().unwrap().to_owned())
        .collect();
    let expected: Vec<String> = (0..7).map(|n| format!("line {n}")).collect();
    assert_eq!(messages, expected, "each once, in order");
}
