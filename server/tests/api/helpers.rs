use std::collections::HashMap;
use std::net::SocketAddr;

use serde_json::{Value, json};
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
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("telltale.sqlite");
        let mut env: HashMap<String, String> = HashMap::from([
            ("MONITOR_PORT".into(), "0".into()),
            ("MONITOR_AUTH_ENABLED".into(), "false".into()),
            ("MONITOR_DB_PATH".into(), db.display().to_string()),
        ]);
        for (k, v) in vars {
            env.insert((*k).into(), (*v).into());
        }
        let config = Config::from_lookup(|k| env.get(k).cloned()).expect("test config");
        let app = Application::build(config).await.expect("build app");
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

    pub async fn events(&self) -> Vec<Value> {
        let (status, body) = self.get_json("/v1/events").await;
        assert_eq!(status, 200, "{body}");
        body["events"].as_array().expect("events array").clone()
    }

    /// Asks the server to stop and waits until it has (requests drained,
    /// database closed).
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("server task").expect("clean shutdown");
        }
    }
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
