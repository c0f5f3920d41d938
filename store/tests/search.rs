//! Full-text search over the whole log, told once and checked on SQLite
//! and PostgreSQL: the same words find the same events on both.

mod support;

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{Value, json};
use telltale_model::{EventFilter, Level, NewEvent, SearchError, SourceType};
use telltale_store::{Store, StoreError};

fn at(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_764_000_000 + secs, 0)
        .single()
        .expect("valid time")
}

fn event(job: &str, message: &str, metadata: Value) -> NewEvent {
    NewEvent {
        event_id: None,
        source_type: SourceType::Worker,
        level: Level::Info,
        event_type: "progress_update".into(),
        message: message.into(),
        event_at: at(0),
        job_name: Some(job.into()),
        run_id: Some(format!("{job}-run")),
        worker_id: Some("farm-01".into()),
        script_path: None,
        metadata,
    }
}

async fn search(store: &Store, q: &str, job: Option<&str>) -> Vec<String> {
    let page = store
        .list_events(&EventFilter {
            q: Some(q.into()),
            job: job.map(str::to_owned),
            ..Default::default()
        })
        .await
        .unwrap_or_else(|e| panic!("search {q:?}: {e}"));
    assert_eq!(page.unsearched, Some(0), "{q:?}: the index is caught up");
    page.events.into_iter().map(|e| e.message).collect()
}

async fn story(store: &Store) {
    let first = vec![
        event(
            "render",
            "Disk full on /mnt/render",
            json!({"exit_code": 137}),
        ),
        event("render", "disk check passed", json!({"host": "nas-01"})),
        event("etl", "full reload of the warehouse", json!({})),
        event("etl", "Straße ünïcode row", json!({"note": "naïve"})),
        event("etl", "quotes \"disk\" OR full* NEAR(a b) col:x", json!({})),
    ];
    store.ingest(&first, at(10)).await.expect("ingest");
    // More than one indexing chunk, for paging.
    let filler: Vec<NewEvent> = (0..600)
        .map(|i| {
            event(
                "bulk",
                &format!("filler number {}", 1000 + i),
                json!({"i": 1000 + i}),
            )
        })
        .collect();
    store.ingest(&filler, at(20)).await.expect("ingest filler");
    assert!(
        store
            .search_caught_up(Duration::from_secs(20))
            .await
            .expect("progress"),
        "the index caught up with the log"
    );

    // Every word must occur, in the message or the metadata, any case.
    assert_eq!(
        search(store, "DISK full", None).await,
        [
            "quotes \"disk\" OR full* NEAR(a b) col:x",
            "Disk full on /mnt/render"
        ]
    );
    assert_eq!(
        search(store, "137", None).await,
        ["Disk full on /mnt/render"]
    );
    assert_eq!(
        search(store, "exit_code", None).await,
        ["Disk full on /mnt/render"]
    );
    assert_eq!(search(store, "nas", None).await, ["disk check passed"]);
    assert_eq!(
        search(store, "straße naïve", None).await,
        ["Straße ünïcode row"]
    );
    assert_eq!(
        search(store, "warehouse", Some("render")).await,
        Vec::<String>::new()
    );
    assert_eq!(search(store, "disk", Some("render")).await.len(), 2);
    assert!(search(store, "nowhere", None).await.is_empty());
    // Search syntax is just words here: no operator, no error.
    for hostile in [
        "\"disk\" OR full*",
        "NEAR(a b)",
        "col:x",
        "a AND -b",
        "'; DROP TABLE events; --",
    ] {
        store
            .list_events(&EventFilter {
                q: Some(hostile.into()),
                ..Default::default()
            })
            .await
            .unwrap_or_else(|e| panic!("{hostile:?}: {e}"));
    }
    for refused in ["!!!", "***"] {
        let err = store
            .list_events(&EventFilter {
                q: Some(refused.into()),
                ..Default::default()
            })
            .await
            .expect_err("no words");
        assert!(
            matches!(err, StoreError::Search(SearchError::NoWords)),
            "{err}"
        );
    }

    // Pages of a search, newest first, with the listing's cursor.
    let mut seen = Vec::new();
    let mut before = None;
    loop {
        let page = store
            .list_events(&EventFilter {
                q: Some("filler".into()),
                before,
                limit: Some(250),
                ..Default::default()
            })
            .await
            .expect("page");
        seen.extend(page.events.iter().map(|e| e.id));
        match page.next_cursor {
            Some(cursor) => before = Some(cursor),
            None => break,
        }
    }
    assert_eq!(seen.len(), 600, "every filler event, once");
    assert!(seen.windows(2).all(|w| w[0] > w[1]), "newest first");

    // Retention takes events out of the search too.
    store.prune_events(at(11)).await.expect("prune");
    assert!(search(store, "disk", None).await.is_empty());
    assert_eq!(
        search(store, "filler 1599", None).await,
        ["filler number 1599"]
    );
    // And what arrives later is found.
    store
        .ingest(
            &[event("late", "arrived after the prune", json!({}))],
            at(30),
        )
        .await
        .expect("ingest");
    assert!(
        store
            .search_caught_up(Duration::from_secs(20))
            .await
            .expect("progress")
    );
    assert_eq!(
        search(store, "arrived", None).await,
        ["arrived after the prune"]
    );
}

#[tokio::test]
async fn search_on_sqlite() {
    let (store, target, _dir) = support::sqlite().await;
    story(&store).await;
    // The pruned events' rows left SQLite's index as well.
    let telltale_store::DatabaseTarget::Sqlite { path } = target else {
        unreachable!("a SQLite target")
    };
    let conn = rusqlite::Connection::open(path).expect("open");
    let indexed: i64 = conn
        .query_row("SELECT count(*) FROM event_search", [], |r| r.get(0))
        .expect("count");
    assert_eq!(indexed, 601, "600 filler events and the late one");
}

#[tokio::test]
async fn search_on_postgres() {
    let Some((store, _target)) = support::postgres("search_on_postgres").await else {
        return;
    };
    story(&store).await;
}
