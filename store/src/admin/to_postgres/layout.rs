//! One table's columns as both databases have them, and copying,
//! checking and comparing that table.

use futures_util::TryStreamExt;
use rusqlite::types::Value;
use sea_orm::sqlx::{self, PgConnection, Row as _};

use crate::admin::AdminError;
use crate::admin::checksum::RowsDigest;
use crate::admin::tables::{TableSpec, quoted};

use super::BATCH;
use super::values::{Buffer, audited, read_rows, shown};

/// How a column's values travel: the PostgreSQL type decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Int8,
    Int4,
    Int2,
    Bool,
    Text,
}

impl Kind {
    pub(super) fn from_pg(data_type: &str) -> Option<Kind> {
        Some(match data_type {
            "bigint" => Kind::Int8,
            "integer" => Kind::Int4,
            "smallint" => Kind::Int2,
            "boolean" => Kind::Bool,
            "text" | "character varying" => Kind::Text,
            _ => return None,
        })
    }

    pub(super) fn array(self) -> &'static str {
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
pub(super) struct Layout {
    pub(super) spec: &'static TableSpec,
    pub(super) columns: Vec<(String, Kind)>,
    pub(super) key_index: usize,
}

impl Layout {
    /// The PostgreSQL columns (after migration) must be exactly the SQLite
    /// file's: a column only one side has would be lost or left empty.
    pub(super) async fn read(
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

    pub(super) fn column_list(&self) -> String {
        self.columns
            .iter()
            .map(|(n, _)| quoted(n))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Copies the table in key order, batch by batch; the SQLite side's
    /// rows count and checksum, as read.
    pub(super) async fn copy(
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
    pub(super) async fn reset_sequences(
        &self,
        pg: &mut PgConnection,
    ) -> Result<Option<i64>, AdminError> {
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
    pub(super) async fn digest_target(
        &self,
        pg: &mut PgConnection,
    ) -> Result<(u64, String), AdminError> {
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
    pub(super) async fn first_difference(
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
    pub(super) fn target_select(&self) -> String {
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
