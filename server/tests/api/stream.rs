//! `/v1/stream`: what changed, pushed as Server-Sent Events.

use std::time::Duration;

use crate::helpers::{TestApp, event};
use crate::sse::read_until;

#[tokio::test]
async fn an_ingested_event_is_announced_on_the_stream_and_shutdown_ends_it() {
    let app = TestApp::spawn().await;
    let mut stream = app.client.get(app.url("/v1/stream")).send().await.unwrap();
    assert_eq!(stream.status(), 200);
    assert_eq!(stream.headers()["content-type"], "text/event-stream");

    let mut failed = event("job.failed", "exit 1");
    failed["metadata"] = serde_json::json!({"failure_reason": "exit 1"});
    app.post_json("/v1/events", &failed).await;
    let seen = read_until(&mut stream, "event: alerts", Duration::from_secs(5)).await;
    for name in ["events", "runs", "jobs", "workers"] {
        assert!(
            seen.contains(&format!("event: {name}\n")),
            "{name} in {seen}"
        );
    }
    // A server with a browser still listening stops anyway.
    tokio::time::timeout(Duration::from_secs(10), app.stop())
        .await
        .expect("graceful shutdown does not wait for open streams");
}

#[tokio::test]
async fn the_stream_needs_the_api_key_like_the_rest_of_the_api() {
    let app = TestApp::spawn_with(&[("MONITOR_API_KEY", "sekrit-key-0123456789")]).await;
    let refused = app.client.get(app.url("/v1/stream")).send().await.unwrap();
    assert_eq!(refused.status(), 401);
    let allowed = app
        .client
        .get(app.url("/v1/stream"))
        .header("x-api-key", "sekrit-key-0123456789")
        .send()
        .await
        .unwrap();
    assert_eq!(allowed.status(), 200);
    drop(allowed);
    app.stop().await;
}
