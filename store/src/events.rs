//! Reading the append-only event log. Writing is `ingest`'s alone; there is
//! deliberately no update, and deletion exists only for retention.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use telltale_model::{Event, EventFilter, EventPage};

use crate::convert::event_from_row;
use crate::entity::event;
use crate::time::to_us;
use crate::{Store, StoreError};

impl Store {
    /// Events matching `filter`, newest (highest id) first. Ids only grow,
    /// so the cursor stays put while new events arrive.
    pub async fn list_events(&self, filter: &EventFilter) -> Result<EventPage, StoreError> {
        let mut q = event::Entity::find();
        if let Some(job) = &filter.job {
            q = q.filter(event::Column::JobName.eq(job.as_str()));
        }
        if let Some(run) = &filter.run {
            q = q.filter(event::Column::RunId.eq(run.as_str()));
        }
        if let Some(worker) = &filter.worker {
            q = q.filter(event::Column::WorkerId.eq(worker.as_str()));
        }
        if let Some(level) = filter.level {
            q = q.filter(event::Column::Level.eq(level.as_str()));
        }
        if let Some(t) = &filter.event_type {
            q = q.filter(event::Column::EventType.eq(t.as_str()));
        }
        if let Some(since) = filter.since {
            q = q.filter(event::Column::EventAtUs.gte(to_us(since)));
        }
        if let Some(until) = filter.until {
            q = q.filter(event::Column::EventAtUs.lt(to_us(until)));
        }
        if let Some(before) = filter.before {
            q = q.filter(event::Column::Id.lt(before));
        }
        let limit = filter.effective_limit();
        let rows = q
            .order_by_desc(event::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?;
        let events = rows
            .into_iter()
            .map(event_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        let next_cursor = if events.len() as u64 == limit {
            events.last().map(|e| e.id)
        } else {
            None
        };
        Ok(EventPage {
            events,
            next_cursor,
        })
    }

    /// Every event of one run, oldest first: its complete timeline.
    pub async fn run_timeline(&self, run_id: &str) -> Result<Vec<Event>, StoreError> {
        let rows = event::Entity::find()
            .filter(event::Column::RunId.eq(run_id))
            .order_by_asc(event::Column::EventAtUs)
            .order_by_asc(event::Column::Id)
            .all(&self.db)
            .await?;
        rows.into_iter().map(event_from_row).collect()
    }
}

impl Store {
    /// The newest `chief.heartbeat` (a partial index makes this one lookup).
    pub async fn latest_scheduler_heartbeat(&self) -> Result<Option<Event>, StoreError> {
        event::Entity::find()
            .filter(event::Column::EventType.eq("chief.heartbeat"))
            .order_by_desc(event::Column::Id)
            .one(&self.db)
            .await?
            .map(event_from_row)
            .transpose()
    }
}
