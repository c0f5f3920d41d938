//! Retention on SQLite and PostgreSQL: every table with history loses what
//! is older than the cutoff, and nothing that is still live — a run in
//! progress, an open alert, the newest alert of its kind — goes with it.

mod support;

use chrono::{DateTime, TimeZone, Utc};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;
use telltale_model::{Level, NewEvent, SourceType};
use telltale_store::{DatabaseTarget, Pruned, Store};

fn at(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_764_000_000 + secs, 0)
        .single()
        .expect("valid time")
}

fn us(secs: i64) -> i64 {
    at(secs).timestamp_micros()
}

fn event(event_type: &str, run: &str, secs: i64) -> NewEvent {
    let mut e = NewEvent::new(SourceType::Worker, Level::Info, event_type, "x", at(secs));
    e.job_name = Some("etl".into());
    e.run_id = Some(run.into());
    e.metadata = json!({});
    e
}

async fn ids(target: &DatabaseTarget, sql: &str) -> Vec<String> {
    let url = match target {
        DatabaseTarget::Sqlite { path } => format!("sqlite://{}", path.display()),
        DatabaseTarget::Postgres { url } => url.clone(),
    };
    let db = sea_orm::Database::connect(&url).await.expect("connect");
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("query");
    let out = rows
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).expect("text column"))
        .collect();
    db.close().await.expect("close");
    out
}

async fn story(store: &Store, target: &DatabaseTarget) {
    // Old: a run that ended and one still running; new: a run that ended.
    let old = [
        event("job.started", "old-done", 1),
        event("job.completed", "old-done", 2),
        event("job.started", "old-running", 3),
    ];
    store.ingest(&old, at(5)).await.expect("old events");
    store
        .ingest(&[event("job.completed", "new-done", 2000)], at(2000))
        .await
        .expect("new event");
    let (old_us, new_us) = (us(10), us(2000));
    let sql = format!(
        "INSERT INTO check_transitions (job_name, from_state, to_state, reason, at_us) VALUES \
           ('etl', 'UP', 'DOWN', 'old', {old_us}), ('etl', 'DOWN', 'UP', 'new', {new_us}); \
         INSERT INTO alerts (id, alert_type, status, job_name, dedupe_key, reason, opened_at_us, \
           closed_at_us, notify_count) VALUES \
           (101, 'FAILURE', 'CLOSED', 'etl', 'a', 'older of two', {old_us}, {old_us}, 1), \
           (102, 'FAILURE', 'CLOSED', 'etl', 'b', 'newest of its kind', {old_us}, {old_us}, 1), \
           (103, 'MISSED', 'OPEN', 'etl', 'c', 'open', {old_us}, NULL, 1), \
           (104, 'FAILURE', 'CLOSED', 'other', 'd', 'closed lately', {new_us}, {new_us}, 1), \
           (100, 'FAILURE', 'CLOSED', 'other', 'e', 'old, with a delivery', {old_us}, {old_us}, 1); \
         INSERT INTO alert_deliveries (alert_id, notification, channel, target, status, attempt, \
           permanent, created_at_us, due_at_us) VALUES \
           (100, 'opened', 'webhook', 'http://x', 'delivered', 1, false, {old_us}, {old_us}), \
           (104, 'opened', 'webhook', 'http://x', 'delivered', 1, false, {new_us}, {new_us});"
    );
    support::execute_outside_store(target, &sql)
        .await
        .expect("seed history");
    let audit = format!(
        "INSERT INTO audit_log (at_us, actor, action, before, after) VALUES \
           ({old_us}, 'a@example.com', 'edit', 'null', 'null'), \
           ({new_us}, 'a@example.com', 'edit', 'null', 'null');"
    );
    support::execute_outside_store(target, &audit)
        .await
        .expect("seed audit");
    // A job retired long ago goes; one retired lately stays.
    for (name, retired) in [("gone", 10), ("lately", 2000)] {
        assert!(
            store
                .create_job(&telltale_model::Job::new(name, at(1)))
                .await
                .expect("create")
        );
        assert!(store.retire_job(name, at(retired)).await.expect("retire"));
    }

    let pruned = store.prune(at(1000)).await.expect("prune");
    assert_eq!(
        pruned,
        Pruned {
            events: 3,
            runs: 1,
            rejected_transitions: 0,
            check_transitions: 1,
            alert_deliveries: 1,
            alerts: 2,
            audit_log: 1,
            retired_jobs: 1,
        },
        "{:?}",
        store.backend()
    );
    let mut runs = ids(target, "SELECT run_id FROM runs").await;
    runs.sort();
    assert_eq!(runs, ["new-done", "old-running"], "a run in progress stays");
    let mut alerts = ids(target, "SELECT reason FROM alerts").await;
    alerts.sort();
    assert_eq!(
        alerts,
        ["closed lately", "newest of its kind", "open"],
        "open alerts and the newest of each kind stay"
    );
    assert_eq!(
        ids(target, "SELECT reason FROM check_transitions").await,
        ["new"]
    );
    assert_eq!(
        ids(
            target,
            "SELECT CAST(alert_id AS TEXT) FROM alert_deliveries"
        )
        .await,
        ["104"]
    );
    let mut jobs = ids(target, "SELECT name FROM jobs").await;
    jobs.sort();
    assert_eq!(jobs, ["etl", "lately"], "jobs stay unless retired long ago");
    assert_eq!(ids(target, "SELECT actor FROM audit_log").await.len(), 1);
    // A second pass finds nothing more.
    assert_eq!(
        store.prune(at(1000)).await.expect("again"),
        Pruned::default()
    );
}

#[tokio::test]
async fn retention_prunes_every_history_table_on_sqlite() {
    let (store, target, _dir) = support::sqlite().await;
    story(&store, &target).await;
}

#[tokio::test]
async fn retention_prunes_every_history_table_on_postgres() {
    let Some((store, target)) = support::postgres("retention_on_postgres").await else {
        return;
    };
    story(&store, &target).await;
}
