//! `make bench` (or `cargo run --release -p telltale-bench`): starts the
//! release server on a temporary SQLite file and measures it over HTTP with
//! many concurrent connections. Prints a table and writes JSON.
//!
//! The load generator runs on the same machine as the server, so on a small
//! machine the figures are what the server achieves while sharing its cores
//! with its clients.

mod delivery;
mod load;
mod server;

/// Every failure ends the benchmark with its message.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use serde::Serialize;

use load::{Figures, post_batches, post_singles, read_latency, seed};

#[derive(Parser)]
#[command(about = "Benchmark a release telltale server")]
struct Args {
    /// The server binary (built with `cargo leptos build --release`).
    #[arg(long, default_value = "target/release/telltale")]
    binary: PathBuf,
    /// Where to write the JSON results.
    #[arg(long, default_value = "target/bench-results.json")]
    out: PathBuf,
    /// Seconds each throughput measurement runs.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Events to seed before measuring reads.
    #[arg(long, default_value_t = 1_000_000)]
    events: usize,
    /// Runs those events belong to.
    #[arg(long, default_value_t = 50_000)]
    runs: usize,
}

#[derive(Serialize)]
struct Report {
    single_event_posts: Vec<Figures>,
    batch_ingest: Vec<Figures>,
    /// Failures posted with no delivery target, then with a webhook that
    /// never answers.
    delivery_stuck: Vec<Figures>,
    seeding: Figures,
    reads: Vec<Figures>,
    peak_rss_mib: f64,
    stored_events: u64,
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args = Args::parse();
    let run_for = Duration::from_secs(args.seconds);
    let server = server::Server::start(&args.binary).await?;
    let base = server.base.clone();

    let mut single_event_posts = Vec::new();
    for conns in [1, 16, 64] {
        single_event_posts.push(post_singles(&base, conns, run_for).await?);
    }
    let mut batch_ingest = Vec::new();
    for size in [100, 1000] {
        batch_ingest.push(post_batches(&base, size, 4, run_for).await?);
    }
    let delivery_stuck = delivery::ingest_with_hanging_webhook(&base, run_for).await?;
    let seeding = seed(&base, args.events, args.runs).await?;
    let stored_events = server.count_events().await?;
    let reads = vec![
        read_latency(
            &base,
            "GET /v1/runs (first page)",
            |_| "/v1/runs".to_owned(),
            300,
        )
        .await?,
        read_latency(
            &base,
            "GET /v1/runs/{id} (20-event timeline)",
            |i| format!("/v1/runs/seed-run-{}", (i * 7919) % args.runs),
            300,
        )
        .await?,
        read_latency(
            &base,
            "GET /v1/events (first page)",
            |_| "/v1/events".to_owned(),
            300,
        )
        .await?,
    ];
    let peak_rss_mib = server.peak_rss_mib()?;
    server.stop().await;

    let report = Report {
        single_event_posts,
        batch_ingest,
        delivery_stuck,
        seeding,
        reads,
        peak_rss_mib,
        stored_events,
    };
    print_table(&report);
    if let Some(dir) = args.out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&args.out, serde_json::to_string_pretty(&report)?)?;
    println!("\nwrote {}", args.out.display());
    Ok(())
}

fn print_table(r: &Report) {
    println!(
        "\n{:<44} {:>6} {:>14} {:>10} {:>10}",
        "measurement", "conns", "events/s", "p50 ms", "p99 ms"
    );
    for f in r
        .single_event_posts
        .iter()
        .chain(&r.batch_ingest)
        .chain(&r.delivery_stuck)
        .chain([&r.seeding])
        .chain(&r.reads)
    {
        println!(
            "{:<44} {:>6} {:>14.0} {:>10.2} {:>10.2}",
            f.name, f.connections, f.events_per_second, f.p50_ms, f.p99_ms
        );
    }
    println!("events stored at the end: {}", r.stored_events);
    println!("server peak RSS: {:.1} MiB", r.peak_rss_mib);
}
