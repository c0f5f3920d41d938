//! `make bench-instances`: ingest on SQLite (one instance), on PostgreSQL
//! (one instance) and on PostgreSQL (two instances sharing the load), then,
//! on the two instances, how long an event posted to one takes to reach a
//! live stream on the other and how long the survivor takes to lead after
//! the leader is killed, and the memory of an instance exporting every
//! event stored on PostgreSQL as NDJSON. Prints a table and writes JSON.
//!
//! Needs the release binary and a PostgreSQL it may create databases on
//! (`--database-url`, default the local `postgres` user).

#[path = "../export.rs"]
mod export;
#[allow(dead_code)]
#[path = "../load.rs"]
mod load;
#[allow(dead_code)]
#[path = "../server.rs"]
mod server;

pub type Error = Box<dyn std::error::Error + Send + Sync>;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Parser;
use sea_orm::{ConnectionTrait, Database};
use serde::Serialize;
use serde_json::json;

use load::{Figures, post_batches_across, post_singles_across};
use server::Server;

#[derive(Parser)]
#[command(about = "Benchmark telltale on SQLite and on one or two PostgreSQL instances")]
struct Args {
    /// The server binary (built with `cargo leptos build --release`).
    #[arg(long, default_value = "target/release/telltale")]
    binary: PathBuf,
    /// A PostgreSQL URL whose user may create databases; each section gets
    /// a new one.
    #[arg(
        long,
        default_value = "postgres://postgres:postgres@127.0.0.1:5432/postgres"
    )]
    database_url: String,
    #[arg(long, default_value = "target/bench-instances.json")]
    out: PathBuf,
    /// Seconds each throughput measurement runs.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// MONITOR_LEADER_RETRY_SECONDS of the two instances.
    #[arg(long, default_value_t = 5)]
    leader_retry_seconds: u64,
    /// Events posted one at a time to measure cross-instance latency.
    #[arg(long, default_value_t = 200)]
    live_samples: usize,
    /// Times the leader is killed.
    #[arg(long, default_value_t = 3)]
    failovers: usize,
}

#[derive(Serialize)]
struct Report {
    ingest: Vec<Figures>,
    live_latency: Figures,
    /// Every event of the two-instance section, exported from one of them.
    export_on_postgres: export::ExportFigures,
    failover_seconds: Vec<f64>,
    leader_retry_seconds: u64,
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args = Args::parse();
    let run_for = Duration::from_secs(args.seconds);
    let conns = args.connections;
    let mut ingest = measure_single_instances(&args, run_for).await?;

    let url = fresh_database(&args.database_url).await?;
    let mut pair = [
        start_instance(&args, &url, "a").await?,
        start_instance(&args, &url, "b").await?,
    ];
    let mut bases = [pair[0].base.clone(), pair[1].base.clone()];
    ingest.extend(
        measure(
            "PostgreSQL, 2 instances",
            &[&bases[0], &bases[1]],
            conns,
            run_for,
        )
        .await?,
    );
    let live_latency = cross_instance_latency(&bases[0], &bases[1], args.live_samples).await?;
    let stored = count_events(&url).await?;
    let export_on_postgres = export::export_events(&pair[0], stored).await?;
    let failover_seconds = fail_over(&args, &url, &mut pair, &mut bases).await?;
    for s in pair {
        s.stop().await;
    }

    let report = Report {
        ingest,
        live_latency,
        export_on_postgres,
        failover_seconds,
        leader_retry_seconds: args.leader_retry_seconds,
    };
    print_table(&report);
    if let Some(dir) = args.out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&args.out, serde_json::to_string_pretty(&report)?)?;
    println!("\nwrote {}", args.out.display());
    Ok(())
}

/// Ingest on one instance: SQLite, then PostgreSQL.
async fn measure_single_instances(args: &Args, run_for: Duration) -> Result<Vec<Figures>, Error> {
    let conns = args.connections;
    let mut ingest = Vec::new();
    let sqlite = Server::start(&args.binary).await?;
    ingest.extend(measure("SQLite, 1 instance", &[&sqlite.base], conns, run_for).await?);
    sqlite.stop().await;

    let url = fresh_database(&args.database_url).await?;
    let pg = Server::start_with(&args.binary, &[("MONITOR_DATABASE_URL", &url)]).await?;
    ingest.extend(measure("PostgreSQL, 1 instance", &[&pg.base], conns, run_for).await?);
    pg.stop().await;
    Ok(ingest)
}

/// One of several instances on the database at `url`.
async fn start_instance(args: &Args, url: &str, name: &str) -> Result<Server, Error> {
    let retry = args.leader_retry_seconds.to_string();
    Server::start_with(
        &args.binary,
        &[
            ("MONITOR_DATABASE_URL", url),
            ("MONITOR_INSTANCE_NAME", name),
            ("MONITOR_LEADER_RETRY_SECONDS", retry.as_str()),
        ],
    )
    .await
}

/// Kills the leader `--failovers` times, measuring how long the other takes
/// to lead; each killed one comes back as a follower, on a new port.
async fn fail_over(
    args: &Args,
    url: &str,
    pair: &mut [Server; 2],
    bases: &mut [String; 2],
) -> Result<Vec<f64>, Error> {
    let mut failover_seconds = Vec::new();
    for _ in 0..args.failovers {
        let leader = wait_for_leader(bases, Duration::from_secs(30)).await?;
        let other = 1 - leader;
        let killed = Instant::now();
        pair[leader].kill();
        loop {
            if leads(&bases[other]).await == Some(true) {
                break;
            }
            if killed.elapsed() > Duration::from_secs(60) {
                return Err("no instance took over within 60 s".into());
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        failover_seconds.push(killed.elapsed().as_secs_f64());
        pair[leader] = start_instance(args, url, if leader == 0 { "a" } else { "b" }).await?;
        bases[leader] = pair[leader].base.clone();
    }
    Ok(failover_seconds)
}

async fn measure(
    setup: &str,
    bases: &[&str],
    conns: usize,
    run_for: Duration,
) -> Result<Vec<Figures>, Error> {
    let mut out = Vec::new();
    let mut single = post_singles_across(bases, conns, run_for).await?;
    single.name = format!("{setup}: {}", single.name);
    out.push(single);
    let mut batch = post_batches_across(bases, 100, 1, conns, run_for).await?;
    batch.name = format!("{setup}: {}", batch.name);
    out.push(batch);
    Ok(out)
}

/// Posts one event at a time to `a` and times its arrival on `b`'s stream.
async fn cross_instance_latency(a: &str, b: &str, samples: usize) -> Result<Figures, Error> {
    let client = reqwest::Client::new();
    let mut stream = client.get(format!("{b}/v1/stream")).send().await?;
    let mut lat = Vec::with_capacity(samples);
    let started = Instant::now();
    for i in 0..samples {
        let t = Instant::now();
        let body = json!({
            "sourceType": "worker", "level": "info", "eventType": "progress_update",
            "message": format!("live {i}"), "jobName": "live-bench", "runId": "live-run",
        });
        let resp = client
            .post(format!("{a}/v1/events"))
            .json(&body)
            .send()
            .await?;
        if !resp.status().is_success() {
            return Err(format!("{} from {a}", resp.status()).into());
        }
        let mut seen = String::new();
        while !seen.contains("event: events") {
            let chunk = tokio::time::timeout(Duration::from_secs(10), stream.chunk())
                .await
                .map_err(|_| "no live update on b within 10 s")??
                .ok_or("b's stream ended")?;
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
        lat.push(t.elapsed());
        // Let the rest of this event's changes arrive before the next.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut f = load::figures(
        "live update a → b (POST to SSE)".into(),
        1,
        samples,
        started.elapsed(),
        lat,
    );
    f.events_per_second = 0.0;
    Ok(f)
}

async fn leads(base: &str) -> Option<bool> {
    let health: serde_json::Value = reqwest::get(format!("{base}/v1/health"))
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    health["leader"].as_bool()
}

async fn wait_for_leader(bases: &[String; 2], within: Duration) -> Result<usize, Error> {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        for (i, base) in bases.iter().enumerate() {
            if leads(base).await == Some(true) {
                return Ok(i);
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Err("no instance leads".into())
}

async fn count_events(url: &str) -> Result<u64, Error> {
    let db = Database::connect(url).await?;
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT count(*) FROM events",
        ))
        .await?
        .ok_or("no count")?;
    let n: i64 = row.try_get_by_index(0)?;
    db.close().await?;
    Ok(u64::try_from(n)?)
}

/// A new database on the server of `admin_url`.
async fn fresh_database(admin_url: &str) -> Result<String, Error> {
    let admin = Database::connect(admin_url).await?;
    let name = format!(
        "telltale_bench_{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_millis()
    );
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await?;
    admin.close().await?;
    let (base, _) = admin_url
        .rsplit_once('/')
        .ok_or("--database-url has no database path")?;
    Ok(format!("{base}/{name}"))
}

fn print_table(r: &Report) {
    println!(
        "\n{:<58} {:>6} {:>12} {:>9} {:>9}",
        "measurement", "conns", "events/s", "p50 ms", "p99 ms"
    );
    for f in r.ingest.iter().chain([&r.live_latency]) {
        println!(
            "{:<58} {:>6} {:>12.0} {:>9.2} {:>9.2}",
            f.name, f.connections, f.events_per_second, f.p50_ms, f.p99_ms
        );
    }
    export::print(&r.export_on_postgres);
    let shown: Vec<String> = r
        .failover_seconds
        .iter()
        .map(|s| format!("{s:.2} s"))
        .collect();
    println!(
        "leader failover after SIGKILL (retry every {} s): {}",
        r.leader_retry_seconds,
        shown.join(", ")
    );
}
