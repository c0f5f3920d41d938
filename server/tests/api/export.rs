//! Exports over HTTP: runs as CSV and events as NDJSON, the read API's
//! filters, every matching row exactly once, parsed back by a real CSV
//! reader and JSON parser.

use chrono::DateTime;
use serde_json::{Value, json};
use telltale_model::Event;

use crate::helpers::TestApp;

const KEY: &str = "export-key-0123456789";

fn with_key(app: &TestApp, path: &str) -> reqwest::RequestBuilder {
    app.client.get(app.url(path)).header("x-api-key", KEY)
}

async fn post(app: &TestApp, events: Vec<Value>) {
    let resp = app
        .client
        .post(app.url("/v1/events/batch"))
        .header("x-api-key", KEY)
        .json(&events)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        body["inserted"].as_u64(),
        Some(events.len() as u64),
        "{body}"
    );
}

fn ev(kind: &str, job: &str, run: &str, metadata: Value) -> Value {
    json!({
        "sourceType": "worker",
        "level": if kind == "execution_failed" { "error" } else { "info" },
        "eventType": kind,
        "message": format!("{kind} {run}"),
        "jobName": job,
        "runId": run,
        "workerId": "farm-01",
        "metadata": metadata,
    })
}

/// The reasons a CSV must quote: commas, quotes, CR/LF, leading blanks.
fn reason(n: usize) -> String {
    format!("  exit {n}, \"clip, A001.mov\" offline\r\nsecond line; ünïcode  ")
}

async fn seed_runs(app: &TestApp) {
    let mut events = Vec::new();
    for n in 0..12 {
        let job = if n % 3 == 0 { "render" } else { "etl" };
        let run = format!("run-{n:02}");
        events.push(ev(
            "job_created",
            job,
            &run,
            json!({"source_path": "/in/a,b.mov"}),
        ));
        events.push(ev("execution_started", job, &run, json!({})));
        events.push(if n % 2 == 0 {
            ev(
                "execution_failed",
                job,
                &run,
                json!({"failure_reason": reason(n)}),
            )
        } else {
            ev(
                "execution_completed",
                job,
                &run,
                json!({"output_path": "/out/x"}),
            )
        });
    }
    post(app, events).await;
}

#[tokio::test]
async fn runs_export_as_csv_with_the_filters_of_the_read_api() {
    let app = TestApp::spawn_with(&[("MONITOR_API_KEY", KEY)]).await;
    seed_runs(&app).await;

    let path = "/v1/export/runs.csv?job=render&status=failed";
    let resp = with_key(&app, path).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert!(
        header("content-type").starts_with("text/csv"),
        "{}",
        header("content-type")
    );
    let disposition = header("content-disposition");
    assert!(
        disposition.starts_with("attachment; filename=\"telltale-runs-")
            && disposition.ends_with(".csv\""),
        "{disposition}"
    );
    let text = resp.text().await.unwrap();
    assert!(text.ends_with("\r\n"), "RFC 4180 line ends");

    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let columns: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let col = |row: &csv::StringRecord, name: &str| {
        row[columns.iter().position(|c| c == name).unwrap()].to_owned()
    };

    // Exactly the runs /v1/runs lists for the same filter, in its order.
    let (status, page) = app
        .get_json_with_key("/v1/runs?job=render&status=failed", KEY)
        .await;
    assert_eq!(status, 200);
    let listed = page["runs"].as_array().unwrap();
    let ids: Vec<String> = rows.iter().map(|r| col(r, "runId")).collect();
    let listed_ids: Vec<&str> = listed
        .iter()
        .map(|r| r["runId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["run-06", "run-00"]);
    assert_eq!(ids, listed_ids);

    // Every column is a field of the run as the API gives it; text is
    // verbatim however it had to be quoted; times are RFC 3339 UTC.
    let keys: Vec<&String> = listed[0].as_object().unwrap().keys().collect();
    assert_eq!(columns.len(), keys.len(), "{columns:?} vs {keys:?}");
    for (row, run) in rows.iter().zip(listed) {
        assert_eq!(
            col(row, "failureReason"),
            run["failureReason"].as_str().unwrap()
        );
        assert_eq!(col(row, "sourcePath"), "/in/a,b.mov");
        assert_eq!(col(row, "status"), "failed");
        assert_eq!(col(row, "endTime"), run["endTime"].as_str().unwrap());
        let created = col(row, "createdAt");
        assert!(created.ends_with('Z'), "{created}");
        DateTime::parse_from_rfc3339(&created).expect("RFC 3339");
        assert_eq!(col(row, "outputPath"), "", "absent is an empty cell");
        let metadata: Value = serde_json::from_str(&col(row, "metadata")).unwrap();
        assert_eq!(metadata, run["metadata"]);
    }
    assert_eq!(col(&rows[1], "failureReason"), reason(0));

    // Nothing matches: the header row alone.
    let resp = with_key(&app, "/v1/export/runs.csv?job=nope")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.unwrap().lines().count(), 1);

    // `limit` caps the whole export.
    let resp = with_key(&app, "/v1/export/runs.csv?limit=5")
        .send()
        .await
        .unwrap();
    let text = resp.text().await.unwrap();
    assert_eq!(
        csv::Reader::from_reader(text.as_bytes()).records().count(),
        5
    );
    app.stop().await;
}

#[tokio::test]
async fn events_export_as_ndjson_with_the_filters_of_the_read_api() {
    let app = TestApp::spawn_with(&[("MONITOR_API_KEY", KEY)]).await;
    seed_runs(&app).await;

    let resp = with_key(&app, "/v1/export/events.ndjson?job=etl&level=error")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/x-ndjson");
    assert!(
        resp.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .ends_with(".ndjson\"")
    );
    let text = resp.text().await.unwrap();
    assert!(text.ends_with('\n'));
    let exported: Vec<Event> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("one Event a line"))
        .collect();
    let (_, page) = app
        .get_json_with_key("/v1/events?job=etl&level=error&limit=1000", KEY)
        .await;
    let listed: Vec<Event> = serde_json::from_value(page["events"].clone()).unwrap();
    assert_eq!(exported.len(), 4, "etl's failed runs 02, 04, 08, 10");
    assert_eq!(exported, listed);
    assert_eq!(
        exported[0].metadata["failure_reason"].as_str(),
        Some(reason(10).as_str()),
        "verbatim through JSON"
    );
    app.stop().await;
}

#[tokio::test]
async fn an_export_longer_than_a_page_has_every_event_once_in_order() {
    let app = TestApp::spawn_with(&[("MONITOR_API_KEY", KEY)]).await;
    for batch in 0..3 {
        let events = (0..if batch < 2 { 1000 } else { 500 })
            .map(|i| {
                ev(
                    "progress_update",
                    "bulk",
                    &format!("run-{batch}-{i}"),
                    json!({"i": i}),
                )
            })
            .collect();
        post(&app, events).await;
    }
    let text = with_key(&app, "/v1/export/events.ndjson?job=bulk")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let ids: Vec<i64> = text
        .lines()
        .map(|l| serde_json::from_str::<Event>(l).unwrap().id)
        .collect();
    assert_eq!(ids.len(), 2500);
    assert!(
        ids.windows(2).all(|w| w[0] > w[1]),
        "newest first, no repeats"
    );
    assert_eq!(ids.last(), Some(&1));
    assert_eq!(ids[0], 2500);

    // From a cursor, like the listing's `before`.
    let text = with_key(&app, "/v1/export/events.ndjson?before=1001")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(text.lines().count(), 1000);
    app.stop().await;
}

#[tokio::test]
async fn export_errors_before_the_first_byte_are_json_naming_the_field() {
    let app = TestApp::spawn_with(&[("MONITOR_API_KEY", KEY)]).await;
    for (path, field) in [
        ("/v1/export/events.ndjson?since=yesterday", "since"),
        ("/v1/export/events.ndjson?level=loud", "level"),
        ("/v1/export/events.ndjson?limit=0", "limit"),
        ("/v1/export/runs.csv?status=lost", "status"),
        ("/v1/export/runs.csv?before=x", "before"),
    ] {
        let resp = with_key(&app, path).send().await.unwrap();
        assert_eq!(resp.status(), 400, "{path}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"]["field"], field, "{path}: {body}");
    }
    // Read access, like the read API.
    for path in ["/v1/export/events.ndjson", "/v1/export/runs.csv"] {
        let resp = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(resp.status(), 401, "{path}");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_store_error_mid_export_cuts_the_transfer_short() {
    let app = TestApp::spawn_with(&[("MONITOR_API_KEY", KEY)]).await;
    // ~15 MB of NDJSON: more than the loopback socket buffers hold, so the
    // server is still reading pages when the table goes away.
    let long = "x".repeat(1500);
    for batch in 0..20 {
        // 500 a batch: 1,000 of these would pass the 1 MiB body limit.
        let events = (0..500)
            .map(|i| {
                let mut e = ev(
                    "progress_update",
                    "bulk",
                    &format!("r-{batch}-{i}"),
                    json!({}),
                );
                e["message"] = json!(long);
                e
            })
            .collect();
        post(&app, events).await;
    }
    // Headers arrive after the first page; the client reads nothing yet.
    let resp = with_key(&app, "/v1/export/events.ndjson")
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        200,
        "the first page was read before answering"
    );
    // What a failing store looks like to the next page's query.
    let db = rusqlite::Connection::open(app.db_path()).unwrap();
    db.busy_timeout(std::time::Duration::from_secs(5)).unwrap();
    db.execute_batch("ALTER TABLE events RENAME TO events_gone")
        .unwrap();

    let mut resp = resp;
    let mut received = Vec::new();
    let outcome = loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => received.extend_from_slice(&chunk),
            Ok(None) => break Ok(()),
            Err(e) => break Err(e),
        }
    };
    assert!(outcome.is_err(), "the transfer must fail, not end cleanly");
    let lines = received.iter().filter(|b| **b == b'\n').count();
    assert!(lines < 10_000, "cut short: {lines} complete lines");
    assert!(lines >= 1000, "the pages before the error arrived: {lines}");
    app.stop().await;
}
