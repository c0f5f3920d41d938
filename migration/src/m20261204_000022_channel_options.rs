//! A webhook row becomes a channel of one provider (its `format`): what
//! that provider needs besides a URL — a token, a recipient, a templated
//! webhook's method, headers and body — is one JSON document, so adding a
//! provider needs no new column. Rows from before hold `{}`.
//!
//! `webhooks.routing`: which alerts the channel is told of and how (tags,
//! job patterns, severity, grouping, a rate limit, quiet hours), JSON;
//! `{}` is every alert of its types, grouped for 30 s.
//! `alert_deliveries.route`: the rule that sent it there, in words.
//! `alert_deliveries.group_id`: deliveries sent as one message share it
//! (the first one's id).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Webhooks {
    Table,
    Options,
    Routing,
}

#[derive(DeriveIden)]
enum AlertDeliveries {
    Table,
    Route,
    GroupId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        for column in [Webhooks::Options, Webhooks::Routing] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Webhooks::Table)
                        .add_column(ColumnDef::new(column).text().not_null().default("{}"))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(AlertDeliveries::Table)
                    .add_column(ColumnDef::new(AlertDeliveries::Route).text().null())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(AlertDeliveries::Table)
                    .add_column(
                        ColumnDef::new(AlertDeliveries::GroupId)
                            .big_integer()
                            .null(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Webhooks::Options, Webhooks::Routing] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Webhooks::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        for column in [AlertDeliveries::Route, AlertDeliveries::GroupId] {
            manager
                .alter_table(
                    Table::alter()
                        .table(AlertDeliveries::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
