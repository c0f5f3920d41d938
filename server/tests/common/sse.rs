//! Reading Server-Sent Events in tests.

use std::time::Duration;

/// Reads an SSE response until `needle` shows up; fails after `within`
/// with what it saw.
pub async fn read_until(resp: &mut reqwest::Response, needle: &str, within: Duration) -> String {
    let mut seen = String::new();
    let read = async {
        while let Some(chunk) = resp.chunk().await.expect("stream chunk") {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains(needle) {
                return;
            }
        }
    };
    tokio::time::timeout(within, read)
        .await
        .unwrap_or_else(|_| panic!("no {needle:?} within {within:?}; got {seen:?}"));
    seen
}
