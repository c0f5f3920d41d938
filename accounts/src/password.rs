//! Password hashing with argon2id (RFC 9106), through the RustCrypto crate.
//!
//! Parameters: m = 64 MiB, t = 3 passes, p = 1 lane — RFC 9106's second
//! recommended set with one lane, well above OWASP's minimum (19 MiB, t = 2)
//! that the crate uses by default. About 0.1–0.3 s per hash on a current
//! core; at most [`CONCURRENT_HASHES`] run at once, so a flood of logins
//! queues instead of eating 64 MiB each. Hashes are stored as PHC strings,
//! which carry their parameters: raising them later keeps old hashes valid.

use std::sync::Arc;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::{OnceCell, Semaphore};

pub const MEMORY_KIB: u32 = 64 * 1024;
pub const PASSES: u32 = 3;
pub const LANES: u32 = 1;
/// Hashes computed at the same time (the rest wait).
pub const CONCURRENT_HASHES: usize = 2;
/// The shortest password accepted for a new account or a reset.
pub const MIN_PASSWORD_CHARS: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("the password hashing task failed")]
    Task,
}

fn argon2() -> Result<Argon2<'static>, PasswordError> {
    let params = Params::new(MEMORY_KIB, PASSES, LANES, None)
        .map_err(|e| PasswordError::Hash(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes and checks passwords off the async threads, a few at a time.
#[derive(Clone)]
pub struct Hasher {
    permits: Arc<Semaphore>,
    /// Checked against when the email is unknown, so that the answer takes
    /// as long as for a wrong password and does not reveal who has an account.
    dummy: Arc<OnceCell<String>>,
}

impl Default for Hasher {
    fn default() -> Self {
        Self {
            permits: Arc::new(Semaphore::new(CONCURRENT_HASHES)),
            dummy: Arc::new(OnceCell::new()),
        }
    }
}

impl Hasher {
    pub async fn hash(&self, password: &str) -> Result<String, PasswordError> {
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

    /// True when `password` matches the stored PHC string. An unreadable
    /// stored hash counts as no match (and is logged).
    pub async fn verify(&self, password: &str, stored: &str) -> Result<bool, PasswordError> {
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
            Ok(argon2()?
                .verify_password(password.as_bytes(), &parsed)
                .is_ok())
        })
        .await
    }

    /// Spends the same work as checking a real password, and answers no.
    pub async fn verify_nobody(&self, password: &str) -> Result<bool, PasswordError> {
        let dummy = self.dummy().await?;
        self.verify(password, &dummy).await.map(|_| false)
    }

    /// Computes the dummy hash ahead of the first login with an unknown
    /// email, which would otherwise take twice as long as any other and so
    /// tell that the email is unknown.
    pub async fn prepare(&self) -> Result<(), PasswordError> {
        self.dummy().await.map(|_| ())
    }

    async fn dummy(&self) -> Result<String, PasswordError> {
        Ok(self
            .dummy
            .get_or_try_init(|| self.hash("no account has this password"))
            .await?
            .clone())
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
}
