//! Every attempt of one delivery knows its first attempt, so a retry is
//! sent with the same delivery id (`deliveryId`, `X-Telltale-Delivery`)
//! and a receiver can drop what it already handled. NULL on first
//! attempts (and on rows from before this migration): the row's own id.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AlertDeliveries {
    Table,
    FirstAttemptId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(AlertDeliveries::Table)
                    .add_column(
                        ColumnDef::new(AlertDeliveries::FirstAttemptId)
                            .big_integer()
                            .null(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(AlertDeliveries::Table)
                    .drop_column(AlertDeliveries::FirstAttemptId)
                    .to_owned(),
            )
            .await
    }
}
