use leptos::prelude::*;
use telltale_model::User;

use crate::error::AppError;

/// The signed-in user, or none (auth off, or on the login page).
#[server(prefix = "/api", endpoint = "auth/me")]
pub async fn current_user() -> Result<Option<User>, AppError> {
    Ok(super::ssr::auth_context().and_then(|a| a.user))
}

/// Whether the caller may change things (close alerts): an admin, or anyone
/// when auth is off. Pages use it to show an action only to those the
/// server will let through; the server function still checks on its own.
#[server(prefix = "/api", endpoint = "auth/admin")]
pub async fn may_administer() -> Result<bool, AppError> {
    Ok(super::ssr::is_admin())
}
