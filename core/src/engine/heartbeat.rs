//! Telltale's own dead man's switch (`MONITOR_HEARTBEAT_URL`): after a
//! successful evaluator tick, at most once a minute, a ping to a monitor
//! that watches Telltale — healthchecks, any switch, or another Telltale.
//! When the evaluator stops ticking, the pings stop and that monitor
//! alerts: the one failure Telltale cannot report about itself.
//!
//! A URL ending in `/v1/events` is another Telltale: it gets an event of a
//! job named after this instance, scheduled every minute, so a silence
//! there is a MISSED alert like any other. Any other URL gets a GET.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

/// At most one ping per this.
const EVERY: Duration = Duration::from_secs(60);
/// A ping that takes longer is dropped: the next tick tries again.
const TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Clone)]
pub struct SelfHeartbeat {
    url: Arc<str>,
    /// The job this instance is on a watching Telltale (`telltale@<instance>`),
    /// when the URL is one; `None` for a plain GET.
    job: Option<Arc<str>>,
    api_key: Option<Arc<str>>,
    client: reqwest::Client,
    last: Arc<Mutex<Option<Instant>>>,
}

impl SelfHeartbeat {
    pub fn new(url: &str, api_key: Option<&str>, instance: &str) -> Result<Self, reqwest::Error> {
        let to_telltale = url.trim_end_matches('/').ends_with("/v1/events");
        Ok(Self {
            url: url.into(),
            job: to_telltale.then(|| format!("telltale@{instance}").into()),
            api_key: api_key.map(Into::into),
            client: reqwest::Client::builder()
                .timeout(TIMEOUT)
                .user_agent(concat!("telltale/", env!("CARGO_PKG_VERSION")))
                .build()?,
            last: Arc::default(),
        })
    }

    /// Pings in the background if a minute has passed since the last ping.
    pub fn after_tick(&self) {
        {
            let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
            if last.is_some_and(|at| at.elapsed() < EVERY) {
                return;
            }
            *last = Some(Instant::now());
        }
        let request = match &self.job {
            None => self.client.get(&*self.url),
            Some(job) => {
                let mut r = self.client.post(&*self.url).json(&json!({
                    "sourceType": "system",
                    "level": "info",
                    "eventType": "job.completed",
                    "message": "Telltale's evaluator ticked",
                    "jobName": job,
                    // Missed after two silent minutes.
                    "metadata": {"schedule": "every 1m", "grace_seconds": 60},
                }));
                if let Some(key) = &self.api_key {
                    r = r.header("x-api-key", &**key);
                }
                r
            }
        };
        tokio::spawn(async move {
            match request.send().await {
                Ok(r) if r.status().is_success() => tracing::debug!("self-heartbeat sent"),
                Ok(r) => tracing::warn!(status = r.status().as_u16(), "self-heartbeat refused"),
                Err(e) => tracing::warn!(error = %e, "self-heartbeat failed"),
            }
        });
    }
}
