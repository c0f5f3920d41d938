//! Exports read everything a filter matches in keyset pages, each row once,
//! newest first; and a job's public badge survives the upserts of ingest.
//! Told once, checked on SQLite and PostgreSQL.

mod support;

use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use telltale_model::{EventFilter, Level, NewEvent, RunFilter, RunStatus, SourceType};
use telltale_store::Store;

fn t(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_764_000_000, 0).unwrap() + Duration::seconds(secs)
}

fn ev(event_type: &str, job: &str, run: &str, secs: i64) -> NewEvent {
    let mut e = NewEvent::new(
        SourceType::Worker,
        if event_type == "execution_failed" {
            Level::Error
        } else {
            Level::Info
        },
        event_type,
        format!("{event_type} of {run}"),
        t(secs),
    );
    e.job_name = Some(job.into());
    e.run_id = Some(run.into());
    if event_type == "execution_failed" {
        e.metadata = json!({"failure_reason": format!("exit 1, \"{run}\"\nline 2")});
    }
    e
}

/// Every page of an export, flattened, checking that no page is larger
/// than asked.
macro_rules! drain {
    ($export:expr, $page:expr) => {{
        let mut export = $export;
        let mut all = Vec::new();
        while let Some(page) = export.next_page().await.expect("page") {
            assert!(!page.is_empty() && page.len() as u64 <= $page);
            all.extend(page);
        }
        assert!(export.next_page().await.expect("after the end").is_none());
        all
    }};
}

async fn story(store: &Store) {
    // 40 runs of two jobs; every fourth fails. 3 events per run.
    let mut events = Vec::new();
    for r in 0..40 {
        let job = if r % 2 == 0 { "render" } else { "etl" };
        let run = format!("run-{r:02}");
        events.push(ev("job_created", job, &run, r * 10));
        events.push(ev("execution_started", job, &run, r * 10 + 1));
        let end = if r % 4 == 0 {
            "execution_failed"
        } else {
            "execution_completed"
        };
        events.push(ev(end, job, &run, r * 10 + 2));
    }
    store.ingest(&events, t(1000)).await.expect("ingest");

    // All 120 events in pages of 7 (the last one short), newest first.
    let all = drain!(store.export_events(EventFilter::default(), None, 7), 7);
    assert_eq!(all.len(), 120);
    assert!(all.windows(2).all(|w| w[0].id > w[1].id), "newest first");
    let listed = store
        .list_events(&EventFilter {
            limit: Some(1000),
            ..Default::default()
        })
        .await
        .unwrap()
        .events;
    assert_eq!(all, listed, "the same rows as the read API, in its order");

    // A filter whose 10 matches (render's failed runs) are an exact
    // multiple of the page size: the last page is full, the next empty.
    let filter = EventFilter {
        job: Some("render".into()),
        level: Some(Level::Error),
        ..Default::default()
    };
    let failed = drain!(store.export_events(filter, None, 5), 5);
    let runs: Vec<&str> = failed.iter().filter_map(|e| e.run_id.as_deref()).collect();
    assert_eq!(
        runs,
        [
            "run-36", "run-32", "run-28", "run-24", "run-20", "run-16", "run-12", "run-08",
            "run-04", "run-00"
        ]
    );

    // A start cursor and a cap on rows.
    let start = all[10].id;
    let capped = drain!(
        store.export_events(
            EventFilter {
                before: Some(start),
                ..Default::default()
            },
            Some(15),
            4
        ),
        4
    );
    assert_eq!(capped, all[11..26].to_vec());

    // Runs: by seq, newest first; the filters of /v1/runs.
    let all_runs = drain!(store.export_runs(RunFilter::default(), None, 6), 6);
    assert_eq!(all_runs.len(), 40);
    assert!(all_runs.windows(2).all(|w| w[0].seq > w[1].seq));
    let failed_render = drain!(
        store.export_runs(
            RunFilter {
                status: vec![RunStatus::Failed],
                job: Some("render".into()),
                text: Some("\"run-1".into()),
                ..Default::default()
            },
            None,
            1
        ),
        1
    );
    let ids: Vec<&str> = failed_render.iter().map(|r| r.run_id.as_str()).collect();
    assert_eq!(ids, ["run-16", "run-12"]);
    assert_eq!(
        failed_render[0].failure_reason.as_deref(),
        Some("exit 1, \"run-16\"\nline 2")
    );

    // Nothing matches: no page at all.
    let none = drain!(
        store.export_runs(
            RunFilter {
                job: Some("nope".into()),
                ..Default::default()
            },
            None,
            10
        ),
        10
    );
    assert!(none.is_empty());

    // A public badge: unknown jobs cannot be marked and read as private.
    assert!(!store.set_public_badge("nope", true).await.unwrap());
    assert!(!store.badge_is_public("nope").await.unwrap());
    assert!(
        !store.badge_is_public("render").await.unwrap(),
        "private by default"
    );
    assert!(store.set_public_badge("render", true).await.unwrap());
    assert!(store.badge_is_public("render").await.unwrap());
    // Ingest rewrites the job's row (an upsert of every derived column):
    // the operator's choice stays.
    store
        .ingest(&[ev("execution_failed", "render", "run-99", 2000)], t(2001))
        .await
        .unwrap();
    let job = store.job_with_state("render").await.unwrap().unwrap();
    assert_eq!(job.job.last_run_id.as_deref(), Some("run-99"));
    assert!(job.public_badge, "ingest kept the public badge");
    assert!(store.set_public_badge("render", false).await.unwrap());
    assert!(!store.badge_is_public("render").await.unwrap());
}

#[tokio::test]
async fn export_pages_on_sqlite() {
    let (store, _target, _dir) = support::sqlite().await;
    story(&store).await;
}

#[tokio::test]
async fn export_pages_on_postgres() {
    let Some((store, _target)) = support::postgres("export_pages_on_postgres").await else {
        return;
    };
    story(&store).await;
}
