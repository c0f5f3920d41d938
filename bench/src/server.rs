//! The server under test: the release binary on a temporary SQLite file,
//! or on the database its extra variables name.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Server {
    pub base: String,
    /// `None` once stopped; dropped while running, it is killed (a bench
    /// that fails midway must not leave a server loading the machine).
    child: Option<Child>,
    _dir: tempfile::TempDir,
}

use crate::Error;

/// A `kB` line of `/proc/<pid>/status` (`VmRSS:`, `VmHWM:`) in MiB.
pub fn status_mib(pid: u32, line: &str) -> Result<f64, Error> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix(line))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| format!("no {line} in /proc status"))?;
    Ok(kib / 1024.0)
}

impl Server {
    pub async fn start(binary: &Path) -> Result<Server, Error> {
        Self::start_with(binary, &[]).await
    }

    /// As [`Server::start`], with more environment (`MONITOR_DATABASE_URL`
    /// for PostgreSQL, an instance name, …).
    pub async fn start_with(binary: &Path, vars: &[(&str, &str)]) -> Result<Server, Error> {
        if !binary.exists() {
            return Err(format!(
                "{} not found: build it first (make build, or cargo leptos build --release)",
                binary.display()
            )
            .into());
        }
        let dir = tempfile::tempdir()?;
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let child = Command::new(binary)
            .env("MONITOR_PORT", port.to_string())
            .env("MONITOR_DB_PATH", dir.path().join("bench.sqlite"))
            .env("MONITOR_AUTH_ENABLED", "false")
            // The bench's webhook receivers listen on loopback.
            .env("MONITOR_WEBHOOK_ALLOW_PRIVATE", "true")
            .env("RUST_LOG", "warn")
            .envs(vars.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()?;
        let base = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(r) = client.get(format!("{base}/v1/health")).send().await
                && r.status().is_success()
            {
                break;
            }
            if Instant::now() > deadline {
                return Err("server did not become healthy in 20 s".into());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(Server {
            base,
            child: Some(child),
            _dir: dir,
        })
    }

    /// The kernel's high-water mark of the server's resident memory.
    pub fn peak_rss_mib(&self) -> Result<f64, Error> {
        status_mib(self.pid(), "VmHWM:")
    }

    /// The server's resident memory now.
    pub fn rss_mib(&self) -> Result<f64, Error> {
        status_mib(self.pid(), "VmRSS:")
    }

    /// Starts the high-water mark afresh from the current resident size
    /// (Linux: writing 5 to `clear_refs`).
    pub fn reset_peak_rss(&self) -> Result<(), Error> {
        std::fs::write(format!("/proc/{}/clear_refs", self.pid()), "5")?;
        Ok(())
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    pub async fn count_events(&self) -> Result<u64, Error> {
        // The newest id is the count: the bench never deletes, and every
        // insert takes the next id.
        let page: serde_json::Value = reqwest::get(format!("{}/v1/events?limit=1", self.base))
            .await?
            .json()
            .await?;
        Ok(page["events"][0]["id"].as_u64().unwrap_or(0))
    }

    /// Jobs known to the server, of every check state.
    pub async fn count_jobs(&self) -> Result<u64, Error> {
        let summary: telltale_model::StatusSummary =
            reqwest::get(format!("{}/v1/status/summary", self.base))
                .await?
                .error_for_status()?
                .json()
                .await?;
        Ok(summary.jobs_by_check_state.values().sum())
    }

    /// SIGKILL, as a crashed machine would stop.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub async fn stop(mut self) {
        // SIGTERM for a clean shutdown; the temp dir goes with self.
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status();
        let _ = tokio::task::spawn_blocking(move || child.wait()).await;
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}
