//! Load generators: each connection is a task sending requests back to back.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{Value, json};

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

/// One worker event of `run`; `job` is the job's name, or `None` for one of
/// 50 names picked by the event's number (the throughput sections).
fn event(run: &str, job: Option<&str>, event_type: &str, progress: u64) -> Value {
    let n = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let job = job.map_or_else(|| format!("job-{}", n % 50), str::to_owned);
    json!({
        "eventId": format!("bench-{n}"),
        "sourceType": "worker",
        "level": "info",
        "eventType": event_type,
        "message": format!("{event_type} {run}"),
        "jobName": job,
        "runId": run,
        "workerId": format!("farm-{:02}", n % 32),
        "metadata": {"progress": progress},
    })
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
    body: Arc<dyn Fn(usize) -> Value + Send + Sync>,
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
                let payload = serde_json::to_vec(&body(c * 1_000_000 + i))?;
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
        event(
            &format!("single-{}", i % 5000),
            None,
            "progress_update",
            (i % 100) as u64,
        )
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
    connections: usize,
    run_for: Duration,
) -> Result<Figures, Error> {
    post_batches_across(&[base], size, connections, run_for).await
}

/// Batches spread over several instances.
pub async fn post_batches_across(
    bases: &[&str],
    size: usize,
    connections: usize,
    run_for: Duration,
) -> Result<Figures, Error> {
    let body = Arc::new(move |i: usize| {
        Value::Array(
            (0..size)
                .map(|k| {
                    event(
                        &format!("batch-{}", (i * size + k) % 20_000),
                        None,
                        "progress_update",
                        k as u64 % 100,
                    )
                })
                .collect(),
        )
    });
    let (events, elapsed, lat) =
        hammer(bases, "/v1/events/batch", connections, run_for, size, body).await?;
    Ok(figures(
        format!("POST /v1/events/batch ({size} events)"),
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
    let mut all: Vec<Value> = Vec::with_capacity(events);
    for r in 0..runs {
        let run = format!("seed-run-{r}");
        let job = format!("seed-job-{}", r % jobs.max(1));
        let job = Some(job.as_str());
        all.push(event(&run, job, "job_created", 0));
        all.push(event(&run, job, "engine_selected", 0));
        all.push(event(&run, job, "execution_started", 0));
        for p in 0..per_run - 4 {
            all.push(event(
                &run,
                job,
                "progress_update",
                (p * 100 / per_run) as u64,
            ));
        }
        all.push(event(
            &run,
            job,
            if r % 10 == 0 {
                "execution_failed"
            } else {
                "execution_completed"
            },
            100,
        ));
    }
    let batches: Vec<Vec<u8>> = all
        .chunks(1000)
        .map(|c| serde_json::to_vec(c).unwrap_or_default())
        .collect();
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
        format!("seeding {} events / {runs} runs (1,000/batch)", all.len()),
        connections,
        all.len(),
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
        json!({
            "eventId": format!("bench-fail-{n}"),
            "sourceType": "worker",
            "level": "error",
            "eventType": "job.failed",
            "message": "render failed",
            "jobName": format!("{prefix}-{}", i % jobs),
            "runId": format!("{prefix}-run-{n}"),
            "workerId": format!("farm-{:02}", n % 32),
            "metadata": {"failure_reason": "exit status 1"},
        })
    });
    let (events, elapsed, lat) =
        hammer(&[base], "/v1/events", connections, run_for, 1, body).await?;
    Ok(figures(name.into(), connections, events, elapsed, lat))
}
