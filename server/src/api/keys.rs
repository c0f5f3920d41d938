//! `x-api-key` checks. Until accounts and scoped keys exist, the one key of
//! `MONITOR_API_KEY` guards ingest and reads alike, as in Chief.

use axum::http::HeaderMap;
use subtle::ConstantTimeEq;

use crate::error::ApiError;
use crate::state::AppState;

pub fn require_api_key(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(expected) = state.config.api_key.as_deref() else {
        return Ok(());
    };
    let given = headers
        .get("x-api-key")
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    // Constant time, so the answer's timing does not reveal a matching prefix.
    if bool::from(given.ct_eq(expected.as_bytes())) {
        Ok(())
    } else {
        Err(ApiError::Unauthorized)
    }
}
