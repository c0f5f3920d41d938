//! A webhook row becomes a channel of one provider (its `format`): what
//! that provider needs besides a URL — a token, a recipient, a templated
//! webhook's method, headers and body — is one JSON document, so adding a
//! provider needs no new column. Rows from before hold `{}`.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Webhooks {
    Table,
    Options,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Webhooks::Table)
                    .add_column(
                        ColumnDef::new(Webhooks::Options)
                            .text()
                            .not_null()
                            .default("{}"),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Webhooks::Table)
                    .drop_column(Webhooks::Options)
                    .to_owned(),
            )
            .await
    }
}
