//! The level index without `info`.
//!
//! Every index costs each ingested event a b-tree insert, and `info` is
//! nearly every event a worker sends: indexing it made batch ingest about a
//! tenth slower for a filter that needs no index (newest-first, `info`
//! events are found at once). The rarer levels, which people filter on to
//! find what went wrong in a large log, keep their index. Queries name the
//! index's condition (`level <> 'info'`) so both backends can use it.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX IF EXISTS ix_events_level_id")
            .await?;
        db.execute_unprepared(
            "CREATE INDEX ix_events_level_id_not_info ON events (level, id) \
             WHERE level <> 'info'",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX IF EXISTS ix_events_level_id_not_info")
            .await?;
        db.execute_unprepared("CREATE INDEX ix_events_level_id ON events (level, id)")
            .await?;
        Ok(())
    }
}
