//! The webhook receiver inside the soak: checks `X-Telltale-Signature`
//! (HMAC-SHA256 over `timestamp.body`, computed here, not by the code under
//! test) and records every delivery about a canary job. Others are only
//! counted, so memory stays bounded however many alerts the hostile traffic
//! opens.
//!
//! It refuses (503) the first delivery of a few canary alerts on purpose:
//! the retry must carry the same `deliveryId`, or a receiver that dedupes
//! by it would act twice.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

use super::Result;

/// Canary jobs remembered; receptions kept per canary job.
const JOBS_CAP: usize = 10_000;
const PER_JOB_CAP: usize = 64;

#[derive(Debug, Clone)]
pub struct Reception {
    pub alert_id: i64,
    pub alert_type: String,
    pub event: String,
    pub delivery_id: Option<i64>,
    pub at: Instant,
    /// Answered 2xx (not refused on purpose).
    pub accepted: bool,
}

#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Totals {
    /// Every request that reached the receiver.
    pub requests: u64,
    /// Signed correctly and answered 2xx.
    pub accepted: u64,
    /// Refused with 503 on purpose (first delivery of some canary alerts).
    pub refused_on_purpose: u64,
    pub bad_signature: u64,
    pub unreadable: u64,
    /// Accepted deliveries by `event` and alert type (`alert.opened FAILURE`).
    pub by_event: BTreeMap<String, u64>,
}

struct Inner {
    secret: String,
    seed: u64,
    refuse_percent: u64,
    canary: HashMap<String, Vec<Reception>>,
    refused: HashSet<i64>,
    totals: Totals,
}

#[derive(Clone)]
pub struct Receiver {
    pub addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
}

impl Receiver {
    pub async fn start(secret: String, seed: u64, refuse_percent: u64) -> Result<Receiver> {
        let inner = Arc::new(Mutex::new(Inner {
            secret,
            seed,
            refuse_percent,
            canary: HashMap::new(),
            refused: HashSet::new(),
            totals: Totals::default(),
        }));
        let app = axum::Router::new()
            .fallback(receive)
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                eprintln!("soak: webhook receiver stopped: {e}");
            }
        });
        Ok(Receiver { addr, inner })
    }

    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    pub fn totals(&self) -> Totals {
        self.inner
            .lock()
            .map(|i| i.totals.clone())
            .unwrap_or_default()
    }

    /// What arrived about one canary job.
    pub fn canary(&self, job: &str) -> Vec<Reception> {
        self.inner
            .lock()
            .ok()
            .and_then(|i| i.canary.get(job).cloned())
            .unwrap_or_default()
    }
}

fn verify(secret: &str, headers: &HeaderMap, body: &[u8]) -> bool {
    let Some(timestamp) = headers
        .get("x-telltale-timestamp")
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let Some(signature) = headers
        .get("x-telltale-signature")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("sha256="))
        .and_then(|v| hex::decode(v).ok())
    else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    // Constant-time comparison, as a real receiver would do.
    mac.verify_slice(&signature).is_ok()
}

/// A stable choice per alert: whether its first delivery is refused.
fn refuse(seed: u64, alert_id: i64, percent: u64) -> bool {
    let mut z = seed ^ (alert_id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)) % 100 < percent
}

async fn receive(
    State(inner): State<Arc<Mutex<Inner>>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let at = Instant::now();
    let Ok(mut s) = inner.lock() else {
        return StatusCode::INTERNAL_SERVER_ERROR;
    };
    s.totals.requests += 1;
    if !verify(&s.secret, &headers, &body) {
        s.totals.bad_signature += 1;
        return StatusCode::UNAUTHORIZED;
    }
    let Ok(payload) = serde_json::from_slice::<Value>(&body) else {
        s.totals.unreadable += 1;
        return StatusCode::BAD_REQUEST;
    };
    let event = payload["event"].as_str().unwrap_or("?").to_owned();
    let alert = &payload["alert"];
    let alert_type = alert["alertType"].as_str().unwrap_or("?").to_owned();
    let alert_id = alert["id"].as_i64().unwrap_or(-1);
    let job = alert["jobName"].as_str().unwrap_or_default();
    let mut status = StatusCode::NO_CONTENT;
    if job.starts_with("canary-") {
        // Only the first reception of a chosen alert: `refused` remembers.
        if refuse(s.seed, alert_id, s.refuse_percent) && s.refused.insert(alert_id) {
            status = StatusCode::SERVICE_UNAVAILABLE;
            s.totals.refused_on_purpose += 1;
        }
        let reception = Reception {
            alert_id,
            alert_type: alert_type.clone(),
            event: event.clone(),
            delivery_id: payload["deliveryId"].as_i64(),
            at,
            accepted: status.is_success(),
        };
        if s.canary.len() < JOBS_CAP || s.canary.contains_key(job) {
            let list = s.canary.entry(job.to_owned()).or_default();
            if list.len() < PER_JOB_CAP {
                list.push(reception);
            }
        }
    }
    if status.is_success() {
        s.totals.accepted += 1;
        *s.totals
            .by_event
            .entry(format!("{event} {alert_type}"))
            .or_default() += 1;
    }
    status
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_made_as_the_server_does_verifies() {
        let body = br#"{"event":"alert.opened"}"#;
        let sig = telltale_delivery_like_sign("whsec_soak_0123456789", 1700000000, body);
        let mut headers = HeaderMap::new();
        headers.insert("x-telltale-timestamp", "1700000000".parse().unwrap());
        headers.insert("x-telltale-signature", sig.parse().unwrap());
        assert!(verify("whsec_soak_0123456789", &headers, body));
        assert!(!verify("another_secret_0123456789", &headers, body));
    }

    /// The documented scheme, written out independently of the server.
    fn telltale_delivery_like_sign(secret: &str, ts: i64, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{ts}.").as_bytes());
        mac.update(body);
        format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
    }

    #[test]
    fn refusals_are_stable_and_near_the_percentage() {
        let n = (0..10_000).filter(|&id| refuse(42, id, 10)).count();
        assert!((800..1200).contains(&n), "{n}");
        assert_eq!(refuse(7, 3, 10), refuse(7, 3, 10));
        assert!(!(0..1000).any(|id| refuse(7, id, 0)));
    }
}
