//! `telltale restore FILE`: never under a running server, the old file kept.

use std::collections::HashMap;
use std::sync::Arc;

use telltale_server::engine::SystemClock;
use telltale_server::{Application, Config};

use crate::helpers::{TestApp, event};
use crate::support::{stderr, stdout, telltale};

async fn post(app: &TestApp, id: &str) {
    let mut e = event("job.started", id);
    e["eventId"] = id.into();
    let (status, body) = app.post_json("/v1/events", &e).await;
    assert_eq!(status, 200, "{body}");
}

fn event_ids(events: &[serde_json::Value]) -> Vec<String> {
    let mut ids: Vec<String> = events
        .iter()
        .filter_map(|e| e["eventId"].as_str().map(str::to_owned))
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn restore_waits_for_the_server_to_stop_and_brings_the_backup_back() {
    let app = TestApp::spawn().await;
    for id in ["a", "b", "c"] {
        post(&app, id).await;
    }
    let backups = tempfile::tempdir().unwrap();
    let backup = backups.path().join("before.sqlite");
    let backup_arg = backup.to_str().unwrap();
    let db = app.db_path();
    let out = telltale(&["backup", backup_arg], &db, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    // Written after the backup: gone once it is restored.
    post(&app, "after-backup").await;

    let out = telltale(&["restore", backup_arg], &db, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("in use by another Telltale process")
            && stderr(&out).contains("stop the server"),
        "{}",
        stderr(&out)
    );

    // SQLite is one process: a second server on the file refuses to start.
    let env: HashMap<&str, String> = HashMap::from([
        ("MONITOR_PORT", "0".to_owned()),
        ("MONITOR_AUTH_ENABLED", "false".to_owned()),
        ("MONITOR_DB_PATH", db.display().to_string()),
    ]);
    let config = Config::from_lookup(|k| env.get(k).cloned()).unwrap();
    let second = Application::build_with_clock(config, Arc::new(SystemClock)).await;
    let message = second.err().expect("a second server refused").to_string();
    assert!(
        message.contains("in use by another Telltale process"),
        "{message}"
    );
    assert!(message.contains("MONITOR_DATABASE_URL"), "{message}");
    // And so does the binary.
    let out = telltale(
        &["serve"],
        &db,
        &[("MONITOR_PORT", "0"), ("MONITOR_AUTH_ENABLED", "false")],
    );
    assert_eq!(out.status.code(), Some(1));
    // The log (stdout) carries the start-up error.
    assert!(
        stdout(&out).contains("in use by another Telltale process"),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );

    let dir = app.stop_keeping_data().await;
    let out = telltale(&["restore", backup_arg], &db, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let said = stdout(&out);
    assert!(said.contains("integrity_check ok"), "{said}");
    assert!(said.contains("events 3"), "{said}");
    assert!(said.contains("previous database is kept at"), "{said}");
    let aside: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("telltale.sqlite.before-restore-") && !n.ends_with("-shm"))
        .collect();
    assert_eq!(aside.len(), 1, "{aside:?}");
    // The file kept aside is the database as it was, the late event in it.
    let kept = rusqlite::Connection::open(dir.path().join(&aside[0])).unwrap();
    let late: i64 = kept
        .query_row(
            "SELECT count(*) FROM events WHERE event_id = 'after-backup'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(late, 1);
    drop(kept);

    let app = TestApp::spawn_in(dir, &[], Arc::new(SystemClock)).await;
    assert_eq!(event_ids(&app.events().await), ["a", "b", "c"]);
    app.stop().await;
}

#[tokio::test]
async fn restore_refuses_what_is_not_a_telltale_database_of_this_version() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("telltale.sqlite");
    let junk = dir.path().join("notes.txt");
    std::fs::write(&junk, "not a database, just text long enough to be read").unwrap();
    let out = telltale(&["restore", junk.to_str().unwrap()], &db, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("is not a SQLite database"),
        "{}",
        stderr(&out)
    );

    let foreign = dir.path().join("other.sqlite");
    let conn = rusqlite::Connection::open(&foreign).unwrap();
    conn.execute_batch("CREATE TABLE things (id INTEGER PRIMARY KEY)")
        .unwrap();
    drop(conn);
    let out = telltale(&["restore", foreign.to_str().unwrap()], &db, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("not Telltale's"), "{}", stderr(&out));

    // A backup from a newer Telltale: a migration this binary lacks.
    let app = TestApp::spawn().await;
    let newer = dir.path().join("newer.sqlite");
    let out = telltale(&["backup", newer.to_str().unwrap()], &app.db_path(), &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    app.stop().await;
    let conn = rusqlite::Connection::open(&newer).unwrap();
    conn.execute_batch(
        "INSERT INTO seaql_migrations (version, applied_at) VALUES ('m20991231_000001_future', 0)",
    )
    .unwrap();
    drop(conn);
    let out = telltale(&["restore", newer.to_str().unwrap()], &db, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("newer Telltale") && stderr(&out).contains("m20991231_000001_future"),
        "{}",
        stderr(&out)
    );
    assert!(!db.exists(), "nothing was put in place");
}
