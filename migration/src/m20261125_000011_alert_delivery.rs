//! Alert delivery: settings (email recipients and alert types), webhooks,
//! and the delivery queue where each attempt to send a notification is a
//! row. Pending rows are the queue itself, so they survive a restart.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Settings {
    Table,
    Key,
    Value,
    UpdatedAtUs,
}

#[derive(DeriveIden, Clone, Copy)]
enum Webhooks {
    Table,
    Id,
    Name,
    Url,
    Secret,
    Format,
    AlertTypes,
    Enabled,
    CreatedAtUs,
    UpdatedAtUs,
}

#[derive(DeriveIden, Clone, Copy)]
enum AlertDeliveries {
    Table,
    Id,
    AlertId,
    Notification,
    Channel,
    Target,
    WebhookId,
    Status,
    Attempt,
    Error,
    Permanent,
    CreatedAtUs,
    DueAtUs,
    ClaimedUntilUs,
    FinishedAtUs,
    RetryAtUs,
}

fn id<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col)
        .big_integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .to_owned()
}

fn micros<T: IntoIden>(col: T, null: bool) -> ColumnDef {
    let mut c = ColumnDef::new(col);
    c.big_integer();
    if null {
        c.null();
    } else {
        c.not_null();
    }
    c
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_settings(manager).await?;
        create_webhooks(manager).await?;
        create_alert_deliveries(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AlertDeliveries::Table.into_iden(),
            Webhooks::Table.into_iden(),
            Settings::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

/// Settings (one row per name).
async fn create_settings(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Settings::Table)
                .col(
                    ColumnDef::new(Settings::Key)
                        .string()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(Settings::Value).text().not_null())
                .col(micros(Settings::UpdatedAtUs, false))
                .to_owned(),
        )
        .await?;
    Ok(())
}

/// Webhooks.
async fn create_webhooks(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Webhooks::Table)
                .col(id(Webhooks::Id))
                .col(ColumnDef::new(Webhooks::Name).string().not_null())
                .col(ColumnDef::new(Webhooks::Url).text().not_null())
                .col(ColumnDef::new(Webhooks::Secret).string().not_null())
                .col(ColumnDef::new(Webhooks::Format).string().not_null())
                // Comma-separated alert types (FAILURE,MISSED).
                .col(ColumnDef::new(Webhooks::AlertTypes).string().not_null())
                .col(ColumnDef::new(Webhooks::Enabled).boolean().not_null())
                .col(micros(Webhooks::CreatedAtUs, false))
                .col(micros(Webhooks::UpdatedAtUs, false))
                .to_owned(),
        )
        .await?;
    Ok(())
}

/// Alert deliveries, with the indexes the sender reads.
async fn create_alert_deliveries(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(AlertDeliveries::Table)
                .col(id(AlertDeliveries::Id))
                .col(
                    ColumnDef::new(AlertDeliveries::AlertId)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(AlertDeliveries::Notification)
                        .string()
                        .not_null(),
                )
                .col(ColumnDef::new(AlertDeliveries::Channel).string().not_null())
                .col(ColumnDef::new(AlertDeliveries::Target).text().not_null())
                // No foreign key: a webhook deleted later leaves its
                // history readable (and its pending rows fail, saying so).
                .col(
                    ColumnDef::new(AlertDeliveries::WebhookId)
                        .big_integer()
                        .null(),
                )
                .col(ColumnDef::new(AlertDeliveries::Status).string().not_null())
                .col(
                    ColumnDef::new(AlertDeliveries::Attempt)
                        .integer()
                        .not_null(),
                )
                .col(ColumnDef::new(AlertDeliveries::Error).text().null())
                .col(
                    ColumnDef::new(AlertDeliveries::Permanent)
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .col(micros(AlertDeliveries::CreatedAtUs, false))
                .col(micros(AlertDeliveries::DueAtUs, false))
                // A sender's lease: another sender leaves the row alone
                // until it expires (a crash mid-send frees it).
                .col(micros(AlertDeliveries::ClaimedUntilUs, true))
                .col(micros(AlertDeliveries::FinishedAtUs, true))
                .col(micros(AlertDeliveries::RetryAtUs, true))
                .to_owned(),
        )
        .await?;
    let db = manager.get_connection();
    for sql in [
        // The sender's question: what is due now. Only pending rows.
        "CREATE INDEX ix_alert_deliveries_due ON alert_deliveries (due_at_us) \
         WHERE status = 'PENDING'",
        "CREATE INDEX ix_alert_deliveries_alert ON alert_deliveries (alert_id)",
        // The overview's question: did the last attempts on a target
        // fail (it reads the newest finished attempts).
        "CREATE INDEX ix_alert_deliveries_finished ON alert_deliveries (finished_at_us) \
         WHERE finished_at_us IS NOT NULL",
    ] {
        db.execute_unprepared(sql).await?;
    }
    Ok(())
}
