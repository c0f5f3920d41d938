//! `telltale heartbeat --worker ID`: a heartbeat every interval, naming the
//! run `telltale run --worker ID` is busy with on this machine. Between
//! beats it also delivers spool files left by commands that ran while the
//! server was down.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Args;

use super::args::parse_duration;
use super::current::CurrentRun;
use crate::client::Client;
use crate::config::Config;
use crate::heartbeat::{Beater, DEFAULT_INTERVAL};
use crate::spool::Spool;

#[derive(Debug, Args)]
pub struct HeartbeatArgs {
    /// This worker's id
    #[arg(long, value_name = "ID", env = "TELLTALE_WORKER_ID")]
    pub worker: String,
    /// Time between heartbeats
    #[arg(long, value_name = "DURATION", default_value = "15s", value_parser = parse_duration)]
    pub interval: Duration,
    /// Send one heartbeat and exit (0 when delivered, 1 when not)
    #[arg(long)]
    pub once: bool,
    /// The run this worker is busy with [default: the one `telltale run --worker ID` records]
    #[arg(long, value_name = "ID")]
    pub run: Option<String>,
}

pub fn heartbeat(args: HeartbeatArgs, config: Config) -> ExitCode {
    let interval = if args.interval.is_zero() {
        DEFAULT_INTERVAL
    } else {
        args.interval
    };
    let beater = match Beater::new(&config, &args.worker, interval) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("telltale: {e}");
            return ExitCode::FAILURE;
        }
    };
    let current = || {
        args.run
            .clone()
            .or_else(|| CurrentRun::read(&config.spool_dir, &args.worker))
    };
    if args.once {
        return match beater.beat(current().as_deref()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("telltale: heartbeat not delivered: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let mut failing = false;
    loop {
        let next = crate::deadline::after(interval);
        match beater.beat(current().as_deref()) {
            Ok(()) if failing => {
                tracing::warn!(worker = %args.worker, "heartbeats delivered again");
                failing = false;
            }
            Ok(()) => deliver_leftovers(&config, next),
            Err(e) if !failing => {
                tracing::warn!(worker = %args.worker, error = %e, "heartbeat not delivered; retrying every interval");
                failing = true;
            }
            Err(_) => {}
        }
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
    }
}

/// Delivers spool files nobody owns any more, within the time to the next beat.
fn deliver_leftovers(config: &Config, until: Instant) {
    let waiting = Spool::list(&config.spool_dir, None).is_ok_and(|files| !files.is_empty());
    if !waiting {
        return;
    }
    if let Ok(client) = Client::start(config.clone(), "heartbeat") {
        let report = client.close(until.saturating_duration_since(Instant::now()));
        if report.delivered > 0 {
            tracing::info!(
                events = report.delivered,
                "delivered events left in the spool"
            );
        }
    }
}
