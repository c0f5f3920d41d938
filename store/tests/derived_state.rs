//! Runs, jobs and workers derived from events, and the invariants the store
//! enforces: a terminal run never changes, no event is ever lost.

mod support;

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};
use telltale_model::{
    EventFilter, Level, NewEvent, RunFilter, RunOrder, RunStatus, SourceType, WorkerStatus,
};
use telltale_store::{DatabaseTarget, EventOutcome, Store};

fn t(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_764_000_000, 0).unwrap() + Duration::seconds(secs)
}

fn ev(event_type: &str, run: &str, secs: i64, metadata: Value) -> NewEvent {
    NewEvent {
        event_id: None,
        source_type: SourceType::Worker,
        level: Level::Info,
        event_type: event_type.into(),
        message: format!("{event_type} of {run}"),
        event_at: t(secs),
        job_name: Some("nightly-proxy-render".into()),
        run_id: Some(run.into()),
        worker_id: Some("farm-01".into()),
        script_path: None,
        metadata,
    }
}

async fn story(store: &Store, target: &DatabaseTarget) {
    let reason = "Resolve: render failed\n  clip 0042: \"/mnt/媒体/A001.mov\" offline  ";
    store
        .ingest(
            &[
                ev(
                    "job_created",
                    "r1",
                    0,
                    json!({"job_type": "proxy", "source_path": "/in/A001.mov", "lut_id": "rec709"}),
                ),
                ev("engine_selected", "r1", 1, json!({"engine": "resolve"})),
                ev("execution_started", "r1", 2, json!({})),
                ev("progress_update", "r1", 3, json!({"progress": 50})),
                ev(
                    "execution_failed",
                    "r1",
                    10,
                    json!({"failure_reason": reason}),
                ),
                ev("job.started", "r2", 20, json!({})),
                ev("job.completed", "r2", 50, json!({"output_path": "/out/r2"})),
            ],
            t(60),
        )
        .await
        .expect("ingest");

    let r1 = store.get_run("r1").await.unwrap().expect("r1 derived");
    assert_eq!(r1.status, RunStatus::Failed);
    assert_eq!(r1.failure_reason.as_deref(), Some(reason), "verbatim");
    assert_eq!(r1.engine.as_deref(), Some("resolve"));
    assert_eq!(r1.progress, Some(50));
    assert_eq!(r1.start_time, Some(t(2)));
    assert_eq!(r1.end_time, Some(t(10)));

    let job = store
        .get_job("nightly-proxy-render")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(job.consecutive_failures, 0, "r2 completed after r1 failed");
    assert_eq!(job.last_run_id.as_deref(), Some("r2"));

    // A late event for a terminal run: stored in the log, run untouched,
    // the refusal recorded.
    let before = store.get_run("r1").await.unwrap().unwrap();
    let late = vec![
        ev(
            "execution_completed",
            "r1",
            70,
            json!({"output_path": "/out/late"}),
        ),
        ev("progress_update", "r1", 71, json!({"progress": 99})),
    ];
    let out = store.ingest(&late, t(72)).await.unwrap();
    assert!(
        out.iter().all(|o| matches!(o, EventOutcome::Inserted(_))),
        "late events are stored"
    );
    assert_eq!(
        store.get_run("r1").await.unwrap().unwrap(),
        before,
        "terminal run unchanged"
    );
    let detail = store.run_detail("r1").await.unwrap().unwrap();
    assert_eq!(
        detail.timeline.len(),
        7,
        "complete timeline incl. late events"
    );
    assert!(
        detail
            .timeline
            .windows(2)
            .all(|w| w[0].event_at <= w[1].event_at),
        "oldest first"
    );
    assert_eq!(detail.rejected.len(), 2);
    assert_eq!(detail.rejected[0].event_type, "execution_completed");
    assert_eq!(detail.rejected[0].run_status, RunStatus::Failed);

    // Even SQL typed by hand cannot change a terminal run.
    let err = support::execute_outside_store(
        target,
        "UPDATE runs SET status = 'running' WHERE run_id = 'r1'",
    )
    .await
    .expect_err("terminal run must not be updated");
    assert!(err.to_string().contains("terminal"), "{err}");
    assert_eq!(store.get_run("r1").await.unwrap().unwrap(), before);

    // Listings: newest first, filters, a cursor, text search.
    let page = store.list_runs(&RunFilter::default()).await.unwrap();
    let ids: Vec<_> = page.runs.iter().map(|r| r.run_id.as_str()).collect();
    assert_eq!(ids, ["r2", "r1"]);
    let failed = store
        .list_runs(&RunFilter {
            status: vec![RunStatus::Failed],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(failed.runs.len(), 1);
    let first = store
        .list_runs(&RunFilter {
            limit: Some(1),
            ..Default::default()
        })
        .await
        .unwrap();
    let second = store
        .list_runs(&RunFilter {
            limit: Some(1),
            before: first.next_cursor,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(second.runs[0].run_id, "r1");
    let found = store
        .list_runs(&RunFilter {
            text: Some("媒体/a001".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        found.runs.len(),
        1,
        "case-insensitive search in the failure reason"
    );
    let literal = store
        .list_runs(&RunFilter {
            text: Some("%".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(literal.runs.is_empty(), "% is a literal, not a wildcard");

    let stats = store.run_stats(&RunFilter::default()).await.unwrap();
    assert_eq!(stats.total, 2);
    assert_eq!(stats.by_status.get("failed"), Some(&1));
    assert_eq!(stats.by_status.get("completed"), Some(&1));
    assert_eq!(stats.by_engine.get("resolve"), Some(&1));
    assert_eq!(stats.by_engine.get("unknown"), Some(&1));
    assert_eq!(stats.failure_rate, Some(0.5));
    assert_eq!(stats.duration_p50_seconds, Some(8.0));
    assert_eq!(stats.duration_p95_seconds, Some(30.0));

    // Workers: heartbeats carry liveness and the current run.
    let mut beat = ev(
        "worker.heartbeat",
        "r3",
        100,
        json!({"hostname": "farm-01.studio", "current_run_id": "r3", "interval_seconds": 10}),
    );
    beat.job_name = None;
    store.ingest(&[beat], t(100)).await.unwrap();
    let worker = store.get_worker("farm-01").await.unwrap().unwrap();
    assert_eq!(worker.hostname.as_deref(), Some("farm-01.studio"));
    assert_eq!(worker.status(t(110)), WorkerStatus::Busy);
    assert_eq!(worker.status(t(121)), WorkerStatus::Offline);
    assert_eq!(store.list_workers().await.unwrap().len(), 1);
}

/// Failures first across pages: every failed run before any other, each
/// part newest first, and a cursor that stays put while runs arrive.
async fn failures_first_pages(store: &Store) {
    // r1 … r7 in order; r2, r4 and r6 fail, r7 is still running.
    let mut events = Vec::new();
    for i in 1..=7 {
        let run = format!("r{i}");
        events.push(ev("job.started", &run, i * 10, json!({})));
        match i {
            2 | 4 | 6 => events.push(ev("job.failed", &run, i * 10 + 5, json!({}))),
            7 => {}
            _ => events.push(ev("job.completed", &run, i * 10 + 5, json!({}))),
        }
    }
    store.ingest(&events, t(100)).await.expect("ingest");
    let page = |before: Option<i64>| RunFilter {
        order: RunOrder::FailuresFirst,
        limit: Some(2),
        before,
        ..Default::default()
    };
    let ids = |p: &telltale_model::RunPage| -> Vec<String> {
        p.runs.iter().map(|r| r.run_id.clone()).collect()
    };
    let first = store.list_runs(&page(None)).await.unwrap();
    assert_eq!(ids(&first), ["r6", "r4"]);
    assert!(first.next_cursor.unwrap() < 0, "ended among the failures");
    // A new failure arrives while the reader is on page one: page two stays.
    store
        .ingest(
            &[
                ev("job.started", "r8", 90, json!({})),
                ev("job.failed", "r8", 95, json!({})),
            ],
            t(100),
        )
        .await
        .expect("ingest");
    let second = store.list_runs(&page(first.next_cursor)).await.unwrap();
    assert_eq!(
        ids(&second),
        ["r2", "r7"],
        "the last failure, then the newest other"
    );
    assert!(second.next_cursor.unwrap() > 0);
    let third = store.list_runs(&page(second.next_cursor)).await.unwrap();
    assert_eq!(ids(&third), ["r5", "r3"]);
    let fourth = store.list_runs(&page(third.next_cursor)).await.unwrap();
    assert_eq!(ids(&fourth), ["r1"]);
    assert_eq!(fourth.next_cursor, None);
    // With a status filter the order still holds; newest-first is unchanged.
    let chosen = RunFilter {
        status: vec![RunStatus::Completed, RunStatus::Failed],
        limit: Some(10),
        ..page(None)
    };
    let all = store.list_runs(&chosen).await.unwrap();
    assert_eq!(ids(&all), ["r8", "r6", "r4", "r2", "r5", "r3", "r1"]);
    let newest = store
        .list_runs(&RunFilter {
            limit: Some(3),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(ids(&newest), ["r8", "r7", "r6"]);
}

#[tokio::test]
async fn failures_first_across_pages_on_sqlite() {
    let (store, _target, _dir) = support::sqlite().await;
    failures_first_pages(&store).await;
}

#[tokio::test]
async fn failures_first_across_pages_on_postgres() {
    let Some((store, _target)) = support::postgres("failures_first_on_postgres").await else {
        return;
    };
    failures_first_pages(&store).await;
}

#[tokio::test]
async fn derived_state_on_sqlite() {
    let (store, target, _dir) = support::sqlite().await;
    story(&store, &target).await;
}

#[tokio::test]
async fn derived_state_on_postgres() {
    let Some((store, target)) = support::postgres("derived_state_on_postgres").await else {
        return;
    };
    story(&store, &target).await;
}

mod properties {
    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::*;

    const KINDS: [&str; 8] = [
        "job_created",
        "engine_selected",
        "execution_started",
        "progress_update",
        "execution_completed",
        "execution_failed",
        "job.failed",
        "worker.message",
    ];

    fn arb_event() -> impl Strategy<Value = NewEvent> {
        (0..KINDS.len(), 0..4u8, 0..100i64, 0..60u32, any::<bool>()).prop_map(
            |(kind, run, secs, id, with_id)| {
                let mut e = ev(
                    KINDS[kind],
                    &format!("r{run}"),
                    secs,
                    json!({"progress": secs}),
                );
                // A small id space makes retries (duplicates) common.
                e.event_id = with_id.then(|| format!("e{id}"));
                e
            },
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

        #[test]
        fn terminal_runs_never_change_and_no_event_is_lost(
            events in proptest::collection::vec(arb_event(), 1..60),
            chunk in 1usize..12,
        ) {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                let (store, _target, _dir) = support::sqlite().await;
                let mut frozen: HashMap<String, telltale_model::Run> = HashMap::new();
                for group in events.chunks(chunk) {
                    store.ingest(group, t(1000)).await.unwrap();
                    for run in store.list_runs(&RunFilter::default()).await.unwrap().runs {
                        if let Some(before) = frozen.get(&run.run_id) {
                            prop_assert_eq!(before, &run, "terminal run changed");
                        } else if run.status.is_terminal() {
                            frozen.insert(run.run_id.clone(), run);
                        }
                    }
                }
                let distinct_ids: std::collections::HashSet<_> =
                    events.iter().filter_map(|e| e.event_id.clone()).collect();
                let without_id = events.iter().filter(|e| e.event_id.is_none()).count();
                let stored = store
                    .list_events(&EventFilter { limit: Some(1000), ..Default::default() })
                    .await
                    .unwrap()
        .events;
                prop_assert_eq!(stored.len(), distinct_ids.len() + without_id, "every event stored once");
                Ok(())
            })?;
        }
    }
}
