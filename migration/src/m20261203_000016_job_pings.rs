//! Each job's ping UUID: the secret of its healthchecks-style ping URLs
//! (`/ping/<uuid>`). A table of its own rather than a column of `jobs`, so
//! the ingest fold, which rewrites job rows, never carries it; a row is made
//! the first time someone asks for the job's ping URL, and replaced when an
//! operator regenerates it.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum JobPings {
    Table,
    JobName,
    PingUuid,
    CreatedAtUs,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(JobPings::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(JobPings::JobName)
                            .text()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(JobPings::PingUuid).text().not_null())
                    .col(
                        ColumnDef::new(JobPings::CreatedAtUs)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("job_pings_uuid")
                    .table(JobPings::Table)
                    .col(JobPings::PingUuid)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(JobPings::Table).to_owned())
            .await
    }
}
