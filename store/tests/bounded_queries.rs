//! No list a caller hands the store, however long, reaches the database as
//! one statement past its bind limit (SQLite 32,766 variables, PostgreSQL
//! 65,535): a burst of 70,000 new job names, runs and workers goes through
//! ingest, every read the engine makes with those names, the alerts it opens
//! and repeats for all of them, and the delivery queue they fill. On
//! both backends: a failure here is the `too many SQL variables` that once
//! wedged the evaluator for good.

mod support;

use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use telltale_model::{
    AlertStatus, AlertType, CheckState, CheckTransition, Evaluation, Level, NewAlert, NewEvent,
    RunFilter, RunStatus, SourceType, WebhookFormat, WebhookSettings,
};
use telltale_store::{JobOutcome, JobUpdate, Store};

/// Names in the burst: past both databases' limits (PostgreSQL's is 65,535)
/// if bound in one list.
const NAMES: usize = 70_000;
/// The most deliveries one claim takes (the store's chunk of bound ids).
const CLAIM_CAP: usize = 1_000;
/// Alerts closed in one evaluation: past the chunk of queued deliveries.
const CLOSED: usize = 2_500;

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_764_000_000, 0).unwrap() + Duration::seconds(secs)
}

fn name(i: usize) -> String {
    format!("burst-{i:05}")
}

/// A run of job `i` starts on worker `i`; each job waits on the one before
/// it and may run an hour.
fn started(i: usize) -> NewEvent {
    let mut e = NewEvent::new(
        SourceType::Worker,
        Level::Info,
        "job.started",
        "started",
        at(0),
    );
    e.job_name = Some(name(i));
    e.run_id = Some(format!("run-{i:05}"));
    e.worker_id = Some(format!("worker-{i:05}"));
    e.metadata = json!({
        "max_runtime_seconds": 3600,
        "depends_on": name(i.saturating_sub(1)),
    });
    e
}

/// Job `i` went from NEW to DOWN, opening its MISSED alert.
fn missed(i: usize, now: DateTime<Utc>) -> JobUpdate {
    JobUpdate {
        job_name: name(i),
        outcome: JobOutcome {
            state: CheckState::Down,
            deadline: None,
            expected: Some(now),
        },
        eval: Evaluation {
            transition: Some(CheckTransition {
                job_name: name(i),
                from: CheckState::New,
                to: CheckState::Down,
                reason: "missed".into(),
                at: now,
            }),
            open: vec![NewAlert {
                alert_type: AlertType::Missed,
                job_name: Some(name(i)),
                worker_id: None,
                run_id: None,
                reason: "no run started".into(),
                suppressed: None,
            }],
            ..Evaluation::default()
        },
    }
}

async fn story(store: &Store) {
    let now = at(60);
    let names: Vec<String> = (0..NAMES).map(name).collect();
    // Every alert opened below queues a webhook POST.
    store
        .create_webhook(
            &WebhookSettings {
                name: "chat".into(),
                url: "https://hooks.example.com/x".into(),
                format: WebhookFormat::Generic,
                options: Default::default(),
                routing: Default::default(),
                enabled_alert_types: AlertType::ALL.to_vec(),
                enabled: true,
                secret: None,
            },
            "whsec-0123456789abcdef",
            now,
        )
        .await
        .expect("webhook");

    // Ingest: one group naming 70,000 jobs, runs and workers.
    let events: Vec<NewEvent> = (0..NAMES).map(started).collect();
    let outcomes = store.ingest(&events, now).await.expect("ingest the burst");
    assert_eq!(outcomes.len(), NAMES);
    // What the engine reads about them, by name.
    let jobs = store
        .jobs_to_evaluate(now, &names, false)
        .await
        .expect("jobs to evaluate");
    assert_eq!(jobs.len(), NAMES);
    let running = store.running_since(&names).await.expect("running since");
    assert_eq!(running.len(), NAMES);
    let dependents = store.dependents_of(&names).await.expect("dependents");
    assert_eq!(
        dependents.len(),
        NAMES,
        "each job waits on one of the burst"
    );
    assert!(
        store
            .down_among(&names)
            .await
            .expect("down among")
            .is_empty()
    );
    assert!(
        store
            .open_alerts_for_jobs(&names)
            .await
            .expect("open alerts")
            .is_empty()
    );
    let recent = store
        .recent_runs_by_job(&names, 20)
        .await
        .expect("recent runs by job");
    assert_eq!(recent.len(), NAMES);

    // The engine's verdict on all of them at once: DOWN, a MISSED each.
    let updates: Vec<JobUpdate> = (0..NAMES).map(|i| missed(i, now)).collect();
    let opened = store
        .apply_evaluations(&updates, now)
        .await
        .expect("apply 70,000 evaluations");
    assert_eq!(opened.len(), NAMES);
    assert_eq!(
        store.down_among(&names).await.expect("down among").len(),
        NAMES
    );
    assert_eq!(
        store
            .open_alerts_for_jobs(&names)
            .await
            .expect("open alerts")
            .len(),
        NAMES
    );
    let ids: Vec<i64> = opened.iter().map(|a| a.id).collect();
    let tallies = store.delivery_tallies(&ids).await.expect("tallies");
    assert_eq!(tallies.len(), NAMES);
    assert!(
        tallies.values().all(|t| t.pending == 1),
        "a webhook POST each"
    );

    // One evaluation repeats every one of them; another closes a few
    // thousand (each close is a statement of its own, one id bound).
    store
        .apply_alert_changes(
            &Evaluation {
                repeat: ids.clone(),
                ..Evaluation::default()
            },
            now,
        )
        .await
        .expect("repeat 70,000 alerts");
    let claimed = store
        .claim_due_deliveries(now, Duration::minutes(5), NAMES as u64)
        .await
        .expect("claim deliveries");
    assert_eq!(claimed.len(), CLAIM_CAP, "one claim takes at most a chunk");
    let some = &ids[..CLOSED];
    store
        .apply_alert_changes(
            &Evaluation {
                close: some.iter().map(|&id| (id, "resolved".to_owned())).collect(),
                ..Evaluation::default()
            },
            now,
        )
        .await
        .expect("close alerts");
    assert_eq!(
        store
            .open_alerts_for_jobs(&names)
            .await
            .expect("open alerts")
            .len(),
        NAMES - CLOSED
    );
    let closed = store
        .list_alerts(&telltale_model::AlertFilter {
            status: Some(AlertStatus::Closed),
            limit: Some(1000),
            ..Default::default()
        })
        .await
        .expect("closed alerts");
    assert_eq!(closed.len(), 1000);

    // A run filter naming one status 70,000 times, as a request can.
    let filter = RunFilter {
        status: vec![RunStatus::Running; NAMES],
        limit: Some(10),
        ..RunFilter::default()
    };
    assert_eq!(store.list_runs(&filter).await.expect("runs").runs.len(), 10);
    assert_eq!(
        store.run_stats(&filter).await.expect("run stats").total,
        NAMES as u64
    );
}

#[tokio::test]
async fn bursts_past_the_bind_limits_on_sqlite() {
    let (store, _target, _dir) = support::sqlite().await;
    story(&store).await;
}

#[tokio::test]
async fn bursts_past_the_bind_limits_on_postgres() {
    let Some((store, _target)) = support::postgres("bursts_past_the_bind_limits_on_postgres").await
    else {
        return;
    };
    story(&store).await;
}
