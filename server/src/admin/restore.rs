//! `telltale restore FILE`: puts a backup in place of the SQLite database,
//! only while no server runs on it, keeping the database it replaces.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use telltale_store::admin::{Inspection, SchemaAge, copy_online, inspect_file};

use super::lock::DatabaseLock;
use super::{Failure, file_name, finish, remove_temporary, same_file, sibling, sync_parent};

pub fn restore(file: &Path) -> ExitCode {
    finish("restore", run(file))
}

fn run(file: &Path) -> Result<(), Failure> {
    let db = super::sqlite_database(
        "MONITOR_DATABASE_URL points to PostgreSQL: restore it with pg_restore \
         (e.g. pg_restore --clean --dbname=\"$MONITOR_DATABASE_URL\" telltale.dump)",
    )?;
    if same_file(file, &db) {
        return Err(Failure::Usage(format!(
            "{} is the database itself",
            file.display()
        )));
    }
    let started = Instant::now();
    // Checked before anything moves: a file that is not a sound Telltale
    // database of this version or an older one is refused.
    let checked = inspect_file(file)
        .map_err(|e| Failure::Refused(format!("{} cannot be restored: {e}", file.display())))?;
    let _lock = DatabaseLock::acquire(&db)
        .map_err(|e| Failure::Refused(format!("{e}; stop the server, then restore")))?;
    let (tmp, inspection) = copy_beside(file, &db, &checked)?;
    let aside = move_aside(&db).map_err(|e| {
        remove_temporary(&tmp);
        Failure::Refused(format!(
            "nothing changed; cannot move {} aside: {e}",
            db.display()
        ))
    })?;
    if let Err(e) = std::fs::rename(&tmp, &db).and_then(|()| sync_parent(&db)) {
        return Err(Failure::Refused(format!(
            "cannot move the restored copy {} to {}: {e}; the previous database is at {}",
            tmp.display(),
            db.display(),
            aside
                .as_ref()
                .map_or("(there was none)".into(), |a| a.display().to_string())
        )));
    }
    println!(
        "restore: replaced {} with {} in {:.2} s ({} bytes); integrity_check ok",
        db.display(),
        file.display(),
        started.elapsed().as_secs_f64(),
        inspection.bytes
    );
    say_what_was_restored(&db, &inspection, aside.as_deref());
    Ok(())
}

/// Copies `file` through SQLite (a WAL beside it is included) into a
/// temporary file beside the database, and checks the copy holds what
/// `file` held. The temporary file is removed when anything fails.
fn copy_beside(
    file: &Path,
    db: &Path,
    checked: &Inspection,
) -> Result<(PathBuf, Inspection), Failure> {
    let tmp = sibling(
        db,
        &format!(".{}.restore-{}", file_name(db), std::process::id()),
    );
    remove_temporary(&tmp);
    let inspection = match copy_online(file, &tmp).and_then(|()| inspect_file(&tmp)) {
        Ok(inspection) => inspection,
        Err(e) => {
            remove_temporary(&tmp);
            return Err(Failure::Refused(format!(
                "nothing changed; copying {} failed: {e}",
                file.display()
            )));
        }
    };
    if inspection.tables != checked.tables {
        remove_temporary(&tmp);
        return Err(Failure::Refused(format!(
            "nothing changed; the copy of {} does not hold the same rows as the file \
             ({} against {})",
            file.display(),
            inspection.summary(),
            checked.summary()
        )));
    }
    Ok((tmp, inspection))
}

/// The restored schema's age, its rows, and where the previous database is.
fn say_what_was_restored(db: &Path, inspection: &Inspection, aside: Option<&Path>) {
    match &inspection.age {
        SchemaAge::Current => println!("restore: schema of this version"),
        SchemaAge::Older { missing } => println!(
            "restore: written by an older version; the server applies {} at start-up",
            missing.join(", ")
        ),
    }
    println!("restore: rows per table: {}", inspection.summary());
    match aside {
        Some(aside) => println!(
            "restore: the previous database is kept at {}",
            aside.display()
        ),
        None => println!("restore: there was no database at {} before", db.display()),
    }
}

/// Renames the database and its `-wal`/`-shm` (a killed server leaves
/// committed rows in the WAL) to `<db>.before-restore-<UTC time>`.
fn move_aside(db: &Path) -> std::io::Result<Option<PathBuf>> {
    if !db.exists() {
        return Ok(None);
    }
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
    let aside = sibling(db, &format!("{}.before-restore-{stamp}", file_name(db)));
    for suffix in ["-wal", "-shm", "-journal"] {
        let from = with_suffix(db, suffix);
        if from.exists() {
            std::fs::rename(&from, with_suffix(&aside, suffix))?;
        }
    }
    std::fs::rename(db, &aside)?;
    Ok(Some(aside))
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}
