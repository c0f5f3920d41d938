//! The rest of a job's check policy (overrun, too fast, start grace, failure
//! threshold, repeats, dependencies), what the engine shows of a job
//! (its effective expected start), suppression and repeats on alerts,
//! maintenance windows, and the engine's own memory (last tick, blindness).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Jobs {
    Table,
    StartGraceSeconds,
    MaxRuntimeSeconds,
    MinRuntimeSeconds,
    FailureThreshold,
    RepeatIntervalSeconds,
    DependsOn,
    LastFailureReason,
    CheckExpectedAtUs,
}

#[derive(DeriveIden, Clone, Copy)]
enum Alerts {
    Table,
    Suppressed,
    NotifiedAtUs,
    NotifyCount,
}

#[derive(DeriveIden, Clone, Copy)]
enum MaintenanceWindows {
    Table,
    Id,
    JobName,
    Schedule,
    DurationSeconds,
    Timezone,
    StartsAtUs,
    EndsAtUs,
    Reason,
    CreatedAtUs,
}

#[derive(DeriveIden, Clone, Copy)]
enum EngineState {
    Table,
    Name,
    AtUs,
    Note,
}

fn seconds(col: Jobs) -> ColumnDef {
    ColumnDef::new(col).integer().null().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_policy_columns(manager).await?;
        add_engine_indexes(manager).await?;
        create_maintenance_windows(manager).await?;
        create_engine_state(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            MaintenanceWindows::Table.into_iden(),
            EngineState::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        let db = manager.get_connection();
        for index in [
            "ix_runs_running",
            "ix_jobs_check_state",
            "ix_jobs_depends_on",
        ] {
            db.execute_unprepared(&format!("DROP INDEX IF EXISTS {index}"))
                .await?;
        }
        for col in [
            Jobs::StartGraceSeconds,
            Jobs::MaxRuntimeSeconds,
            Jobs::MinRuntimeSeconds,
            Jobs::FailureThreshold,
            Jobs::RepeatIntervalSeconds,
            Jobs::DependsOn,
            Jobs::LastFailureReason,
            Jobs::CheckExpectedAtUs,
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
        for col in [
            Alerts::Suppressed,
            Alerts::NotifiedAtUs,
            Alerts::NotifyCount,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Alerts::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

/// The policy columns of jobs and the noise-control columns of alerts.
async fn add_policy_columns(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    // One column per ALTER: SQLite adds columns one at a time.
    for col in [
        seconds(Jobs::StartGraceSeconds),
        seconds(Jobs::MaxRuntimeSeconds),
        seconds(Jobs::MinRuntimeSeconds),
        ColumnDef::new(Jobs::FailureThreshold)
            .integer()
            .not_null()
            .default(1)
            .to_owned(),
        seconds(Jobs::RepeatIntervalSeconds),
        ColumnDef::new(Jobs::DependsOn).string().null().to_owned(),
        ColumnDef::new(Jobs::LastFailureReason)
            .text()
            .null()
            .to_owned(),
        ColumnDef::new(Jobs::CheckExpectedAtUs)
            .big_integer()
            .null()
            .to_owned(),
    ] {
        manager
            .alter_table(Table::alter().table(Jobs::Table).add_column(col).to_owned())
            .await?;
    }
    for col in [
        ColumnDef::new(Alerts::Suppressed).text().null().to_owned(),
        ColumnDef::new(Alerts::NotifiedAtUs)
            .big_integer()
            .null()
            .to_owned(),
        ColumnDef::new(Alerts::NotifyCount)
            .integer()
            .not_null()
            .default(0)
            .to_owned(),
    ] {
        manager
            .alter_table(
                Table::alter()
                    .table(Alerts::Table)
                    .add_column(col)
                    .to_owned(),
            )
            .await?;
    }
    Ok(())
}

/// The indexes the engine reads on every evaluation.
async fn add_engine_indexes(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    // The engine asks "which runs of these jobs are still running" on
    // every evaluation; a partial index holds only those rows, so ingest
    // pays for it only while a run is running.
    db.execute_unprepared(
        "CREATE INDEX ix_runs_running ON runs (job_name, start_time_us) \
         WHERE status = 'RUNNING'",
    )
    .await?;
    // depends_on: find the jobs that are DOWN, and the jobs that wait on one.
    for sql in [
        "CREATE INDEX ix_jobs_check_state ON jobs (check_state)",
        "CREATE INDEX ix_jobs_depends_on ON jobs (depends_on) WHERE depends_on IS NOT NULL",
    ] {
        db.execute_unprepared(sql).await?;
    }
    Ok(())
}

/// Maintenance windows.
async fn create_maintenance_windows(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(MaintenanceWindows::Table)
                .col(
                    ColumnDef::new(MaintenanceWindows::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new(MaintenanceWindows::JobName).string().null())
                .col(ColumnDef::new(MaintenanceWindows::Schedule).string().null())
                .col(
                    ColumnDef::new(MaintenanceWindows::DurationSeconds)
                        .big_integer()
                        .null(),
                )
                .col(ColumnDef::new(MaintenanceWindows::Timezone).string().null())
                .col(
                    ColumnDef::new(MaintenanceWindows::StartsAtUs)
                        .big_integer()
                        .null(),
                )
                .col(
                    ColumnDef::new(MaintenanceWindows::EndsAtUs)
                        .big_integer()
                        .null(),
                )
                .col(ColumnDef::new(MaintenanceWindows::Reason).text().not_null())
                .col(
                    ColumnDef::new(MaintenanceWindows::CreatedAtUs)
                        .big_integer()
                        .not_null(),
                )
                .to_owned(),
        )
        .await?;
    Ok(())
}

/// What the engine keeps between ticks.
async fn create_engine_state(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(EngineState::Table)
                .col(
                    ColumnDef::new(EngineState::Name)
                        .string()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(EngineState::AtUs).big_integer().null())
                .col(ColumnDef::new(EngineState::Note).text().null())
                .to_owned(),
        )
        .await
}
