//! A finishing ping without `rid` ends its job's newest open run. The
//! `(job_name, seq)` index finds the job's runs but then walks every ended
//! one before the open one (or all of them, when none is open): a job
//! pinged every minute has tens of thousands. This partial index holds only
//! queued and running runs, so the lookup is one probe however long the
//! history. Its condition is written exactly as the query writes it, so
//! SQLite's planner sees that it applies.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX IF NOT EXISTS ix_runs_open_by_job ON runs (job_name, seq) \
                 WHERE status IN ('running', 'queued')",
            )
            .await
            .map(|_| ())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX IF EXISTS ix_runs_open_by_job")
            .await
            .map(|_| ())
    }
}
