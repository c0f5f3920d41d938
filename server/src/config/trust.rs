//! What keeps alerting honest against producers, their clocks and
//! receivers.

use std::time::Duration;

use super::parse::{ConfigError, Vars};

/// Bounds that stop one producer, clock or receiver from silencing alerts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustSettings {
    /// An `eventAt` further than this ahead of receipt is shown as sent but
    /// judged at its receipt time (`MONITOR_CLOCK_SKEW_SECONDS`, 300).
    pub clock_skew: Duration,
    /// How long MISSED alerts are held while a scheduler that was online is
    /// silent (`MONITOR_SCHEDULER_HOLD_SECONDS`, 900).
    pub scheduler_hold: Duration,
    /// Fetched after evaluator ticks, at most once a minute: a dead man's
    /// switch for Telltale itself (`MONITOR_HEARTBEAT_URL`).
    pub heartbeat_url: Option<String>,
    /// The ingest key sent with the heartbeat when it goes to another
    /// Telltale's `/v1/events` (`MONITOR_HEARTBEAT_API_KEY`).
    pub heartbeat_api_key: Option<String>,
    /// Whether webhooks may target private and loopback addresses
    /// (`MONITOR_WEBHOOK_ALLOW_PRIVATE`, false). Link-local and cloud
    /// metadata addresses are refused either way.
    pub webhook_allow_private: bool,
    /// Logins hashing at once; more wait in a queue of
    /// `login_queue` (`MONITOR_LOGIN_CONCURRENCY`, 1; `MONITOR_LOGIN_QUEUE`, 32).
    pub login_concurrency: usize,
    pub login_queue: usize,
}

impl Default for TrustSettings {
    fn default() -> Self {
        Self {
            clock_skew: Duration::from_secs(300),
            scheduler_hold: Duration::from_secs(900),
            heartbeat_url: None,
            heartbeat_api_key: None,
            webhook_allow_private: false,
            login_concurrency: 1,
            login_queue: 32,
        }
    }
}

pub(super) fn trust_settings<F: Fn(&str) -> Option<String>>(
    vars: &Vars<F>,
) -> Result<TrustSettings, ConfigError> {
    let d = TrustSettings::default();
    let secs = |s: u32| Duration::from_secs(s.into());
    Ok(TrustSettings {
        clock_skew: vars
            .positive("MONITOR_CLOCK_SKEW_SECONDS")?
            .map_or(d.clock_skew, secs),
        scheduler_hold: vars
            .positive("MONITOR_SCHEDULER_HOLD_SECONDS")?
            .map_or(d.scheduler_hold, secs),
        heartbeat_url: vars.http_url("MONITOR_HEARTBEAT_URL")?,
        heartbeat_api_key: vars.string("MONITOR_HEARTBEAT_API_KEY"),
        webhook_allow_private: vars
            .bool("MONITOR_WEBHOOK_ALLOW_PRIVATE")?
            .unwrap_or(d.webhook_allow_private),
        login_concurrency: vars
            .positive("MONITOR_LOGIN_CONCURRENCY")?
            .map_or(d.login_concurrency, |n| n as usize),
        login_queue: vars
            .positive("MONITOR_LOGIN_QUEUE")?
            .map_or(d.login_queue, |n| n as usize),
    })
}
