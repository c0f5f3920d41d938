//! The first admin, from `MONITOR_AUTH_ADMIN_EMAIL` / `_PASSWORD`.
//!
//! Only on the first start (no account at all) is the account created.
//! Later the variables never overwrite anything: a changed password does not
//! reset the stored one, a changed email does not add an account. Both cases
//! are logged, so an operator who edited the variables learns why they had
//! no effect (and that Settings is where passwords are reset).

use chrono::{DateTime, Utc};
use telltale_model::Role;
use telltale_store::{Store, StoreError};

use crate::config::AdminSeed;
use telltale_core::accounts::{Hasher, PasswordError};

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot hash MONITOR_AUTH_ADMIN_PASSWORD: {0}")]
    Password(#[from] PasswordError),
}

pub async fn seed_admin(
    store: &Store,
    hasher: &Hasher,
    seed: &AdminSeed,
    now: DateTime<Utc>,
) -> Result<(), SeedError> {
    if store.count_users().await? == 0 {
        let hash = hasher.hash(&seed.password).await?;
        match store
            .create_user(&seed.email, &hash, Role::Admin, now)
            .await
        {
            Ok(user) => {
                tracing::info!(user = user.id, email = %user.email, "admin account created from MONITOR_AUTH_ADMIN_EMAIL")
            }
            // Another instance seeded it a moment ago: the same outcome.
            Err(StoreError::DuplicateEmail) => {}
            Err(e) => return Err(e.into()),
        }
        return Ok(());
    }
    match store.user_credentials(&seed.email).await? {
        None => tracing::warn!(
            email = %seed.email,
            "MONITOR_AUTH_ADMIN_EMAIL names no account and accounts exist already: \
             nothing was created (the variables seed only the first start); \
             add users in Settings"
        ),
        Some((_, hash)) => {
            if !hasher.verify(&seed.password, &hash).await? {
                tracing::warn!(
                    email = %seed.email,
                    "MONITOR_AUTH_ADMIN_PASSWORD differs from the stored password, which \
                     stays in force (the variables seed only the first start); reset it in \
                     Settings"
                );
            }
        }
    }
    Ok(())
}
