//! Retention: the one deletion of events there is (SPEC §2, invariant 1).
//! Runs, jobs, alerts and transitions are kept.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, Statement};

use crate::time::to_us;
use crate::{Store, StoreError};

/// Rows deleted per statement, so the write lock is held briefly and ingest
/// interleaves with a large prune.
const BATCH: i64 = 10_000;

impl Store {
    /// Deletes events received before `cutoff`; returns how many.
    pub async fn prune_events(&self, cutoff: DateTime<Utc>) -> Result<u64, StoreError> {
        let backend = self.db.get_database_backend();
        // Ids follow arrival, so the oldest events are the lowest ids and
        // each batch is found at the start of the primary key.
        let sql = match backend {
            sea_orm::DbBackend::Postgres => {
                "DELETE FROM events WHERE id IN \
                 (SELECT id FROM events WHERE received_at_us < $1 ORDER BY id LIMIT $2)"
            }
            _ => {
                "DELETE FROM events WHERE id IN \
                 (SELECT id FROM events WHERE received_at_us < ? ORDER BY id LIMIT ?)"
            }
        };
        let mut total = 0;
        loop {
            let result = self
                .db
                .execute_raw(Statement::from_sql_and_values(
                    backend,
                    sql,
                    [to_us(cutoff).into(), BATCH.into()],
                ))
                .await?;
            total += result.rows_affected();
            if result.rows_affected() < BATCH as u64 {
                return Ok(total);
            }
        }
    }
}
