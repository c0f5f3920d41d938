//! The engine's policy rows over a real SQLite store and a hand-set clock:
//! schedules across DST, overrun, too fast, failure threshold, maintenance,
//! dependencies, repeats, blindness after a restart or while the scheduler
//! is offline, and the `worker_lost` timeline event.
//!
//! Ticks pass no touched jobs unless an ingest just happened, so each row
//! also proves the engine stored the right deadline: a job is looked at
//! again only because its deadline came.

// Fresh SQLite and PostgreSQL stores, shared with the store's own tests.
#[path = "../../store/tests/support/mod.rs"]
#[allow(dead_code)]
mod support;

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};
use telltale_model::{
    Alert, AlertFilter, AlertStatus, AlertType, CheckState, EventFilter, Level, NewEvent,
    NewMaintenanceWindow, SourceType,
};
use telltale_server::engine::{Engine, ManualClock, TickReport};
use telltale_store::Store;

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn t(secs: i64) -> DateTime<Utc> {
    utc("2026-06-01T00:00:00Z") + Duration::seconds(secs)
}

fn ev(job: &str, event_type: &str, run: Option<&str>, at: DateTime<Utc>, meta: Value) -> NewEvent {
    NewEvent {
        event_id: None,
        source_type: SourceType::Chief,
        level: Level::Info,
        event_type: event_type.into(),
        message: event_type.into(),
        event_at: at,
        job_name: Some(job.into()),
        run_id: run.map(str::to_owned),
        worker_id: None,
        script_path: None,
        metadata: meta,
    }
}

struct Rig {
    store: Store,
    clock: Arc<ManualClock>,
    engine: Engine,
    _dir: Option<tempfile::TempDir>,
}

/// Runs a scenario on SQLite and on PostgreSQL (skipped, saying so, where
/// no PostgreSQL answers outside CI).
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                let (store, _, dir) = crate::support::sqlite().await;
                super::$name(super::Rig::new(store, Some(dir))).await;
            }

            #[tokio::test]
            async fn postgres() {
                if let Some((store, _)) = crate::support::postgres(stringify!($name)).await {
                    super::$name(super::Rig::new(store, None)).await;
                }
            }
        }
    )*};
}

on_both_backends!(
    a_daily_berlin_cron_job_is_checked_by_local_time_across_dst,
    a_daily_new_york_cron_job_runs_once_on_the_fall_back_night,
    a_run_past_max_runtime_is_an_overrun_until_it_finishes,
    a_too_fast_run_and_the_failure_threshold,
    maintenance_suppresses_alerts_and_releases_them_when_it_ends,
    a_job_waiting_on_a_down_job_is_not_called_missed_for_it,
    open_alerts_repeat_at_their_interval,
    a_restart_after_downtime_holds_missed_for_a_fresh_grace,
    missed_is_held_while_the_scheduler_is_offline,
    a_worker_lost_mid_run_leaves_a_mark_on_the_runs_timeline,
);

impl Rig {
    fn new(store: Store, dir: Option<tempfile::TempDir>) -> Rig {
        let clock = Arc::new(ManualClock::new(t(0)));
        let engine = Engine::new(store.clone(), clock.clone());
        Rig {
            store,
            clock,
            engine,
            _dir: dir,
        }
    }

    /// Ingests at the events' own time and lets the engine see the jobs.
    async fn ingest(&self, events: &[NewEvent]) -> TickReport {
        let at = events.iter().map(|e| e.event_at).max().unwrap();
        self.clock.set(at);
        self.store.ingest(events, at).await.unwrap();
        let jobs: Vec<String> = events.iter().filter_map(|e| e.job_name.clone()).collect();
        self.engine.tick(&jobs, false).await.unwrap()
    }

    /// A timer tick: only jobs whose stored deadline passed are evaluated.
    async fn tick(&self, at: DateTime<Utc>) -> TickReport {
        self.clock.set(at);
        self.engine.tick(&[], false).await.unwrap()
    }

    async fn state(&self, job: &str) -> (CheckState, Option<DateTime<Utc>>) {
        let s = self.store.job_with_state(job).await.unwrap().unwrap();
        (s.check_state, s.expected_at)
    }

    async fn alerts(&self, job: &str) -> Vec<Alert> {
        self.store
            .list_alerts(&AlertFilter {
                job: Some(job.into()),
                status: Some(AlertStatus::Open),
                ..Default::default()
            })
            .await
            .unwrap()
    }

    async fn last_reason(&self, job: &str) -> String {
        self.store.check_transitions(job, 1).await.unwrap()[0]
            .reason
            .clone()
    }
}

fn types(alerts: &[Alert]) -> Vec<AlertType> {
    let mut v: Vec<AlertType> = alerts.iter().map(|a| a.alert_type).collect();
    v.sort_by_key(|t| t.as_str());
    v
}

async fn a_daily_berlin_cron_job_is_checked_by_local_time_across_dst(rig: Rig) {
    // 02:30 Berlin daily; on 2026-03-29 02:30 does not exist (clocks jump
    // from 02:00 to 03:00), so the run is due at 03:00 CEST = 01:00 UTC.
    rig.clock.set(utc("2026-03-28T01:30:00Z"));
    let policy =
        json!({"schedule": "30 2 * * *", "timezone": "Europe/Berlin", "grace_seconds": 600});
    rig.ingest(&[
        ev(
            "nightly",
            "job.started",
            Some("r1"),
            utc("2026-03-28T01:30:00Z"),
            policy,
        ),
        ev(
            "nightly",
            "job.completed",
            Some("r1"),
            utc("2026-03-28T01:40:00Z"),
            json!({}),
        ),
    ])
    .await;
    assert_eq!(
        rig.state("nightly").await,
        (CheckState::Up, Some(utc("2026-03-29T01:00:00Z")))
    );
    assert_eq!(
        rig.tick(utc("2026-03-29T00:59:59Z")).await.evaluated,
        0,
        "not due"
    );
    rig.tick(utc("2026-03-29T01:00:01Z")).await;
    assert_eq!(rig.state("nightly").await.0, CheckState::Late);
    rig.tick(utc("2026-03-29T01:10:01Z")).await;
    assert_eq!(rig.state("nightly").await.0, CheckState::Down);
    assert_eq!(types(&rig.alerts("nightly").await), [AlertType::Missed]);
    // The late run comes; the next is 02:30 CEST = 00:30 UTC the day after.
    rig.ingest(&[ev(
        "nightly",
        "job.started",
        Some("r2"),
        utc("2026-03-29T01:20:00Z"),
        json!({}),
    )])
    .await;
    assert_eq!(
        rig.state("nightly").await,
        (CheckState::Up, Some(utc("2026-03-30T00:30:00Z")))
    );
}

async fn a_daily_new_york_cron_job_runs_once_on_the_fall_back_night(rig: Rig) {
    // 01:30 New York daily; on 2026-11-01 01:30 happens twice; one run is
    // enough, and the next is due at 01:30 EST the day after.
    rig.clock.set(utc("2026-11-01T05:30:00Z"));
    let policy = json!({"schedule": "30 1 * * *", "timezone": "America/New_York"});
    rig.ingest(&[ev(
        "etl",
        "job.started",
        Some("r1"),
        utc("2026-11-01T05:30:00Z"),
        policy,
    )])
    .await;
    assert_eq!(
        rig.state("etl").await,
        (CheckState::Up, Some(utc("2026-11-02T06:30:00Z")))
    );
    // At the second 01:30 (06:30 UTC) nothing is due, so nothing is late.
    assert_eq!(rig.tick(utc("2026-11-01T06:40:00Z")).await.evaluated, 0);
    assert_eq!(rig.state("etl").await.0, CheckState::Up);
}

async fn a_run_past_max_runtime_is_an_overrun_until_it_finishes(rig: Rig) {
    rig.clock.set(t(0));
    rig.ingest(&[ev(
        "render",
        "job.started",
        Some("r1"),
        t(0),
        json!({"max_runtime_seconds": 60}),
    )])
    .await;
    rig.tick(t(60)).await;
    assert_eq!(rig.state("render").await.0, CheckState::Up);
    rig.tick(t(61)).await;
    assert_eq!(rig.state("render").await.0, CheckState::Down);
    assert!(
        rig.last_reason("render")
            .await
            .starts_with("overrun: run r1")
    );
    let alerts = rig.alerts("render").await;
    assert_eq!(types(&alerts), [AlertType::Missed]);
    rig.ingest(&[ev("render", "job.completed", Some("r1"), t(90), json!({}))])
        .await;
    assert_eq!(rig.state("render").await.0, CheckState::Up);
    assert_eq!(types(&rig.alerts("render").await), [AlertType::Recovery]);
}

async fn a_too_fast_run_and_the_failure_threshold(rig: Rig) {
    rig.clock.set(t(0));
    let policy = json!({"min_runtime_seconds": 30, "failure_threshold": 2});
    rig.ingest(&[
        ev("backup", "job.started", Some("r1"), t(0), policy),
        ev("backup", "job.completed", Some("r1"), t(2), json!({})),
    ])
    .await;
    assert!(
        rig.alerts("backup").await.is_empty(),
        "one failure < threshold 2"
    );
    rig.ingest(&[
        ev("backup", "job.started", Some("r2"), t(100), json!({})),
        ev(
            "backup",
            "job.failed",
            Some("r2"),
            t(101),
            json!({"failure_reason": "rsync: code 23"}),
        ),
    ])
    .await;
    let alerts = rig.alerts("backup").await;
    assert_eq!(types(&alerts), [AlertType::Failure]);
    assert_eq!(
        alerts[0].reason,
        "2 consecutive failed run(s); last: r2: rsync: code 23"
    );
    // The too-fast run's own reason is on the job for the page to show.
    let job = rig.store.job_with_state("backup").await.unwrap().unwrap();
    assert_eq!(
        job.job.last_failure_reason.as_deref(),
        Some("rsync: code 23")
    );
}

async fn maintenance_suppresses_alerts_and_releases_them_when_it_ends(rig: Rig) {
    rig.clock.set(t(0));
    let window = rig
        .store
        .add_maintenance_window(
            &NewMaintenanceWindow {
                job_name: Some("db-dump".into()),
                starts_at: Some(t(0)),
                ends_at: Some(t(3600)),
                reason: "database upgrade".into(),
                ..Default::default()
            },
            t(0),
        )
        .await
        .unwrap();
    rig.ingest(&[
        ev("db-dump", "job.started", Some("r1"), t(10), json!({})),
        ev(
            "db-dump",
            "job.failed",
            Some("r1"),
            t(20),
            json!({"failure_reason": "connection refused"}),
        ),
    ])
    .await;
    let alerts = rig.alerts("db-dump").await;
    assert_eq!(types(&alerts), [AlertType::Failure]);
    let expected = format!(
        "maintenance: window {} (job db-dump): database upgrade",
        window.id
    );
    assert_eq!(alerts[0].suppressed.as_deref(), Some(expected.as_str()));
    assert_eq!((alerts[0].notify_count, alerts[0].notified_at), (0, None));
    // Still failing when the window ends: people are told then.
    let report = rig.tick(t(3600)).await;
    assert_eq!(report.renotified, 1);
    let alerts = rig.alerts("db-dump").await;
    assert_eq!(alerts[0].suppressed, None);
    assert_eq!(
        (alerts[0].notify_count, alerts[0].notified_at),
        (1, Some(t(3600)))
    );
    // Another job was never covered.
    rig.ingest(&[ev("other", "job.failed", Some("o1"), t(3700), json!({}))])
        .await;
    assert_eq!(rig.alerts("other").await[0].suppressed, None);
}

async fn a_job_waiting_on_a_down_job_is_not_called_missed_for_it(rig: Rig) {
    rig.clock.set(t(0));
    let next = |at: i64| json!({"next_run_at": t(at).to_rfc3339(), "grace_seconds": 60});
    rig.ingest(&[
        ev("extract", "job.started", Some("e1"), t(0), json!({})),
        ev("extract", "job.next_scheduled", None, t(1), next(100)),
        ev(
            "load",
            "job.started",
            Some("l1"),
            t(0),
            json!({"depends_on": "extract"}),
        ),
        ev("load", "job.next_scheduled", None, t(1), next(200)),
    ])
    .await;
    rig.tick(t(161)).await;
    assert_eq!(rig.state("extract").await.0, CheckState::Down);
    rig.tick(t(261)).await;
    assert_eq!(rig.state("load").await.0, CheckState::Down);
    let load = rig.alerts("load").await;
    assert_eq!(
        load[0].suppressed.as_deref(),
        Some("depends_on: job extract is DOWN")
    );
    // extract recovers, load still has not run: now its MISSED is news.
    let report = rig
        .ingest(&[ev("extract", "job.started", Some("e2"), t(300), json!({}))])
        .await;
    assert_eq!(report.renotified, 1);
    assert_eq!(rig.alerts("load").await[0].suppressed, None);
}

async fn open_alerts_repeat_at_their_interval(rig: Rig) {
    rig.clock.set(t(0));
    rig.ingest(&[ev(
        "sync",
        "job.failed",
        Some("s1"),
        t(0),
        json!({"repeat_interval_seconds": 600}),
    )])
    .await;
    assert_eq!(rig.tick(t(599)).await.renotified, 0);
    assert_eq!(rig.tick(t(600)).await.renotified, 1);
    assert_eq!(rig.tick(t(1200)).await.renotified, 1);
    let a = &rig.alerts("sync").await[0];
    assert_eq!((a.notify_count, a.notified_at), (3, Some(t(1200))));
}

async fn a_restart_after_downtime_holds_missed_for_a_fresh_grace(rig: Rig) {
    rig.clock.set(t(0));
    rig.ingest(&[ev(
        "hourly",
        "job.started",
        Some("h1"),
        t(0),
        json!({"schedule": "every 1h", "grace_seconds": 300}),
    )])
    .await;
    // Telltale stops at t(10) and comes back two hours later: the run due at
    // 1h may well have happened while nobody was listening.
    rig.tick(t(10)).await;
    let engine = Engine::new(rig.store.clone(), rig.clock.clone());
    rig.clock.set(t(7200));
    engine.tick(&[], true).await.unwrap();
    assert_eq!(rig.state("hourly").await.0, CheckState::Late);
    assert!(
        rig.alerts("hourly").await.is_empty(),
        "no MISSED for the blind hour"
    );
    rig.clock.set(t(7200 + 301));
    engine.tick(&[], false).await.unwrap();
    assert_eq!(rig.state("hourly").await.0, CheckState::Down);
    assert!(
        rig.last_reason("hourly")
            .await
            .contains("grace counted from")
    );
    assert_eq!(types(&rig.alerts("hourly").await), [AlertType::Missed]);
}

async fn missed_is_held_while_the_scheduler_is_offline(rig: Rig) {
    rig.clock.set(t(0));
    let beat = |at: i64| {
        let mut e = ev(
            "scheduler",
            "chief.heartbeat",
            None,
            t(at),
            json!({"ping_interval_seconds": 10}),
        );
        e.job_name = None;
        e
    };
    rig.store.ingest(&[beat(0)], t(0)).await.unwrap();
    rig.ingest(&[
        ev(
            "report",
            "job.started",
            Some("p1"),
            t(0),
            json!({"grace_seconds": 60}),
        ),
        ev(
            "report",
            "job.next_scheduled",
            None,
            t(1),
            json!({"next_run_at": t(100).to_rfc3339()}),
        ),
    ])
    .await;
    // Scheduler silent from t(0): offline after 20 s. The job is due at 100.
    rig.tick(t(500)).await;
    let (state, _) = rig.state("report").await;
    assert_eq!(state, CheckState::Late);
    assert!(rig.last_reason("report").await.starts_with("monitor_blind"));
    assert!(rig.alerts("report").await.is_empty());
    // The scheduler is back at 600; the job gets a full grace from then.
    rig.store.ingest(&[beat(600)], t(600)).await.unwrap();
    rig.tick(t(600)).await;
    assert_eq!(rig.state("report").await.0, CheckState::Late);
    rig.tick(t(661)).await;
    assert_eq!(rig.state("report").await.0, CheckState::Down);
    assert_eq!(types(&rig.alerts("report").await), [AlertType::Missed]);
}

async fn a_worker_lost_mid_run_leaves_a_mark_on_the_runs_timeline(rig: Rig) {
    rig.clock.set(t(0));
    let mut started = ev("render", "job.started", Some("r5"), t(0), json!({}));
    started.worker_id = Some("farm-03".into());
    let mut beat = ev(
        "render",
        "worker.heartbeat",
        None,
        t(0),
        json!({"current_run_id": "r5", "interval_seconds": 10}),
    );
    beat.job_name = None;
    beat.worker_id = Some("farm-03".into());
    rig.ingest(&[started, beat]).await;
    rig.tick(t(21)).await;
    let timeline = rig
        .store
        .list_events(&EventFilter {
            run: Some("r5".into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .events;
    let lost = timeline
        .iter()
        .find(|e| e.event_type == "worker_lost")
        .expect("worker_lost event");
    assert_eq!(lost.level, Level::Warn);
    assert!(
        lost.message.starts_with("worker farm-03 went offline"),
        "{}",
        lost.message
    );
    // The run is not declared failed: the worker may come back.
    let run = rig.store.get_run("r5").await.unwrap().unwrap();
    assert_eq!(run.status, telltale_model::RunStatus::Running);
    // A second tick does not write it twice.
    rig.tick(t(40)).await;
    let again = rig
        .store
        .list_events(&EventFilter {
            run: Some("r5".into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .events;
    assert_eq!(
        again
            .iter()
            .filter(|e| e.event_type == "worker_lost")
            .count(),
        1
    );
}
