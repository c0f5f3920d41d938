//! Several `telltale` processes on one PostgreSQL (issue #10): one leader,
//! live updates across instances, failover, and ingest that loses nothing
//! while an instance restarts. Real processes, a real database; skipped
//! with a message where no PostgreSQL answers (never under CI=true).

mod harness;
#[path = "../receivers/mod.rs"]
#[allow(dead_code)]
mod receivers;
#[path = "../common/sse.rs"]
mod sse;
#[path = "../../../store/tests/support/mod.rs"]
#[allow(dead_code)]
mod support;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::{Value, json};

use harness::{Instance, RETRY, fresh_database, query_i64, sql, terminate, the_leader};
use receivers::http::HookReceiver;
use sse::read_until;

fn event(event_type: &str, job: &str, message: &str) -> Value {
    json!({
        "sourceType": "worker",
        "level": "info",
        "eventType": event_type,
        "message": message,
        "jobName": job,
        "runId": format!("{job}-run"),
        "workerId": "farm-01",
    })
}

#[tokio::test]
async fn two_instances_elect_one_leader_and_share_live_updates() {
    let Some(url) = fresh_database("two_instances_elect_one_leader_and_share_live_updates").await
    else {
        return;
    };
    // Started together on an empty database: they migrate one at a time.
    let a = Instance::start("a", &url, &[]);
    let b = Instance::start("b", &url, &[]);
    a.wait_healthy().await;
    b.wait_healthy().await;
    the_leader(&[&a, &b], RETRY * 3).await;
    // And it stays one.
    for _ in 0..10 {
        let both = (a.leads().await, b.leads().await);
        assert!(
            matches!(both, (Some(true), Some(false)) | (Some(false), Some(true))),
            "exactly one leads: {both:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let mut on_b = b.stream().await;
    let posted = Instant::now();
    let (status, answer) = a
        .post(
            "/v1/events",
            &event("job.started", "cross-etl", "posted to a <for b>"),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    let seen = read_until(&mut on_b, "event: events", Duration::from_secs(5)).await;
    let latency = posted.elapsed();
    if !seen.contains("event: runs") {
        read_until(&mut on_b, "event: runs", Duration::from_secs(2)).await;
    }
    assert!(
        latency < Duration::from_secs(2),
        "b heard of a's event after {latency:?}"
    );
    // b reads the rows itself: its API and its page show the event.
    let events = b.get("/v1/events?job=cross-etl").await;
    assert_eq!(events["events"][0]["message"], "posted to a <for b>");
    let html = b.page("/events").await;
    assert!(html.contains("posted to a &lt;for b&gt;"), "{html}");
    let run = b.get("/v1/runs/cross-etl-run").await;
    assert_eq!(run["run"]["status"], "running", "{run}");
}

#[tokio::test]
async fn when_the_leader_is_killed_another_takes_over_and_the_missed_alert_is_sent_once() {
    let Some(url) = fresh_database("when_the_leader_is_killed").await else {
        return;
    };
    let a = Instance::start("a", &url, &[]);
    a.wait_healthy().await;
    let b = Instance::start("b", &url, &[]);
    b.wait_healthy().await;
    let mut instances = [a, b];
    let leader = the_leader(&[&instances[0], &instances[1]], RETRY * 3).await;
    let other = 1 - leader;

    let hook = HookReceiver::start("whsec-failover-0123456789").await;
    let (status, created) = instances[other]
        .post(
            "/v1/settings/alerts/webhooks",
            &json!({"name": "pager", "url": hook.url(), "enabledAlertTypes": ["MISSED"],
                    "secret": "whsec-failover-0123456789"}),
        )
        .await;
    assert_eq!(status, 201, "{created}");

    // A job that ran and expects its next start in 3 s, with 1 s of grace:
    // DOWN and MISSED about 4 s from now.
    let due = Utc::now() + chrono::Duration::seconds(3);
    let mut done = event("job.completed", "nightly-dump", "done");
    done["metadata"] = json!({"grace_seconds": 1});
    for e in [event("job.started", "nightly-dump", "started"), done, {
        let mut next = event("job.next_scheduled", "nightly-dump", "next");
        next["metadata"] = json!({"next_run_at": due.to_rfc3339()});
        next
    }] {
        let (status, answer) = instances[other].post("/v1/events", &e).await;
        assert_eq!(status, 200, "{answer}");
    }
    // Kill the leader a moment before the deadline passes.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let killed = Instant::now();
    instances[leader].kill();

    // The survivor leads within two lock-retry intervals.
    let deadline = killed + RETRY * 2 + Duration::from_millis(500);
    loop {
        if instances[other].leads().await == Some(true) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the survivor does not lead {:?} after the kill",
            killed.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let took_over = killed.elapsed();

    // The MISSED alert opens once and reaches the webhook once.
    let wait = Instant::now() + Duration::from_secs(20);
    while hook.accepted().is_empty() {
        assert!(Instant::now() < wait, "no webhook delivery within 20 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Room for a second delivery to arrive if one were going to.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let alerts = instances[other].get("/v1/alerts?type=MISSED").await;
    assert_eq!(
        alerts["alerts"].as_array().map(Vec::len),
        Some(1),
        "{alerts}"
    );
    let accepted = hook.accepted();
    assert_eq!(accepted.len(), 1, "exactly one delivery");
    assert!(accepted[0].signature_ok);
    assert_eq!(accepted[0].body["alert"]["alertType"], "MISSED");
    assert_eq!(accepted[0].body["alert"]["jobName"], "nightly-dump");
    eprintln!("failover: the survivor led {took_over:?} after the SIGKILL");
}

#[tokio::test]
async fn ingest_spread_over_both_while_one_restarts_keeps_every_acknowledged_event_once() {
    let Some(url) = fresh_database("ingest_spread_over_both_while_one_restarts").await else {
        return;
    };
    let a = Arc::new(Instance::start("a", &url, &[]));
    let mut b = Instance::start("b", &url, &[]);
    a.wait_healthy().await;
    b.wait_healthy().await;
    let b_base = b.base.clone();

    let acked: Arc<Mutex<HashSet<String>>> = Arc::default();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..8 {
        let (a_base, b_base) = (a.base.clone(), b_base.clone());
        let (acked, stop) = (acked.clone(), stop.clone());
        writers.push(tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .expect("client");
            let mut i = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let id = format!("w{w}-{i}");
                let base = if i % 2 == 0 { &a_base } else { &b_base };
                let mut e = event("progress_update", &format!("spread-{w}"), &id);
                e["eventId"] = json!(id);
                let answer = client
                    .post(format!("{base}/v1/events"))
                    .json(&e)
                    .send()
                    .await;
                if let Ok(r) = answer
                    && r.status().is_success()
                {
                    acked.lock().expect("acked").insert(id);
                }
                i += 1;
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    b.restart().await;
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for w in writers {
        w.await.expect("writer");
    }

    let acked = acked.lock().expect("acked").clone();
    assert!(
        acked.len() > 100,
        "only {} events acknowledged",
        acked.len()
    );
    let db = sql(&url).await;
    let stored = query_i64(
        &db,
        "SELECT count(*) FROM events WHERE event_id LIKE 'w%-%'",
    )
    .await;
    let distinct = query_i64(
        &db,
        "SELECT count(DISTINCT event_id) FROM events WHERE event_id LIKE 'w%-%'",
    )
    .await;
    assert_eq!(stored, distinct, "no event stored twice");
    let ids: Vec<String> = acked.iter().cloned().collect();
    let list = ids
        .iter()
        .map(|id| format!("'{id}'"))
        .collect::<Vec<_>>()
        .join(",");
    let found = query_i64(
        &db,
        &format!("SELECT count(*) FROM events WHERE event_id IN ({list})"),
    )
    .await;
    assert_eq!(
        found as usize,
        acked.len(),
        "every acknowledged event is stored"
    );
}

#[tokio::test]
async fn a_lost_listener_reconnects_and_tells_open_pages_to_resync() {
    let Some(url) = fresh_database("a_lost_listener_reconnects").await else {
        return;
    };
    let a = Instance::start("a", &url, &[]);
    let b = Instance::start("b", &url, &[]);
    a.wait_healthy().await;
    b.wait_healthy().await;
    let db = sql(&url).await;
    // b's listener is up once its connection shows.
    let wait = Instant::now() + Duration::from_secs(10);
    while query_i64(
        &db,
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'telltale-live b' \
         AND datname = current_database()",
    )
    .await
        == 0
    {
        assert!(Instant::now() < wait, "b never listened");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let mut on_b = b.stream().await;
    assert_eq!(terminate(&db, "telltale-live b").await, 1);
    read_until(&mut on_b, "event: resync", Duration::from_secs(5)).await;
    // Listening again: a's next event reaches b's stream.
    a.post("/v1/events", &event("job.started", "after-loss", "again"))
        .await;
    read_until(&mut on_b, "event: events", Duration::from_secs(5)).await;
}

#[tokio::test]
async fn a_leader_whose_lock_connection_dies_stops_leading_and_one_leads_again() {
    let Some(url) = fresh_database("a_leader_whose_lock_connection_dies").await else {
        return;
    };
    let a = Instance::start("a", &url, &[]);
    a.wait_healthy().await;
    let b = Instance::start("b", &url, &[]);
    b.wait_healthy().await;
    let instances = [&a, &b];
    let first = the_leader(&instances, RETRY * 3).await;
    let db = sql(&url).await;
    let name = format!("telltale-leader {}", instances[first].name);
    assert_eq!(terminate(&db, &name).await, 1);
    // The old leader notices within its check interval and stops; then one
    // instance (either) leads again within two retry intervals.
    let lost = Instant::now();
    loop {
        if instances[first].leads().await == Some(false) {
            break;
        }
        assert!(
            lost.elapsed() < Duration::from_secs(2),
            "the old leader still says it leads"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    the_leader(&instances, RETRY * 2 + Duration::from_secs(1)).await;
    assert_eq!(
        query_i64(
            &db,
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted \
             AND objid = (x'74616c65'::bigint) AND classid = (x'74656c6c'::bigint) \
             AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        .await,
        1,
        "one lock holder"
    );
}
