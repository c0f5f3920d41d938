//! A SQLite file as the admin commands see it: opened without creating it,
//! checked (integrity, Telltale's schema, known migrations and tables),
//! counted, and copied online.

use std::path::Path;
use std::thread::sleep;
use std::time::{Duration, Instant};

use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, ErrorCode, OpenFlags};
use telltale_migration::{Migrator, MigratorTrait};

use super::AdminError;
use super::tables::{KNOWN_TABLES, MIGRATIONS_TABLE, derived, known, quoted};

/// How long the online copy waits for a lock before giving up.
const LOCK_WAIT: Duration = Duration::from_secs(10);

/// How a file's applied migrations compare with this binary's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemaAge {
    /// Every migration this binary knows is applied.
    Current,
    /// Written by an older Telltale: these migrations are not applied yet
    /// (a server of this version applies them when it starts).
    Older { missing: Vec<String> },
}

/// What [`inspect_file`] found in a file that passed every check.
#[derive(Debug, Clone)]
pub struct Inspection {
    pub age: SchemaAge,
    /// Rows per table, in [`KNOWN_TABLES`] order, for the tables present.
    pub tables: Vec<(String, u64)>,
    pub bytes: u64,
}

impl Inspection {
    pub fn rows(&self, table: &str) -> Option<u64> {
        self.tables
            .iter()
            .find(|(t, _)| t == table)
            .map(|(_, n)| *n)
    }

    /// `events 100000, runs 2000, …`: every table, for a person to read.
    pub fn summary(&self) -> String {
        self.tables
            .iter()
            .map(|(t, n)| format!("{t} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Opens an existing database for reading and writing (a read-only handle
/// cannot join a WAL database whose `-shm` is missing); never creates one.
pub(crate) fn open_existing(path: &Path) -> Result<Connection, AdminError> {
    if !path.is_file() {
        return Err(AdminError::refused(format!(
            "{} does not exist or is not a file",
            path.display()
        )));
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(LOCK_WAIT)?;
    Ok(conn)
}

/// Checks the file at `path` the way a restore or a migration must before
/// trusting it, and counts its rows.
pub fn inspect_file(path: &Path) -> Result<Inspection, AdminError> {
    let conn = open_existing(path)?;
    let inspection = inspect(&conn, path)?;
    conn.close().map_err(|(_, e)| e)?;
    Ok(inspection)
}

/// The checks, in order: SQLite can read it and finds it intact
/// (`PRAGMA integrity_check`); it carries Telltale's migrations table; no
/// migration in it is unknown to this binary; no table is unknown either.
pub(crate) fn inspect(conn: &Connection, path: &Path) -> Result<Inspection, AdminError> {
    let shown = path.display();
    let problems = integrity_problems(conn).map_err(|e| match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => {
            AdminError::refused(format!("{shown} is not a SQLite database"))
        }
        _ => AdminError::Sqlite(e),
    })?;
    if !problems.is_empty() {
        return Err(AdminError::refused(format!(
            "{shown} fails SQLite's integrity check: {}",
            problems.join("; ")
        )));
    }
    let tables = table_names(conn)?;
    if !tables.iter().any(|t| t == MIGRATIONS_TABLE) {
        return Err(AdminError::refused(format!(
            "{shown} is a SQLite database but not Telltale's: it has no {MIGRATIONS_TABLE} table"
        )));
    }
    let age = schema_age(conn, &shown.to_string())?;
    let foreign: Vec<&str> = tables
        .iter()
        .map(String::as_str)
        .filter(|t| *t != MIGRATIONS_TABLE && known(t).is_none() && !derived(t))
        .collect();
    if !foreign.is_empty() {
        return Err(AdminError::refused(format!(
            "{shown} has tables this Telltale does not know: {} (a newer version's, or added by hand)",
            foreign.join(", ")
        )));
    }
    let mut counts = Vec::new();
    for spec in KNOWN_TABLES {
        if tables.iter().any(|t| t == spec.name) {
            let n: i64 = conn.query_row(
                &format!("SELECT count(*) FROM {}", quoted(spec.name)),
                [],
                |r| r.get(0),
            )?;
            counts.push((spec.name.to_owned(), n.max(0) as u64));
        }
    }
    let bytes = std::fs::metadata(path)
        .map_err(|e| AdminError::io(path, e))?
        .len();
    Ok(Inspection {
        age,
        tables: counts,
        bytes,
    })
}

/// What `PRAGMA integrity_check` reports beyond "ok" (the first ten lines).
fn integrity_problems(conn: &Connection) -> Result<Vec<String>, rusqlite::Error> {
    let mut stmt = conn.prepare("PRAGMA integrity_check(10)")?;
    let lines = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(lines.into_iter().filter(|l| l != "ok").collect())
}

pub(crate) fn table_names(conn: &Connection) -> Result<Vec<String>, rusqlite::Error> {
    let mut stmt = conn.prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' \
         AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
    )?;
    stmt.query_map([], |r| r.get::<_, String>(0))?.collect()
}

/// Refuses a file with a migration this binary does not have: its schema
/// may hold columns or meanings this version would lose or misread.
fn schema_age(conn: &Connection, shown: &str) -> Result<SchemaAge, AdminError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT version FROM {} ORDER BY version",
        quoted(MIGRATIONS_TABLE)
    ))?;
    let applied = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    let ours: Vec<String> = Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    let unknown: Vec<&str> = applied
        .iter()
        .filter(|v| !ours.contains(v))
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        return Err(AdminError::refused(format!(
            "{shown} was written by a newer Telltale: migration {} is unknown to this one \
             (version {}); use that version or a newer one",
            unknown.join(", "),
            env!("CARGO_PKG_VERSION")
        )));
    }
    let missing: Vec<String> = ours.into_iter().filter(|m| !applied.contains(m)).collect();
    Ok(if missing.is_empty() {
        SchemaAge::Current
    } else {
        SchemaAge::Older { missing }
    })
}

/// Copies the database at `src` into a new file `dst` through SQLite's
/// online backup API, all pages in one step: one read transaction, so the
/// copy is the database as of one instant while a server keeps writing (in
/// WAL mode the writer neither waits for this reader nor disturbs it).
/// The copy is left as a single self-contained file (rollback journal, no
/// `-wal`), flushed to disk.
pub fn copy_online(src: &Path, dst: &Path) -> Result<(), AdminError> {
    let source = open_existing(src)?;
    if dst.exists() {
        return Err(AdminError::refused(format!(
            "{} exists already",
            dst.display()
        )));
    }
    let mut target = Connection::open(dst)?;
    {
        let backup = Backup::new(&source, &mut target)?;
        let started = Instant::now();
        loop {
            match backup.step(-1)? {
                StepResult::Done => break,
                StepResult::More => continue,
                // Busy or locked: a writer is checkpointing; retry shortly.
                _ if started.elapsed() < LOCK_WAIT => sleep(Duration::from_millis(50)),
                other => {
                    return Err(AdminError::refused(format!(
                        "{} stayed locked for {LOCK_WAIT:?} ({other:?})",
                        src.display()
                    )));
                }
            }
        }
    }
    // The page copy carries the source's WAL flag; a backup file is better
    // one file alone. The server switches WAL on again when it opens it.
    let mode: String = target.query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("delete") {
        return Err(AdminError::refused(format!(
            "{} stayed in journal mode {mode}",
            dst.display()
        )));
    }
    target.close().map_err(|(_, e)| e)?;
    source.close().map_err(|(_, e)| e)?;
    std::fs::File::open(dst)
        .and_then(|f| f.sync_all())
        .map_err(|e| AdminError::io(dst, e))
}
