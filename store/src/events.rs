//! The append-only event log: insert (idempotent by `eventId`) and list.
//! There is deliberately no update, and delete exists only for retention.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
    TryInsertResult,
};
use telltale_model::{Event, EventFilter, Level, NewEvent, SourceType};

use crate::entity::event;
use crate::time::{from_us, to_us};
use crate::{Store, StoreError};

/// What happened to a group of valid events handed to the store.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InsertOutcome {
    pub inserted: usize,
    /// Events whose `eventId` was already stored (or repeated in the group).
    pub duplicates: usize,
}

impl Store {
    /// Stores events in one transaction. When this returns `Ok`, they are
    /// committed: the caller may acknowledge them.
    pub async fn insert_events(
        &self,
        events: &[NewEvent],
        received_at: DateTime<Utc>,
    ) -> Result<InsertOutcome, StoreError> {
        if events.is_empty() {
            return Ok(InsertOutcome::default());
        }
        let rows = events.iter().map(|e| event::ActiveModel {
            id: NotSet,
            event_id: Set(e.event_id.clone()),
            source_type: Set(e.source_type.as_str().to_owned()),
            level: Set(e.level.as_str().to_owned()),
            event_type: Set(e.event_type.clone()),
            message: Set(e.message.clone()),
            event_at_us: Set(to_us(e.event_at)),
            received_at_us: Set(to_us(received_at)),
            job_name: Set(e.job_name.clone()),
            run_id: Set(e.run_id.clone()),
            worker_id: Set(e.worker_id.clone()),
            script_path: Set(e.script_path.clone()),
            metadata: Set(e.metadata.to_string()),
        });
        let txn = self.db.begin().await?;
        let result = event::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::column(event::Column::EventId)
                    .do_nothing()
                    .to_owned(),
            )
            .try_insert()
            .exec_without_returning(&txn)
            .await?;
        txn.commit().await?;
        let inserted = match result {
            TryInsertResult::Inserted(n) => usize::try_from(n).unwrap_or(usize::MAX),
            TryInsertResult::Conflicted | TryInsertResult::Empty => 0,
        };
        Ok(InsertOutcome {
            inserted,
            duplicates: events.len().saturating_sub(inserted),
        })
    }

    /// Events matching `filter`, newest (highest id) first.
    pub async fn list_events(&self, filter: &EventFilter) -> Result<Vec<Event>, StoreError> {
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
        let rows = q
            .order_by_desc(event::Column::Id)
            .limit(filter.effective_limit())
            .all(&self.db)
            .await?;
        rows.into_iter().map(Event::try_from_row).collect()
    }
}

trait FromRow: Sized {
    fn try_from_row(row: event::Model) -> Result<Self, StoreError>;
}

impl FromRow for Event {
    fn try_from_row(row: event::Model) -> Result<Self, StoreError> {
        let corrupt = |problem: String| StoreError::Corrupt {
            table: "events",
            id: row.id,
            problem,
        };
        let source_type = SourceType::parse(&row.source_type)
            .ok_or_else(|| corrupt(format!("unknown source_type {:?}", row.source_type)))?;
        let level = Level::parse(&row.level)
            .ok_or_else(|| corrupt(format!("unknown level {:?}", row.level)))?;
        let event_at = from_us(row.event_at_us)
            .ok_or_else(|| corrupt(format!("event_at_us {} out of range", row.event_at_us)))?;
        let received_at = from_us(row.received_at_us).ok_or_else(|| {
            corrupt(format!(
                "received_at_us {} out of range",
                row.received_at_us
            ))
        })?;
        let metadata = serde_json::from_str(&row.metadata)
            .map_err(|e| corrupt(format!("metadata is not JSON: {e}")))?;
        Ok(Event {
            id: row.id,
            event_id: row.event_id,
            source_type,
            level,
            event_type: row.event_type,
            message: row.message,
            event_at,
            received_at,
            job_name: row.job_name,
            run_id: row.run_id,
            worker_id: row.worker_id,
            script_path: row.script_path,
            metadata,
        })
    }
}
