//! One step of the SQLite indexer, on the writer's own connection (SQLite
//! has one writer; taking turns on its thread means no lock to wait for).
//!
//! The log's ids are handed out by that one writer, in commit order, so
//! "every event up to `indexed_through`" is exact: no later commit can
//! bring an id below it.

use rusqlite::Connection;

use super::Indexed;
use crate::StoreError;

/// Indexes up to `limit` events after `search_progress`, in one
/// transaction with the progress itself.
pub(crate) fn index_chunk(conn: &Connection, limit: usize) -> Result<Indexed, StoreError> {
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let done = chunk(conn, limit).and_then(|indexed| {
        conn.execute_batch("COMMIT")?;
        Ok(indexed)
    });
    if done.is_err() && !conn.is_autocommit() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    done
}

fn chunk(conn: &Connection, limit: usize) -> Result<Indexed, StoreError> {
    let from: i64 = conn
        .prepare_cached("SELECT indexed_through FROM search_progress WHERE id = 1")?
        .query_row([], |r| r.get(0))?;
    let (rows, through): (i64, Option<i64>) = conn
        .prepare_cached(
            "SELECT count(*), max(id) FROM \
             (SELECT id FROM events WHERE id > ?1 ORDER BY id LIMIT ?2)",
        )?
        .query_row((from, limit as i64), |r| Ok((r.get(0)?, r.get(1)?)))?;
    let Some(through) = through else {
        return Ok(Indexed {
            rows: 0,
            through: from,
        });
    };
    conn.prepare_cached(
        "INSERT INTO event_search (rowid, message, metadata) \
         SELECT id, message, metadata FROM events WHERE id > ?1 AND id <= ?2",
    )?
    .execute((from, through))?;
    conn.prepare_cached("UPDATE search_progress SET indexed_through = ?1 WHERE id = 1")?
        .execute([through])?;
    Ok(Indexed {
        rows: rows.max(0) as usize,
        through,
    })
}
