//! Rows no version of Telltale writes, but a SQL shell or a damaged restore
//! can leave: integers at the ends of their range where times, spans and
//! ids are expected. Reading them gives a number or an error, never a panic
//! in the page, the handler or the loop that reads them. On both backends.

mod support;

use chrono::{DateTime, Duration, Utc};
use telltale_model::{KeyScope, Level, NewEvent, RunFilter, SourceType};
use telltale_store::{DatabaseTarget, Store, StoreError};

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_764_000_000, 0).unwrap()
}

fn started(job: &str, run: &str) -> NewEvent {
    let mut e = NewEvent::new(
        SourceType::Worker,
        Level::Info,
        "job.started",
        "started",
        now() - Duration::minutes(5),
    );
    e.job_name = Some(job.into());
    e.run_id = Some(run.into());
    e
}

async fn sql(target: &DatabaseTarget, statement: &str) {
    support::execute_outside_store(target, statement)
        .await
        .unwrap_or_else(|e| panic!("{statement}: {e}"));
}

async fn story(store: &Store, target: &DatabaseTarget) {
    // A running run that started at the beginning of the integers and ends
    // at their end: its span does not fit in an i64.
    store
        .ingest(&[started("far", "r-far")], now())
        .await
        .expect("ingest");
    sql(
        target,
        &format!(
            "UPDATE runs SET start_time_us = {}, end_time_us = {} WHERE run_id = 'r-far'",
            i64::MIN + 1,
            i64::MAX - 1
        ),
    )
    .await;
    let stats = store
        .run_stats(&RunFilter::default())
        .await
        .expect("run stats");
    assert_eq!(stats.total, 1);
    let p50 = stats.duration_p50_seconds.expect("a duration");
    assert!(p50 > 1.8e13, "the whole span, in seconds: {p50}");
    let page = store
        .job_overviews(None, None, None)
        .await
        .expect("job overviews");
    let spans = &page.jobs[0].recent_runs;
    assert!(spans[0].duration_seconds.is_some_and(|d| d > 1.8e13));

    // Events numbered at both ends of the ids: the throughput's search
    // between them spans more than an i64.
    for (id, received) in [
        (i64::MIN + 2, now() - Duration::minutes(30)),
        (i64::MAX - 2, now() - Duration::seconds(30)),
    ] {
        sql(
            target,
            &format!(
                "INSERT INTO events (id, source_type, level, event_type, message, event_at_us, \
                 received_at_us, metadata) VALUES ({id}, 'worker', 'info', 'x', 'x', {at}, {at}, '{{}}')",
                at = received.timestamp_micros()
            ),
        )
        .await;
    }
    let t = store.throughput(now()).await.expect("throughput");
    assert_eq!(t.counts.len(), 60);

    // An API key last used at the beginning of the integers.
    store
        .create_api_key("k", KeyScope::Read, "digest-of-k", "tt_k", now())
        .await
        .expect("key");
    sql(
        target,
        &format!(
            "UPDATE api_keys SET last_used_at_us = {} WHERE key_hash = 'digest-of-k'",
            i64::MIN
        ),
    )
    .await;
    // Its stamp is out of range: an error names the row, and the use
    // that stamped it over mends it.
    let first = store.use_api_key("digest-of-k", now()).await;
    assert!(
        matches!(
            first,
            Err(StoreError::Corrupt {
                table: "api_keys",
                ..
            })
        ),
        "{first:?}"
    );
    let later = now() + Duration::minutes(5);
    let key = store
        .use_api_key("digest-of-k", later)
        .await
        .expect("use the key again")
        .expect("a live key");
    assert_eq!(key.last_used_at, Some(later));
}

#[tokio::test]
async fn hostile_rows_on_sqlite() {
    let (store, target, _dir) = support::sqlite().await;
    story(&store, &target).await;
}

#[tokio::test]
async fn hostile_rows_on_postgres() {
    let Some((store, target)) = support::postgres("hostile_rows_on_postgres").await else {
        return;
    };
    story(&store, &target).await;
}
