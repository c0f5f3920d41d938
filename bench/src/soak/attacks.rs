//! The hostile requests of a connection's generator, built from the values
//! in `hostile.rs`. Hostile events use their own job and worker names
//! (`soak-hostile-…`, `soak-burst-…`), never a canary's.

use chrono::{Duration as TimeDelta, SecondsFormat, Utc};
use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use serde_json::{Value, json};

use super::hostile;
use super::traffic::{Generator, Kind, Request, ev, with};

const HOSTILE_JOBS: u32 = 300;

const TYPES: [&str; 7] = [
    "job.started",
    "job.completed",
    "job.failed",
    "worker.heartbeat",
    "chief.heartbeat",
    "progress_update",
    "job.next_scheduled",
];

/// The source a real producer of this event type would name.
fn source(event_type: &str) -> &'static str {
    if event_type == "chief.heartbeat" {
        "chief"
    } else {
        "worker"
    }
}

impl Generator {
    /// 1,000 events, each for a job name never used before.
    pub fn burst(&mut self) -> Request {
        self.counter += 1;
        let (w, c) = (self.worker, self.counter);
        let events = (0..1000)
            .map(|i| {
                let job = format!("soak-burst-{w}-{c}-{i}");
                let t = if i % 2 == 0 {
                    "job.started"
                } else {
                    "job.completed"
                };
                let e = with(
                    ev("worker", "info", t, "burst"),
                    "runId",
                    format!("{job}-r"),
                );
                with(e, "jobName", job)
            })
            .collect();
        Request::batch(Kind::NameBurst, events).described("1,000 new job names")
    }

    pub(super) fn malformed(&mut self) -> Request {
        let (path, content_type, body) = self
            .malformed
            .choose(&mut self.rng)
            .cloned()
            .unwrap_or_default();
        let start: String = String::from_utf8_lossy(&body).chars().take(40).collect();
        let detail = format!("{content_type}, {} bytes: {start:?}", body.len());
        Request {
            kind: Kind::Malformed,
            path,
            content_type,
            body,
            detail,
        }
    }

    /// One hostile event of `kind` (not a burst, malformed or oversize).
    pub(super) fn hostile(&mut self, kind: Kind) -> Value {
        let r = &mut self.rng;
        let job = format!("soak-hostile-{}", r.random_range(0..HOSTILE_JOBS));
        let run = format!("hrun-{}-{}", self.worker, self.counter);
        let worker = format!("soak-hostile-worker-{}", r.random_range(0..20));
        let t = TYPES.choose(r).copied().unwrap_or("job.started");
        let ids = |e: Value| {
            with(
                with(with(e, "jobName", job), "runId", run),
                "workerId",
                worker,
            )
        };
        match kind {
            Kind::HostileNumbers => {
                let meta = numbers(r, t);
                ids(with(
                    ev(source(t), "info", t, "hostile numbers"),
                    "metadata",
                    meta,
                ))
            }
            Kind::HugePing => {
                let ping = hostile::huge_pings().choose(r).cloned().unwrap_or_default();
                let e = ev("chief", "info", "chief.heartbeat", "scheduler alive");
                with(e, "metadata", json!({ "ping_interval_seconds": ping }))
            }
            Kind::FarFuture | Kind::FarPast => {
                let list = if kind == Kind::FarFuture {
                    hostile::FAR_FUTURE
                } else {
                    hostile::FAR_PAST
                };
                let at = list.choose(r).copied().unwrap_or_default();
                ids(with(ev(source(t), "info", t, "odd clock"), "eventAt", at))
            }
            Kind::BackdatedChief => backdated_chief(r),
            Kind::Markup => markup_event(r, &self.markup),
            _ => {
                let e = ids(ev("worker", "info", &odd_type(r), "unknown"));
                match r.random_range(0..3) {
                    0 => with(e, "sourceType", "alien"),
                    1 => with(e, "level", "fatal"),
                    _ => e,
                }
            }
        }
    }

    /// Over the body limit (1 MiB by default) or the batch limit (1,000).
    pub(super) fn oversize(&mut self) -> Request {
        let big = |n: usize| {
            with(
                ev("worker", "info", "job.started", &"m".repeat(n)),
                "jobName",
                "soak-hostile-big",
            )
        };
        match self.rng.random_range(0..3) {
            0 => Request::single(Kind::Oversize, &big(1_200_000)).described("a 1.2 MB event"),
            1 => {
                let events = (0..1001)
                    .map(|i| {
                        let e = ev("worker", "debug", "script.started", "too many");
                        with(e, "jobName", format!("soak-hostile-{}", i % 10))
                    })
                    .collect();
                Request::batch(Kind::Oversize, events).described("a batch of 1,001 events")
            }
            _ => Request::batch(Kind::Oversize, (0..4).map(|_| big(400_000)).collect())
                .described("a 1.6 MB batch of 4 events"),
        }
    }
}

/// One to three policy keys of an event of type `t`, with hostile values.
fn numbers(r: &mut StdRng, t: &str) -> Value {
    let mut meta = serde_json::Map::new();
    let numbers = hostile::numbers();
    for _ in 0..r.random_range(1..=3) {
        let key = match t {
            "worker.heartbeat" => "interval_seconds",
            "chief.heartbeat" => "ping_interval_seconds",
            "progress_update" => "progress",
            "job.next_scheduled" => "next_run_at",
            _ => hostile::JOB_POLICY_KEYS
                .choose(r)
                .copied()
                .unwrap_or("grace_seconds"),
        };
        let value = match key {
            "schedule" | "timezone" => hostile::schedules().choose(r).cloned(),
            "next_run_at" => {
                let times: Vec<&str> = hostile::FAR_FUTURE
                    .iter()
                    .chain(hostile::FAR_PAST)
                    .copied()
                    .collect();
                times.choose(r).map(|s| json!(s))
            }
            _ => numbers.choose(r).cloned(),
        };
        meta.insert(key.to_owned(), value.unwrap_or_default());
    }
    Value::Object(meta)
}

/// A scheduler heartbeat from an hour, a day or a month ago.
fn backdated_chief(r: &mut StdRng) -> Value {
    let back = [3600, 86_400, 30 * 86_400]
        .choose(r)
        .copied()
        .unwrap_or(3600);
    let at = (Utc::now() - TimeDelta::seconds(back)).to_rfc3339_opts(SecondsFormat::Secs, true);
    let e = ev("chief", "info", "chief.heartbeat", "late scheduler");
    let e = with(e, "metadata", json!({"ping_interval_seconds": 30}));
    with(e, "eventAt", at)
}

/// An event whose names and texts are markup meant to break a page.
fn markup_event(r: &mut StdRng, markup: &[String]) -> Value {
    let mut pick = || markup.choose(r).cloned().unwrap_or_default();
    let (name, message, w, run) = (pick(), pick(), pick(), pick());
    let types = [
        "job.failed",
        "job.started",
        "worker.heartbeat",
        "job.failed",
    ];
    let t = types.choose(r).copied().unwrap_or("job.failed");
    let e = ev("worker", "error", t, &message);
    let e = with(with(e, "jobName", name.clone()), "runId", run);
    let meta = json!({"failure_reason": message, "hostname": name});
    with(with(e, "workerId", w), "metadata", meta)
}

/// An event type no producer sends.
fn odd_type(r: &mut StdRng) -> String {
    let long = "x".repeat(300);
    let odd = [
        "job.exploded",
        "DROP TABLE events;",
        "job.failed ",
        "JOB.FAILED",
        "🔥",
        &long,
    ];
    odd.choose(r).copied().unwrap_or("?").to_owned()
}
