//! Ping URLs as healthchecks documents them: every suffix, `rid`, bodies,
//! HEAD, slug URLs with a ping key and `?create=1`, and every refusal
//! storing nothing. Then the job page's crontab lines, run by `sh` exactly
//! as shown (the command placeholder aside), against the real server.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{Rig, databases, urlencode};

/// A job seen once, so it has a page and a ping URL; its ping UUID.
async fn job_with_ping(rig: &Rig, job: &str) -> String {
    rig.event(json!({
        "sourceType": "worker", "level": "info", "eventType": "note",
        "message": "seen", "jobName": job,
    }))
    .await;
    let (status, body) = rig.get(&format!("/v1/jobs/{}/ping", urlencode(job))).await;
    assert_eq!(status, 200, "[{}] ping URL of {job}: {body}", rig.backend);
    let uuid = body["uuid"].as_str().expect("uuid").to_owned();
    assert_eq!(uuid.len(), 36, "{body}");
    // Asked again: the same UUID, not a new one each time.
    let (_, again) = rig.get(&format!("/v1/jobs/{}/ping", urlencode(job))).await;
    assert_eq!(again["uuid"], uuid.as_str());
    uuid
}

/// Sends a ping; status, headers and body text.
async fn ping(
    rig: &Rig,
    method: Method,
    path: &str,
    body: Option<&str>,
) -> (u16, reqwest::header::HeaderMap, String) {
    let mut request = rig
        .client
        .request(method, rig.url(path))
        .header("user-agent", "curl/8.5.0");
    if let Some(body) = body {
        request = request.body(body.to_owned());
    }
    let resp = request.send().await.expect("ping");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    (status, headers, resp.text().await.unwrap_or_default())
}

async fn events_of(rig: &Rig, job: &str) -> Vec<Value> {
    let (status, body) = rig
        .get(&format!("/v1/events?job={}&limit=1000", urlencode(job)))
        .await;
    assert_eq!(status, 200, "{body}");
    body["events"].as_array().cloned().unwrap_or_default()
}

async fn run(rig: &Rig, id: &str) -> Value {
    let (status, body) = rig.get(&format!("/v1/runs/{}", urlencode(id))).await;
    assert_eq!(status, 200, "[{}] run {id}: {body}", rig.backend);
    body["run"].clone()
}

async fn event_count(rig: &Rig) -> usize {
    let (_, body) = rig.get("/v1/events?limit=1000").await;
    body["events"].as_array().map_or(0, Vec::len)
}

/// An API key of `scope`, made by the admin signed in with `admin`: its
/// secret and id.
async fn api_key(rig: &Rig, admin: &str, scope: &str) -> (String, i64) {
    let resp = rig
        .client
        .post(rig.url("/v1/settings/api-keys"))
        .header("cookie", admin)
        .header("origin", rig.url(""))
        .json(&json!({"name": format!("{scope} key"), "scope": scope}))
        .send()
        .await
        .expect("create key");
    let status = resp.status();
    let body: Value = resp.json().await.expect("json");
    assert_eq!(
        status, 201,
        "[{}] create a {scope} key: {body}",
        rig.backend
    );
    (
        body["secret"].as_str().expect("secret").to_owned(),
        body["key"]["id"].as_i64().expect("key id"),
    )
}

const RID: &str = "123e4567-e89b-12d3-a456-426614174000";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_suffix_is_an_event_and_runs_follow_rid_or_the_open_run() {
    for db in databases("pings_suffixes").await {
        let rig = Rig::start(&db, &[]).await;
        let job = "nightly-backup";
        let uuid = job_with_ping(&rig, job).await;
        let base = format!("/ping/{uuid}");

        // start + finish tied by rid.
        let (status, headers, text) =
            ping(&rig, Method::GET, &format!("{base}/start?rid={RID}"), None).await;
        assert_eq!((status, text.as_str()), (200, "OK"), "[{}]", rig.backend);
        assert_eq!(headers["content-type"], "text/plain; charset=utf-8");
        assert_eq!(headers["access-control-allow-origin"], "*");
        assert_eq!(headers["ping-body-limit"], "102400");
        assert_eq!(run(&rig, RID).await["status"], "running");
        let (status, _, text) = ping(
            &rig,
            Method::POST,
            &format!("{base}?rid={RID}"),
            Some("42 files"),
        )
        .await;
        assert_eq!((status, text.as_str()), (200, "OK"));
        let done = run(&rig, RID).await;
        assert_eq!(done["status"], "completed", "{done}");
        assert!(done["durationSeconds"].as_f64().is_some() || done["endTime"].is_string());

        // HEAD starts a run of its own; a bare fail ends that open run.
        let (status, _, text) = ping(&rig, Method::HEAD, &format!("{base}/start"), None).await;
        assert_eq!((status, text.as_str()), (200, ""), "HEAD has no body");
        let started = events_of(&rig, job).await;
        let open_run = started[0]["runId"]
            .as_str()
            .expect("start has a run")
            .to_owned();
        assert_eq!(started[0]["eventType"], "job.started");
        assert_eq!(started[0]["metadata"]["ping"]["method"], "HEAD");
        let (status, _, _) = ping(&rig, Method::GET, &format!("{base}/fail"), None).await;
        assert_eq!(status, 200);
        let failed = run(&rig, &open_run).await;
        assert_eq!(failed["status"], "failed", "{failed}");
        assert_eq!(failed["failureReason"], "Failed (ping)");
        rig.open_alert(job, "FAILURE", Duration::from_secs(20))
            .await;

        // An exit status with a body: the body is the reason, verbatim.
        let (status, _, _) = ping(
            &rig,
            Method::POST,
            &format!("{base}/3"),
            Some("disk full\n"),
        )
        .await;
        assert_eq!(status, 200);
        let last = &events_of(&rig, job).await[0];
        assert_eq!(last["eventType"], "job.failed");
        assert_eq!(last["metadata"]["exit_code"], 3);
        assert_eq!(last["metadata"]["body"], "disk full\n");
        assert_eq!(last["metadata"]["ping"]["userAgent"], "curl/8.5.0");
        assert!(last["metadata"]["ping"]["remoteAddr"].is_string(), "{last}");
        let exit_run = run(&rig, last["runId"].as_str().expect("run")).await;
        assert_eq!(exit_run["failureReason"], "disk full\n");

        // 0 is a success; log changes no run.
        let (status, _, _) = ping(&rig, Method::GET, &format!("{base}/0"), None).await;
        assert_eq!(status, 200);
        assert_eq!(events_of(&rig, job).await[0]["eventType"], "job.completed");
        let before = rig.job(job).await;
        let (status, _, _) =
            ping(&rig, Method::POST, &format!("{base}/log"), Some("halfway")).await;
        assert_eq!(status, 200);
        let log = &events_of(&rig, job).await[0];
        assert_eq!(log["eventType"], "ping.log");
        assert_eq!(log["metadata"]["body"], "halfway");
        assert_eq!(rig.job(job).await["lastRunId"], before["lastRunId"]);

        let metrics = rig
            .client
            .get(rig.url("/metrics"))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text");
        assert!(
            metrics.contains(r#"telltale_pings_total{kind="start",outcome="stored"} 2"#),
            "{metrics}"
        );
        assert!(metrics.contains(r#"telltale_pings_total{kind="fail",outcome="stored"} 2"#));
        rig.canary().await;
        rig.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_pings_say_why_in_healthchecks_words_and_store_nothing() {
    for db in databases("pings_refused").await {
        let rig = Rig::start(&db, &[]).await;
        let uuid = job_with_ping(&rig, "refused").await;
        let before = event_count(&rig).await;
        let cases: Vec<(Method, String, u16, &str)> = vec![
            (
                Method::GET,
                "/ping/5bf66975-d4c7-4bf5-bcc8-b8d8a82ea278".into(),
                404,
                "not found",
            ),
            (
                Method::GET,
                "/ping/not-a-uuid".into(),
                400,
                "invalid url format",
            ),
            (
                Method::GET,
                format!("/ping/{}", &uuid[..35]),
                400,
                "invalid url format",
            ),
            (
                Method::GET,
                format!("/ping/{uuid}/256"),
                400,
                "invalid url format",
            ),
            (
                Method::GET,
                format!("/ping/{uuid}/-1"),
                400,
                "invalid url format",
            ),
            (
                Method::GET,
                format!("/ping/{uuid}/finish"),
                400,
                "invalid url format",
            ),
            (
                Method::GET,
                format!("/ping/{uuid}/start?rid=run-7"),
                400,
                "invalid uuid format",
            ),
            (
                Method::GET,
                format!("/ping/{uuid}/fail/x"),
                400,
                "invalid url format",
            ),
            (
                Method::PUT,
                format!("/ping/{uuid}"),
                405,
                "method not allowed",
            ),
            (
                Method::DELETE,
                format!("/ping/{uuid}"),
                405,
                "method not allowed",
            ),
        ];
        for (method, path, want, words) in cases {
            let (status, _, text) = ping(&rig, method.clone(), &path, None).await;
            assert_eq!(status, want, "[{}] {method} {path}: {text}", rig.backend);
            assert!(text.starts_with(words), "{method} {path}: {text:?}");
        }
        assert_eq!(
            event_count(&rig).await,
            before,
            "[{}] nothing stored",
            rig.backend
        );
        rig.canary().await;
        rig.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_past_the_limit_is_kept_cut_and_flagged() {
    for db in databases("pings_body").await {
        let rig = Rig::start(&db, &[("MONITOR_PING_BODY_BYTES", "1000")]).await;
        let uuid = job_with_ping(&rig, "chatty").await;
        let body = "é".repeat(2500); // 5000 bytes
        let (status, headers, _) = ping(
            &rig,
            Method::POST,
            &format!("/ping/{uuid}/fail"),
            Some(&body),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(headers["ping-body-limit"], "1000");
        let last = &events_of(&rig, "chatty").await[0];
        let kept = last["metadata"]["body"].as_str().expect("body");
        assert_eq!(kept, "é".repeat(500), "cut at the limit, on a character");
        assert_eq!(last["metadata"]["ping"]["bodyTruncated"], true);
        assert_eq!(last["metadata"]["ping"]["bodyBytes"], 5000);
        rig.canary().await;
        rig.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slug_urls_take_a_live_ping_key_and_create_jobs_on_request() {
    for db in databases("pings_slug").await {
        let rig = Rig::start_with_auth(&db, &[]).await;
        let admin = rig.admin_session().await;
        let (key, key_id) = api_key(&rig, &admin, "ping").await;
        let (ingest_key, _) = api_key(&rig, &admin, "ingest").await;
        let before = event_count(&rig).await;

        let (status, _, text) =
            ping(&rig, Method::GET, &format!("/ping/{key}/db-dump"), None).await;
        assert_eq!(
            (status, text.as_str()),
            (404, "not found"),
            "[{}]",
            rig.backend
        );
        let (status, _, text) = ping(
            &rig,
            Method::GET,
            &format!("/ping/{key}/%20/start?create=1"),
            None,
        )
        .await;
        assert_eq!(status, 400, "{text}");
        assert!(text.starts_with("invalid job name"), "{text}");
        let (status, _, text) = ping(
            &rig,
            Method::GET,
            &format!("/ping/{ingest_key}/db-dump"),
            None,
        )
        .await;
        assert_eq!(status, 403, "an ingest key cannot ping: {text}");
        assert_eq!(event_count(&rig).await, before, "nothing stored");

        let (status, _, text) = ping(
            &rig,
            Method::GET,
            &format!("/ping/{key}/db-dump/start?create=1"),
            None,
        )
        .await;
        assert_eq!(
            (status, text.as_str()),
            (201, "created"),
            "[{}]",
            rig.backend
        );
        let (status, _, text) = ping(
            &rig,
            Method::GET,
            &format!("/ping/{key}/db-dump/0?create=1"),
            None,
        )
        .await;
        assert_eq!((status, text.as_str()), (200, "OK"));
        assert_eq!(rig.job("db-dump").await["name"], "db-dump");
        let (status, _) = rig.get("/v1/jobs/db-dump/ping").await;
        assert_eq!(status, 200, "a created job has a ping UUID");

        // A ping key opens nothing else.
        let resp = rig
            .client
            .post(rig.url("/v1/events"))
            .header("x-api-key", &key)
            .json(
                &json!({"sourceType": "worker", "level": "info", "eventType": "x", "message": "x"}),
            )
            .send()
            .await
            .expect("ingest");
        assert_eq!(resp.status(), 403, "a ping key on /v1/events");

        // Revoked: 401, nothing stored.
        let id = key_id;
        let resp = rig
            .client
            .post(rig.url(&format!("/v1/settings/api-keys/{id}/revoke")))
            .header("cookie", admin.clone())
            .header("origin", rig.url(""))
            .send()
            .await
            .expect("revoke");
        assert!(resp.status().is_success(), "revoke: {}", resp.status());
        let stored = event_count(&rig).await;
        let (status, _, _) = ping(&rig, Method::GET, &format!("/ping/{key}/db-dump"), None).await;
        assert_eq!(status, 401, "a revoked ping key");
        assert_eq!(event_count(&rig).await, stored);
        rig.canary().await;
        rig.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_regenerated_ping_url_retires_the_old_one() {
    for db in databases("pings_regenerate").await {
        let rig = Rig::start(&db, &[]).await;
        let old = job_with_ping(&rig, "rotated").await;
        let (status, body) = rig
            .post("/v1/jobs/rotated/ping/regenerate", &json!({}))
            .await;
        assert_eq!(status, 200, "{body}");
        let new = body["uuid"].as_str().expect("uuid").to_owned();
        assert_ne!(new, old);
        let (status, _, _) = ping(&rig, Method::GET, &format!("/ping/{old}"), None).await;
        assert_eq!(status, 404, "the old URL");
        let (status, _, _) = ping(&rig, Method::GET, &format!("/ping/{new}"), None).await;
        assert_eq!(status, 200, "the new URL");
        let (status, _) = rig
            .post("/v1/jobs/nobody/ping/regenerate", &json!({}))
            .await;
        assert_eq!(status, 404);
        rig.canary().await;
        rig.stop().await;
    }
}

/// The text of `<pre … data-snippet="{id}">…</pre>` in `html`, unescaped.
fn snippet(html: &str, id: &str) -> String {
    let marker = format!("data-snippet=\"{id}\"");
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {id} snippet in the page"));
    let start = at + html[at..].find('>').expect("tag end") + 1;
    let end = start + html[start..].find("</pre>").expect("pre end");
    // As a browser copies it: text only, without the markers hydration
    // leaves beside dynamic text (`<!>`, `<!---->`).
    let mut text = html[start..end].to_owned();
    while let Some(open) = text.find("<!") {
        let close = open + text[open..].find('>').expect("marker end");
        text.replace_range(open..=close, "");
    }
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// A crontab line without its five schedule fields: what cron runs.
fn command_of(line: &str) -> String {
    let mut rest = line.trim_start();
    for _ in 0..5 {
        let field_end = rest.find(' ').expect("five fields and a command");
        rest = rest[field_end..].trim_start();
    }
    rest.to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_crontab_lines_on_the_job_page_report_when_run() {
    let db = databases("pings_snippets").await.remove(0);
    let rig = Rig::start(&db, &[]).await;
    let job = "cron-backup";
    job_with_ping(&rig, job).await;
    let html = rig
        .client
        .get(rig.url(&format!("/jobs/{job}")))
        .send()
        .await
        .expect("job page")
        .text()
        .await
        .expect("html");
    let dir = tempfile::tempdir().expect("dir");
    let script = |name: &str, body: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("script");
        std::process::Command::new("chmod")
            .arg("+x")
            .arg(&path)
            .status()
            .expect("chmod");
        path.display().to_string()
    };
    let ok = script("ok.sh", "echo fine");
    let broken = script("broken.sh", "echo 'tape jammed' >&2; exit 4");
    let sh = |line: String, command: &str| {
        let line = line.replace(telltale_model::ping::COMMAND_PLACEHOLDER, command);
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(command_of(&line))
            .output()
            .expect("sh");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };

    let runs_before = rig.job(job).await;
    assert!(runs_before["lastRunId"].is_null());
    let (code, err) = sh(snippet(&html, "crontab"), &ok);
    assert_eq!(code, Some(0), "crontab line: {err}");
    let after_ok = rig.job(job).await;
    let first = after_ok["lastRunId"].as_str().expect("a run").to_owned();
    assert_eq!(run(&rig, &first).await["status"], "completed");

    let (code, err) = sh(snippet(&html, "crontab-exit-status"), &broken);
    assert_eq!(code, Some(0), "the line's last curl succeeded: {err}");
    let second = rig.job(job).await["lastRunId"]
        .as_str()
        .expect("run")
        .to_owned();
    assert_ne!(second, first);
    let failed = run(&rig, &second).await;
    assert_eq!(failed["status"], "failed", "{failed}");
    assert!(
        failed["startTime"].is_string(),
        "started by /start: {failed}"
    );
    assert_eq!(failed["failureReason"], "Failed with exit status 4 (ping)");

    let (code, err) = sh(snippet(&html, "crontab-output"), &broken);
    assert_eq!(code, Some(0), "{err}");
    let third = rig.job(job).await["lastRunId"]
        .as_str()
        .expect("run")
        .to_owned();
    let failed = run(&rig, &third).await;
    assert_eq!(
        failed["failureReason"], "tape jammed",
        "the output is the reason"
    );
    rig.open_alert(job, "FAILURE", Duration::from_secs(20))
        .await;
    rig.canary().await;
    rig.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cronitor_telemetry_starts_and_fails_a_run_under_a_ping_key() {
    for db in databases("pings_cronitor").await {
        let rig = Rig::start_with_auth(&db, &[]).await;
        let admin = rig.admin_session().await;
        let (key, _) = api_key(&rig, &admin, "ping").await;
        let before = event_count(&rig).await;
        for (path, want) in [
            (format!("/p/{key}/etl-load?state=paused"), 400),
            (format!("/p/{key}/etl-load"), 400),
            ("/p/tt_wrong/etl-load?state=run".to_owned(), 401),
        ] {
            let (status, _, text) = ping(&rig, Method::GET, &path, None).await;
            assert_eq!(status, want, "[{}] {path}: {text}", rig.backend);
        }
        assert_eq!(event_count(&rig).await, before, "refusals store nothing");

        let (status, _, text) = ping(
            &rig,
            Method::GET,
            &format!("/p/{key}/etl-load?state=run&series=42"),
            None,
        )
        .await;
        assert_eq!(
            (status, text.as_str()),
            (201, "created"),
            "[{}]",
            rig.backend
        );
        assert_eq!(run(&rig, "etl-load:42").await["status"], "running");
        let (status, _, _) = ping(
            &rig,
            Method::GET,
            &format!("/p/{key}/etl-load?state=fail&series=42&status_code=2&message=upstream%20timed%20out"),
            None,
        )
        .await;
        assert_eq!(status, 200);
        let failed = run(&rig, "etl-load:42").await;
        assert_eq!(failed["status"], "failed", "{failed}");
        assert_eq!(failed["failureReason"], "upstream timed out");
        rig.open_alert("etl-load", "FAILURE", Duration::from_secs(20))
            .await;
        rig.canary().await;
        rig.stop().await;
    }
}
