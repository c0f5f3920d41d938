//! The settings page's server functions: users and API keys. Admins only
//! (each change calls `require_admin` first; a viewer reads that an admin
//! manages them); the server's access layer has already required a session
//! and checked the request's Origin.

use leptos::prelude::*;
use telltale_model::{CreatedApiKey, User};

use crate::components::server_html::Markup;
use crate::error::AppError;

#[cfg(feature = "ssr")]
mod ssr {
    pub use crate::error::AppError;
    pub(crate) use crate::server_fns::shown_once;
    pub use crate::server_fns::ssr::{core, is_admin, require_admin};

    /// A form's enumerated field, refused by name when it is not one of
    /// the values `parse` knows.
    pub fn parse_enum<T>(
        value: &str,
        parse: fn(&str) -> Option<T>,
        field: &str,
    ) -> Result<T, AppError> {
        parse(value).ok_or_else(|| AppError::bad_input(field, format!("unknown value {value:?}")))
    }
}

/// The API keys as HTML ([`crate::components::server_html`]), with the
/// form that creates one; for a viewer, a line saying an admin manages them.
#[server(prefix = "/api", endpoint = "settings/keys-html")]
pub async fn keys_html() -> Result<Markup, AppError> {
    use crate::components::server_html::render;
    use crate::pages::settings::{AdminsOnly, Keys};
    use crate::server_fns::shown_once::{Kind, take};
    use ssr::*;
    if !is_admin() {
        return Ok(render(|| view! { <AdminsOnly what="API keys" /> }));
    }
    let brought = take(Kind::Key);
    let core = core()?;
    let keys = core.store().list_api_keys().await?;
    // Shown only when it is that live key's secret (see shown_once).
    let shown = match brought {
        Some(b) => core
            .accounts()
            .is_secret_of_key(b.id, &b.secret)
            .await
            .map_err(telltale_core::ChangeError::Account)?
            .then(|| keys.iter().find(|k| k.id == b.id))
            .flatten()
            .map(|k| (k.name.clone(), b.secret)),
        None => None,
    };
    Ok(render(move || view! { <Keys keys shown /> }))
}

/// The users as HTML, with the forms that change them; for a viewer, a
/// line saying an admin manages them.
#[server(prefix = "/api", endpoint = "settings/users-html")]
pub async fn users_html() -> Result<Markup, AppError> {
    use crate::components::server_html::render;
    use crate::pages::settings::{AdminsOnly, Users};
    use ssr::*;
    if !is_admin() {
        return Ok(render(|| view! { <AdminsOnly what="users" /> }));
    }
    let users = core()?.store().list_users().await?;
    Ok(render(move || view! { <Users users /> }))
}

#[server(prefix = "/api", endpoint = "settings/create-key")]
pub async fn create_api_key(name: String, scope: String) -> Result<CreatedApiKey, AppError> {
    use ssr::*;
    require_admin()?;
    let scope = parse_enum(&scope, telltale_model::KeyScope::parse, "scope")?;
    let request = telltale_model::NewApiKey { name, scope };
    let core = core()?;
    let offer = shown_once::Offer::prepare();
    let created = core.create_api_key(&request).await?;
    offer.give(shown_once::Kind::Key, created.key.id, &created.secret);
    Ok(created)
}

#[server(prefix = "/api", endpoint = "settings/revoke-key")]
pub async fn revoke_api_key(id: i64) -> Result<(), AppError> {
    use ssr::*;
    require_admin()?;
    core()?.revoke_api_key(id).await?;
    Ok(())
}

#[server(prefix = "/api", endpoint = "settings/add-user")]
pub async fn add_user(email: String, password: String, role: String) -> Result<User, AppError> {
    use ssr::*;
    require_admin()?;
    let role = parse_enum(&role, telltale_model::Role::parse, "role")?;
    let request = telltale_model::NewUser {
        email,
        password,
        role,
    };
    Ok(core()?.add_user(&request).await?)
}

#[server(prefix = "/api", endpoint = "settings/remove-user")]
pub async fn remove_user(id: i64) -> Result<(), AppError> {
    use ssr::*;
    require_admin()?;
    Ok(core()?.remove_user(id).await?)
}

#[server(prefix = "/api", endpoint = "settings/reset-password")]
pub async fn reset_password(id: i64, password: String) -> Result<(), AppError> {
    use ssr::*;
    require_admin()?;
    Ok(core()?.reset_password(id, &password).await?)
}

#[server(prefix = "/api", endpoint = "settings/set-role")]
pub async fn set_role(id: i64, role: String) -> Result<(), AppError> {
    use ssr::*;
    require_admin()?;
    let role = parse_enum(&role, telltale_model::Role::parse, "role")?;
    core()?.set_role(id, role).await?;
    Ok(())
}
