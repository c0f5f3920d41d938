//! `telltale backup FILE` beside a server that keeps ingesting.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::helpers::{TestApp, event};
use crate::support::{stderr, stdout, telltale, telltale_async};

/// Posts eventId'd events one by one until `stop`, recording the ids the
/// server acknowledged.
fn ingest_until(
    app: &TestApp,
    writer: usize,
    acked: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<()> {
    let client = app.client.clone();
    let url = app.url("/v1/events");
    tokio::spawn(async move {
        let mut n = 0;
        while !stop.load(Ordering::Relaxed) {
            let id = format!("w{writer}-{n}");
            n += 1;
            let mut e = event("job.progress", "rendering");
            e["eventId"] = id.clone().into();
            e["runId"] = format!("run-{writer}").into();
            let resp = client.post(&url).json(&e).send().await.expect("post");
            if resp.status().is_success() {
                acked.lock().expect("acked").push(id);
            }
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_during_ingest_holds_every_event_acknowledged_before_it() {
    let app = TestApp::spawn().await;
    let out_dir = tempfile::tempdir().unwrap();
    let copy = out_dir.path().join("backup.sqlite");
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..4)
        .map(|w| ingest_until(&app, w, acked.clone(), stop.clone()))
        .collect();
    while acked.lock().unwrap().len() < 400 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }

    let before: HashSet<String> = acked.lock().unwrap().iter().cloned().collect();
    let out = telltale_async(&["backup", copy.to_str().unwrap()], &app.db_path()).await;
    let during = acked.lock().unwrap().len();
    // Ingest goes on after the backup, too.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.await.unwrap();
    }
    let after = acked.lock().unwrap().len();
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains("integrity_check ok"),
        "{}",
        stdout(&out)
    );
    assert!(
        after > before.len(),
        "ingest kept going around the backup ({} then {during} then {after})",
        before.len()
    );

    let conn = rusqlite::Connection::open(&copy).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    // One self-contained file: nothing of it lives in a -wal.
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "delete");
    let mut stmt = conn
        .prepare("SELECT event_id FROM events WHERE event_id IS NOT NULL")
        .unwrap();
    let in_copy: HashSet<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let missing: Vec<_> = before.difference(&in_copy).collect();
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged events missing from the backup, e.g. {:?}",
        missing.len(),
        before.len(),
        missing.first()
    );
    let printed = format!("{} events", in_copy.len());
    assert!(stdout(&out).contains(&printed), "{}", stdout(&out));
    eprintln!(
        "backup held {} events: {} acknowledged before it, {} by the end",
        in_copy.len(),
        before.len(),
        after
    );
    app.stop().await;
}

#[tokio::test]
async fn backup_refuses_an_existing_file_unless_forced_and_postgres() {
    let app = TestApp::spawn().await;
    let (status, _) = app
        .post_json("/v1/events", &event("job.started", "one"))
        .await;
    assert_eq!(status, 200);
    let out_dir = tempfile::tempdir().unwrap();
    let copy = out_dir.path().join("b.sqlite");
    std::fs::write(&copy, "keep me").unwrap();
    let path = copy.to_str().unwrap();

    let out = telltale(&["backup", path], &app.db_path(), &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("exists already"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&copy).unwrap(), "keep me");

    let out = telltale(&["backup", "--force", path], &app.db_path(), &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("1 events"), "{}", stdout(&out));
    // Only the backup in the directory: the temporary file was renamed.
    let names: Vec<_> = std::fs::read_dir(out_dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["b.sqlite"]);

    let out = telltale(
        &["backup", path],
        &app.db_path(),
        &[(
            "MONITOR_DATABASE_URL",
            "postgres://telltale@127.0.0.1:9/telltale",
        )],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("pg_dump"), "{}", stderr(&out));
    app.stop().await;
}
