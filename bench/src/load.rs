//! Load generators: each connection is a task sending requests back to back.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::json;

use crate::Error;

#[derive(Debug, Serialize)]
pub struct Figures {
    pub name: String,
    pub connections: usize,
    pub requests: usize,
    pub events_per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Size of the last response body, for the read measurements.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_bytes: Option<usize>,
}

static NEXT_ID: AtomicU64 = AtomicU64::new(0);

/// Appends one worker event of `run` to `buf` as JSON; `job` is the job's
/// name, or `None` for one of 50 names picked by the event's number (the
/// throughput sections). Written straight to bytes: building a
/// `serde_json::Value` per event took the load generator a tenth of a core
/// at 100,000 events/s, on the cores the server is measured on.
fn event(buf: &mut Vec<u8>, run: &str, job: Option<&str>, event_type: &str, progress: u64) {
    let n = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let text = |buf: &mut Vec<u8>, s: &str| {
        // A String serializes infallibly into a Vec.
        let _ = serde_json::to_writer(&mut *buf, s);
    };
    // `write!` into a Vec cannot fail.
    let _ = write!(
        buf,
        r#"{{"eventId":"bench-{n}","sourceType":"worker","level":"info","eventType":"#
    );
    text(buf, event_type);
    buf.extend_from_slice(br#","message":"#);
    text(buf, &format!("{event_type} {run}"));
    buf.extend_from_slice(br#","jobName":"#);
    match job {
        Some(job) => text(buf, job),
        None => text(buf, &format!("job-{}", n % 50)),
    }
    buf.extend_from_slice(br#","runId":"#);
    text(buf, run);
    let _ = write!(
        buf,
        r#","workerId":"farm-{:02}","metadata":{{"progress":{progress}}}}}"#,
        n % 32
    );
}

/// Events gathered into JSON arrays of `size`.
struct Batches {
    size: usize,
    done: Vec<Vec<u8>>,
    open: Vec<u8>,
    in_open: usize,
    events: usize,
}

impl Batches {
    fn new(size: usize) -> Batches {
        Batches {
            size,
            done: Vec::new(),
            open: Vec::new(),
            in_open: 0,
            events: 0,
        }
    }

    /// Adds the event `write` appends.
    fn push(&mut self, write: impl FnOnce(&mut Vec<u8>)) {
        self.open.push(if self.in_open == 0 { b'[' } else { b',' });
        write(&mut self.open);
        self.in_open += 1;
        self.events += 1;
        if self.in_open == self.size {
            self.open.push(b']');
            self.done.push(std::mem::take(&mut self.open));
            self.in_open = 0;
        }
    }

    fn finish(mut self) -> Vec<Vec<u8>> {
        if self.in_open > 0 {
            self.open.push(b']');
            self.done.push(self.open);
        }
        self.done
    }
}

fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1].as_secs_f64() * 1000.0
}

pub fn figures(
    name: String,
    connections: usize,
    events: usize,
    elapsed: Duration,
    mut lat: Vec<Duration>,
) -> Figures {
    lat.sort();
    Figures {
        name,
        connections,
        requests: lat.len(),
        events_per_second: events as f64 / elapsed.as_secs_f64(),
        p50_ms: percentile_ms(&lat, 50.0),
        p99_ms: percentile_ms(&lat, 99.0),
        response_bytes: None,
    }
}

/// `connections` tasks, each posting `body()` to `path` until `run_for`
/// ends; connection `c` talks to `bases[c % bases.len()]`.
async fn hammer(
    bases: &[&str],
    path: &str,
    connections: usize,
    run_for: Duration,
    events_per_request: usize,
    body: Arc<dyn Fn(usize) -> Vec<u8> + Send + Sync>,
) -> Result<(usize, Duration, Vec<Duration>), Error> {
    let start = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..connections {
        let client = reqwest::Client::new();
        let url = format!("{}{path}", bases[c % bases.len()]);
        let body = body.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut i = 0;
            while start.elapsed() < run_for {
                let payload = body(c * 1_000_000 + i);
                let t = Instant::now();
                let resp = client
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(payload)
                    .send()
                    .await?;
                if !resp.status().is_success() {
                    return Err(format!("{} from {url}", resp.status()).into());
                }
                resp.bytes().await?;
                lat.push(t.elapsed());
                i += 1;
            }
            Ok::<_, Error>(lat)
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await??);
    }
    let elapsed = start.elapsed();
    Ok((all.len() * events_per_request, elapsed, all))
}

pub async fn post_singles(
    base: &str,
    connections: usize,
    run_for: Duration,
) -> Result<Figures, Error> {
    post_singles_across(&[base], connections, run_for).await
}

/// Single-event posts spread over several instances.
pub async fn post_singles_across(
    bases: &[&str],
    connections: usize,
    run_for: Duration,
) -> Result<Figures, Error> {
    let body = Arc::new(|i: usize| {
        let mut buf = Vec::with_capacity(256);
        let run = format!("single-{}", i % 5000);
        event(&mut buf, &run, None, "progress_update", (i % 100) as u64);
        buf
    });
    let (events, elapsed, lat) = hammer(bases, "/v1/events", connections, run_for, 1, body).await?;
    Ok(figures(
        "POST /v1/events (1 event)".into(),
        connections,
        events,
        elapsed,
        lat,
    ))
}

pub async fn post_batches(
    base: &str,
    size: usize,
    per_run: usize,
    connections: usize,
    run_for: Duration,
) -> Result<Figures, Error> {
    post_batches_across(&[base], size, per_run, connections, run_for).await
}

/// Batches spread over several instances: each batch holds its runs'
/// events together, `per_run` to a run, as a worker that buffers its
/// events sends them (`per_run` 1: every event of a batch a different run,
/// the most derived state a batch can change).
pub async fn post_batches_across(
    bases: &[&str],
    size: usize,
    per_run: usize,
    connections: usize,
    run_for: Duration,
) -> Result<Figures, Error> {
    let per_run = per_run.max(1);
    let body = Arc::new(move |i: usize| {
        let mut batch = Batches::new(size);
        for k in 0..size {
            let r = ((i * size + k) / per_run) % 20_000;
            let (run, job) = (format!("batch-{r}"), format!("job-{}", r % 50));
            batch.push(|buf| event(buf, &run, Some(&job), "progress_update", k as u64 % 100));
        }
        batch.finish().pop().unwrap_or_default()
    });
    let (events, elapsed, lat) =
        hammer(bases, "/v1/events/batch", connections, run_for, size, body).await?;
    let shape = if per_run == 1 {
        "each event its own run".to_owned()
    } else {
        format!("{per_run} events a run")
    };
    Ok(figures(
        format!("POST /v1/events/batch ({size} events, {shape})"),
        connections,
        events,
        elapsed,
        lat,
    ))
}

/// `runs` runs of `events / runs` events each (created, engine, started,
/// progress…, then completed or failed), sent as 1,000-event batches. Run
/// `r` belongs to job `seed-job-{r % jobs}`, so `min(jobs, runs)` jobs
/// exist afterwards and every tenth job has only failed runs.
pub async fn seed(base: &str, events: usize, runs: usize, jobs: usize) -> Result<Figures, Error> {
    let per_run = (events / runs.max(1)).max(4);
    let mut batches = Batches::new(1000);
    for r in 0..runs {
        let run = format!("seed-run-{r}");
        let job = format!("seed-job-{}", r % jobs.max(1));
        let mut push = |event_type: &str, progress: u64| {
            batches.push(|buf| event(buf, &run, Some(&job), event_type, progress));
        };
        push("job_created", 0);
        push("engine_selected", 0);
        push("execution_started", 0);
        for p in 0..per_run - 4 {
            push("progress_update", (p * 100 / per_run) as u64);
        }
        push(
            if r % 10 == 0 {
                "execution_failed"
            } else {
                "execution_completed"
            },
            100,
        );
    }
    let total = batches.events;
    let batches = batches.finish();
    let batches = Arc::new(batches);
    let next = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    let connections = 4;
    for _ in 0..connections {
        let (batches, next, client, url) = (
            batches.clone(),
            next.clone(),
            reqwest::Client::new(),
            format!("{base}/v1/events/batch"),
        );
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                let Some(body) = batches.get(i) else { break };
                let t = Instant::now();
                let resp = client
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await?;
                if !resp.status().is_success() {
                    return Err(format!("{} while seeding", resp.status()).into());
                }
                resp.bytes().await?;
                lat.push(t.elapsed());
            }
            Ok::<_, Error>(lat)
        }));
    }
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await??);
    }
    Ok(figures(
        format!("seeding {total} events / {runs} runs (1,000/batch)"),
        connections,
        total,
        start.elapsed(),
        lat,
    ))
}

/// Sequential GETs, one connection: the latency a page load sees (the whole
/// body, not the first byte). Every response must succeed and contain
/// `expect`, so a redirect to the login page or an empty list cannot pass
/// for a fast answer.
pub async fn read_latency(
    base: &str,
    name: &str,
    path: impl Fn(usize) -> String,
    expect: &str,
    requests: usize,
) -> Result<Figures, Error> {
    let client = reqwest::Client::new();
    let mut lat = Vec::with_capacity(requests);
    let mut size = 0;
    let start = Instant::now();
    for i in 0..requests {
        let t = Instant::now();
        let resp = client.get(format!("{base}{}", path(i))).send().await?;
        if !resp.status().is_success() {
            return Err(format!("{} from {}", resp.status(), path(i)).into());
        }
        let body = resp.bytes().await?;
        lat.push(t.elapsed());
        if !String::from_utf8_lossy(&body).contains(expect) {
            return Err(format!("{} does not contain {expect:?}", path(i)).into());
        }
        size = body.len();
    }
    let mut f = figures(name.to_owned(), 1, 0, start.elapsed(), lat);
    f.events_per_second = 0.0;
    f.response_bytes = Some(size);
    Ok(f)
}

/// `job.failed` events, each of a new run of one of `jobs` jobs named
/// `<prefix>-<n>`: every job's first failure opens a FAILURE alert, and
/// with a webhook configured, queues a delivery.
pub async fn post_failures(
    base: &str,
    name: &str,
    prefix: &'static str,
    jobs: usize,
    connections: usize,
    run_for: Duration,
) -> Result<Figures, Error> {
    let body = Arc::new(move |i: usize| {
        let n = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let body = json!({
            "eventId": format!("bench-fail-{n}"),
            "sourceType": "worker",
            "level": "error",
            "eventType": "job.failed",
            "message": "render failed",
            "jobName": format!("{prefix}-{}", i % jobs),
            "runId": format!("{prefix}-run-{n}"),
            "workerId": format!("farm-{:02}", n % 32),
            "metadata": {"failure_reason": "exit status 1"},
        });
        serde_json::to_vec(&body).unwrap_or_default()
    });
    let (events, elapsed, lat) =
        hammer(&[base], "/v1/events", connections, run_for, 1, body).await?;
    Ok(figures(name.into(), connections, events, elapsed, lat))
}
