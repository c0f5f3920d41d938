//! The canary: every `--canary-every` seconds a job never seen before fails
//! once. Each must get exactly one FAILURE alert and one delivery. A canary
//! that meets a restart is retried as a real producer would retry (its
//! eventId makes that harmless); its latency counts from the first try.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

#[derive(Debug, Clone)]
pub struct Canary {
    pub n: u32,
    pub job: String,
    pub run: String,
    /// Seconds from the start of the soak.
    pub at_s: f64,
    pub first_try: Instant,
    /// When the server answered 2xx.
    pub answered: Option<Instant>,
    pub attempts: u32,
    /// Why it was never stored, if it was not.
    pub error: Option<String>,
}

impl Canary {
    /// Where alert latency is measured from: the answer, or the first try
    /// when it had to be retried.
    pub fn origin(&self) -> Option<Instant> {
        match (self.attempts, self.answered) {
            (1, Some(at)) => Some(at),
            (_, Some(_)) => Some(self.first_try),
            _ => None,
        }
    }
}

pub struct Canaries {
    pub client: reqwest::Client,
    pub base: String,
    pub every: Duration,
    pub start: Instant,
    /// No new canary after this; retries go on until `retry_until`.
    pub end: Instant,
    pub retry_until: Instant,
    pub stop: Arc<AtomicBool>,
    pub sent: Arc<Mutex<Vec<Canary>>>,
}

impl Canaries {
    /// Sends one canary per period until the end; each in its own task so
    /// that a retrying one does not hold up the next.
    pub async fn run(self: Arc<Self>) {
        let mut tick = tokio::time::interval_at(
            tokio::time::Instant::from_std(self.start + self.every / 2),
            self.every,
        );
        let mut tasks = tokio::task::JoinSet::new();
        let mut n = 0;
        loop {
            tick.tick().await;
            if Instant::now() >= self.end || self.stop.load(Ordering::Relaxed) {
                break;
            }
            n += 1;
            tasks.spawn(self.clone().send(n));
        }
        while tasks.join_next().await.is_some() {}
    }

    async fn send(self: Arc<Self>, n: u32) {
        let job = format!("canary-{n}");
        let run = format!("canary-{n}-run");
        let body = json!({
            "eventId": format!("canary-{n}-failed"),
            "sourceType": "worker", "level": "error", "eventType": "job.failed",
            "message": "canary failed on purpose", "jobName": job, "runId": run,
        });
        let mut c = Canary {
            n,
            job,
            run,
            at_s: self.start.elapsed().as_secs_f64(),
            first_try: Instant::now(),
            answered: None,
            attempts: 0,
            error: None,
        };
        loop {
            c.attempts += 1;
            let answer = self
                .client
                .post(format!("{}/v1/events", self.base))
                .json(&body)
                .send()
                .await;
            let problem = match answer {
                Ok(r) if r.status().is_success() => {
                    c.answered = Some(Instant::now());
                    c.error = None;
                    break;
                }
                Ok(r) if r.status().is_client_error() => {
                    // Retrying a 4xx changes nothing: the canary is lost.
                    let status = r.status();
                    let text = r.text().await.unwrap_or_default();
                    c.error = Some(format!(
                        "HTTP {status}: {}",
                        text.chars().take(200).collect::<String>()
                    ));
                    break;
                }
                Ok(r) => format!("HTTP {}", r.status()),
                Err(e) => format!("no answer: {}", super::ingest::chain(&e)),
            };
            c.error = Some(problem);
            if Instant::now() >= self.retry_until || self.stop.load(Ordering::Relaxed) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        if c.attempts > 1 || c.error.is_some() {
            println!(
                "soak: canary-{n} {} after {} tries{}",
                if c.answered.is_some() {
                    "stored"
                } else {
                    "NOT stored"
                },
                c.attempts,
                c.error
                    .as_deref()
                    .map(|e| format!(": {e}"))
                    .unwrap_or_default()
            );
        }
        if let Ok(mut sent) = self.sent.lock() {
            sent.push(c);
        }
    }
}
