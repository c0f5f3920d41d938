//! `make soak` (`telltale-soak`): a bounded soak of the release server on
//! loopback, on SQLite and then on PostgreSQL when one answers. Exits
//! non-zero when any canary failure was not alerted and delivered exactly
//! once. See `docs/soak.md`.

#[allow(dead_code)]
#[path = "../server.rs"]
mod server;
#[path = "../soak/mod.rs"]
mod soak;

/// What `server.rs` reports its errors as.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, ValueEnum};

use soak::run::Settings;
use soak::traffic::Kind;
use soak::{Result, SoakError};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Backend {
    /// SQLite, then PostgreSQL if one answers at --database-url.
    All,
    Sqlite,
    Postgres,
}

#[derive(Parser, Debug, Clone)]
#[command(
    about = "Soak a release telltale server: hostile ingest, restarts, and canary failures that must each be alerted and delivered exactly once"
)]
struct Args {
    /// Length of each variant's run (the settling and the report add at
    /// most a minute).
    #[arg(long, default_value_t = 10.0)]
    minutes: f64,
    #[arg(long, value_enum, default_value_t = Backend::All)]
    backend: Backend,
    /// Ingest connections.
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// Ingest requests a second, over all connections (a request may be a
    /// batch of up to 1,000 events).
    #[arg(long, default_value_t = 100)]
    rate: u32,
    /// Seed of every random choice; printed, to replay a run.
    #[arg(long)]
    seed: Option<u64>,
    /// Kinds of hostile request not to send (comma-separated), to tell
    /// which one breaks what.
    #[arg(long, value_enum, value_delimiter = ',')]
    skip: Vec<Kind>,
    /// Only these kinds of hostile request (comma-separated), besides the
    /// valid traffic.
    #[arg(long, value_enum, value_delimiter = ',', conflicts_with = "skip")]
    only: Vec<Kind>,
    /// Seconds of valid traffic only, at the start: the first canaries show
    /// the baseline.
    #[arg(long, default_value_t = 30)]
    calm_seconds: u64,
    #[arg(long, default_value_t = 10)]
    canary_every: u64,
    /// Seconds between restarts (0: none).
    #[arg(long, default_value_t = 120)]
    restart_every: u64,
    /// PostgreSQL connection cuts in the PostgreSQL variant.
    #[arg(long, default_value_t = 2)]
    pg_cuts: u32,
    /// Percent of canary alerts whose first delivery the receiver refuses
    /// (503), so that the retry is seen.
    #[arg(long, default_value_t = 10)]
    refuse_percent: u64,
    /// Longest wait for the last canaries' alerts after the run.
    #[arg(long, default_value_t = 40)]
    settle_seconds: u64,
    /// A canary delivered later than this fails (a dead evaluator revived
    /// by the next restart must not pass).
    #[arg(long, default_value_t = 60)]
    max_latency_seconds: u64,
    /// Server memory (RSS) at which the run is stopped and failed, so that
    /// a leak cannot take the machine down.
    #[arg(long, default_value_t = 8192)]
    max_rss_mib: u64,
    #[arg(long, default_value = "target/release/telltale")]
    binary: PathBuf,
    /// A PostgreSQL URL whose user may create databases.
    #[arg(
        long,
        default_value = "postgres://postgres:postgres@127.0.0.1:5432/postgres"
    )]
    database_url: String,
    /// Where `soak-<backend>.json` and `soak-<backend>.log` go.
    #[arg(long, default_value = "target")]
    out_dir: PathBuf,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("soak: no runtime: {e}");
            return ExitCode::from(2);
        }
    };
    // The runtime is dropped before returning, so every task (and with
    // it every server process) is gone when the soak exits.
    let code = runtime.block_on(run_all(args));
    drop(runtime);
    code
}

async fn run_all(mut args: Args) -> ExitCode {
    let seed = args.seed.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
    });
    args.seed = Some(seed);
    println!("soak: seed {seed} (replay with --seed {seed})");
    let mut backends = Vec::new();
    match args.backend {
        Backend::Sqlite => backends.push(Backend::Sqlite),
        Backend::Postgres => backends.push(Backend::Postgres),
        Backend::All => {
            backends.push(Backend::Sqlite);
            if soak::pg::reachable(&args.database_url).await {
                backends.push(Backend::Postgres);
            } else {
                println!(
                    "soak: no PostgreSQL answers at --database-url: the PostgreSQL variant is skipped"
                );
            }
        }
    }
    let mut failed = false;
    for backend in backends {
        match variant(&args, seed, backend).await {
            Ok(passed) => failed |= !passed,
            Err(e) => {
                eprintln!("soak {}: {e}", format!("{backend:?}").to_lowercase());
                return ExitCode::from(2);
            }
        }
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// One backend's run, its database made and removed around it (also when
/// the run fails, panics or is interrupted).
async fn variant(args: &Args, seed: u64, backend: Backend) -> Result<bool> {
    let dir = tempfile::tempdir()?;
    let pg = match backend {
        Backend::Postgres => Some(Arc::new(
            soak::pg::PgDatabase::create(&args.database_url).await?,
        )),
        _ => None,
    };
    let target = match &pg {
        Some(db) => ("MONITOR_DATABASE_URL", db.url.clone()),
        None => (
            "MONITOR_DB_PATH",
            dir.path().join("soak.sqlite").display().to_string(),
        ),
    };
    let settings = Settings {
        backend: if pg.is_some() { "postgres" } else { "sqlite" },
        minutes: args.minutes,
        connections: args.connections.max(1),
        rate: args.rate.max(1),
        seed,
        kinds: Kind::ALL
            .into_iter()
            .filter(|k| *k == Kind::Valid || !args.skip.contains(k))
            .filter(|k| *k == Kind::Valid || args.only.is_empty() || args.only.contains(k))
            .collect(),
        calm: Duration::from_secs(args.calm_seconds),
        canary_every: Duration::from_secs(args.canary_every.max(1)),
        restart_every: Duration::from_secs(args.restart_every),
        pg_cuts: args.pg_cuts,
        refuse_percent: args.refuse_percent.min(100),
        settle: Duration::from_secs(args.settle_seconds),
        max_latency: Duration::from_secs(args.max_latency_seconds),
        max_rss_mib: args.max_rss_mib as f64,
        binary: args.binary.clone(),
        out_dir: args.out_dir.clone(),
        target,
    };
    // In a task of its own: a panic in it is an error here, and the
    // database below is still dropped.
    let mut task = tokio::spawn(soak::run::run(settings, pg.clone()));
    let outcome = tokio::select! {
        r = &mut task => r.unwrap_or_else(|e| Err(SoakError::Setup(format!("the soak failed: {e}")))),
        _ = tokio::signal::ctrl_c() => {
            // Dropping the task kills the server process it owns.
            task.abort();
            let _ = task.await;
            Err(SoakError::Interrupted)
        }
    };
    if let Some(db) = pg
        && let Err(e) = db.drop_database().await
    {
        eprintln!("soak: could not drop PostgreSQL database {}: {e}", db.name);
    }
    drop(dir);
    outcome
}
