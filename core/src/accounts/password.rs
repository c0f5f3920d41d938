//! Password hashing with argon2id (RFC 9106), through the RustCrypto crate.
//!
//! Parameters: m = 64 MiB, t = 3 passes, p = 1 lane — RFC 9106's second
//! recommended set with one lane, well above OWASP's minimum (19 MiB, t = 2)
//! that the crate uses by default. About 0.1–0.3 s per hash on a current
//! core. Hashes run a few at a time ([`Hasher::new`]'s `concurrency`, one
//! by default, so on a small machine the other cores stay free for ingest)
//! and wait in a bounded line (`queue`): past it, a hash is refused at once
//! ([`PasswordError::Busy`]) instead of waiting with its request, so a flood
//! of logins can neither eat 64 MiB each nor pile up without end. Hashes are
//! stored as PHC strings, which carry their parameters: raising them later
//! keeps old hashes valid.

use std::sync::Arc;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::{OnceCell, OwnedSemaphorePermit, Semaphore};

pub const MEMORY_KIB: u32 = 64 * 1024;
pub const PASSES: u32 = 3;
pub const LANES: u32 = 1;
/// Hashes computed at the same time by default (`MONITOR_LOGIN_CONCURRENCY`).
pub const CONCURRENT_HASHES: usize = 1;
/// Hashes that may wait for a turn by default (`MONITOR_LOGIN_QUEUE`).
pub const QUEUED_HASHES: usize = 32;
/// The shortest password accepted for a new account or a reset.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// The most a stored hash may ask of a check. A PHC string names its own
/// parameters and verifying spends what they say: from a damaged or
/// hand-written row, `m=4294967295` (4 TiB) aborted the process on
/// allocation, `t=4294967295` held the hasher for days. Far above anything
/// this server writes, so raising [`MEMORY_KIB`] or [`PASSES`] later keeps
/// old and new hashes valid.
pub const MAX_STORED_MEMORY_KIB: u32 = 1024 * 1024;
pub const MAX_STORED_PASSES: u32 = 64;
pub const MAX_STORED_LANES: u32 = 16;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("the password hashing task failed")]
    Task,
    #[error("{waiting} password checks are waiting already; retry in a moment")]
    Busy { waiting: usize },
}

fn argon2() -> Result<Argon2<'static>, PasswordError> {
    let params = Params::new(MEMORY_KIB, PASSES, LANES, None)
        .map_err(|e| PasswordError::Hash(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes and checks passwords off the async threads, a few at a time,
/// the rest waiting in a bounded line.
#[derive(Clone)]
pub struct Hasher {
    /// Hashes running now.
    permits: Arc<Semaphore>,
    /// Places in line: running plus waiting.
    places: Arc<Semaphore>,
    queue: usize,
    /// Checked against when the email is unknown, so that the answer takes
    /// as long as for a wrong password and does not reveal who has an account.
    dummy: Arc<OnceCell<String>>,
}

impl Default for Hasher {
    fn default() -> Self {
        Self::new(CONCURRENT_HASHES, QUEUED_HASHES)
    }
}

impl Hasher {
    /// At most `concurrency` hashes at once (at least one), and `queue` more
    /// waiting for a turn.
    pub fn new(concurrency: usize, queue: usize) -> Self {
        let concurrency = concurrency.max(1);
        Self {
            permits: Arc::new(Semaphore::new(concurrency)),
            places: Arc::new(Semaphore::new(concurrency.saturating_add(queue))),
            queue,
            dummy: Arc::new(OnceCell::new()),
        }
    }

    /// A place in line for the checks of one login, taken before the
    /// account is even looked up, so that a refused login costs nothing;
    /// [`PasswordError::Busy`] at once when the line is full.
    pub fn enter(&self) -> Result<Turn, PasswordError> {
        let place = self
            .places
            .clone()
            .try_acquire_owned()
            .map_err(|_| PasswordError::Busy {
                waiting: self.queue,
            })?;
        Ok(Turn {
            hasher: self.clone(),
            _place: place,
        })
    }

    pub async fn hash(&self, password: &str) -> Result<String, PasswordError> {
        let turn = self.enter()?;
        turn.hasher.hash_now(password).await
    }

    /// True when `password` matches the stored PHC string. An unreadable
    /// stored hash counts as no match (and is logged).
    pub async fn verify(&self, password: &str, stored: &str) -> Result<bool, PasswordError> {
        self.enter()?.verify(password, stored).await
    }

    /// Spends the same work as checking a real password, and answers no.
    pub async fn verify_nobody(&self, password: &str) -> Result<bool, PasswordError> {
        self.enter()?.verify_nobody(password).await
    }

    /// Computes the dummy hash ahead of the first login with an unknown
    /// email, which would otherwise take twice as long as any other and so
    /// tell that the email is unknown.
    pub async fn prepare(&self) -> Result<(), PasswordError> {
        self.dummy().await.map(|_| ())
    }

    async fn dummy(&self) -> Result<String, PasswordError> {
        // Without a place in line: the dummy is made once, at start-up, and
        // a login that needs it early has a place already.
        Ok(self
            .dummy
            .get_or_try_init(|| self.hash_now("no account has this password"))
            .await?
            .clone())
    }

    async fn hash_now(&self, password: &str) -> Result<String, PasswordError> {
        let password = password.to_owned();
        self.blocking(move || {
            let salt = SaltString::generate(&mut OsRng);
            argon2()?
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| PasswordError::Hash(e.to_string()))
        })
        .await
    }

    async fn verify_now(&self, password: &str, stored: &str) -> Result<bool, PasswordError> {
        let password = password.to_owned();
        let stored = stored.to_owned();
        self.blocking(move || {
            let parsed = match PasswordHash::new(&stored) {
                Ok(p) => p,
                Err(e) => {
                    tracing::error!(error = %e, "a stored password hash is unreadable");
                    return Ok(false);
                }
            };
            if let Err(why) = affordable(&parsed) {
                tracing::error!(problem = %why, "a stored password hash asks too much to check");
                return Ok(false);
            }
            Ok(argon2()?
                .verify_password(password.as_bytes(), &parsed)
                .is_ok())
        })
        .await
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, PasswordError> + Send + 'static,
    ) -> Result<T, PasswordError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| PasswordError::Task)?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|_| PasswordError::Task)?
    }
}

/// Whether checking against `hash` stays within the `MAX_STORED_*` costs.
fn affordable(hash: &PasswordHash<'_>) -> Result<(), String> {
    let params = Params::try_from(hash).map_err(|e| e.to_string())?;
    if params.m_cost() > MAX_STORED_MEMORY_KIB
        || params.t_cost() > MAX_STORED_PASSES
        || params.p_cost() > MAX_STORED_LANES
    {
        return Err(format!(
            "m={}, t={}, p={}; at most m={MAX_STORED_MEMORY_KIB}, t={MAX_STORED_PASSES}, \
             p={MAX_STORED_LANES}",
            params.m_cost(),
            params.t_cost(),
            params.p_cost()
        ));
    }
    Ok(())
}

/// A place in the hasher's line ([`Hasher::enter`]), given back when dropped.
pub struct Turn {
    hasher: Hasher,
    _place: OwnedSemaphorePermit,
}

impl Turn {
    /// As [`Hasher::verify`], in this place.
    pub async fn verify(&self, password: &str, stored: &str) -> Result<bool, PasswordError> {
        self.hasher.verify_now(password, stored).await
    }

    /// As [`Hasher::verify_nobody`], in this place.
    pub async fn verify_nobody(&self, password: &str) -> Result<bool, PasswordError> {
        let dummy = self.hasher.dummy().await?;
        self.hasher
            .verify_now(password, &dummy)
            .await
            .map(|_| false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_with_the_stated_parameters_and_verify() {
        let hasher = Hasher::default();
        let hash = hasher.hash("correct horse battery").await.unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=65536,t=3,p=1$"),
            "{hash}"
        );
        assert!(hasher.verify("correct horse battery", &hash).await.unwrap());
        assert!(!hasher.verify("correct horse batterY", &hash).await.unwrap());
        assert!(!hasher.verify("x", "not a phc string").await.unwrap());
        assert!(!hasher.verify_nobody("anything").await.unwrap());
    }

    /// A stored hash whose parameters ask for terabytes or for days is no
    /// match, answered at once; before, checking it aborted the process.
    #[tokio::test]
    async fn a_stored_hash_that_asks_too_much_matches_nothing() {
        let hasher = Hasher::default();
        let hash = hasher.hash("correct horse battery").await.unwrap();
        for params in [
            "m=4294967295,t=3,p=1",
            "m=65536,t=4294967295,p=1",
            "m=65536,t=3,p=4096",
        ] {
            let hostile = hash.replace("m=65536,t=3,p=1", params);
            assert_ne!(hostile, hash);
            let started = std::time::Instant::now();
            let matched = hasher.verify("correct horse battery", &hostile).await;
            assert!(!matched.unwrap(), "{params}");
            assert!(
                started.elapsed() < std::time::Duration::from_secs(5),
                "{params}"
            );
        }
    }

    #[tokio::test]
    async fn past_the_line_a_hash_is_refused_at_once() {
        let hasher = Hasher::new(1, 2);
        let places: Vec<Turn> = (0..3).map(|_| hasher.enter().unwrap()).collect();
        assert!(matches!(
            hasher.enter(),
            Err(PasswordError::Busy { waiting: 2 })
        ));
        assert!(matches!(
            hasher.hash("correct horse battery").await,
            Err(PasswordError::Busy { .. })
        ));
        drop(places);
        assert!(hasher.enter().is_ok(), "places come back when dropped");
    }
}
