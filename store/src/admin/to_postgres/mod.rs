//! `telltale migrate-to`: every table of a SQLite file copied into an empty
//! PostgreSQL database, ids kept, sequences moved past them, and each table
//! read back and compared by row count and checksum before anything is
//! committed.

use std::path::Path;
use std::time::{Duration, Instant};

use sea_orm::sqlx::{self, Connection as _, PgConnection};
use telltale_migration::{Migrator, MigratorTrait};

use super::sqlite_file::{SchemaAge, inspect, open_existing, table_names};
use super::tables::{KNOWN_TABLES, quoted};
use super::{AdminError, Inspection};

mod layout;
mod values;

use layout::Layout;
use values::audited;

/// Rows per INSERT: one array per column, so the statement has as many
/// parameters as the table has columns whatever the batch.
pub(super) const BATCH: usize = 5_000;

/// One table's outcome.
#[derive(Debug, Clone)]
pub struct TableCopy {
    pub table: String,
    pub source_rows: u64,
    pub target_rows: u64,
    pub source_sum: String,
    pub target_sum: String,
    /// The next id PostgreSQL will hand out, for tables with a sequence.
    pub next_id: Option<i64>,
    /// On a mismatch, the first row that differs and how.
    pub first_difference: Option<String>,
}

impl TableCopy {
    pub fn ok(&self) -> bool {
        self.source_rows == self.target_rows && self.source_sum == self.target_sum
    }
}

#[derive(Debug, Clone)]
pub struct CopyReport {
    pub tables: Vec<TableCopy>,
    /// False when a mismatch rolled the copy back.
    pub committed: bool,
    /// Checking the file and preparing the target; copying; reading
    /// PostgreSQL back and comparing.
    pub timings: [(&'static str, Duration); 3],
}

impl CopyReport {
    pub fn ok(&self) -> bool {
        self.committed && self.tables.iter().all(TableCopy::ok)
    }

    pub fn rows(&self) -> u64 {
        self.tables.iter().map(|t| t.source_rows).sum()
    }
}

/// Copies the SQLite database at `source` into the PostgreSQL database at
/// `url`. The caller holds the file's lock (no server writes meanwhile).
///
/// One transaction for every table: a failure or a mismatch leaves the
/// target as it was (migrated, empty), so a second attempt starts clean;
/// PostgreSQL holds a transaction of millions of rows without trouble.
pub async fn copy_to_postgres(source: &Path, url: &str) -> Result<CopyReport, AdminError> {
    let started = Instant::now();
    let sqlite = open_existing(source)?;
    // One read transaction: every table is read from the same snapshot.
    sqlite.execute_batch("BEGIN")?;
    let inspection = inspect(&sqlite, source)?;
    require_current(&inspection, source)?;
    require_every_table(&sqlite, source)?;
    require_parents_first(&sqlite)?;

    let db = sea_orm::Database::connect(url)
        .await
        .map_err(|e| AdminError::refused(format!("cannot connect to PostgreSQL: {e}")))?;
    Migrator::up(&db, None).await?;
    db.close().await?;

    let mut pg = PgConnection::connect(url).await?;
    let mut layouts = Vec::new();
    for spec in KNOWN_TABLES {
        layouts.push(Layout::read(&sqlite, &mut pg, spec).await?);
    }

    let mut tx = pg.begin().await?;
    // Nobody writes to these tables until the copy commits or rolls back
    // (a server started on the target meanwhile waits); emptiness is
    // judged under that lock.
    let all: Vec<String> = KNOWN_TABLES.iter().map(|t| quoted(t.name)).collect();
    sqlx::query(audited(format!(
        "LOCK TABLE {} IN EXCLUSIVE MODE",
        all.join(", ")
    )))
    .execute(&mut *tx)
    .await?;
    require_empty(&mut tx).await?;
    let checked = started.elapsed();
    let mut sums = Vec::new();
    for layout in &layouts {
        sums.push(layout.copy(&sqlite, &mut tx).await?);
    }
    let copied = started.elapsed() - checked;
    let mut tables = Vec::new();
    for (layout, (source_rows, source_sum)) in layouts.iter().zip(sums) {
        let next_id = layout.reset_sequences(&mut tx).await?;
        let (target_rows, target_sum) = layout.digest_target(&mut tx).await?;
        let first_difference = if (source_rows, &source_sum) == (target_rows, &target_sum) {
            None
        } else {
            layout.first_difference(&sqlite, &mut tx).await?
        };
        tables.push(TableCopy {
            table: layout.spec.name.to_owned(),
            source_rows,
            target_rows,
            source_sum,
            target_sum,
            next_id,
            first_difference,
        });
    }
    let verified = started.elapsed() - checked - copied;
    let committed = tables.iter().all(TableCopy::ok);
    if committed {
        tx.commit().await?;
    } else {
        tx.rollback().await?;
    }
    pg.close().await?;
    sqlite.execute_batch("COMMIT")?;
    Ok(CopyReport {
        tables,
        committed,
        timings: [
            ("checking and preparing", checked),
            ("copying", copied),
            ("reading back and comparing", verified),
        ],
    })
}

fn require_current(inspection: &Inspection, source: &Path) -> Result<(), AdminError> {
    match &inspection.age {
        SchemaAge::Current => Ok(()),
        SchemaAge::Older { missing } => Err(AdminError::refused(format!(
            "{} lacks migrations {}: start this version's server on it once (it migrates \
             at start-up), stop it, then run migrate-to again",
            source.display(),
            missing.join(", ")
        ))),
    }
}

fn require_every_table(sqlite: &rusqlite::Connection, source: &Path) -> Result<(), AdminError> {
    let present = table_names(sqlite)?;
    let absent: Vec<&str> = KNOWN_TABLES
        .iter()
        .map(|t| t.name)
        .filter(|t| !present.iter().any(|p| p == t))
        .collect();
    if absent.is_empty() {
        Ok(())
    } else {
        Err(AdminError::refused(format!(
            "{} lacks tables {}",
            source.display(),
            absent.join(", ")
        )))
    }
}

/// The copy inserts tables in [`KNOWN_TABLES`] order; a foreign key to a
/// table copied later (a future migration's) would fail half-way.
fn require_parents_first(sqlite: &rusqlite::Connection) -> Result<(), AdminError> {
    let position = |name: &str| KNOWN_TABLES.iter().position(|t| t.name == name);
    for (i, spec) in KNOWN_TABLES.iter().enumerate() {
        let mut stmt =
            sqlite.prepare(&format!("PRAGMA foreign_key_list({})", quoted(spec.name)))?;
        let parents = stmt
            .query_map([], |r| r.get::<_, String>("table"))?
            .collect::<Result<Vec<_>, _>>()?;
        for parent in parents {
            if position(&parent).is_none_or(|p| p >= i) {
                return Err(AdminError::refused(format!(
                    "{} references {parent}, which this tool does not copy before it",
                    spec.name
                )));
            }
        }
    }
    Ok(())
}

async fn require_empty(pg: &mut PgConnection) -> Result<(), AdminError> {
    let mut occupied = Vec::new();
    for spec in KNOWN_TABLES {
        let rows: i64 = sqlx::query_scalar(audited(format!(
            "SELECT count(*) FROM {}",
            quoted(spec.name)
        )))
        .fetch_one(&mut *pg)
        .await?;
        if rows > 0 {
            occupied.push(format!("{} ({rows} rows)", spec.name));
        }
    }
    if occupied.is_empty() {
        Ok(())
    } else {
        Err(AdminError::refused(format!(
            "the PostgreSQL database already holds data: {}; migrate-to copies into an empty \
             database only (create a new one, or empty these tables)",
            occupied.join(", ")
        )))
    }
}
