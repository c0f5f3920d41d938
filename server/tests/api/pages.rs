//! The pages as a browser without JavaScript gets them: rendered on the server.

use telltale_model::Overview;

use crate::helpers::{TestApp, csp_nonce, event};

#[tokio::test]
async fn events_page_renders_stored_events_on_the_server() {
    let app = TestApp::spawn().await;
    app.post_json(
        "/v1/events",
        &event("execution_failed", "disk <full> & \"gone\""),
    )
    .await;
    app.post_json("/v1/events", &event("job.started", "render began"))
        .await;

    let resp = app.client.get(app.url("/events")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let html = resp.text().await.unwrap();
    assert!(html.contains("2 events"), "count rendered");
    assert!(html.contains("execution_failed"));
    // Escaped once, shown verbatim by the browser.
    assert!(
        html.contains("disk &lt;full&gt; &amp; &quot;gone&quot;")
            || html.contains("disk &lt;full&gt; &amp; \"gone\""),
        "{html}"
    );
    let newest = html.find("render began").unwrap();
    let older = html.find("execution_failed").unwrap();
    assert!(newest < older, "newest first");
    app.stop().await;
}

#[tokio::test]
async fn events_page_filter_works_without_javascript() {
    let app = TestApp::spawn().await;
    app.post_json("/v1/events", &event("execution_failed", "alpha"))
        .await;
    app.post_json("/v1/events", &event("job.started", "beta"))
        .await;
    let html = app
        .client
        .get(app.url("/events?text=alpha"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("1 of 2 events"), "{html}");
    // Rows the text leaves out are sent hidden (the browser shows them
    // again as the text changes), the matching one shown.
    let row = |message: &str| {
        html.split("<tr ")
            .find(|r| r.contains("data-event-id") && r.contains(message))
            .map(|r| r.split('>').next().unwrap_or_default().to_owned())
            .unwrap_or_else(|| panic!("no row for {message}: {html}"))
    };
    assert!(!row("alpha").contains("hidden"), "{}", row("alpha"));
    assert!(row("beta").contains("hidden"), "{}", row("beta"));
    app.stop().await;
}

/// The form's filters are the API's, applied by the server over every
/// stored event: the job filter is exact (no `nightly-2` for `nightly`),
/// reaches past the loaded page, and a filter it cannot read is named.
#[tokio::test]
async fn events_page_filters_on_the_server_by_the_api_names() {
    let app = TestApp::spawn().await;
    let with = |job: &str, level: &str, source: &str, message: &str| {
        let mut e = event("worker.message", message);
        e["jobName"] = job.into();
        e["level"] = level.into();
        e["sourceType"] = source.into();
        e
    };
    app.post_json(
        "/v1/events",
        &with("nightly", "error", "worker", "the old failure"),
    )
    .await;
    // More events of another job than one page holds.
    let others: Vec<_> = (0..210)
        .map(|i| with("nightly-2", "info", "chief", &format!("other {i}")))
        .collect();
    let (status, _) = app
        .post_json("/v1/events/batch", &serde_json::json!(others))
        .await;
    assert_eq!(status, 200);

    let html = page(&app, "/events?job=nightly").await;
    assert!(html.contains("the old failure"), "{html}");
    assert!(!html.contains("other 209"), "an exact job, not a substring");
    assert!(
        html.contains("value=\"nightly\""),
        "the form shows the filter"
    );
    let html = page(&app, "/events?level=error&source=worker").await;
    assert!(html.contains("the old failure") && !html.contains("other 209"));
    let html = page(&app, "/events?source=chief&level=info").await;
    assert!(!html.contains("the old failure") && html.contains("other 209"));
    let html = page(
        &app,
        "/events?since=2000-01-01T00:00&until=2000-01-02T00:00",
    )
    .await;
    assert!(!html.contains("the old failure") && !html.contains("other 209"));

    let html = page(&app, "/events?job=no-such-job").await;
    assert!(
        html.contains("No stored event matches these filters."),
        "not \"no events stored\": {html}"
    );
    let html = page(&app, "/events?level=loud").await;
    assert!(html.contains("level: must be one of"), "{html}");
    // The job page's link asks for the job, not a text search.
    let html = page(&app, "/jobs/nightly").await;
    assert!(html.contains("href=\"/events?job=nightly\""), "{html}");
    app.stop().await;
}

/// An event's payload is on the page, not only in the API: its source,
/// script, event id, both clocks and its metadata as indented JSON, behind
/// a disclosure that needs no JavaScript; the run page shows the run's
/// merged metadata.
#[tokio::test]
async fn events_and_runs_show_their_payloads() {
    let app = TestApp::spawn().await;
    let mut e = event("execution_failed", "render failed");
    e["eventId"] = "ev-42".into();
    e["scriptPath"] = "/opt/render/go.sh".into();
    e["metadata"] = serde_json::json!({"clip": "A<1>", "frames": 240});
    let (status, body) = app.post_json("/v1/events", &e).await;
    assert_eq!(status, 200, "{body}");

    let html = page(&app, "/events").await;
    let details = &html[html.find("class=\"event-details\"").expect("{html}")..];
    for part in [
        "ev-42",
        "/opt/render/go.sh",
        ">worker<",
        "\"clip\": \"A&lt;1&gt;\"",
        "\"frames\": 240",
    ] {
        assert!(details.contains(part), "{part}: {details}");
    }
    assert!(details.contains("data-testid=\"metadata\""));
    let html = page(&app, "/runs/run-1").await;
    let meta = &html[html.find("data-testid=\"metadata\"").expect("{html}")..];
    assert!(meta.contains("\"clip\": \"A&lt;1&gt;\""), "{meta}");
    app.stop().await;
}

#[tokio::test]
async fn monitor_redirects_to_the_overview() {
    let app = TestApp::spawn().await;
    let resp = app.client.get(app.url("/monitor")).send().await.unwrap();
    assert!(resp.status().is_redirection(), "{}", resp.status());
    assert_eq!(resp.headers()["location"], "/");
    app.stop().await;
}

#[tokio::test]
async fn unknown_pages_are_404() {
    let app = TestApp::spawn().await;
    let resp = app
        .client
        .get(app.url("/no/such/page"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    app.stop().await;
}

#[tokio::test]
async fn runs_page_filters_by_status_and_job_in_the_address() {
    let app = TestApp::spawn().await;
    for (run, job, kind) in [
        ("r-fail", "encode", "execution_failed"),
        ("r-done", "encode", "job.completed"),
        ("r-other", "thumbs", "execution_failed"),
    ] {
        let mut e = event(kind, run);
        e["runId"] = serde_json::json!(run);
        e["jobName"] = serde_json::json!(job);
        app.post_json("/v1/events", &e).await;
    }
    let html = app.page("/runs?status=failed&job=encode").await;
    assert!(html.contains("href=\"/runs/r-fail\""), "{html}");
    assert!(
        !html.contains("href=\"/runs/r-done\""),
        "a completed run is filtered out"
    );
    assert!(
        !html.contains("href=\"/runs/r-other\""),
        "another job is filtered out"
    );
    assert!(
        html.contains(r#"<option value="failed" selected"#),
        "the form shows the filter"
    );
    let all = app.page("/runs").await;
    assert!(all.contains("r-done") && all.contains("r-other"));
    app.stop().await;
}

#[tokio::test]
async fn run_pages_render_on_the_server() {
    let app = TestApp::spawn().await;
    let mut failed = event("execution_failed", "boom");
    failed["runId"] = serde_json::json!("r-77");
    failed["metadata"] = serde_json::json!({"failure_reason": "disk <full>\n  at /mnt"});
    app.post_json("/v1/events", &failed).await;
    let list = app.client.get(app.url("/runs")).send().await.unwrap();
    assert_eq!(list.status(), 200);
    let html = list.text().await.unwrap();
    assert!(html.contains("href=\"/runs/r-77\""), "{html}");
    let detail = app
        .client
        .get(app.url("/runs/r-77"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        detail.contains("disk &lt;full&gt;\n  at /mnt"),
        "verbatim in a pre: {detail}"
    );
    let missing = app.page("/runs/nope").await;
    assert!(missing.contains("No such run"));
    app.stop().await;
}

/// A job event at `ago` seconds before now.
fn job_event(
    kind: &str,
    job: &str,
    run: &str,
    ago: i64,
    metadata: serde_json::Value,
) -> serde_json::Value {
    let mut e = event(kind, &format!("{kind} {run}"));
    e["jobName"] = serde_json::json!(job);
    e["runId"] = serde_json::json!(run);
    e["eventAt"] = serde_json::json!(
        (chrono::Utc::now() - chrono::Duration::seconds(ago))
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    );
    e["metadata"] = metadata;
    e
}

/// `db-dump` ran two hours ago on an hourly schedule with a minute's grace
/// (DOWN); `thumbnails` ran a minute ago twice and failed the second time
/// (UP, a FAILURE alert open).
pub(crate) async fn seed_jobs(app: &TestApp) {
    let hourly = serde_json::json!({"schedule": "every 1h", "grace_seconds": 60, "max_runtime_seconds": 900});
    let (status, body) = app
        .post_json(
            "/v1/events/batch",
            &serde_json::json!([
                job_event("job.started", "db-dump", "dump-1", 7200, hourly.clone()),
                job_event("job.completed", "db-dump", "dump-1", 7100, hourly),
                job_event(
                    "job.started",
                    "thumbnails",
                    "th-1",
                    120,
                    serde_json::json!({})
                ),
                job_event(
                    "job.completed",
                    "thumbnails",
                    "th-1",
                    100,
                    serde_json::json!({})
                ),
                job_event(
                    "job.started",
                    "thumbnails",
                    "th-2",
                    60,
                    serde_json::json!({})
                ),
                job_event(
                    "job.failed",
                    "thumbnails",
                    "th-2",
                    30,
                    serde_json::json!({"failure_reason": "exit 3: <no space>"})
                ),
            ]),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    // The engine evaluates the jobs right after ingest; wait for it (10 s
    // at most: the machine may be busy).
    for _ in 0..500 {
        let (_, summary) = app.get_json("/v1/status/summary").await;
        if summary["jobsByCheckState"]["DOWN"] == 1 && summary["openAlertsByType"]["FAILURE"] == 1 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("the engine did not make db-dump DOWN and open thumbnails' FAILURE");
}

async fn page(app: &TestApp, path: &str) -> String {
    let resp = app.client.get(app.url(path)).send().await.unwrap();
    assert_eq!(resp.status(), 200, "{path}");
    resp.text().await.unwrap()
}

#[tokio::test]
async fn jobs_page_lists_down_jobs_first_with_state_runs_and_sparkline() {
    let app = TestApp::spawn().await;
    seed_jobs(&app).await;
    let html = page(&app, "/jobs").await;
    let down = html.find("data-job=\"db-dump\"").expect("db-dump listed");
    let up = html
        .find("data-job=\"thumbnails\"")
        .expect("thumbnails listed");
    assert!(down < up, "DOWN before UP");
    assert!(html.contains("2 jobs: 1 FAILING, 1 DOWN, 0 LATE"), "{html}");
    assert!(html.contains("✕ DOWN"), "state in words, not color alone");
    // thumbnails runs on time, but its last run failed and its FAILURE is
    // open: never a green tick.
    let row = &html[up..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(row.contains("data-health=\"FAILING\""), "{row}");
    assert!(row.contains("✗ FAILING") && !row.contains("✓ UP"), "{row}");
    // Its run strip: one symbol per run, oldest first, each with its
    // status, start and duration on hover.
    assert!(
        row.contains("aria-label=\"last 2 runs, 1 failed\""),
        "{row}"
    );
    let strip = &row[row.find("class=\"run-strip\"").expect("run strip")..];
    let ok = strip.find(">✓<").expect("the completed run");
    let failed = strip.find(">✗<").expect("the failed run");
    assert!(ok < failed, "oldest first");
    assert!(
        strip.contains("title=\"failed: 20"),
        "status and start: {strip}"
    );
    assert!(html.contains("href=\"/jobs/db-dump\""));
    assert!(html.contains("href=\"/runs/th-2\""), "last run linked");
    // thumbnails: one completed, one failed of two ended runs.
    assert!(html.contains("50 %"), "success rate");
    assert!(
        html.contains("class=\"sparkline\""),
        "duration sparkline: {html}"
    );
    assert!(
        html.contains("<time datetime="),
        "times are machine-readable"
    );

    let filtered = page(&app, "/jobs?state=UP").await;
    assert!(filtered.contains("data-job=\"thumbnails\""));
    assert!(!filtered.contains("data-job=\"db-dump\""));
    let by_name = page(&app, "/jobs?text=DUMP").await;
    assert!(by_name.contains("data-job=\"db-dump\""));
    assert!(!by_name.contains("data-job=\"thumbnails\""));
    app.stop().await;
}

#[tokio::test]
async fn job_page_shows_policy_reason_transitions_alerts_and_durations() {
    let app = TestApp::spawn().await;
    seed_jobs(&app).await;
    let html = page(&app, "/jobs/db-dump").await;
    assert!(html.contains("Schedule: every 1h."), "{html}");
    assert!(html.contains("Grace: 60 s (1 min) before a late job is DOWN."));
    assert!(html.contains("Max runtime: 900 s (15 min)"));
    assert!(html.contains("MISSED"), "the open MISSED alert");
    assert!(html.contains("p50 "), "duration figures");
    assert!(html.contains("class=\"duration-chart\""));
    assert!(html.contains("href=\"/runs/dump-1\""), "runs table");

    let th = page(&app, "/jobs/thumbnails").await;
    assert!(th.contains("exit 3: &lt;no space&gt;"), "failure verbatim");
    assert!(th.contains("FAILURE"));
    let failed_run = th.find("data-run-id=\"th-2\"").unwrap();
    let ok_run = th.find("data-run-id=\"th-1\"").unwrap();
    assert!(failed_run < ok_run, "failed runs first");

    assert!(page(&app, "/jobs/nope").await.contains("No such job"));
    app.stop().await;
}

#[tokio::test]
async fn alerts_page_lists_open_alerts_and_closes_one_with_a_plain_form() {
    let app = TestApp::spawn().await;
    seed_jobs(&app).await;
    let html = page(&app, "/alerts").await;
    assert!(
        html.contains("FAILURE") && html.contains("MISSED"),
        "{html}"
    );
    assert!(html.contains("exit 3: &lt;no space&gt;"), "reason verbatim");
    // No recipient or webhook is set up: the page says nobody was told.
    assert!(
        html.contains("data-testid=\"alert-deliveries\"")
            && html.contains("\">none")
            && !html.contains("last notice"),
        "{html}"
    );
    assert!(
        html.contains("action=\"/api/alerts/close\""),
        "a plain form"
    );
    let only_failure = page(&app, "/alerts?type=FAILURE").await;
    assert!(
        !only_failure.contains("<td class=\"mono\">MISSED</td>"),
        "{only_failure}"
    );

    let (_, alerts) = app.get_json("/v1/alerts?type=FAILURE").await;
    let id = alerts["alerts"][0]["id"].as_i64().unwrap();
    // What a browser without JavaScript sends.
    let resp = app
        .client
        .post(app.url("/api/alerts/close"))
        .header("accept", "text/html")
        .header("referer", app.url("/alerts"))
        .form(&[
            ("id", id.to_string()),
            ("reason", "disk replaced".to_owned()),
        ])
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_redirection(), "{}", resp.status());
    let (_, after) = app.get_json("/v1/alerts?type=FAILURE").await;
    // By id: a later evaluation may open a new FAILURE for the still-failing job.
    let closed = after["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == id)
        .expect("the closed alert is listed");
    assert_eq!(closed["status"], "CLOSED");
    assert_eq!(closed["closeReason"], "disk replaced");
    let html = page(&app, "/alerts?type=FAILURE&status=CLOSED").await;
    assert!(html.contains("disk replaced"));
    assert!(
        !html.contains("name=\"reason\""),
        "no close form on a closed alert"
    );
    app.stop().await;
}

#[tokio::test]
async fn workers_page_lists_offline_workers_first() {
    let app = TestApp::spawn().await;
    let beat = |worker: &str, ago: i64, run: Option<&str>| {
        let mut e = event("worker.heartbeat", "beat");
        e["workerId"] = serde_json::json!(worker);
        e["jobName"] = serde_json::Value::Null;
        e["runId"] = serde_json::Value::Null;
        e["eventAt"] =
            serde_json::json!((chrono::Utc::now() - chrono::Duration::seconds(ago)).to_rfc3339());
        e["metadata"] = serde_json::json!({
            "hostname": format!("{worker}.farm"),
            "interval_seconds": 10,
            "current_run_id": run,
        });
        e
    };
    app.post_json(
        "/v1/events/batch",
        &serde_json::json!([
            beat("a-busy", 1, Some("r-9")),
            beat("b-idle", 1, None),
            beat("z-gone", 600, None),
        ]),
    )
    .await;
    let html = page(&app, "/workers").await;
    assert!(
        html.contains("3 workers: 1 offline, 1 busy, 1 idle"),
        "{html}"
    );
    let gone = html.find("data-worker=\"z-gone\"").unwrap();
    let busy = html.find("data-worker=\"a-busy\"").unwrap();
    let idle = html.find("data-worker=\"b-idle\"").unwrap();
    assert!(gone < busy && busy < idle, "offline, busy, idle");
    assert!(html.contains("href=\"/runs/r-9\""), "current run linked");
    assert!(html.contains("z-gone.farm"), "hostname");
    app.stop().await;
}

#[tokio::test]
async fn overview_shows_counts_then_failures_alerts_and_down_jobs() {
    let app = TestApp::spawn().await;
    seed_jobs(&app).await;
    let html = page(&app, "/").await;
    let counts = html.find("data-testid=\"counts\"").expect("counts");
    let failed = html.find("Failed runs").unwrap();
    let alerts = html.find("Open alerts</h2>").unwrap_or(usize::MAX);
    let broken = html.find("FAILING, DOWN and LATE jobs").unwrap();
    let throughput = html.find("Throughput, last hour").unwrap();
    let events = html.find("Latest events").unwrap();
    assert!(
        counts < failed && failed < broken && broken < throughput && throughput < events,
        "order: what is broken before the throughput chart"
    );
    assert!(
        html.contains("class=\"throughput-chart\""),
        "the chart is server-rendered SVG"
    );
    assert!(alerts != usize::MAX);
    assert!(html.contains("data-count=\"DOWN\""), "{html}");
    // Counted by health: thumbnails is FAILING, not UP.
    let count = |health: &str| {
        let at = html
            .find(&format!("data-count=\"{health}\""))
            .unwrap_or_else(|| panic!("{health} counted: {html}"));
        let dd = at + html[at..].find("<dd>").unwrap() + 4;
        html[dd..].split('<').next().unwrap().to_owned()
    };
    assert_eq!(count("FAILING"), "1");
    assert_eq!(count("UP"), "0");
    assert!(html.contains("href=\"/jobs/db-dump\""), "DOWN job listed");
    let failing = html[broken..]
        .find("href=\"/jobs/thumbnails\"")
        .map(|i| i + broken);
    let down = html[broken..]
        .find("href=\"/jobs/db-dump\"")
        .map(|i| i + broken);
    assert!(
        failing.unwrap() < down.unwrap(),
        "the FAILING job listed first"
    );
    assert!(html.contains("data-run-id=\"th-2\""), "failed run listed");
    // No scheduler has sent a heartbeat: no box saying "never seen".
    assert!(!html.contains("data-count=\"scheduler\""), "{html}");
    assert!(!html.contains("data-testid=\"welcome\""), "events exist");
    assert!(!html.to_lowercase().contains("all good"));
    app.stop().await;
}

/// A thousand failing jobs do not make a megabyte overview: it names the
/// first fifty broken jobs and counts the rest, with the way to them.
#[tokio::test]
async fn the_overview_names_fifty_broken_jobs_and_counts_the_rest() {
    let app = TestApp::spawn().await;
    let events: Vec<_> = (0..55)
        .flat_map(|i| {
            let job = format!("nas-copy-{i:02}");
            let run = format!("nas-{i:02}");
            [
                job_event("job.started", &job, &run, 60, serde_json::json!({})),
                job_event("job.failed", &job, &run, 30, serde_json::json!({})),
            ]
        })
        .chain([
            // Two failures in a row: first in failures-first order.
            job_event(
                "job.started",
                "nas-copy-54",
                "nas-54b",
                20,
                serde_json::json!({}),
            ),
            job_event(
                "job.failed",
                "nas-copy-54",
                "nas-54b",
                10,
                serde_json::json!({}),
            ),
        ])
        .collect();
    let (status, body) = app
        .post_json("/v1/events/batch", &serde_json::json!(events))
        .await;
    assert_eq!(status, 200, "{body}");
    for _ in 0..500 {
        let (_, summary) = app.get_json("/v1/status/summary").await;
        if summary["jobsByHealth"]["FAILING"] == 55 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let html = page(&app, "/").await;
    let broken = &html[html.find("FAILING, DOWN and LATE jobs").unwrap()..];
    let list = &broken[..broken.find("</ul>").unwrap()];
    assert_eq!(list.matches("<li").count(), Overview::BROKEN_JOBS, "{list}");
    assert!(broken.contains("and 5 more: "), "{broken}");
    // Failures first, then by name: nas-copy-54, nas-copy-00 … nas-copy-48.
    let first = list
        .find("nas-copy-54")
        .expect("the job failing twice is listed");
    assert!(first < list.find("nas-copy-00").expect("{list}"), "{list}");
    assert!(
        list.contains("nas-copy-48") && !list.contains("nas-copy-49"),
        "{list}"
    );
    app.stop().await;
}

/// Run statistics: totals by engine and worker, the failure rate, and a
/// day-by-day chart with its figures as text; `?job=` narrows it.
#[tokio::test]
async fn statistics_page_counts_by_engine_worker_and_day() {
    let app = TestApp::spawn().await;
    seed_jobs(&app).await;
    let html = page(&app, "/statistics").await;
    assert!(
        html.contains("3 runs; failure rate 33 %"),
        "db-dump's run and thumbnails' two: {html}"
    );
    assert!(
        html.contains("class=\"trend-chart\""),
        "server-rendered SVG"
    );
    assert_eq!(
        html.matches("data-day=").count(),
        14,
        "every day of two weeks"
    );
    let by_engine = &html[html.find("data-testid=\"by-engine\"").expect("{html}")..];
    assert!(by_engine.contains(">unknown<"), "{by_engine}");
    let html = page(&app, "/statistics?job=thumbnails&days=3").await;
    assert!(html.contains("2 runs; failure rate 50 %"), "{html}");
    assert_eq!(html.matches("data-day=").count(), 3);
    app.stop().await;
}

/// A new install says how to send the first event, for the address it was
/// asked at, and says it no more once one has arrived.
#[tokio::test]
async fn an_empty_install_welcomes_with_snippets_until_the_first_event() {
    let app = TestApp::spawn().await;
    let html = page(&app, "/").await;
    let welcome = html.find("data-testid=\"welcome\"").expect("{html}");
    let origin = app.url("");
    let origin = origin.trim_end_matches('/');
    assert!(
        html[welcome..].contains(&format!("curl -s {origin}/v1/events")),
        "curl for this server: {html}"
    );
    assert!(html.contains(&format!("TELLTALE_URL={origin} telltale run")));
    assert!(
        html.contains(&format!("{origin}/v1/events&quot;"))
            || html.contains(&format!("\"{origin}/v1/events\""))
    );
    app.post_json("/v1/events", &event("job.completed", "hello"))
        .await;
    let html = page(&app, "/").await;
    assert!(!html.contains("data-testid=\"welcome\""), "{html}");
    app.stop().await;
}

/// Pages keep rendering while other servers start in the same process:
/// generating a server's route list once made any page rendered at that
/// moment wait forever (leptos #4773), and the request timed out with a 503.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pages_render_while_other_servers_start_in_the_process() {
    let app = std::sync::Arc::new(TestApp::spawn().await);
    seed_jobs(&app).await;
    let starting = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let renders: Vec<_> = (0..4)
        .map(|_| {
            let (app, starting) = (app.clone(), starting.clone());
            tokio::spawn(async move {
                while starting.load(std::sync::atomic::Ordering::Relaxed) {
                    let rendered = tokio::time::timeout(
                        std::time::Duration::from_secs(10),
                        page(&app, "/alerts"),
                    )
                    .await;
                    assert!(rendered.is_ok(), "/alerts not rendered within 10 s");
                }
            })
        })
        .collect();
    for _ in 0..12 {
        let starts: Vec<_> = (0..3)
            .map(|_| tokio::spawn(async { TestApp::spawn().await.stop().await }))
            .collect();
        for start in starts {
            start.await.expect("a server started and stopped");
        }
    }
    starting.store(false, std::sync::atomic::Ordering::Relaxed);
    for render in renders {
        render.await.expect("every render finished in time");
    }
}

/// A page's own answer (its Content-Security-Policy naming its nonce, its
/// status) stays its own while the browser fetches the site's files beside
/// it. leptos_axum's file handler used to hand a file the `ResponseOptions`
/// of a page rendering at the same time on that thread: with the split
/// bundle (a hundred `.wasm` chunks per page) pages came back with the
/// files' strict policy, and the browser refused their stylesheet.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_keep_their_headers_while_files_are_fetched_alongside() {
    let site = tempfile::tempdir().unwrap();
    std::fs::create_dir(site.path().join("pkg")).unwrap();
    for n in 0..40 {
        let chunk = vec![n as u8; 32 * 1024];
        std::fs::write(site.path().join(format!("pkg/chunk_{n}.wasm")), chunk).unwrap();
    }
    let root = site.path().display().to_string();
    let app = TestApp::spawn_with(&[("MONITOR_SITE_ROOT", &root)]).await;
    app.post_json("/v1/events", &event("job.started", "render began"))
        .await;

    let page = |path: &'static str| {
        let (client, url) = (app.client.clone(), app.url(path));
        tokio::spawn(async move {
            let resp = client.get(url).send().await.unwrap();
            let csp = resp.headers()["content-security-policy"]
                .to_str()
                .unwrap()
                .to_owned();
            (
                path,
                resp.status().as_u16(),
                csp,
                resp.text().await.unwrap(),
            )
        })
    };
    let file = |n: usize| {
        let (client, url) = (app.client.clone(), app.url(&format!("/pkg/chunk_{n}.wasm")));
        tokio::spawn(async move {
            let resp = client.get(url).send().await.unwrap();
            let status = resp.status().as_u16();
            let csp = resp.headers()["content-security-policy"]
                .to_str()
                .unwrap()
                .to_owned();
            let kind = resp.headers()["content-type"].to_str().unwrap().to_owned();
            (n, status, csp, kind, resp.bytes().await.unwrap().len())
        })
    };
    let mut pages = Vec::new();
    let mut files = Vec::new();
    for round in 0..30 {
        pages.push(page(
            ["/", "/events", "/jobs", "/runs", "/no-such-page"][round % 5],
        ));
        files.extend((0..40).map(file));
    }
    for handle in pages {
        let (path, status, csp, html) = handle.await.unwrap();
        let expected = if path == "/no-such-page" { 404 } else { 200 };
        assert_eq!(status, expected, "{path}");
        assert!(csp.contains("script-src 'self' 'nonce-"), "{path}: {csp}");
        let nonce = csp_nonce(&csp).expect("a nonce in the policy");
        assert!(
            html.contains(&format!("nonce=\"{nonce}\"")),
            "{path}: its own nonce"
        );
    }
    for handle in files {
        let (n, status, csp, kind, len) = handle.await.unwrap();
        assert_eq!((status, len), (200, 32 * 1024), "chunk {n}");
        assert_eq!(kind, "application/wasm", "chunk {n}");
        assert!(
            !csp.contains("nonce"),
            "chunk {n} took a page's policy: {csp}"
        );
    }

    // A file is only read; anything else at its path is refused, not served.
    let post = app
        .client
        .post(app.url("/pkg/chunk_1.wasm"))
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), 405);
    assert_eq!(post.headers()["allow"], "GET, HEAD");
    app.stop().await;
}
