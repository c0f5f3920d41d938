//! The ping key of a slug URL (`/ping/<key>/<job>`): a `ping`-scoped API
//! key, or `MONITOR_API_KEY`. It rides in the path, so the access table
//! (which reads headers) cannot judge it; this does, in the same way.

use subtle::ConstantTimeEq;
use telltale_core::accounts::token;
use telltale_core::ping::PingError;
use telltale_model::KeyScope;

use crate::state::AppState;

pub async fn accept(state: &AppState, given: &str) -> Result<(), PingError> {
    if let Some(expected) = state.config.api_key.as_deref()
        && bool::from(given.as_bytes().ct_eq(expected.as_bytes()))
    {
        return Ok(());
    }
    if !state.config.auth.enabled {
        // Without accounts, ingest is open unless MONITOR_API_KEY guards it;
        // so are pings.
        return match state.config.api_key {
            Some(_) => Err(PingError::BadKey),
            None => Ok(()),
        };
    }
    let key = state
        .core
        .store()
        .use_api_key(&token::digest(given), state.core.now())
        .await
        .map_err(|e| PingError::Unavailable(e.to_string()))?;
    match key {
        Some(k) if k.scope == KeyScope::Ping => Ok(()),
        Some(k) => {
            tracing::warn!(
                key = k.id,
                scope = k.scope.as_str(),
                "a key of another scope used to ping"
            );
            Err(PingError::WrongScope)
        }
        None => Err(PingError::BadKey),
    }
}
