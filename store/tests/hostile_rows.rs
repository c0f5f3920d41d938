//! Rows no version of Telltale writes, but a SQL shell or a damaged restore
//! can leave: integers at the ends of their range where times, spans and
//! ids are expected. Reading them gives a number or an error, never a panic
//! in the page, the handler or the loop that reads them. On both backends.

mod support;

use chrono::{DateTime, Duration, Utc};
use telltale_model::{
    AlertType, CheckState, EmailSettings, Evaluation, KeyScope, Level, NewAlert, NewEvent,
    NewMaintenanceWindow, RunFilter, SourceType, WebhookFormat, WebhookSettings,
};
use telltale_store::{DatabaseTarget, JobOutcome, JobUpdate, Store, StoreError};

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

fn event(event_type: &str, job: Option<&str>, worker: Option<&str>) -> NewEvent {
    let mut e = NewEvent::new(
        SourceType::Worker,
        Level::Info,
        event_type,
        event_type,
        now() - Duration::minutes(5),
    );
    e.job_name = job.map(str::to_owned);
    e.worker_id = worker.map(str::to_owned);
    e
}

fn opens(job: &str, alert_type: AlertType) -> JobUpdate {
    JobUpdate {
        job_name: job.into(),
        outcome: JobOutcome {
            state: CheckState::Down,
            deadline: None,
            expected: None,
        },
        eval: Evaluation {
            open: vec![NewAlert {
                alert_type,
                job_name: Some(job.into()),
                worker_id: None,
                run_id: None,
                reason: "test".into(),
                suppressed: None,
            }],
            ..Evaluation::default()
        },
    }
}

/// One damaged row of each kind the engine reads on every tick. Each
/// costs its own job, alert, worker, window or channel; the rest is read,
/// and an alert for a sound job still opens and is queued for delivery.
async fn damaged_rows_cost_only_themselves(store: &Store, target: &DatabaseTarget) {
    let hook = |name: &str| WebhookSettings {
        name: name.into(),
        url: format!("https://hooks.example.com/{name}"),
        format: WebhookFormat::Generic,
        options: Default::default(),
        routing: Default::default(),
        enabled_alert_types: AlertType::ALL.to_vec(),
        enabled: true,
        secret: None,
    };
    for name in ["sound", "damaged"] {
        store
            .create_webhook(&hook(name), "whsec-0123456789abcdef", now())
            .await
            .expect("webhook");
    }
    store
        .put_email_settings(
            &EmailSettings {
                recipients: vec!["oncall@example.com".into()],
                enabled_alert_types: AlertType::ALL.to_vec(),
            },
            now(),
        )
        .await
        .expect("email settings");
    store
        .add_maintenance_window(
            &NewMaintenanceWindow {
                job_name: Some("damaged".into()),
                starts_at: Some(now()),
                ends_at: Some(now() + Duration::hours(1)),
                reason: "upgrade".into(),
                ..NewMaintenanceWindow::default()
            },
            now(),
        )
        .await
        .expect("window");
    let events = [
        event("job.started", Some("damaged"), None),
        event("job.started", Some("sound"), None),
        event("worker.heartbeat", None, Some("w-damaged")),
        event("worker.heartbeat", None, Some("w-sound")),
        event("chief.heartbeat", None, None),
    ];
    store.ingest(&events, now()).await.expect("ingest");
    store
        .apply_evaluations(&[opens("damaged", AlertType::Missed)], now())
        .await
        .expect("an alert to damage");
    let far = i64::MAX;
    sql(
        target,
        &format!(
            "UPDATE jobs SET first_seen_at_us = {far} WHERE name = 'damaged';
             UPDATE alerts SET opened_at_us = {far} WHERE job_name = 'damaged';
             UPDATE workers SET first_seen_at_us = {far} WHERE worker_id = 'w-damaged';
             UPDATE maintenance_windows SET created_at_us = {far};
             UPDATE settings SET value = 'not json' WHERE key = 'alert_email_settings';
             UPDATE webhooks SET alert_types = 'NO_SUCH_TYPE' WHERE name = 'damaged';
             INSERT INTO events (source_type, level, event_type, message, event_at_us, \
               received_at_us, metadata) VALUES ('chief', 'loud', 'chief.heartbeat', 'x', {at}, {at}, '{{}}');",
            at = now().timestamp_micros()
        ),
    )
    .await;

    let jobs = store
        .jobs_to_evaluate(now(), &[], true)
        .await
        .expect("jobs to evaluate");
    let names: Vec<&str> = jobs.iter().map(|(j, ..)| j.name.as_str()).collect();
    assert_eq!(names, ["sound"]);
    let both = ["damaged".to_owned(), "sound".to_owned()];
    let open = store
        .open_alerts_for_jobs(&both)
        .await
        .expect("open alerts");
    assert!(open.is_empty(), "{open:?}");
    assert!(
        store
            .latest_alert_of_type(AlertType::Missed)
            .await
            .expect("latest MISSED")
            .is_none()
    );
    let workers = store.list_workers().await.expect("workers");
    assert_eq!(workers.len(), 1);
    assert_eq!(workers[0].worker_id, "w-sound");
    assert!(
        store
            .maintenance_windows()
            .await
            .expect("windows")
            .is_empty()
    );
    assert!(
        store
            .latest_scheduler_heartbeat()
            .await
            .expect("scheduler heartbeat")
            .is_none()
    );
    assert!(
        store
            .open_worker_alerts()
            .await
            .expect("worker alerts")
            .is_empty()
    );

    let opened = store
        .apply_evaluations(&[opens("sound", AlertType::Failure)], now())
        .await
        .expect("an alert for the sound job");
    assert_eq!(opened.len(), 1);
    let tallies = store
        .delivery_tallies(&[opened[0].id])
        .await
        .expect("tallies");
    assert_eq!(
        tallies[&opened[0].id].pending, 1,
        "queued for the sound webhook; no email while its settings are unreadable"
    );
    // A damaged delivery due long ago, first in the queue.
    sql(
        target,
        &format!(
            "INSERT INTO alert_deliveries (alert_id, notification, channel, target, status, \
             attempt, permanent, created_at_us, due_at_us) \
             VALUES ({}, 'OPENED', 'pigeon', 'loft', 'PENDING', 1, FALSE, 0, 0)",
            opened[0].id
        ),
    )
    .await;
    let claimed = store
        .claim_due_deliveries(now(), Duration::minutes(5), 10)
        .await
        .expect("claim");
    // The three queued with the damaged job's alert before its row was
    // damaged, and the sound job's: every readable one.
    assert_eq!(claimed.len(), 4, "{claimed:?}");
    assert!(claimed.iter().any(|d| d.alert_id == opened[0].id));

    // A damaged attempt among the finished ones the summary reads.
    sql(
        target,
        &format!(
            "INSERT INTO alert_deliveries (alert_id, notification, channel, target, status, \
             attempt, permanent, created_at_us, due_at_us, finished_at_us) \
             VALUES ({}, 'OPENED', 'pigeon', 'loft', 'FAILED', 1, TRUE, 0, 0, {})",
            opened[0].id,
            now().timestamp_micros()
        ),
    )
    .await;
    store.status_summary(now()).await.expect("status summary");

    // An event naming the damaged job and worker is stored, and starts
    // them afresh: their rows read again.
    let again = [event("job.failed", Some("damaged"), Some("w-damaged"))];
    store.ingest(&again, now()).await.expect("ingest");
    let job = store.get_job("damaged").await.expect("mended job");
    assert_eq!(job.map(|j| j.failures_total), Some(1));
    assert_eq!(store.list_workers().await.expect("workers").len(), 2);
}

#[tokio::test]
async fn damaged_rows_cost_only_themselves_on_sqlite() {
    let (store, target, _dir) = support::sqlite().await;
    damaged_rows_cost_only_themselves(&store, &target).await;
}

#[tokio::test]
async fn damaged_rows_cost_only_themselves_on_postgres() {
    let Some((store, target)) =
        support::postgres("damaged_rows_cost_only_themselves_on_postgres").await
    else {
        return;
    };
    damaged_rows_cost_only_themselves(&store, &target).await;
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
