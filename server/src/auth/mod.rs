//! Access control: accounts and sessions, API keys, the access table, CSRF
//! and login throttling, and the security headers. docs/access-control.md
//! states the rules these modules implement.

pub mod access;
pub mod caller;
pub mod client;
pub mod cookie;
pub mod csrf;
pub mod headers;
pub mod host;
pub mod login;
pub mod seed;
pub mod throttle;

use std::sync::Arc;

use telltale_core::accounts::{Accounts, Hasher};
use telltale_store::Store;

use crate::config::TrustSettings;
use crate::engine::Clock;

/// What the auth layer keeps between requests.
#[derive(Clone)]
pub struct AuthState {
    /// Account changes and the password hasher (shared with the pages'
    /// server functions).
    pub accounts: Accounts,
    pub throttle: throttle::LoginThrottle,
    /// Session expiry reads this clock, so tests can move time.
    pub clock: Arc<dyn Clock>,
}

impl AuthState {
    /// Password checks wait in the bounded line `trust` sets, apart from
    /// the request slots (see [`crate::edge`]).
    pub fn new(store: Store, clock: Arc<dyn Clock>, trust: &TrustSettings) -> Self {
        let hasher = Hasher::new(trust.login_concurrency, trust.login_queue);
        Self {
            accounts: Accounts::with_hasher(store, hasher),
            throttle: throttle::LoginThrottle::default(),
            clock,
        }
    }
}

/// A configuration for unit tests: auth off, plus `pairs`.
#[cfg(test)]
pub(crate) fn test_config(pairs: &[(&str, &str)]) -> crate::Config {
    crate::Config::from_lookup(|k| {
        if k == "MONITOR_AUTH_ENABLED" {
            return Some("false".into());
        }
        pairs
            .iter()
            .find(|(name, _)| *name == k)
            .map(|(_, v)| (*v).to_owned())
    })
    .expect("test configuration")
}
