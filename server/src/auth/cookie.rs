//! The session cookie. Over TLS it is `__Host-telltale_session` (the
//! browser then insists on `Secure`, `Path=/` and no `Domain`, so no
//! sibling host can plant or read it); over plain HTTP, where browsers
//! refuse `__Host-` cookies, `telltale_session`. Always `HttpOnly` (no
//! script reads it) and `SameSite=Lax` (not sent on cross-site POSTs).

use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue, header};

pub const SECURE_NAME: &str = "__Host-telltale_session";
pub const PLAIN_NAME: &str = "telltale_session";

/// The session token the request carries, if it looks like one of ours
/// (64 hex digits); anything else is not worth a database lookup. Over TLS
/// only the `__Host-` cookie counts: a plain-named one could have been
/// planted by a sibling host or over plain HTTP (cookie tossing).
pub fn read(headers: &HeaderMap, https: bool) -> Option<String> {
    let wanted = if https { SECURE_NAME } else { PLAIN_NAME };
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| {
            *name == wanted && value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit())
        })
        .map(|(_, value)| value.to_owned())
}

pub fn set(token: &str, max_age: Duration, secure: bool) -> HeaderValue {
    let name = if secure { SECURE_NAME } else { PLAIN_NAME };
    let flags = if secure { "; Secure" } else { "" };
    // Hex token and fixed attributes: always a valid header value.
    HeaderValue::from_str(&format!(
        "{name}={token}; Path=/; Max-Age={}; HttpOnly; SameSite=Lax{flags}",
        max_age.as_secs()
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Headers that delete the cookie under both names.
pub fn clear() -> [HeaderValue; 2] {
    [
        HeaderValue::from_static(
            "__Host-telltale_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax; Secure",
        ),
        HeaderValue::from_static("telltale_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"),
    ]
}
