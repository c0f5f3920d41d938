//! One step of the PostgreSQL indexer, run by the ingest writer's task.
//!
//! Several instances may write, and a sequence hands out ids before their
//! transactions commit: an id below `indexed_through` can still appear a
//! moment later. So the progress is only where new work starts; a sweep
//! goes back over ids that have since settled and indexes any the step
//! passed by. Every instance's writer indexes; a row indexed twice is
//! skipped by its key.

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

use super::Indexed;
use crate::StoreError;

/// An event's searchable text as `tsvector`: every character but letters
/// and digits becomes a space first, so the words are those SQLite's
/// `unicode61` finds (the `simple` parser alone keeps paths, hosts and
/// hyphenated words whole).
const DOC: &str = "to_tsvector('simple', regexp_replace(e.message || ' ' || e.metadata, \
                   '[^[:alnum:]]+', ' ', 'g'))";

/// Indexes up to `limit` events after the progress; then, with `sweep`,
/// any event in `(from, to]` still missing from the index.
pub(crate) async fn index_chunk(
    db: &DatabaseConnection,
    limit: usize,
    sweep: Option<(i64, i64)>,
) -> Result<Indexed, StoreError> {
    let pg = DbBackend::Postgres;
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            pg,
            format!(
                "WITH progress AS (SELECT indexed_through FROM search_progress WHERE id = 1), \
                 chunk AS (SELECT e.id, {DOC} AS doc FROM events e, progress \
                   WHERE e.id > progress.indexed_through ORDER BY e.id LIMIT $1), \
                 added AS (INSERT INTO event_search (event_id, doc) SELECT id, doc FROM chunk \
                   ON CONFLICT DO NOTHING), \
                 moved AS (UPDATE search_progress SET indexed_through = \
                   GREATEST(indexed_through, (SELECT max(id) FROM chunk)) \
                   WHERE id = 1 AND EXISTS (SELECT 1 FROM chunk) RETURNING indexed_through) \
                 SELECT (SELECT count(*) FROM chunk), \
                   COALESCE((SELECT indexed_through FROM moved), \
                            (SELECT indexed_through FROM progress))"
            ),
            [(limit as i64).into()],
        ))
        .await?;
    let (rows, through) = match row {
        Some(row) => (
            row.try_get_by_index::<i64>(0)?,
            row.try_get_by_index::<Option<i64>>(1)?.unwrap_or(0),
        ),
        None => (0, 0),
    };
    if let Some((from, to)) = sweep {
        db.execute_raw(Statement::from_sql_and_values(
            pg,
            format!(
                "INSERT INTO event_search (event_id, doc) SELECT e.id, {DOC} FROM events e \
                 WHERE e.id > $1 AND e.id <= $2 AND NOT EXISTS \
                 (SELECT 1 FROM event_search s WHERE s.event_id = e.id) ON CONFLICT DO NOTHING"
            ),
            [from.into(), to.into()],
        ))
        .await?;
    }
    Ok(Indexed {
        rows: rows.max(0) as usize,
        through,
    })
}
