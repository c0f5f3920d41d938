//! The event log's promises, told once and checked on SQLite and PostgreSQL.

mod support;

use chrono::{DateTime, TimeZone, Utc};
use sea_orm::DbBackend;
use serde_json::json;
use telltale_model::{EventFilter, Level, NewEvent, SourceType};
use telltale_store::{DatabaseTarget, EventOutcome, Store};

fn at(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_764_000_000 + secs, 123_456_000)
        .single()
        .expect("valid time")
}

fn event(event_id: Option<&str>, job: &str, message: &str, secs: i64) -> NewEvent {
    NewEvent {
        event_id: event_id.map(str::to_owned),
        source_type: SourceType::Worker,
        level: Level::Info,
        event_type: "progress_update".into(),
        message: message.into(),
        event_at: at(secs),
        job_name: Some(job.into()),
        run_id: Some(format!("{job}-run")),
        worker_id: Some("farm-01".into()),
        script_path: None,
        metadata: json!({"progress": 40}),
    }
}

fn counts(outcomes: &[EventOutcome]) -> (usize, usize) {
    let inserted = outcomes
        .iter()
        .filter(|o| matches!(o, EventOutcome::Inserted(_)))
        .count();
    (inserted, outcomes.len() - inserted)
}

async fn story(store: &Store, target: &DatabaseTarget) {
    // Verbatim text: whitespace, newlines, quotes and non-ASCII survive.
    let verbatim = "  Error: \"/mnt/媒体/clip.mov\"\n\tat frame 1042\n  ";
    let first = vec![
        event(Some("e1"), "render", verbatim, 0),
        event(None, "etl", "loaded 10 rows", 1),
        event(Some("e3"), "render", "done", 2),
    ];
    let out = store.ingest(&first, at(10)).await.expect("insert");
    assert_eq!(counts(&out), (3, 0));

    // A retry with known eventIds (and one repeated inside the batch) stores nothing twice.
    let retry = vec![
        event(Some("e1"), "render", "changed text must not replace", 0),
        event(Some("e4"), "render", "new", 3),
        event(Some("e4"), "render", "new again", 3),
        event(None, "etl", "loaded 10 rows", 1),
    ];
    let out = store.ingest(&retry, at(11)).await.expect("retry");
    assert_eq!(counts(&out), (2, 2));
    assert_eq!(out[0], EventOutcome::Duplicate, "e1 was stored before");
    assert!(matches!(out[1], EventOutcome::Inserted(_)));
    assert_eq!(
        out[2],
        EventOutcome::Duplicate,
        "e4 repeats within the group"
    );

    let all = store
        .list_events(&EventFilter::default())
        .await
        .expect("list")
        .events;
    assert_eq!(all.len(), 5, "nothing lost: {all:#?}");
    assert!(all.windows(2).all(|w| w[0].id > w[1].id), "newest first");
    let e1 = all
        .iter()
        .find(|e| e.event_id.as_deref() == Some("e1"))
        .expect("e1 kept");
    assert_eq!(e1.message, verbatim, "stored verbatim, first write wins");
    assert_eq!(e1.event_at, at(0), "microsecond precision kept");
    assert_eq!(e1.received_at, at(10));
    assert_eq!(e1.metadata, json!({"progress": 40}));

    let render = store
        .list_events(&EventFilter {
            job: Some("render".into()),
            ..Default::default()
        })
        .await
        .expect("filter by job")
        .events;
    assert_eq!(render.len(), 3);

    let page = store
        .list_events(&EventFilter {
            limit: Some(2),
            ..Default::default()
        })
        .await
        .expect("page 1")
        .events;
    let next = store
        .list_events(&EventFilter {
            limit: Some(2),
            before: page.last().map(|e| e.id),
            ..Default::default()
        })
        .await
        .expect("page 2")
        .events;
    assert_eq!(page.len(), 2);
    assert_eq!(next.len(), 2);
    assert!(
        next[0].id < page[1].id,
        "cursor continues where the page ended"
    );

    let window = store
        .list_events(&EventFilter {
            since: Some(at(1)),
            until: Some(at(3)),
            ..Default::default()
        })
        .await
        .expect("time window")
        .events;
    // At 1 s (twice: the retried event had no eventId) and 2 s; 3 s is excluded.
    assert_eq!(window.len(), 3, "since is inclusive, until exclusive");

    // Append-only in the schema: even raw SQL cannot rewrite an event.
    let update =
        support::execute_outside_store(target, "UPDATE events SET message = 'rewritten'").await;
    let err = update.expect_err("UPDATE on events must fail");
    assert!(err.to_string().contains("append-only"), "{err}");
    let after = store
        .list_events(&EventFilter::default())
        .await
        .expect("list")
        .events;
    assert_eq!(after, all, "nothing changed");

    // Retention deletes what arrived before the cutoff, and only that; the
    // runs derived from those events stay.
    let runs_before = store.list_runs(&Default::default()).await.expect("runs");
    let pruned = store.prune_events(at(11)).await.expect("prune");
    assert_eq!(pruned, 3, "the first group arrived at 10 s");
    let left = store
        .list_events(&EventFilter::default())
        .await
        .expect("list")
        .events;
    assert_eq!(left.len(), 2);
    assert!(left.iter().all(|e| e.received_at == at(11)));
    assert_eq!(
        store.list_runs(&Default::default()).await.expect("runs"),
        runs_before
    );
    assert_eq!(store.prune_events(at(11)).await.expect("prune again"), 0);
}

#[tokio::test]
async fn event_log_on_sqlite() {
    let (store, target, _dir) = support::sqlite().await;
    story(&store, &target).await;
}

#[tokio::test]
async fn event_log_on_postgres() {
    let Some((store, target)) = support::postgres("event_log_on_postgres").await else {
        return;
    };
    assert_eq!(store.backend(), DbBackend::Postgres);
    story(&store, &target).await;
}

#[tokio::test]
async fn bundled_sqlite_has_the_wal_reset_fix() {
    let (store, _target, _dir) = support::sqlite().await;
    let version = store
        .sqlite_version()
        .await
        .expect("query")
        .expect("sqlite");
    let parts: Vec<u32> = version
        .split('.')
        .map(|p| p.parse().expect("numeric"))
        .collect();
    assert!(
        parts >= vec![3, 51, 3],
        "SQLite {version} predates the WAL-reset fix of 3.51.3"
    );
}
