use std::time::Duration;

/// How deliveries are sent and retried.
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    /// `MONITOR_PUBLIC_URL`: links in messages point here.
    pub public_url: Option<String>,
    pub email: Option<EmailConfig>,
    /// Attempts per delivery, the first included.
    pub max_attempts: u32,
    /// The wait before the second attempt; it doubles each time.
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// Per request (webhook) or per SMTP command.
    pub timeout: Duration,
    /// Sends in flight at once (a hanging receiver holds one, not all).
    pub concurrency: usize,
    /// How often the queue is looked at for due deliveries.
    pub poll_interval: Duration,
    /// `MONITOR_WEBHOOK_ALLOW_PRIVATE`: webhooks may reach loopback and
    /// private addresses. Link-local and metadata addresses stay refused.
    pub webhook_allow_private: bool,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        Self {
            public_url: None,
            email: None,
            max_attempts: 8,
            backoff_base: Duration::from_secs(30),
            backoff_max: Duration::from_secs(3600),
            timeout: Duration::from_secs(10),
            concurrency: 8,
            poll_interval: Duration::from_secs(1),
            webhook_allow_private: false,
        }
    }
}

impl DeliveryConfig {
    /// The wait after failed attempt number `attempt` (1-based): base ×
    /// 2^(attempt−1), capped, then ±20% jitter so that a receiver that comes
    /// back is not hit by every queued retry in the same second.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = attempt.saturating_sub(1).min(20);
        let raw = self
            .backoff_base
            .saturating_mul(1u32 << exp)
            .min(self.backoff_max);
        raw.mul_f64(0.8 + fastrand::f64() * 0.4)
    }
}

/// How email leaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmailConfig {
    /// `MONITOR_SMTP_URL` (`smtp://`, `smtp://…?tls=required` for STARTTLS,
    /// `smtps://`), from `MONITOR_EMAIL_FROM`.
    Smtp { url: String, from: String },
    /// Resend's HTTP API (Chief §5).
    Resend {
        api_key: String,
        from: String,
        base: String,
    },
}

/// A delivery setting that cannot work; names the variable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable}: {problem}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_stops_at_the_cap() {
        let c = DeliveryConfig::default();
        for (attempt, nominal) in [(1, 30.0), (2, 60.0), (3, 120.0), (10, 3600.0)] {
            for _ in 0..50 {
                let got = c.backoff(attempt).as_secs_f64();
                assert!(
                    got >= nominal * 0.8 - 1e-9 && got <= nominal * 1.2 + 1e-9,
                    "attempt {attempt}: {got}"
                );
            }
        }
    }
}
