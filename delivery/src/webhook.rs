//! Webhook POSTs and their signature.
//!
//! `X-Telltale-Signature: sha256=<hex>` is HMAC-SHA256, keyed with the
//! webhook's secret, over `<X-Telltale-Timestamp>.<body>`: the receiver
//! recomputes it and refuses old timestamps, so a captured request cannot be
//! replayed later.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::SendError;

pub const SIGNATURE_HEADER: &str = "x-telltale-signature";
pub const TIMESTAMP_HEADER: &str = "x-telltale-timestamp";
pub const EVENT_HEADER: &str = "x-telltale-event";
pub const DELIVERY_HEADER: &str = "x-telltale-delivery";

/// `sha256=<hex of HMAC-SHA256(secret, "<timestamp>.<body>")>`.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    // HMAC takes keys of any length; this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

pub(crate) struct Post<'a> {
    pub url: &'a str,
    pub secret: &'a str,
    pub timestamp: i64,
    pub event: &'a str,
    pub delivery_id: Option<i64>,
    pub body: Vec<u8>,
}

pub(crate) async fn post(client: &reqwest::Client, p: Post<'_>) -> Result<(), SendError> {
    let mut request = client
        .post(p.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(SIGNATURE_HEADER, sign(p.secret, p.timestamp, &p.body))
        .header(TIMESTAMP_HEADER, p.timestamp.to_string())
        .header(EVENT_HEADER, p.event);
    if let Some(id) = p.delivery_id {
        request = request.header(DELIVERY_HEADER, id.to_string());
    }
    let response = request
        .body(p.body)
        .send()
        .await
        .map_err(|e| SendError::transient(network_error_text(&e)))?;
    judge(response).await
}

/// 2xx is delivered; 408, 429 and 5xx may pass later; any other answer
/// (4xx, or a redirect, which is not followed) will not.
pub(crate) async fn judge(response: reqwest::Response) -> Result<(), SendError> {
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = response.text().await.unwrap_or_default();
    let mut body: String = body.chars().take(500).collect();
    if let Some(to) = location {
        body = format!("redirected to {to} (redirects are not followed: set the final URL)");
    }
    let text = if body.trim().is_empty() {
        format!("HTTP {status}")
    } else {
        format!("HTTP {status}: {}", body.trim())
    };
    let retry = status.is_server_error() || status.as_u16() == 408 || status.as_u16() == 429;
    if retry {
        Err(SendError::transient(text))
    } else {
        Err(SendError::permanent(text))
    }
}

pub(crate) fn network_error_text(e: &reqwest::Error) -> String {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    match std::error::Error::source(e) {
        Some(source) => format!("{what}: {}", crate::error::with_sources(source)),
        None => what.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::sign;

    #[test]
    fn signature_matches_a_known_vector() {
        // printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_test
        assert_eq!(
            sign("whsec_test", 1_700_000_000, br#"{"a":1}"#),
            "sha256=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789"
        );
    }
}
