//! Access control: accounts and sessions, API keys, the access table, CSRF
//! and login throttling, and the security headers. See the README's
//! "Access control" section for the rules these modules implement.

pub mod access;
pub mod caller;
pub mod client;
pub mod cookie;
pub mod csrf;
pub mod headers;
pub mod login;
pub mod password;
pub mod seed;
pub mod throttle;
pub mod token;

use std::sync::Arc;

use crate::engine::Clock;

/// What the auth layer keeps between requests.
#[derive(Clone)]
pub struct AuthState {
    pub hasher: password::Hasher,
    pub throttle: throttle::LoginThrottle,
    /// Session expiry reads this clock, so tests can move time.
    pub clock: Arc<dyn Clock>,
}

impl AuthState {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            hasher: password::Hasher::default(),
            throttle: throttle::LoginThrottle::default(),
            clock,
        }
    }
}
