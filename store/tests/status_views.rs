//! The status views the REST API and the dashboard share: jobs with their
//! latest runs, on both backends.

mod support;

use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use telltale_model::{
    CheckState, JobOverview, JobOverviewPage, Level, NewEvent, RunStatus, SourceType,
    sort_failures_first,
};
use telltale_store::Store;

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_764_000_000, 0).unwrap() + Duration::seconds(secs)
}

fn run_events(job: &str, run: &str, start: i64, seconds: i64, failed: bool) -> [NewEvent; 2] {
    let ev = |kind: &str, secs: i64| {
        let mut e = NewEvent::new(SourceType::Worker, Level::Info, kind, kind, at(secs));
        e.job_name = Some(job.into());
        e.run_id = Some(run.into());
        e.metadata = json!({});
        e
    };
    let end = if failed {
        "job.failed"
    } else {
        "job.completed"
    };
    [ev("job.started", start), ev(end, start + seconds)]
}

async fn story(store: &Store) {
    let mut events = Vec::new();
    // 35 runs of `long`, each a second longer; the 5th of every 5 fails.
    for i in 0..35_i64 {
        events.extend(run_events(
            "long",
            &format!("l{i}"),
            i * 100,
            i + 1,
            i % 5 == 4,
        ));
    }
    events.extend(run_events("short", "s0", 5000, 7, false));
    store.ingest(&events, at(9000)).await.expect("ingest");

    let page = store
        .job_overviews(None, None, None)
        .await
        .expect("overviews");
    assert_eq!((page.total, page.next_cursor.as_deref()), (2, None));
    let overviews = page.jobs;
    let long = overviews
        .iter()
        .find(|o| o.status.job.name == "long")
        .unwrap();
    assert_eq!(long.recent_runs.len() as u64, JobOverview::RECENT_RUNS);
    // Oldest first, the latest 30: runs 5..=34, durations 6..=35 s.
    let durations = long.durations();
    assert_eq!(durations.first(), Some(&6.0));
    assert_eq!(durations.last(), Some(&35.0));
    assert_eq!(long.recent_runs[4].status, RunStatus::Failed, "run 9");
    assert_eq!(long.success_rate(), Some(0.8));
    let short = overviews
        .iter()
        .find(|o| o.status.job.name == "short")
        .unwrap();
    assert_eq!(short.durations(), vec![7.0]);

    // Filtering by state (in SQL) partitions the jobs.
    let mut by_state = 0;
    for state in CheckState::ALL {
        by_state += store.job_statuses(Some(state), None).await.unwrap().len();
    }
    assert_eq!(by_state, 2);
    let only = store.job_overviews(None, Some("SHO"), None).await.unwrap();
    assert_eq!(only.jobs.len(), 1, "name filter is case-insensitive");
    let detail = store.job_detail("long").await.unwrap().expect("long");
    assert_eq!(detail.stats.total, 35);
    assert!(store.job_detail("nope").await.unwrap().is_none());

    // Pages of the jobs page: 250 more jobs, failures first, no job twice.
    let more: Vec<NewEvent> = (0..250)
        .flat_map(|i| {
            run_events(
                &format!("bulk-{i:03}"),
                &format!("b{i}"),
                10_000,
                1,
                i % 50 == 0,
            )
        })
        .collect();
    // Names a locale's collation orders otherwise than bytes do (case,
    // hyphens): the pages keep byte order on both backends.
    let more: Vec<NewEvent> = more
        .into_iter()
        .chain(
            ["Zeta", "alpha", "a-c", "ab"]
                .iter()
                .flat_map(|n| run_events(n, &format!("{n}-run"), 10_000, 1, false)),
        )
        .collect();
    store.ingest(&more, at(20_000)).await.expect("ingest more");
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = store
            .job_overviews(None, None, after.as_deref())
            .await
            .unwrap();
        assert_eq!(page.total, 256);
        assert_eq!(
            page.failing, 0,
            "no FAILURE alert opened without the engine"
        );
        assert!(page.jobs.len() <= JobOverviewPage::LIMIT);
        seen.extend(page.jobs.into_iter().map(|o| o.status));
        match page.next_cursor {
            Some(c) => after = Some(c),
            None => break,
        }
    }
    let mut sorted = seen.clone();
    sort_failures_first(&mut sorted);
    assert_eq!(seen.len(), 256);
    assert_eq!(seen, sorted, "pages continue one order without gaps");
}

#[tokio::test]
async fn status_views_on_sqlite() {
    let (store, _target, _dir) = support::sqlite().await;
    story(&store).await;
}

#[tokio::test]
async fn status_views_on_postgres() {
    let Some((store, _target)) = support::postgres("status_views_on_postgres").await else {
        return;
    };
    story(&store).await;
}
