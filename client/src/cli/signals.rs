//! Passing SIGINT, SIGTERM, SIGHUP and SIGQUIT on to the command.
//!
//! A signal sent to `telltale` alone (`kill`, a scheduler's timeout) is
//! forwarded to the command, which decides how to end; telltale then reports
//! how it ended. A signal the kernel sent to the whole foreground process
//! group (Ctrl-C at a terminal) has already reached the command, so it is
//! not sent twice. Once the command has ended, a signal ends telltale itself
//! the default way (what is undelivered stays in the spool).

use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};
use signal_hook::iterator::SignalsInfo;
use signal_hook::iterator::exfiltrator::WithOrigin;
use signal_hook::low_level::siginfo::Cause;

const FORWARDED: [i32; 4] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT];

enum Target {
    /// Not started yet: signals wait here and are sent when it starts.
    Starting(Vec<i32>),
    Running(u32),
    Ended,
}

pub struct Forwarder {
    target: Arc<Mutex<Target>>,
    _thread: JoinHandle<()>,
}

impl Forwarder {
    /// Installed before the command starts, so no signal slips through in
    /// between and kills telltale with the command orphaned.
    pub fn install() -> std::io::Result<Forwarder> {
        let mut signals = SignalsInfo::<WithOrigin>::new(FORWARDED)?;
        let target = Arc::new(Mutex::new(Target::Starting(Vec::new())));
        let thread = {
            let target = target.clone();
            std::thread::Builder::new()
                .name("telltale-signals".into())
                .spawn(move || {
                    for origin in signals.forever() {
                        let sig = origin.signal;
                        if origin.cause == Cause::Kernel {
                            continue;
                        }
                        let mut target = target.lock().unwrap_or_else(|e| e.into_inner());
                        match &mut *target {
                            Target::Starting(pending) => pending.push(sig),
                            Target::Running(pid) => send(*pid, sig),
                            Target::Ended => {
                                let _ = signal_hook::low_level::emulate_default_handler(sig);
                            }
                        }
                    }
                })?
        };
        Ok(Forwarder {
            target,
            _thread: thread,
        })
    }

    /// The command started as `pid`: signals from now on go to it.
    pub fn started(&self, pid: u32) {
        let mut target = self.target.lock().unwrap_or_else(|e| e.into_inner());
        if let Target::Starting(pending) = &*target {
            for &sig in pending {
                send(pid, sig);
            }
        }
        *target = Target::Running(pid);
    }

    /// The command ended (or never started).
    pub fn ended(&self) {
        let mut target = self.target.lock().unwrap_or_else(|e| e.into_inner());
        let pending = match &*target {
            Target::Starting(pending) => pending.clone(),
            _ => Vec::new(),
        };
        *target = Target::Ended;
        drop(target);
        // A signal that came before a command that never started.
        if let Some(&sig) = pending.first() {
            let _ = signal_hook::low_level::emulate_default_handler(sig);
        }
    }
}

fn send(pid: u32, sig: i32) {
    use rustix::process::{Pid, Signal, kill_process};
    let pid = i32::try_from(pid).ok().and_then(Pid::from_raw);
    if let (Some(pid), Some(sig)) = (pid, Signal::from_named_raw(sig))
        && let Err(e) = kill_process(pid, sig)
    {
        tracing::warn!(error = %e, "cannot forward a signal to the command");
    }
}

/// `SIGTERM` for 15, or `signal 42` for an unnamed one.
pub fn name(sig: i32) -> String {
    signal_hook::low_level::signal_name(sig)
        .map(str::to_owned)
        .unwrap_or_else(|| format!("signal {sig}"))
}
