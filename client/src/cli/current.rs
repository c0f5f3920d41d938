//! Which run a worker is busy with on this machine: written by
//! `telltale run --worker ID`, read by `telltale heartbeat --worker ID`.

use std::fs;
use std::path::{Path, PathBuf};

/// A file naming the run a worker is busy with, for `telltale heartbeat`
/// on the same machine; removed when the run ends.
pub struct CurrentRun {
    path: PathBuf,
    run_id: String,
}

impl CurrentRun {
    pub fn mark(spool_dir: &Path, worker: &str, run_id: &str) -> Option<CurrentRun> {
        let path = current_run_path(spool_dir, worker);
        let written = path
            .parent()
            .map_or(Ok(()), fs::create_dir_all)
            .and_then(|()| fs::write(&path, format!("{run_id}\n{}\n", std::process::id())));
        match written {
            Ok(()) => Some(CurrentRun {
                path,
                run_id: run_id.to_owned(),
            }),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "cannot record the current run for heartbeats");
                None
            }
        }
    }

    /// The run recorded for `worker`, if the process that recorded it lives.
    pub fn read(spool_dir: &Path, worker: &str) -> Option<String> {
        let text = fs::read_to_string(current_run_path(spool_dir, worker)).ok()?;
        let mut lines = text.lines();
        let run = lines.next()?.to_owned();
        let pid: i32 = lines.next()?.parse().ok()?;
        alive(pid).then_some(run)
    }
}

impl Drop for CurrentRun {
    fn drop(&mut self) {
        // Another run of the same worker may have taken the file over since.
        if let Ok(text) = fs::read_to_string(&self.path)
            && text.lines().next() == Some(self.run_id.as_str())
        {
            let _ = fs::remove_file(&self.path);
        }
    }
}

fn current_run_path(spool_dir: &Path, worker: &str) -> PathBuf {
    let safe: String = worker
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    spool_dir.join("current").join(safe)
}

#[cfg(unix)]
fn alive(pid: i32) -> bool {
    rustix::process::Pid::from_raw(pid)
        .is_some_and(|p| rustix::process::test_kill_process(p).is_ok())
}

#[cfg(not(unix))]
fn alive(_pid: i32) -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_current_run_is_recorded_while_it_lasts() {
        let dir = tempfile::tempdir().unwrap();
        let marker = CurrentRun::mark(dir.path(), "farm/03", "run-1").unwrap();
        assert_eq!(
            CurrentRun::read(dir.path(), "farm/03").as_deref(),
            Some("run-1")
        );
        drop(marker);
        assert_eq!(CurrentRun::read(dir.path(), "farm/03"), None);
    }
}
