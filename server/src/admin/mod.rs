//! `telltale backup`, `restore` and `migrate-to`: the operator's commands
//! around the database. Each prints what it did (files, rows per table,
//! time) and ends with exit code 0 when done, 1 when it refused or failed
//! (the message names the problem; nothing was changed unless it says so),
//! 2 when the command does not apply to this configuration.

mod backup;
mod lock;
mod migrate_to;
mod restore;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use telltale_store::DatabaseTarget;

pub use backup::backup;
pub use lock::{DatabaseLock, LockError, lock_path};
pub use migrate_to::migrate_to;
pub use restore::restore;

use crate::Config;

/// Why a command stopped.
enum Failure {
    /// Exit 2: wrong settings or arguments for this command.
    Usage(String),
    /// Exit 1: refused or failed.
    Refused(String),
}

fn finish(command: &str, result: Result<(), Failure>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(message)) => {
            eprintln!("telltale {command}: {message}");
            ExitCode::from(2)
        }
        Err(Failure::Refused(message)) => {
            eprintln!("telltale {command}: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The SQLite file the server's settings name (MONITOR_DB_PATH or a
/// `sqlite://` MONITOR_DATABASE_URL); on PostgreSQL, `on_postgres` says
/// what to do instead.
fn sqlite_database(on_postgres: &str) -> Result<PathBuf, Failure> {
    match Config::database_from_env() {
        Ok(DatabaseTarget::Sqlite { path }) => Ok(path),
        Ok(DatabaseTarget::Postgres { .. }) => Err(Failure::Usage(on_postgres.to_owned())),
        Err(e) => Err(Failure::Usage(format!("configuration error: {e}"))),
    }
}

/// True when `a` and `b` name the same existing file.
fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// `name` in the directory of `beside`.
fn sibling(beside: &Path, name: &str) -> PathBuf {
    beside.with_file_name(name)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "telltale.sqlite".to_owned())
}

/// Makes a rename in the directory of `path` durable.
fn sync_parent(path: &Path) -> std::io::Result<()> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::File::open(parent)?.sync_all()
}

/// Removes a temporary database file and whatever SQLite left beside it.
fn remove_temporary(path: &Path) {
    for suffix in ["", "-journal", "-wal", "-shm"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(name));
    }
}
