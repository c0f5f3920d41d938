//! Status badges: an operator marks a job's badge public, so
//! `/badge/{job}.svg` answers without login for that job alone.
//!
//! A column of `jobs`, not a table of its own: ingest writes job rows as
//! `INSERT … ON CONFLICT (name) DO UPDATE SET` over the columns it derives
//! from events, and the engine updates only its check columns, so a column
//! neither of them names keeps its value (a test holds them to that).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Jobs {
    Table,
    PublicBadge,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Jobs::Table)
                    .add_column(
                        ColumnDef::new(Jobs::PublicBadge)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Jobs::Table)
                    .drop_column(Jobs::PublicBadge)
                    .to_owned(),
            )
            .await
    }
}
