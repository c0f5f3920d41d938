//! Webhook POSTs and their signature.
//!
//! `X-Telltale-Signature: sha256=<hex>` is HMAC-SHA256, keyed with the
//! webhook's secret, over `<X-Telltale-Timestamp>.<body>`: the receiver
//! recomputes it and refuses old timestamps, so a captured request cannot be
//! replayed later.

use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::channels::Outgoing;
use crate::error::SendError;
use crate::target::GuardedResolver;

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

/// The client webhooks are sent with. Their URLs come from admins, not
/// operators: its resolver keeps them off refused addresses
/// ([`crate::target`]), and it follows no redirect, so a receiver cannot
/// send the request on to one.
pub(crate) fn client(timeout: Duration, allow_private: bool) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .dns_resolver(Arc::new(GuardedResolver { allow_private }))
        .user_agent(concat!("Telltale/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Telltale's signature on a request, for receivers that check it.
pub(crate) struct Signed<'a> {
    pub secret: &'a str,
    pub timestamp: i64,
    pub event: &'a str,
    /// The same on every attempt of one delivery, so receivers can dedupe.
    pub delivery_id: Option<i64>,
}

/// Sends one request to a channel. `client` resolves names through the
/// guard ([`crate::target`]); an IP literal never reaches a resolver, so
/// it is judged here.
pub(crate) async fn send(
    client: &reqwest::Client,
    allow_private: bool,
    out: Outgoing,
    signed: Option<Signed<'_>>,
) -> Result<(), SendError> {
    crate::target::check_literal(&out.url, allow_private)
        .map_err(|e| SendError::permanent(e.to_string()))?;
    let mut request = client
        .request(out.method, out.url.trim())
        .header(reqwest::header::CONTENT_TYPE, out.content_type);
    for (name, value) in &out.headers {
        request = request.header(name.as_str(), value.as_str());
    }
    if let Some(s) = signed {
        request = request
            .header(SIGNATURE_HEADER, sign(s.secret, s.timestamp, &out.body))
            .header(TIMESTAMP_HEADER, s.timestamp.to_string())
            .header(EVENT_HEADER, s.event);
        if let Some(id) = s.delivery_id {
            request = request.header(DELIVERY_HEADER, id.to_string());
        }
    }
    let response = request
        .body(out.body)
        .send()
        .await
        .map_err(|e| send_error(&e))?;
    if let Some(why) = out.empty_fails
        && response.status() == reqwest::StatusCode::NO_CONTENT
    {
        return Err(SendError::permanent(format!("HTTP 204: {why}")));
    }
    judge(response).await
}

/// How much of a receiver's answer is read: enough for the start of an
/// error message. The rest is never read; dropping the response closes
/// the connection (a receiver that answered 300 MiB once cost the server
/// 800 MB of memory).
pub(crate) const BODY_CAP: usize = 8 * 1024;

/// How much of that is kept in the delivery's error text.
const SHOWN_CHARS: usize = 500;

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
        .map(|v| one_line(v, SHOWN_CHARS));
    let body = match location {
        Some(to) => format!("redirected to {to} (redirects are not followed: set the final URL)"),
        None => one_line(&words(&read_start(response, BODY_CAP).await), SHOWN_CHARS),
    };
    let text = if body.is_empty() {
        format!("HTTP {status}")
    } else {
        format!("HTTP {status}: {body}")
    };
    let retry = status.is_server_error() || status.as_u16() == 408 || status.as_u16() == 429;
    if retry {
        Err(SendError::transient(text))
    } else {
        Err(SendError::permanent(text))
    }
}

/// A provider's error answer in words: the message fields of its JSON
/// (Telegram's `description`, Discord's and PagerDuty's `message` and
/// `errors`, Matrix's `error`, Google Chat's `error.message`, …), else the
/// text as it came.
pub(crate) fn words(body: &str) -> String {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(body) else {
        return body.to_owned();
    };
    let mut said: Vec<String> = Vec::new();
    let mut say = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) if !s.is_empty() && !said.contains(s) => said.push(s.clone()),
        serde_json::Value::Array(items) => said.extend(
            items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_owned))
                .filter(|s| !s.is_empty()),
        ),
        serde_json::Value::Object(inner) => {
            if let Some(serde_json::Value::String(s)) = inner.get("message") {
                said.push(s.clone());
            }
        }
        _ => {}
    };
    for key in [
        "errcode",
        "error",
        "errorDescription",
        "description",
        "message",
        "errors",
    ] {
        if let Some(v) = map.get(key) {
            say(v);
        }
    }
    if said.is_empty() {
        body.to_owned()
    } else {
        said.join(": ")
    }
}

/// At most `cap` bytes of the body, as text; a read error ends it early
/// (what was read is still worth showing).
async fn read_start(mut response: reqwest::Response, cap: usize) -> String {
    let mut start = Vec::new();
    while start.len() < cap {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = cap - start.len();
                start.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            Ok(None) | Err(_) => break,
        }
    }
    String::from_utf8_lossy(&start).into_owned()
}

/// A receiver's text as one line of at most `max` characters: it ends up
/// in log lines and on the alert's page, where its control characters
/// have no business.
fn one_line(text: &str, max: usize) -> String {
    let mut out = String::new();
    let mut chars = 0;
    for word in text.split(|c: char| c.is_whitespace() || c.is_control()) {
        if word.is_empty() {
            continue;
        }
        if chars > 0 {
            out.push(' ');
            chars += 1;
        }
        for c in word.chars() {
            if chars >= max {
                out.push('…');
                return out;
            }
            out.push(c);
            chars += 1;
        }
    }
    out
}

/// A request that got no answer. Refused by the address guard (at
/// connect time, after DNS): permanent, and says why.
pub(crate) fn send_error(e: &reqwest::Error) -> SendError {
    match crate::target::refusal_in(e) {
        Some(refused) => SendError::permanent(format!("refused: {refused}")),
        None => SendError::transient(network_error_text(e)),
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
    use super::*;

    #[test]
    fn signature_matches_a_known_vector() {
        // printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_test
        assert_eq!(
            sign("whsec_test", 1_700_000_000, br#"{"a":1}"#),
            "sha256=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789"
        );
    }

    /// A receiver on loopback that answers `head`, then streams `x` until
    /// the client goes away. Returns its URL and how many body bytes it
    /// managed to write.
    async fn endless(head: &'static str) -> (String, tokio::task::JoinHandle<usize>) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = vec![0u8; 64 * 1024];
            let _ = socket.read(&mut request).await;
            socket.write_all(head.as_bytes()).await.unwrap();
            let chunk = vec![b'x'; 64 * 1024];
            let mut written = 0;
            while written < 1 << 30 {
                match socket.write_all(&chunk).await {
                    Ok(()) => written += chunk.len(),
                    Err(_) => break,
                }
            }
            written
        });
        (url, task)
    }

    fn client() -> reqwest::Client {
        super::client(Duration::from_secs(10), true).unwrap()
    }

    #[tokio::test]
    async fn the_clients_resolver_refuses_at_connect_time_for_good() {
        // Straight to the client, past `post`'s own check of the URL: the
        // resolver is what refuses, and the refusal is found in reqwest's
        // error and made permanent.
        for (allow_private, url, says) in [
            (
                false,
                "http://localhost:9/hook",
                "refused: localhost is a loopback address",
            ),
            (
                true,
                "http://metadata.google.internal/",
                "refused: metadata.google.internal is a cloud metadata service",
            ),
        ] {
            let e = super::client(Duration::from_secs(10), allow_private)
                .unwrap()
                .post(url)
                .send()
                .await
                .unwrap_err();
            let e = send_error(&e);
            assert!(e.permanent, "{url}: {}", e.message);
            assert!(e.message.starts_with(says), "{url}: {}", e.message);
        }
    }

    async fn post(
        client: &reqwest::Client,
        allow_private: bool,
        url: &str,
    ) -> Result<(), SendError> {
        let out = Outgoing {
            method: reqwest::Method::POST,
            url: url.to_owned(),
            headers: Vec::new(),
            content_type: "application/json".to_owned(),
            body: b"{}".to_vec(),
            empty_fails: None,
        };
        let signed = Signed {
            secret: "whsec_test",
            timestamp: 0,
            event: "test",
            delivery_id: Some(1),
        };
        send(client, allow_private, out, Some(signed)).await
    }

    #[tokio::test]
    async fn a_huge_error_body_is_read_only_up_to_the_cap() {
        let (url, receiver) =
            endless("HTTP/1.1 500 Internal Server Error\r\ncontent-length: 1073741824\r\n\r\n")
                .await;
        let e = post(&client(), true, &url).await.unwrap_err();
        assert!(!e.permanent);
        assert!(
            e.message
                .starts_with("HTTP 500 Internal Server Error: xxxx"),
            "{}",
            &e.message[..40]
        );
        assert!(e.message.chars().count() <= 540, "{}", e.message.len());
        // The client hung up after the cap: the receiver could not write
        // its gigabyte (only what socket buffers hold).
        let written = receiver.await.unwrap();
        assert!(written < 64 << 20, "receiver wrote {written} bytes");
    }

    #[tokio::test]
    async fn a_chunked_endless_error_body_is_cut_too() {
        // One chunk of 1 GiB announced, streamed forever.
        let (url, receiver) = endless(
            "HTTP/1.1 503 Service Unavailable\r\ntransfer-encoding: chunked\r\n\r\n40000000\r\n",
        )
        .await;
        let e = post(&client(), true, &url).await.unwrap_err();
        assert!(e.message.starts_with("HTTP 503 Service Unavailable: xxx"));
        assert!(receiver.await.unwrap() < 64 << 20);
    }

    #[tokio::test]
    async fn refused_targets_are_not_contacted_and_fail_permanently() {
        let e = post(&client(), true, "http://169.254.169.254/latest")
            .await
            .unwrap_err();
        assert!(e.permanent);
        assert!(e.message.contains("link-local"), "{}", e.message);
        let e = post(&client(), false, "http://127.0.0.1:9/hook")
            .await
            .unwrap_err();
        assert!(e.permanent);
        assert!(
            e.message.contains("MONITOR_WEBHOOK_ALLOW_PRIVATE"),
            "{}",
            e.message
        );
    }

    #[test]
    fn provider_errors_are_told_in_their_words() {
        assert_eq!(
            words(r#"{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}"#),
            "Bad Request: chat not found"
        );
        assert_eq!(
            words(r#"{"errcode":"M_FORBIDDEN","error":"You are not in this room."}"#),
            "M_FORBIDDEN: You are not in this room."
        );
        assert_eq!(
            words(r#"{"user":"invalid","errors":["user identifier is invalid"],"status":0}"#),
            "user identifier is invalid"
        );
        assert_eq!(
            words(
                r#"{"error":{"code":400,"message":"Invalid JSON payload","status":"INVALID_ARGUMENT"}}"#
            ),
            "Invalid JSON payload"
        );
        assert_eq!(words("invalid_blocks"), "invalid_blocks");
    }

    #[test]
    fn receiver_text_is_one_line_and_short() {
        assert_eq!(
            one_line("  bad\r\n\tgateway\u{1b}[31m ", 100),
            "bad gateway [31m"
        );
        assert_eq!(one_line("abcdef", 3), "abc…");
        assert_eq!(one_line("", 3), "");
    }
}
