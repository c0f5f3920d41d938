//! Moving values between the two databases: rows read from SQLite, and
//! columns of a batch typed for PostgreSQL.

use rusqlite::types::Value;
use sea_orm::sqlx;

use crate::admin::AdminError;

use super::layout::Kind;

/// Generated SQL: identifiers come from [`KNOWN_TABLES`] and the
/// database's own catalogue, always quoted; values are bound.
pub(super) fn audited(sql: String) -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(sql)
}

pub(super) fn read_rows<P: rusqlite::Params>(
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

pub(super) fn shown(value: &Value) -> String {
    match value {
        Value::Null => "NULL".into(),
        Value::Integer(i) => i.to_string(),
        Value::Real(f) => f.to_string(),
        Value::Text(s) => format!("{s:?}"),
        Value::Blob(b) => format!("<{} bytes>", b.len()),
    }
}

/// One column of a batch, typed for PostgreSQL.
pub(super) enum Buffer {
    Int8(Vec<Option<i64>>),
    Int4(Vec<Option<i32>>),
    Int2(Vec<Option<i16>>),
    Bool(Vec<Option<bool>>),
    Text(Vec<Option<String>>),
}

impl Buffer {
    pub(super) fn new(kind: Kind, capacity: usize) -> Buffer {
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
    pub(super) fn push(&mut self, value: &Value) -> Result<Option<String>, String> {
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

    pub(super) fn kind_name(&self) -> &'static str {
        match self {
            Buffer::Int8(_) => "bigint",
            Buffer::Int4(_) => "integer",
            Buffer::Int2(_) => "smallint",
            Buffer::Bool(_) => "boolean",
            Buffer::Text(_) => "text",
        }
    }

    pub(super) fn bind<'q>(
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
