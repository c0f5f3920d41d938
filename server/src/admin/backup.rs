//! `telltale backup FILE`: a consistent copy of the live SQLite database,
//! taken while the server keeps ingesting, checked before it is kept.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use telltale_store::admin::{copy_online, inspect_file};

use super::{Failure, file_name, finish, remove_temporary, same_file, sibling, sync_parent};

pub fn backup(file: &Path, force: bool) -> ExitCode {
    finish("backup", run(file, force))
}

fn run(file: &Path, force: bool) -> Result<(), Failure> {
    let db = super::sqlite_database(
        "MONITOR_DATABASE_URL points to PostgreSQL: back it up with pg_dump \
         (e.g. pg_dump --format=custom --file=telltale.dump \"$MONITOR_DATABASE_URL\")",
    )?;
    if same_file(file, &db) {
        return Err(Failure::Usage(format!(
            "{} is the database itself; name a new file",
            file.display()
        )));
    }
    if file.exists() && !force {
        return Err(Failure::Refused(format!(
            "{} exists already; pass --force to replace it",
            file.display()
        )));
    }
    let started = Instant::now();
    // Written beside FILE and renamed over it only once checked: FILE is
    // either the old file or a complete, verified copy, never half of one.
    let tmp = sibling(
        file,
        &format!(".{}.tmp-{}", file_name(file), std::process::id()),
    );
    remove_temporary(&tmp);
    let checked = copy_online(&db, &tmp).and_then(|()| inspect_file(&tmp));
    let inspection = match checked {
        Ok(inspection) => inspection,
        Err(e) => {
            remove_temporary(&tmp);
            return Err(Failure::Refused(format!(
                "no backup written (copying {}): {e}",
                db.display()
            )));
        }
    };
    if let Err(e) = std::fs::rename(&tmp, file).and_then(|()| sync_parent(file)) {
        remove_temporary(&tmp);
        return Err(Failure::Refused(format!(
            "cannot move the copy into place at {}: {e}",
            file.display()
        )));
    }
    let elapsed = started.elapsed();
    let events = inspection.rows("events").unwrap_or(0);
    println!(
        "backup: copied {} to {} in {:.2} s ({} bytes); integrity_check ok; \
         {events} events ({:.0} events/s)",
        db.display(),
        file.display(),
        elapsed.as_secs_f64(),
        inspection.bytes,
        events as f64 / elapsed.as_secs_f64().max(1e-6),
    );
    println!("backup: rows per table: {}", inspection.summary());
    Ok(())
}
