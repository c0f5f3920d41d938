//! Inserting a group's events: multi-row `INSERT OR IGNORE` statements of
//! a few fixed sizes, each prepared once, and which rows were new.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params_from_iter};
use telltale_model::NewEvent;

use crate::time::to_us;
use crate::{EventOutcome, StoreError};

/// Rows per `INSERT` statement, largest first: a group is cut into chunks
/// of these sizes, so at most one statement of each size is prepared (and
/// cached) however large the group. One statement for many rows keeps its
/// cursors on the table and its five indexes open from row to row, and
/// reads and writes AUTOINCREMENT's counter once instead of once per event:
/// per-row statements spent a fifth of the writer's time opening and
/// closing cursors (perf, seeding 1M events).
const ROWS_PER_INSERT: [usize; 9] = [256, 128, 64, 32, 16, 8, 4, 2, 1];
const EVENT_COLUMNS: usize = 12;

/// The SQL of each chunk size, built once (a cached statement is found by
/// its text), in the order of [`ROWS_PER_INSERT`].
fn insert_sql() -> &'static [String] {
    static SQL: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    SQL.get_or_init(|| {
        ROWS_PER_INSERT
            .iter()
            .map(|&n| build_insert_sql(n))
            .collect()
    })
}

fn build_insert_sql(rows: usize) -> String {
    let mut sql = String::from(
        "INSERT OR IGNORE INTO events (event_id, source_type, level, event_type, message, \
         event_at_us, received_at_us, job_name, run_id, worker_id, script_path, metadata) VALUES ",
    );
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        let first = row * EVENT_COLUMNS + 1;
        let placeholders: Vec<String> = (first..first + EVENT_COLUMNS)
            .map(|i| format!("?{i}"))
            .collect();
        sql.push('(');
        sql.push_str(&placeholders.join(", "));
        sql.push(')');
    }
    // The unique index on event_id decides duplicates in the same lookup
    // that inserts: a stored eventId returns no row. OR IGNORE rather than
    // ON CONFLICT DO NOTHING: a statement of many rows that could abort
    // midway makes SQLite journal every page it touches first, so it can
    // undo that statement alone (a third of the writer's time, measured);
    // one that cannot abort needs no such journal. The only other
    // constraints are NOT NULLs, and every such column is bound a value.
    sql.push_str(" RETURNING id, event_id");
    sql
}

pub(super) fn insert_events(
    tx: &Connection,
    events: &[NewEvent],
    metadata: &[String],
    received_at: DateTime<Utc>,
) -> Result<Vec<EventOutcome>, StoreError> {
    let received = to_us(received_at);
    let mut outcomes = Vec::with_capacity(events.len());
    let mut from = 0;
    for (size, sql) in ROWS_PER_INSERT.into_iter().zip(insert_sql()) {
        while events.len() - from >= size {
            let chunk = &events[from..from + size];
            let meta = &metadata[from..from + size];
            insert_chunk(tx, sql, chunk, meta, received, &mut outcomes)?;
            from += size;
        }
    }
    Ok(outcomes)
}

fn insert_chunk(
    tx: &Connection,
    sql: &str,
    events: &[NewEvent],
    metadata: &[String],
    received: i64,
    outcomes: &mut Vec<EventOutcome>,
) -> Result<(), StoreError> {
    use rusqlite::types::{ToSqlOutput, Value, ValueRef};
    fn text(s: &str) -> ToSqlOutput<'_> {
        ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes()))
    }
    fn opt(s: Option<&str>) -> ToSqlOutput<'_> {
        s.map_or(ToSqlOutput::Owned(Value::Null), text)
    }
    let mut params: Vec<ToSqlOutput<'_>> = Vec::with_capacity(events.len() * EVENT_COLUMNS);
    for (e, meta) in events.iter().zip(metadata) {
        params.extend([
            opt(e.event_id.as_deref()),
            text(e.source_type.as_str()),
            text(e.level.as_str()),
            text(&e.event_type),
            text(&e.message),
            ToSqlOutput::Owned(Value::Integer(to_us(e.event_at))),
            ToSqlOutput::Owned(Value::Integer(received)),
            opt(e.job_name.as_deref()),
            opt(e.run_id.as_deref()),
            opt(e.worker_id.as_deref()),
            opt(e.script_path.as_deref()),
            text(meta),
        ]);
    }
    let mut insert = tx.prepare_cached(sql)?;
    let mut returned: Vec<(i64, Option<String>)> = insert
        .query_map(params_from_iter(params.iter()), |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .collect::<Result<_, _>>()?;
    // Rows are numbered in VALUES order; RETURNING's own order is not
    // promised. A row that conflicted returned nothing, so walking the
    // events in order, each either is the next returned row or was a
    // duplicate (of a stored event, or of one before it in the group).
    returned.sort_unstable_by_key(|(id, _)| *id);
    let mut next = returned.into_iter().peekable();
    for e in events {
        let inserted = next.next_if(|(_, id)| *id == e.event_id).map(|(id, _)| id);
        outcomes.push(inserted.map_or(EventOutcome::Duplicate, EventOutcome::Inserted));
    }
    Ok(())
}
