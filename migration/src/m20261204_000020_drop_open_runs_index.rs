//! Drops `ix_runs_open_by_job` (migration 18). A ping finds the run it ends
//! through its job's `last_run_id` now, a primary-key probe; the partial
//! index cost every run's start and end an index write, pings or not.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX IF EXISTS ix_runs_open_by_job")
            .await
            .map(|_| ())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX IF NOT EXISTS ix_runs_open_by_job ON runs (job_name, seq) \
                 WHERE status IN ('running', 'queued')",
            )
            .await
            .map(|_| ())
    }
}
