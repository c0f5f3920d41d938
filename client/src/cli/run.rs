//! `telltale run --job NAME -- COMMAND ARGS...`: report the start, run the
//! command with stdin and stdout untouched and stderr passed through byte for
//! byte, report how it ended, and exit with its code.

use std::ffi::OsString;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use chrono::Utc;
use clap::Args;
use serde_json::{Map, Value, json};
use telltale_model::Level;

use super::args::{metadata, parse_duration, parse_meta};
use super::child::{Ending, execute};
use super::signals;
use super::{usage_error, warn_undelivered};
use crate::client::Client;
use crate::config::Config;
use crate::heartbeat::hostname;

use super::current::CurrentRun;

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  telltale run --job nightly-backup -- /usr/local/bin/backup.sh --full
  telltale run --job proxy-render --worker farm-03 --meta engine=ffmpeg \\
      --schedule '0 2 * * *' --grace 10m --max-runtime 2h -- ./render.sh A001.mov

The command gets TELLTALE_RUN_ID, TELLTALE_JOB_NAME (and TELLTALE_WORKER_ID),
so `telltale send` inside it reports on the same run without flags.")]
pub struct RunArgs {
    /// The job this run belongs to [default: $TELLTALE_JOB_NAME or $CHIEF_JOB_NAME]
    #[arg(long, value_name = "NAME")]
    pub job: Option<String>,
    /// This run's id [default: $CHIEF_RUN_ID, else JOB-TIME-RANDOM]
    #[arg(long, value_name = "ID")]
    pub run_id: Option<String>,
    /// The worker running it
    #[arg(long, value_name = "ID", env = "TELLTALE_WORKER_ID")]
    pub worker: Option<String>,
    /// Metadata on the start event (repeatable): KEY=VALUE, or KEY:=JSON
    #[arg(long = "meta", value_name = "KEY=VALUE", value_parser = parse_meta)]
    pub meta: Vec<(String, Value)>,
    /// When the job should run: `every 15m` or a cron expression
    #[arg(long, value_name = "SCHEDULE")]
    pub schedule: Option<String>,
    /// IANA time zone of a cron schedule (e.g. Europe/Paris)
    #[arg(long, value_name = "TZ")]
    pub timezone: Option<String>,
    /// How late a run may start before the job is DOWN (e.g. 5m)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub grace: Option<Duration>,
    /// How long a run may take before it is overdue (e.g. 2h)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub max_runtime: Option<Duration>,
    /// A run shorter than this is suspicious (e.g. 30s)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub min_runtime: Option<Duration>,
    /// How long after its scheduled time a run may take to start
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub start_grace: Option<Duration>,
    /// Lines at the end of stderr kept as the failure reason
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub tail_lines: usize,
    /// The command and its arguments (after `--`)
    #[arg(required = true, trailing_var_arg = true, value_name = "COMMAND")]
    pub command: Vec<OsString>,
}

pub fn run(args: RunArgs, config: Config) -> ExitCode {
    let (job, run_id) = match identify(&args, &config) {
        Ok(ids) => ids,
        Err(code) => return code,
    };
    let command_line = display_command(&args.command);
    let host = hostname();
    let reporter = Reporter {
        client: start_client(&config, &job),
        job,
        run_id,
        worker: args.worker.clone(),
    };
    reporter.report(
        "job.started",
        Level::Info,
        format!("started: {command_line}"),
        start_metadata(&args, &config, &command_line, &host),
    );
    let marker = args
        .worker
        .as_deref()
        .and_then(|w| CurrentRun::mark(&config.spool_dir, w, &reporter.run_id));

    let started = Instant::now();
    let (ending, tail) = execute(&args.command, &reporter.env(), args.tail_lines);
    let elapsed = started.elapsed();
    drop(marker);

    let end = Ended::describe(&ending, elapsed, &tail, &command_line);
    let code = end.code;
    reporter.report(end.event_type, end.level, end.message, end.meta);
    if let Some(client) = reporter.client {
        let report = client.close(config.flush_timeout);
        warn_undelivered(&report, &config);
    }
    ExitCode::from(u8::try_from(code & 0xff).unwrap_or(1))
}

/// The job and the run id, and a check of the policy flags: a policy the
/// server would refuse (a cron typo, an unknown zone) would cost the run its
/// start event, so it is refused now, before anything runs.
fn identify(args: &RunArgs, config: &Config) -> Result<(String, String), ExitCode> {
    let Some(job) = args.job.clone().or_else(|| config.context.job_name.clone()) else {
        return Err(usage_error(
            "run",
            "--job NAME is required (or set TELLTALE_JOB_NAME or CHIEF_JOB_NAME)",
        ));
    };
    let run_id = args
        .run_id
        .clone()
        .or_else(|| config.context.chief_run_id.clone())
        .unwrap_or_else(|| new_run_id(&job));
    let mut policy_meta = metadata(&args.meta);
    policy(args, &mut policy_meta);
    if let Err((field, problem)) = telltale_model::schedule::validate_policy(&policy_meta) {
        let flag = field.trim_start_matches("metadata.").replace('_', "-");
        return Err(usage_error("run", &format!("{flag}: {problem}")));
    }
    Ok((job, run_id))
}

/// Reporting is best effort around the command: if the spool cannot even be
/// written, the command still runs, and says so once.
fn start_client(config: &Config, job: &str) -> Option<Client> {
    match Client::start(config.clone(), job) {
        Ok(c) => Some(c),
        Err(e) => {
            eprintln!("telltale: not reporting this run: {e}");
            None
        }
    }
}

/// The start event's metadata: the flags' metadata and policy, and what
/// runs where.
fn start_metadata(
    args: &RunArgs,
    config: &Config,
    command_line: &str,
    host: &str,
) -> Map<String, Value> {
    let mut meta = metadata(&args.meta);
    meta.insert("command".into(), json!(command_line));
    meta.insert("hostname".into(), json!(host));
    meta.insert("pid".into(), json!(std::process::id()));
    if let Some(at) = &config.context.scheduled_for {
        meta.insert("scheduled_for".into(), json!(at));
    }
    policy(args, &mut meta);
    meta
}

/// Reports this run's events, when there is a client to report them.
struct Reporter {
    client: Option<Client>,
    job: String,
    run_id: String,
    worker: Option<String>,
}

impl Reporter {
    fn report(&self, event_type: &str, level: Level, message: String, meta: Map<String, Value>) {
        let Some(client) = &self.client else {
            return;
        };
        let mut event = client.event(event_type, level, &message);
        event.job_name = Some(self.job.clone());
        event.run_id = Some(self.run_id.clone());
        event.worker_id = self.worker.clone();
        event.metadata = Value::Object(meta);
        if let Err(e) = client.emit(event) {
            eprintln!("telltale: event not recorded: {e}");
        }
    }

    /// What the command is told of its run, so `telltale send` inside it
    /// reports on the same run without flags.
    fn env(&self) -> Vec<(&'static str, String)> {
        let mut env = vec![
            ("TELLTALE_RUN_ID", self.run_id.clone()),
            ("TELLTALE_JOB_NAME", self.job.clone()),
        ];
        if let Some(worker) = &self.worker {
            env.push(("TELLTALE_WORKER_ID", worker.clone()));
        }
        env
    }
}

/// The end event, and the code `telltale run` exits with.
struct Ended {
    event_type: &'static str,
    level: Level,
    message: String,
    meta: Map<String, Value>,
    code: i32,
}

impl Ended {
    fn describe(ending: &Ending, elapsed: Duration, tail: &[u8], command_line: &str) -> Ended {
        let took = format!("{:.1} s", elapsed.as_secs_f64());
        let mut meta = Map::new();
        meta.insert("duration_seconds".into(), json!(elapsed.as_secs_f64()));
        let (event_type, message, code) = match ending {
            Ending::Exited(0) => {
                meta.insert("exit_code".into(), json!(0));
                ("job.completed", format!("completed in {took}"), 0)
            }
            Ending::Exited(code) => {
                meta.insert("exit_code".into(), json!(code));
                let message = format!("exited with code {code} after {took}");
                ("job.failed", message, *code)
            }
            Ending::Signaled(sig) => {
                meta.insert("signal".into(), json!(sig));
                meta.insert("signal_name".into(), json!(signals::name(*sig)));
                let message = format!("killed by {} after {took}", signals::name(*sig));
                ("job.failed", message, 128 + sig)
            }
            Ending::NotStarted(e) => {
                eprintln!("telltale: cannot start {command_line}: {e}");
                let code = if e.kind() == std::io::ErrorKind::NotFound {
                    127
                } else {
                    126
                };
                (
                    "job.failed",
                    format!("could not start {command_line}: {e}"),
                    code,
                )
            }
            Ending::Lost(e) => {
                let message = format!("lost track of the command after {took}: {e}");
                ("job.failed", message, 1)
            }
        };
        let level = if event_type == "job.completed" {
            Level::Info
        } else {
            meta.insert(
                "failure_reason".into(),
                json!(failure_reason(tail, &message)),
            );
            Level::Error
        };
        Ended {
            event_type,
            level,
            message,
            meta,
            code,
        }
    }
}

/// The command's own last words, verbatim; the message when it said none.
/// JSON text holds no raw bytes: invalid UTF-8 becomes U+FFFD, and so does
/// NUL, which PostgreSQL cannot store in text (the event would be refused
/// there forever).
fn failure_reason(tail: &[u8], message: &str) -> String {
    let tail = String::from_utf8_lossy(tail).replace('\0', "\u{fffd}");
    if tail.is_empty() {
        message.to_owned()
    } else {
        tail
    }
}

/// The job policy flags, as the metadata keys the server reads.
fn policy(args: &RunArgs, meta: &mut Map<String, Value>) {
    if let Some(s) = &args.schedule {
        meta.insert("schedule".into(), json!(s));
    }
    if let Some(tz) = &args.timezone {
        meta.insert("timezone".into(), json!(tz));
    }
    for (key, value) in [
        ("grace_seconds", args.grace),
        ("max_runtime_seconds", args.max_runtime),
        ("min_runtime_seconds", args.min_runtime),
        ("start_grace_seconds", args.start_grace),
    ] {
        if let Some(d) = value {
            meta.insert(key.into(), json!(d.as_secs()));
        }
    }
}

/// `JOB-20261125T183000Z-1a2b3c`: readable, sortable, unique enough.
fn new_run_id(job: &str) -> String {
    let job: String = job.chars().take(200).collect();
    format!(
        "{job}-{}-{:06x}",
        Utc::now().format("%Y%m%dT%H%M%SZ"),
        fastrand::u32(..0x100_0000)
    )
}

/// The command as a person would type it (for messages, not for a shell).
fn display_command(command: &[OsString]) -> String {
    command
        .iter()
        .map(|a| {
            let a = a.to_string_lossy();
            if a.is_empty() || a.contains(|c: char| c.is_whitespace() || "'\"\\$`".contains(c)) {
                format!("'{}'", a.replace('\'', r"'\''"))
            } else {
                a.into_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_display_as_typed() {
        let cmd: Vec<OsString> = ["sh", "-c", "echo 'hi' && exit 3", ""]
            .iter()
            .map(OsString::from)
            .collect();
        assert_eq!(
            display_command(&cmd),
            r#"sh -c 'echo '\''hi'\'' && exit 3' ''"#
        );
    }

    #[test]
    fn run_ids_name_the_job_and_differ() {
        let a = new_run_id("nightly-backup");
        let b = new_run_id("nightly-backup");
        assert!(a.starts_with("nightly-backup-2"), "{a}");
        assert_ne!(a, b);
        assert!(new_run_id(&"x".repeat(600)).len() < 300);
    }
}
