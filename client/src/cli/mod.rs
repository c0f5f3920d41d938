//! The worker commands of the `telltale` binary: `run`, `send`,
//! `heartbeat` and `flush`. The server's `main.rs` only dispatches here.
//!
//! Exit codes: `run` exits with its command's own code (128 + the signal
//! when the command was killed); every command exits 2 on a usage or
//! configuration error. Monitoring never fails a job: an unreachable server
//! is a warning, and the events wait in the spool.

mod args;
mod child;
mod current;
mod heartbeat;
mod run;
mod send;
mod signals;
mod tee;

use std::process::ExitCode;

use clap::Subcommand;

pub use args::{parse_duration, parse_meta};
pub use heartbeat::HeartbeatArgs;
pub use run::RunArgs;
pub use send::{FlushArgs, SendArgs};

use crate::config::{Config, ConfigError};

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a command and report its start, end, exit code and stderr tail.
    Run(RunArgs),
    /// Report one event (a stage, a progress update, a message).
    Send(SendArgs),
    /// Send worker heartbeats (with the worker's current run) until stopped.
    Heartbeat(HeartbeatArgs),
    /// Deliver events left in the spool by earlier commands.
    Flush(FlushArgs),
}

/// Runs one worker command and returns the process's exit code.
pub fn main(command: Command) -> ExitCode {
    // `run` stands between a job and its stderr, and `send`/`flush` end with
    // one line on what was not delivered: by default only errors (an event
    // the server refused for good) get a line of their own. `heartbeat` is a
    // daemon whose journal should say when delivery fails and recovers.
    let default_log = match command {
        Command::Heartbeat(_) => "warn",
        _ => "error",
    };
    init_logging(default_log);
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => return config_error(&e),
    };
    match command {
        Command::Run(args) => run::run(args, config),
        Command::Send(args) => send::send(args, config),
        Command::Heartbeat(args) => heartbeat::heartbeat(args, config),
        Command::Flush(args) => send::flush(args, config),
    }
}

fn init_logging(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("TELLTALE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .without_time()
        .try_init();
}

fn config_error(e: &ConfigError) -> ExitCode {
    eprintln!("telltale: configuration error: {e}");
    ExitCode::from(2)
}

/// A usage error found after parsing (clap's own exit with 2 the same way).
fn usage_error(command: &str, problem: &str) -> ExitCode {
    eprintln!("error: {problem}\n\nUsage: telltale {command} --help");
    ExitCode::from(2)
}

/// One line to stderr when events could not be delivered before exit.
fn warn_undelivered(report: &crate::FlushReport, config: &Config) {
    if report.is_complete() {
        return;
    }
    eprintln!(
        "telltale: {} event(s) not delivered yet to {} ({}); kept in {} for the next telltale command",
        report.pending.max(1),
        config.base_url,
        report
            .last_error
            .as_deref()
            .unwrap_or("delivery did not finish in time"),
        config.spool_dir.display()
    );
}
