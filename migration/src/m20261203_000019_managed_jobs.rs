//! Jobs managed by operators, and the audit log of their changes.
//!
//! - `jobs.operator_keys`: the policy keys an operator set, comma-separated
//!   (policy keys have no commas); ingest leaves those keys alone.
//! - `jobs.retired_at_us`: a retired job is no longer checked; its history
//!   stays. `jobs.description`, `jobs.tags` (comma-separated).
//! - `audit_log`: who changed what, when, before → after; append-only.

use sea_orm_migration::prelude::*;

use crate::triggers::{drop_forbid_updates, forbid_updates};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Jobs {
    Table,
    OperatorKeys,
    RetiredAtUs,
    Description,
    Tags,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    AtUs,
    Actor,
    Action,
    JobName,
    WorkerId,
    Before,
    After,
}

fn add(column: ColumnDef) -> TableAlterStatement {
    Table::alter()
        .table(Jobs::Table)
        .add_column(column)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds them one at a time.
        for column in [
            ColumnDef::new(Jobs::OperatorKeys)
                .text()
                .not_null()
                .default("")
                .to_owned(),
            ColumnDef::new(Jobs::RetiredAtUs)
                .big_integer()
                .null()
                .to_owned(),
            ColumnDef::new(Jobs::Description).text().null().to_owned(),
            ColumnDef::new(Jobs::Tags)
                .text()
                .not_null()
                .default("")
                .to_owned(),
        ] {
            manager.alter_table(add(column)).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(AuditLog::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(AuditLog::AtUs).big_integer().not_null())
                    .col(ColumnDef::new(AuditLog::Actor).text().not_null())
                    .col(ColumnDef::new(AuditLog::Action).text().not_null())
                    .col(ColumnDef::new(AuditLog::JobName).text().null())
                    .col(ColumnDef::new(AuditLog::WorkerId).text().null())
                    .col(ColumnDef::new(AuditLog::Before).text().not_null())
                    .col(ColumnDef::new(AuditLog::After).text().not_null())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_audit_log_job_name_id")
                    .table(AuditLog::Table)
                    .col(AuditLog::JobName)
                    .col(AuditLog::Id)
                    .to_owned(),
            )
            .await?;
        forbid_updates(manager, "audit_log", "the audit log is append-only").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_forbid_updates(manager, "audit_log").await?;
        manager
            .drop_table(Table::drop().table(AuditLog::Table).to_owned())
            .await?;
        for column in [
            Jobs::OperatorKeys,
            Jobs::RetiredAtUs,
            Jobs::Description,
            Jobs::Tags,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Jobs::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
