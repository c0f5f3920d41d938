//! Running the binary, seeding a database fast, and PostgreSQL databases
//! made for one test.

use std::path::Path;
use std::process::{Command, Output};

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::json;
use telltale_model::{Level, NewEvent, SourceType};
use telltale_store::{DatabaseTarget, Store};

/// `telltale ARGS` with the database at `db` (and `env` on top), nothing
/// else from this process's environment.
pub fn telltale(args: &[&str], db: &Path, env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_telltale"));
    command
        .args(args)
        .env_clear()
        .env("MONITOR_DB_PATH", db)
        .env("RUST_LOG", "warn");
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().expect("run telltale")
}

/// As [`telltale`], from async code.
pub async fn telltale_async(args: &[&str], db: &Path) -> Output {
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let db = db.to_owned();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        telltale(&args, &db, &[])
    })
    .await
    .expect("telltale task")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0)
        .single()
        .expect("time")
}

/// Stores `count` events straight through the store's batch ingest (1,000
/// a call): runs of 50 events over 40 jobs and 8 workers, each run started,
/// progressing and ending (one in five failing), with non-ASCII text and
/// JSON metadata, so runs, jobs and workers fill too.
pub async fn seed_events(store: &Store, count: usize) {
    let mut batch = Vec::with_capacity(1000);
    for i in 0..count {
        let run = i / 50;
        let step = i % 50;
        let (event_type, level) = match step {
            0 => ("job.started", Level::Info),
            49 if run % 5 == 4 => ("job.failed", Level::Error),
            49 => ("job.completed", Level::Info),
            _ => ("job.progress", Level::Info),
        };
        let at = t0() + Duration::seconds(i as i64);
        let mut e = NewEvent::new(
            SourceType::Worker,
            level,
            event_type,
            format!("étape {step} of run {run} ✓ \"quoted\", 'single'"),
            at,
        );
        e.event_id = Some(format!("seed-{i}"));
        e.job_name = Some(format!("job-{:02}", run % 40));
        e.run_id = Some(format!("run-{run:05}"));
        e.worker_id = Some(format!("farm-{:02}", run % 8));
        e.script_path = (step == 0).then(|| format!("/srv/jobs/job-{}.sh", run % 40));
        e.metadata = json!({"progress": step * 2, "host": "farm", "note": "ünïcode ✓", "n": i});
        batch.push(e);
        if batch.len() == 1000 {
            store.ingest(&batch, at).await.expect("seed ingest");
            batch.clear();
        }
    }
    if !batch.is_empty() {
        store.ingest(&batch, t0()).await.expect("seed ingest");
    }
}

/// A SQLite database at `path` holding `events` seeded events plus a row
/// in the account and delivery tables.
pub async fn seeded_sqlite(path: &Path, events: usize) {
    let store = Store::connect(&DatabaseTarget::Sqlite {
        path: path.to_owned(),
    })
    .await
    .expect("open sqlite");
    seed_events(&store, events).await;
    store
        .create_user(
            "Ops@Example.com",
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
            telltale_model::Role::Admin,
            t0(),
        )
        .await
        .expect("user");
    store
        .create_api_key(
            "render farm",
            telltale_model::KeyScope::Ingest,
            "ab12",
            "tt_ab",
            t0(),
        )
        .await
        .expect("api key");
    let hook = telltale_model::WebhookSettings {
        name: "ops".into(),
        url: "http://127.0.0.1:9/hook".into(),
        format: telltale_model::WebhookFormat::Slack,
        options: Default::default(),
        routing: Default::default(),
        enabled_alert_types: vec![telltale_model::AlertType::Failure],
        enabled: false,
        secret: None,
    };
    store
        .create_webhook(&hook, "s3cret", t0())
        .await
        .expect("webhook");
    store.close().await.expect("close");
}

/// A new PostgreSQL database for one test, dropped when this is dropped;
/// `None` (with a line saying the test skipped) where no server answers,
/// except under CI=true, where that fails the test.
pub struct Postgres {
    pub url: String,
    admin_url: String,
    name: String,
}

impl Postgres {
    /// Made (and migrated) by the store tests' helper; dropped by this.
    pub async fn create(test: &str) -> Option<Postgres> {
        let (store, target) = crate::store_support::postgres(test).await?;
        store.close().await.expect("close the test store");
        let DatabaseTarget::Postgres { url } = target else {
            panic!("a PostgreSQL target");
        };
        let admin_url = std::env::var("TELLTALE_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres:postgres@127.0.0.1:5432/postgres".to_owned());
        let name = url.rsplit_once('/').map(|(_, n)| n.to_owned())?;
        Some(Postgres {
            url,
            admin_url,
            name,
        })
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        // A runtime of its own: Drop may run inside or outside one.
        let dropped = std::thread::spawn(move || {
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
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop test database {}", self.name);
        }
    }
}
