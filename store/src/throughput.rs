//! The overview's throughput: events received per minute over the last hour.
//!
//! There is no index on `received_at_us` (each index taxes every ingested
//! event), but ids are handed out in arrival order, so the last hour is the
//! tail of the primary key. We walk it newest-first in chunks and stop at
//! the first chunk that reaches past the hour: the cost is the events of the
//! last hour, not the whole log.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use telltale_model::Throughput;

use crate::entity::event;
use crate::time::{from_us, to_us};
use crate::{Store, StoreError};

/// Rows read per query: large enough that a quiet hour is one query.
const CHUNK: u64 = 10_000;

impl Store {
    pub async fn throughput(&self, now: DateTime<Utc>) -> Result<Throughput, StoreError> {
        let (since, _) = Throughput::window(now);
        let since_us = to_us(since);
        let mut arrivals = Vec::new();
        let mut before: Option<i64> = None;
        loop {
            let mut q = event::Entity::find()
                .select_only()
                .column(event::Column::Id)
                .column(event::Column::ReceivedAtUs);
            if let Some(id) = before {
                q = q.filter(event::Column::Id.lt(id));
            }
            let rows: Vec<(i64, i64)> = q
                .order_by_desc(event::Column::Id)
                .limit(CHUNK)
                .into_tuple()
                .all(&self.db)
                .await?;
            let full = rows.len() as u64 == CHUNK;
            let reached_past = rows.last().is_some_and(|&(_, at)| at < since_us);
            before = rows.last().map(|&(id, _)| id);
            arrivals.extend(rows.into_iter().filter_map(|(_, at)| from_us(at)));
            if !full || reached_past {
                break;
            }
        }
        Ok(Throughput::count(now, arrivals))
    }
}
