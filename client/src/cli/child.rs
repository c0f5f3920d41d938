//! The command `telltale run` wraps: started with its stdin and stdout
//! untouched, its stderr passed through (the tail kept), signals forwarded,
//! and how it ended.

use std::ffi::OsString;
use std::process::{Command, ExitStatus, Stdio};
use std::time::Duration;

use super::signals::Forwarder;
use super::tee::Tee;

/// How the command ended.
pub(super) enum Ending {
    Exited(i32),
    Signaled(i32),
    NotStarted(std::io::Error),
    Lost(std::io::Error),
}

/// Runs the command; returns how it ended and the tail of its stderr.
pub(super) fn execute(
    command: &[OsString],
    env: &[(&str, String)],
    tail_lines: usize,
) -> (Ending, Vec<u8>) {
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
