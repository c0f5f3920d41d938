//! Alert delivery over HTTP: the settings endpoints (Chief §7.4 and
//! webhooks) with their validation, test sends to real loopback listeners,
//! and a failure posted to the ingest API reaching both channels — across
//! a restart too.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::receivers::http::{Answer, HookReceiver};
use crate::receivers::smtp::SmtpReceiver;

const SECRET: &str = "whsec_rest_test_0123456789";

async fn put_json(app: &TestApp, path: &str, body: &Value) -> (u16, Value) {
    let resp = app
        .client
        .put(app.url(path))
        .json(body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

fn failing_run(run: &str) -> Value {
    json!([
        {"eventId": format!("{run}-s"), "sourceType": "chief", "level": "info", "eventType": "job.started",
         "message": "start", "jobName": "nightly-etl", "runId": run, "workerId": "render-07"},
        {"eventId": format!("{run}-f"), "sourceType": "chief", "level": "error", "eventType": "job.failed",
         "message": "failed", "jobName": "nightly-etl", "runId": run, "workerId": "render-07",
         "metadata": {"failure_reason": "ffmpeg exited with 1: moov atom not found"}}
    ])
}

async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..100 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

async fn alert_with_deliveries(app: &TestApp, sent: usize) -> Value {
    for _ in 0..50 {
        let (_, alerts) = app.get_json("/v1/alerts?type=FAILURE").await;
        if let Some(id) = alerts["alerts"][0]["id"].as_i64() {
            let (status, detail) = app.get_json(&format!("/v1/alerts/{id}")).await;
            assert_eq!(status, 200);
            let n = detail["deliveries"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| d["status"] == "SENT")
                .count();
            if n >= sent {
                return detail;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no alert with {sent} sent deliveries");
}

#[tokio::test]
async fn email_settings_round_trip_and_refuse_bad_values_by_name() {
    let app = TestApp::spawn().await;
    let (status, initial) = app.get_json("/v1/settings/alerts/email").await;
    assert_eq!(status, 200);
    assert_eq!(initial["recipients"], json!([]));
    assert_eq!(initial["transport"], Value::Null);

    let (status, saved) = put_json(
        &app,
        "/v1/settings/alerts/email",
        &json!({"recipients": ["ops@example.com", " OPS@example.com", "oncall@example.com"],
                "enabledAlertTypes": ["FAILURE", "MISSED"]}),
    )
    .await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(
        saved["recipients"],
        json!(["ops@example.com", "oncall@example.com"])
    );

    for (body, field) in [
        (
            json!({"recipients": ["ops@example.com", "not-an-address"], "enabledAlertTypes": []}),
            "recipients[1]",
        ),
        (
            json!({"recipients": [], "enabledAlertTypes": ["FAILURE", "SOMETIMES"]}),
            "enabledAlertTypes[1]",
        ),
    ] {
        let (status, err) = put_json(&app, "/v1/settings/alerts/email", &body).await;
        assert_eq!(status, 400, "{err}");
        assert_eq!(err["error"]["field"], field, "{err}");
    }
    // The refused changes left the saved settings alone.
    let (_, now) = app.get_json("/v1/settings/alerts/email").await;
    assert_eq!(now["enabledAlertTypes"], json!(["FAILURE", "MISSED"]));
    app.stop().await;
}

#[tokio::test]
async fn test_email_reports_what_the_smtp_server_said() {
    let smtp = SmtpReceiver::start().await;
    let url = smtp.url();
    let app = TestApp::spawn_with(&[
        ("MONITOR_SMTP_URL", &url),
        ("MONITOR_EMAIL_FROM", "Telltale <telltale@example.com>"),
    ])
    .await;
    let (_, none) = app
        .post_json("/v1/settings/alerts/email/test", &json!({}))
        .await;
    assert_eq!(none["attempted"], 0);
    assert!(none["message"].as_str().unwrap().contains("no recipients"));

    put_json(
        &app,
        "/v1/settings/alerts/email",
        &json!({"recipients": ["a@example.com", "b@example.com"], "enabledAlertTypes": ["FAILURE"]}),
    )
    .await;
    smtp.refuse("550 5.1.1 <b@example.com>: user unknown", 1);
    let (status, outcome) = app
        .post_json("/v1/settings/alerts/email/test", &json!({}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        (&outcome["attempted"], &outcome["sent"], &outcome["failed"]),
        (&json!(2), &json!(1), &json!(1)),
        "{outcome}"
    );
    assert!(
        outcome["message"]
            .as_str()
            .unwrap()
            .contains("user unknown"),
        "{outcome}"
    );
    assert_eq!(smtp.mails().len(), 1);
    assert_eq!(
        smtp.mails()[0].subject(),
        "[Telltale] TEST alert email settings"
    );
    let (_, settings) = app.get_json("/v1/settings/alerts/email").await;
    assert_eq!(settings["transport"], format!("smtp://{}", smtp.addr));
    app.stop().await;
}

#[tokio::test]
async fn channel_secrets_are_listed_masked_and_kept_when_sent_back() {
    use crate::receivers::providers::{self as p, Providers};
    let app = TestApp::spawn().await;
    let providers = Providers::start().await;
    let hooks = "/v1/settings/alerts/webhooks";
    // What a provider needs is refused by name when missing.
    let (status, err) = app
        .post_json(
            hooks,
            &json!({"name": "tg", "format": "telegram", "enabledAlertTypes": ["FAILURE"]}),
        )
        .await;
    assert_eq!(
        (status, &err["error"]["field"]),
        (400, &json!("options.token")),
        "{err}"
    );
    let (status, err) = app
        .post_json(hooks, &json!({"name": "tg", "format": "telegram", "options": {"token": "x", "colour": 1}, "enabledAlertTypes": ["FAILURE"]}))
        .await;
    assert_eq!(status, 400, "unknown option fields are refused: {err}");
    for (routing, field) in [
        (
            json!({"quietHours": {"from": "22:00", "to": "07:00", "timezone": "Mars/Olympus"}}),
            "routing.quietHours.timezone",
        ),
        (
            json!({"quietHours": {"from": "10pm", "to": "07:00", "timezone": "UTC"}}),
            "routing.quietHours.from",
        ),
        (json!({"jobs": ["etl-*,db-*"]}), "routing.jobs"),
        (json!({"groupSeconds": 86400}), "routing.groupSeconds"),
    ] {
        let (status, err) = app
            .post_json(
                hooks,
                &json!({"name": "chat", "url": "http://127.0.0.1:9/x", "format": "mattermost",
                                      "routing": routing, "enabledAlertTypes": ["FAILURE"]}),
            )
            .await;
        assert_eq!(
            (status, &err["error"]["field"]),
            (400, &json!(field)),
            "{err}"
        );
    }

    let url = providers.url("/matrix");
    let (status, created) = app
        .post_json(
            hooks,
            &json!({"name": "ops room", "url": url, "format": "matrix",
                    "options": {"token": p::MATRIX_TOKEN, "to": p::MATRIX_ROOM},
                    "enabledAlertTypes": ["FAILURE"]}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["webhook"]["id"].as_i64().unwrap();
    let (_, list) = app.get_json(hooks).await;
    let listed = &list["webhooks"][0];
    assert!(
        !list.to_string().contains(p::MATRIX_TOKEN),
        "tokens are never listed: {list}"
    );
    assert_eq!(listed["options"]["token"], "••••3456");
    assert_eq!(listed["options"]["to"], p::MATRIX_ROOM);
    assert_eq!(
        listed["url"],
        format!("http://{}/••••", providers.addr),
        "{listed}"
    );

    // The listing sent back as it is, with a new name: the token is kept.
    let mut change = listed.clone();
    change["name"] = json!("ops room 2");
    for field in ["id", "createdAt"] {
        change.as_object_mut().unwrap().remove(field);
    }
    let (status, updated) = put_json(&app, &format!("{hooks}/{id}"), &change).await;
    assert_eq!(status, 200, "{updated}");
    let (status, outcome) = app
        .post_json(&format!("{hooks}/{id}/test"), &json!({}))
        .await;
    assert_eq!(
        (status, &outcome["sent"]),
        (200, &json!(1)),
        "the stored token still works: {outcome}"
    );
    let got = providers.accepted("matrix");
    assert_eq!(got.len(), 1);
    assert_eq!(
        got[0].headers["authorization"],
        format!("Bearer {}", p::MATRIX_TOKEN)
    );

    // A new token replaces it; the provider's refusal is told in its words.
    change["options"]["token"] = json!("syt_another_token_0000");
    put_json(&app, &format!("{hooks}/{id}"), &change).await;
    let (_, outcome) = app
        .post_json(&format!("{hooks}/{id}/test"), &json!({}))
        .await;
    assert_eq!(outcome["failed"], 1);
    assert!(
        outcome["message"]
            .as_str()
            .unwrap()
            .contains("M_UNKNOWN_TOKEN: Invalid access token passed."),
        "{outcome}"
    );

    // A chat webhook's URL is its secret: listed masked, kept when sent back.
    let slack = providers.url("/slack/services/T000/B000/abcdefghijklmnopqrstuvwx");
    let (_, created) = app
        .post_json(hooks, &json!({"name": "chat", "url": slack, "format": "slack", "enabledAlertTypes": ["FAILURE"]}))
        .await;
    let slack_id = created["webhook"]["id"].as_i64().unwrap();
    assert_eq!(
        created["webhook"]["url"],
        format!("http://{}/••••uvwx", providers.addr)
    );
    let mut change = created["webhook"].clone();
    change.as_object_mut().unwrap().remove("id");
    change.as_object_mut().unwrap().remove("createdAt");
    let (status, _) = put_json(&app, &format!("{hooks}/{slack_id}"), &change).await;
    assert_eq!(status, 200);
    let (_, outcome) = app
        .post_json(&format!("{hooks}/{slack_id}/test"), &json!({}))
        .await;
    assert_eq!(outcome["sent"], 1, "{outcome}");
    assert_eq!(
        providers.accepted("slack")[0].path,
        "/slack/services/T000/B000/abcdefghijklmnopqrstuvwx"
    );
    app.stop().await;
}

#[tokio::test]
async fn webhooks_are_created_with_a_secret_shown_once_tested_and_removed() {
    let app = TestApp::spawn().await;
    let (status, err) = app
        .post_json(
            "/v1/settings/alerts/webhooks",
            &json!({"name": "x", "url": "ftp://files.example", "enabledAlertTypes": ["FAILURE"]}),
        )
        .await;
    assert_eq!(
        (status, &err["error"]["field"]),
        (400, &json!("url")),
        "{err}"
    );

    let hook = HookReceiver::start(SECRET).await;
    let (status, created) = app
        .post_json(
            "/v1/settings/alerts/webhooks",
            &json!({"name": "pager", "url": hook.url(), "enabledAlertTypes": ["FAILURE"], "secret": SECRET}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["secret"], SECRET);
    let id = created["webhook"]["id"].as_i64().unwrap();
    let (_, list) = app.get_json("/v1/settings/alerts/webhooks").await;
    assert_eq!(list["webhooks"][0]["name"], "pager");
    assert!(
        !list.to_string().contains(SECRET),
        "secrets are never listed"
    );

    let (status, outcome) = app
        .post_json(
            &format!("/v1/settings/alerts/webhooks/{id}/test"),
            &json!({}),
        )
        .await;
    assert_eq!((status, &outcome["sent"]), (200, &json!(1)), "{outcome}");
    assert!(hook.accepted()[0].signature_ok);
    assert_eq!(hook.accepted()[0].body["event"], "test");

    hook.script([Answer::Status(401)]);
    let (_, outcome) = app
        .post_json(
            &format!("/v1/settings/alerts/webhooks/{id}/test"),
            &json!({}),
        )
        .await;
    assert_eq!(outcome["failed"], 1);
    assert!(
        outcome["message"].as_str().unwrap().contains("HTTP 401"),
        "{outcome}"
    );

    let (status, updated) = put_json(
        &app,
        &format!("/v1/settings/alerts/webhooks/{id}"),
        &json!({"name": "pager", "url": hook.url(), "format": "slack", "enabledAlertTypes": ["MISSED"], "enabled": false}),
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(
        (&updated["format"], &updated["enabled"]),
        (&json!("slack"), &json!(false))
    );

    let resp = app
        .client
        .delete(app.url(&format!("/v1/settings/alerts/webhooks/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    let (_, list) = app.get_json("/v1/settings/alerts/webhooks").await;
    assert_eq!(list["webhooks"], json!([]));
    app.stop().await;
}

#[tokio::test]
async fn an_ingested_failure_reaches_email_and_webhook_and_a_retry_survives_a_restart() {
    let smtp = SmtpReceiver::start().await;
    let hook = HookReceiver::start(SECRET).await;
    let smtp_url = smtp.url();
    let vars = [
        ("MONITOR_SMTP_URL", smtp_url.as_str()),
        ("MONITOR_EMAIL_FROM", "telltale@example.com"),
        ("MONITOR_PUBLIC_URL", "https://telltale.example"),
        ("MONITOR_DELIVERY_BACKOFF_SECONDS", "2"),
    ];
    let app = TestApp::spawn_with_clock(
        &vars,
        std::sync::Arc::new(telltale_server::engine::SystemClock),
    )
    .await;
    put_json(
        &app,
        "/v1/settings/alerts/email",
        &json!({"recipients": ["ops@example.com"], "enabledAlertTypes": ["FAILURE"]}),
    )
    .await;
    app.post_json(
        "/v1/settings/alerts/webhooks",
        &json!({"name": "pager", "url": hook.url(), "enabledAlertTypes": ["FAILURE"], "secret": SECRET}),
    )
    .await;
    // The receiver is down for the first attempt.
    hook.script([Answer::Status(503)]);
    let (status, body) = app
        .post_raw("/v1/events/batch", failing_run("r1").to_string())
        .await;
    assert_eq!(status, 200, "{body}");

    wait_for("the email", || smtp.mails().len() == 1).await;
    let mail = &smtp.mails()[0];
    assert_eq!(mail.subject(), "[Telltale] FAILURE job nightly-etl failed");
    assert!(mail.data.contains("moov atom not found"));
    wait_for("the first webhook attempt", || hook.requests() == 1).await;
    // Stop before the retry is due; the next process sends it.
    let dir = app.stop_keeping_data().await;
    assert!(hook.accepted().is_empty());

    let again = TestApp::spawn_in(
        dir,
        &vars,
        std::sync::Arc::new(telltale_server::engine::SystemClock),
    )
    .await;
    wait_for("the retried webhook", || hook.accepted().len() == 1).await;
    let received = &hook.accepted()[0];
    assert!(received.signature_ok);
    assert_eq!(received.body["event"], "alert.opened");
    assert!(
        received.body["url"]
            .as_str()
            .unwrap()
            .starts_with("https://telltale.example/alerts/")
    );

    let detail = alert_with_deliveries(&again, 2).await;
    let attempts: Vec<(String, String, i64)> = detail["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["channel"].as_str().unwrap().to_owned(),
                d["status"].as_str().unwrap().to_owned(),
                d["attempt"].as_i64().unwrap(),
            )
        })
        .collect();
    assert!(
        attempts.contains(&("webhook".into(), "FAILED".into(), 1)),
        "{attempts:?}"
    );
    assert!(
        attempts.contains(&("webhook".into(), "SENT".into(), 2)),
        "{attempts:?}"
    );
    assert!(
        attempts.contains(&("email".into(), "SENT".into(), 1)),
        "{attempts:?}"
    );
    assert_eq!(smtp.mails().len(), 1, "the email is not sent again");
    // The list counts each delivery once, where it ended: the failed first
    // attempt was retried, so it is not a failure any more.
    let (_, list) = again.get_json("/v1/alerts?type=FAILURE").await;
    assert_eq!(
        list["alerts"][0]["deliveries"],
        json!({"sent": 2, "failed": 0, "pending": 0}),
        "{list}"
    );
    let page = again.page("/alerts?type=FAILURE").await;
    assert!(page.contains("✓ 2 sent"), "{page}");
    again.stop().await;
}

#[tokio::test]
async fn the_alert_page_lists_deliveries_and_the_overview_warns_of_a_failing_target() {
    let hook = HookReceiver::start(SECRET).await;
    let app = TestApp::spawn().await;
    app.post_json(
        "/v1/settings/alerts/webhooks",
        &json!({"name": "pager", "url": hook.url(), "enabledAlertTypes": ["FAILURE"], "secret": SECRET}),
    )
    .await;
    hook.script([Answer::Status(410)]);
    app.post_raw("/v1/events/batch", failing_run("r1").to_string())
        .await;
    wait_for("the refused webhook", || hook.requests() == 1).await;
    let mut detail = Value::Null;
    for _ in 0..50 {
        let (_, alerts) = app.get_json("/v1/alerts?type=FAILURE").await;
        let id = alerts["alerts"][0]["id"].as_i64().unwrap();
        detail = app.get_json(&format!("/v1/alerts/{id}")).await.1;
        if detail["deliveries"][0]["status"] == "FAILED" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let id = detail["alert"]["id"].as_i64().unwrap();
    assert_eq!(detail["deliveries"][0]["permanent"], true, "{detail}");

    let page = app.page(&format!("/alerts/{id}")).await;
    assert!(page.contains("FAILED"), "{page}");
    assert!(
        page.contains("HTTP 410 Gone"),
        "the receiver's answer, verbatim"
    );
    assert!(page.contains("not retried (permanent)"));
    assert!(page.contains("pager (127.0.0.1:"));
    assert!(!page.contains("/hook"), "the webhook's path stays private");

    let list = app.page("/alerts").await;
    assert!(list.contains("✗ 1 failed"), "{list}");

    let overview = app.page("/").await;
    assert!(overview.contains("Alert delivery failing"), "{overview}");
    assert!(overview.contains("HTTP 410 Gone"));
    app.stop().await;
}

/// Calls a delivery server function the way the hydrated page does.
async fn call(app: &TestApp, cookie: &str, endpoint: &str, form: &str) -> (u16, String) {
    let resp = app
        .as_browser(
            reqwest::Method::POST,
            &format!("/api/delivery/{endpoint}"),
            cookie,
        )
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.to_owned())
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

/// The channels as every reader sees them (the settings page lists the
/// same, secrets masked).
async fn listed_webhooks(app: &TestApp, cookie: &str) -> Value {
    app.as_browser(reqwest::Method::GET, "/v1/settings/alerts/webhooks", cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_admin_sets_up_delivery_from_the_settings_page_and_a_viewer_cannot() {
    use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, AUTH_ON};
    let hook = HookReceiver::start(SECRET).await;
    let app = TestApp::spawn_with(&AUTH_ON).await;
    let admin = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;

    let (status, body) = call(
        &app,
        &admin,
        "save-email",
        "recipients=ops%40example.com%0Anot-an-address&failure=on",
    )
    .await;
    assert_eq!(status, 400, "a refused field is the caller's error: {body}");
    assert!(body.contains("recipients[1]"), "{body}");
    let (status, body) = call(
        &app,
        &admin,
        "save-email",
        "recipients=ops%40example.com%0Aoncall%40example.com&failure=on&missed=on",
    )
    .await;
    assert_eq!(status, 200, "{body}");

    let form = format!(
        "name=pager&url={}&format=generic&failure=on",
        hook.url().replace(':', "%3A").replace('/', "%2F")
    );
    let (status, created) = call(&app, &admin, "add-webhook", &form).await;
    assert_eq!(status, 200, "{created}");
    let created: Value = serde_json::from_str(&created).unwrap();
    assert!(created["secret"].as_str().unwrap().starts_with("whsec_"));
    let id = created["webhook"]["id"].as_i64().unwrap();
    let (status, outcome) = call(&app, &admin, "test-webhook", &format!("id={id}")).await;
    assert_eq!(status, 200, "{outcome}");
    assert!(hook.accepted()[0].body["event"] == "test");

    // Changed from its form: the URL sent back masked is kept, the routing
    // and types replaced, the box left unticked disables it.
    let listed = listed_webhooks(&app, &admin).await;
    let shown = listed["webhooks"][0]["url"].as_str().unwrap().to_owned();
    assert_ne!(shown, hook.url(), "the URL is shown masked");
    let form = serde_urlencoded::to_string([
        ("id", id.to_string().as_str()),
        ("name", "pager"),
        ("url", shown.as_str()),
        ("format", "generic"),
        ("tags", "db, nightly"),
        ("group_seconds", "0"),
        ("missed", "on"),
    ])
    .unwrap();
    let (status, edited) = call(&app, &admin, "edit-webhook", &form).await;
    assert_eq!(status, 200, "{edited}");
    let listed = listed_webhooks(&app, &admin).await;
    let w = &listed["webhooks"][0];
    assert_eq!(w["routing"]["tags"], json!(["db", "nightly"]), "{w}");
    assert_eq!(w["routing"]["groupSeconds"], 0, "{w}");
    assert_eq!(w["enabledAlertTypes"], json!(["MISSED"]), "{w}");
    assert_eq!(w["enabled"], false, "{w}");
    assert_eq!(w["url"], shown, "{w}");
    let bad = form.replace("group_seconds=0", "group_seconds=soon");
    let (status, body) = call(&app, &admin, "edit-webhook", &bad).await;
    assert!(
        status >= 400 && body.contains("routing.groupSeconds"),
        "{body}"
    );
    let (status, _) = call(&app, &admin, "test-webhook", &format!("id={id}")).await;
    assert_eq!(status, 200);
    assert_eq!(
        hook.accepted().len(),
        2,
        "the kept URL still reaches the receiver"
    );

    let page = app.page_as("/settings", &admin).await;
    assert!(page.contains("Alert email"), "{page}");
    assert!(page.contains("oncall@example.com"));
    assert!(page.contains("pager"));
    assert!(page.contains("Send test email"));
    assert!(page.contains("edit-channel") && page.contains("Save channel"));

    // A viewer changes nothing, and reads the delivery settings, masked.
    let resp = app
        .as_browser(reqwest::Method::POST, "/api/settings/add-user", &admin)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("email=viewer%40example.com&password=viewer+password+1&role=viewer")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let viewer = app.login("viewer@example.com", "viewer password 1").await;
    // A viewer reads the channels (the page's section), with no form.
    let (status, body) = call(&app, &viewer, "channels-html", "").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("pager"), "{body}");
    assert!(!body.contains("Send test"), "{body}");
    let html = app.page_as("/settings", &viewer).await;
    assert!(html.contains("you can read it"), "{html}");
    assert!(
        !html.contains("Add channel")
            && !html.contains("Send test")
            && !html.contains("Save channel"),
        "no forms for a viewer"
    );
    for (endpoint, form) in [
        ("save-email", "recipients=me%40example.com&failure=on"),
        (
            "add-webhook",
            "name=x&url=http%3A%2F%2Fexample.com&format=generic",
        ),
        ("remove-webhook", &format!("id={id}")),
        (
            "edit-webhook",
            &format!("id={id}&name=x&url=http%3A%2F%2Fexample.com&format=generic"),
        ),
        ("test-email", ""),
    ] {
        let (status, body) = call(&app, &viewer, endpoint, form).await;
        assert_eq!(status, 403, "{endpoint}: {body}");
    }
    let (status, _) = app.get_json("/v1/settings/alerts/webhooks").await;
    assert_eq!(status, 401, "no settings without a session");
    app.stop().await;
}

/// A burst of alerts leaves as fast as the receiver takes them, not a
/// concurrency's worth per poll interval (2 a second here, which would
/// take 20 s for these 40).
#[tokio::test]
async fn a_burst_of_alerts_is_delivered_without_waiting_for_the_poll_interval() {
    let hook = HookReceiver::start(SECRET).await;
    let app = TestApp::spawn_with_clock(
        &[("MONITOR_DELIVERY_CONCURRENCY", "2")],
        std::sync::Arc::new(telltale_server::engine::SystemClock),
    )
    .await;
    app.post_json(
        "/v1/settings/alerts/webhooks",
        &json!({"name": "pager", "url": hook.url(), "enabledAlertTypes": ["FAILURE"], "secret": SECRET}),
    )
    .await;
    let failures: Vec<Value> = (0..40)
        .map(|i| {
            json!({"eventId": format!("burst-{i}"), "sourceType": "worker", "level": "error",
                   "eventType": "job.failed", "message": "failed", "jobName": format!("encode-{i}"),
                   "runId": format!("burst-run-{i}")})
        })
        .collect();
    let (status, body) = app
        .post_raw("/v1/events/batch", Value::Array(failures).to_string())
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["inserted"], 40);

    let started = std::time::Instant::now();
    wait_for("40 webhooks", || hook.accepted().len() == 40).await;
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "40 deliveries took {:?}",
        started.elapsed()
    );
    assert!(hook.accepted().iter().all(|r| r.signature_ok));
}
