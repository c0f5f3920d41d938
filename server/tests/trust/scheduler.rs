//! The scheduler cannot silence the engine: a back-dated heartbeat neither
//! makes a live scheduler offline nor blinds a server that never saw one;
//! a scheduler that was online and goes silent opens SCHEDULER_OFFLINE, and
//! holds MISSED only for MONITOR_SCHEDULER_HOLD_SECONDS.

use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::support::Rig;

fn ago(seconds: i64) -> String {
    (Utc::now() - chrono::Duration::seconds(seconds)).to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A job whose next run is due in `seconds`, with no grace.
fn due_in(job: &str, seconds: i64) -> Value {
    json!({
        "sourceType": "chief", "level": "info", "eventType": "job.next_scheduled",
        "message": "next run", "jobName": job,
        "metadata": {"next_run_at": ago(-seconds), "grace_seconds": 0},
    })
}

fn heartbeat(event_at: &str, ping_interval: u64) -> Value {
    json!({
        "sourceType": "chief", "level": "info", "eventType": "chief.heartbeat",
        "message": "chief alive", "eventAt": event_at,
        "metadata": {"ping_interval_seconds": ping_interval},
    })
}

/// A job whose next run was due 10 minutes ago, with no grace: DOWN at
/// once unless something holds it.
fn overdue(job: &str) -> Value {
    json!({
        "sourceType": "chief", "level": "info", "eventType": "job.next_scheduled",
        "message": "next run", "jobName": job,
        "metadata": {"next_run_at": ago(600), "grace_seconds": 0},
    })
}

async fn scheduler_alerts(rig: &Rig) -> Vec<Value> {
    let (status, body) = rig.get("/v1/alerts?type=SCHEDULER_OFFLINE").await;
    assert_eq!(status, 200, "{body}");
    body["alerts"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn a_back_dated_heartbeat_does_not_blind_a_server_that_never_saw_a_scheduler() {
    crate::on_each_backend!("scheduler_never_seen", &[], |rig| {
        // One heartbeat dated an hour back: the scheduler was never seen
        // online here, so nothing is held.
        rig.event(heartbeat(&ago(3600), 15)).await;
        rig.event(overdue("nightly-backup")).await;
        let missed = rig
            .open_alert("nightly-backup", "MISSED", Duration::from_secs(15))
            .await;
        assert!(
            !missed["reason"]
                .as_str()
                .unwrap_or_default()
                .contains("held"),
            "[{}] {missed}",
            rig.backend
        );
        let (_, job) = rig.get("/v1/status/jobs/nightly-backup").await;
        assert_eq!(job["job"]["checkState"], "DOWN", "[{}] {job}", rig.backend);
        assert!(scheduler_alerts(&rig).await.is_empty(), "[{}]", rig.backend);
        rig
    });
}

#[tokio::test]
async fn a_back_dated_heartbeat_cannot_make_a_live_scheduler_offline() {
    crate::on_each_backend!("scheduler_back_dated", &[], |rig| {
        rig.event(heartbeat(&ago(0), 60)).await;
        // Arrives later, dated an hour back: it is not the newest.
        rig.event(heartbeat(&ago(3600), 60)).await;
        let (status, summary) = rig.get("/v1/status/summary").await;
        assert_eq!(status, 200, "{summary}");
        assert_eq!(
            summary["scheduler"]["online"], true,
            "[{}] {summary}",
            rig.backend
        );
        // And one dated ahead counts as received, not as the future.
        rig.event(heartbeat("9999-12-31T23:59:59Z", 60)).await;
        let (_, summary) = rig.get("/v1/status/summary").await;
        let last = summary["scheduler"]["lastHeartbeatAt"]
            .as_str()
            .unwrap_or("");
        assert!(last.starts_with("20"), "[{}] {summary}", rig.backend);
        rig
    });
}

#[tokio::test]
async fn a_silent_scheduler_opens_its_alert_and_holds_missed_only_for_a_while() {
    crate::on_each_backend!(
        "scheduler_silent",
        &[("MONITOR_SCHEDULER_HOLD_SECONDS", "6")],
        |rig| {
            // Seen online: a fresh heartbeat, then silence. It is offline
            // 5 s after that beat (max(5, 2 × 1)); the job falls due in the
            // silence, 8 s after the beat.
            rig.event(heartbeat(&ago(0), 1)).await;
            rig.event(due_in("etl-load", 8)).await;
            let alert = rig
                .wait_for("SCHEDULER_OFFLINE", Duration::from_secs(20), || async {
                    scheduler_alerts(&rig)
                        .await
                        .into_iter()
                        .find(|a| a["status"] == "OPEN")
                })
                .await;
            let id = alert["id"].as_i64().expect("alert id");
            assert!(
                alert["reason"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("the scheduler has been silent since"),
                "[{}] {alert}",
                rig.backend
            );
            // While held, the overdue job is LATE, not DOWN.
            rig.wait_for("etl-load held LATE", Duration::from_secs(15), || async {
                let (_, job) = rig.get("/v1/status/jobs/etl-load").await;
                (job["job"]["checkState"] == "LATE").then_some(())
            })
            .await;
            assert!(
                rig.alerts_of("etl-load").await.is_empty(),
                "[{}] MISSED opened while held",
                rig.backend
            );
            rig.wait_for(
                "the SCHEDULER_OFFLINE delivery",
                Duration::from_secs(15),
                || async { (!rig.delivered(id).is_empty()).then_some(()) },
            )
            .await;
            // The hold ends: MISSED opens, naming the silence.
            let missed = rig
                .open_alert("etl-load", "MISSED", Duration::from_secs(20))
                .await;
            assert!(
                missed["reason"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("the scheduler has been silent since"),
                "[{}] {missed}",
                rig.backend
            );
            // The scheduler is back: its alert closes.
            rig.event(heartbeat(&ago(0), 1)).await;
            rig.wait_for(
                "SCHEDULER_OFFLINE closed",
                Duration::from_secs(15),
                || async {
                    scheduler_alerts(&rig)
                        .await
                        .into_iter()
                        .find(|a| a["id"] == id && a["status"] == "CLOSED")
                },
            )
            .await;
            rig
        }
    );
}
