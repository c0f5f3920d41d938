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
    app.as_browser(Method::POST, "/api/settings/add-user", cookie)
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
