//! The lock that makes a SQLite database one process's: a server holds an
//! exclusive advisory lock on `<db>.lock` for its lifetime, and `restore`
//! and `migrate-to` take the same lock, so neither can run under a live
//! server and a second server on the same file refuses to start. The
//! kernel drops the lock when the holder exits, however it exits.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use telltale_store::DatabaseTarget;

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "the SQLite database {db} is in use by another Telltale process{holder} \
         (it holds {lock})"
    )]
    Held {
        db: String,
        lock: String,
        /// " (pid 1234)" when the holder wrote its pid.
        holder: String,
    },
    #[error("cannot lock {lock}: {source}")]
    Io {
        lock: String,
        source: std::io::Error,
    },
}

impl LockError {
    /// The message a server that cannot start prints.
    pub fn at_startup(&self) -> String {
        match self {
            LockError::Held { .. } => format!(
                "{self}; SQLite mode runs one process: stop the other one, or use \
                 PostgreSQL (MONITOR_DATABASE_URL) for several instances"
            ),
            LockError::Io { .. } => format!("{self} (check MONITOR_DB_PATH)"),
        }
    }
}

/// Held while alive; dropping it (or the process ending) releases the lock.
#[derive(Debug)]
pub struct DatabaseLock {
    _file: File,
}

impl DatabaseLock {
    /// The lock for a server on `target`: SQLite only (several processes
    /// on one PostgreSQL are the point of PostgreSQL).
    pub fn for_server(target: &DatabaseTarget) -> Result<Option<DatabaseLock>, LockError> {
        match target {
            DatabaseTarget::Sqlite { path } => Self::acquire(path).map(Some),
            DatabaseTarget::Postgres { .. } => Ok(None),
        }
    }

    /// Takes the lock next to the database at `db`, or says who holds it.
    pub fn acquire(db: &Path) -> Result<DatabaseLock, LockError> {
        let lock = lock_path(db);
        let io = |source| LockError::Io {
            lock: lock.display().to_string(),
            source,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut pid = String::new();
                let _ = file.read_to_string(&mut pid);
                let pid = pid.trim();
                return Err(LockError::Held {
                    db: db.display().to_string(),
                    lock: lock.display().to_string(),
                    holder: if pid.is_empty() {
                        String::new()
                    } else {
                        format!(" (pid {pid})")
                    },
                });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        // Who holds it, for the message another process will print.
        file.set_len(0)
            .and_then(|()| file.seek(SeekFrom::Start(0)))
            .and_then(|_| writeln!(file, "{}", std::process::id()))
            .map_err(io)?;
        Ok(DatabaseLock { _file: file })
    }
}

/// `<db>.lock`, beside the database (never removed: removing a lock file
/// another process is about to lock would let two hold "the" lock).
pub fn lock_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}
