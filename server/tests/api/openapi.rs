//! The OpenAPI document describes every endpoint the server answers, and
//! every schema it refers to exists.

use serde_json::Value;

use crate::helpers::TestApp;

const ENDPOINTS: &[(&str, &str)] = &[
    ("get", "/v1/health"),
    ("post", "/v1/events"),
    ("get", "/v1/events"),
    ("post", "/v1/events/batch"),
    ("get", "/v1/runs"),
    ("get", "/v1/runs/active"),
    ("get", "/v1/runs/failed"),
    ("get", "/v1/runs/completed"),
    ("get", "/v1/runs/stats"),
    ("get", "/v1/runs/{run_id}"),
    ("get", "/v1/workers"),
    ("get", "/v1/workers/{worker_id}"),
    ("get", "/v1/status/summary"),
    ("get", "/v1/status/jobs"),
    ("get", "/v1/status/jobs/{job_name}"),
    ("get", "/v1/alerts"),
    ("post", "/v1/alerts/{id}/close"),
    ("get", "/v1/alerts/{id}"),
    ("get", "/v1/settings/alerts/email"),
    ("put", "/v1/settings/alerts/email"),
    ("post", "/v1/settings/alerts/email/test"),
    ("get", "/v1/settings/alerts/webhooks"),
    ("post", "/v1/settings/alerts/webhooks"),
    ("put", "/v1/settings/alerts/webhooks/{id}"),
    ("delete", "/v1/settings/alerts/webhooks/{id}"),
    ("post", "/v1/settings/alerts/webhooks/{id}/test"),
    ("get", "/v1/maintenance-windows"),
    ("post", "/v1/maintenance-windows"),
    ("delete", "/v1/maintenance-windows/{id}"),
    ("get", "/v1/settings/api-keys"),
    ("post", "/v1/settings/api-keys"),
    ("post", "/v1/settings/api-keys/{id}/revoke"),
    ("get", "/v1/settings/users"),
    ("post", "/v1/settings/users"),
    ("delete", "/v1/settings/users/{id}"),
    ("post", "/v1/settings/users/{id}/password"),
    ("post", "/v1/settings/users/{id}/role"),
    ("get", "/v1/stream"),
    ("get", "/v1/export/runs.csv"),
    ("get", "/v1/export/events.ndjson"),
    ("put", "/v1/jobs/{job_name}/badge"),
    ("get", "/v1/jobs/{job_name}/ping"),
    ("post", "/v1/jobs/{job_name}/ping/regenerate"),
    ("post", "/v1/jobs"),
    ("put", "/v1/jobs/{job_name}"),
    ("delete", "/v1/jobs/{job_name}"),
    ("post", "/v1/jobs/{job_name}/pause"),
    ("post", "/v1/jobs/{job_name}/resume"),
    ("post", "/v1/jobs/{job_name}/retire"),
    ("delete", "/v1/workers/{worker_id}"),
    ("get", "/v1/audit"),
];

fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                out.push(r);
            }
            map.values().for_each(|v| refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn openapi_covers_every_endpoint_and_resolves() {
    let app = TestApp::spawn().await;
    let (status, doc) = app.get_json("/v1/openapi.json").await;
    assert_eq!(status, 200);
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3."),
        "{}",
        doc["openapi"]
    );

    let paths = doc["paths"].as_object().unwrap();
    let mut documented: Vec<(String, String)> = paths
        .iter()
        .flat_map(|(p, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .filter(|m| ["get", "post", "put", "delete", "patch"].contains(&m.as_str()))
                .map(move |m| (m.clone(), p.clone()))
        })
        .collect();
    documented.sort();
    let mut expected: Vec<(String, String)> = ENDPOINTS
        .iter()
        .map(|(m, p)| ((*m).into(), (*p).into()))
        .collect();
    expected.sort();
    assert_eq!(documented, expected, "documented endpoints");

    // Each documented endpoint is really served (a 404 only for a missing
    // entity, never for a missing route).
    for (method, path) in ENDPOINTS {
        let url = app.url(
            &path
                .replace("{run_id}", "nope")
                .replace("{worker_id}", "nope"),
        );
        let req = match *method {
            "post" => app
                .client
                .post(url)
                .header("content-type", "application/json")
                .body("[]"),
            "put" => app
                .client
                .put(url)
                .header("content-type", "application/json")
                .body("[]"),
            "delete" => app.client.delete(url),
            _ => app.client.get(url),
        };
        let resp = req.send().await.unwrap();
        if *path == "/v1/stream" {
            // Served, and never ends: only the head can be checked.
            assert_eq!(resp.status(), 200, "{path}");
            continue;
        }
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        let message = body["error"]["message"].as_str().unwrap_or("");
        assert!(
            !message.starts_with("no such API endpoint"),
            "{method} {path} is not served"
        );
    }

    // Every run listing documents the filters it parses.
    for path in ["/v1/runs", "/v1/runs/failed", "/v1/runs/stats"] {
        let names: Vec<&str> = doc["paths"][path]["get"]["parameters"]
            .as_array()
            .unwrap_or_else(|| panic!("{path} has no parameters"))
            .iter()
            .filter_map(|p| p["name"].as_str())
            .collect();
        for name in [
            "status", "job", "worker", "engine", "since", "until", "text", "before", "limit",
        ] {
            assert!(names.contains(&name), "{path} lacks {name}: {names:?}");
        }
    }

    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(!all.is_empty());
    for r in all {
        let name = r
            .strip_prefix("#/components/schemas/")
            .expect("local schema ref");
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "unresolved {r}"
        );
    }
    for schema in [
        "Event",
        "NewEvent",
        "Run",
        "RunDetail",
        "RunStats",
        "WorkerState",
        "ErrorBody",
        "JobHealth",
    ] {
        assert!(
            doc["components"]["schemas"][schema].is_object(),
            "{schema} missing"
        );
    }
    // A job's health is documented beside its check state, with FAILING.
    let health = &doc["components"]["schemas"]["JobHealth"];
    assert!(health.to_string().contains("FAILING"), "{health}");
    let status = doc["components"]["schemas"]["JobStatus"].to_string();
    assert!(
        status.contains("\"health\"") && status.contains("\"checkState\""),
        "{status}"
    );
    // The events listing documents its source filter.
    let params = doc["paths"]["/v1/events"]["get"]["parameters"].to_string();
    assert!(params.contains("\"source\""), "{params}");
    app.stop().await;
}

/// `/docs/api` is the document as a page: every operation on it, no
/// script, and read by whoever may read `/v1/openapi.json`.
#[tokio::test]
async fn the_api_reference_page_is_read_as_the_document_is() {
    use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, AUTH_ON};
    let app = TestApp::spawn_with(&AUTH_ON).await;
    for path in ["/v1/openapi.json", "/docs/api"] {
        let anonymous = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(anonymous.status(), 401, "{path} without credentials");
    }
    let cookie = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let page = app
        .client
        .get(app.url("/docs/api"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.starts_with("default-src 'none'") && !csp.contains("script"),
        "{csp}"
    );
    let html = page.text().await.unwrap();
    for (method, path) in ENDPOINTS {
        let heading = format!(
            "<span class=\"method\">{}</span><code>{}</code>",
            method.to_ascii_uppercase(),
            path
        );
        assert!(
            html.contains(&heading),
            "{method} {path} is not on the page"
        );
    }
    assert!(!html.contains("<script"));
    app.stop().await;
}
