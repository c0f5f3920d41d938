//! Telltale's own dead man's switch (`MONITOR_HEARTBEAT_URL`): after a
//! successful evaluator tick, at most once a minute, a GET to a URL that
//! another monitor watches — another Telltale, healthchecks, any switch.
//! When the evaluator stops ticking, the pings stop and that monitor alerts:
//! the one failure Telltale cannot report about itself.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// At most one ping per this.
const EVERY: Duration = Duration::from_secs(60);
/// A ping that takes longer is dropped: the next tick tries again.
const TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Clone)]
pub struct SelfHeartbeat {
    url: Arc<str>,
    client: reqwest::Client,
    last: Arc<Mutex<Option<Instant>>>,
}

impl SelfHeartbeat {
    pub fn new(url: &str) -> Result<Self, reqwest::Error> {
        Ok(Self {
            url: url.into(),
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
        let (client, url) = (self.client.clone(), self.url.clone());
        tokio::spawn(async move {
            match client.get(&*url).send().await {
                Ok(r) if r.status().is_success() => tracing::debug!("self-heartbeat sent"),
                Ok(r) => tracing::warn!(status = r.status().as_u16(), "self-heartbeat refused"),
                Err(e) => tracing::warn!(error = %e, "self-heartbeat failed"),
            }
        });
    }
}
