//! `telltale send` (one event from the shell) and `telltale flush` (deliver
//! what earlier commands left in the spool).

use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use serde_json::Value;
use telltale_model::{Level, SourceType};

use super::args::{metadata, parse_duration, parse_level, parse_meta, parse_source};
use super::{usage_error, warn_undelivered};
use crate::client::{Client, ClientError};
use crate::config::Config;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  telltale send --type engine_selected --message 'engine: resolve' --meta engine=resolve
  telltale send --type progress_update --message 'encoding' --meta progress=40
  telltale send --type worker.message --level warn --message 'disk 91% full'

Inside `telltale run`, --job and --run default to the wrapped run.")]
pub struct SendArgs {
    /// Event type, e.g. progress_update, engine_selected, worker.message
    #[arg(long = "type", value_name = "TYPE")]
    pub event_type: String,
    /// What happened, in words (stored verbatim)
    #[arg(long, value_name = "TEXT")]
    pub message: String,
    /// Job name [default: $TELLTALE_JOB_NAME or $CHIEF_JOB_NAME]
    #[arg(long, value_name = "NAME")]
    pub job: Option<String>,
    /// Run id [default: $TELLTALE_RUN_ID or $CHIEF_RUN_ID]
    #[arg(long, value_name = "ID")]
    pub run: Option<String>,
    /// Worker id
    #[arg(long, value_name = "ID", env = "TELLTALE_WORKER_ID")]
    pub worker: Option<String>,
    #[arg(long, value_name = "LEVEL", default_value = "info", value_parser = parse_level)]
    pub level: Level,
    /// Who reports it
    #[arg(long, value_name = "SOURCE", default_value = "worker", value_parser = parse_source)]
    pub source: SourceType,
    /// Metadata (repeatable): KEY=VALUE, or KEY:=JSON
    #[arg(long = "meta", value_name = "KEY=VALUE", value_parser = parse_meta)]
    pub meta: Vec<(String, Value)>,
}

pub fn send(args: SendArgs, config: Config) -> ExitCode {
    let label = args
        .job
        .clone()
        .or_else(|| config.context.job_name.clone())
        .unwrap_or_else(|| "send".into());
    let client = match Client::start(config.clone(), &label) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("telltale: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut event = client.event(&args.event_type, args.level, &args.message);
    event.source_type = args.source;
    if args.job.is_some() {
        event.job_name = args.job;
    }
    if args.run.is_some() {
        event.run_id = args.run;
    }
    if args.worker.is_some() {
        event.worker_id = args.worker;
    }
    event.metadata = Value::Object(metadata(&args.meta));
    match client.emit(event) {
        Ok(_) => {}
        Err(ClientError::Invalid(e)) => return usage_error("send", &e.to_string()),
        Err(e) => {
            eprintln!("telltale: {e}");
            return ExitCode::FAILURE;
        }
    }
    let report = client.close(config.flush_timeout);
    warn_undelivered(&report, &config);
    ExitCode::SUCCESS
}

#[derive(Debug, Args)]
pub struct FlushArgs {
    /// How long to keep trying
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration)]
    pub timeout: Duration,
}

/// Exits 0 when the spool is empty afterwards, 1 when events remain.
pub fn flush(args: FlushArgs, config: Config) -> ExitCode {
    let client = match Client::start(config.clone(), "flush") {
        Ok(c) => c,
        Err(e) => {
            eprintln!("telltale: {e}");
            return ExitCode::FAILURE;
        }
    };
    let report = client.close(args.timeout);
    if report.delivered > 0 {
        eprintln!("telltale: delivered {} event(s)", report.delivered);
    }
    if report.is_complete() {
        ExitCode::SUCCESS
    } else {
        warn_undelivered(&report, &config);
        ExitCode::FAILURE
    }
}
