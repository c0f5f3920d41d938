//! What each connection sends: valid job lifecycles and heartbeats mixed
//! with hostile events (see `hostile.rs`), drawn from a seeded RNG so that a
//! run can be replayed with `--seed` (per connection; the interleaving of
//! connections is the machine's).

use std::collections::VecDeque;

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use super::hostile;

/// A kind of request; `--skip` takes these names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// Job lifecycles, worker and scheduler heartbeats, duplicates.
    Valid,
    /// Huge, negative, float and non-numeric values in policy metadata.
    HostileNumbers,
    /// A `chief.heartbeat` with a huge `ping_interval_seconds`.
    HugePing,
    /// `eventAt` in year 9999 and beyond.
    FarFuture,
    /// `eventAt` in year 1 and before.
    FarPast,
    /// A `chief.heartbeat` dated an hour to a month back.
    BackdatedChief,
    /// A batch of 1,000 job names never seen before.
    NameBurst,
    /// Markup and control characters in names and messages.
    Markup,
    /// Bodies that are not events.
    Malformed,
    /// Bodies and batches over the limits.
    Oversize,
    /// Unknown event types, source types and levels.
    UnknownType,
}

impl Kind {
    pub const ALL: [Kind; 11] = [
        Kind::Valid,
        Kind::HostileNumbers,
        Kind::HugePing,
        Kind::FarFuture,
        Kind::FarPast,
        Kind::BackdatedChief,
        Kind::NameBurst,
        Kind::Markup,
        Kind::Malformed,
        Kind::Oversize,
        Kind::UnknownType,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Valid => "valid",
            Kind::HostileNumbers => "hostile-numbers",
            Kind::HugePing => "huge-ping",
            Kind::FarFuture => "far-future",
            Kind::FarPast => "far-past",
            Kind::BackdatedChief => "backdated-chief",
            Kind::NameBurst => "name-burst",
            Kind::Markup => "markup",
            Kind::Malformed => "malformed",
            Kind::Oversize => "oversize",
            Kind::UnknownType => "unknown-type",
        }
    }

    /// Relative frequency among requests once hostility has begun.
    fn weight(self) -> u32 {
        match self {
            Kind::Valid => 50,
            Kind::HostileNumbers | Kind::Markup => 8,
            Kind::Malformed => 6,
            Kind::FarFuture | Kind::UnknownType => 4,
            Kind::FarPast => 3,
            Kind::BackdatedChief => 2,
            Kind::HugePing | Kind::NameBurst | Kind::Oversize => 1,
        }
    }
}

pub struct Request {
    pub kind: Kind,
    pub path: &'static str,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    /// What is hostile about it, for the report when the server answers
    /// badly ("" for valid requests).
    pub detail: String,
}

impl Request {
    pub(super) fn batch(kind: Kind, events: Vec<Value>) -> Request {
        let body = serde_json::to_vec(&json!({ "events": events })).unwrap_or_default();
        Request {
            kind,
            path: "/v1/events/batch",
            content_type: "application/json",
            body,
            detail: String::new(),
        }
    }

    pub(super) fn single(kind: Kind, event: &Value) -> Request {
        Request {
            kind,
            path: "/v1/events",
            content_type: "application/json",
            body: serde_json::to_vec(event).unwrap_or_default(),
            detail: String::new(),
        }
    }

    pub(super) fn described(mut self, detail: impl Into<String>) -> Request {
        self.detail = detail.into();
        self
    }
}

/// An event's hostile parts in a few words: type, `eventAt`, metadata.
fn describe(e: &Value) -> String {
    let mut out = e["eventType"]
        .as_str()
        .unwrap_or("?")
        .chars()
        .take(40)
        .collect::<String>();
    if let Some(at) = e["eventAt"].as_str() {
        out.push_str(&format!(" eventAt={at}"));
    }
    if e["metadata"].as_object().is_some_and(|m| !m.is_empty()) {
        out.push_str(&format!(" metadata={}", e["metadata"]));
    }
    if let Some(job) = e["jobName"].as_str().filter(|j| !j.starts_with("soak-")) {
        out.push_str(&format!(" jobName={job:?}"));
    }
    out.chars().take(160).collect()
}

/// An event with its four required fields; `with` adds the others.
pub(super) fn ev(source: &str, level: &str, event_type: &str, message: &str) -> Value {
    json!({
        "sourceType": source, "level": level, "eventType": event_type,
        "message": message, "metadata": {},
    })
}

/// Sets one field of an event (`jobName`, `runId`, `metadata`, …).
pub(super) fn with(mut event: Value, key: &str, value: impl Into<Value>) -> Value {
    event[key] = value.into();
    event
}

const JOBS: u32 = 200;

pub struct Generator {
    pub(super) rng: StdRng,
    pub(super) worker: usize,
    pub(super) counter: u64,
    kinds: Vec<Kind>,
    /// Runs started and not yet finished, to finish later (bounded).
    open: VecDeque<(String, String)>,
    /// Recent events with an id, to send again as duplicates (bounded).
    recent: VecDeque<Value>,
    pub(super) malformed: Vec<(&'static str, &'static str, Vec<u8>)>,
    pub(super) markup: Vec<String>,
}

impl Generator {
    /// `kinds`: the kinds allowed once hostility begins.
    pub fn new(seed: u64, worker: usize, kinds: &[Kind]) -> Generator {
        Generator {
            rng: StdRng::seed_from_u64(seed ^ (worker as u64).wrapping_mul(0x9E37_79B9)),
            worker,
            counter: 0,
            kinds: kinds.to_vec(),
            open: VecDeque::new(),
            recent: VecDeque::new(),
            malformed: hostile::malformed(),
            markup: hostile::markup(),
        }
    }

    pub fn pause_ms(&mut self, mean_ms: u64) -> u64 {
        self.rng.random_range(mean_ms / 2..=mean_ms + mean_ms / 2)
    }

    /// The next request: valid only while `hostile` is false.
    pub fn next(&mut self, hostile: bool) -> Request {
        let mut kind = Kind::Valid;
        if hostile {
            let total: u32 = self.kinds.iter().map(|k| k.weight()).sum();
            let mut pick = self.rng.random_range(0..total.max(1));
            for k in &self.kinds {
                if pick < k.weight() {
                    kind = *k;
                    break;
                }
                pick -= k.weight();
            }
        }
        self.counter += 1;
        match kind {
            Kind::Valid => self.valid(),
            Kind::NameBurst => self.burst(),
            Kind::Malformed => self.malformed(),
            Kind::Oversize => self.oversize(),
            _ => {
                let event = self.hostile(kind);
                let detail = describe(&event);
                self.send(kind, vec![event]).described(detail)
            }
        }
    }

    /// One event alone or in a batch; several in a batch.
    pub(super) fn send(&mut self, kind: Kind, events: Vec<Value>) -> Request {
        if events.len() == 1 && self.rng.random_bool(0.6) {
            return Request::single(kind, &events[0]);
        }
        Request::batch(kind, events)
    }

    fn valid(&mut self) -> Request {
        if !self.recent.is_empty() && self.rng.random_bool(0.05) {
            let again = self.recent[self.rng.random_range(0..self.recent.len())].clone();
            return self.send(Kind::Valid, vec![again]);
        }
        let n = if self.rng.random_bool(0.3) {
            self.rng.random_range(2..=50)
        } else {
            1
        };
        let events = (0..n).map(|_| self.valid_event()).collect();
        self.send(Kind::Valid, events)
    }

    /// A lifecycle step of one of `JOBS` jobs, or a heartbeat.
    fn valid_event(&mut self) -> Value {
        self.counter += 1;
        let w = self.worker;
        let worker = format!("soak-worker-{w}");
        let some_job = format!("soak-job-{}", self.rng.random_range(0..JOBS));
        let e = match self.rng.random_range(0..10) {
            0..=3 if !self.open.is_empty() => {
                let (job, run) = self.open.pop_front().unwrap_or_default();
                let e = if self.rng.random_bool(0.1) {
                    ev("worker", "error", "job.failed", "exit 1: soak failure")
                } else {
                    ev("worker", "info", "job.completed", "done")
                };
                with(
                    with(with(e, "jobName", job), "runId", run),
                    "workerId",
                    worker,
                )
            }
            0..=4 => {
                let run = format!("run-{w}-{}", self.counter);
                if self.open.len() < 16 {
                    self.open.push_back((some_job.clone(), run.clone()));
                }
                let meta = [
                    json!({}),
                    json!({"grace_seconds": 300}),
                    json!({"max_runtime_seconds": 3600}),
                    json!({"schedule": "every 1h"}),
                ];
                let meta = meta.choose(&mut self.rng).cloned().unwrap_or_default();
                let e = ev("worker", "info", "job.started", "started");
                let e = with(with(e, "jobName", some_job), "runId", run);
                with(with(e, "workerId", worker), "metadata", meta)
            }
            5..=6 => {
                let e = ev("worker", "debug", "worker.heartbeat", "alive");
                let meta = json!({"interval_seconds": 15, "hostname": "soak"});
                with(with(e, "workerId", worker), "metadata", meta)
            }
            7 => {
                let e = ev("chief", "info", "chief.heartbeat", "scheduler alive");
                with(e, "metadata", json!({"ping_interval_seconds": 30}))
            }
            8 => {
                let e = ev("worker", "info", "progress_update", "progress");
                let meta = json!({"progress": self.rng.random_range(0..=100)});
                with(with(e, "jobName", some_job), "metadata", meta)
            }
            _ => with(
                ev("worker", "info", "script.started", "script"),
                "jobName",
                some_job,
            ),
        };
        if !self.rng.random_bool(0.5) {
            return e;
        }
        let e = with(e, "eventId", format!("soak-{w}-{}", self.counter));
        if self.recent.len() >= 64 {
            self.recent.pop_front();
        }
        self.recent.push_back(e.clone());
        e
    }
}
