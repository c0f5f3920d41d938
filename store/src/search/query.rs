//! Searching the log: the index finds the events holding every word,
//! newest first, and the listing's other filters narrow them.

use sea_orm::sea_query::{Alias, Expr, Order, Query, SelectStatement};
use sea_orm::{DbBackend, EntityTrait, Iterable};
use telltale_model::{EventFilter, EventPage, search_words};

use crate::entity::event;
use crate::read::events::{conditions, page_of};
use crate::{Store, StoreError};

impl Store {
    /// Events matching `filter` whose message or metadata hold every word
    /// of `q`, newest first, with the same cursor as the plain listing.
    pub(crate) async fn search_events(
        &self,
        filter: &EventFilter,
        q: &str,
    ) -> Result<EventPage, StoreError> {
        let words = search_words(q)?;
        let limit = filter.effective_limit();
        let rows = match self.backend() {
            DbBackend::Postgres => self.search_postgres(filter, &words, limit).await?,
            backend => {
                let mut select = sqlite_select(&words, filter.before);
                select.cond_where(conditions(filter)).limit(limit);
                event::Entity::find()
                    .from_raw_sql(backend.build(&select))
                    .all(&self.db)
                    .await?
            }
        };
        let unsearched = self.search_progress().await?.lag_events();
        page_of(rows, limit, Some(unsearched))
    }
}

pub(super) fn event_columns(select: &mut SelectStatement) {
    select.columns(event::Column::iter().map(|c| (event::Entity, c)));
}

/// FTS5 drives: it walks the matching ids newest first, so the first page
/// of a word every event holds costs no more than one of a rare word. The
/// words are letters and digits only, quoted as FTS5 strings (implicit AND).
fn sqlite_select(words: &[String], before: Option<i64>) -> SelectStatement {
    let matching: Vec<String> = words.iter().map(|w| format!("\"{w}\"")).collect();
    let mut select = Query::select();
    event_columns(&mut select);
    // CROSS JOIN: SQLite keeps the left table as the outer loop. Left to
    // itself, it drove a job-filtered search from the job's index, looked
    // up every one of the job's events in the index and sorted them.
    // `rowid` unquoted: quoted, the planner did not see the join's key.
    select
        .from(Alias::new("event_search"))
        .cross_join(event::Entity)
        .and_where(Expr::cust("events.id = event_search.rowid"))
        .and_where(Expr::cust_with_values(
            "event_search MATCH ?",
            [matching.join(" ")],
        ))
        .order_by_expr(Expr::cust("event_search.rowid"), Order::Desc);
    // Stated on the index's own key so FTS5 starts at the cursor.
    if let Some(before) = before {
        select.and_where(Expr::cust_with_values("event_search.rowid < ?", [before]));
    }
    select
}

#[cfg(test)]
mod tests {
    use sea_orm::DbBackend;
    use telltale_model::EventFilter;

    use crate::{DatabaseTarget, Store};

    /// The index drives the search, newest first: SQLite walks the
    /// matching ids from the cursor down and looks each event up by its
    /// key, rather than reading the log and testing every event.
    #[tokio::test]
    async fn the_index_drives_the_search_on_sqlite() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("t.sqlite");
        let _store = Store::connect(&DatabaseTarget::Sqlite { path: path.clone() })
            .await
            .expect("open");
        let filter = EventFilter {
            job: Some("render".into()),
            ..Default::default()
        };
        let mut select = super::sqlite_select(&["disk".into()], Some(1000));
        select
            .cond_where(crate::read::events::conditions(&filter))
            .limit(50);
        let sql = DbBackend::Sqlite.build(&select).to_string();
        let conn = rusqlite::Connection::open(&path).expect("open");
        let mut stmt = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .expect("explain");
        let plan: Vec<String> = stmt
            .query_map([], |r| r.get::<_, String>(3))
            .expect("plan")
            .map(|r| r.expect("row"))
            .collect();
        assert!(
            plan[0].contains("SCAN event_search VIRTUAL TABLE"),
            "{plan:?}"
        );
        assert!(
            plan[1].contains("SEARCH events USING INTEGER PRIMARY KEY"),
            "{plan:?}"
        );
        assert!(
            !plan.iter().any(|p| p.contains("TEMP B-TREE")),
            "no sort: {plan:?}"
        );
    }
}
