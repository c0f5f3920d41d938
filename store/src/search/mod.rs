//! Full-text search over the event log.
//!
//! The index trails the log: the ingest writer fills it in the moments its
//! queue is empty ([`Indexer`]), a chunk of events per transaction, so a
//! burst of ingest is never slowed by it (indexing inline cost the writer
//! more than ingest may lose). `search_progress` says how far it reaches;
//! `/metrics` shows the lag, and a listing with `q` says how many of the
//! newest events it could not search yet.

mod indexer;
mod postgres;
mod postgres_query;
mod query;
mod sqlite;

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
};

pub(crate) use indexer::{Indexed, Indexer};
pub(crate) use postgres::index_chunk as index_postgres;
pub(crate) use sqlite::index_chunk as index_sqlite;

use crate::entity::event;
use crate::time::from_us;
use crate::{Store, StoreError};

/// How far the search index reaches into the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchProgress {
    /// Every event up to this id is searchable.
    pub indexed_through: i64,
    /// The newest event's id (0 with none).
    pub newest: i64,
    /// When the oldest event not yet searchable was received.
    pub oldest_unindexed_at: Option<DateTime<Utc>>,
}

impl SearchProgress {
    /// Events not yet searchable (by id: about that many).
    pub fn lag_events(&self) -> u64 {
        self.newest.saturating_sub(self.indexed_through).max(0) as u64
    }

    /// How long the oldest event not yet searchable has waited.
    pub fn lag_seconds(&self, now: DateTime<Utc>) -> f64 {
        self.oldest_unindexed_at
            .map(|at| (now - at).num_milliseconds().max(0) as f64 / 1000.0)
            .unwrap_or(0.0)
    }
}

impl Store {
    pub async fn search_progress(&self) -> Result<SearchProgress, StoreError> {
        let backend = self.backend();
        let row = self
            .db
            .query_one_raw(Statement::from_string(
                backend,
                "SELECT (SELECT indexed_through FROM search_progress WHERE id = 1), \
                 (SELECT max(id) FROM events)",
            ))
            .await?;
        let (through, newest) = match row {
            Some(row) => (
                row.try_get_by_index::<Option<i64>>(0)?.unwrap_or(0),
                row.try_get_by_index::<Option<i64>>(1)?.unwrap_or(0),
            ),
            None => (0, 0),
        };
        let oldest_unindexed_at = if newest > through {
            event::Entity::find()
                .select_only()
                .column(event::Column::ReceivedAtUs)
                .filter(event::Column::Id.gt(through))
                .order_by_asc(event::Column::Id)
                .into_tuple::<i64>()
                .one(&self.db)
                .await?
                .and_then(from_us)
        } else {
            None
        };
        Ok(SearchProgress {
            indexed_through: through,
            newest,
            oldest_unindexed_at,
        })
    }

    /// Waits until every stored event is searchable, for at most `within`;
    /// `false` if it was not by then. On PostgreSQL it indexes as it waits
    /// (a store used without its ingest queue has no writer task to).
    pub async fn search_caught_up(&self, within: std::time::Duration) -> Result<bool, StoreError> {
        let deadline = std::time::Instant::now() + within;
        loop {
            if self.search_progress().await?.lag_events() == 0 {
                return Ok(true);
            }
            if std::time::Instant::now() >= deadline {
                return Ok(false);
            }
            if self.backend() == sea_orm::DbBackend::Postgres {
                index_postgres(&self.db, 4_096, None).await?;
            } else {
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
        }
    }
}
