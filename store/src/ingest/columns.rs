//! The columns ingest writes, defined once: those the row conversions in
//! `convert` (`run_to_row`, `job_to_row`, `worker_to_row`) set. Both
//! backends take the column list and the values from the same row, so a
//! column added to a conversion is written by both, and none can drift out
//! of line with its value. What the conversions leave unset (an alert's
//! acknowledgements, the engine's check state, the operator's badge
//! choice) ingest never touches.

use sea_orm::ActiveValue::NotSet;
use sea_orm::{ActiveModelTrait, EntityName, EntityTrait, IdenStatic, Iterable, Value};
use telltale_model::{Job, Run, Worker};

use crate::StoreError;
use crate::convert::{job_to_row, run_to_row, worker_to_row};
use crate::entity::{job, run, worker};

type ColumnOf<A> = <<A as ActiveModelTrait>::Entity as EntityTrait>::Column;

/// A run's row as ingest writes it: its `seq` is the database's to give
/// (a new run) or to keep (a known one).
pub(crate) fn run_row(r: &Run) -> run::ActiveModel {
    let mut row = run_to_row(r);
    row.seq = NotSet;
    row
}

pub(crate) fn job_row(j: &Job) -> job::ActiveModel {
    job_to_row(j)
}

pub(crate) fn worker_row(w: &Worker) -> worker::ActiveModel {
    worker_to_row(w)
}

/// The columns `row` sets, in the entity's order. The same for every row a
/// conversion makes, so one row's list serves them all.
pub(crate) fn written<A: ActiveModelTrait>(row: &A) -> Vec<ColumnOf<A>> {
    ColumnOf::<A>::iter()
        .filter(|c| row.get(*c).is_set())
        .collect()
}

/// The name of `A`'s table.
pub(crate) fn table<A: ActiveModelTrait>() -> &'static str {
    <A::Entity as Default>::default().table_name()
}

pub(crate) fn name<C: IdenStatic>(column: &C) -> &'static str {
    column.as_str()
}

/// `row`'s value for each of `columns`, as SQLite binds it (moved out of
/// the row, not copied).
pub(crate) fn sqlite_values<A: ActiveModelTrait>(
    mut row: A,
    columns: &[ColumnOf<A>],
) -> Result<Vec<rusqlite::types::Value>, StoreError> {
    columns
        .iter()
        .map(|c| to_sqlite(row.take(*c).into_value(), name(c)))
        .collect()
}

fn to_sqlite(value: Option<Value>, column: &str) -> Result<rusqlite::types::Value, StoreError> {
    use rusqlite::types::Value as Sql;
    Ok(match value {
        None => Sql::Null,
        Some(Value::Bool(v)) => v.map_or(Sql::Null, |b| Sql::Integer(i64::from(b))),
        Some(Value::SmallInt(v)) => v.map_or(Sql::Null, |n| Sql::Integer(n.into())),
        Some(Value::Int(v)) => v.map_or(Sql::Null, |n| Sql::Integer(n.into())),
        Some(Value::BigInt(v)) => v.map_or(Sql::Null, Sql::Integer),
        Some(Value::Double(v)) => v.map_or(Sql::Null, Sql::Real),
        Some(Value::String(v)) => v.map_or(Sql::Null, Sql::Text),
        Some(other) => {
            return Err(StoreError::Query(format!(
                "column {column}: no SQLite binding for {other:?}"
            )));
        }
    })
}

/// `INSERT … ON CONFLICT(key) DO UPDATE SET` every column but the key.
/// The schema's trigger refuses any update of a terminal run.
pub(crate) fn sqlite_upsert(table: &str, columns: &[&str], key: &str) -> String {
    let placeholders: Vec<String> = (1..=columns.len()).map(|i| format!("?{i}")).collect();
    let updates: Vec<String> = columns
        .iter()
        .filter(|c| **c != key)
        .map(|c| format!("{c} = excluded.{c}"))
        .collect();
    format!(
        "INSERT INTO {table} ({}) VALUES ({}) ON CONFLICT({key}) DO UPDATE SET {}",
        columns.join(", "),
        placeholders.join(", "),
        updates.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    /// What ingest must never overwrite is left out of what it writes.
    #[test]
    fn ingest_writes_its_own_columns_only() {
        let now = Utc::now();
        let job = Job::new("nightly", now);
        let names: Vec<&str> = written(&job_row(&job)).iter().map(name).collect();
        for theirs in ["failure_ack", "miss_ack", "check_state", "public_badge"] {
            assert!(!names.contains(&theirs), "{theirs} in {names:?}");
        }
        assert!(names.contains(&"name") && names.contains(&"last_failure_run_id"));
        let run = Run::first_seen("r1", now);
        let names: Vec<&str> = written(&run_row(&run)).iter().map(name).collect();
        assert!(!names.contains(&"seq"), "{names:?}");
        assert_eq!(table::<run::ActiveModel>(), "runs");
    }
}
