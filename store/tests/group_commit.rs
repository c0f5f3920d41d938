//! Many requests at once through the ingest queue, as the HTTP handlers send
//! them (however the writer happens to group them into transactions): each
//! gets its own answer naming the row that holds each of its events, every
//! event is stored once, and duplicates are found across requests as well
//! as within one. Checked on SQLite (where the writer's thread groups them
//! and each group's rows go in multi-row statements) and PostgreSQL.

mod support;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::Utc;
use serde_json::json;
use telltale_model::{Change, Event, EventFilter, Level, NewEvent, SourceType};
use telltale_store::{Changed, EventOutcome, IngestQueue, IngestReport, Store};

const REQUESTS: usize = 40;
/// Sizes that cross the writer's statement sizes (256, 128, … 1 rows).
const SIZES: [usize; 6] = [1, 3, 17, 64, 257, 300];
const SHARED_IDS: usize = 5;

/// Event `k` of request `r`: every tenth has no eventId; the first carries
/// an id that other requests carry too; the third repeats the second's.
fn event_id(r: usize, k: usize) -> Option<String> {
    match k {
        _ if k % 10 == 9 => None,
        0 => Some(format!("shared-{}", r % SHARED_IDS)),
        2 => Some(format!("r{r}-k1")),
        _ => Some(format!("r{r}-k{k}")),
    }
}

fn request(r: usize) -> Vec<NewEvent> {
    (0..SIZES[r % SIZES.len()])
        .map(|k| NewEvent {
            event_id: event_id(r, k),
            source_type: SourceType::Worker,
            level: Level::Info,
            event_type: "progress_update".into(),
            message: format!("r{r} k{k}"),
            event_at: Utc::now(),
            job_name: Some(format!("job-{}", r % 3)),
            run_id: Some(format!("run-{r}")),
            worker_id: Some("farm-01".into()),
            script_path: None,
            metadata: json!({"progress": k % 100, "request": r}),
        })
        .collect()
}

async fn all_events(store: &Store) -> Vec<Event> {
    let mut all = Vec::new();
    let mut filter = EventFilter {
        limit: Some(EventFilter::MAX_LIMIT),
        ..Default::default()
    };
    loop {
        let page = store.list_events(&filter).await.expect("list events");
        all.extend(page.events);
        match page.next_cursor {
            Some(cursor) => filter.before = Some(cursor),
            None => break,
        }
    }
    all.reverse();
    all
}

/// Each answer says what that request's own stored events changed, however
/// many other requests shared its transaction: the live pages and the
/// engine act on this, not on what the request names.
fn assert_changed(r: usize, report: &IngestReport) {
    if report.inserted() == 0 {
        assert_eq!(report.changed, Changed::default(), "r{r}: nothing stored");
        assert!(report.changes().is_empty(), "r{r}");
        return;
    }
    assert_eq!(report.changed.runs, [format!("run-{r}")], "r{r}");
    assert_eq!(report.changed.jobs, [format!("job-{}", r % 3)], "r{r}");
    assert_eq!(report.changed.workers, ["farm-01"], "r{r}");
    assert_eq!(report.changes(), Change::ALL[..4].to_vec(), "r{r}");
}

async fn concurrent_requests(store: Store) {
    let (queue, task) = IngestQueue::start(store.clone());
    let start = Arc::new(tokio::sync::Barrier::new(REQUESTS));
    let mut handles = Vec::new();
    for r in 0..REQUESTS {
        let (queue, start) = (queue.clone(), start.clone());
        handles.push(tokio::spawn(async move {
            start.wait().await;
            queue.submit(request(r)).await.expect("stored")
        }));
    }
    let mut answers = Vec::new();
    for handle in handles {
        answers.push(handle.await.expect("request task"));
    }
    drop(queue);
    if let Some(task) = task {
        task.await.expect("writer task");
    }

    let stored = all_events(&store).await;
    let by_id: HashMap<i64, &Event> = stored.iter().map(|e| (e.id, e)).collect();
    let mut inserted = 0;
    let mut shared_inserted = HashSet::new();
    for (r, report) in answers.iter().enumerate() {
        let outcomes = &report.outcomes;
        assert_changed(r, report);
        assert_eq!(
            outcomes.len(),
            SIZES[r % SIZES.len()],
            "one outcome per event"
        );
        for (k, outcome) in outcomes.iter().enumerate() {
            match (event_id(r, k), outcome) {
                (Some(id), &EventOutcome::Inserted(row)) if id.starts_with("shared-") => {
                    assert!(shared_inserted.insert(id), "a shared eventId stored twice");
                    assert_eq!(by_id[&row].message, format!("r{r} k{k}"));
                    inserted += 1;
                }
                (Some(_), &EventOutcome::Duplicate) if k == 0 => {}
                (_, &EventOutcome::Duplicate) => {
                    assert_eq!(k, 2, "only the repeated eventId is a duplicate (r{r} k{k})");
                }
                (_, &EventOutcome::Inserted(row)) => {
                    assert_ne!(k, 2, "a repeated eventId was stored (r{r})");
                    // The answer names the row that holds this very event.
                    let stored = by_id[&row];
                    assert_eq!(stored.message, format!("r{r} k{k}"));
                    assert_eq!(stored.event_id, event_id(r, k));
                    assert_eq!(stored.metadata, json!({"progress": k % 100, "request": r}));
                    inserted += 1;
                }
            }
        }
    }
    assert_eq!(
        shared_inserted.len(),
        SHARED_IDS,
        "each shared eventId once"
    );
    assert_eq!(
        stored.len(),
        inserted,
        "every answered insert is stored, nothing else"
    );
    // Received times rise with the log's order: a later row was never
    // stamped earlier.
    for pair in stored.windows(2) {
        assert!(
            pair[0].received_at <= pair[1].received_at,
            "event {} received after event {}",
            pair[0].id,
            pair[1].id
        );
    }
    // The runs saw every stored event (the last progress of each request's run).
    for r in [4, 5] {
        let run = store
            .get_run(&format!("run-{r}"))
            .await
            .expect("read run")
            .expect("run exists");
        let last = SIZES[r % SIZES.len()] - 1;
        assert_eq!(run.progress, Some((last % 100) as u8), "run-{r}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_requests_on_sqlite() {
    let (store, _target, _dir) = support::sqlite().await;
    concurrent_requests(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_requests_on_postgres() {
    let Some((store, _target)) = support::postgres("concurrent_requests_on_postgres").await else {
        return;
    };
    concurrent_requests(store).await;
}
