//! The pages as a browser without JavaScript gets them: rendered on the server.

use crate::helpers::{TestApp, event};

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
        .get(app.url("/events?q=alpha"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("1 of 2 events"), "{html}");
    assert!(html.contains("alpha"));
    assert!(!html.contains(">beta<"));
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
