//! The server under soak: the release binary as a child process, so that a
//! restart is a real one (SIGTERM or SIGKILL, then a new process on the same
//! database and port). Its output goes to a capped log file and is scanned
//! for panics and errors.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::logscan::{LogScan, LogSink, pump};
use super::{Result, SoakError};

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Stop {
    Term,
    Kill,
}

pub struct ServerProcess {
    binary: PathBuf,
    pub port: u16,
    pub base: String,
    env: Vec<(String, String)>,
    child: Option<Child>,
    sink: Arc<Mutex<LogSink>>,
    pub generation: u32,
}

impl ServerProcess {
    /// Starts the first process, writing its output to `log`.
    pub async fn start(
        binary: &Path,
        env: Vec<(String, String)>,
        log: &Path,
    ) -> Result<ServerProcess> {
        if !binary.exists() {
            return Err(SoakError::Setup(format!(
                "{} not found: build it first (cargo build --release -p telltale-server)",
                binary.display()
            )));
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let sink = LogSink::new(File::create(log)?);
        let mut server = ServerProcess {
            binary: binary.to_owned(),
            port,
            base: format!("http://127.0.0.1:{port}"),
            env,
            child: None,
            sink: Arc::new(Mutex::new(sink)),
            generation: 0,
        };
        server.spawn()?;
        server.wait_healthy(Duration::from_secs(60)).await?;
        Ok(server)
    }

    fn spawn(&mut self) -> Result<()> {
        self.generation += 1;
        let mut child = Command::new(&self.binary)
            .env("MONITOR_PORT", self.port.to_string())
            .env("NO_COLOR", "1")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let marker = format!(
            "----- soak: server process {} (pid {}) -----\n",
            self.generation,
            child.id()
        );
        if let Ok(mut s) = self.sink.lock() {
            let _ = s.file.write_all(marker.as_bytes());
        }
        if let Some(out) = child.stdout.take() {
            pump(out, self.sink.clone());
        }
        if let Some(err) = child.stderr.take() {
            pump(err, self.sink.clone());
        }
        self.child = Some(child);
        Ok(())
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    pub fn scan(&self) -> LogScan {
        self.sink.lock().map(|s| s.scan()).unwrap_or_default()
    }

    /// Waits until `/v1/health` answers at all (200 or 503: a degraded
    /// server is up, and the soak wants to see it), or the process exits.
    pub async fn wait_healthy(&mut self, limit: Duration) -> Result<()> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()?;
        let deadline = Instant::now() + limit;
        loop {
            if let Ok(r) = client.get(format!("{}/v1/health", self.base)).send().await
                && (r.status().is_success() || r.status().as_u16() == 503)
            {
                return Ok(());
            }
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                return Err(SoakError::NotHealthy(
                    limit,
                    format!(": the process exited ({status}); see the server log"),
                ));
            }
            if Instant::now() > deadline {
                return Err(SoakError::NotHealthy(limit, String::new()));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Stops the process: SIGTERM and up to `grace` for a clean exit (then
    /// SIGKILL), or SIGKILL at once. Says whether SIGTERM had to be forced.
    pub async fn stop(&mut self, how: Stop, grace: Duration) -> bool {
        let Some(mut child) = self.child.take() else {
            return false;
        };
        let mut forced = false;
        if how == Stop::Term {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(child.id().to_string())
                .status();
            let deadline = Instant::now() + grace;
            loop {
                if matches!(child.try_wait(), Ok(Some(_))) {
                    return false;
                }
                if Instant::now() > deadline {
                    forced = true;
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        let _ = child.kill();
        let _ = tokio::task::spawn_blocking(move || child.wait()).await;
        forced
    }

    /// A new process on the same database and port.
    pub async fn restart(&mut self, limit: Duration) -> Result<()> {
        self.spawn()?;
        self.wait_healthy(limit).await
    }
}

impl Drop for ServerProcess {
    /// A soak that ends early (error, panic, Ctrl-C) must not leave a
    /// server loading the machine.
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
