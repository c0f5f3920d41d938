//! Status badges over HTTP: the state in words and colour, public badges
//! open to anyone, private and unknown ones alike closed to the anonymous,
//! the admin's switch, and that later ingest and evaluation keep it.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, auth_on_with};

const KEY: &str = "badge-key-0123456789";

fn job_event(kind: &str, job: &str, run: &str, ago: i64, metadata: Value) -> Value {
    json!({
        "sourceType": "worker",
        "level": "info",
        "eventType": kind,
        "message": format!("{kind} {run}"),
        "jobName": job,
        "runId": run,
        "eventAt": (chrono::Utc::now() - chrono::Duration::seconds(ago))
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "metadata": metadata,
    })
}

async fn ingest(app: &TestApp, events: Value) {
    let resp = app
        .client
        .post(app.url("/v1/events/batch"))
        .header("x-api-key", KEY)
        .json(&events)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

/// Waits (10 s at most) until `job`'s stored check state is `state`.
async fn wait_for_state(app: &TestApp, job: &str, state: &str) {
    wait_for(app, job, "checkState", state).await;
}

/// Waits (10 s at most) until `job`'s `field` reads `value`.
async fn wait_for(app: &TestApp, job: &str, field: &str, value: &str) {
    for _ in 0..500 {
        let (_, j) = app
            .get_json_with_key(&format!("/v1/status/jobs/{job}"), KEY)
            .await;
        if j["job"][field] == value {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("{job}'s {field} never became {value}");
}

/// `db-dump` ran two hours ago on an hourly schedule with a minute's
/// grace (DOWN); `thumbnails` ran a minute ago (UP); `encoder` ran on
/// time and failed (UP, with its FAILURE open: FAILING).
async fn seed(app: &TestApp) {
    let hourly = json!({"schedule": "every 1h", "grace_seconds": 60});
    ingest(
        app,
        json!([
            job_event("job.started", "db-dump", "dump-1", 7200, hourly.clone()),
            job_event("job.completed", "db-dump", "dump-1", 7100, hourly),
            job_event("job.started", "thumbnails", "th-1", 60, json!({})),
            job_event("job.completed", "thumbnails", "th-1", 50, json!({})),
            job_event("job.started", "encoder", "enc-1", 40, json!({})),
            job_event("job.failed", "encoder", "enc-1", 30, json!({})),
        ]),
    )
    .await;
    wait_for_state(app, "db-dump", "DOWN").await;
    wait_for_state(app, "thumbnails", "UP").await;
    wait_for(app, "encoder", "health", "FAILING").await;
    let (_, encoder) = app.get_json_with_key("/v1/status/jobs/encoder", KEY).await;
    assert_eq!(
        encoder["job"]["checkState"], "UP",
        "on time, so UP beside it"
    );
    // Counted once each, by health; the check states still count all three.
    let (_, summary) = app.get_json_with_key("/v1/status/summary", KEY).await;
    assert_eq!(summary["jobsByHealth"]["FAILING"], 1, "{summary}");
    assert_eq!(summary["jobsByHealth"]["UP"], 1, "{summary}");
    assert_eq!(summary["jobsByHealth"]["DOWN"], 1, "{summary}");
    assert_eq!(summary["jobsByCheckState"]["UP"], 2, "{summary}");
}

async fn get(app: &TestApp, path: &str, key: Option<&str>) -> reqwest::Response {
    let mut req = app.client.get(app.url(path));
    if let Some(key) = key {
        req = req.header("x-api-key", key);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn badges_say_the_check_state_in_words_and_colour() {
    let app = TestApp::spawn_with(&[("MONITOR_API_KEY", KEY)]).await;
    seed(&app).await;

    for (job, state, color, hex) in [
        ("db-dump", "DOWN", "red", "#e05d44"),
        ("thumbnails", "UP", "brightgreen", "#4c1"),
        // On time but failing: never green.
        ("encoder", "FAILING", "red", "#e05d44"),
    ] {
        let resp = get(&app, &format!("/badge/{job}.svg"), Some(KEY)).await;
        assert_eq!(resp.status(), 200);
        assert_eq!(
            resp.headers()["content-type"],
            "image/svg+xml; charset=utf-8"
        );
        assert_eq!(resp.headers()["cache-control"], "no-cache, max-age=0");
        let svg = resp.text().await.unwrap();
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(
            svg.contains(&format!("<title>{job}: {state}</title>")),
            "{svg}"
        );
        assert!(svg.contains(hex), "{svg}");

        let resp = get(&app, &format!("/badge/{job}.json"), Some(KEY)).await;
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["cache-control"], "no-cache, max-age=0");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(
            body,
            json!({"schemaVersion": 1, "label": job, "message": state, "color": color})
        );
    }

    // An unknown job, for a caller who may read: 404, and it says so.
    let resp = get(&app, "/badge/no-such-job.svg", Some(KEY)).await;
    assert_eq!(resp.status(), 404);
    let svg = resp.text().await.unwrap();
    assert!(svg.contains("no-such-job: unknown"), "{svg}");
    let resp = get(&app, "/badge/no-such-job.json", Some(KEY)).await;
    assert_eq!(resp.status(), 404);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["message"], "unknown");

    // A name with markup in it is escaped in the image.
    ingest(
        &app,
        json!([job_event("job.started", "<b>&job", "x-1", 5, json!({}))]),
    )
    .await;
    wait_for_state(&app, "%3Cb%3E%26job", "UP").await;
    let svg = get(&app, "/badge/%3Cb%3E%26job.svg", Some(KEY))
        .await
        .text()
        .await
        .unwrap();
    assert!(svg.contains("&lt;b&gt;&amp;job: UP"), "{svg}");
    assert!(!svg.contains("<b>"));
    app.stop().await;
}

async fn add_viewer(app: &TestApp, admin: &str) -> String {
    let resp = app
        .as_browser(Method::POST, "/v1/settings/users", admin)
        .json(&json!({ "email": "viewer@example.com", "password": "viewer password 1", "role": "viewer" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    app.login("viewer@example.com", "viewer password 1").await
}

async fn set_public(app: &TestApp, cookie: &str, job: &str, body: Value) -> (u16, Value) {
    let resp = app
        .as_browser(Method::PUT, &format!("/v1/jobs/{job}/badge"), cookie)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn only_public_badges_answer_without_login_and_only_admins_choose() {
    let app = TestApp::spawn_with(&auth_on_with(&[("MONITOR_API_KEY", KEY)])).await;
    seed(&app).await;
    let admin = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let viewer = add_viewer(&app, &admin).await;

    // Private by default: the anonymous get the API's 401, the same for a
    // private job as for one that does not exist.
    let private = get(&app, "/badge/db-dump.svg", None).await;
    assert_eq!(private.status(), 401);
    let private: Value = private.json().await.unwrap();
    let unknown = get(&app, "/badge/no-such-job.svg", None).await;
    assert_eq!(unknown.status(), 401);
    assert_eq!(private, unknown.json::<Value>().await.unwrap());
    assert_eq!(get(&app, "/badge/db-dump.json", None).await.status(), 401);
    // Read access (a session, a read key) sees private badges.
    let resp = app
        .as_browser(Method::GET, "/badge/db-dump.svg", &viewer)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);

    // Viewers cannot choose; admins can; nobody marks what does not exist.
    let (status, _) = set_public(&app, &viewer, "db-dump", json!({"public": true})).await;
    assert_eq!(status, 403);
    let (status, body) = set_public(&app, &admin, "db-dump", json!({"public": "yes"})).await;
    assert_eq!(
        (status, body["error"]["field"].clone()),
        (400, json!("public"))
    );
    let (status, _) = set_public(&app, &admin, "no-such-job", json!({"public": true})).await;
    assert_eq!(status, 404);
    let (status, body) = set_public(&app, &admin, "db-dump", json!({"public": true})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["public"], true);
    assert_eq!(body["svgPath"], "/badge/db-dump.svg");

    // Now anyone reads it, even with a wrong key; other jobs stay closed.
    let resp = get(&app, "/badge/db-dump.svg", None).await;
    assert_eq!(resp.status(), 200);
    assert!(resp.text().await.unwrap().contains("db-dump: DOWN"));
    assert_eq!(
        get(&app, "/badge/db-dump.json", Some("wrong"))
            .await
            .status(),
        200
    );
    assert_eq!(get(&app, "/badge/thumbnails.svg", None).await.status(), 401);
    // Only the badge: the job's API stays closed.
    assert_eq!(
        get(&app, "/v1/status/jobs/db-dump", None).await.status(),
        401
    );

    // The job runs again: ingest rewrites its row and the engine its state.
    ingest(
        &app,
        json!([
            job_event(
                "job.started",
                "db-dump",
                "dump-2",
                2,
                json!({"grace_seconds": 120})
            ),
            job_event("job.completed", "db-dump", "dump-2", 1, json!({})),
        ]),
    )
    .await;
    wait_for_state(&app, "db-dump", "UP").await;
    let resp = get(&app, "/badge/db-dump.json", None).await;
    assert_eq!(
        resp.status(),
        200,
        "still public after ingest and evaluation"
    );
    assert_eq!(resp.json::<Value>().await.unwrap()["message"], "UP");
    let (_, detail) = app.get_json_with_key("/v1/status/jobs/db-dump", KEY).await;
    assert_eq!(detail["job"]["publicBadge"], true);

    // And private again.
    let (status, _) = set_public(&app, &admin, "db-dump", json!({"public": false})).await;
    assert_eq!(status, 200);
    assert_eq!(get(&app, "/badge/db-dump.svg", None).await.status(), 401);
    app.stop().await;
}

#[tokio::test]
async fn the_job_page_offers_the_switch_to_admins_only() {
    let app = TestApp::spawn_with(&auth_on_with(&[("MONITOR_API_KEY", KEY)])).await;
    seed(&app).await;
    let admin = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let viewer = add_viewer(&app, &admin).await;

    let html = app.page_as("/jobs/db-dump", &admin).await;
    assert!(html.contains("Private: the badge needs a login"), "{html}");
    assert!(
        html.contains("[![db-dump status](http://"),
        "the Markdown snippet"
    );
    assert!(html.contains("/badge/db-dump.svg)](http://"));
    assert!(html.contains("Make the badge public"));
    let html = app.page_as("/jobs/db-dump", &viewer).await;
    assert!(
        html.contains("[![db-dump status]"),
        "viewers see the snippet"
    );
    assert!(
        !html.contains("Make the badge public"),
        "but not the switch"
    );

    // The form's server function: viewers are refused, admins switch it.
    let post = |cookie: &str| {
        app.as_browser(Method::POST, "/api/badges/set", cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("job=db-dump&public=true")
    };
    assert_eq!(post(&viewer).send().await.unwrap().status(), 403);
    assert_eq!(get(&app, "/badge/db-dump.svg", None).await.status(), 401);
    assert!(post(&admin).send().await.unwrap().status().is_success());
    assert_eq!(get(&app, "/badge/db-dump.svg", None).await.status(), 200);
    let html = app.page_as("/jobs/db-dump", &admin).await;
    assert!(html.contains("Public: anyone with its address"));
    assert!(html.contains("Make the badge private"));
    app.stop().await;
}
