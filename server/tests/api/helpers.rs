use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use serde_json::{Value, json};
use telltale_server::engine::{Clock, SystemClock};
use telltale_server::{Application, Config};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<Result<(), telltale_server::startup::StartupError>>>,
    _dir: tempfile::TempDir,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(&[]).await
    }

    /// Starts a server configured by `vars` on top of a local test setup
    /// (port 0, auth off, a fresh SQLite file).
    pub async fn spawn_with(vars: &[(&str, &str)]) -> TestApp {
        Self::spawn_with_clock(vars, Arc::new(SystemClock)).await
    }

    /// As [`TestApp::spawn_with`], with sessions expiring by `clock`.
    pub async fn spawn_with_clock(vars: &[(&str, &str)], clock: Arc<dyn Clock>) -> TestApp {
        Self::spawn_in(tempfile::tempdir().expect("temp dir"), vars, clock).await
    }

    /// Starts a server on the database in `dir` (a second server on the
    /// same `dir` sees what the first stored).
    pub async fn spawn_in(
        dir: tempfile::TempDir,
        vars: &[(&str, &str)],
        clock: Arc<dyn Clock>,
    ) -> TestApp {
        let db = dir.path().join("telltale.sqlite");
        let mut env: HashMap<String, String> = HashMap::from([
            ("MONITOR_PORT".into(), "0".into()),
            ("MONITOR_AUTH_ENABLED".into(), "false".into()),
            ("MONITOR_DB_PATH".into(), db.display().to_string()),
            // The tests' webhook receivers listen on loopback.
            ("MONITOR_WEBHOOK_ALLOW_PRIVATE".into(), "true".into()),
        ]);
        for (k, v) in vars {
            env.insert((*k).into(), (*v).into());
        }
        let config = Config::from_lookup(|k| env.get(k).cloned()).expect("test config");
        let app = Application::build_with_clock(config, clock)
            .await
            .expect("build app");
        let addr = app.local_addr();
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until_stopped(async {
            let _ = stopped.await;
        }));
        TestApp {
            addr,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            stop: Some(stop),
            server: Some(server),
            _dir: dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> (u16, Value) {
        let resp = self
            .client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request");
        let status = resp.status().as_u16();
        (status, resp.json().await.expect("JSON answer"))
    }

    pub async fn post_raw(&self, path: &str, body: impl Into<reqwest::Body>) -> (u16, Value) {
        let resp = self
            .client
            .post(self.url(path))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("request");
        let status = resp.status().as_u16();
        (status, resp.json().await.expect("JSON answer"))
    }

    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        let resp = self
            .client
            .get(self.url(path))
            .send()
            .await
            .expect("request");
        let status = resp.status().as_u16();
        (status, resp.json().await.expect("JSON answer"))
    }

    /// A GET with `x-api-key: key`; status and JSON answer.
    pub async fn get_json_with_key(&self, path: &str, key: &str) -> (u16, Value) {
        let resp = self
            .client
            .get(self.url(path))
            .header("x-api-key", key)
            .send()
            .await
            .expect("request");
        let status = resp.status().as_u16();
        (status, resp.json().await.expect("JSON answer"))
    }

    pub async fn events(&self) -> Vec<Value> {
        let (status, body) = self.get_json("/v1/events").await;
        assert_eq!(status, 200, "{body}");
        body["events"].as_array().expect("events array").clone()
    }

    /// Asks the server to stop and waits until it has (requests drained,
    /// database closed).
    pub async fn stop(self) {
        let _ = self.stop_keeping_data().await;
    }

    /// Stops the server and hands back its database directory.
    pub async fn stop_keeping_data(mut self) -> tempfile::TempDir {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("server task").expect("clean shutdown");
        }
        let dir = tempfile::tempdir().expect("temp dir");
        std::mem::replace(&mut self._dir, dir)
    }
}

pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const ADMIN_PASSWORD: &str = "correct horse battery staple";

/// Auth on, with the first admin seeded.
pub const AUTH_ON: [(&str, &str); 3] = [
    ("MONITOR_AUTH_ENABLED", "true"),
    ("MONITOR_AUTH_ADMIN_EMAIL", ADMIN_EMAIL),
    ("MONITOR_AUTH_ADMIN_PASSWORD", ADMIN_PASSWORD),
];

/// [`AUTH_ON`] plus `extra`.
pub fn auth_on_with<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    AUTH_ON.iter().chain(extra).copied().collect()
}

impl TestApp {
    /// The HTML of a page, fetched without credentials.
    pub async fn page(&self, path: &str) -> String {
        let resp = self
            .client
            .get(self.url(path))
            .send()
            .await
            .expect("request");
        resp.text().await.expect("HTML")
    }

    /// The HTML of a page as a signed-in browser gets it.
    pub async fn page_as(&self, path: &str, cookie: &str) -> String {
        let resp = self
            .as_browser(reqwest::Method::GET, path, cookie)
            .send()
            .await
            .expect("request");
        resp.text().await.expect("HTML")
    }

    /// The SQLite file this server uses.
    pub fn db_path(&self) -> std::path::PathBuf {
        self._dir.path().join("telltale.sqlite")
    }

    /// What a browser on one of our pages sends as `Origin`.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Signs in through the JSON form of `/auth/login`; the whole answer.
    pub async fn login_response(&self, email: &str, password: &str) -> reqwest::Response {
        self.client
            .post(self.url("/auth/login"))
            .header("origin", self.origin())
            .json(&json!({ "email": email, "password": password }))
            .send()
            .await
            .expect("request")
    }

    /// Signs in and returns the `Cookie` header value for later requests.
    pub async fn login(&self, email: &str, password: &str) -> String {
        let resp = self.login_response(email, password).await;
        assert_eq!(resp.status(), 200, "login of {email}");
        session_cookie(&resp).expect("a session cookie")
    }

    /// A request as a signed-in browser on our own page sends it.
    pub fn as_browser(
        &self,
        method: reqwest::Method,
        path: &str,
        cookie: &str,
    ) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(path))
            .header("cookie", cookie)
            .header("origin", self.origin())
    }
}

/// `name=value` of the session cookie a response sets.
pub fn session_cookie(resp: &reqwest::Response) -> Option<String> {
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.contains("telltale_session=") && !v.contains("Max-Age=0"))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
}

pub fn event(event_type: &str, message: &str) -> Value {
    json!({
        "sourceType": "worker",
        "level": "info",
        "eventType": event_type,
        "message": message,
        "jobName": "nightly-proxy-render",
        "runId": "run-1",
        "workerId": "farm-01",
    })
}

/// The script nonce a page's Content-Security-Policy names.
pub fn csp_nonce(csp: &str) -> Option<&str> {
    csp.split("'nonce-").nth(1)?.split('\'').next()
}
