//! `make bench-writer`: the SQLite ingest writer alone, without HTTP.
//!
//! The server's batch ingest is bound by one thread, the SQLite writer;
//! through HTTP on a 2-core machine its rate varies ±15 % from run to run,
//! which hides any change to the writer smaller than that. Here the same
//! events (the shapes of `telltale-bench`) go straight to `Store::ingest`
//! from a few concurrent callers, as request handlers hand them over, on a
//! new temporary file per repetition; the table shows each repetition and
//! the median.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use clap::Parser;
use serde::Serialize;
use serde_json::json;
use telltale_model::{Level, NewEvent, SourceType};
use telltale_store::{DatabaseTarget, Store};

type Error = Box<dyn std::error::Error + Send + Sync>;

#[derive(Parser)]
#[command(about = "Benchmark the SQLite ingest writer without HTTP")]
struct Args {
    /// Events each batch phase stores.
    #[arg(long, default_value_t = 400_000)]
    events: usize,
    /// Seconds the single-event phase runs.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Repetitions of each phase, each on a new file.
    #[arg(long, default_value_t = 3)]
    repeat: usize,
    #[arg(long, default_value = "target/bench-writer.json")]
    out: std::path::PathBuf,
}

#[derive(Serialize)]
struct Phase {
    name: String,
    events_per_second: Vec<f64>,
    median: f64,
}

/// One event as `telltale-bench` sends it: event `n` of run `run`.
fn event(n: usize, run: usize, job: usize, progress: usize) -> NewEvent {
    let mut e = NewEvent::new(
        SourceType::Worker,
        Level::Info,
        "progress_update",
        format!("progress_update batch-{run}"),
        Utc::now(),
    );
    e.event_id = Some(format!("writer-{n}"));
    e.job_name = Some(format!("job-{job}"));
    e.run_id = Some(format!("batch-{run}"));
    e.worker_id = Some(format!("farm-{:02}", n % 32));
    e.metadata = json!({ "progress": progress });
    e
}

/// Batches of `size` events, `per_run` consecutive events to a run.
fn batches(total: usize, size: usize, per_run: usize) -> Vec<Vec<NewEvent>> {
    (0..total)
        .map(|n| {
            let run = (n / per_run) % 20_000;
            event(n, run, run % 50, n % 100)
        })
        .collect::<Vec<_>>()
        .chunks(size)
        .map(<[NewEvent]>::to_vec)
        .collect()
}

async fn fresh_store() -> Result<(Store, tempfile::TempDir), Error> {
    let dir = tempfile::tempdir()?;
    let target = DatabaseTarget::Sqlite {
        path: dir.path().join("writer.sqlite"),
    };
    Ok((Store::connect(&target).await?, dir))
}

/// Stores every batch from `callers` concurrent tasks; events per second.
async fn batch_phase(batches: Arc<Vec<Vec<NewEvent>>>, callers: usize) -> Result<f64, Error> {
    let (store, _dir) = fresh_store().await?;
    let next = Arc::new(AtomicUsize::new(0));
    let total: usize = batches.iter().map(Vec::len).sum();
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..callers {
        let (store, batches, next) = (store.clone(), batches.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(batch) = batches.get(i) else {
                    return Ok::<_, Error>(());
                };
                store.ingest(batch, Utc::now()).await?;
            }
        }));
    }
    for t in tasks {
        t.await??;
    }
    let rate = total as f64 / start.elapsed().as_secs_f64();
    store.close().await?;
    Ok(rate)
}

/// 64 callers each storing one event at a time, as 64 connections posting
/// single events do; events per second.
async fn single_phase(run_for: Duration) -> Result<f64, Error> {
    let (store, _dir) = fresh_store().await?;
    let stored = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..64 {
        let (store, stored) = (store.clone(), stored.clone());
        tasks.push(tokio::spawn(async move {
            let mut i = 0;
            while start.elapsed() < run_for {
                let n = c * 10_000_000 + i;
                store
                    .ingest(&[event(n, n % 5000, n % 50, i % 100)], Utc::now())
                    .await?;
                stored.fetch_add(1, Ordering::Relaxed);
                i += 1;
            }
            Ok::<_, Error>(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let rate = stored.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64();
    store.close().await?;
    Ok(rate)
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.get(sorted.len() / 2).copied().unwrap_or(0.0)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args = Args::parse();
    let mut phases = Vec::new();
    for (name, size, per_run) in [
        ("batches of 1,000, 20 events a run", 1000, 20),
        ("batches of 1,000, each event its own run", 1000, 1),
    ] {
        let prepared = Arc::new(batches(args.events, size, per_run));
        let mut rates = Vec::new();
        for _ in 0..args.repeat {
            rates.push(batch_phase(prepared.clone(), 4).await?);
        }
        phases.push(Phase {
            name: format!("{name} (4 callers)"),
            median: median(&rates),
            events_per_second: rates,
        });
    }
    let mut rates = Vec::new();
    for _ in 0..args.repeat {
        rates.push(single_phase(Duration::from_secs(args.seconds)).await?);
    }
    phases.push(Phase {
        name: "single events (64 callers)".into(),
        median: median(&rates),
        events_per_second: rates,
    });

    println!("{:<55} {:>10}  each", "phase", "median/s");
    for p in &phases {
        let each: Vec<String> = p
            .events_per_second
            .iter()
            .map(|r| format!("{r:.0}"))
            .collect();
        println!("{:<55} {:>10.0}  {}", p.name, p.median, each.join(" "));
    }
    std::fs::write(&args.out, serde_json::to_vec_pretty(&phases)?)?;
    println!("wrote {}", args.out.display());
    Ok(())
}
