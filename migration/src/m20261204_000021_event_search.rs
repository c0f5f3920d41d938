//! Full-text search over the event log: an index of each event's message
//! and metadata, and how far into the log it reaches.
//!
//! The index is filled behind the ingest writer (`store/src/search/`), not
//! by a trigger: indexing inline cost ingest more than it may. On SQLite it
//! is a contentless FTS5 table keyed by the event's id (the text stays in
//! `events` alone; `contentless_delete` lets retention remove rows). On
//! PostgreSQL it is a table of `tsvector`s with a GIN index, removed with
//! its event by the foreign key.
//!
//! Both are tokenized the same way: letters and digits, split at anything
//! else, lower-cased (SQLite's `unicode61` without diacritic folding; on
//! PostgreSQL every other character is replaced by a space before the
//! `simple` configuration reads it), so a search finds the same events on
//! either store.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE_UP: &[&str] = &[
    "CREATE VIRTUAL TABLE event_search USING fts5(message, metadata, content = '', \
     contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 0')",
    "CREATE TABLE search_progress (id INTEGER PRIMARY KEY CHECK (id = 1), \
     indexed_through BIGINT NOT NULL)",
    "INSERT INTO search_progress (id, indexed_through) VALUES (1, 0)",
];

const POSTGRES_UP: &[&str] = &[
    "CREATE TABLE event_search (event_id BIGINT PRIMARY KEY \
     REFERENCES events (id) ON DELETE CASCADE, doc tsvector NOT NULL)",
    "CREATE INDEX ix_event_search_doc ON event_search USING GIN (doc)",
    "CREATE TABLE search_progress (id INTEGER PRIMARY KEY CHECK (id = 1), \
     indexed_through BIGINT NOT NULL)",
    "INSERT INTO search_progress (id, indexed_through) VALUES (1, 0)",
];

const DOWN: &[&str] = &[
    "DROP TABLE IF EXISTS search_progress",
    "DROP TABLE IF EXISTS event_search",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let statements = match manager.get_database_backend() {
            DbBackend::Postgres => POSTGRES_UP,
            _ => SQLITE_UP,
        };
        run(manager, statements).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, DOWN).await
    }
}

async fn run(manager: &SchemaManager<'_>, statements: &[&str]) -> Result<(), DbErr> {
    let conn = manager.get_connection();
    for sql in statements {
        conn.execute_unprepared(sql).await?;
    }
    Ok(())
}
