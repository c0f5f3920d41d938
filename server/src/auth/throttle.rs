//! Login throttling per client address and per account (governor's GCRA):
//! guessing one account's password from many addresses, or many accounts'
//! from one address, both run into a limit. Every attempt counts, not only
//! failures, so the limiter never needs to know whether a password was right.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Attempts one account may take in a burst; then one per 12 s.
pub const PER_ACCOUNT_PER_MINUTE: u32 = 5;
/// Attempts one address may take in a burst; then one per 3 s.
pub const PER_IP_PER_MINUTE: u32 = 20;
/// Above this many tracked keys, idle ones are dropped (memory bound).
const TRACKED_KEYS: usize = 10_000;

#[derive(Clone)]
pub struct LoginThrottle {
    accounts: Arc<DefaultKeyedRateLimiter<String>>,
    ips: Arc<DefaultKeyedRateLimiter<IpAddr>>,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        let quota = |n: u32| Quota::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN));
        Self {
            accounts: Arc::new(RateLimiter::keyed(quota(PER_ACCOUNT_PER_MINUTE))),
            ips: Arc::new(RateLimiter::keyed(quota(PER_IP_PER_MINUTE))),
        }
    }
}

impl LoginThrottle {
    /// `Err(wait)` when either limit is reached.
    pub fn check(&self, ip: IpAddr, email: &str) -> Result<(), Duration> {
        if self.ips.len() > TRACKED_KEYS {
            self.ips.retain_recent();
        }
        if self.accounts.len() > TRACKED_KEYS {
            self.accounts.retain_recent();
        }
        let now = DefaultClock::default().now();
        self.ips
            .check_key(&network_of(ip))
            .map_err(|not_until| not_until.wait_time_from(now))?;
        self.accounts
            .check_key(&email.trim().to_lowercase())
            .map_err(|not_until| not_until.wait_time_from(now))
    }
}

/// One IPv6 client usually holds a whole /64: counting per address would
/// give it 2^64 budgets.
fn network_of(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => {
            let mut segments = v6.segments();
            segments[4..].fill(0);
            IpAddr::from(segments)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_is_throttled_whatever_the_address() {
        let t = LoginThrottle::default();
        for i in 0..PER_ACCOUNT_PER_MINUTE {
            let ip = IpAddr::from([10, 0, 0, i as u8]);
            assert!(t.check(ip, "Ada@example.com").is_ok());
        }
        let wait = t
            .check(IpAddr::from([10, 0, 1, 1]), "ada@example.com")
            .unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(12));
        assert!(
            t.check(IpAddr::from([10, 0, 1, 1]), "bob@example.com")
                .is_ok()
        );
    }
}
