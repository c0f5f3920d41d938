//! One variant of the soak from start to verdict: server, receiver,
//! ingest connections, canaries, chaos; then settling, judging, reporting.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::canary::{Canaries, Canary};
use super::chaos::{self, Chaos, Watch};
use super::ingest::{Ingest, Tallies};
use super::pg::PgDatabase;
use super::process::{ServerProcess, Stop};
use super::receiver::Receiver;
use super::report::{self, CanaryResult, Report};
use super::traffic::Kind;
use super::{Disruption, Result, api};

pub struct Settings {
    pub backend: &'static str,
    pub minutes: f64,
    pub connections: usize,
    pub rate: u32,
    pub seed: u64,
    /// The kinds of request sent (`Valid` always among them).
    pub kinds: Vec<Kind>,
    pub calm: Duration,
    pub canary_every: Duration,
    pub restart_every: Duration,
    pub pg_cuts: u32,
    pub refuse_percent: u64,
    pub settle: Duration,
    /// Longest acceptable time from a canary to its delivery.
    pub max_latency: Duration,
    /// The server's memory at which the run is stopped (and failed).
    pub max_rss_mib: f64,
    pub binary: PathBuf,
    pub out_dir: PathBuf,
    /// The database variable and its value.
    pub target: (&'static str, String),
}

fn server_env(s: &Settings) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = [
        ("MONITOR_AUTH_ENABLED", "false"),
        // Alerts open within a second of being due, so latency is the
        // server's, not the tick's.
        ("MONITOR_EVALUATOR_INTERVAL_SECONDS", "1"),
        // The receiver is on loopback.
        ("MONITOR_WEBHOOK_ALLOW_PRIVATE", "true"),
        ("MONITOR_DELIVERY_BACKOFF_SECONDS", "1"),
        ("MONITOR_DELIVERY_TIMEOUT_SECONDS", "5"),
        ("MONITOR_LEADER_RETRY_SECONDS", "2"),
        ("RUST_LOG", "warn"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    env.push((s.target.0.to_owned(), s.target.1.clone()));
    env
}

pub async fn run(s: Settings, pg: Option<Arc<PgDatabase>>) -> Result<bool> {
    let wall = Instant::now();
    let mut rng = StdRng::seed_from_u64(s.seed);
    std::fs::create_dir_all(&s.out_dir)?;
    let log_file = s.out_dir.join(format!("soak-{}.log", s.backend));
    let secret = format!(
        "whsec_soak_{:016x}{:016x}",
        rng.random::<u64>(),
        rng.random::<u64>()
    );
    let receiver = Receiver::start(secret.clone(), s.seed, s.refuse_percent).await?;
    let mut server = ServerProcess::start(&s.binary, server_env(&s), &log_file).await?;
    let base = server.base.clone();
    let admin = http_client(&s, 10)?;
    api::ensure_webhook(&admin, &base, &receiver.url(), &secret).await?;

    let duration = Duration::from_secs_f64(s.minutes.max(0.0) * 60.0);
    let start = Instant::now();
    let end = start + duration;
    let stop = Arc::new(AtomicBool::new(false));
    let disruption = Arc::new(Disruption::default());
    let pid = Arc::new(AtomicU32::new(server.pid().unwrap_or(0)));
    let storm_at = storm_time(&s, &mut rng, start, duration);
    let cuts = if pg.is_some() { s.pg_cuts } else { 0 };
    let plan = chaos::plan(s.seed, duration, s.restart_every, cuts);
    announce(&s, &server, &receiver, &log_file, start, storm_at, &plan);

    let traffic = Traffic::start(&s, &base, &disruption, &stop, &pid, (start, end), storm_at)?;
    let done = Chaos {
        server: &mut server,
        pg: pg.as_deref(),
        disruption: disruption.clone(),
        pid,
        client: admin.clone(),
        hook_url: receiver.url(),
        secret,
        start,
        stop: stop.clone(),
    }
    .run(plan)
    .await;
    while Instant::now() < end && !stop.load(Ordering::Relaxed) {
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    println!(
        "soak {}: run over after {:.0} s; settling",
        s.backend,
        start.elapsed().as_secs_f64()
    );
    let (tallies, sent, watch) = traffic.wind_down(&s, &receiver, &stop).await;
    let results = judge_canaries(&s, &admin, &base, &sent, &receiver).await;
    server.stop(Stop::Term, Duration::from_secs(10)).await;
    // The pipes drain on their own threads: a moment for the last lines.
    tokio::time::sleep(Duration::from_millis(200)).await;

    let report = Outcome {
        results,
        tallies: &tallies,
        done,
        watch,
        receiver: &receiver,
        server: &server,
        log_file: &log_file,
        wall,
    }
    .report(&s);
    super::table::print(&report);
    let json = s.out_dir.join(format!("soak-{}.json", s.backend));
    std::fs::write(&json, serde_json::to_vec_pretty(&report)?)?;
    println!(
        "soak {}: wrote {} ({:.0} s in all)",
        s.backend,
        json.display(),
        report.wall_seconds
    );
    Ok(report.passed)
}

fn http_client(s: &Settings, timeout: u64) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(timeout))
        .pool_max_idle_per_host(s.connections)
        .build()
}

/// When the burst of new job names comes: at a random time in the first
/// half of the hostile part of the run, if the run is long enough.
fn storm_time(
    s: &Settings,
    rng: &mut StdRng,
    start: Instant,
    duration: Duration,
) -> Option<Instant> {
    let room = duration.saturating_sub(s.calm).as_secs_f64() / 2.0;
    (s.kinds.contains(&Kind::NameBurst) && room > 5.0)
        .then(|| start + s.calm + Duration::from_secs_f64(rng.random_range(0.0..room)))
}

/// One line saying what runs where, and what the chaos plan is.
fn announce(
    s: &Settings,
    server: &ServerProcess,
    receiver: &Receiver,
    log_file: &Path,
    start: Instant,
    storm_at: Option<Instant>,
    plan: &[(Duration, chaos::Action)],
) {
    println!(
        "soak {}: server {} on {}, receiver {}, log {}; hostile from {} s{}; plan: {}",
        s.backend,
        s.binary.display(),
        server.base,
        receiver.url(),
        log_file.display(),
        s.calm.as_secs(),
        storm_at.map_or(String::new(), |at| format!(
            ", name storm at {:.0} s",
            (at - start).as_secs_f64()
        )),
        plan.iter()
            .map(|(t, a)| format!("{a:?} at {:.0} s", t.as_secs_f64()))
            .collect::<Vec<_>>()
            .join(", ")
    );
}

/// The load on the server while the chaos runs: the ingest connections, the
/// canaries, and the watch on the server's health.
struct Traffic {
    tallies: Arc<Tallies>,
    connections: tokio::task::JoinSet<()>,
    sent: Arc<Mutex<Vec<Canary>>>,
    canary_task: tokio::task::JoinHandle<()>,
    watch_task: tokio::task::JoinHandle<Watch>,
}

impl Traffic {
    fn start(
        s: &Settings,
        base: &str,
        disruption: &Arc<Disruption>,
        stop: &Arc<AtomicBool>,
        pid: &Arc<AtomicU32>,
        (start, end): (Instant, Instant),
        storm_at: Option<Instant>,
    ) -> Result<Traffic> {
        let tallies = Arc::new(Tallies::default());
        let ingest = Arc::new(Ingest {
            client: http_client(s, 30)?,
            base: base.to_owned(),
            seed: s.seed,
            kinds: s.kinds.clone(),
            disruption: disruption.clone(),
            tallies: tallies.clone(),
            pause_ms: (s.connections as u64 * 1000 / u64::from(s.rate)).max(1),
            hostile_from: start + s.calm,
            storm_at,
            end,
            stop: stop.clone(),
        });
        let mut connections = tokio::task::JoinSet::new();
        for i in 0..s.connections {
            connections.spawn(ingest.clone().connection(i));
        }
        let sent = Arc::new(Mutex::new(Vec::new()));
        let canaries = Arc::new(Canaries {
            client: http_client(s, 10)?,
            base: base.to_owned(),
            every: s.canary_every,
            start,
            end,
            retry_until: end + s.settle / 2,
            stop: stop.clone(),
            sent: sent.clone(),
        });
        let canary_task = tokio::spawn(canaries.run());
        let watch_task = tokio::spawn(chaos::watch(
            http_client(s, 5)?,
            base.to_owned(),
            pid.clone(),
            disruption.clone(),
            (start, end),
            stop.clone(),
            s.max_rss_mib,
        ));
        Ok(Traffic {
            tallies,
            connections,
            sent,
            canary_task,
            watch_task,
        })
    }

    /// Ends the ingest connections, waits for the stragglers (until every
    /// stored canary has a delivery, or the limit), and stops the rest.
    async fn wind_down(
        mut self,
        s: &Settings,
        receiver: &Receiver,
        stop: &AtomicBool,
    ) -> (Arc<Tallies>, Vec<Canary>, Watch) {
        // In-flight requests get a few seconds; none outlives the run by more.
        let _ = tokio::time::timeout(Duration::from_secs(5), async {
            while self.connections.join_next().await.is_some() {}
        })
        .await;
        self.connections.abort_all();

        let settle_until = Instant::now() + s.settle;
        while Instant::now() < settle_until && !stop.load(Ordering::Relaxed) {
            let waiting = self.sent.lock().map_or(0, |list| {
                list.iter()
                    .filter(|c| c.answered.is_some())
                    .filter(|c| !delivered(receiver, c))
                    .count()
            });
            if waiting == 0 && self.canary_task.is_finished() {
                // A little longer, for deliveries that come twice.
                tokio::time::sleep(Duration::from_secs(3)).await;
                break;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        stop.store(true, Ordering::Relaxed);
        let _ = tokio::time::timeout(Duration::from_secs(5), self.canary_task).await;
        let watch = self.watch_task.await.unwrap_or_default();
        let sent = self.sent.lock().map(|l| l.clone()).unwrap_or_default();
        (self.tallies, sent, watch)
    }
}

/// Whether the receiver accepted the canary's FAILURE.
fn delivered(receiver: &Receiver, c: &Canary) -> bool {
    receiver
        .canary(&c.job)
        .iter()
        .any(|r| r.accepted && r.alert_type == "FAILURE")
}

/// Each canary judged by what the server stored and the receiver got.
async fn judge_canaries(
    s: &Settings,
    admin: &reqwest::Client,
    base: &str,
    canaries: &[Canary],
    receiver: &Receiver,
) -> Vec<CanaryResult> {
    let mut results = Vec::new();
    for c in canaries {
        let alerts = api::failure_alerts(admin, base, &c.job)
            .await
            .map_err(|e| e.to_string());
        results.push(report::judge(
            c,
            alerts,
            &receiver.canary(&c.job),
            s.max_latency,
        ));
    }
    results.sort_by_key(|r| r.n);
    results
}

/// What the run came to, for the report.
struct Outcome<'a> {
    results: Vec<CanaryResult>,
    tallies: &'a Tallies,
    done: Vec<chaos::Done>,
    watch: Watch,
    receiver: &'a Receiver,
    server: &'a ServerProcess,
    log_file: &'a Path,
    wall: Instant,
}

impl Outcome<'_> {
    fn report(self, s: &Settings) -> Report {
        let results = self.results;
        let tallies = self.tallies;
        let mut latencies: Vec<f64> = results.iter().filter_map(|r| r.latency_ms).collect();
        latencies.sort_by(f64::total_cmp);
        let passed_n = results.iter().filter(|r| r.passed()).count();
        let chaos_ok = self.done.iter().all(|d| d.ok || d.action == "pg-cut");
        Report {
            backend: s.backend.to_owned(),
            seed: s.seed,
            minutes: s.minutes,
            connections: s.connections,
            rate: s.rate,
            skipped: Kind::ALL
                .iter()
                .filter(|k| !s.kinds.contains(k))
                .map(|k| k.name())
                .collect(),
            wall_seconds: self.wall.elapsed().as_secs_f64(),
            requests: report::rows(tallies),
            events_inserted: tallies.inserted.load(Ordering::Relaxed),
            events_duplicate: tallies.duplicates.load(Ordering::Relaxed),
            events_dropped_in_batch: tallies.dropped_in_batch.load(Ordering::Relaxed),
            warnings: tallies.warnings.load(Ordering::Relaxed),
            unexpected_samples: tallies
                .samples
                .lock()
                .map(|s| s.clone())
                .unwrap_or_default(),
            canaries_passed: passed_n,
            latency_p50_ms: report::percentile(&latencies, 0.50),
            latency_p99_ms: report::percentile(&latencies, 0.99),
            latency_max_ms: latencies.last().copied(),
            passed: !results.is_empty()
                && passed_n == results.len()
                && chaos_ok
                && self.watch.over_memory.is_none(),
            canaries: results,
            receiver: self.receiver.totals(),
            chaos: self.done,
            watch: self.watch,
            server_log: self.server.scan(),
            server_log_file: self.log_file.display().to_string(),
        }
    }
}
