//! Derived state: runs, jobs and workers, kept in step with the event log by
//! the store, and the log of transitions refused on terminal runs.

use crate::triggers::{drop_forbid_updates, forbid_updates, forbid_updates_when};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Runs {
    Table,
    Seq,
    RunId,
    JobName,
    JobType,
    Engine,
    Status,
    CreatedAtUs,
    StartTimeUs,
    EndTimeUs,
    FailureReason,
    BurninPresetId,
    LutId,
    WorkerId,
    VerificationRunId,
    SourcePath,
    OutputPath,
    Progress,
    UpdatedAtUs,
    Metadata,
}

#[derive(DeriveIden, Clone, Copy)]
enum Jobs {
    Table,
    Name,
    FirstSeenAtUs,
    LastEventAtUs,
    LastHeartbeatAtUs,
    LastRunId,
    LastSuccessAtUs,
    LastFailureAtUs,
    ConsecutiveFailures,
    ExpectedNextAtUs,
    CheckEnabled,
    GraceSeconds,
    AlertOnFailure,
    AlertOnMiss,
    Schedule,
    Timezone,
}

#[derive(DeriveIden, Clone, Copy)]
enum Workers {
    Table,
    WorkerId,
    Hostname,
    FirstSeenAtUs,
    LastEventAtUs,
    LastHeartbeatAtUs,
    CurrentRunId,
    IntervalSeconds,
}

#[derive(DeriveIden, Clone, Copy)]
enum RejectedTransitions {
    Table,
    Id,
    EventRowId,
    RunId,
    EventType,
    RunStatus,
    Reason,
    AtUs,
}

fn id_col<T: Iden + 'static>(col: T) -> ColumnDef {
    ColumnDef::new(col)
        .big_integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .to_owned()
}

fn text<T: Iden + 'static>(col: T) -> ColumnDef {
    ColumnDef::new(col).text().null().to_owned()
}

fn name<T: Iden + 'static>(col: T) -> ColumnDef {
    ColumnDef::new(col).string().null().to_owned()
}

fn time<T: Iden + 'static>(col: T) -> ColumnDef {
    ColumnDef::new(col).big_integer().null().to_owned()
}

fn time_nn<T: Iden + 'static>(col: T) -> ColumnDef {
    ColumnDef::new(col).big_integer().not_null().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_runs(manager).await?;
        create_jobs(manager).await?;
        create_workers(manager).await?;
        create_rejected_transitions(manager).await?;
        guard_terminal_runs(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Runs::Table.into_iden(),
            Jobs::Table.into_iden(),
            Workers::Table.into_iden(),
            RejectedTransitions::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        drop_forbid_updates(manager, "runs").await?;
        drop_forbid_updates(manager, "rejected_transitions").await
    }
}

/// Runs, with the indexes their listings read.
async fn create_runs(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Runs::Table)
                .col(id_col(Runs::Seq))
                .col(ColumnDef::new(Runs::RunId).string().not_null().unique_key())
                .col(name(Runs::JobName))
                .col(name(Runs::JobType))
                .col(name(Runs::Engine))
                .col(ColumnDef::new(Runs::Status).string().not_null())
                .col(time_nn(Runs::CreatedAtUs))
                .col(time(Runs::StartTimeUs))
                .col(time(Runs::EndTimeUs))
                .col(text(Runs::FailureReason))
                .col(name(Runs::BurninPresetId))
                .col(name(Runs::LutId))
                .col(name(Runs::WorkerId))
                .col(name(Runs::VerificationRunId))
                .col(text(Runs::SourcePath))
                .col(text(Runs::OutputPath))
                .col(ColumnDef::new(Runs::Progress).small_integer().null())
                .col(time_nn(Runs::UpdatedAtUs))
                .col(ColumnDef::new(Runs::Metadata).text().not_null())
                .to_owned(),
        )
        .await?;
    // Listings read "newest first for one X"; each index ends in `seq`.
    // A run row is rewritten on most of its events, so indexes are few.
    for (index, col) in [
        ("ix_runs_status_seq", Runs::Status),
        ("ix_runs_job_name_seq", Runs::JobName),
        ("ix_runs_worker_id_seq", Runs::WorkerId),
    ] {
        manager
            .create_index(
                Index::create()
                    .name(index)
                    .table(Runs::Table)
                    .col(col)
                    .col(Runs::Seq)
                    .to_owned(),
            )
            .await?;
    }
    Ok(())
}

/// Jobs: what the check engine knows of each.
async fn create_jobs(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Jobs::Table)
                .col(ColumnDef::new(Jobs::Name).string().not_null().primary_key())
                .col(time_nn(Jobs::FirstSeenAtUs))
                .col(time_nn(Jobs::LastEventAtUs))
                .col(time(Jobs::LastHeartbeatAtUs))
                .col(name(Jobs::LastRunId))
                .col(time(Jobs::LastSuccessAtUs))
                .col(time(Jobs::LastFailureAtUs))
                .col(
                    ColumnDef::new(Jobs::ConsecutiveFailures)
                        .integer()
                        .not_null(),
                )
                .col(time(Jobs::ExpectedNextAtUs))
                .col(ColumnDef::new(Jobs::CheckEnabled).boolean().not_null())
                .col(ColumnDef::new(Jobs::GraceSeconds).integer().not_null())
                .col(ColumnDef::new(Jobs::AlertOnFailure).boolean().not_null())
                .col(ColumnDef::new(Jobs::AlertOnMiss).boolean().not_null())
                .col(name(Jobs::Schedule))
                .col(name(Jobs::Timezone))
                .to_owned(),
        )
        .await?;
    Ok(())
}

/// Workers and their liveness.
async fn create_workers(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Workers::Table)
                .col(
                    ColumnDef::new(Workers::WorkerId)
                        .string()
                        .not_null()
                        .primary_key(),
                )
                .col(name(Workers::Hostname))
                .col(time_nn(Workers::FirstSeenAtUs))
                .col(time_nn(Workers::LastEventAtUs))
                .col(time(Workers::LastHeartbeatAtUs))
                .col(name(Workers::CurrentRunId))
                .col(
                    ColumnDef::new(Workers::IntervalSeconds)
                        .integer()
                        .not_null(),
                )
                .to_owned(),
        )
        .await?;
    Ok(())
}

/// The log of changes refused to terminal runs.
async fn create_rejected_transitions(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(RejectedTransitions::Table)
                .col(id_col(RejectedTransitions::Id))
                // No foreign key: retention prunes old events, the log stays.
                .col(
                    ColumnDef::new(RejectedTransitions::EventRowId)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(RejectedTransitions::RunId)
                        .string()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(RejectedTransitions::EventType)
                        .string()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(RejectedTransitions::RunStatus)
                        .string()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(RejectedTransitions::Reason)
                        .text()
                        .not_null(),
                )
                .col(time_nn(RejectedTransitions::AtUs))
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name("ix_rejected_transitions_run_id")
                .table(RejectedTransitions::Table)
                .col(RejectedTransitions::RunId)
                .col(RejectedTransitions::Id)
                .to_owned(),
        )
        .await?;
    Ok(())
}

/// A terminal run never changes, whoever tries (SPEC §2, invariant 2);
/// the rejection log is append-only like the events.
async fn guard_terminal_runs(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    forbid_updates_when(
        manager,
        "runs",
        Some("OLD.status IN ('failed', 'completed')"),
        "run is terminal",
    )
    .await?;
    forbid_updates(
        manager,
        "rejected_transitions",
        "rejected_transitions are append-only",
    )
    .await?;
    Ok(())
}
