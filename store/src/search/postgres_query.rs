//! Searching on PostgreSQL. The GIN index finds every event holding the
//! words, but not in order, and the planner cannot tell a word most events
//! hold from one none does: left to choose, it walked the whole log newest
//! first for a word no event held (159 ms p50 at 1M events). So the search
//! is two plans, each used where it is fast:
//!
//! 1. **Dense**: the newest `WINDOW` indexed events, tested one by one. A
//!    word among more than one event in a hundred fills a page here.
//! 2. **Sparse**: otherwise, the GIN index's matches, all of them (a
//!    materialized CTE keeps the planner from walking the log instead),
//!    newest first, `ROUND` ids at a time, then the events among them that
//!    the listing's other filters keep.

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Statement,
};
use telltale_model::EventFilter;

use super::query::event_columns;
use crate::entity::event;
use crate::read::events::conditions;
use crate::{Store, StoreError};

/// The newest indexed events the dense plan tests.
const WINDOW: u64 = 20_000;
/// Matching ids the sparse plan takes per round, and its rounds at most.
const ROUND: u64 = 5_000;
const MAX_ROUNDS: usize = 20;

impl Store {
    pub(super) async fn search_postgres(
        &self,
        filter: &EventFilter,
        words: &[String],
        limit: u64,
    ) -> Result<Vec<event::Model>, StoreError> {
        let query = words.join(" & ");
        let dense = self.search_window(filter, &query, limit).await?;
        if dense.len() as u64 == limit {
            return Ok(dense);
        }
        let mut rows: Vec<event::Model> = Vec::new();
        let mut before = filter.before;
        for _ in 0..MAX_ROUNDS {
            let ids = self.matching_ids(&query, before).await?;
            let Some(&oldest) = ids.last() else { break };
            let room = limit.saturating_sub(rows.len() as u64);
            let found = event::Entity::find()
                .filter(conditions(filter))
                .filter(event::Column::Id.is_in(ids.iter().copied()))
                .order_by_desc(event::Column::Id)
                .limit(room)
                .all(&self.db)
                .await?;
            rows.extend(found);
            if rows.len() as u64 >= limit || (ids.len() as u64) < ROUND {
                break;
            }
            before = Some(oldest);
        }
        Ok(rows)
    }

    /// Plan 1: the newest `WINDOW` indexed events (below the cursor).
    async fn search_window(
        &self,
        filter: &EventFilter,
        query: &str,
        limit: u64,
    ) -> Result<Vec<event::Model>, StoreError> {
        let search = Alias::new("event_search");
        let event_id = Alias::new("event_id");
        let mut window = Query::select();
        window
            .columns([event_id.clone(), Alias::new("doc")])
            .from(search.clone())
            .order_by(event_id.clone(), Order::Desc)
            .limit(WINDOW);
        if let Some(before) = filter.before {
            window.and_where(Expr::col(event_id.clone()).lt(before));
        }
        let mut select = Query::select();
        event_columns(&mut select);
        select
            .from_subquery(window, search.clone())
            .inner_join(
                event::Entity,
                Expr::col((event::Entity, event::Column::Id)).equals((search, event_id)),
            )
            .and_where(Expr::cust_with_values(
                "event_search.doc @@ to_tsquery('simple', $1)",
                [query],
            ))
            .cond_where(conditions(filter))
            .order_by((event::Entity, event::Column::Id), Order::Desc)
            .limit(limit);
        Ok(event::Entity::find()
            .from_raw_sql(DbBackend::Postgres.build(&select))
            .all(&self.db)
            .await?)
    }

    /// Plan 2: up to `ROUND` ids of matching events below `before`,
    /// newest first.
    async fn matching_ids(&self, query: &str, before: Option<i64>) -> Result<Vec<i64>, StoreError> {
        let rows = self
            .db
            .query_all_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                format!(
                    "WITH hits AS MATERIALIZED (SELECT event_id FROM event_search \
                     WHERE doc @@ to_tsquery('simple', $1) AND event_id < $2) \
                     SELECT event_id FROM hits ORDER BY event_id DESC LIMIT {ROUND}"
                ),
                [query.into(), before.unwrap_or(i64::MAX).into()],
            ))
            .await?;
        rows.iter()
            .map(|row| row.try_get_by_index::<i64>(0).map_err(StoreError::from))
            .collect()
    }
}
