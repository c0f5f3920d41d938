//! How alert deliveries are retried, and what the delivery sender is given.

use std::time::Duration;

use super::Config;
use super::parse::{ConfigError, Vars};

/// How alert deliveries are retried (`MONITOR_DELIVERY_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryTuning {
    /// Attempts per delivery, the first included.
    pub max_attempts: u32,
    /// The wait before the first retry; it doubles each time (with jitter),
    /// up to an hour.
    pub backoff: Duration,
    /// Per webhook request or SMTP command.
    pub timeout: Duration,
    /// Sends in flight at once.
    pub concurrency: usize,
}

impl Default for DeliveryTuning {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            backoff: Duration::from_secs(30),
            timeout: Duration::from_secs(10),
            concurrency: 8,
        }
    }
}

impl Config {
    /// The delivery sender's settings: transport (SMTP first, then
    /// Resend), retries and the public address for links.
    pub fn delivery_config(&self) -> telltale_delivery::DeliveryConfig {
        let email = match (&self.email.smtp_url, &self.email.from, &self.email.resend) {
            (Some(url), Some(from), _) => Some(telltale_delivery::EmailConfig::Smtp {
                url: url.clone(),
                from: from.clone(),
            }),
            (_, _, Some(r)) => Some(telltale_delivery::EmailConfig::Resend {
                api_key: r.api_key.clone(),
                from: r.from_email.clone(),
                base: r.api_base.clone(),
            }),
            _ => None,
        };
        telltale_delivery::DeliveryConfig {
            public_url: self.public_url.clone(),
            email,
            max_attempts: self.delivery.max_attempts,
            backoff_base: self.delivery.backoff,
            timeout: self.delivery.timeout,
            concurrency: self.delivery.concurrency,
            webhook_allow_private: self.trust.webhook_allow_private,
            ..Default::default()
        }
    }
}

/// `MONITOR_DELIVERY_*`, each defaulting to [`DeliveryTuning::default`].
pub(super) fn delivery_tuning<F: Fn(&str) -> Option<String>>(
    vars: &Vars<F>,
) -> Result<DeliveryTuning, ConfigError> {
    let defaults = DeliveryTuning::default();
    Ok(DeliveryTuning {
        max_attempts: vars
            .positive("MONITOR_DELIVERY_MAX_ATTEMPTS")?
            .unwrap_or(defaults.max_attempts),
        backoff: vars
            .positive("MONITOR_DELIVERY_BACKOFF_SECONDS")?
            .map_or(defaults.backoff, |s| Duration::from_secs(s.into())),
        timeout: vars
            .positive("MONITOR_DELIVERY_TIMEOUT_SECONDS")?
            .map_or(defaults.timeout, |s| Duration::from_secs(s.into())),
        concurrency: vars
            .positive("MONITOR_DELIVERY_CONCURRENCY")?
            .map_or(defaults.concurrency, |n| n as usize),
    })
}
