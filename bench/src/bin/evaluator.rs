//! `make bench-evaluator`: the check engine on 100,000 jobs, 10% of them
//! due, on a temporary SQLite file (or `--database-url postgres://…`).
//! Measures one full evaluation (start-up) and timer ticks that find the due
//! jobs by their stored deadline. Target: < 1 s per tick.

use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use clap::Parser;
use serde_json::json;
use telltale_core::engine::{Engine, ManualClock, TickReport};
use telltale_model::{Level, NewEvent, SourceType};
use telltale_store::{DatabaseTarget, Store};

type Error = Box<dyn std::error::Error + Send + Sync>;

#[derive(Parser)]
#[command(about = "Benchmark the check engine's evaluator")]
struct Args {
    #[arg(long, default_value_t = 100_000)]
    jobs: usize,
    /// One job in this many is due at the measured tick.
    #[arg(long, default_value_t = 10)]
    due_every: usize,
    /// A PostgreSQL URL (an empty database); SQLite in a temp dir otherwise.
    #[arg(long)]
    database_url: Option<String>,
    #[arg(long, default_value = "target/bench-evaluator.json")]
    out: std::path::PathBuf,
}

fn event(job: &str, kind: &str, at: DateTime<Utc>, meta: serde_json::Value) -> NewEvent {
    NewEvent {
        event_id: None,
        source_type: SourceType::Chief,
        level: Level::Info,
        event_type: kind.into(),
        message: kind.into(),
        event_at: at,
        job_name: Some(job.into()),
        run_id: None,
        worker_id: None,
        script_path: None,
        metadata: meta,
    }
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args = Args::parse();
    let dir = tempfile::tempdir()?;
    let target = match &args.database_url {
        Some(url) => DatabaseTarget::Postgres { url: url.clone() },
        None => DatabaseTarget::Sqlite {
            path: dir.path().join("evaluator.sqlite"),
        },
    };
    let store = Store::connect(&target).await?;
    let t0 = DateTime::parse_from_rfc3339("2026-06-01T00:00:00Z")?.with_timezone(&Utc);
    let seeding = Instant::now();
    seed(&store, &args, t0).await?;
    let seeded = seeding.elapsed();

    let clock = Arc::new(ManualClock::new(t0 + Duration::seconds(1)));
    let engine = Engine::new(store.clone(), clock.clone());
    let (full, full_time) = timed_tick(&engine, true).await?;
    // 61 s later the due tenth is LATE; 31 s after that it is DOWN with a
    // MISSED alert each. The rest are not read at all.
    clock.set(t0 + Duration::seconds(61));
    let (late, late_time) = timed_tick(&engine, false).await?;
    clock.set(t0 + Duration::seconds(92));
    let (down, down_time) = timed_tick(&engine, false).await?;
    clock.set(t0 + Duration::seconds(93));
    let (idle, idle_time) = timed_tick(&engine, false).await?;

    let rows = [
        ("full evaluation (start-up)", full.evaluated, full_time),
        ("tick: due jobs go LATE", late.evaluated, late_time),
        ("tick: due jobs go DOWN + MISSED", down.evaluated, down_time),
        ("tick: nothing due", idle.evaluated, idle_time),
    ];
    println!(
        "{} jobs, 1 in {} due; seeded in {:.1} s",
        args.jobs,
        args.due_every,
        seeded.as_secs_f64()
    );
    println!("{:<34} {:>10} {:>10}", "tick", "evaluated", "seconds");
    for (name, n, t) in &rows {
        println!("{name:<34} {n:>10} {:>10.3}", t.as_secs_f64());
    }
    println!(
        "MISSED opened: {} (target: every due job, once)",
        down.opened
    );
    let json = json!({
        "jobs": args.jobs,
        "due_every": args.due_every,
        "ticks": rows.iter().map(|(name, n, t)| json!({
            "tick": name, "evaluated": n, "seconds": t.as_secs_f64()
        })).collect::<Vec<_>>(),
        "missed_opened": down.opened,
    });
    std::fs::write(&args.out, serde_json::to_string_pretty(&json)?)?;
    Ok(())
}

/// Every job has run once and says when it runs next: the due ones soon,
/// the others in a day.
async fn seed(store: &Store, args: &Args, t0: DateTime<Utc>) -> Result<(), Error> {
    let names: Vec<String> = (0..args.jobs).map(|i| format!("job-{i:06}")).collect();
    for chunk in names.chunks(500) {
        let mut events = Vec::with_capacity(chunk.len() * 2);
        for name in chunk {
            let i: usize = name[4..].parse()?;
            let next = if i.is_multiple_of(args.due_every) {
                t0 + Duration::seconds(60)
            } else {
                t0 + Duration::days(1)
            };
            events.push(event(name, "job.started", t0, json!({"grace_seconds": 30})));
            events.push(event(
                name,
                "job.next_scheduled",
                t0,
                json!({"next_run_at": next.to_rfc3339()}),
            ));
        }
        store.ingest(&events, t0).await?;
    }
    Ok(())
}

/// One tick (of every job when `all`), and how long it took.
async fn timed_tick(
    engine: &Engine,
    all: bool,
) -> Result<(TickReport, std::time::Duration), Error> {
    let start = Instant::now();
    let report = engine.tick(&[], all).await?;
    Ok((report, start.elapsed()))
}
