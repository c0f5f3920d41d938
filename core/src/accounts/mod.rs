//! Account and API-key changes, with the secrets they involve: password
//! hashing (argon2id) and random tokens. The REST API (`/v1/settings`) and
//! the settings page's server functions both go through [`Accounts`], so the
//! rules (password length, email shape, keys shown once) live in one place.

pub mod password;
pub mod token;

use chrono::{DateTime, Utc};
use telltale_model::{
    ApiKey, CreatedApiKey, FieldError, NewApiKey, NewUser, Role, User, looks_like_email,
};
use telltale_store::{Store, StoreError};

pub use password::{Hasher, MIN_PASSWORD_CHARS, PasswordError, Turn};

const MAX_KEY_NAME_CHARS: usize = 100;
/// The stored "hash" of accounts made for the proxy header: not a PHC
/// string, so password login can never succeed for them.
const NO_PASSWORD: &str = "!proxy-authenticated";

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("{0}")]
    Invalid(FieldError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Password(#[from] PasswordError),
}

/// The store plus the password hasher; cheap to clone.
#[derive(Clone)]
pub struct Accounts {
    store: Store,
    hasher: Hasher,
}

impl Accounts {
    pub fn new(store: Store) -> Self {
        Self::with_hasher(store, Hasher::default())
    }

    /// With a hasher of the configured concurrency and queue.
    pub fn with_hasher(store: Store, hasher: Hasher) -> Self {
        Self { store, hasher }
    }

    pub fn hasher(&self) -> &Hasher {
        &self.hasher
    }

    /// A new key; the answer holds the secret, the only time it is seen.
    pub async fn create_api_key(
        &self,
        request: &NewApiKey,
        now: DateTime<Utc>,
    ) -> Result<CreatedApiKey, AccountError> {
        let name = request.name.trim();
        if name.is_empty() || name.chars().count() > MAX_KEY_NAME_CHARS {
            return Err(AccountError::Invalid(FieldError::new(
                "name",
                format!("must be 1 to {MAX_KEY_NAME_CHARS} characters"),
            )));
        }
        let (secret, prefix) = token::new_api_key();
        let key = self
            .store
            .create_api_key(name, request.scope, &token::digest(&secret), &prefix, now)
            .await?;
        tracing::info!(key = key.id, scope = key.scope.as_str(), "API key created");
        Ok(CreatedApiKey { key, secret })
    }

    /// Whether `secret` is live key `id`'s: a secret shown back to its
    /// creator is checked against the stored digest first.
    pub async fn is_secret_of_key(&self, id: i64, secret: &str) -> Result<bool, AccountError> {
        Ok(self
            .store
            .api_key_has_digest(id, &token::digest(secret))
            .await?)
    }

    pub async fn revoke_api_key(
        &self,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<Option<ApiKey>, AccountError> {
        let key = self.store.revoke_api_key(id, now).await?;
        if key.is_some() {
            tracing::info!(key = id, "API key revoked");
        }
        Ok(key)
    }

    pub async fn add_user(
        &self,
        request: &NewUser,
        now: DateTime<Utc>,
    ) -> Result<User, AccountError> {
        if !looks_like_email(request.email.trim()) {
            return Err(AccountError::Invalid(FieldError::new(
                "email",
                "is not an email address",
            )));
        }
        let hash = self.new_password_hash(&request.password).await?;
        let user = self
            .store
            .create_user(&request.email, &hash, request.role, now)
            .await?;
        tracing::info!(user = user.id, role = user.role.as_str(), "user added");
        Ok(user)
    }

    /// The account a trusted proxy vouches for, created as a viewer on
    /// first sight. Such an account has no usable password (its hash is not
    /// a PHC string, so no password matches): it signs in through the proxy
    /// only, until an admin sets one.
    pub async fn proxy_user(&self, email: &str, now: DateTime<Utc>) -> Result<User, AccountError> {
        let email = email.trim();
        if !looks_like_email(email) {
            return Err(AccountError::Invalid(FieldError::new(
                "proxy header",
                "is not an email address",
            )));
        }
        if let Some((user, _)) = self.store.user_credentials(email).await? {
            return Ok(user);
        }
        match self
            .store
            .create_user(email, NO_PASSWORD, Role::Viewer, now)
            .await
        {
            Ok(user) => {
                tracing::info!(
                    user = user.id,
                    "viewer created for a proxy-authenticated user"
                );
                Ok(user)
            }
            // Two first requests at once: the other one created it.
            Err(StoreError::DuplicateEmail) => self
                .store
                .user_credentials(email)
                .await?
                .map(|(user, _)| user)
                .ok_or(AccountError::Store(StoreError::DuplicateEmail)),
            Err(e) => Err(e.into()),
        }
    }

    /// Removes a user and their sessions; never the last admin
    /// (`StoreError::LastAdmin`).
    pub async fn remove_user(&self, id: i64) -> Result<bool, AccountError> {
        let removed = self.store.delete_user(id).await?;
        if removed {
            tracing::info!(user = id, "user removed");
        }
        Ok(removed)
    }

    /// Makes a user an admin or a viewer (never the last admin a viewer).
    pub async fn set_role(&self, id: i64, role: Role) -> Result<Option<User>, AccountError> {
        let user = self.store.set_role(id, role).await?;
        if user.is_some() {
            tracing::info!(user = id, role = role.as_str(), "role changed");
        }
        Ok(user)
    }

    /// Sets a new password and ends every session of that user.
    pub async fn reset_password(&self, id: i64, password: &str) -> Result<bool, AccountError> {
        let hash = self.new_password_hash(password).await?;
        let changed = self.store.set_password(id, &hash).await?;
        if changed {
            tracing::info!(user = id, "password reset");
        }
        Ok(changed)
    }

    async fn new_password_hash(&self, password: &str) -> Result<String, AccountError> {
        if password.chars().count() < MIN_PASSWORD_CHARS {
            return Err(AccountError::Invalid(FieldError::new(
                "password",
                format!("must be at least {MIN_PASSWORD_CHARS} characters"),
            )));
        }
        Ok(self.hasher.hash(password).await?)
    }
}
