use leptos::prelude::*;
use telltale_model::User;

/// The signed-in user, or none (auth off, or on the login page).
#[server(prefix = "/api", endpoint = "auth/me")]
pub async fn current_user() -> Result<Option<User>, ServerFnError> {
    Ok(super::ssr::auth_context().and_then(|a| a.user))
}
