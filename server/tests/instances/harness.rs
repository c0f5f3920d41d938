//! Real `telltale` processes on one real PostgreSQL database.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};
use serde_json::Value;

/// How often an instance that does not lead tries to (the tests' setting).
pub const RETRY: Duration = Duration::from_secs(1);

/// The binary under test: `TELLTALE_BIN` (CI points it at the release
/// build) or the one cargo built for these tests.
fn binary() -> PathBuf {
    std::env::var_os("TELLTALE_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_telltale")))
}

/// A new, empty database (not migrated: the instances do it), or `None`
/// with a line saying the test skipped where no PostgreSQL answers.
pub async fn fresh_database(test: &str) -> Option<String> {
    crate::support::empty_postgres_database(test).await
}

pub async fn sql(url: &str) -> DatabaseConnection {
    Database::connect(url).await.expect("connect for checks")
}

pub async fn query_i64(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await
        .expect("query")
        .expect("a row");
    row.try_get_by_index::<i64>(0).expect("an integer")
}

/// Ends the connections of `application_name` as an operator could.
pub async fn terminate(db: &DatabaseConnection, application_name: &str) -> i64 {
    query_i64(
        db,
        &format!(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE application_name = '{application_name}' AND datname = current_database()"
        ),
    )
    .await
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

pub struct Instance {
    pub name: String,
    pub base: String,
    port: u16,
    url: String,
    extra: Vec<(String, String)>,
    child: Option<Child>,
    pub client: reqwest::Client,
}

impl Instance {
    /// Starts `telltale serve` named `name` on the database at `url`; its log
    /// goes to `target/tmp/instances-<name>-<port>.log`.
    pub fn start(name: &str, url: &str, extra: &[(&str, &str)]) -> Instance {
        let mut me = Instance {
            name: name.to_owned(),
            port: free_port(),
            base: String::new(),
            url: url.to_owned(),
            extra: extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            child: None,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .expect("client"),
        };
        me.base = format!("http://127.0.0.1:{}", me.port);
        me.spawn();
        me
    }

    fn spawn(&mut self) {
        let log = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("instances-{}-{}.log", self.name, self.port));
        let file = std::fs::File::create(&log).expect("log file");
        let child = Command::new(binary())
            .env_clear()
            .env("MONITOR_DATABASE_URL", &self.url)
            .env("MONITOR_PORT", self.port.to_string())
            .env("MONITOR_AUTH_ENABLED", "false")
            .env("MONITOR_INSTANCE_NAME", &self.name)
            .env("MONITOR_LEADER_RETRY_SECONDS", RETRY.as_secs().to_string())
            .env("MONITOR_EVALUATOR_INTERVAL_SECONDS", "1")
            // The webhook receivers listen on loopback.
            .env("MONITOR_WEBHOOK_ALLOW_PRIVATE", "true")
            .env("RUST_LOG", "info")
            .envs(self.extra.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .expect("start telltale");
        self.child = Some(child);
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn wait_healthy(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(r) = self.client.get(self.url("/v1/health")).send().await
                && r.status().is_success()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{} did not become healthy at {}", self.name, self.base);
    }

    /// `leader` from `/v1/health`; `None` when the instance does not answer.
    pub async fn leads(&self) -> Option<bool> {
        let r = self.client.get(self.url("/v1/health")).send().await.ok()?;
        let health: Value = r.json().await.ok()?;
        assert_eq!(health["instance"], self.name.as_str(), "{health}");
        health["leader"].as_bool()
    }

    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let r = self
            .client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("post");
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> Value {
        let r = self.client.get(self.url(path)).send().await.expect("get");
        assert!(r.status().is_success(), "GET {path}: {}", r.status());
        r.json().await.expect("json")
    }

    /// `/v1/stream`, open (a client without a timeout: it never ends).
    pub async fn stream(&self) -> reqwest::Response {
        let r = reqwest::Client::new()
            .get(self.url("/v1/stream"))
            .send()
            .await
            .expect("stream");
        assert_eq!(r.status(), 200);
        r
    }

    pub async fn page(&self, path: &str) -> String {
        let r = self.client.get(self.url(path)).send().await.expect("page");
        assert_eq!(r.status(), 200, "{path}");
        r.text().await.expect("html")
    }

    /// SIGKILL: no goodbye, the lock connection just drops.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().ok();
            child.wait().ok();
        }
    }

    /// SIGTERM and wait: a graceful stop.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status()
                .ok();
            let deadline = Instant::now() + Duration::from_secs(20);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            child.kill().ok();
            child.wait().ok();
            panic!("{} did not stop within 20 s of SIGTERM", self.name);
        }
    }

    /// Starts the process again on the same port.
    pub async fn restart(&mut self) {
        self.stop();
        self.spawn();
        self.wait_healthy().await;
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Waits until exactly one of `instances` leads and returns its index.
pub async fn the_leader(instances: &[&Instance], within: Duration) -> usize {
    let deadline = Instant::now() + within;
    let mut last = Vec::new();
    while Instant::now() < deadline {
        last.clear();
        for i in instances {
            last.push(i.leads().await);
        }
        let leading: Vec<usize> = (0..last.len()).filter(|&i| last[i] == Some(true)).collect();
        if leading.len() == 1 {
            return leading[0];
        }
        assert!(leading.len() < 2, "two leaders at once: {last:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no single leader within {within:?}: {last:?}");
}
