//! The trust suite's rig: a server on a fresh database of each backend, a
//! webhook receiver subscribed to every alert type, and the canary.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use telltale_server::engine::{Clock, SystemClock};
use telltale_server::{Application, Config};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::receivers::http::{HookReceiver, Received};

pub const SECRET: &str = "whsec_trust_suite_0123456789";

/// The admin a rig with login on seeds ([`Rig::start_with_auth`]); the rig
/// signs in as it to subscribe its receiver.
pub const ADMIN_EMAIL: &str = "admin@trust.example";
pub const ADMIN_PASSWORD: &str = "trust suite admin password";
/// `MONITOR_API_KEY` of a rig with login on: the rig's own ingest and reads
/// (the canary's included) send it as `x-api-key`.
pub const API_KEY: &str = "tt_trust_suite_env_key_0123456789abcdef";

/// Where a rig keeps its data: a SQLite file or a PostgreSQL database of
/// its own, dropped with it.
pub enum Db {
    Sqlite(tempfile::TempDir),
    Postgres(PgDatabase),
}

impl Db {
    pub fn name(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    fn vars(&self) -> Vec<(String, String)> {
        match self {
            Db::Sqlite(dir) => vec![(
                "MONITOR_DB_PATH".into(),
                dir.path().join("telltale.sqlite").display().to_string(),
            )],
            Db::Postgres(pg) => vec![
                ("MONITOR_DATABASE_URL".into(), pg.url.clone()),
                // A restarted instance takes the lock back quickly.
                ("MONITOR_LEADER_RETRY_SECONDS".into(), "1".into()),
            ],
        }
    }
}

/// A fresh database on each backend: SQLite always, PostgreSQL where a
/// server answers (under `CI=true` one must).
pub async fn databases(test: &str) -> Vec<Db> {
    let mut out = vec![Db::Sqlite(tempfile::tempdir().expect("temp dir"))];
    if let Some(pg) = PgDatabase::create(test).await {
        out.push(Db::Postgres(pg));
    }
    out
}

/// A PostgreSQL database made for one test; dropped with it.
pub struct PgDatabase {
    pub url: String,
    admin_url: String,
    name: String,
}

impl PgDatabase {
    async fn create(test: &str) -> Option<PgDatabase> {
        let url = crate::store_support::empty_postgres_database(test).await?;
        let admin_url = std::env::var("TELLTALE_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres:postgres@127.0.0.1:5432/postgres".to_owned());
        let name = url.rsplit_once('/').map(|(_, n)| n.to_owned())?;
        Some(PgDatabase {
            url,
            admin_url,
            name,
        })
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(async {
                use sea_orm::ConnectionTrait;
                let admin = sea_orm::Database::connect(&admin_url).await?;
                admin.execute_unprepared(&sql).await?;
                admin.close().await
            })
            .map_err(std::io::Error::other)
        })
        .join();
    }
}

/// A running server with a webhook receiver that hears every alert.
pub struct Rig {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub hook: HookReceiver,
    pub backend: &'static str,
    /// Faults this server can be made to suffer.
    pub faults: telltale_server::faults::Faults,
    /// Sent as `x-api-key` by the rig's own requests (login on only).
    api_key: Option<String>,
    vars: Vec<(String, String)>,
    clock: Arc<dyn Clock>,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<Result<(), telltale_server::startup::StartupError>>>,
}

static CANARIES: AtomicU64 = AtomicU64::new(0);

impl Rig {
    /// A server on `db` configured by `vars` (over a test setup: port 0,
    /// auth off, quick evaluator, webhooks to loopback allowed), with a
    /// webhook for every alert type.
    pub async fn start(db: &Db, vars: &[(&str, &str)]) -> Rig {
        Self::start_with_clock(db, vars, Arc::new(SystemClock)).await
    }

    /// As [`Rig::start`], with login on: an admin seeded
    /// ([`ADMIN_EMAIL`]) and `MONITOR_API_KEY` set to [`API_KEY`], which the
    /// rig's own requests carry. `vars` come last and win.
    pub async fn start_with_auth(db: &Db, vars: &[(&str, &str)]) -> Rig {
        let mut all = vec![
            ("MONITOR_AUTH_ENABLED", "true"),
            ("MONITOR_AUTH_ADMIN_EMAIL", ADMIN_EMAIL),
            ("MONITOR_AUTH_ADMIN_PASSWORD", ADMIN_PASSWORD),
            ("MONITOR_API_KEY", API_KEY),
        ];
        all.extend_from_slice(vars);
        Self::start(db, &all).await
    }

    pub async fn start_with_clock(db: &Db, vars: &[(&str, &str)], clock: Arc<dyn Clock>) -> Rig {
        let hook = HookReceiver::start(SECRET).await;
        let mut all: Vec<(String, String)> = vec![
            ("MONITOR_PORT".into(), "0".into()),
            ("MONITOR_AUTH_ENABLED".into(), "false".into()),
            ("MONITOR_EVALUATOR_INTERVAL_SECONDS".into(), "1".into()),
            ("MONITOR_WEBHOOK_ALLOW_PRIVATE".into(), "true".into()),
            ("MONITOR_DELIVERY_BACKOFF_SECONDS".into(), "1".into()),
        ];
        all.extend(db.vars());
        all.extend(vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        let mut rig = Rig::boot(all, clock, hook).await;
        rig.subscribe().await;
        rig
    }

    async fn boot(vars: Vec<(String, String)>, clock: Arc<dyn Clock>, hook: HookReceiver) -> Rig {
        let env: HashMap<String, String> = vars.iter().cloned().collect();
        let config = Config::from_lookup(|k| env.get(k).cloned()).expect("test config");
        let api_key = config
            .auth
            .enabled
            .then(|| config.api_key.clone())
            .flatten();
        let backend = match config.database {
            telltale_store::DatabaseTarget::Sqlite { .. } => "sqlite",
            telltale_store::DatabaseTarget::Postgres { .. } => "postgres",
        };
        let app = Application::build_with_clock(config, clock.clone())
            .await
            .expect("build app");
        let addr = app.local_addr();
        let faults = app.faults();
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until_stopped(async {
            let _ = stopped.await;
        }));
        Rig {
            addr,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(30))
                .build()
                .expect("client"),
            hook,
            backend,
            faults,
            api_key,
            vars,
            clock,
            stop: Some(stop),
            server: Some(server),
        }
    }

    async fn subscribe(&mut self) {
        let webhook = json!({
            "name": "trust receiver",
            "url": self.hook.url(),
            "secret": SECRET,
            "enabledAlertTypes": ["FAILURE", "MISSED", "RECOVERY", "WORKER_OFFLINE", "SCHEDULER_OFFLINE"],
        });
        let (status, body) = if self.api_key.is_some() {
            // Settings take an admin's session, as from the dashboard.
            let cookie = self.admin_session().await;
            let resp = self
                .client
                .post(self.url("/v1/settings/alerts/webhooks"))
                .header("cookie", cookie)
                .header("origin", self.url(""))
                .json(&webhook)
                .send()
                .await
                .expect("request");
            let status = resp.status().as_u16();
            (status, resp.json().await.unwrap_or(Value::Null))
        } else {
            self.post("/v1/settings/alerts/webhooks", &webhook).await
        };
        assert_eq!(status, 201, "webhook for the trust receiver: {body}");
    }

    /// Signs in as the seeded admin; the `Cookie` header value.
    pub async fn admin_session(&self) -> String {
        let resp = self
            .client
            .post(self.url("/auth/login"))
            .header("origin", self.url(""))
            .json(&json!({ "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD }))
            .send()
            .await
            .expect("request");
        assert_eq!(resp.status(), 200, "[{}] admin sign-in", self.backend);
        resp.headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next())
            .find(|pair| pair.contains('='))
            .expect("a session cookie")
            .to_owned()
    }

    /// A request to `path` with the rig's credentials (its API key when
    /// login is on).
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let builder = self.client.request(method, self.url(path));
        match &self.api_key {
            Some(key) => builder.header("x-api-key", key),
            None => builder,
        }
    }

    /// Stops the server and starts it again on the same database and
    /// receiver, as an operator's restart would.
    pub async fn restart(self) -> Rig {
        self.restart_with(&[]).await
    }

    /// As [`Rig::restart`], with `vars` changed, as an operator who edits
    /// the configuration before the restart.
    pub async fn restart_with(mut self, vars: &[(&str, &str)]) -> Rig {
        self.shutdown().await;
        let mut all = std::mem::take(&mut self.vars);
        for (k, v) in vars {
            all.retain(|(key, _)| key != k);
            all.push(((*k).to_owned(), (*v).to_owned()));
        }
        Rig::boot(all, self.clock.clone(), self.hook.clone()).await
    }

    async fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("server task").expect("clean shutdown");
        }
    }

    pub async fn stop(mut self) {
        self.shutdown().await;
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let resp = self
            .request(reqwest::Method::POST, path)
            .json(body)
            .send()
            .await
            .expect("request");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let resp = self
            .request(reqwest::Method::GET, path)
            .send()
            .await
            .expect("request");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// Posts one event; its answer must be 200.
    pub async fn event(&self, event: Value) -> Value {
        let (status, body) = self.post("/v1/events", &event).await;
        assert_eq!(status, 200, "event {event} answered {body}");
        body
    }

    /// Alerts of `job`, any status, newest first.
    pub async fn alerts_of(&self, job: &str) -> Vec<Value> {
        let (status, body) = self
            .get(&format!("/v1/alerts?job={}", urlencode(job)))
            .await;
        assert_eq!(status, 200, "{body}");
        body["alerts"].as_array().cloned().unwrap_or_default()
    }

    /// Waits (up to `within`) until `probe` gives a value.
    pub async fn wait_for<T, F, Fut>(&self, what: &str, within: Duration, mut probe: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Option<T>>,
    {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(v) = probe().await {
                return v;
            }
            if tokio::time::Instant::now() > deadline {
                panic!(
                    "[{}] timed out after {within:?} waiting for {what}",
                    self.backend
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The open alert of `alert_type` for `job`, once there is one.
    pub async fn open_alert(&self, job: &str, alert_type: &str, within: Duration) -> Value {
        self.wait_for(
            &format!("an open {alert_type} alert of {job}"),
            within,
            || async {
                self.alerts_of(job)
                    .await
                    .into_iter()
                    .find(|a| a["alertType"] == alert_type && a["status"] == "OPEN")
            },
        )
        .await
    }

    /// Posts a batch; its answer must be 200.
    pub async fn batch(&self, events: &[Value]) -> Value {
        let (status, body) = self
            .post("/v1/events/batch", &json!({ "events": events }))
            .await;
        assert_eq!(status, 200, "[{}] batch answered {body}", self.backend);
        body
    }

    /// `GET /v1/status/jobs/{name}`'s `job`: the job with its `policy`,
    /// `checkState` and times.
    pub async fn job(&self, name: &str) -> Value {
        let (status, body) = self
            .get(&format!("/v1/status/jobs/{}", urlencode(name)))
            .await;
        assert_eq!(status, 200, "[{}] job {name}: {body}", self.backend);
        body["job"].clone()
    }

    /// Waits (up to `within`) until `job`'s check state is `state`; the job.
    pub async fn job_in_state(&self, name: &str, state: &str, within: Duration) -> Value {
        self.wait_for(&format!("{name} {state}"), within, || async {
            let job = self.job(name).await;
            (job["checkState"] == state).then_some(job)
        })
        .await
    }

    /// Closes alert `id` by hand, as a person would; it was open.
    pub async fn close_alert(&self, id: i64, reason: &str) {
        let (status, body) = self
            .post(
                &format!("/v1/alerts/{id}/close"),
                &json!({ "reason": reason }),
            )
            .await;
        assert_eq!(status, 200, "[{}] close {id}: {body}", self.backend);
        assert_eq!(
            body["updated"], true,
            "[{}] alert {id} was open: {body}",
            self.backend
        );
    }

    /// WORKER_OFFLINE alerts of `worker`, any status, newest first.
    pub async fn worker_alerts(&self, worker: &str) -> Vec<Value> {
        let (status, body) = self.get("/v1/alerts?type=WORKER_OFFLINE&limit=1000").await;
        assert_eq!(status, 200, "{body}");
        body["alerts"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|a| a["workerId"] == worker)
            .collect()
    }

    /// The open WORKER_OFFLINE alert of `worker`, once there is one.
    pub async fn open_worker_alert(&self, worker: &str, within: Duration) -> Value {
        self.wait_for(
            &format!("an open WORKER_OFFLINE alert of {worker}"),
            within,
            || async {
                self.worker_alerts(worker)
                    .await
                    .into_iter()
                    .find(|a| a["status"] == "OPEN")
            },
        )
        .await
    }

    /// The webhook deliveries of alert `id` that the receiver accepted.
    pub fn delivered(&self, id: i64) -> Vec<Received> {
        self.hook
            .accepted()
            .into_iter()
            .filter(|r| r.body["alert"]["id"].as_i64() == Some(id))
            .collect()
    }

    /// Alerting still works: a fresh job fails, and its FAILURE alert opens
    /// and reaches the webhook receiver, signed, within seconds.
    pub async fn canary(&self) {
        let n = CANARIES.fetch_add(1, Ordering::Relaxed);
        let job = format!("canary-{}-{n}", std::process::id());
        let run = format!("{job}-run");
        self.event(json!({
            "sourceType": "worker", "level": "error", "eventType": "job.failed",
            "message": "canary failed on purpose", "jobName": job, "runId": run,
        }))
        .await;
        let alert = self
            .open_alert(&job, "FAILURE", Duration::from_secs(20))
            .await;
        let id = alert["id"].as_i64().expect("alert id");
        assert!(
            alert["reason"].as_str().unwrap_or_default().contains(&run),
            "[{}] the canary's alert names its failed run: {alert}",
            self.backend
        );
        let got = self
            .wait_for("the canary's delivery", Duration::from_secs(20), || async {
                let got = self.delivered(id);
                (!got.is_empty()).then_some(got)
            })
            .await;
        assert!(
            got.iter().all(|r| r.signature_ok),
            "[{}] canary delivery signed",
            self.backend
        );
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

pub fn urlencode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// Runs `test` against a rig on each backend, then the canary.
#[macro_export]
macro_rules! on_each_backend {
    ($name:literal, $vars:expr, |$rig:ident| $body:expr) => {{
        for db in $crate::support::databases($name).await {
            let $rig = $crate::support::Rig::start(&db, $vars).await;
            let $rig = $body;
            $rig.canary().await;
            $rig.stop().await;
        }
    }};
}
