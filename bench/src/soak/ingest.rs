//! The ingest connections: each sends what its generator draws, paced so
//! that all of them together stay near `--rate` requests a second, and
//! counts how the server answered, by kind of request.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::Disruption;
use super::traffic::{Generator, Kind, Request};

/// Distinct unexpected answers kept for the report, with what caused them.
const SAMPLES_CAP: usize = 40;

#[derive(Default)]
pub struct Counters {
    pub sent: AtomicU64,
    pub ok: AtomicU64,
    pub rejected: AtomicU64,
    /// 5xx while the server should have been serving.
    pub server_errors: AtomicU64,
    /// No answer (reset, refused, timed out) while it should have been.
    pub dropped: AtomicU64,
    /// 1xx or 3xx: never expected from ingest.
    pub other: AtomicU64,
    /// Failures inside a restart or connection-cut window.
    pub in_window: AtomicU64,
}

#[derive(Default)]
pub struct Tallies {
    pub by_kind: [Counters; Kind::ALL.len()],
    pub inserted: AtomicU64,
    pub duplicates: AtomicU64,
    pub dropped_in_batch: AtomicU64,
    pub warnings: AtomicU64,
    /// Each distinct unexpected answer (kind, path, status or error, body)
    /// with how often it came.
    pub samples: Mutex<BTreeMap<String, u64>>,
}

impl Tallies {
    pub fn get(&self, kind: Kind) -> &Counters {
        let i = Kind::ALL.iter().position(|k| *k == kind).unwrap_or(0);
        &self.by_kind[i]
    }

    fn sample(&self, text: String) {
        if let Ok(mut s) = self.samples.lock() {
            if let Some(n) = s.get_mut(&text) {
                *n += 1;
            } else if s.len() < SAMPLES_CAP {
                s.insert(text, 1);
            }
        }
    }
}

pub struct Ingest {
    pub client: reqwest::Client,
    pub base: String,
    pub seed: u64,
    pub kinds: Vec<Kind>,
    pub disruption: Arc<Disruption>,
    pub tallies: Arc<Tallies>,
    /// Mean pause between two requests of one connection.
    pub pause_ms: u64,
    pub hostile_from: Instant,
    /// When every connection sends two bursts of new names at once.
    pub storm_at: Option<Instant>,
    pub end: Instant,
    pub stop: Arc<AtomicBool>,
}

impl Ingest {
    /// One connection's loop, until the end of the run.
    pub async fn connection(self: Arc<Self>, id: usize) {
        let mut generator = Generator::new(self.seed, id, &self.kinds);
        let mut stormed = self.storm_at.is_none();
        while Instant::now() < self.end && !self.stop.load(Ordering::Relaxed) {
            let now = Instant::now();
            if !stormed && self.storm_at.is_some_and(|at| now >= at) {
                stormed = true;
                for _ in 0..2 {
                    let burst = generator.burst();
                    self.post(burst).await;
                }
                continue;
            }
            let request = generator.next(now >= self.hostile_from);
            self.post(request).await;
            let pause = generator.pause_ms(self.pause_ms);
            tokio::time::sleep(Duration::from_millis(pause)).await;
        }
    }

    async fn post(&self, r: Request) {
        let c = self.tallies.get(r.kind);
        c.sent.fetch_add(1, Ordering::Relaxed);
        let started = Instant::now();
        let answer = self
            .client
            .post(format!("{}{}", self.base, r.path))
            .header(reqwest::header::CONTENT_TYPE, r.content_type)
            .body(r.body)
            .send()
            .await;
        let response = match answer {
            Ok(response) => response,
            Err(e) => {
                if self.disruption.covers(started) {
                    c.in_window.fetch_add(1, Ordering::Relaxed);
                } else {
                    c.dropped.fetch_add(1, Ordering::Relaxed);
                    self.tallies.sample(format!(
                        "{} {} {}: no answer: {}",
                        r.kind.name(),
                        r.path,
                        r.detail,
                        chain(&e)
                    ));
                }
                return;
            }
        };
        let status = response.status();
        if status.is_success() {
            c.ok.fetch_add(1, Ordering::Relaxed);
            if let Ok(body) = response.json::<Value>().await {
                let n = |k: &str| body[k].as_u64().unwrap_or(0);
                let len = |k: &str| body[k].as_array().map_or(0, Vec::len) as u64;
                let t = &self.tallies;
                t.inserted.fetch_add(n("inserted"), Ordering::Relaxed);
                t.duplicates.fetch_add(n("duplicates"), Ordering::Relaxed);
                t.dropped_in_batch
                    .fetch_add(len("dropped"), Ordering::Relaxed);
                t.warnings.fetch_add(len("warnings"), Ordering::Relaxed);
            }
        } else if status.is_client_error() {
            c.rejected.fetch_add(1, Ordering::Relaxed);
        } else if status.is_server_error() && self.disruption.covers(started) {
            c.in_window.fetch_add(1, Ordering::Relaxed);
        } else {
            if status.is_server_error() {
                c.server_errors.fetch_add(1, Ordering::Relaxed);
            } else {
                c.other.fetch_add(1, Ordering::Relaxed);
            }
            let body = response.text().await.unwrap_or_default();
            let body: String = body.chars().take(120).collect();
            self.tallies.sample(format!(
                "{} {} {}: HTTP {status}: {body}",
                r.kind.name(),
                r.path,
                r.detail
            ));
        }
    }
}

/// An error with its causes: reqwest's own text ("error sending request")
/// does not say whether the connection was reset, closed or timed out.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    // The URL's port changes each run; the cause is what matters.
    text.replace("http://127.0.0.1", "")
}
