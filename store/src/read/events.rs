//! Reading the append-only event log. Writing is `ingest`'s alone; there is
//! deliberately no update, and deletion exists only for retention.

use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select};
use telltale_model::{Event, EventFilter, EventPage, Level};

use crate::convert::{event_from_row, readable};
use crate::entity::event;
use crate::time::to_us;
use crate::{Store, StoreError};

impl Store {
    /// Events matching `filter`, newest (highest id) first. Ids only grow,
    /// so the cursor stays put while new events arrive.
    pub async fn list_events(&self, filter: &EventFilter) -> Result<EventPage, StoreError> {
        if let Some(q) = filter.q.as_deref().filter(|q| !q.trim().is_empty()) {
            return self.search_events(filter, q).await;
        }
        let limit = filter.effective_limit();
        let rows = filtered(filter)
            .order_by_desc(event::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?;
        page_of(rows, limit, None)
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

/// A page of the listing from its rows, with the cursor to the next one
/// when it is full.
pub(crate) fn page_of(
    rows: Vec<event::Model>,
    limit: u64,
    unsearched: Option<u64>,
) -> Result<EventPage, StoreError> {
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
        unsearched,
    })
}

/// The log's rows that `filter` selects, in no particular order.
fn filtered(filter: &EventFilter) -> Select<event::Entity> {
    event::Entity::find().filter(conditions(filter))
}

/// What `filter` asks of a row of the log, but its search words.
pub(crate) fn conditions(filter: &EventFilter) -> Condition {
    let mut q = Condition::all();
    if let Some(job) = &filter.job {
        q = q.add(event::Column::JobName.eq(job.as_str()));
    }
    if let Some(run) = &filter.run {
        q = q.add(event::Column::RunId.eq(run.as_str()));
    }
    if let Some(worker) = &filter.worker {
        q = q.add(event::Column::WorkerId.eq(worker.as_str()));
    }
    if let Some(level) = filter.level {
        q = q.add(event::Column::Level.eq(level.as_str()));
        // Implied by the line above, but the planners only use the
        // partial level index when the query states its condition.
        if level != Level::Info {
            q = q.add(event::Column::Level.ne(Level::Info.as_str()));
        }
    }
    if let Some(t) = &filter.event_type {
        q = q.add(event::Column::EventType.eq(t.as_str()));
    }
    if let Some(source) = filter.source {
        q = q.add(event::Column::SourceType.eq(source.as_str()));
    }
    if let Some(since) = filter.since {
        q = q.add(event::Column::EventAtUs.gte(to_us(since)));
    }
    if let Some(until) = filter.until {
        q = q.add(event::Column::EventAtUs.lt(to_us(until)));
    }
    if let Some(before) = filter.before {
        q = q.add(event::Column::Id.lt(before));
    }
    q
}

impl Store {
    /// The newest `chief.heartbeat` by its time capped at its receipt
    /// ([`telltale_model::status::beat_at`]): one sent late or back-dated
    /// cannot hide a newer one that arrived before it, and one dated in the
    /// future counts as received. An index on that very expression makes
    /// this one lookup.
    pub async fn latest_scheduler_heartbeat(&self) -> Result<Option<Event>, StoreError> {
        use sea_orm::sea_query::{Expr, Order};
        let capped = telltale_migration::beat_expression(self.backend());
        let row = event::Entity::find()
            .filter(event::Column::EventType.eq("chief.heartbeat"))
            .order_by(Expr::cust(capped), Order::Desc)
            .one(&self.db)
            .await?;
        // One that cannot be read counts as none ([`readable`]): the engine
        // asks on every tick.
        Ok(readable(row, event_from_row).pop())
    }
}

#[cfg(test)]
mod tests {
    use super::filtered;
    use crate::entity::event;
    use crate::{DatabaseTarget, Store};
    use sea_orm::{DbBackend, QueryOrder, QuerySelect, QueryTrait};
    use telltale_model::{EventFilter, Level};

    /// What SQLite's planner does with the listing query for `level`.
    fn plan(path: &std::path::Path, level: Level) -> String {
        let filter = EventFilter {
            level: Some(level),
            ..Default::default()
        };
        let sql = filtered(&filter)
            .order_by_desc(event::Column::Id)
            .limit(50)
            .build(DbBackend::Sqlite)
            .to_string();
        let conn = rusqlite::Connection::open(path).expect("open");
        let mut stmt = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .expect("explain");
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(3))
            .expect("plan rows");
        rows.map(|r| r.expect("plan row"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Only the rare levels are indexed (so `info` events, nearly all of
    /// them, cost ingest no index insert); asking for one of those must
    /// still find them through the index, not by reading the whole log.
    #[tokio::test]
    async fn rare_levels_are_found_through_the_partial_index() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("t.sqlite");
        let _store = Store::connect(&DatabaseTarget::Sqlite { path: path.clone() })
            .await
            .expect("open");
        for level in [Level::Debug, Level::Warn, Level::Error] {
            let plan = plan(&path, level);
            assert!(
                plan.contains("ix_events_level_id_not_info"),
                "{level:?}: {plan}"
            );
        }
        let info = plan(&path, Level::Info);
        assert!(!info.contains("ix_events_level_id"), "info: {info}");
    }
}
