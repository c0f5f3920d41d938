//! The dashboard's edge, as a browser meets it: server functions answer
//! with one typed error, the overview is one call, and every listing takes
//! its query parameters in one style.

use serde_json::{Value, json};

use crate::helpers::{TestApp, event};
use crate::pages::seed_jobs;

/// Calls a server function the way the hydrated page does (form-encoded);
/// the status and the JSON answer.
async fn call(app: &TestApp, endpoint: &str, form: &str) -> (u16, Value) {
    let resp = app
        .as_browser(reqwest::Method::POST, &format!("/api/{endpoint}"), "")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.to_owned())
        .send()
        .await
        .expect("request");
    let status = resp.status().as_u16();
    let text = resp.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    (status, body)
}

#[tokio::test]
async fn a_missing_thing_is_a_typed_not_found_that_names_it() {
    let app = TestApp::spawn().await;
    let (status, body) = call(&app, "alerts/detail", "id=4242").await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(
        body,
        json!({"kind": "not_found", "resource": "alert", "id": "4242"})
    );
    let (_, body) = call(&app, "delivery/test-webhook", "id=7").await;
    assert_eq!(
        body["resource"], "webhook",
        "not a missing endpoint: {body}"
    );
    let (status, body) = call(&app, "status/job", "name=nope").await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["kind"], "not_found");
    assert_eq!(body["resource"], "job");

    // The page renders the typed error's words.
    let html = app.page("/alerts/4242").await;
    assert!(html.contains("No such alert"), "{html}");
    assert!(html.contains("no alert 4242"), "{html}");
    let html = app.page("/alerts/not-a-number").await;
    assert!(html.contains("no alert not-a-number"), "{html}");
    app.stop().await;
}

#[tokio::test]
async fn bad_input_names_the_field() {
    let app = TestApp::spawn().await;
    let (status, body) = call(
        &app,
        "delivery/add-webhook",
        "name=x&url=http%3A%2F%2Fexample.com&format=morse",
    )
    .await;
    // The caller's mistake, not the server's: a 400, as over the REST API.
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["kind"], "bad_input");
    assert_eq!(body["field"], "format");
    // An argument Leptos cannot decode is typed the same way.
    let (status, body) = call(&app, "alerts/detail", "id=seven").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["kind"], "bad_input", "{body}");
    app.stop().await;
}

#[tokio::test]
async fn the_overview_is_one_call_with_the_right_counts() {
    let app = TestApp::spawn().await;
    seed_jobs(&app).await;
    let (status, o) = call(&app, "status/overview", "").await;
    assert_eq!(status, 200, "{o}");

    let summary = &o["summary"];
    assert_eq!(summary["jobsByCheckState"]["DOWN"], 1, "{summary}");
    assert_eq!(summary["openAlertsByType"]["FAILURE"], 1, "{summary}");
    assert_eq!(summary["runsByStatus"]["failed"], 1, "{summary}");

    let failed: Vec<&str> = o["failedRuns"]
        .as_array()
        .expect("failedRuns")
        .iter()
        .filter_map(|r| r["runId"].as_str())
        .collect();
    assert_eq!(failed, ["th-2"]);
    // Every open alert the counts know of (the DOWN job's MISSED too).
    let alerts = o["openAlerts"].as_array().expect("openAlerts");
    let open: u64 = summary["openAlertsByType"]
        .as_object()
        .expect("openAlertsByType")
        .values()
        .filter_map(Value::as_u64)
        .sum();
    assert_eq!(alerts.len() as u64, open, "{summary}");
    assert!(
        alerts
            .iter()
            .any(|a| a["jobName"] == "thumbnails" && a["alertType"] == "FAILURE"),
        "{alerts:?}"
    );
    let broken: Vec<(&str, &str)> = o["brokenJobs"]
        .as_array()
        .expect("brokenJobs")
        .iter()
        .filter_map(|j| Some((j["name"].as_str()?, j["checkState"].as_str()?)))
        .collect();
    // thumbnails runs on time but its FAILURE is open: FAILING, listed
    // first; db-dump is DOWN.
    assert_eq!(broken, [("thumbnails", "UP"), ("db-dump", "DOWN")]);
    assert_eq!(o["brokenJobs"][0]["health"], "FAILING");
    // Each carries its line (since when it is DOWN), not the job's whole
    // policy: the page's answer stays small with fifty of them.
    assert!(o["brokenJobs"][1]["checkStateSince"].is_string(), "{o}");
    assert!(o["brokenJobs"][1].get("policy").is_none(), "{o}");
    let received: u64 = o["throughput"]["counts"]
        .as_array()
        .expect("counts")
        .iter()
        .filter_map(Value::as_u64)
        .sum();
    assert!(
        received >= 6,
        "the six events arrived this hour: {received}"
    );
    let latest = o["latestEvents"].as_array().expect("latestEvents");
    assert!((6..=20).contains(&latest.len()), "{}", latest.len());

    // The jobs page counts and marks the same jobs, filtered or not.
    for (text, total, failing, down) in [("", 0, 1, 1), ("THUMB", 1, 1, 0), ("db-", 1, 0, 1)] {
        let (status, page) = call(&app, "status/job-overviews", &format!("text={text}")).await;
        assert_eq!(status, 200, "{page}");
        if !text.is_empty() {
            assert_eq!(page["total"], total, "{text}: {page}");
        }
        assert_eq!(
            (&page["failing"], &page["down"]),
            (&json!(failing), &json!(down)),
            "{text}: {page}"
        );
        for job in page["jobs"].as_array().expect("jobs") {
            let expected = if job["name"] == "thumbnails" {
                "FAILING"
            } else {
                ""
            };
            if !expected.is_empty() {
                assert_eq!(job["health"], expected, "{job}");
            }
        }
    }

    // The same numbers as the REST summary.
    let (_, rest) = app.get_json("/v1/status/summary").await;
    assert_eq!(rest["jobsByCheckState"], summary["jobsByCheckState"]);
    assert_eq!(rest["openAlertsByType"], summary["openAlertsByType"]);
    app.stop().await;
}

#[tokio::test]
async fn every_listing_takes_one_style_and_refuses_the_retired_spellings() {
    let app = TestApp::spawn().await;
    let (status, body) = app
        .post_json("/v1/events", &event("job.started", "go"))
        .await;
    assert_eq!(status, 200, "{body}");
    for (path, old, new) in [
        ("/v1/events?jobName=nightly-proxy-render", "jobName", "job"),
        ("/v1/events?runId=run-1", "runId", "run"),
        ("/v1/runs?workerId=farm-01", "workerId", "worker"),
        ("/v1/runs?q=run", "q", "text"),
        ("/v1/status/jobs?q=nightly", "q", "text"),
        ("/v1/alerts?alertType=FAILURE", "alertType", "type"),
        (
            "/v1/export/events.ndjson?eventType=job.started",
            "eventType",
            "type",
        ),
    ] {
        let (status, body) = app.get_json(path).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert_eq!(body["error"]["field"], old, "{path}: {body}");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(&format!("`{new}`")), "{path}: {message}");
    }
    // The one style, and Forge's documented `job_id`, filter.
    for path in [
        "/v1/events?job=nightly-proxy-render",
        "/v1/events?run=run-1",
        "/v1/events?job_id=run-1",
    ] {
        let (status, body) = app.get_json(path).await;
        assert_eq!(status, 200, "{path}: {body}");
        assert_eq!(body["events"].as_array().map(Vec::len), Some(1), "{path}");
    }
    // Who sent it: the source filter, and a wrong one named.
    let (_, worker) = app.get_json("/v1/events?source=worker").await;
    assert_eq!(
        worker["events"].as_array().map(Vec::len),
        Some(1),
        "{worker}"
    );
    let (_, chief) = app.get_json("/v1/events?source=chief").await;
    assert_eq!(chief["events"].as_array().map(Vec::len), Some(0), "{chief}");
    let (status, body) = app.get_json("/v1/events?source=cron").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["field"], "source", "{body}");
    let (status, body) = app.get_json("/v1/runs?order=sideways").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["field"], "order", "{body}");
    let (status, _) = app.get_json("/v1/runs?order=failures_first").await;
    assert_eq!(status, 200);
    let (_, runs) = app.get_json("/v1/runs?worker=farm-01&text=run").await;
    assert_eq!(runs["runs"].as_array().map(Vec::len), Some(1), "{runs}");
    let (_, jobs) = app.get_json("/v1/status/jobs?text=nightly").await;
    assert_eq!(jobs["jobs"].as_array().map(Vec::len), Some(1), "{jobs}");
    app.stop().await;
}

/// Every answer carries a request id: the client's own when it sent one
/// (so its logs and ours meet), else a new UUID; refusals and errors too.
#[tokio::test]
async fn every_answer_carries_a_request_id() {
    let app = TestApp::spawn().await;
    let resp = app.client.get(app.url("/v1/health")).send().await.unwrap();
    let id = resp.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(id.len(), 36, "a UUID: {id}");
    assert_eq!(id.matches('-').count(), 4, "a UUID: {id}");
    let again = app.client.get(app.url("/v1/health")).send().await.unwrap();
    assert_ne!(
        again.headers()["x-request-id"],
        id.as_str(),
        "one per request"
    );

    let resp = app
        .client
        .get(app.url("/v1/events?level=loud"))
        .header("x-request-id", "cron-host-7:run-42")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert_eq!(resp.headers()["x-request-id"], "cron-host-7:run-42");
    let resp = app
        .client
        .get(app.url("/no/such/page"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    assert!(resp.headers().contains_key("x-request-id"));
    app.stop().await;
}

/// The sections a server function renders to HTML are in the page once: the
/// value sent beside the page for hydration leaves their markup out, and
/// the server function answers it whole for the browser's later reads.
#[tokio::test]
async fn server_rendered_sections_are_sent_once_and_answered_whole() {
    let app = TestApp::spawn().await;
    seed_jobs(&app).await;
    let html = app.page("/").await;
    assert_eq!(
        html.matches("latest-events").count(),
        1,
        "the overview's markup, once: {html}"
    );
    assert!(html.contains("thumbnails"), "{html}");

    let (status, markup) = call(&app, "status/overview-html", "").await;
    assert_eq!(status, 200, "{markup}");
    let markup = markup.as_str().expect("the markup, as a string");
    assert!(
        markup.contains(r#"data-testid="latest-events""#),
        "{markup}"
    );
    assert!(markup.contains("thumbnails"), "{markup}");

    // The job page: its view of the job and its forms, the same way.
    let html = app.page("/jobs/thumbnails").await;
    assert_eq!(html.matches("Failures in a row").count(), 1, "{html}");
    assert_eq!(html.matches("Edit the policy").count(), 1, "{html}");
    let (_, markup) = call(&app, "status/job-html", "name=thumbnails").await;
    assert!(
        markup
            .as_str()
            .is_some_and(|m| m.contains(r#"data-testid="policy""#)),
        "{markup}"
    );

    // The settings page: each section and its forms, the same way.
    let html = app.page("/settings").await;
    for form in ["Add channel", "Add window", "Create key", "Add user"] {
        assert_eq!(html.matches(form).count(), 1, "{form}: {html}");
    }
    for (endpoint, form) in [
        ("delivery/channels-html", "add-webhook"),
        ("delivery/email-html", "email-settings"),
        ("maintenance/html", "maintenance-form"),
        ("settings/keys-html", "/api/settings/create-key"),
        ("settings/users-html", "/api/settings/add-user"),
    ] {
        let (status, markup) = call(&app, endpoint, "").await;
        assert_eq!(status, 200, "{endpoint}: {markup}");
        assert!(
            markup.as_str().is_some_and(|m| m.contains(form)),
            "{endpoint}: {markup}"
        );
    }
    app.stop().await;
}
