//! Check state per job (owned by the engine, not by ingest), the append-only
//! log of check transitions, and alerts with at most one open per key.

use sea_orm_migration::prelude::*;

use crate::triggers::{drop_forbid_updates, forbid_updates};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Jobs {
    Table,
    CheckState,
    CheckStateSinceUs,
    CheckDeadlineUs,
}

#[derive(DeriveIden, Clone, Copy)]
enum Alerts {
    Table,
    Id,
    AlertType,
    Status,
    JobName,
    WorkerId,
    RunId,
    DedupeKey,
    Reason,
    OpenedAtUs,
    ClosedAtUs,
    CloseReason,
}

#[derive(DeriveIden, Clone, Copy)]
enum CheckTransitions {
    Table,
    Id,
    JobName,
    FromState,
    ToState,
    Reason,
    AtUs,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_check_columns(manager).await?;
        create_alerts(manager).await?;
        create_check_transitions(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Alerts::Table.into_iden(),
            CheckTransitions::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        drop_forbid_updates(manager, "check_transitions").await?;
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX IF EXISTS ix_events_chief_heartbeat")
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("ix_jobs_check_deadline_us")
                    .table(Jobs::Table)
                    .to_owned(),
            )
            .await?;
        for col in [
            Jobs::CheckState,
            Jobs::CheckStateSinceUs,
            Jobs::CheckDeadlineUs,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Jobs::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

/// The check state columns of jobs, and the index the evaluator reads.
async fn add_check_columns(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    // One column per ALTER: SQLite adds columns one at a time.
    for col in [
        ColumnDef::new(Jobs::CheckState)
            .string()
            .not_null()
            .default("NEW")
            .to_owned(),
        ColumnDef::new(Jobs::CheckStateSinceUs)
            .big_integer()
            .null()
            .to_owned(),
        ColumnDef::new(Jobs::CheckDeadlineUs)
            .big_integer()
            .null()
            .to_owned(),
    ] {
        manager
            .alter_table(Table::alter().table(Jobs::Table).add_column(col).to_owned())
            .await?;
    }
    // The evaluator reads only jobs whose deadline has passed.
    manager
        .create_index(
            Index::create()
                .name("ix_jobs_check_deadline_us")
                .table(Jobs::Table)
                .col(Jobs::CheckDeadlineUs)
                .to_owned(),
        )
        .await?;
    Ok(())
}

/// Alerts, at most one open per dedupe key, with their listing indexes.
async fn create_alerts(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Alerts::Table)
                .col(
                    ColumnDef::new(Alerts::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new(Alerts::AlertType).string().not_null())
                .col(ColumnDef::new(Alerts::Status).string().not_null())
                .col(ColumnDef::new(Alerts::JobName).string().null())
                .col(ColumnDef::new(Alerts::WorkerId).string().null())
                .col(ColumnDef::new(Alerts::RunId).string().null())
                .col(ColumnDef::new(Alerts::DedupeKey).string().not_null())
                .col(ColumnDef::new(Alerts::Reason).text().not_null())
                .col(ColumnDef::new(Alerts::OpenedAtUs).big_integer().not_null())
                .col(ColumnDef::new(Alerts::ClosedAtUs).big_integer().null())
                .col(ColumnDef::new(Alerts::CloseReason).text().null())
                .to_owned(),
        )
        .await?;
    let db = manager.get_connection();
    // At most one open alert per dedupe key, enforced by the database so
    // that two evaluators racing can never open two.
    db.execute_unprepared(
        "CREATE UNIQUE INDEX ux_alerts_open_dedupe_key ON alerts (dedupe_key) \
         WHERE status = 'OPEN'",
    )
    .await?;
    for (name, cols) in [
        ("ix_alerts_status_id", &[Alerts::Status, Alerts::Id][..]),
        ("ix_alerts_job_name_id", &[Alerts::JobName, Alerts::Id][..]),
    ] {
        let mut index = Index::create();
        index.name(name).table(Alerts::Table);
        for col in cols {
            index.col(*col);
        }
        manager.create_index(index.to_owned()).await?;
    }
    Ok(())
}

/// The append-only log of check state changes, and the index for scheduler
/// presence.
async fn create_check_transitions(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    manager
        .create_table(
            Table::create()
                .table(CheckTransitions::Table)
                .col(
                    ColumnDef::new(CheckTransitions::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(CheckTransitions::JobName)
                        .string()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(CheckTransitions::FromState)
                        .string()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(CheckTransitions::ToState)
                        .string()
                        .not_null(),
                )
                .col(ColumnDef::new(CheckTransitions::Reason).text().not_null())
                .col(
                    ColumnDef::new(CheckTransitions::AtUs)
                        .big_integer()
                        .not_null(),
                )
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name("ix_check_transitions_job_name_id")
                .table(CheckTransitions::Table)
                .col(CheckTransitions::JobName)
                .col(CheckTransitions::Id)
                .to_owned(),
        )
        .await?;
    // Scheduler presence reads the newest chief.heartbeat; a partial
    // index keeps that one lookup fast without taxing other events.
    db.execute_unprepared(
        "CREATE INDEX ix_events_chief_heartbeat ON events (id) \
         WHERE event_type = 'chief.heartbeat'",
    )
    .await?;
    forbid_updates(
        manager,
        "check_transitions",
        "check_transitions are append-only",
    )
    .await
}
