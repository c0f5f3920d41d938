//! One HTTP exchange with the ingest API, and what its failure means: retry
//! later, split the batch, or give up on an event the server will never take.
//!
//! Blocking on purpose: it runs only on the client's own threads, so a worker
//! needs no async runtime, and one that has one is never blocked by it.

use std::time::Duration;

use telltale_model::{IngestResponse, NewEvent};

use crate::config::Config;

/// What a failed request means for the events in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Nothing was stored; the same request may succeed later.
    Retry,
    /// The server will not take this request as it is (too large, or a body
    /// it refuses): smaller batches may go through; a single event never will.
    Split,
    /// The API key is wrong or the URL is not Telltale's: retrying will not
    /// help until the configuration changes, but the events stay in the
    /// spool for then.
    Misconfigured,
}

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("cannot reach {url}: {detail}")]
    Unreachable { url: String, detail: String },
    #[error("{url} answered {status}: {body}")]
    Status {
        url: String,
        status: u16,
        body: String,
    },
    #[error(
        "{url} refused the API key (401): set TELLTALE_API_KEY to the server's MONITOR_API_KEY"
    )]
    Unauthorized { url: String },
    #[error("cannot build an HTTP client: {0}")]
    Setup(String),
}

impl SendError {
    pub fn failure(&self) -> Failure {
        match self {
            SendError::Unreachable { .. } | SendError::Setup(_) => Failure::Retry,
            SendError::Unauthorized { .. } => Failure::Misconfigured,
            SendError::Status { status, .. } => match status {
                // The ingest contract's "do not send this as it is".
                400 | 413 | 415 | 422 => Failure::Split,
                // 404, 403, 405…: most likely TELLTALE_URL points somewhere
                // else. Like a wrong key, a configuration to fix: keep the
                // events rather than drop them.
                401..=499 if !matches!(status, 408 | 429) => Failure::Misconfigured,
                _ => Failure::Retry,
            },
        }
    }
}

pub struct Transport {
    http: reqwest::blocking::Client,
    batch_url: String,
    one_url: String,
    api_key: Option<String>,
}

impl Transport {
    pub fn new(config: &Config) -> Result<Self, SendError> {
        let http = reqwest::blocking::Client::builder()
            .connect_timeout(config.request_timeout.min(Duration::from_secs(3)))
            .timeout(config.request_timeout)
            .user_agent(concat!("telltale-client/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| SendError::Setup(e.to_string()))?;
        Ok(Transport {
            http,
            batch_url: config.endpoint("/v1/events/batch"),
            one_url: config.endpoint("/v1/events"),
            api_key: config.api_key.clone(),
        })
    }

    /// Posts already-serialized events (one JSON object each) as one batch.
    pub fn post_batch(&self, lines: &[String]) -> Result<IngestResponse, SendError> {
        let mut body = String::with_capacity(lines.iter().map(|l| l.len() + 1).sum::<usize>() + 2);
        body.push('[');
        for (i, line) in lines.iter().enumerate() {
            if i > 0 {
                body.push(',');
            }
            body.push_str(line);
        }
        body.push(']');
        self.post(&self.batch_url, body)
    }

    /// Posts one event straight away, without the spool (heartbeats: a late
    /// one says nothing about now, so it is not worth keeping).
    pub fn post_one(&self, event: &NewEvent) -> Result<IngestResponse, SendError> {
        let body = serde_json::to_string(event).map_err(|e| SendError::Setup(e.to_string()))?;
        self.post(&self.one_url, body)
    }

    fn post(&self, url: &str, body: String) -> Result<IngestResponse, SendError> {
        let mut request = self
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body);
        if let Some(key) = &self.api_key {
            request = request.header("x-api-key", key);
        }
        let response = request.send().map_err(|e| SendError::Unreachable {
            url: url.to_owned(),
            detail: cause(&e),
        })?;
        let status = response.status().as_u16();
        if status == 401 {
            return Err(SendError::Unauthorized {
                url: url.to_owned(),
            });
        }
        let text = response.text().map_err(|e| SendError::Unreachable {
            url: url.to_owned(),
            detail: cause(&e),
        })?;
        if !(200..300).contains(&status) {
            return Err(SendError::Status {
                url: url.to_owned(),
                status,
                body: text.chars().take(500).collect(),
            });
        }
        serde_json::from_str(&text).map_err(|e| SendError::Status {
            url: url.to_owned(),
            status,
            body: format!(
                "not an ingest answer ({e}): {}",
                text.chars().take(200).collect::<String>()
            ),
        })
    }
}

/// reqwest's own message ("error sending request for url (…)") repeats the
/// URL and hides the cause; a person needs the cause ("tcp connect error:
/// Connection refused"), which is the deepest error of the chain.
fn cause(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return "no answer in time".into();
    }
    let mut deepest: &dyn std::error::Error = e;
    while let Some(source) = deepest.source() {
        deepest = source;
    }
    deepest.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(status: u16) -> Failure {
        SendError::Status {
            url: "http://h/v1/events/batch".into(),
            status,
            body: String::new(),
        }
        .failure()
    }

    #[test]
    fn only_what_the_server_refuses_as_sent_is_split_or_dropped() {
        for s in [400, 413, 415] {
            assert_eq!(status(s), Failure::Split, "{s}");
        }
        for s in [403, 404, 405] {
            assert_eq!(status(s), Failure::Misconfigured, "{s}: kept, not dropped");
        }
        for s in [408, 429, 500, 502, 503, 200] {
            assert_eq!(status(s), Failure::Retry, "{s}");
        }
        let unauthorized = SendError::Unauthorized { url: "u".into() };
        assert_eq!(unauthorized.failure(), Failure::Misconfigured);
    }
}
