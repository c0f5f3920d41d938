//! Arbitrary bytes at the parsers a stranger can reach — login and ingest —
//! are answered 4xx: never a 5xx, never a panic (a panic would drop the
//! connection and fail the request).

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

use crate::helpers::{TestApp, auth_on_with};

const KEY: &str = "fuzz-key-0123456789abcdef";

fn bodies() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..400),
        // Near misses: JSON and form shapes with arbitrary values.
        "\\{\"[a-zA-Z]{0,10}\": ?.{0,40}\\}".prop_map(String::into_bytes),
        "\\{\"email\": ?.{0,30}, ?\"password\": ?.{0,30}\\}".prop_map(String::into_bytes),
        "email=.{0,30}&password=.{0,30}(&next=.{0,30})?".prop_map(String::into_bytes),
        "\\[(\\{.{0,30}\\},?){0,4}\\]".prop_map(String::into_bytes),
    ]
}

fn content_types() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        Just("application/json"),
        Just("application/x-www-form-urlencoded"),
        Just("text/plain"),
        Just("application/json; charset=utf-16"),
        Just("multipart/form-data; boundary=x"),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_and_ingest_answer_arbitrary_bytes_with_a_4xx() {
    let app = TestApp::spawn_with(&auth_on_with(&[("MONITOR_API_KEY", KEY)])).await;
    let handle = tokio::runtime::Handle::current();
    let mut runner = TestRunner::new(Config {
        cases: 150,
        failure_persistence: None,
        ..Config::default()
    });
    let result = tokio::task::block_in_place(|| {
        runner.run(
            &(bodies(), content_types(), 0..3usize),
            |(body, content_type, target)| {
                let (path, with_key) = [
                    ("/auth/login", false),
                    ("/v1/events", true),
                    ("/v1/events/batch", true),
                ][target];
                let mut request = app
                    .client
                    .post(app.url(path))
                    .header("origin", app.origin())
                    .header("content-type", content_type)
                    .body(body.clone());
                if with_key {
                    request = request.header("x-api-key", KEY);
                }
                let status = handle
                    .block_on(request.send())
                    .map_err(|e| TestCaseError::fail(format!("no answer: {e}")))?
                    .status();
                // A form login that fails goes back to the form (303), by design;
                // a valid event by chance would be stored (2xx).
                let by_design = match path {
                    "/auth/login" => status == 303 && content_type.ends_with("urlencoded"),
                    _ => status.is_success(),
                };
                prop_assert!(
                    status.is_client_error() || by_design,
                    "{path} answered {status} to {:?} ({content_type})",
                    String::from_utf8_lossy(&body)
                );
                Ok(())
            },
        )
    });
    app.stop().await;
    if let Err(e) = result {
        panic!("{e}");
    }
}
