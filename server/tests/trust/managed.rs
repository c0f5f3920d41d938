//! Jobs managed by operators over `/v1/jobs`: declared before their first
//! run, edited, paused, resumed, retired and deleted, each change in the
//! audit log; an operator's policy key wins over a producer's; bad input is
//! named and changes nothing. On each backend, then the canary.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{ADMIN_EMAIL, Rig, databases};

/// An admin's request (session cookie and Origin, as from the dashboard).
async fn admin(
    rig: &Rig,
    cookie: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = rig
        .client
        .request(method, rig.url(path))
        .header("cookie", cookie)
        .header("origin", rig.url(""));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let resp = request.send().await.expect("request");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

fn event(event_type: &str, run: &str, metadata: Value) -> Value {
    json!({
        "sourceType": "worker", "level": "info", "eventType": event_type,
        "message": event_type, "jobName": "db-backup", "runId": run, "metadata": metadata,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_declare_edit_pause_resume_retire_and_delete_jobs() {
    for db in databases("managed_jobs").await {
        let rig = Rig::start_with_auth(&db, &[]).await;
        let cookie = rig.admin_session().await;
        let b = rig.backend;

        // Declared before its first run.
        let spec = json!({
            "name": "db-backup",
            "policy": {"schedule": "0 2 * * *", "timezone": "Europe/Berlin", "grace_seconds": 900},
            "description": "nightly dump of the orders database",
            "tags": ["db", "nightly"],
        });
        let (status, job) =
            admin(&rig, &cookie, Method::POST, "/v1/jobs", Some(spec.clone())).await;
        assert_eq!(status, 201, "[{b}] {job}");
        assert_eq!(job["policy"]["schedule"], "0 2 * * *");
        assert_eq!(
            job["managed"]["operatorKeys"],
            json!(["grace_seconds", "schedule", "timezone"])
        );
        assert_eq!(job["managed"]["tags"], json!(["db", "nightly"]));
        let (status, body) = admin(&rig, &cookie, Method::POST, "/v1/jobs", Some(spec)).await;
        assert_eq!(status, 409, "[{b}] a second job of that name: {body}");

        // Bad input is named, and stores nothing.
        for (bad, field) in [
            (
                json!({"name": "x", "policy": {"schedule": "61 * * * *"}}),
                "policy.schedule",
            ),
            (
                json!({"name": "x", "policy": {"timezone": "Mars/Olympus"}}),
                "policy.timezone",
            ),
            (
                json!({"name": "x", "policy": {"grace": 60}}),
                "policy.grace",
            ),
            (
                json!({"name": "x", "policy": {"grace_seconds": -5}}),
                "policy.grace_seconds",
            ),
            (json!({"name": " x"}), "name"),
            (json!({"name": "x", "tags": ["a,b"]}), "tags"),
        ] {
            let (status, body) =
                admin(&rig, &cookie, Method::POST, "/v1/jobs", Some(bad.clone())).await;
            assert_eq!(status, 400, "[{b}] {bad}: {body}");
            assert_eq!(body["error"]["field"], field, "[{b}] {bad}: {body}");
        }
        let (status, _) = rig.get("/v1/status/jobs/x").await;
        assert_eq!(status, 404, "[{b}] nothing stored");
        // Only admins manage jobs: the env key reads and ingests, no more.
        let (status, _) = rig.post("/v1/jobs", &json!({"name": "y"})).await;
        assert_eq!(status, 403);

        // The operator's keys win; the producer's others still apply.
        let answer = rig
            .event(event(
                "job.started",
                "r1",
                json!({"schedule": "every 5m", "max_runtime_seconds": 3600}),
            ))
            .await;
        let warned: Vec<&str> = answer["warnings"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|w| w["field"].as_str())
            .collect();
        assert_eq!(warned, ["metadata.schedule"], "[{b}] {answer}");
        let job = rig.job("db-backup").await;
        assert_eq!(job["policy"]["schedule"], "0 2 * * *", "[{b}] {job}");
        assert_eq!(job["policy"]["maxRuntimeSeconds"], 3600);

        let (status, edited) = admin(
            &rig,
            &cookie,
            Method::PUT,
            "/v1/jobs/db-backup",
            Some(json!({"policy": {"grace_seconds": 1200}})),
        )
        .await;
        assert_eq!(status, 200, "{edited}");
        assert_eq!(edited["policy"]["graceSeconds"], 1200);

        let (status, _) = admin(
            &rig,
            &cookie,
            Method::POST,
            "/v1/jobs/db-backup/pause",
            None,
        )
        .await;
        assert_eq!(status, 200);
        rig.job_in_state("db-backup", "PAUSED", Duration::from_secs(20))
            .await;
        let (status, _) = admin(
            &rig,
            &cookie,
            Method::POST,
            "/v1/jobs/db-backup/resume",
            None,
        )
        .await;
        assert_eq!(status, 200);
        rig.wait_for(
            "db-backup checked again",
            Duration::from_secs(20),
            || async { (rig.job("db-backup").await["checkState"] != "PAUSED").then_some(()) },
        )
        .await;

        // Retire: its open alert closes with the reason, and no new one opens.
        rig.event(event("job.failed", "r1", json!({}))).await;
        let alert = rig
            .open_alert("db-backup", "FAILURE", Duration::from_secs(20))
            .await;
        let (status, _) = admin(
            &rig,
            &cookie,
            Method::POST,
            "/v1/jobs/db-backup/retire",
            None,
        )
        .await;
        assert_eq!(status, 200);
        let closed = rig
            .alerts_of("db-backup")
            .await
            .into_iter()
            .find(|a| a["id"] == alert["id"])
            .expect("the alert");
        assert_eq!(closed["status"], "CLOSED");
        assert_eq!(closed["closeReason"], "job retired");
        let (status, _) = admin(
            &rig,
            &cookie,
            Method::POST,
            "/v1/jobs/db-backup/retire",
            None,
        )
        .await;
        assert_eq!(status, 409, "retired already");
        rig.event(event("job.failed", "r2", json!({}))).await;
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert!(
            rig.alerts_of("db-backup")
                .await
                .iter()
                .all(|a| a["status"] == "CLOSED"),
            "[{b}] a retired job opens no alert"
        );
        assert!(rig.job("db-backup").await["managed"]["retiredAt"].is_string());

        // Delete: refused while a run is in progress, and without the name.
        rig.event(event("job.started", "r3", json!({}))).await;
        let (status, body) = admin(
            &rig,
            &cookie,
            Method::DELETE,
            "/v1/jobs/db-backup?confirm=db-backup",
            None,
        )
        .await;
        assert_eq!(status, 409, "[{b}] {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap_or("")
                .contains("r3"),
            "{body}"
        );
        rig.event(event("job.completed", "r3", json!({}))).await;
        let (status, body) = admin(&rig, &cookie, Method::DELETE, "/v1/jobs/db-backup", None).await;
        assert_eq!(
            (status, body["error"]["field"].as_str()),
            (400, Some("confirm")),
            "{body}"
        );
        let (status, body) = admin(
            &rig,
            &cookie,
            Method::DELETE,
            "/v1/jobs/db-backup?confirm=db-backup",
            None,
        )
        .await;
        assert_eq!(status, 200, "[{b}] {body}");
        assert_eq!(body["deleted"]["runs"], 3, "{body}");
        let (status, _) = rig.get("/v1/status/jobs/db-backup").await;
        assert_eq!(status, 404);
        let (status, _) = rig.get("/v1/runs/r1").await;
        assert_eq!(status, 404, "its history went with it");

        // Every change is in the audit log: who, what, before and after.
        let (status, audit) = rig.get("/v1/audit?job=db-backup").await;
        assert_eq!(status, 200, "{audit}");
        let entries = audit["entries"].as_array().cloned().unwrap_or_default();
        let actions: Vec<&str> = entries
            .iter()
            .filter_map(|e| e["action"].as_str())
            .collect();
        assert_eq!(
            actions,
            ["delete", "retire", "resume", "pause", "edit", "create"]
        );
        assert!(entries.iter().all(|e| e["actor"] == ADMIN_EMAIL), "{audit}");
        let edit = &entries[4];
        assert_eq!(edit["before"]["policy"]["graceSeconds"], 900);
        assert_eq!(edit["after"]["policy"]["graceSeconds"], 1200);

        // Forget a worker.
        rig.event(json!({
            "sourceType": "worker", "level": "info", "eventType": "worker.heartbeat",
            "message": "alive", "workerId": "farm-09",
        }))
        .await;
        let (status, _) = admin(&rig, &cookie, Method::DELETE, "/v1/workers/farm-09", None).await;
        assert_eq!(status, 204);
        let (status, _) = rig.get("/v1/workers/farm-09").await;
        assert_eq!(status, 404);
        let (status, _) = admin(&rig, &cookie, Method::DELETE, "/v1/workers/farm-09", None).await;
        assert_eq!(status, 404);

        rig.canary().await;
        rig.stop().await;
    }
}

/// A job names the channels always told of its alerts: only channels that
/// exist (a typo is named, not kept), each once, shown and audited.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_names_only_channels_that_exist() {
    for db in databases("job_channels").await {
        let rig = Rig::start_with_auth(&db, &[]).await;
        let cookie = rig.admin_session().await;
        let b = rig.backend;
        let spec = json!({"name": "pg-dump", "tags": ["db"]});
        let (status, job) = admin(&rig, &cookie, Method::POST, "/v1/jobs", Some(spec)).await;
        assert_eq!(status, 201, "[{b}] {job}");

        let name_pager = json!({"channels": ["pager"]});
        let (status, err) = admin(
            &rig,
            &cookie,
            Method::PUT,
            "/v1/jobs/pg-dump",
            Some(name_pager.clone()),
        )
        .await;
        assert_eq!(status, 400, "[{b}] {err}");
        assert_eq!(err["error"]["field"], "channels", "[{b}] {err}");
        let message = err["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("\"pager\""), "[{b}] {err}");
        assert_eq!(rig.job("pg-dump").await["managed"]["channels"], json!([]));

        let hook = json!({"name": "pager", "url": "http://127.0.0.1:9/hook",
                          "format": "mattermost", "enabledAlertTypes": ["FAILURE"]});
        let (status, created) = admin(
            &rig,
            &cookie,
            Method::POST,
            "/v1/settings/alerts/webhooks",
            Some(hook),
        )
        .await;
        assert_eq!(status, 201, "[{b}] {created}");
        let (status, job) = admin(
            &rig,
            &cookie,
            Method::PUT,
            "/v1/jobs/pg-dump",
            Some(json!({"channels": ["pager", " pager"]})),
        )
        .await;
        assert_eq!(status, 200, "[{b}] {job}");
        assert_eq!(job["managed"]["channels"], json!(["pager"]), "[{b}] {job}");
        assert_eq!(job["managed"]["tags"], json!(["db"]), "[{b}] kept: {job}");

        let (_, audit) = rig.get("/v1/audit?job=pg-dump").await;
        let edit = &audit["entries"][0];
        assert_eq!(edit["action"], "edit", "[{b}] {audit}");
        assert_eq!(edit["before"]["channels"], json!([]), "[{b}] {audit}");
        assert_eq!(edit["after"]["channels"], json!(["pager"]), "[{b}] {audit}");
        rig.canary().await;
    }
}
