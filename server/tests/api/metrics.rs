//! `GET /metrics`: after known traffic the counters hold the known numbers,
//! each server counts only its own traffic, and access follows the read
//! API or `MONITOR_METRICS_TOKEN`.

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, auth_on_with, event};
use crate::receivers::http::{Answer, HookReceiver};

const TOKEN: &str = "prometheus-scrape-0123456789";
const ENV_KEY: &str = "env-key-0123456789abcdef";
const HOOK_SECRET: &str = "whsec_metrics_test_0123456789";

type Labels = BTreeMap<String, String>;

/// One scrape, parsed: `name` → every sample as (labels, value).
struct Scrape {
    samples: BTreeMap<String, Vec<(Labels, f64)>>,
    text: String,
}

impl Scrape {
    fn parse(text: String) -> Scrape {
        let mut samples: BTreeMap<String, Vec<_>> = BTreeMap::new();
        for line in text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
        {
            let (series, value) = line.rsplit_once(' ').expect("name value");
            let value: f64 = value.parse().expect("a number");
            let (name, labels) = match series.split_once('{') {
                Some((name, rest)) => (name, rest.trim_end_matches('}')),
                None => (series, ""),
            };
            let labels = labels
                .split(',')
                .filter(|p| !p.is_empty())
                .map(|pair| {
                    let (k, v) = pair.split_once('=').expect("label=value");
                    (k.to_owned(), v.trim_matches('"').to_owned())
                })
                .collect();
            samples
                .entry(name.to_owned())
                .or_default()
                .push((labels, value));
        }
        Scrape { samples, text }
    }

    /// The sample of `name` whose labels are exactly `labels`.
    fn get(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let want: Labels = labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        self.samples
            .get(name)?
            .iter()
            .find(|(l, _)| *l == want)
            .map(|(_, v)| *v)
    }

    fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.get(name, labels)
            .unwrap_or_else(|| panic!("no {name} {labels:?} in:\n{}", self.text))
    }
}

async fn scrape(app: &TestApp) -> Scrape {
    let resp = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    Scrape::parse(resp.text().await.unwrap())
}

/// Scrapes until `done` holds (background loops count a moment later).
async fn scrape_until(app: &TestApp, what: &str, done: impl Fn(&Scrape) -> bool) -> Scrape {
    for _ in 0..100 {
        let s = scrape(app).await;
        if done(&s) {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

fn with_id(mut e: Value, id: &str) -> Value {
    e["eventId"] = json!(id);
    e
}

#[tokio::test]
async fn after_known_traffic_the_counters_hold_the_known_numbers() {
    let hook = HookReceiver::start(HOOK_SECRET).await;
    let app = TestApp::spawn_with(&[("MONITOR_DELIVERY_BACKOFF_SECONDS", "1")]).await;
    let (status, _) = app
        .post_json(
            "/v1/settings/alerts/webhooks",
            &json!({"name": "pager", "url": hook.url(), "enabledAlertTypes": ["FAILURE"], "secret": HOOK_SECRET}),
        )
        .await;
    assert_eq!(status, 201);
    // The receiver is down for the first attempt: one retry, then sent.
    hook.script([Answer::Status(503)]);

    // One event, then a batch of 5: a repeat of it, a failure that ends
    // the run, a log line, a bad level and a missing message.
    let (status, body) = app
        .post_json("/v1/events", &with_id(event("job.started", "go"), "s1"))
        .await;
    assert_eq!((status, &body["inserted"]), (200, &json!(1)), "{body}");
    let mut failed = with_id(event("job.failed", "exit 2: disk full"), "f1");
    failed["metadata"] = json!({"failure_reason": "exit 2: disk full"});
    let mut bad_level = event("log", "x");
    bad_level["level"] = json!("loud");
    let mut no_message = event("log", "x");
    no_message.as_object_mut().unwrap().remove("message");
    let (status, body) = app
        .post_json(
            "/v1/events/batch",
            &json!([
                with_id(event("job.started", "go"), "s1"),
                failed,
                with_id(event("log", "50%"), "l1"),
                bad_level,
                no_message
            ]),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (&body["inserted"], &body["duplicates"]),
        (&json!(2), &json!(1)),
        "{body}"
    );
    // A single event refused: 400 naming eventType.
    let mut no_type = event("x", "x");
    no_type.as_object_mut().unwrap().remove("eventType");
    let (status, _) = app.post_json("/v1/events", &no_type).await;
    assert_eq!(status, 400);

    const N: usize = 7;
    for _ in 0..N {
        let (status, _) = app.get_json("/v1/runs").await;
        assert_eq!(status, 200);
    }
    let (status, _) = app.get_json("/v1/runs/run-1").await;
    assert_eq!(status, 200);
    let (status, _) = app.get_json("/v1/runs/no-such-run").await;
    assert_eq!(status, 404);

    // The failure opens a FAILURE alert; its webhook fails once, then goes.
    let m = scrape_until(&app, "the webhook delivered", |s| {
        s.get(
            "telltale_delivery_attempts_total",
            &[("channel", "webhook"), ("outcome", "sent")],
        ) == Some(1.0)
    })
    .await;
    assert_eq!(hook.accepted().len(), 1);

    assert_eq!(
        m.value("telltale_ingest_events_total", &[("outcome", "inserted")]),
        3.0
    );
    assert_eq!(
        m.value("telltale_ingest_events_total", &[("outcome", "duplicate")]),
        1.0
    );
    for reason in ["level", "message", "eventType"] {
        assert_eq!(
            m.value(
                "telltale_ingest_events_dropped_total",
                &[("reason", reason)]
            ),
            1.0,
            "{reason}"
        );
    }
    assert_eq!(
        m.samples["telltale_ingest_events_dropped_total"].len(),
        3,
        "only the reasons seen"
    );

    let runs = [("method", "GET"), ("route", "/v1/runs"), ("status", "2xx")];
    assert_eq!(
        m.value("telltale_http_request_duration_seconds_count", &runs),
        N as f64
    );
    let mut inf = runs.to_vec();
    inf.push(("le", "+Inf"));
    assert_eq!(
        m.value("telltale_http_request_duration_seconds_bucket", &inf),
        N as f64
    );
    let buckets = m.samples["telltale_http_request_duration_seconds_bucket"]
        .iter()
        .filter(|(l, _)| l.get("route").map(String::as_str) == Some("/v1/runs"))
        .count();
    assert_eq!(buckets, 15, "14 bounds and +Inf");
    // The pattern, never the run id.
    for status in ["2xx", "4xx"] {
        assert_eq!(
            m.value(
                "telltale_http_request_duration_seconds_count",
                &[
                    ("method", "GET"),
                    ("route", "/v1/runs/{run_id}"),
                    ("status", status)
                ]
            ),
            1.0
        );
    }
    assert!(!m.text.contains("run-1") && !m.text.contains("no-such-run"));
    assert_eq!(
        m.value(
            "telltale_http_request_duration_seconds_count",
            &[
                ("method", "POST"),
                ("route", "/v1/events/batch"),
                ("status", "2xx")
            ]
        ),
        1.0
    );

    assert_eq!(m.value("telltale_alerts_open", &[("type", "FAILURE")]), 1.0);
    assert_eq!(m.value("telltale_alerts_open", &[("type", "MISSED")]), 0.0);
    assert_eq!(m.value("telltale_checks", &[("state", "UP")]), 1.0);
    assert_eq!(m.value("telltale_checks", &[("state", "DOWN")]), 0.0);
    // Which version answers, for dashboards that span an upgrade.
    assert_eq!(
        m.value(
            "telltale_build_info",
            &[("version", env!("CARGO_PKG_VERSION"))]
        ),
        1.0
    );
    // The process's own figures, unprefixed as every client library names them.
    for name in [
        "process_resident_memory_bytes",
        "process_open_fds",
        "process_start_time_seconds",
    ] {
        assert!(m.value(name, &[]) > 0.0, "{name}");
    }
    assert!(
        m.text.contains("# TYPE process_cpu_seconds_total counter"),
        "{}",
        m.text
    );
    assert!(m.value("process_cpu_seconds_total", &[]) > 0.0);
    // That UP job's FAILURE is open: by health it is FAILING, not UP.
    assert_eq!(m.value("telltale_job_health", &[("state", "FAILING")]), 1.0);
    assert_eq!(m.value("telltale_job_health", &[("state", "UP")]), 0.0);
    let workers: f64 = m.samples["telltale_workers"].iter().map(|(_, v)| v).sum();
    assert_eq!(
        m.samples["telltale_workers"].len(),
        3,
        "busy, idle, offline"
    );
    assert!(workers <= 1.0);
    assert_eq!(
        m.value(
            "telltale_delivery_attempts_total",
            &[("channel", "webhook"), ("outcome", "retry")]
        ),
        1.0
    );
    assert_eq!(
        m.value(
            "telltale_delivery_attempts_total",
            &[("channel", "email"), ("outcome", "failed")]
        ),
        0.0
    );
    assert!(m.value("telltale_evaluator_tick_duration_seconds_count", &[]) >= 1.0);
    assert_eq!(m.value("telltale_leader", &[]), 1.0);
    assert_eq!(m.value("telltale_database_up", &[]), 1.0);
    let max = f64::from(telltale_store::sqlite_pool_size());
    assert!(max >= 4.0, "{max}");
    assert_eq!(m.value("telltale_db_pool_max_connections", &[]), max);
    let open = m.value("telltale_db_pool_connections", &[("state", "in_use")])
        + m.value("telltale_db_pool_connections", &[("state", "idle")]);
    assert!((1.0..=max).contains(&open), "{open}");

    // A second server in this process counts only its own traffic; the
    // database gauges are its database's.
    let other = TestApp::spawn().await;
    let fresh = scrape(&other).await;
    assert_eq!(
        fresh.value("telltale_ingest_events_total", &[("outcome", "inserted")]),
        0.0
    );
    assert_eq!(
        fresh.get("telltale_http_request_duration_seconds_count", &runs),
        None
    );
    assert_eq!(
        fresh.value("telltale_alerts_open", &[("type", "FAILURE")]),
        0.0
    );
    other.stop().await;
    app.stop().await;
}

#[tokio::test]
async fn metrics_are_read_with_a_session_a_read_key_or_the_metrics_token() {
    let app = TestApp::spawn_with(&auth_on_with(&[
        ("MONITOR_API_KEY", ENV_KEY),
        ("MONITOR_METRICS_TOKEN", TOKEN),
    ]))
    .await;
    let admin = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let key = |scope: &'static str| {
        let app = &app;
        let admin = admin.clone();
        async move {
            let resp = app
                .as_browser(Method::POST, "/v1/settings/api-keys", &admin)
                .json(&json!({ "name": format!("{scope} key"), "scope": scope }))
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 201);
            let body: Value = resp.json().await.unwrap();
            body["secret"].as_str().unwrap().to_owned()
        }
    };
    let read = key("read").await;
    let ingest = key("ingest").await;

    let get = |header: Option<(&'static str, String)>| {
        let mut request = app.client.get(app.url("/metrics"));
        if let Some((name, value)) = header {
            request = request.header(name, value);
        }
        request.send()
    };
    let cases = [
        ("nobody", None, 401),
        ("a session", Some(("cookie", admin.clone())), 200),
        ("a read key", Some(("x-api-key", read)), 200),
        (
            "MONITOR_API_KEY",
            Some(("x-api-key", ENV_KEY.to_owned())),
            200,
        ),
        ("an ingest key", Some(("x-api-key", ingest)), 403),
        (
            "the metrics token",
            Some(("authorization", format!("Bearer {TOKEN}"))),
            200,
        ),
        (
            "a wrong token",
            Some(("authorization", format!("Bearer {TOKEN}x"))),
            401,
        ),
        (
            "the token as an API key",
            Some(("x-api-key", TOKEN.to_owned())),
            401,
        ),
    ];
    for (who, header, want) in cases {
        let resp = get(header).await.unwrap();
        assert_eq!(resp.status().as_u16(), want, "{who}");
        if want == 401 {
            let body: Value = resp.json().await.unwrap();
            assert_eq!(body["error"]["code"], "unauthorized", "{who}");
        }
    }
    // The token opens /metrics alone.
    let resp = app
        .client
        .get(app.url("/v1/runs"))
        .header("authorization", format!("Bearer {TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    app.stop().await;
}

#[tokio::test]
async fn with_auth_off_metrics_are_open_like_the_read_api() {
    let open = TestApp::spawn().await;
    scrape(&open).await;
    open.stop().await;

    let keyed = TestApp::spawn_with(&[
        ("MONITOR_API_KEY", ENV_KEY),
        ("MONITOR_METRICS_TOKEN", TOKEN),
    ])
    .await;
    let status = |header: Option<(&'static str, String)>| {
        let mut request = keyed.client.get(keyed.url("/metrics"));
        if let Some((name, value)) = header {
            request = request.header(name, value);
        }
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(status(None).await, 401);
    assert_eq!(status(Some(("x-api-key", ENV_KEY.to_owned()))).await, 200);
    assert_eq!(
        status(Some(("authorization", format!("Bearer {TOKEN}")))).await,
        200
    );
    assert_eq!(
        status(Some((
            "authorization",
            "Bearer wrong-token-0123456789".into()
        )))
        .await,
        401
    );
    keyed.stop().await;
}

/// Retention runs on the server's clock: a month and more later, what was
/// stored is pruned, a run in progress stays, and `/metrics` counts it.
#[tokio::test]
async fn retention_prunes_by_the_servers_clock_and_counts_what_went() {
    use std::sync::Arc;
    use telltale_server::engine::ManualClock;
    let start = chrono::Utc::now();
    let clock = Arc::new(ManualClock::new(start));
    let app = TestApp::spawn_with_clock(
        &[
            ("MONITOR_RETENTION_DAYS", "30"),
            ("MONITOR_RETENTION_INTERVAL_SECONDS", "1"),
        ],
        clock.clone(),
    )
    .await;
    let at = start.to_rfc3339();
    let events = json!([
        {"sourceType": "worker", "level": "info", "eventType": "job.started",
         "message": "s", "jobName": "old", "runId": "old-1", "eventAt": at},
        {"sourceType": "worker", "level": "info", "eventType": "job.completed",
         "message": "c", "jobName": "old", "runId": "old-1", "eventAt": at},
        {"sourceType": "worker", "level": "info", "eventType": "job.started",
         "message": "s", "jobName": "old", "runId": "still-running", "eventAt": at},
    ]);
    let (status, _) = app.post_json("/v1/events/batch", &events).await;
    assert_eq!(status, 200);
    clock.set(start + chrono::Duration::days(31));
    let s = scrape_until(&app, "retention's counts", |s| {
        s.get("telltale_retention_pruned_rows_total", &[("table", "runs")]) == Some(1.0)
    })
    .await;
    assert_eq!(
        s.value(
            "telltale_retention_pruned_rows_total",
            &[("table", "events")]
        ),
        3.0
    );
    let (status, _) = app.get_json("/v1/runs/old-1").await;
    assert_eq!(status, 404, "the ended run went");
    let (status, run) = app.get_json("/v1/runs/still-running").await;
    assert_eq!(status, 200, "the run in progress stays: {run}");
    app.stop().await;
}
