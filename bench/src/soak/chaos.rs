//! Restarts (alternately SIGTERM and SIGKILL) and, on PostgreSQL, cut
//! database connections, at seeded times; and a watcher of `/v1/health`,
//! `/v1/status/summary` and the server's memory while it should be serving.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::pg::PgDatabase;
use super::process::{ServerProcess, Stop};
use super::{Disruption, api, ms};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Restart(Stop),
    Cut,
}

/// Restarts every `every` (± a fifth, seeded), none in the last 20 s; on
/// PostgreSQL up to `cuts` connection cuts, halfway between restarts.
pub fn plan(seed: u64, run: Duration, every: Duration, cuts: u32) -> Vec<(Duration, Action)> {
    let mut rng = StdRng::seed_from_u64(seed ^ 0xC4A0_5EED);
    let mut out = Vec::new();
    let last = run.saturating_sub(Duration::from_secs(20));
    let jitter = every.as_secs_f64() / 5.0;
    let mut at = every.as_secs_f64();
    let mut signal = Stop::Term;
    while every > Duration::ZERO && at < last.as_secs_f64() {
        let t = (at + rng.random_range(-jitter..=jitter)).max(10.0);
        out.push((Duration::from_secs_f64(t), Action::Restart(signal)));
        signal = if signal == Stop::Term {
            Stop::Kill
        } else {
            Stop::Term
        };
        at += every.as_secs_f64();
    }
    // Cuts halfway between two restarts, spread over the run.
    let mut middles = Vec::new();
    let mut m = every.as_secs_f64() * 1.5;
    while every > Duration::ZERO && m < last.as_secs_f64() {
        middles.push(m);
        m += every.as_secs_f64();
    }
    // Fewer middles than cuts (a short run): one cut per middle, no two at
    // the same moment.
    let n = if middles.is_empty() {
        cuts as usize
    } else {
        middles.len().min(cuts as usize)
    };
    for i in 0..n {
        let t = if middles.is_empty() {
            run.as_secs_f64() * (i + 1) as f64 / (n + 1) as f64
        } else {
            middles[i * middles.len() / n]
        };
        out.push((Duration::from_secs_f64(t.max(10.0)), Action::Cut));
    }
    out.sort_by_key(|(t, _)| *t);
    out
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Done {
    pub at_s: f64,
    pub action: String,
    /// Until the server answered again (restarts) or the cut was made.
    pub took_ms: f64,
    pub ok: bool,
    pub detail: String,
}

pub struct Chaos<'a> {
    pub server: &'a mut ServerProcess,
    pub pg: Option<&'a PgDatabase>,
    pub disruption: Arc<Disruption>,
    pub pid: Arc<AtomicU32>,
    pub client: reqwest::Client,
    pub hook_url: String,
    pub secret: String,
    pub start: Instant,
    pub stop: Arc<AtomicBool>,
}

impl Chaos<'_> {
    /// Carries out the plan. A server that does not come back ends the
    /// run (`stop`): nothing after it could be judged.
    pub async fn run(&mut self, plan: Vec<(Duration, Action)>) -> Vec<Done> {
        let mut done = Vec::new();
        for (at, action) in plan {
            // In short steps: a run stopped early must not wait here.
            while Instant::now() < self.start + at && !self.stop.load(Ordering::Relaxed) {
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            if self.stop.load(Ordering::Relaxed) {
                break;
            }
            let began = Instant::now();
            let d = match action {
                Action::Restart(how) => self.restart(how).await,
                Action::Cut => self.cut().await,
            };
            let d = Done {
                at_s: at.as_secs_f64(),
                took_ms: ms(began.elapsed()),
                ..d
            };
            println!(
                "soak: {:>6.1} s {} {} in {:.0} ms{}",
                d.at_s,
                d.action,
                if d.ok { "done" } else { "FAILED" },
                d.took_ms,
                if d.detail.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", d.detail)
                }
            );
            let fatal = !d.ok && d.action != "pg-cut";
            done.push(d);
            if fatal {
                self.stop.store(true, Ordering::Relaxed);
                break;
            }
        }
        done
    }

    async fn restart(&mut self, how: Stop) -> Done {
        let action = match how {
            Stop::Term => "restart after SIGTERM",
            Stop::Kill => "restart after SIGKILL",
        };
        self.disruption.begin();
        let forced = self.server.stop(how, Duration::from_secs(15)).await;
        let mut detail = if forced {
            "SIGTERM ignored for 15 s: killed".to_owned()
        } else {
            String::new()
        };
        let mut ok = match self.server.restart(Duration::from_secs(60)).await {
            Ok(()) => true,
            Err(e) => {
                detail = e.to_string();
                false
            }
        };
        if ok {
            self.pid
                .store(self.server.pid().unwrap_or(0), Ordering::Relaxed);
            match api::ensure_webhook(
                &self.client,
                &self.server.base,
                &self.hook_url,
                &self.secret,
            )
            .await
            {
                Ok(true) => detail.push_str("webhook was gone: registered again"),
                Ok(false) => {}
                Err(e) => {
                    ok = false;
                    detail = format!("webhook check: {e}");
                }
            }
        }
        self.disruption.end(Duration::from_secs(2));
        Done {
            at_s: 0.0,
            action: action.to_owned(),
            took_ms: 0.0,
            ok,
            detail,
        }
    }

    async fn cut(&mut self) -> Done {
        let Some(pg) = self.pg else {
            return Done {
                at_s: 0.0,
                action: "pg-cut".into(),
                took_ms: 0.0,
                ok: false,
                detail: "no PostgreSQL".into(),
            };
        };
        self.disruption.begin();
        let (ok, detail) = match pg.cut().await {
            Ok(n) => (true, format!("{n} connections terminated")),
            Err(e) => (false, e.to_string()),
        };
        // A pool notices a dead connection on its next use; give it a
        // moment before failures count against the server.
        self.disruption.end(Duration::from_secs(5));
        Done {
            at_s: 0.0,
            action: "pg-cut".into(),
            took_ms: 0.0,
            ok,
            detail,
        }
    }
}

/// What `/v1/health` and `/v1/status/summary` said while the server should
/// have been serving, polled every 2 s.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Watch {
    pub health_ok: u64,
    pub health_degraded: u64,
    pub health_failed: u64,
    pub summary_ok: u64,
    pub summary_failed: u64,
    pub peak_rss_mib: f64,
    /// The server's resident memory every 10 s: (seconds into the run, MiB).
    pub rss_mib: Vec<(f64, f64)>,
    /// Set when the server went over `--max-rss-mib` and the run was
    /// stopped there.
    pub over_memory: Option<f64>,
    /// Each distinct answer that was not a plain 200: how often, and the
    /// first and last time (seconds into the run).
    pub samples: BTreeMap<String, (u64, f64, f64)>,
}

pub async fn watch(
    client: reqwest::Client,
    base: String,
    pid: Arc<AtomicU32>,
    disruption: Arc<Disruption>,
    (start, end): (Instant, Instant),
    stop: Arc<AtomicBool>,
    max_rss_mib: f64,
) -> Watch {
    let mut w = Watch::default();
    while Instant::now() < end && !stop.load(Ordering::Relaxed) {
        let began = Instant::now();
        let health = client.get(format!("{base}/v1/health")).send().await;
        let summary = client.get(format!("{base}/v1/status/summary")).send().await;
        if let Ok(rss) = crate::server::status_mib(pid.load(Ordering::Relaxed), "VmRSS:") {
            let t = (began - start).as_secs_f64();
            // The machine is shared: a server that runs away with memory
            // ends the run (and fails it) before it takes the machine down.
            if w.memory(t, rss, max_rss_mib) {
                println!(
                    "soak: the server uses {rss:.0} MiB, over --max-rss-mib: stopping the run"
                );
                stop.store(true, Ordering::Relaxed);
                break;
            }
        }
        if !disruption.covers(began) {
            let at = (began - start).as_secs_f64();
            w.health(health, at).await;
            w.summary(summary, at);
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    w
}

impl Watch {
    /// Records the server's memory `t` seconds in; true when it is over
    /// `max_rss_mib`.
    fn memory(&mut self, t: f64, rss: f64, max_rss_mib: f64) -> bool {
        self.peak_rss_mib = self.peak_rss_mib.max(rss);
        if self.rss_mib.last().is_none_or(|(last, _)| t - last >= 10.0) {
            self.rss_mib.push((t, rss));
        }
        if rss > max_rss_mib {
            self.over_memory = Some(rss);
        }
        rss > max_rss_mib
    }

    /// Counts an answer of `/v1/health` outside any disruption.
    async fn health(&mut self, health: reqwest::Result<reqwest::Response>, at: f64) {
        match health {
            Ok(r) if r.status().is_success() => self.health_ok += 1,
            Ok(r) => {
                self.health_degraded += 1;
                let status = r.status();
                let body = r.text().await.unwrap_or_default();
                self.note(
                    at,
                    format!(
                        "health HTTP {status}: {}",
                        body.chars().take(300).collect::<String>()
                    ),
                );
            }
            Err(e) => {
                self.health_failed += 1;
                self.note(
                    at,
                    format!("health: no answer: {}", super::ingest::chain(&e)),
                );
            }
        }
    }

    /// Counts an answer of `/v1/status/summary` outside any disruption.
    fn summary(&mut self, summary: reqwest::Result<reqwest::Response>, at: f64) {
        match summary {
            Ok(r) if r.status().is_success() => self.summary_ok += 1,
            Ok(r) => {
                self.summary_failed += 1;
                self.note(at, format!("status summary HTTP {}", r.status()));
            }
            Err(e) => {
                self.summary_failed += 1;
                self.note(
                    at,
                    format!("status summary: no answer: {}", super::ingest::chain(&e)),
                );
            }
        }
    }

    /// Keeps a sample of what was not a plain 200 (ten distinct at most).
    fn note(&mut self, at: f64, text: String) {
        if let Some((n, _, last)) = self.samples.get_mut(&text) {
            *n += 1;
            *last = at;
        } else if self.samples.len() < 10 {
            self.samples.insert(text, (1, at, at));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_minutes_get_four_restarts_alternating_and_two_cuts() {
        let p = plan(1, Duration::from_secs(600), Duration::from_secs(120), 2);
        let restarts: Vec<_> = p
            .iter()
            .filter(|(_, a)| matches!(a, Action::Restart(_)))
            .collect();
        assert_eq!(restarts.len(), 4);
        assert_eq!(restarts[0].1, Action::Restart(Stop::Term));
        assert_eq!(restarts[1].1, Action::Restart(Stop::Kill));
        assert_eq!(p.iter().filter(|(_, a)| *a == Action::Cut).count(), 2);
        assert!(p.iter().all(|(t, _)| *t <= Duration::from_secs(580)));
        assert!(p.windows(2).all(|w| w[0].0 <= w[1].0));
    }

    #[test]
    fn a_short_run_never_cuts_twice_at_once() {
        let p = plan(11, Duration::from_secs(120), Duration::from_secs(45), 2);
        let cuts: Vec<_> = p.iter().filter(|(_, a)| *a == Action::Cut).collect();
        assert_eq!(cuts.len(), 1);
        let none = plan(11, Duration::from_secs(120), Duration::ZERO, 2);
        assert_eq!(none.len(), 2);
        assert_ne!(none[0].0, none[1].0);
    }
}
