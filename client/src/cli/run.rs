//! `telltale run --job NAME -- COMMAND ARGS...`: report the start, run the
//! command with stdin and stdout untouched and stderr passed through byte for
//! byte, report how it ended, and exit with its code.

use std::ffi::OsString;
use std::process::{Command, ExitCode, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;
use clap::Args;
use serde_json::{Map, Value, json};
use telltale_model::{Level, NewEvent};

use super::args::{metadata, parse_duration, parse_meta};
use super::signals::{self, Forwarder};
use super::tee::Tee;
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

/// How the command ended.
enum Ending {
    Exited(i32),
    Signaled(i32),
    NotStarted(std::io::Error),
    Lost(std::io::Error),
}

pub fn run(args: RunArgs, config: Config) -> ExitCode {
    let Some(job) = args.job.clone().or_else(|| config.context.job_name.clone()) else {
        return usage_error(
            "run",
            "--job NAME is required (or set TELLTALE_JOB_NAME or CHIEF_JOB_NAME)",
        );
    };
    let run_id = args
        .run_id
        .clone()
        .or_else(|| config.context.chief_run_id.clone())
        .unwrap_or_else(|| new_run_id(&job));
    // A policy the server would refuse (a cron typo, an unknown zone) would
    // cost the run its start event: say so now, before anything runs.
    let mut policy_meta = metadata(&args.meta);
    policy(&args, &mut policy_meta);
    if let Err((field, problem)) = telltale_model::schedule::validate_policy(&policy_meta) {
        let flag = field.trim_start_matches("metadata.").replace('_', "-");
        return usage_error("run", &format!("{flag}: {problem}"));
    }
    let command_line = display_command(&args.command);
    let host = hostname();

    // Reporting is best effort around the command: if the spool cannot even
    // be written, the command still runs, and says so once.
    let client = match Client::start(config.clone(), &job) {
        Ok(c) => Some(c),
        Err(e) => {
            eprintln!("telltale: not reporting this run: {e}");
            None
        }
    };
    let report = |event: NewEvent| {
        if let Some(client) = &client
            && let Err(e) = client.emit(event)
        {
            eprintln!("telltale: event not recorded: {e}");
        }
    };
    let event = |event_type: &str, level: Level, message: String, meta: Map<String, Value>| {
        let mut e = match &client {
            Some(c) => c.event(event_type, level, &message),
            None => NewEvent::new(
                telltale_model::SourceType::Worker,
                level,
                event_type,
                message.clone(),
                Utc::now(),
            ),
        };
        e.job_name = Some(job.clone());
        e.run_id = Some(run_id.clone());
        e.worker_id = args.worker.clone();
        e.metadata = Value::Object(meta);
        e
    };

    let mut start_meta = metadata(&args.meta);
    start_meta.insert("command".into(), json!(command_line));
    start_meta.insert("hostname".into(), json!(host));
    start_meta.insert("pid".into(), json!(std::process::id()));
    if let Some(at) = &config.context.scheduled_for {
        start_meta.insert("scheduled_for".into(), json!(at));
    }
    policy(&args, &mut start_meta);
    report(event(
        "job.started",
        Level::Info,
        format!("started: {command_line}"),
        start_meta,
    ));
    let marker = args
        .worker
        .as_deref()
        .and_then(|w| CurrentRun::mark(&config.spool_dir, w, &run_id));

    let started = Instant::now();
    let mut env = vec![
        ("TELLTALE_RUN_ID", run_id.clone()),
        ("TELLTALE_JOB_NAME", job.clone()),
    ];
    if let Some(worker) = &args.worker {
        env.push(("TELLTALE_WORKER_ID", worker.clone()));
    }
    let (ending, tail) = execute(&args.command, &env, args.tail_lines);
    let elapsed = started.elapsed();
    drop(marker);

    let took = format!("{:.1} s", elapsed.as_secs_f64());
    let mut end_meta = Map::new();
    end_meta.insert("duration_seconds".into(), json!(elapsed.as_secs_f64()));
    // JSON text holds no raw bytes: invalid UTF-8 becomes U+FFFD, and so
    // does NUL, which PostgreSQL cannot store in text (the event would be
    // refused there forever).
    let tail = String::from_utf8_lossy(&tail).replace('\0', "\u{fffd}");
    let (event_type, message, code) = match &ending {
        Ending::Exited(0) => {
            end_meta.insert("exit_code".into(), json!(0));
            ("job.completed", format!("completed in {took}"), 0)
        }
        Ending::Exited(code) => {
            end_meta.insert("exit_code".into(), json!(code));
            (
                "job.failed",
                format!("exited with code {code} after {took}"),
                *code,
            )
        }
        Ending::Signaled(sig) => {
            end_meta.insert("signal".into(), json!(sig));
            end_meta.insert("signal_name".into(), json!(signals::name(*sig)));
            (
                "job.failed",
                format!("killed by {} after {took}", signals::name(*sig)),
                128 + sig,
            )
        }
        Ending::NotStarted(e) => {
            let code = if e.kind() == std::io::ErrorKind::NotFound {
                127
            } else {
                126
            };
            eprintln!("telltale: cannot start {command_line}: {e}");
            (
                "job.failed",
                format!("could not start {command_line}: {e}"),
                code,
            )
        }
        Ending::Lost(e) => (
            "job.failed",
            format!("lost track of the command after {took}: {e}"),
            1,
        ),
    };
    let (level, reason) = if event_type == "job.completed" {
        (Level::Info, None)
    } else if tail.is_empty() {
        (Level::Error, Some(message.clone()))
    } else {
        // The command's own last words, verbatim.
        (Level::Error, Some(tail))
    };
    if let Some(reason) = reason {
        end_meta.insert("failure_reason".into(), json!(reason));
    }
    report(event(event_type, level, message, end_meta));

    if let Some(client) = client {
        let report = client.close(config.flush_timeout);
        warn_undelivered(&report, &config);
    }
    ExitCode::from(u8::try_from(code & 0xff).unwrap_or(1))
}

/// Runs the command; returns how it ended and the tail of its stderr.
fn execute(command: &[OsString], env: &[(&str, String)], tail_lines: usize) -> (Ending, Vec<u8>) {
    let forwarder = match Forwarder::install() {
        Ok(f) => Some(f),
        Err(e) => {
            eprintln!("telltale: signals will not be forwarded: {e}");
            None
        }
    };
    let Some((program, arguments)) = command.split_first() else {
        return (
            Ending::NotStarted(std::io::Error::other("no command")),
            Vec::new(),
        );
    };
    let child = Command::new(program)
        .args(arguments)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::inherit())
        .stdout(Stdio::inherit())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            if let Some(f) = &forwarder {
                f.ended();
            }
            return (Ending::NotStarted(e), Vec::new());
        }
    };
    if let Some(f) = &forwarder {
        f.started(child.id());
    }
    let tee = child
        .stderr
        .take()
        .and_then(|stderr| Tee::start(stderr, std::io::stderr()).ok());
    // Stop forwarding while the ended command is still a zombie: its pid
    // stays reserved until it is reaped, so a late signal can never reach
    // an unrelated process that reused the pid.
    wait_unreaped(child.id());
    if let Some(f) = &forwarder {
        f.ended();
    }
    let status = child.wait();
    let tail = tee.map_or_else(Vec::new, |t| {
        t.last_lines(tail_lines, Duration::from_millis(500))
    });
    let ending = match status {
        Ok(status) => ending_of(status),
        Err(e) => Ending::Lost(e),
    };
    (ending, tail)
}

/// Waits until the process has ended, leaving it to be reaped.
#[cfg(unix)]
fn wait_unreaped(pid: u32) {
    use rustix::process::{Pid, WaitId, WaitIdOptions, waitid};
    let Some(pid) = i32::try_from(pid).ok().and_then(Pid::from_raw) else {
        return;
    };
    while let Err(rustix::io::Errno::INTR) = waitid(
        WaitId::Pid(pid),
        WaitIdOptions::EXITED | WaitIdOptions::NOWAIT,
    ) {}
}

#[cfg(not(unix))]
fn wait_unreaped(_pid: u32) {}

#[cfg(unix)]
fn ending_of(status: ExitStatus) -> Ending {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => Ending::Exited(code),
        (None, Some(sig)) => Ending::Signaled(sig),
        (None, None) => Ending::Lost(std::io::Error::other(format!("{status}"))),
    }
}

#[cfg(not(unix))]
fn ending_of(status: ExitStatus) -> Ending {
    Ending::Exited(status.code().unwrap_or(1))
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
