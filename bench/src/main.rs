//! `make bench` (or `cargo run --release -p telltale-bench`): starts the
//! release server on a temporary SQLite file and measures it over HTTP with
//! many concurrent connections. Prints a table and writes JSON.
//!
//! The load generator runs on the same machine as the server, so on a small
//! machine the figures are what the server achieves while sharing its cores
//! with its clients.

mod delivery;
mod export;
mod load;
mod pings;
mod search;
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
    /// Jobs those runs belong to (run r to job r % jobs; at most one job per run).
    #[arg(long, default_value_t = 10_000)]
    jobs: usize,
    /// Requests per dashboard page measured.
    #[arg(long, default_value_t = 100)]
    page_requests: usize,
    /// Only seed `--events` and measure their NDJSON export (memory and
    /// rate), skipping every other measurement.
    #[arg(long)]
    export_only: bool,
    /// Skip the ingest throughput measurements: seed, then measure reads
    /// and pages (for work on the read side).
    #[arg(long)]
    pages_only: bool,
    /// Only the ingest measurements (single events, batches, delivery
    /// stuck) and the server's peak memory: no seeding, reads or pages.
    #[arg(long)]
    ingest_only: bool,
    /// After measuring, keep the seeded server running (its address is
    /// printed) until Ctrl-C, to profile or query it by hand.
    #[arg(long)]
    hold: bool,
}

#[derive(Serialize)]
struct Report {
    single_event_posts: Vec<Figures>,
    /// `GET /ping/{uuid}`, one event each.
    pings: Vec<Figures>,
    batch_ingest: Vec<Figures>,
    /// Failures posted with no delivery target, then with a webhook that
    /// answers, then with one that never answers.
    ingest_while_delivering: Vec<Figures>,
    seeding: Figures,
    reads: Vec<Figures>,
    /// Server-side rendered dashboard pages (full HTML, auth off).
    pages: Vec<Figures>,
    /// Full-text search: the index catching up after the seeding, then
    /// search latencies.
    search: search::SearchFigures,
    /// Every stored event exported as NDJSON, with the server's memory.
    export: export::ExportFigures,
    peak_rss_mib: f64,
    stored_events: u64,
    stored_jobs: u64,
}

/// `--export-only`: seeding and the export, nothing else.
#[derive(Serialize)]
struct ExportReport {
    seeding: Figures,
    export: export::ExportFigures,
}

async fn export_only(args: Args) -> Result<(), Error> {
    let server = server::Server::start(&args.binary).await?;
    let seeding = seed(&server.base, args.events, args.runs, args.jobs).await?;
    let stored = server.count_events().await?;
    let export = export::export_events(&server, stored).await?;
    server.stop().await;
    println!(
        "{}: {:.0} events/s",
        seeding.name, seeding.events_per_second
    );
    export::print(&export);
    write_json(&args.out, &ExportReport { seeding, export })
}

fn write_json(out: &std::path::Path, report: &impl Serialize) -> Result<(), Error> {
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(out, serde_json::to_string_pretty(report)?)?;
    println!("\nwrote {}", out.display());
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args = Args::parse();
    if args.export_only {
        return export_only(args).await;
    }
    let run_for = Duration::from_secs(args.seconds);
    let server = server::Server::start(&args.binary).await?;
    let base = server.base.clone();

    let ingest = if args.pages_only {
        Ingest::default()
    } else {
        measure_ingest(&base, run_for).await?
    };
    if args.ingest_only {
        println!(
            "{}",
            serde_json::to_string_pretty(&ingest.single_event_posts)?
        );
        println!("{}", serde_json::to_string_pretty(&ingest.pings)?);
        println!("{}", serde_json::to_string_pretty(&ingest.batch_ingest)?);
        println!(
            "{}",
            serde_json::to_string_pretty(&ingest.ingest_while_delivering)?
        );
        println!("server peak RSS: {:.1} MiB", server.peak_rss_mib()?);
        server.stop().await;
        return Ok(());
    }
    let seeding = seed(&base, args.events, args.runs, args.jobs).await?;
    let search = search::measure(&base, args.runs, args.page_requests).await?;
    let stored_events = server.count_events().await?;
    let stored_jobs = server.count_jobs().await?;
    let reads = measure_reads(&base, args.runs).await?;
    let pages = measure_pages(&base, stored_jobs, args.page_requests).await?;
    // Last: it resets the server's high-water mark.
    let peak_rss_mib = server.peak_rss_mib()?;
    let export = export::export_events(&server, stored_events).await?;
    if args.hold {
        println!(
            "holding the server at {base} (pid {}): Ctrl-C ends it",
            server.pid()
        );
        tokio::signal::ctrl_c().await?;
    }
    server.stop().await;

    let report = Report {
        single_event_posts: ingest.single_event_posts,
        pings: ingest.pings,
        batch_ingest: ingest.batch_ingest,
        ingest_while_delivering: ingest.ingest_while_delivering,
        seeding,
        reads,
        pages,
        search,
        export,
        peak_rss_mib,
        stored_events,
        stored_jobs,
    };
    print_table(&report);
    write_json(&args.out, &report)
}

/// The ingest measurements.
#[derive(Default)]
struct Ingest {
    single_event_posts: Vec<Figures>,
    pings: Vec<Figures>,
    batch_ingest: Vec<Figures>,
    ingest_while_delivering: Vec<Figures>,
}

async fn measure_ingest(base: &str, run_for: Duration) -> Result<Ingest, Error> {
    let mut single_event_posts = Vec::new();
    for conns in [1, 16, 64] {
        single_event_posts.push(post_singles(base, conns, run_for).await?);
    }
    let pings = pings::get_pings(base, run_for).await?;
    // A worker's batch holds its runs' events together (20 a run, as the
    // seeding's runs); the last row is the worst case, every event of a
    // batch a different run.
    let mut batch_ingest = Vec::new();
    for (size, per_run) in [(100, 20), (1000, 20), (1000, 1)] {
        batch_ingest.push(post_batches(base, size, per_run, 4, run_for).await?);
    }
    Ok(Ingest {
        single_event_posts,
        pings,
        batch_ingest,
        ingest_while_delivering: delivery::ingest_while_delivering(base, run_for).await?,
    })
}

/// The API's read latencies on the seeded data.
async fn measure_reads(base: &str, runs: usize) -> Result<Vec<Figures>, Error> {
    Ok(vec![
        read_latency(
            base,
            "GET /v1/runs (first page)",
            |_| "/v1/runs".to_owned(),
            "seed-run-",
            300,
        )
        .await?,
        read_latency(
            base,
            "GET /v1/runs/{id} (20-event timeline)",
            |i| format!("/v1/runs/seed-run-{}", (i * 7919) % runs),
            "seed-run-",
            300,
        )
        .await?,
        read_latency(
            base,
            "GET /v1/events (first page)",
            |_| "/v1/events".to_owned(),
            "seed-run-",
            300,
        )
        .await?,
    ])
}

/// The dashboard as a browser's first request gets it: the whole
/// server-rendered HTML, data included.
async fn measure_pages(
    base: &str,
    stored_jobs: u64,
    requests: usize,
) -> Result<Vec<Figures>, Error> {
    let mut pages = Vec::new();
    for (path, expect) in [
        ("/", "seed-run-"),
        // Failing jobs sort first, and the sections before seeding made
        // some: any job row will do.
        ("/jobs", "data-job=\""),
        ("/runs", "seed-run-"),
        // The other list pages, each paged on the server.
        ("/events", "seed-run-"),
        ("/alerts", "FAILURE"),
        ("/workers", "farm-"),
    ] {
        let name = format!("GET {path} (HTML, {stored_jobs} jobs)");
        pages.push(read_latency(base, &name, |_| path.to_owned(), expect, requests).await?);
    }
    Ok(pages)
}

fn print_table(r: &Report) {
    println!(
        "\n{:<44} {:>6} {:>14} {:>10} {:>10}",
        "measurement", "conns", "events/s", "p50 ms", "p99 ms"
    );
    for f in r
        .single_event_posts
        .iter()
        .chain(&r.pings)
        .chain(&r.batch_ingest)
        .chain(&r.ingest_while_delivering)
        .chain([&r.seeding])
        .chain(&r.reads)
        .chain(&r.pages)
    {
        println!(
            "{:<44} {:>6} {:>14.0} {:>10.2} {:>10.2}",
            f.name, f.connections, f.events_per_second, f.p50_ms, f.p99_ms
        );
    }
    for f in &r.pages {
        println!(
            "{:<44} {:>10} bytes of HTML",
            f.name,
            f.response_bytes.unwrap_or(0)
        );
    }
    search::print(&r.search);
    println!("events stored at the end: {}", r.stored_events);
    println!("jobs stored at the end: {}", r.stored_jobs);
    println!("server peak RSS: {:.1} MiB", r.peak_rss_mib);
    export::print(&r.export);
}
