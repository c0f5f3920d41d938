//! The settings page's server functions: users and API keys. Admins only
//! (each calls `require_admin` first); the server's access layer has already
//! required a session and checked the request's Origin.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use telltale_model::{ApiKey, CreatedApiKey, User};

/// What the settings page lists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SettingsLists {
    pub users: Vec<User>,
    pub api_keys: Vec<ApiKey>,
}

#[cfg(feature = "ssr")]
mod ssr {
    use leptos::prelude::*;
    use telltale_accounts::{AccountError, Accounts};
    use telltale_store::StoreError;

    pub use crate::server_fns::ssr::{require_admin, store, to_server_error};

    pub fn accounts() -> Result<Accounts, ServerFnError> {
        use_context::<Accounts>()
            .ok_or_else(|| ServerFnError::new("accounts are not in the request context"))
    }

    pub fn parse_enum<T>(
        value: &str,
        parse: fn(&str) -> Option<T>,
        what: &str,
    ) -> Result<T, ServerFnError> {
        parse(value).ok_or_else(|| ServerFnError::new(format!("{what}: unknown value {value:?}")))
    }

    /// Rule violations are said plainly; failures are logged and said
    /// in general terms.
    pub fn to_error(e: AccountError) -> ServerFnError {
        match e {
            AccountError::Invalid(field) => ServerFnError::new(field.to_string()),
            AccountError::Store(e @ (StoreError::DuplicateEmail | StoreError::LastAdmin)) => {
                ServerFnError::new(e.to_string())
            }
            AccountError::Store(e) => to_server_error(e),
            AccountError::Password(e) => {
                tracing::error!(error = %e, "password hashing failed");
                ServerFnError::new("internal error; the server log has the details")
            }
        }
    }
}

#[server(prefix = "/api", endpoint = "settings/view")]
pub async fn settings_view() -> Result<SettingsLists, ServerFnError> {
    use ssr::*;
    require_admin()?;
    let store = store()?;
    Ok(SettingsLists {
        users: store.list_users().await.map_err(to_server_error)?,
        api_keys: store.list_api_keys().await.map_err(to_server_error)?,
    })
}

#[server(prefix = "/api", endpoint = "settings/create-key")]
pub async fn create_api_key(name: String, scope: String) -> Result<CreatedApiKey, ServerFnError> {
    use ssr::*;
    require_admin()?;
    let scope = parse_enum(&scope, telltale_model::KeyScope::parse, "scope")?;
    let request = telltale_model::NewApiKey { name, scope };
    accounts()?
        .create_api_key(&request, chrono::Utc::now())
        .await
        .map_err(to_error)
}

#[server(prefix = "/api", endpoint = "settings/revoke-key")]
pub async fn revoke_api_key(id: i64) -> Result<(), ServerFnError> {
    use ssr::*;
    require_admin()?;
    accounts()?
        .revoke_api_key(id, chrono::Utc::now())
        .await
        .map_err(to_error)?
        .map(|_| ())
        .ok_or_else(|| ServerFnError::new(format!("no API key {id}")))
}

#[server(prefix = "/api", endpoint = "settings/add-user")]
pub async fn add_user(
    email: String,
    password: String,
    role: String,
) -> Result<User, ServerFnError> {
    use ssr::*;
    require_admin()?;
    let role = parse_enum(&role, telltale_model::Role::parse, "role")?;
    let request = telltale_model::NewUser {
        email,
        password,
        role,
    };
    accounts()?
        .add_user(&request, chrono::Utc::now())
        .await
        .map_err(to_error)
}

#[server(prefix = "/api", endpoint = "settings/remove-user")]
pub async fn remove_user(id: i64) -> Result<(), ServerFnError> {
    use ssr::*;
    require_admin()?;
    match accounts()?.remove_user(id).await.map_err(to_error)? {
        true => Ok(()),
        false => Err(ServerFnError::new(format!("no user {id}"))),
    }
}

#[server(prefix = "/api", endpoint = "settings/reset-password")]
pub async fn reset_password(id: i64, password: String) -> Result<(), ServerFnError> {
    use ssr::*;
    require_admin()?;
    match accounts()?
        .reset_password(id, &password)
        .await
        .map_err(to_error)?
    {
        true => Ok(()),
        false => Err(ServerFnError::new(format!("no user {id}"))),
    }
}

#[server(prefix = "/api", endpoint = "settings/set-role")]
pub async fn set_role(id: i64, role: String) -> Result<(), ServerFnError> {
    use ssr::*;
    require_admin()?;
    let role = parse_enum(&role, telltale_model::Role::parse, "role")?;
    match accounts()?.set_role(id, role).await.map_err(to_error)? {
        Some(_) => Ok(()),
        None => Err(ServerFnError::new(format!("no user {id}"))),
    }
}
