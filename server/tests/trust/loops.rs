//! A dead loop cannot hide behind `ok`: when the evaluator dies, health
//! says so (503, naming it and since when) and it comes back by itself; the
//! alert that fell due meanwhile opens. And Telltale pings a dead man's
//! switch while its evaluator ticks.

use std::time::Duration;

use serde_json::json;

use crate::receivers::http::HookReceiver;

#[tokio::test]
async fn a_killed_evaluator_turns_health_503_and_recovers_and_the_alert_due_meanwhile_opens() {
    crate::on_each_backend!("loop_kill", &[], |rig| {
        let (status, body) = rig.get("/v1/health").await;
        assert_eq!(status, 200, "[{}] {body}", rig.backend);

        // The next two ticks panic: restarts after 1 s, then 2 s.
        rig.faults.panic_evaluator(2);
        let down = rig
            .wait_for("health 503", Duration::from_secs(10), || async {
                let (status, body) = rig.get("/v1/health").await;
                (status == 503).then_some(body)
            })
            .await;
        assert_eq!(down["status"], "degraded", "[{}] {down}", rig.backend);
        assert_eq!(
            down["loops"]["evaluator"]["status"], "restarting",
            "[{}] {down}",
            rig.backend
        );
        let problem = down["problems"][0].as_str().unwrap_or_default();
        assert!(
            problem.starts_with("evaluator: restarting since")
                && problem.contains("injected fault"),
            "[{}] {down}",
            rig.backend
        );

        // A run fails while the evaluator is down.
        rig.event(json!({
            "sourceType": "worker", "level": "error", "eventType": "job.failed",
            "message": "exit 3", "jobName": "during-the-outage", "runId": "outage-1",
        }))
        .await;

        // Both injected panics spent, it runs again and health is ok.
        rig.wait_for(
            "health 200 after two restarts",
            Duration::from_secs(20),
            || async {
                let (status, body) = rig.get("/v1/health").await;
                (status == 200 && body["loops"]["evaluator"]["restarts"] == 2).then_some(body)
            },
        )
        .await;
        let alert = rig
            .open_alert("during-the-outage", "FAILURE", Duration::from_secs(10))
            .await;
        assert!(
            alert["reason"]
                .as_str()
                .unwrap_or_default()
                .contains("outage-1"),
            "[{}] {alert}",
            rig.backend
        );

        // The tick that opened the alert records itself when it ends, a
        // moment after the alert is visible.
        let metrics = rig
            .wait_for(
                "the evaluator's last tick in /metrics",
                Duration::from_secs(10),
                || async {
                    let text = rig
                        .client
                        .get(rig.url("/metrics"))
                        .send()
                        .await
                        .ok()?
                        .text()
                        .await
                        .ok()?;
                    text.contains("telltale_evaluator_last_tick_timestamp_seconds ")
                        .then_some(text)
                },
            )
            .await;
        assert!(
            metrics.contains("telltale_loop_restarts_total{loop=\"evaluator\"} 2"),
            "[{}] {metrics}",
            rig.backend
        );
        assert!(
            metrics.contains("telltale_loop_up{loop=\"evaluator\"} 1"),
            "[{}] {}",
            rig.backend,
            metrics
                .lines()
                .filter(|l| l.contains("loop"))
                .collect::<Vec<_>>()
                .join("\n")
        );
        rig
    });
}

#[tokio::test]
async fn telltale_pings_its_heartbeat_url_while_the_evaluator_ticks() {
    let switch = HookReceiver::start("unused").await;
    let url = format!("http://{}/ping/telltale", switch.addr);
    crate::on_each_backend!(
        "self_heartbeat",
        &[("MONITOR_HEARTBEAT_URL", &url)],
        |rig| {
            let before = switch.requests();
            rig.wait_for("a ping", Duration::from_secs(10), || async {
                (switch.requests() > before).then_some(())
            })
            .await;
            // At most one a minute, however often the evaluator ticks.
            tokio::time::sleep(Duration::from_secs(3)).await;
            assert_eq!(switch.requests(), before + 1, "[{}]", rig.backend);
            rig
        }
    );
}

/// On PostgreSQL, a leader whose evaluator keeps dying hands its lock to an
/// instance whose loops can run, and alerting goes on there.
#[tokio::test]
async fn a_leader_whose_evaluator_cannot_run_gives_up_its_lock() {
    for db in crate::support::databases("leader_gives_up").await {
        if db.name() != "postgres" {
            continue;
        }
        let first = crate::support::Rig::start(&db, &[("MONITOR_INSTANCE_NAME", "first")]).await;
        first
            .wait_for(
                "the first instance leads",
                Duration::from_secs(10),
                || async {
                    let (_, h) = first.get("/v1/health").await;
                    (h["leader"] == true).then_some(())
                },
            )
            .await;
        let second = crate::support::Rig::start(&db, &[("MONITOR_INSTANCE_NAME", "second")]).await;
        first.faults.panic_evaluator(u32::MAX);
        let h = second
            .wait_for(
                "the second instance leads",
                Duration::from_secs(60),
                || async {
                    let (_, h) = second.get("/v1/health").await;
                    (h["leader"] == true).then_some(h)
                },
            )
            .await;
        assert_eq!(h["status"], "ok", "{h}");
        // The follower sees the evaluator run elsewhere once the new
        // leader has ticked: it is ok again.
        let h = first
            .wait_for(
                "the first instance ok as a follower",
                Duration::from_secs(20),
                || async {
                    let (status, h) = first.get("/v1/health").await;
                    (status == 200).then_some(h)
                },
            )
            .await;
        assert_eq!(h["leader"], false, "{h}");
        assert_eq!(h["loops"]["evaluator"]["status"], "standby", "{h}");
        second.canary().await;
        second.stop().await;
        first.stop().await;
    }
}

/// Two Telltales watching each other: each one's heartbeat is a job on the
/// other, due every minute, so a silent one is a MISSED alert there.
#[tokio::test]
async fn two_telltales_watch_each_other_through_their_heartbeats() {
    let dbs = crate::support::databases("mutual_watch_b").await;
    let watcher = crate::support::Rig::start(&dbs[0], &[]).await;
    let url = watcher.url("/v1/events");
    crate::on_each_backend!(
        "mutual_watch_a",
        &[
            ("MONITOR_HEARTBEAT_URL", &url),
            ("MONITOR_INSTANCE_NAME", "telltale-a")
        ],
        |rig| {
            let job = watcher
                .wait_for(
                    "telltale-a's heartbeat job",
                    Duration::from_secs(10),
                    || async {
                        let (_, body) = watcher.get("/v1/status/jobs/telltale%40telltale-a").await;
                        (body["job"]["checkState"] == "UP").then_some(body)
                    },
                )
                .await;
            assert_eq!(
                job["job"]["policy"]["schedule"], "every 1m",
                "[{}] {job}",
                rig.backend
            );
            rig
        }
    );
    watcher.stop().await;
}
