//! Accounts, sessions and API keys. The store holds only digests and hashes:
//! hashing passwords (argon2id) and tokens (SHA-256) is the server's job, so
//! this crate never sees a secret in the clear.

mod api_keys;
mod sessions;
mod users;

use chrono::{DateTime, Utc};

use crate::StoreError;
use crate::time::from_us;

/// Reads a stored time, or says which row is unreadable.
fn time(table: &'static str, id: &str, us: i64) -> Result<DateTime<Utc>, StoreError> {
    from_us(us).ok_or_else(|| StoreError::Corrupt {
        table,
        id: id.to_owned(),
        problem: format!("time {us} out of range"),
    })
}

fn corrupt(table: &'static str, id: &str, problem: String) -> StoreError {
    StoreError::Corrupt {
        table,
        id: id.to_owned(),
        problem,
    }
}

/// A `last_seen`/`last_used` stamp is rewritten at most this often, so that
/// reading pages does not turn every request into a database write.
const TOUCH_EVERY_SECONDS: i64 = 60;
