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

use telltale_core::accounts::{Accounts, Hasher};
use telltale_store::Store;

use crate::config::TrustSettings;

/// What the auth layer keeps between requests of its own: the login
/// throttle. Accounts, the password hasher and the clock sessions expire by
/// are the core's ([`telltale_core::Core::accounts`], [`telltale_core::Core::now`]).
#[derive(Clone, Default)]
pub struct AuthState {
    pub throttle: throttle::LoginThrottle,
}

/// The account service. Password checks wait in the bounded line `trust`
/// sets, apart from the request slots (see [`crate::edge`]).
pub fn accounts(store: Store, trust: &TrustSettings) -> Accounts {
    Accounts::with_hasher(
        store,
        Hasher::new(trust.login_concurrency, trust.login_queue),
    )
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
