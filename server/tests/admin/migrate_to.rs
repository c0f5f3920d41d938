//! `telltale migrate-to postgres://…`: a SQLite file into PostgreSQL,
//! verified, and a server on PostgreSQL serving the same data after.

use std::sync::Arc;
use std::time::Instant;

use telltale_server::engine::SystemClock;
use telltale_store::admin::{KNOWN_TABLES, MIGRATIONS_TABLE, derived};
use telltale_store::{DatabaseTarget, Store};

use crate::helpers::{TestApp, event};
use crate::support::{Postgres, seeded_sqlite, stderr, stdout, telltale};

const EVENTS: usize = 100_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_to_copies_100k_events_into_postgres_and_verifies_them() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("telltale.sqlite");
    let seeding = Instant::now();
    seeded_sqlite(&db, EVENTS).await;
    eprintln!(
        "seeded {EVENTS} events in {:.1} s",
        seeding.elapsed().as_secs_f64()
    );

    // The backup of the same file, timed for docs/operations.md's figures.
    let copy = dir.path().join("backup.sqlite");
    let started = Instant::now();
    let out = telltale(&["backup", copy.to_str().unwrap()], &db, &[]);
    let backup_time = started.elapsed();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(&format!("{EVENTS} events")),
        "{}",
        stdout(&out)
    );
    eprintln!(
        "backup of {EVENTS} events: {:.2} s ({:.0} events/s)\n{}",
        backup_time.as_secs_f64(),
        EVENTS as f64 / backup_time.as_secs_f64(),
        stdout(&out)
    );

    let Some(pg) = Postgres::create("migrate_to_copies_100k_events_into_postgres").await else {
        return;
    };
    let started = Instant::now();
    let out = telltale(&["migrate-to", &pg.url], &db, &[]);
    let migrate_time = started.elapsed();
    let said = stdout(&out);
    assert!(out.status.success(), "{said}{}", stderr(&out));
    eprintln!(
        "migrate-to of {EVENTS} events: {:.2} s ({:.0} events/s)\n{said}",
        migrate_time.as_secs_f64(),
        EVENTS as f64 / migrate_time.as_secs_f64()
    );
    for spec in KNOWN_TABLES {
        let line = said
            .lines()
            .find(|l| l.split_whitespace().next() == Some(spec.name))
            .unwrap_or_else(|| panic!("no line for {} in\n{said}", spec.name));
        assert!(line.ends_with(" ok"), "{line}");
    }
    let events_line: Vec<&str> = said
        .lines()
        .find(|l| l.starts_with("events "))
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(events_line[1..3], ["100000", "100000"]);
    assert_eq!(events_line[3], events_line[4], "checksums");
    assert!(!said.contains("MISMATCH"));
    assert!(
        !said.contains("postgres:postgres@"),
        "the password is not printed"
    );

    // Into the now non-empty target: refused, nothing written.
    let out = telltale(&["migrate-to", &pg.url], &db, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("already holds data")
            && stderr(&out).contains("events (100000 rows)"),
        "{}",
        stderr(&out)
    );

    // A server on each database answers the same. The seed is dated: keep
    // retention from deleting it under one server and not the other.
    let keep = ("MONITOR_RETENTION_DAYS", "36500");
    let sqlite = TestApp::spawn_in(dir, &[keep], Arc::new(SystemClock)).await;
    let postgres = TestApp::spawn_with(&[("MONITOR_DATABASE_URL", &pg.url), keep]).await;
    for path in [
        "/v1/events?limit=200",
        "/v1/events?job=job-07&limit=50",
        "/v1/runs?limit=100",
        "/v1/runs/failed?limit=20",
        "/v1/runs/run-00004",
        "/v1/settings/alerts/webhooks",
        "/v1/workers",
    ] {
        let (a_status, a) = sqlite.get_json(path).await;
        let (b_status, b) = postgres.get_json(path).await;
        assert_eq!((a_status, b_status), (200, 200), "{path}: {a} / {b}");
        assert_eq!(a, b, "{path} differs between SQLite and PostgreSQL");
    }
    sqlite.stop().await;
    // Ids continue past the copied ones.
    let mut e = event("job.started", "first on PostgreSQL");
    e["eventId"] = "after-migration".into();
    let (status, body) = postgres.post_json("/v1/events", &e).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["inserted"], 1, "{body}");
    let newest = &postgres.events().await[0];
    assert_eq!(newest["eventId"], "after-migration");
    assert!(newest["id"].as_i64().unwrap() > EVENTS as i64, "{newest}");
    postgres.stop().await;
}

#[tokio::test]
async fn migrate_to_refuses_a_running_server_and_a_table_it_does_not_know() {
    let app = TestApp::spawn().await;
    let url = "postgres://telltale@127.0.0.1:9/never_reached";
    let out = telltale(&["migrate-to", url], &app.db_path(), &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("stop the server"), "{}", stderr(&out));
    let dir = app.stop_keeping_data().await;
    let db = dir.path().join("telltale.sqlite");

    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch("CREATE TABLE job_notes (id INTEGER PRIMARY KEY, note TEXT)")
        .unwrap();
    drop(conn);
    let out = telltale(&["migrate-to", url], &db, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("job_notes") && stderr(&out).contains("nothing copied"),
        "{}",
        stderr(&out)
    );

    let out = telltale(&["migrate-to", "mysql://x@y/z"], &db, &[]);
    assert_eq!(out.status.code(), Some(2));
}

/// The tool's list of tables is the schema's: a migration that adds a
/// table fails here until the copy knows it.
#[tokio::test]
async fn the_copy_knows_every_table_of_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("schema.sqlite");
    let store = Store::connect(&DatabaseTarget::Sqlite { path: db.clone() })
        .await
        .unwrap();
    store.close().await.unwrap();
    let conn = rusqlite::Connection::open(&db).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' \
             AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .unwrap();
    let in_schema: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<Vec<String>, _>>()
        .unwrap()
        .into_iter()
        // The search index and FTS5's shadow tables behind it: derived
        // from the log, rebuilt by the target, not copied.
        .filter(|t| !derived(t))
        .collect();
    let mut known: Vec<String> = KNOWN_TABLES.iter().map(|t| t.name.to_owned()).collect();
    known.push(MIGRATIONS_TABLE.to_owned());
    known.sort();
    assert_eq!(in_schema, known);
}

/// A value PostgreSQL stores differently from what was read is caught by
/// the checksum, named, and rolled back: here a trigger on the target
/// rewrites one message as it is inserted.
#[tokio::test]
async fn a_row_that_arrives_altered_is_named_and_nothing_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("telltale.sqlite");
    seeded_sqlite(&db, 120).await;
    let Some(pg) = Postgres::create("a_row_that_arrives_altered").await else {
        return;
    };
    // The database comes migrated: the trigger goes on its events table.
    let conn = sea_orm::Database::connect(&pg.url).await.unwrap();
    use sea_orm::ConnectionTrait;
    conn.execute_unprepared(
        "CREATE FUNCTION tamper() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
         IF NEW.id = 77 THEN NEW.message := 'rewritten'; END IF; RETURN NEW; END $$; \
         CREATE TRIGGER tamper BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION tamper()",
    )
    .await
    .unwrap();

    let out = telltale(&["migrate-to", &pg.url], &db, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let said = stdout(&out);
    let events_line = said.lines().find(|l| l.starts_with("events ")).unwrap();
    assert!(events_line.ends_with("MISMATCH"), "{said}");
    assert!(
        said.contains("row with id = 77, column message")
            && said.contains("PostgreSQL Some(\"rewritten\")"),
        "{said}"
    );
    assert!(stderr(&out).contains("rolled back"), "{}", stderr(&out));
    let left = conn
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT count(*) AS n FROM events",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(left.try_get::<i64>("", "n").unwrap(), 0);
    conn.close().await.unwrap();
}

/// Text PostgreSQL cannot store (a NUL character, which SQLite keeps
/// verbatim) stops the copy naming the row; nothing is kept.
#[tokio::test]
async fn text_postgres_cannot_hold_stops_the_copy_naming_the_row() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("telltale.sqlite");
    seeded_sqlite(&db, 10).await;
    let store = Store::connect(&DatabaseTarget::Sqlite { path: db.clone() })
        .await
        .unwrap();
    let mut e = telltale_model::NewEvent::new(
        telltale_model::SourceType::Worker,
        telltale_model::Level::Info,
        "job.progress",
        "before\0after",
        chrono::Utc::now(),
    );
    e.event_id = Some("with-nul".into());
    store.ingest(&[e], chrono::Utc::now()).await.unwrap();
    store.close().await.unwrap();
    let Some(pg) = Postgres::create("text_postgres_cannot_hold").await else {
        return;
    };
    let out = telltale(&["migrate-to", &pg.url], &db, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("events.message of the row with id = 11")
            && stderr(&out).contains("NUL"),
        "{}",
        stderr(&out)
    );
}
