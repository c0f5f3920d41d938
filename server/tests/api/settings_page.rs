//! The settings page and its server functions, as a browser uses them.

use reqwest::Method;
use serde_json::Value;

use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, AUTH_ON, TestApp};

/// Calls a server function the way the hydrated page does (form-encoded).
async fn call(app: &TestApp, cookie: &str, endpoint: &str, form: &str) -> (u16, String) {
    let resp = app
        .as_browser(Method::POST, &format!("/api/settings/{endpoint}"), cookie)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.to_owned())
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

#[tokio::test]
async fn an_admin_manages_keys_and_users_from_the_settings_page() {
    let app = TestApp::spawn_with(&AUTH_ON).await;
    let admin = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;

    let (status, created) = call(&app, &admin, "create-key", "name=grafana&scope=read").await;
    assert_eq!(status, 200, "{created}");
    let created: Value = serde_json::from_str(&created).unwrap();
    let secret = created["secret"].as_str().unwrap();
    let read = app
        .client
        .get(app.url("/v1/events"))
        .header("x-api-key", secret)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200, "the new key reads");

    let (status, body) = call(
        &app,
        &admin,
        "add-user",
        "email=viewer%40example.com&password=viewer+password+1&role=viewer",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let added = body;

    let page = app.page_as("/settings", &admin).await;
    assert!(
        page.contains("grafana") && page.contains("viewer@example.com"),
        "{page}"
    );
    assert!(!page.contains(secret), "a key's secret is never listed");

    // The last admin stays, with the reason said.
    let (status, body) = call(&app, &admin, "remove-user", "id=1").await;
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("last admin"), "{body}");
    // Promoting through the page's function works.
    let viewer_id = serde_json::from_str::<Value>(&added).unwrap()["id"]
        .as_i64()
        .unwrap();
    let (status, body) = call(
        &app,
        &admin,
        "set-role",
        &format!("id={viewer_id}&role=admin"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // Now there are two admins, the first may be removed.
    let (status, body) = call(&app, &admin, "remove-user", "id=1").await;
    assert_eq!(status, 200, "{body}");
    app.stop().await;
}

#[tokio::test]
async fn a_viewer_gets_403_from_the_settings_functions() {
    let app = TestApp::spawn_with(&AUTH_ON).await;
    let admin = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    call(
        &app,
        &admin,
        "add-user",
        "email=viewer%40example.com&password=viewer+password+1&role=viewer",
    )
    .await;
    let viewer = app.login("viewer@example.com", "viewer password 1").await;
    for (endpoint, form) in [
        ("create-key", "name=mine&scope=ingest"),
        ("set-role", "id=2&role=admin"),
        ("remove-user", "id=1"),
        ("reset-password", "id=1&password=taken+over+now"),
    ] {
        let (status, body) = call(&app, &viewer, endpoint, form).await;
        assert_eq!(status, 403, "{endpoint}: {body}");
    }
    // Everyone is shown the way there: viewers read where alerts go.
    for cookie in [&viewer, &admin] {
        let html = app.page_as("/", cookie).await;
        assert!(html.contains(r#"href="/settings""#));
    }
    // The viewer's settings page names who manages keys and users, and
    // lists neither: not the admin's email, not a form to add one.
    let page = app.page_as("/settings", &viewer).await;
    assert!(page.contains("An admin manages the API keys."), "{page}");
    assert!(page.contains("An admin manages the users."), "{page}");
    assert!(page.contains("An admin changes where alerts go"), "{page}");
    assert!(!page.contains(ADMIN_EMAIL), "{page}");
    assert!(!page.contains("/api/settings/add-user"), "{page}");
    assert!(!page.contains("/api/maintenance/add"), "{page}");
    let admin_page = app.page_as("/settings", &admin).await;
    assert!(admin_page.contains(ADMIN_EMAIL), "{admin_page}");
    assert!(
        admin_page.contains("/api/settings/add-user"),
        "{admin_page}"
    );
    // Admin still signs in with the old password: nothing changed.
    app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    app.stop().await;
}

#[tokio::test]
async fn a_settings_function_called_from_another_site_is_refused() {
    let app = TestApp::spawn_with(&AUTH_ON).await;
    let admin = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let resp = app
        .client
        .post(app.url("/api/settings/create-key"))
        .header("cookie", &admin)
        .header("origin", "https://evil.example")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("name=stolen&scope=read")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    app.stop().await;
}

/// The add-user form as a browser without JavaScript posts it.
async fn add_user_without_javascript(app: &TestApp, cookie: &str, form: &str) -> reqwest::Response {
    post_without_javascript(app, cookie, "settings/add-user", form).await
}

/// A settings form as a browser without JavaScript posts it.
async fn post_without_javascript(
    app: &TestApp,
    cookie: &str,
    endpoint: &str,
    form: &str,
) -> reqwest::Response {
    app.as_browser(Method::POST, &format!("/api/{endpoint}"), cookie)
        .header("accept", "text/html")
        .header("referer", app.url("/settings"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.to_owned())
        .send()
        .await
        .unwrap()
}

/// Without JavaScript an ActionForm is a plain form POST: the server function
/// runs and the browser is sent back to the page.
#[tokio::test]
async fn the_settings_forms_work_without_javascript() {
    let app = TestApp::spawn_with(&AUTH_ON).await;
    let admin = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let resp = add_user_without_javascript(
        &app,
        &admin,
        "email=plain%40example.com&password=plain+form+password&role=viewer",
    )
    .await;
    assert!(resp.status().is_redirection(), "{}", resp.status());
    let back = resp.headers()["location"].to_str().unwrap();
    assert!(back.starts_with(&app.url("/settings")), "{back}");
    app.login("plain@example.com", "plain form password").await;

    // Refused, it still goes back to the page, which names the field.
    let resp = add_user_without_javascript(
        &app,
        &admin,
        "email=short%40example.com&password=short&role=viewer",
    )
    .await;
    assert!(resp.status().is_redirection(), "{}", resp.status());
    let back = resp.headers()["location"].to_str().unwrap().to_owned();
    let page = app
        .page_as(back.trim_start_matches(&app.url("")), &admin)
        .await;
    assert!(
        page.contains("password: must be at least 12 characters"),
        "{page}"
    );
    let users = app.page_as("/settings", &admin).await;
    assert!(
        !users.contains("short@example.com"),
        "nobody added: {users}"
    );
    app.stop().await;
}

/// The cookies a response sets, `name=value` with their attributes.
fn set_cookies(resp: &reqwest::Response) -> Vec<String> {
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

/// The settings page as the browser asks for it after the redirect, with
/// the cookies it holds: its HTML and the cookies the answer sets.
async fn settings_with(app: &TestApp, cookies: &str) -> (String, Vec<String>) {
    let resp = app
        .as_browser(Method::GET, "/settings", cookies)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let set = set_cookies(&resp);
    (resp.text().await.unwrap(), set)
}

/// Hydrated, a new secret comes in the form's answer; a browser without
/// JavaScript is sent back to the page instead, which shows the secret
/// once, then never again, and never one it did not make.
#[tokio::test]
async fn a_new_secret_is_shown_once_without_javascript() {
    let app = TestApp::spawn_with(&AUTH_ON).await;
    let admin = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;

    let resp = post_without_javascript(
        &app,
        &admin,
        "settings/create-key",
        "name=grafana&scope=read",
    )
    .await;
    assert!(resp.status().is_redirection(), "{}", resp.status());
    let left = set_cookies(&resp);
    let carried = left
        .iter()
        .find(|c| c.starts_with("telltale_new_key="))
        .unwrap_or_else(|| panic!("{left:?}"));
    // Only the settings page gets it, no script reads it, no other site sends it.
    assert!(carried.contains("; Path=/settings;"), "{carried}");
    assert!(
        carried.contains("HttpOnly") && carried.contains("SameSite=Strict"),
        "{carried}"
    );
    let cookie = carried.split(';').next().unwrap().to_owned();
    let secret = cookie.split_once('.').unwrap().1.to_owned();
    assert!(secret.starts_with("tt_"), "{secret}");

    let (page, set) = settings_with(&app, &format!("{admin}; {cookie}")).await;
    assert!(
        page.contains("New key “grafana”: copy it now, it is not shown again"),
        "{page}"
    );
    assert!(page.contains(&secret), "the secret is shown");
    assert!(
        set.iter()
            .any(|c| c.starts_with("telltale_new_key=;") && c.contains("Max-Age=0")),
        "{set:?}"
    );
    let read = app
        .client
        .get(app.url("/v1/events"))
        .header("x-api-key", &secret)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200, "the shown secret reads");
    // Once: the browser dropped the cookie, the next visit shows no secret.
    let (page, _) = settings_with(&app, &admin).await;
    assert!(
        page.contains("grafana") && !page.contains(&secret),
        "{page}"
    );

    // A planted cookie (another host of the domain can set one) shows
    // nothing: not a made-up secret for a real key, not an unknown key,
    // and not the right secret of a key since revoked.
    let id = cookie.split_once('=').unwrap().1.split_once('.').unwrap().0;
    let made_up = format!("tt_{}", "0".repeat(43));
    for planted in [
        format!("telltale_new_key={id}.{made_up}"),
        format!("telltale_new_key=999.{secret}"),
        format!("telltale_new_key={id}.<b>hi</b>"),
    ] {
        let (page, set) = settings_with(&app, &format!("{admin}; {planted}")).await;
        assert!(!page.contains("copy it now"), "{planted}: {page}");
        assert!(!page.contains(&made_up), "{planted}");
        assert!(
            set.iter().any(|c| c.contains("Max-Age=0")),
            "{planted}: cleared"
        );
    }
    let (status, body) = call(&app, &admin, "revoke-key", &format!("id={id}")).await;
    assert_eq!(status, 200, "{body}");
    let (page, _) = settings_with(&app, &format!("{admin}; {cookie}")).await;
    assert!(
        !page.contains(&secret),
        "a revoked key's secret is not shown"
    );

    // A signing channel's secret, the same way; a forged one is not shown.
    let form = "name=pager&url=http%3A%2F%2F127.0.0.1%3A9%2Fhook&format=generic&failure=on";
    let resp = post_without_javascript(&app, &admin, "delivery/add-webhook", form).await;
    assert!(resp.status().is_redirection(), "{}", resp.status());
    let left = set_cookies(&resp);
    let cookie = left
        .iter()
        .find(|c| c.starts_with("telltale_new_webhook="))
        .unwrap_or_else(|| panic!("{left:?}"))
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let (id, secret) = cookie.split_once('=').unwrap().1.split_once('.').unwrap();
    assert!(secret.starts_with("whsec_"), "{secret}");
    let forged = format!("telltale_new_webhook={id}.whsec_{}", "f".repeat(64));
    let (page, _) = settings_with(&app, &format!("{admin}; {forged}")).await;
    assert!(!page.contains("signs with this secret"), "{page}");
    let (page, set) = settings_with(&app, &format!("{admin}; {cookie}")).await;
    assert!(
        page.contains("Webhook “pager” signs with this secret"),
        "{page}"
    );
    assert!(page.contains(secret), "{page}");
    assert!(
        set.iter().any(|c| c.starts_with("telltale_new_webhook=;")),
        "{set:?}"
    );

    // Hydrated calls get the secret in their answer and leave no cookie.
    let resp = app
        .as_browser(Method::POST, "/api/settings/create-key", &admin)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("name=hydrated&scope=read")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(set_cookies(&resp).is_empty(), "{:?}", set_cookies(&resp));
    app.stop().await;
}
