//! Invariant 5 (SPEC §2): an event acknowledged with a 2xx survives a crash.
//! The real binary is loaded with eventId'd events, killed with SIGKILL in
//! the middle, restarted on the same file; every acknowledged event must be
//! there exactly once.

use std::collections::{HashMap, HashSet};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn start(db: &Path, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_telltale"))
        .env_clear()
        .env("MONITOR_PORT", port.to_string())
        .env("MONITOR_DB_PATH", db)
        .env("MONITOR_AUTH_ENABLED", "false")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start telltale")
}

async fn wait_healthy(client: &reqwest::Client, base: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Ok(r) = client.get(format!("{base}/v1/health")).send().await
            && r.status().is_success()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("telltale did not become healthy at {base}");
}

#[tokio::test]
async fn acknowledged_events_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crash.sqlite");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut server = start(&db, port);
    wait_healthy(&client, &base).await;

    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut writers = Vec::new();
    for w in 0..16 {
        let (client, base, acked) = (client.clone(), base.clone(), acked.clone());
        writers.push(tokio::spawn(async move {
            for i in 0.. {
                let id = format!("w{w}-{i}");
                let single = i % 4 != 0;
                let (path, body) = if single {
                    ("/v1/events", event(&id))
                } else {
                    // Every fourth request is a small batch.
                    let ids: Vec<String> = (0..5).map(|k| format!("{id}-{k}")).collect();
                    (
                        "/v1/events/batch",
                        json!(ids.iter().map(|i| event(i)).collect::<Vec<_>>()),
                    )
                };
                match client
                    .post(format!("{base}{path}"))
                    .json(&body)
                    .send()
                    .await
                {
                    Ok(r) if r.status().is_success() => {
                        let mut acked = acked.lock().unwrap();
                        if single {
                            acked.push(id);
                        } else {
                            acked.extend((0..5).map(|k| format!("{id}-{k}")));
                        }
                    }
                    // The server is gone: this writer is done.
                    _ => return,
                }
            }
        }));
    }

    // Let load build up, then pull the plug mid-flight.
    let deadline = Instant::now() + Duration::from_secs(60);
    while acked.lock().unwrap().len() < 2_000 {
        assert!(
            Instant::now() < deadline && !writers.iter().all(|w| w.is_finished()),
            "load did not build up: {} events acknowledged before the writers stopped",
            acked.lock().unwrap().len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.kill().expect("SIGKILL");
    server.wait().expect("reap");
    for w in writers {
        w.await.unwrap();
    }
    let acked: Vec<String> = acked.lock().unwrap().clone();

    let mut server = start(&db, port);
    wait_healthy(&client, &base).await;
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut before: Option<i64> = None;
    loop {
        let mut url = format!("{base}/v1/events?limit=1000");
        if let Some(b) = before {
            url.push_str(&format!("&before={b}"));
        }
        let page: Value = client.get(url).send().await.unwrap().json().await.unwrap();
        for e in page["events"].as_array().unwrap() {
            *seen
                .entry(e["eventId"].as_str().unwrap().to_owned())
                .or_default() += 1;
        }
        match page["nextCursor"].as_i64() {
            Some(c) => before = Some(c),
            None => break,
        }
    }
    server.kill().ok();
    server.wait().ok();

    let missing: Vec<&String> = acked.iter().filter(|id| !seen.contains_key(*id)).collect();
    assert!(
        missing.is_empty(),
        "{} acknowledged events lost, e.g. {:?}",
        missing.len(),
        &missing[..missing.len().min(5)]
    );
    let doubled: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(doubled.is_empty(), "stored twice: {doubled:?}");
    let distinct: HashSet<&String> = acked.iter().collect();
    assert_eq!(distinct.len(), acked.len(), "test sent each id once");
    assert!(acked.len() >= 2_000);
}

fn event(id: &str) -> Value {
    json!({
        "eventId": id,
        "sourceType": "worker",
        "level": "info",
        "eventType": "progress_update",
        "message": format!("event {id}"),
        "runId": format!("run-{}", id.split('-').next().unwrap_or("x")),
        "jobName": "crash-test",
        "workerId": "farm-01",
        "metadata": {"progress": 1},
    })
}
