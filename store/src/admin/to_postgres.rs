//! `telltale migrate-to`: every table of a SQLite file copied into an empty
//! PostgreSQL database, ids kept, sequences moved past them, and each table
//! read back and compared by row count and checksum before anything is
//! committed.

use std::path::Path;
use std::time::{Duration, Instant};

use futures_util::TryStreamExt;
use rusqlite::types::Value;
use sea_orm::sqlx::{self, Connection as _, PgConnection, Row as _};
use telltale_migration::{Migrator, MigratorTrait};

use super::checksum::RowsDigest;
use super::sqlite_file::{SchemaAge, inspect, open_existing, table_names};
use super::tables::{KNOWN_TABLES, TableSpec, quoted};
use super::{AdminError, Inspection};

/// Rows per INSERT: one array per column, so the statement has as many
/// parameters as the table has columns whatever the batch.
const BATCH: usize = 5_000;

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

/// How a column's values travel: the PostgreSQL type decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int8,
    Int4,
    Int2,
    Bool,
    Text,
}

impl Kind {
    fn from_pg(data_type: &str) -> Option<Kind> {
        Some(match data_type {
            "bigint" => Kind::Int8,
            "integer" => Kind::Int4,
            "smallint" => Kind::Int2,
            "boolean" => Kind::Bool,
            "text" | "character varying" => Kind::Text,
            _ => return None,
        })
    }

    fn array(self) -> &'static str {
        match self {
            Kind::Int8 => "int8[]",
            Kind::Int4 => "int4[]",
            Kind::Int2 => "int2[]",
            Kind::Bool => "bool[]",
            Kind::Text => "text[]",
        }
    }
}

/// One table's columns as both databases have them.
struct Layout {
    spec: &'static TableSpec,
    columns: Vec<(String, Kind)>,
    key_index: usize,
}

impl Layout {
    /// The PostgreSQL columns (after migration) must be exactly the SQLite
    /// file's: a column only one side has would be lost or left empty.
    async fn read(
        sqlite: &rusqlite::Connection,
        pg: &mut PgConnection,
        spec: &'static TableSpec,
    ) -> Result<Layout, AdminError> {
        let rows = sqlx::query(
            "SELECT column_name::text, data_type::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
        )
        .bind(spec.name)
        .fetch_all(&mut *pg)
        .await?;
        let mut columns = Vec::new();
        for row in rows {
            let name: String = row.try_get(0)?;
            let data_type: String = row.try_get(1)?;
            let kind = Kind::from_pg(&data_type).ok_or_else(|| {
                AdminError::refused(format!(
                    "{}.{name} has PostgreSQL type {data_type}, which this tool does not copy",
                    spec.name
                ))
            })?;
            columns.push((name, kind));
        }
        let mut stmt = sqlite.prepare(&format!("PRAGMA table_info({})", quoted(spec.name)))?;
        let mut in_file = stmt
            .query_map([], |r| r.get::<_, String>("name"))?
            .collect::<Result<Vec<_>, _>>()?;
        let mut in_pg: Vec<String> = columns.iter().map(|(n, _)| n.clone()).collect();
        in_file.sort();
        in_pg.sort();
        if in_file != in_pg {
            return Err(AdminError::refused(format!(
                "table {} has columns [{}] in the SQLite file but [{}] in PostgreSQL",
                spec.name,
                in_file.join(", "),
                in_pg.join(", ")
            )));
        }
        let key_index = columns
            .iter()
            .position(|(n, _)| n == spec.key)
            .ok_or_else(|| {
                AdminError::refused(format!("table {} has no column {}", spec.name, spec.key))
            })?;
        Ok(Layout {
            spec,
            columns,
            key_index,
        })
    }

    fn column_list(&self) -> String {
        self.columns
            .iter()
            .map(|(n, _)| quoted(n))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Copies the table in key order, batch by batch; the SQLite side's
    /// rows count and checksum, as read.
    async fn copy(
        &self,
        sqlite: &rusqlite::Connection,
        pg: &mut PgConnection,
    ) -> Result<(u64, String), AdminError> {
        let table = quoted(self.spec.name);
        let key = quoted(self.spec.key);
        let cols = self.column_list();
        let arrays = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, (_, kind))| format!("${}::{}", i + 1, kind.array()))
            .collect::<Vec<_>>()
            .join(", ");
        // OVERRIDING SYSTEM VALUE: ids are kept even where a column is an
        // identity column that generates its own.
        let insert = format!(
            "INSERT INTO {table} ({cols}) OVERRIDING SYSTEM VALUE SELECT * FROM UNNEST({arrays})"
        );
        let first = format!("SELECT {cols} FROM {table} ORDER BY {key} LIMIT {BATCH}");
        let next =
            format!("SELECT {cols} FROM {table} WHERE {key} > ?1 ORDER BY {key} LIMIT {BATCH}");
        let mut digest = RowsDigest::default();
        let mut after: Option<Value> = None;
        loop {
            let rows = match &after {
                None => read_rows(sqlite, &first, [], self.columns.len())?,
                Some(k) => read_rows(sqlite, &next, [k], self.columns.len())?,
            };
            let Some(last) = rows.last() else { break };
            after = Some(last[self.key_index].clone());
            let mut buffers: Vec<Buffer> = self
                .columns
                .iter()
                .map(|(_, kind)| Buffer::new(*kind, rows.len()))
                .collect();
            for row in &rows {
                for ((value, buffer), (column, _)) in
                    row.iter().zip(&mut buffers).zip(&self.columns)
                {
                    let text = buffer.push(value).map_err(|problem| {
                        AdminError::refused(format!(
                            "{}.{column} of the row with {} = {}: {problem}",
                            self.spec.name,
                            self.spec.key,
                            shown(&row[self.key_index])
                        ))
                    })?;
                    digest.value(text.as_deref());
                }
                digest.end_row();
            }
            let mut query = sqlx::query(audited(insert.clone()));
            for buffer in buffers {
                query = buffer.bind(query);
            }
            query.execute(&mut *pg).await?;
        }
        Ok(digest.finish())
    }

    /// Moves every sequence of the table past the largest id copied, so the
    /// next row PostgreSQL numbers does not collide with a copied one.
    async fn reset_sequences(&self, pg: &mut PgConnection) -> Result<Option<i64>, AdminError> {
        let mut next_id = None;
        for (column, kind) in &self.columns {
            if !matches!(kind, Kind::Int8 | Kind::Int4 | Kind::Int2) {
                continue;
            }
            let sequence: Option<String> =
                sqlx::query_scalar("SELECT pg_get_serial_sequence($1, $2)")
                    .bind(self.spec.name)
                    .bind(column)
                    .fetch_one(&mut *pg)
                    .await?;
            let Some(sequence) = sequence else { continue };
            let next: i64 = sqlx::query_scalar(audited(format!(
                "SELECT COALESCE((SELECT max({}) FROM {}), 0)::int8 + 1",
                quoted(column),
                quoted(self.spec.name)
            )))
            .fetch_one(&mut *pg)
            .await?;
            sqlx::query("SELECT setval($1::regclass, $2, false)")
                .bind(&sequence)
                .bind(next)
                .execute(&mut *pg)
                .await?;
            next_id = Some(next);
        }
        Ok(next_id)
    }

    /// The rows as PostgreSQL now holds them, in the same order as SQLite
    /// read them.
    async fn digest_target(&self, pg: &mut PgConnection) -> Result<(u64, String), AdminError> {
        let mut digest = RowsDigest::default();
        let mut rows = sqlx::query(audited(self.target_select())).fetch(&mut *pg);
        while let Some(row) = rows.try_next().await? {
            for i in 0..self.columns.len() {
                let text: Option<String> = row.try_get(i)?;
                digest.value(text.as_deref());
            }
            digest.end_row();
        }
        Ok(digest.finish())
    }

    /// Walks both sides in key order to name the first row that differs
    /// (only after a checksum mismatch: the message an operator needs).
    async fn first_difference(
        &self,
        sqlite: &rusqlite::Connection,
        pg: &mut PgConnection,
    ) -> Result<Option<String>, AdminError> {
        let table = quoted(self.spec.name);
        let key = quoted(self.spec.key);
        let cols = self.column_list();
        let first = format!("SELECT {cols} FROM {table} ORDER BY {key} LIMIT {BATCH}");
        let next =
            format!("SELECT {cols} FROM {table} WHERE {key} > ?1 ORDER BY {key} LIMIT {BATCH}");
        let mut target = sqlx::query(audited(self.target_select())).fetch(&mut *pg);
        let mut after: Option<Value> = None;
        loop {
            let rows = match &after {
                None => read_rows(sqlite, &first, [], self.columns.len())?,
                Some(k) => read_rows(sqlite, &next, [k], self.columns.len())?,
            };
            let Some(last) = rows.last() else {
                let extra = target.try_next().await?;
                return Ok(extra.map(|_| "PostgreSQL holds more rows than SQLite".to_owned()));
            };
            after = Some(last[self.key_index].clone());
            for row in &rows {
                let at = format!("{} = {}", self.spec.key, shown(&row[self.key_index]));
                let Some(pg_row) = target.try_next().await? else {
                    return Ok(Some(format!("the row with {at} is missing in PostgreSQL")));
                };
                for (i, (value, (column, kind))) in row.iter().zip(&self.columns).enumerate() {
                    let ours = Buffer::new(*kind, 1).push(value).unwrap_or_default();
                    let theirs: Option<String> = pg_row.try_get(i)?;
                    if ours != theirs {
                        return Ok(Some(format!(
                            "row with {at}, column {column}: SQLite {ours:?}, PostgreSQL {theirs:?}"
                        )));
                    }
                }
            }
        }
    }

    /// Every column as text, in key order: text keys compare bytewise in
    /// SQLite (BINARY), so in the "C" collation here.
    fn target_select(&self) -> String {
        let texts = self
            .columns
            .iter()
            .enumerate()
            // Aliased: an output column named like the key would be what
            // ORDER BY sorts, as text ("10" before "2").
            .map(|(i, (n, _))| format!("{}::text AS c{i}", quoted(n)))
            .collect::<Vec<_>>()
            .join(", ");
        let collate = if self.columns[self.key_index].1 == Kind::Text {
            " COLLATE \"C\""
        } else {
            ""
        };
        format!(
            "SELECT {texts} FROM {} ORDER BY {}{collate}",
            quoted(self.spec.name),
            quoted(self.spec.key)
        )
    }
}

/// Generated SQL: identifiers come from [`KNOWN_TABLES`] and the
/// database's own catalogue, always quoted; values are bound.
fn audited(sql: String) -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(sql)
}

fn read_rows<P: rusqlite::Params>(
    sqlite: &rusqlite::Connection,
    sql: &str,
    params: P,
    width: usize,
) -> Result<Vec<Vec<Value>>, AdminError> {
    let mut stmt = sqlite.prepare_cached(sql)?;
    let rows = stmt
        .query_map(params, |r| {
            (0..width)
                .map(|i| r.get::<_, Value>(i))
                .collect::<Result<Vec<_>, _>>()
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

fn shown(value: &Value) -> String {
    match value {
        Value::Null => "NULL".into(),
        Value::Integer(i) => i.to_string(),
        Value::Real(f) => f.to_string(),
        Value::Text(s) => format!("{s:?}"),
        Value::Blob(b) => format!("<{} bytes>", b.len()),
    }
}

/// One column of a batch, typed for PostgreSQL.
enum Buffer {
    Int8(Vec<Option<i64>>),
    Int4(Vec<Option<i32>>),
    Int2(Vec<Option<i16>>),
    Bool(Vec<Option<bool>>),
    Text(Vec<Option<String>>),
}

impl Buffer {
    fn new(kind: Kind, capacity: usize) -> Buffer {
        match kind {
            Kind::Int8 => Buffer::Int8(Vec::with_capacity(capacity)),
            Kind::Int4 => Buffer::Int4(Vec::with_capacity(capacity)),
            Kind::Int2 => Buffer::Int2(Vec::with_capacity(capacity)),
            Kind::Bool => Buffer::Bool(Vec::with_capacity(capacity)),
            Kind::Text => Buffer::Text(Vec::with_capacity(capacity)),
        }
    }

    /// Takes one SQLite value and gives its text for the checksum. A value
    /// the PostgreSQL column cannot hold as it is (a real, a blob, an
    /// out-of-range number, text with a NUL) is refused, never coerced.
    fn push(&mut self, value: &Value) -> Result<Option<String>, String> {
        if matches!(value, Value::Null) {
            match self {
                Buffer::Int8(v) => v.push(None),
                Buffer::Int4(v) => v.push(None),
                Buffer::Int2(v) => v.push(None),
                Buffer::Bool(v) => v.push(None),
                Buffer::Text(v) => v.push(None),
            }
            return Ok(None);
        }
        let text = match (self, value) {
            (Buffer::Int8(v), Value::Integer(i)) => {
                v.push(Some(*i));
                i.to_string()
            }
            (Buffer::Int4(v), Value::Integer(i)) => {
                let n =
                    i32::try_from(*i).map_err(|_| format!("{i} is out of range for integer"))?;
                v.push(Some(n));
                n.to_string()
            }
            (Buffer::Int2(v), Value::Integer(i)) => {
                let n =
                    i16::try_from(*i).map_err(|_| format!("{i} is out of range for smallint"))?;
                v.push(Some(n));
                n.to_string()
            }
            (Buffer::Bool(v), Value::Integer(i @ (0 | 1))) => {
                v.push(Some(*i == 1));
                if *i == 1 { "true" } else { "false" }.to_owned()
            }
            (Buffer::Text(v), Value::Text(s)) => {
                if s.contains('\0') {
                    return Err("text with a NUL character, which PostgreSQL cannot store".into());
                }
                v.push(Some(s.clone()));
                s.clone()
            }
            (buffer, other) => {
                return Err(format!(
                    "{} is not a value for a {} column",
                    shown(other),
                    buffer.kind_name()
                ));
            }
        };
        Ok(Some(text))
    }

    fn kind_name(&self) -> &'static str {
        match self {
            Buffer::Int8(_) => "bigint",
            Buffer::Int4(_) => "integer",
            Buffer::Int2(_) => "smallint",
            Buffer::Bool(_) => "boolean",
            Buffer::Text(_) => "text",
        }
    }

    fn bind<'q>(
        self,
        query: sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>,
    ) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
        match self {
            Buffer::Int8(v) => query.bind(v),
            Buffer::Int4(v) => query.bind(v),
            Buffer::Int2(v) => query.bind(v),
            Buffer::Bool(v) => query.bind(v),
            Buffer::Text(v) => query.bind(v),
        }
    }
}
