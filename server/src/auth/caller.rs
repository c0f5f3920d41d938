//! Who sent a request: resolved once per request from `x-api-key` or the
//! session cookie, before any handler runs.

use std::net::IpAddr;

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use subtle::ConstantTimeEq;
use telltale_core::accounts::AccountError;
use telltale_model::{ApiKey, User};
use telltale_store::StoreError;

use telltale_core::accounts::token;

use super::client::Client;
use super::cookie;
use crate::state::AppState;

#[derive(Debug, Clone, PartialEq)]
pub enum Caller {
    /// No credentials.
    Nobody,
    /// A live session.
    User(User),
    /// A live scoped API key made by an admin.
    Key(ApiKey),
    /// `MONITOR_API_KEY`: ingest and read, as in Chief.
    EnvKey,
    /// An `x-api-key` that matches nothing live (wrong, revoked), or a
    /// wrong metrics token.
    BadKey,
    /// `Authorization: Bearer` with `MONITOR_METRICS_TOKEN`: `/metrics` only.
    MetricsToken,
}

impl Caller {
    /// Who made a change, as the audit log names them.
    pub fn actor(&self) -> String {
        match self {
            Caller::User(u) => u.email.clone(),
            Caller::Key(k) => format!("api key {:?}", k.name),
            Caller::EnvKey => "MONITOR_API_KEY".into(),
            Caller::Nobody | Caller::BadKey | Caller::MetricsToken => "local (login off)".into(),
        }
    }

    /// What the log says about the caller, without secrets.
    pub fn describe(&self) -> String {
        match self {
            Caller::Nobody => "anonymous".into(),
            Caller::User(u) => format!("user {} ({})", u.id, u.role.as_str()),
            Caller::Key(k) => format!("api key {} ({})", k.id, k.scope.as_str()),
            Caller::EnvKey => "MONITOR_API_KEY".into(),
            Caller::BadKey => "bad api key".into(),
            Caller::MetricsToken => "MONITOR_METRICS_TOKEN".into(),
        }
    }
}

/// For `/metrics`: who an `Authorization: Bearer` header says the caller
/// is, when `MONITOR_METRICS_TOKEN` is set and the header is there (`None`:
/// resolve as usual — a session or an API key).
pub fn metrics_bearer(state: &AppState, headers: &HeaderMap) -> Option<Caller> {
    let expected = state.config.metrics_token.as_deref()?;
    let given = headers.get(AUTHORIZATION)?.as_bytes();
    let given = given
        .strip_prefix(b"Bearer ")
        .or_else(|| given.strip_prefix(b"bearer "))?;
    // Constant time, as for the API key.
    Some(if bool::from(given.ct_eq(expected.as_bytes())) {
        Caller::MetricsToken
    } else {
        Caller::BadKey
    })
}

/// The client's TCP peer alone decides whether the proxy header counts.
pub async fn resolve(
    state: &AppState,
    headers: &HeaderMap,
    client: &Client,
) -> Result<Caller, StoreError> {
    let now = state.core.now();
    if let Some(given) = headers.get("x-api-key") {
        let given = given.as_bytes();
        if let Some(expected) = state.config.api_key.as_deref() {
            // Constant time: the answer's timing must not reveal a prefix.
            if bool::from(given.ct_eq(expected.as_bytes())) {
                return Ok(Caller::EnvKey);
            }
        }
        if !state.config.auth.enabled {
            return Ok(Caller::BadKey);
        }
        // Looked up by digest: equal digests mean equal keys, and the
        // lookup's timing says nothing about the key itself.
        let Ok(given) = std::str::from_utf8(given) else {
            return Ok(Caller::BadKey);
        };
        return Ok(
            match state
                .core
                .store()
                .use_api_key(&token::digest(given), now)
                .await?
            {
                Some(key) => Caller::Key(key),
                None => Caller::BadKey,
            },
        );
    }
    if !state.config.auth.enabled {
        return Ok(Caller::Nobody);
    }
    if let Some(user) = proxy_user(state, headers, client.peer).await? {
        return Ok(Caller::User(user));
    }
    let Some(session) = cookie::read(headers, client.https) else {
        return Ok(Caller::Nobody);
    };
    let idle =
        chrono::Duration::from_std(state.config.auth.session_idle).unwrap_or(chrono::Duration::MAX);
    Ok(
        match state
            .core
            .store()
            .session_user(&token::digest(&session), now, idle)
            .await?
        {
            Some(user) => Caller::User(user),
            None => Caller::Nobody,
        },
    )
}

/// The user named by the trusted proxy's header, when it is configured, the
/// request comes from one of its addresses and the header is there. From
/// anyone else the header is ignored: any client can send it.
async fn proxy_user(
    state: &AppState,
    headers: &HeaderMap,
    peer: IpAddr,
) -> Result<Option<User>, StoreError> {
    let Some(proxy) = &state.config.auth.proxy_auth else {
        return Ok(None);
    };
    let Some(value) = headers.get(proxy.header.as_str()) else {
        return Ok(None);
    };
    if !proxy.trusted.iter().any(|net| net.contains(&peer)) {
        tracing::warn!(%peer, header = proxy.header, "proxy header from an untrusted address ignored");
        return Ok(None);
    }
    let Ok(email) = value.to_str() else {
        return Ok(None);
    };
    match state
        .core
        .accounts()
        .proxy_user(email, state.core.now())
        .await
    {
        Ok(user) => Ok(Some(user)),
        Err(AccountError::Store(e)) => Err(e),
        Err(e) => {
            tracing::warn!(error = %e, "proxy header does not name a usable account");
            Ok(None)
        }
    }
}
