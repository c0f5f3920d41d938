//! `telltale migrate-to postgres://…`: the SQLite database copied into an
//! empty PostgreSQL database, verified table by table.

use std::process::ExitCode;
use std::time::Instant;

use telltale_store::admin::{CopyReport, copy_to_postgres};

use super::lock::DatabaseLock;
use super::{Failure, finish};

pub fn migrate_to(url: &str) -> ExitCode {
    finish("migrate-to", run(url))
}

fn run(url: &str) -> Result<(), Failure> {
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err(Failure::Usage(
            "the target must be a postgres:// (or postgresql://) URL".into(),
        ));
    }
    let db = super::sqlite_database(
        "MONITOR_DATABASE_URL points to PostgreSQL already; migrate-to copies from SQLite: \
         set MONITOR_DB_PATH to the SQLite file and unset MONITOR_DATABASE_URL",
    )?;
    let _lock = DatabaseLock::acquire(&db)
        .map_err(|e| Failure::Refused(format!("{e}; stop the server, then migrate")))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Refused(format!("cannot start the async runtime: {e}")))?;
    let started = Instant::now();
    let report = runtime
        .block_on(copy_to_postgres(&db, url))
        .map_err(|e| Failure::Refused(format!("nothing copied: {e}")))?;
    let elapsed = started.elapsed();
    print_table(&report);
    let target = redacted(url);
    if !report.ok() {
        return Err(Failure::Refused(format!(
            "copying {} into {target} gave a mismatch (marked above): rolled back, the \
             target holds the schema and no rows",
            db.display()
        )));
    }
    println!(
        "migrate-to: copied {} rows from {} into {target} in {:.2} s ({:.0} rows/s), \
         one transaction, committed; counts and checksums match",
        report.rows(),
        db.display(),
        elapsed.as_secs_f64(),
        report.rows() as f64 / elapsed.as_secs_f64().max(1e-6)
    );
    let phases: Vec<String> = report
        .timings
        .iter()
        .map(|(phase, took)| format!("{phase} {:.2} s", took.as_secs_f64()))
        .collect();
    println!("migrate-to: {}", phases.join(", "));
    println!(
        "migrate-to: point the servers at it with MONITOR_DATABASE_URL; {} stays as it was",
        db.display()
    );
    Ok(())
}

fn print_table(report: &CopyReport) {
    println!(
        "{:<22} {:>10} {:>10}  {:<16}  {:<16}  ok",
        "table", "sqlite", "postgres", "sha256 sqlite", "sha256 postgres"
    );
    for t in &report.tables {
        println!(
            "{:<22} {:>10} {:>10}  {:<16}  {:<16}  {}",
            t.table,
            t.source_rows,
            t.target_rows,
            short(&t.source_sum),
            short(&t.target_sum),
            if t.ok() { "ok" } else { "MISMATCH" }
        );
        if let Some(difference) = &t.first_difference {
            println!("    first difference: {difference}");
        }
    }
}

fn short(sum: &str) -> &str {
    sum.get(..16).unwrap_or(sum)
}

/// The URL without its password, for printing.
fn redacted(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(Some("***"));
            }
            u.to_string()
        }
        Err(_) => "the PostgreSQL database".into(),
    }
}
