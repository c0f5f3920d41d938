//! The check engine over a real store, driven by a hand-set clock: states,
//! transitions and alerts as a scenario table, and two engines racing.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};
use telltale_model::{
    AlertFilter, AlertStatus, AlertType, CheckState, Level, NewEvent, SourceType,
};
use telltale_server::engine::{Clock, Engine, ManualClock};
use telltale_store::{DatabaseTarget, Store};

fn t(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_764_000_000, 0).unwrap() + Duration::seconds(secs)
}

fn ev(event_type: &str, run: Option<&str>, secs: i64, metadata: Value) -> NewEvent {
    NewEvent {
        event_id: None,
        source_type: SourceType::Chief,
        level: Level::Info,
        event_type: event_type.into(),
        message: event_type.into(),
        event_at: t(secs),
        job_name: Some("nightly".into()),
        run_id: run.map(str::to_owned),
        worker_id: None,
        script_path: None,
        metadata,
    }
}

async fn open_alerts(store: &Store) -> Vec<AlertType> {
    let mut types: Vec<AlertType> = store
        .list_alerts(&AlertFilter {
            status: Some(AlertStatus::Open),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.alert_type)
        .collect();
    types.sort_by_key(|t| t.as_str());
    types
}

async fn state(store: &Store) -> CheckState {
    store
        .job_with_state("nightly")
        .await
        .unwrap()
        .expect("job nightly")
        .check_state
}

enum Step {
    Ingest(Vec<NewEvent>),
    Tick(i64),
    Expect(CheckState, &'static [AlertType]),
}

async fn scenario(store: Store) {
    use AlertType::*;
    use Step::*;
    let clock = Arc::new(ManualClock::new(t(0)));
    let engine = Engine::new(store.clone(), clock.clone());
    let steps = vec![
        Ingest(vec![
            ev("job.started", Some("r1"), 0, json!({"grace_seconds": 60})),
            ev("job.completed", Some("r1"), 5, json!({})),
            ev(
                "job.next_scheduled",
                None,
                6,
                json!({"next_run_at": t(100).to_rfc3339()}),
            ),
        ]),
        Tick(10),
        Expect(CheckState::Up, &[]),
        Tick(130),
        Expect(CheckState::Late, &[]),
        Tick(200),
        Expect(CheckState::Down, &[Missed]),
        Tick(210),
        Expect(CheckState::Down, &[Missed]), // one MISSED, not two
        Ingest(vec![ev("job.started", Some("r2"), 250, json!({}))]),
        Tick(251),
        Expect(CheckState::Up, &[Recovery]),
        Ingest(vec![ev(
            "job.failed",
            Some("r2"),
            260,
            json!({"failure_reason": "exit 3"}),
        )]),
        Tick(261),
        Expect(CheckState::Up, &[Failure, Recovery]),
        Ingest(vec![
            ev("job.started", Some("r3"), 300, json!({})),
            ev("job.failed", Some("r3"), 301, json!({})),
        ]),
        Tick(302),
        Expect(CheckState::Up, &[Failure]), // still one FAILURE; the heartbeat closed RECOVERY
        Ingest(vec![
            ev("job.started", Some("r4"), 400, json!({})),
            ev("job.completed", Some("r4"), 401, json!({})),
        ]),
        Tick(402),
        Expect(CheckState::Up, &[Recovery]),
        Tick(402 + 900),
        Expect(CheckState::Up, &[]), // RECOVERY expired
    ];
    for step in steps {
        match step {
            Ingest(events) => {
                store.ingest(&events, clock.now()).await.unwrap();
            }
            Tick(secs) => {
                clock.set(t(secs));
                engine.tick(&["nightly".to_owned()], false).await.unwrap();
            }
            Expect(expected_state, expected_alerts) => {
                assert_eq!(state(&store).await, expected_state);
                assert_eq!(open_alerts(&store).await, expected_alerts.to_vec());
            }
        }
    }
    let transitions = store.check_transitions("nightly", 10).await.unwrap();
    let path: Vec<_> = transitions.iter().rev().map(|t| (t.from, t.to)).collect();
    assert_eq!(
        path,
        [
            (CheckState::New, CheckState::Up),
            (CheckState::Up, CheckState::Late),
            (CheckState::Late, CheckState::Down),
            (CheckState::Down, CheckState::Up),
        ]
    );
}

async fn sqlite_store() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::connect(&DatabaseTarget::Sqlite {
        path: dir.path().join("engine.sqlite"),
    })
    .await
    .unwrap();
    (store, dir)
}

#[tokio::test]
async fn alert_lifecycle_follows_the_rules() {
    let (store, _dir) = sqlite_store().await;
    scenario(store).await;
}

#[tokio::test]
async fn racing_engines_open_one_alert() {
    let (store, _dir) = sqlite_store().await;
    store
        .ingest(
            &[
                ev("job.started", Some("r1"), 0, json!({"grace_seconds": 10})),
                ev(
                    "job.next_scheduled",
                    None,
                    1,
                    json!({"next_run_at": t(20).to_rfc3339()}),
                ),
            ],
            t(1),
        )
        .await
        .unwrap();
    let clock = Arc::new(ManualClock::new(t(100)));
    let a = Engine::new(store.clone(), clock.clone());
    let b = Engine::new(store.clone(), clock.clone());
    let names = ["nightly".to_owned()];
    let (ra, rb) = tokio::join!(a.tick(&names, false), b.tick(&names, false));
    let opened = ra.unwrap().opened + rb.unwrap().opened;
    assert_eq!(opened, 1, "exactly one engine opened MISSED");
    assert_eq!(open_alerts(&store).await, vec![AlertType::Missed]);
}

#[tokio::test]
async fn a_busy_worker_that_goes_quiet_raises_worker_offline() {
    let (store, _dir) = sqlite_store().await;
    let mut beat = ev(
        "worker.heartbeat",
        None,
        0,
        json!({"current_run_id": "r7", "interval_seconds": 10}),
    );
    beat.job_name = None;
    beat.worker_id = Some("farm-09".into());
    store.ingest(&[beat.clone()], t(0)).await.unwrap();
    let clock = Arc::new(ManualClock::new(t(20)));
    let engine = Engine::new(store.clone(), clock.clone());
    engine.tick(&[], false).await.unwrap();
    assert!(
        open_alerts(&store).await.is_empty(),
        "20 s: within 2 × 10 s"
    );
    clock.set(t(21));
    assert_eq!(engine.tick(&[], false).await.unwrap().opened, 1);
    assert_eq!(
        engine.tick(&[], false).await.unwrap().opened,
        0,
        "opened once"
    );
    let alerts = store.list_alerts(&AlertFilter::default()).await.unwrap();
    assert_eq!(alerts[0].alert_type, AlertType::WorkerOffline);
    assert_eq!(alerts[0].worker_id.as_deref(), Some("farm-09"));
    assert_eq!(alerts[0].run_id.as_deref(), Some("r7"));

    beat.event_at = t(30);
    store.ingest(&[beat], t(30)).await.unwrap();
    clock.set(t(31));
    assert_eq!(engine.tick(&[], false).await.unwrap().closed, 1);
    assert!(open_alerts(&store).await.is_empty());
}

/// The open MISSED of `nightly`, closed by hand.
async fn close_missed(store: &Store, at: DateTime<Utc>) {
    let missed = store
        .list_alerts(&AlertFilter {
            status: Some(AlertStatus::Open),
            alert_type: Some(AlertType::Missed),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(missed.len(), 1, "one open MISSED: {missed:?}");
    let closed = store.close_alert(missed[0].id, "known", at).await.unwrap();
    assert!(closed.updated);
}

#[tokio::test]
async fn a_hand_closed_missed_reopens_for_the_next_missed_run_even_unseen_up() {
    let (store, _dir) = sqlite_store().await;
    let clock = Arc::new(ManualClock::new(t(0)));
    let engine = Engine::new(store.clone(), clock.clone());
    let names = ["nightly".to_owned()];
    let tick = |secs: i64| {
        clock.set(t(secs));
        let (engine, names) = (engine.clone(), names.clone());
        async move { engine.tick(&names, false).await.unwrap() }
    };
    let next = |at: i64, due: i64| {
        ev(
            "job.next_scheduled",
            None,
            at,
            json!({"next_run_at": t(due).to_rfc3339(), "grace_seconds": 0}),
        )
    };
    store.ingest(&[next(0, 100)], t(0)).await.unwrap();
    tick(200).await;
    assert_eq!(state(&store).await, CheckState::Down);
    close_missed(&store, t(201)).await;
    for secs in [202, 230] {
        tick(secs).await;
        assert!(
            open_alerts(&store).await.is_empty(),
            "{secs}: same missed run, stays closed"
        );
    }

    // A backlog arrives at once: the run came late (UP), the next one,
    // due at 260, never started. The engine never saw it UP.
    store
        .ingest(
            &[
                ev("job.started", Some("r1"), 250, json!({})),
                next(251, 260),
            ],
            t(290),
        )
        .await
        .unwrap();
    tick(300).await;
    assert_eq!(state(&store).await, CheckState::Down);
    assert_eq!(open_alerts(&store).await, [AlertType::Missed], "reopened");
    close_missed(&store, t(301)).await;
    tick(310).await;
    assert!(open_alerts(&store).await.is_empty(), "closed again, for it");

    // Told of a later run, which is missed too: a new incident.
    store.ingest(&[next(320, 400)], t(320)).await.unwrap();
    tick(330).await;
    assert_eq!(state(&store).await, CheckState::Up);
    tick(500).await;
    assert_eq!(state(&store).await, CheckState::Down);
    assert_eq!(open_alerts(&store).await, [AlertType::Missed]);
}

#[tokio::test]
async fn a_hand_closed_missed_of_a_job_that_never_ran_reopens_for_its_next_run() {
    let (store, _dir) = sqlite_store().await;
    let clock = Arc::new(ManualClock::new(t(0)));
    let engine = Engine::new(store.clone(), clock.clone());
    let names = ["nightly".to_owned()];
    let next = |at: i64, due: i64| {
        ev(
            "job.next_scheduled",
            None,
            at,
            json!({"next_run_at": t(due).to_rfc3339(), "grace_seconds": 0}),
        )
    };
    store.ingest(&[next(0, 100)], t(0)).await.unwrap();
    clock.set(t(200));
    engine.tick(&names, false).await.unwrap();
    close_missed(&store, t(201)).await;
    // Told of its next run: not seen yet, so NEW, not UP; that run is
    // missed too.
    store.ingest(&[next(210, 300)], t(210)).await.unwrap();
    clock.set(t(220));
    engine.tick(&names, false).await.unwrap();
    assert_eq!(state(&store).await, CheckState::New);
    clock.set(t(400));
    engine.tick(&names, false).await.unwrap();
    assert_eq!(state(&store).await, CheckState::Down);
    assert_eq!(open_alerts(&store).await, [AlertType::Missed]);
}

#[tokio::test]
async fn a_worker_offline_closed_after_the_worker_came_back_holds_nothing() {
    let (store, _dir) = sqlite_store().await;
    let beat = |secs: i64| {
        let mut beat = ev(
            "worker.heartbeat",
            None,
            secs,
            json!({"current_run_id": "r7", "interval_seconds": 10}),
        );
        beat.job_name = None;
        beat.worker_id = Some("farm-09".into());
        beat
    };
    store.ingest(&[beat(0)], t(0)).await.unwrap();
    let clock = Arc::new(ManualClock::new(t(21)));
    let engine = Engine::new(store.clone(), clock.clone());
    assert_eq!(engine.tick(&[], false).await.unwrap().opened, 1);
    let alert = store.list_alerts(&AlertFilter::default()).await.unwrap()[0].clone();

    // Back at 30; closed by hand at 30, before the engine saw it back.
    store.ingest(&[beat(30)], t(30)).await.unwrap();
    assert!(
        store
            .close_alert(alert.id, "back", t(30))
            .await
            .unwrap()
            .updated
    );
    clock.set(t(31));
    assert_eq!(engine.tick(&[], false).await.unwrap().opened, 0);
    // Gone again: a new absence.
    clock.set(t(51));
    assert_eq!(engine.tick(&[], false).await.unwrap().opened, 1);

    // Closed while it is still away: that absence stays closed.
    let alert = store.list_alerts(&AlertFilter::default()).await.unwrap()[0].clone();
    assert!(
        store
            .close_alert(alert.id, "known", t(52))
            .await
            .unwrap()
            .updated
    );
    clock.set(t(60));
    assert_eq!(engine.tick(&[], false).await.unwrap().opened, 0);
}
