//! Access control over HTTP, with auth on: login, sessions, the access
//! table, CSRF, throttling, roles, keys and the security headers.

use std::sync::Arc;

use chrono::{Duration, Utc};
use reqwest::Method;
use serde_json::{Value, json};
use telltale_server::engine::{ManualClock, SystemClock};

use crate::helpers::{
    ADMIN_EMAIL, ADMIN_PASSWORD, AUTH_ON, TestApp, auth_on_with, csp_nonce, event, session_cookie,
};

const ENV_KEY: &str = "env-key-0123456789abcdef";

async fn body(resp: reqwest::Response) -> Value {
    resp.json().await.expect("JSON answer")
}

/// Adds an account through the settings API as the admin.
async fn add_user(app: &TestApp, admin: &str, email: &str, role: &str) -> Value {
    let resp = app
        .as_browser(Method::POST, "/v1/settings/users", admin)
        .json(&json!({ "email": email, "password": "viewer password 1", "role": role }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    body(resp).await
}

/// The admin's session and a new viewer's, both logged in.
async fn admin_and_viewer(app: &TestApp) -> (String, String) {
    let admin = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    add_user(app, &admin, "viewer@example.com", "viewer").await;
    let viewer = app.login("viewer@example.com", "viewer password 1").await;
    (admin, viewer)
}

/// Creates an API key through the settings API; returns (id, secret).
async fn add_key(app: &TestApp, admin: &str, scope: &str) -> (i64, String) {
    let resp = app
        .as_browser(Method::POST, "/v1/settings/api-keys", admin)
        .json(&json!({ "name": format!("{scope} key"), "scope": scope }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let created = body(resp).await;
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("tt_"));
    (created["key"]["id"].as_i64().unwrap(), secret)
}

#[tokio::test]
async fn login_with_the_right_password_opens_a_session_with_a_hardened_cookie() {
    let app = TestApp::spawn_with(&AUTH_ON).await;
    let resp = app.login_response(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(resp.status(), 200);
    let set_cookie = resp.headers()["set-cookie"].to_str().unwrap().to_owned();
    for flag in [
        "telltale_session=",
        "HttpOnly",
        "SameSite=Lax",
        "Path=/",
        "Max-Age=43200",
    ] {
        assert!(set_cookie.contains(flag), "{flag} in {set_cookie}");
    }
    assert!(!set_cookie.contains("Secure"), "plain HTTP: {set_cookie}");
    let user = body(resp).await;
    assert_eq!(user["user"]["role"], "admin");
    let cookie = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let events = app
        .as_browser(Method::GET, "/v1/events", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(events.status(), 200);
    let page = app
        .as_browser(Method::GET, "/", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains(ADMIN_EMAIL) && html.contains("Sign out"),
        "{html}"
    );
    app.stop().await;
}

#[tokio::test]
async fn the_login_form_works_as_a_plain_html_form_post() {
    let app = TestApp::spawn_with(&AUTH_ON).await;
    let page = app
        .client
        .get(app.url("/login?next=%2Fruns"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"action="/auth/login""#) && html.contains(r#"method="post""#));
    assert!(
        html.contains(r#"value="/runs""#),
        "next carried in the form: {html}"
    );

    let form = |password: &str| {
        app.client
            .post(app.url("/auth/login"))
            .header("origin", app.origin())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!(
                "email=admin%40example.com&password={}&next=%2Fruns",
                password.replace(' ', "+")
            ))
    };
    let good = form(ADMIN_PASSWORD).send().await.unwrap();
    assert_eq!(good.status(), 303);
    assert_eq!(good.headers()["location"], "/runs");
    assert!(session_cookie(&good).is_some());
    let bad = form("wrong password here").send().await.unwrap();
    assert_eq!(bad.status(), 303);
    assert_eq!(
        bad.headers()["location"],
        "/login?error=invalid&next=%2Fruns"
    );
    assert!(session_cookie(&bad).is_none());
    let shown = app.page("/login?error=invalid&next=%2Fruns").await;
    assert!(shown.contains("Wrong email or password."));
    // An open redirect is not possible through next.
    let away = app
        .client
        .post(app.url("/auth/login"))
        .header("origin", app.origin())
        .header("content-type", "application/x-www-form-urlencoded")
        .body("email=admin%40example.com&password=correct+horse+battery+staple&next=%2F%2Fevil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(away.headers()["location"], "/");
    app.stop().await;
}

#[tokio::test]
async fn wrong_password_and_unknown_email_get_the_same_answer() {
    let app = TestApp::spawn_with(&AUTH_ON).await;
    let wrong = app.login_response(ADMIN_EMAIL, "not the password").await;
    assert_eq!(wrong.status(), 401);
    let wrong = body(wrong).await;
    let unknown = app
        .login_response("nobody@example.com", "not the password")
        .await;
    assert_eq!(unknown.status(), 401);
    assert_eq!(wrong, body(unknown).await);
    assert_eq!(wrong["error"]["code"], "invalid_credentials");
    app.stop().await;
}

#[tokio::test]
async fn the_cookie_is_secure_behind_https() {
    // The public URL says https.
    let app = TestApp::spawn_with(&auth_on_with(&[(
        "MONITOR_PUBLIC_URL",
        "https://monitor.example.com",
    )]))
    .await;
    let resp = app
        .client
        .post(app.url("/auth/login"))
        .header("origin", "https://monitor.example.com")
        .json(&json!({ "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["strict-transport-security"],
        "max-age=31536000"
    );
    let set_cookie = resp.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        set_cookie.starts_with("__Host-telltale_session="),
        "{set_cookie}"
    );
    assert!(set_cookie.contains("; Secure"), "{set_cookie}");
    // Over TLS only the __Host- name counts: the same value under the plain
    // name (tossed in by a sibling host) signs nobody in.
    let cookie = session_cookie(&resp).unwrap();
    for (sent, want) in [(cookie.clone(), 200), (cookie.replace("__Host-", ""), 401)] {
        let status = app
            .client
            .get(app.url("/v1/events"))
            .header("cookie", sent)
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, want);
    }
    app.stop().await;

    // A trusted proxy says https; the same header from anyone else is ignored.
    for (trusted, secure) in [("127.0.0.1", true), ("10.9.9.9", false)] {
        let app = TestApp::spawn_with(&auth_on_with(&[("MONITOR_TRUSTED_PROXIES", trusted)])).await;
        let resp = app
            .client
            .post(app.url("/auth/login"))
            .header("origin", app.origin())
            .header("x-forwarded-proto", "https")
            .json(&json!({ "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD }))
            .send()
            .await
            .unwrap();
        let set_cookie = resp.headers()["set-cookie"].to_str().unwrap().to_owned();
        assert_eq!(
            set_cookie.contains("; Secure"),
            secure,
            "{trusted}: {set_cookie}"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn sessions_end_when_idle_and_at_their_absolute_limit() {
    let start = Utc::now();
    let clock = Arc::new(ManualClock::new(start));
    let vars = auth_on_with(&[
        ("MONITOR_SESSION_IDLE_MINUTES", "30"),
        ("MONITOR_SESSION_MAX_HOURS", "1"),
    ]);
    let app = TestApp::spawn_with_clock(&vars, clock.clone()).await;
    let status = |cookie: String| {
        let request = app.as_browser(Method::GET, "/v1/events", &cookie);
        async move { request.send().await.unwrap().status().as_u16() }
    };

    // Idle: used at 29 minutes, then unused for 31.
    let cookie = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    clock.set(start + Duration::minutes(29));
    assert_eq!(status(cookie.clone()).await, 200);
    clock.set(start + Duration::minutes(60));
    assert_eq!(status(cookie.clone()).await, 401, "idle for 31 minutes");

    // Absolute: used every 20 minutes, still over after an hour.
    let t0 = start + Duration::minutes(60);
    let cookie = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    for minutes in [20, 40, 59] {
        clock.set(t0 + Duration::minutes(minutes));
        assert_eq!(status(cookie.clone()).await, 200, "at {minutes} min");
    }
    clock.set(t0 + Duration::minutes(60));
    assert_eq!(status(cookie).await, 401, "past MONITOR_SESSION_MAX_HOURS");
    app.stop().await;
}

#[tokio::test]
async fn logout_ends_the_session_on_the_server() {
    let app = TestApp::spawn_with(&AUTH_ON).await;
    let cookie = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let out = app
        .as_browser(Method::POST, "/auth/logout", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 303);
    assert_eq!(out.headers()["location"], "/login");
    let cleared: Vec<_> = out.headers().get_all("set-cookie").iter().collect();
    assert!(
        cleared
            .iter()
            .all(|v| v.to_str().unwrap().contains("Max-Age=0"))
    );
    // The old cookie, replayed, is dead: the row is gone.
    let replay = app
        .as_browser(Method::GET, "/v1/events", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 401);
    app.stop().await;
}

#[tokio::test]
async fn login_rotates_the_session_id() {
    let app = TestApp::spawn_with(&AUTH_ON).await;
    let first = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let resp = app
        .client
        .post(app.url("/auth/login"))
        .header("origin", app.origin())
        .header("cookie", &first)
        .json(&json!({ "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD }))
        .send()
        .await
        .unwrap();
    let second = session_cookie(&resp).unwrap();
    assert_ne!(first, second);
    let old = app
        .as_browser(Method::GET, "/v1/events", &first)
        .send()
        .await
        .unwrap();
    assert_eq!(old.status(), 401, "the pre-login session is gone");
    let new = app
        .as_browser(Method::GET, "/v1/events", &second)
        .send()
        .await
        .unwrap();
    assert_eq!(new.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn without_credentials_only_health_and_login_answer() {
    let app = TestApp::spawn_with(&AUTH_ON).await;
    assert_eq!(app.get_json("/v1/health").await.0, 200);
    let (status, error) = app.get_json("/v1/runs").await;
    assert_eq!(status, 401);
    assert_eq!(error["error"]["code"], "unauthorized");
    let page = app
        .client
        .get(app.url("/runs?status=failed"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 303);
    assert_eq!(
        page.headers()["location"],
        "/login?next=%2Fruns%3Fstatus%3Dfailed"
    );
    assert_eq!(
        app.client
            .get(app.url("/login"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    app.stop().await;
}

/// The access table of docs/access-control.md, endpoint by caller, over HTTP.
#[tokio::test]
async fn the_access_table_holds_for_every_caller() {
    let app = TestApp::spawn_with(&auth_on_with(&[("MONITOR_API_KEY", ENV_KEY)])).await;
    let admin = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    add_user(&app, &admin, "viewer@example.com", "viewer").await;
    let viewer = app.login("viewer@example.com", "viewer password 1").await;
    let (_, ingest) = add_key(&app, &admin, "ingest").await;
    let (_, read) = add_key(&app, &admin, "read").await;
    let (revoked_id, revoked) = add_key(&app, &admin, "read").await;
    let resp = app
        .as_browser(
            Method::POST,
            &format!("/v1/settings/api-keys/{revoked_id}/revoke"),
            &admin,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);

    enum Cred<'a> {
        None,
        Cookie(&'a str),
        Key(&'a str),
    }
    let callers = [
        ("nobody", Cred::None),
        ("viewer", Cred::Cookie(&viewer)),
        ("admin", Cred::Cookie(&admin)),
        ("ingest key", Cred::Key(&ingest)),
        ("read key", Cred::Key(&read)),
        ("revoked key", Cred::Key(&revoked)),
        ("MONITOR_API_KEY", Cred::Key(ENV_KEY)),
    ];
    // Columns follow `callers`. 404 on close: allowed in, no such alert.
    let table: [(&str, &str, [u16; 7]); 11] = [
        ("GET", "/v1/health", [200, 200, 200, 200, 200, 200, 200]),
        ("POST", "/v1/events", [401, 403, 403, 200, 403, 401, 200]),
        (
            "POST",
            "/v1/events/batch",
            [401, 403, 403, 200, 403, 401, 200],
        ),
        ("GET", "/v1/events", [401, 200, 200, 403, 200, 401, 200]),
        (
            "GET",
            "/v1/status/summary",
            [401, 200, 200, 403, 200, 401, 200],
        ),
        (
            "POST",
            "/v1/alerts/999/close",
            [401, 403, 404, 403, 403, 401, 403],
        ),
        (
            "GET",
            "/v1/settings/api-keys",
            [401, 403, 200, 403, 403, 401, 403],
        ),
        (
            "GET",
            "/v1/settings/users",
            [401, 403, 200, 403, 403, 401, 403],
        ),
        ("GET", "/metrics", [401, 200, 200, 403, 200, 401, 200]),
        ("GET", "/events", [303, 200, 200, 303, 303, 401, 303]),
        ("POST", "/api/auth/me", [401, 200, 200, 401, 401, 401, 401]),
    ];
    let mut wrong = Vec::new();
    for (method, path, row) in table {
        for ((who, cred), want) in callers.iter().zip(row) {
            let mut request = app
                .client
                .request(method.parse().unwrap(), app.url(path))
                // As a browser on our page would: same origin.
                .header("origin", app.origin());
            request = match cred {
                Cred::None => request,
                Cred::Cookie(c) => request.header("cookie", *c),
                Cred::Key(k) => request.header("x-api-key", *k),
            };
            request = match path {
                "/v1/events" if method == "POST" => request.json(&event("job.started", "x")),
                "/v1/events/batch" => request.json(&json!([event("job.started", "y")])),
                "/api/auth/me" => request
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(""),
                _ => request,
            };
            let got = request.send().await.unwrap().status().as_u16();
            if got != want {
                wrong.push(format!("{method} {path} as {who}: got {got}, want {want}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    app.stop().await;
}

#[tokio::test]
async fn cross_origin_posts_are_refused() {
    let app = TestApp::spawn_with(&AUTH_ON).await;
    let admin = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let close = |origin: Option<&str>, referer: Option<&str>| {
        let mut request = app
            .client
            .post(app.url("/v1/alerts/999/close"))
            .header("cookie", &admin);
        if let Some(o) = origin {
            request = request.header("origin", o);
        }
        if let Some(r) = referer {
            request = request.header("referer", r);
        }
        async move { request.send().await.unwrap() }
    };
    let evil = close(Some("https://evil.example"), None).await;
    assert_eq!(evil.status(), 403);
    assert_eq!(body(evil).await["error"]["code"], "cross_origin");
    let evil_referer = close(None, Some("https://evil.example/page")).await;
    assert_eq!(evil_referer.status(), 403);
    let neither = close(None, None).await;
    assert_eq!(neither.status(), 403, "a cookie without Origin or Referer");
    let own = close(Some(&app.origin()), None).await;
    assert_eq!(own.status(), 404, "same origin passes (no such alert)");
    let own_referer = close(None, Some(&format!("{}/alerts", app.origin()))).await;
    assert_eq!(own_referer.status(), 404);

    // Login CSRF (signing a victim into the attacker's account) too.
    let login = app
        .client
        .post(app.url("/auth/login"))
        .header("origin", "https://evil.example")
        .json(&json!({ "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 403);
    app.stop().await;
}

#[tokio::test]
async fn a_viewer_reads_but_cannot_close_alerts_or_manage_anything() {
    let app = TestApp::spawn_with(&AUTH_ON).await;
    let (admin, viewer) = admin_and_viewer(&app).await;
    let read = app
        .as_browser(Method::GET, "/v1/alerts", &viewer)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
    let close = app
        .as_browser(Method::POST, "/v1/alerts/1/close", &viewer)
        .send()
        .await
        .unwrap();
    assert_eq!(close.status(), 403);
    assert_eq!(body(close).await["error"]["code"], "forbidden");
    let add = app
        .as_browser(Method::POST, "/v1/settings/api-keys", &viewer)
        .json(&json!({ "name": "mine", "scope": "ingest" }))
        .send()
        .await
        .unwrap();
    assert_eq!(add.status(), 403);
    // The page that declares jobs offers its form to admins only.
    let page = |session| {
        let request = app.as_browser(Method::GET, "/new-job", session);
        async move { request.send().await.unwrap().text().await.unwrap() }
    };
    let seen = page(&viewer).await;
    assert!(seen.contains("An admin declares jobs"), "{seen}");
    assert!(!seen.contains("action=\"/api/jobs/create\""), "{seen}");
    let seen = page(&admin).await;
    assert!(seen.contains("action=\"/api/jobs/create\""), "{seen}");
    app.stop().await;
}

#[tokio::test]
async fn a_job_page_shows_its_ping_url_and_badge_to_all_and_its_forms_to_admins() {
    let app = TestApp::spawn_with(&AUTH_ON).await;
    let (admin, viewer) = admin_and_viewer(&app).await;
    let declared = app
        .as_browser(Method::POST, "/v1/jobs", &admin)
        .json(&json!({ "name": "nightly", "policy": { "schedule": "17 3 * * *" } }))
        .send()
        .await
        .unwrap();
    assert_eq!(declared.status(), 201, "{}", body(declared).await);
    let page = |session| {
        let request = app.as_browser(Method::GET, "/jobs/nightly", session);
        async move { request.send().await.unwrap().text().await.unwrap() }
    };
    for (who, session, admin) in [("viewer", &viewer, false), ("admin", &admin, true)] {
        let seen = page(session).await;
        // The ping URL, its crontab line with the job's schedule, and the
        // badge's snippet: everyone who may read.
        assert!(seen.contains("data-testid=\"ping-url\""), "{who}: {seen}");
        assert!(
            seen.contains("17 3 * * * /path/to/command.sh"),
            "{who}: {seen}"
        );
        assert!(seen.contains("/badge/nightly.svg"), "{who}: {seen}");
        for form in ["/api/pings/regenerate", "/api/badges/set", "/api/jobs/edit"] {
            assert_eq!(
                seen.contains(&format!("action=\"{form}\"")),
                admin,
                "{who} and {form}: {seen}"
            );
        }
    }
    app.stop().await;
}

#[tokio::test]
async fn login_is_throttled_per_account_with_a_clear_429() {
    let app = TestApp::spawn_with(&AUTH_ON).await;
    // All at once: the budget is taken when a request arrives, before the
    // (slow) password check, so a loaded machine cannot refill it meanwhile.
    let mut attempts = tokio::task::JoinSet::new();
    for _ in 0..7 {
        let request = app
            .client
            .post(app.url("/auth/login"))
            .header("origin", app.origin())
            .json(&json!({ "email": ADMIN_EMAIL, "password": "a wrong guess" }));
        attempts.spawn(async move { request.send().await.unwrap().status().as_u16() });
    }
    let mut statuses = attempts.join_all().await;
    statuses.sort();
    assert_eq!(statuses, [401, 401, 401, 401, 401, 429, 429]);
    let resp = app.login_response(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(resp.status(), 429, "even the right password waits");
    let retry: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=12).contains(&retry), "{retry}");
    let error = body(resp).await;
    assert_eq!(error["error"]["code"], "too_many_requests");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("retry in")
    );
    app.stop().await;
}

#[tokio::test]
async fn the_last_admin_cannot_be_removed() {
    let app = TestApp::spawn_with(&AUTH_ON).await;
    let admin = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let users = body(
        app.as_browser(Method::GET, "/v1/settings/users", &admin)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let id = users["users"][0]["id"].as_i64().unwrap();
    let delete = |id: i64| {
        app.as_browser(Method::DELETE, &format!("/v1/settings/users/{id}"), &admin)
            .send()
    };
    let refused = delete(id).await.unwrap();
    assert_eq!(refused.status(), 409);
    assert_eq!(body(refused).await["error"]["code"], "last_admin");
    let demote = app
        .as_browser(
            Method::POST,
            &format!("/v1/settings/users/{id}/role"),
            &admin,
        )
        .json(&json!({ "role": "viewer" }))
        .send()
        .await
        .unwrap();
    assert_eq!(demote.status(), 409, "nor made a viewer");
    // With a second admin, the first may go (and its session with it).
    add_user(&app, &admin, "second@example.com", "admin").await;
    assert_eq!(delete(id).await.unwrap().status(), 204);
    let gone = app
        .as_browser(Method::GET, "/v1/events", &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 401);
    app.stop().await;
}

#[tokio::test]
async fn a_password_reset_ends_sessions_and_takes_the_new_password() {
    let app = TestApp::spawn_with(&AUTH_ON).await;
    let admin = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let viewer = add_user(&app, &admin, "viewer@example.com", "viewer").await;
    let old = app.login("viewer@example.com", "viewer password 1").await;
    let path = format!("/v1/settings/users/{}/password", viewer["id"]);
    let short = app
        .as_browser(Method::POST, &path, &admin)
        .json(&json!({ "password": "short" }))
        .send()
        .await
        .unwrap();
    assert_eq!(short.status(), 400);
    assert_eq!(body(short).await["error"]["field"], "password");
    let reset = app
        .as_browser(Method::POST, &path, &admin)
        .json(&json!({ "password": "a brand new password" }))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 204);
    let replay = app
        .as_browser(Method::GET, "/v1/events", &old)
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 401);
    app.login("viewer@example.com", "a brand new password")
        .await;
    app.stop().await;
}

#[tokio::test]
async fn the_seed_variables_never_overwrite_the_stored_admin() {
    let app = TestApp::spawn_with(&AUTH_ON).await;
    let dir = app.stop_keeping_data().await;
    let app = TestApp::spawn_in(
        dir,
        &[
            AUTH_ON[0],
            AUTH_ON[1],
            ("MONITOR_AUTH_ADMIN_PASSWORD", "a different password"),
        ],
        Arc::new(SystemClock),
    )
    .await;
    assert_eq!(
        app.login_response(ADMIN_EMAIL, "a different password")
            .await
            .status(),
        401
    );
    app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    app.stop().await;
}

#[tokio::test]
async fn start_up_with_auth_on_names_the_missing_variable() {
    let dir = tempfile::tempdir().unwrap();
    let run = |vars: &[(&str, &str)]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_telltale"))
            .env_clear()
            .env("MONITOR_PORT", "0")
            .env("MONITOR_DB_PATH", dir.path().join("t.sqlite"))
            .envs(vars.iter().copied())
            .output()
            .unwrap()
    };
    let out = run(&[("MONITOR_AUTH_ENABLED", "true")]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("MONITOR_AUTH_ADMIN_EMAIL"), "{stderr}");
    let out = run(&[("MONITOR_AUTH_ADMIN_EMAIL", ADMIN_EMAIL)]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("MONITOR_AUTH_ADMIN_PASSWORD"));
    let out = run(&[
        ("MONITOR_AUTH_ENABLED", "false"),
        ("MONITOR_HOST", "0.0.0.0"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("MONITOR_ALLOW_INSECURE"), "{stderr}");
}

#[tokio::test]
async fn pages_and_answers_carry_the_security_headers() {
    let app = TestApp::spawn_with(&AUTH_ON).await;
    let page = app.client.get(app.url("/login")).send().await.unwrap();
    let headers = page.headers().clone();
    let csp = headers["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    for part in [
        "default-src 'none'",
        "'wasm-unsafe-eval'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ] {
        assert!(csp.contains(part), "{part} in {csp}");
    }
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    let nonce = csp_nonce(&csp).expect("a nonce in the policy").to_owned();
    let html = page.text().await.unwrap();
    let scripts = html.matches("<script").count();
    assert!(scripts > 0, "{html}");
    assert_eq!(
        html.matches(&format!("nonce=\"{nonce}\"")).count(),
        scripts,
        "every inline script carries this response's nonce: {html}"
    );
    for (name, value) in [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "same-origin"),
    ] {
        assert_eq!(headers[name], value);
    }
    // JSON answers (and 401s) get the strictest policy.
    let api = app.client.get(app.url("/v1/runs")).send().await.unwrap();
    assert_eq!(api.status(), 401);
    assert!(
        api.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .starts_with("default-src 'none'")
    );
    assert_eq!(api.headers()["x-content-type-options"], "nosniff");
    app.stop().await;
}

#[tokio::test]
async fn the_proxy_header_signs_in_only_from_trusted_addresses() {
    let header = ("MONITOR_AUTH_PROXY_HEADER", "X-Forwarded-User");
    let app = TestApp::spawn_with(&auth_on_with(&[
        header,
        ("MONITOR_AUTH_PROXY_TRUSTED", "127.0.0.1/32"),
    ]))
    .await;
    let as_alice = |method: Method, path: &str| {
        app.client
            .request(method, app.url(path))
            .header("x-forwarded-user", "alice@example.com")
            .header("origin", app.origin())
    };
    let read = as_alice(Method::GET, "/v1/events").send().await.unwrap();
    assert_eq!(read.status(), 200, "the proxy vouches for alice");
    let close = as_alice(Method::POST, "/v1/alerts/1/close")
        .send()
        .await
        .unwrap();
    assert_eq!(close.status(), 403, "created as a viewer");
    // Without Origin the header is an ambient credential: CSRF-checked.
    let forged = app
        .client
        .post(app.url("/v1/alerts/1/close"))
        .header("x-forwarded-user", ADMIN_EMAIL)
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert_eq!(
        app.login_response("alice@example.com", "").await.status(),
        400,
        "no password to try"
    );
    assert_eq!(
        app.login_response("alice@example.com", "any password at all")
            .await
            .status(),
        401,
        "a proxy-made account has no usable password"
    );
    app.stop().await;

    // The proxy is elsewhere: the same header from here is ignored.
    let app = TestApp::spawn_with(&auth_on_with(&[
        header,
        ("MONITOR_AUTH_PROXY_TRUSTED", "10.0.0.0/8"),
    ]))
    .await;
    let spoofed = app
        .client
        .get(app.url("/v1/events"))
        .header("x-forwarded-user", ADMIN_EMAIL)
        .send()
        .await
        .unwrap();
    assert_eq!(spoofed.status(), 401);
    app.stop().await;
}

#[tokio::test]
async fn with_auth_off_other_host_names_are_refused_against_dns_rebinding() {
    let app = TestApp::spawn().await;
    let status = |host: String| {
        let request = app.client.get(app.url("/v1/events")).header("host", host);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    let port = app.addr.port();
    assert_eq!(status(app.addr.to_string()).await, 200);
    assert_eq!(status(format!("localhost:{port}")).await, 200);
    assert_eq!(status(format!("evil.example:{port}")).await, 421);
    app.stop().await;
}

/// Found by probing: the page router resolves `..`, so `/pkg/../events`
/// (judged by its `/pkg/` prefix as open) rendered the events page without
/// a session. Paths with dot segments are now refused in every spelling.
#[tokio::test]
async fn dot_segments_cannot_smuggle_a_page_past_the_access_table() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::spawn_with(&AUTH_ON).await;
    for path in [
        "/auth/../events",
        "/pkg/../events",
        "/pkg/%2e%2e/events",
        "/pkg/..%2Fevents",
        "/pkg/..%5Cevents",
        "/pkg/..\\events",
        "/login/../events",
        "/pkg/../v1/events",
        "/v1/health/../events",
        "/pkg/./../events",
    ] {
        // Raw, since HTTP clients resolve dot segments before sending.
        let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            app.addr
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.unwrap();
        let status = answer.lines().next().unwrap_or("");
        assert!(
            status.contains(" 400 ") || status.contains(" 401 ") || status.contains(" 303 "),
            "{path}: {status}"
        );
        assert!(
            !answer.contains("<h1>Events</h1>"),
            "{path} rendered a page"
        );
    }
    app.stop().await;
}

/// A failure inside (here: a table gone from under the server) is a 503
/// that says "retry later" and nothing about SQL, tables or file paths.
#[tokio::test]
async fn a_broken_database_is_a_503_that_leaks_nothing() {
    let app = TestApp::spawn_with(&AUTH_ON).await;
    let cookie = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let db = rusqlite::Connection::open(app.db_path()).unwrap();
    db.execute_batch("PRAGMA foreign_keys = OFF; DROP TABLE sessions;")
        .unwrap();
    drop(db);
    let resp = app
        .as_browser(Method::GET, "/v1/events", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 503);
    let text = resp.text().await.unwrap();
    assert!(text.contains("store_unavailable"), "{text}");
    let dir = app.db_path().parent().unwrap().display().to_string();
    for secret in [
        "sessions",
        "no such table",
        "SELECT",
        "sqlite",
        dir.as_str(),
    ] {
        assert!(!text.contains(secret), "{secret:?} leaked: {text}");
    }
    app.stop().await;
}
