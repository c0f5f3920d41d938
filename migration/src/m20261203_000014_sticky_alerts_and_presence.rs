//! What keeps a hand-closed alert closed for its incident, and scheduler
//! presence that a back-dated heartbeat cannot move.
//!
//! - `jobs.failures_total` counts failed runs and is never reset;
//!   `jobs.failure_ack` is its value when a FAILURE was last closed by hand.
//!   A FAILURE reopens only when the first passes the second: a run failed
//!   after the close. Clocks play no part (producers' clocks differ).
//! - `jobs.last_failure_run_id`: the run that failed last, so an alert never
//!   names a run that merely started after it.
//! - `jobs.miss_ack`: a MISSED was closed by hand; cleared by the engine
//!   once the job is UP again.
//! - `workers.offline_ack_beat_us`: the worker's newest heartbeat when its
//!   WORKER_OFFLINE was closed by hand; it reopens only after a newer one.
//! - SCHEDULER_OFFLINE is a new alert type: whoever is told of MISSED
//!   alerts is told of it too (a silent scheduler is why MISSED is held).
//! - Scheduler presence reads the newest `chief.heartbeat` by its time
//!   capped at its receipt; an index on that expression keeps the lookup a
//!   single probe (the old index ordered by arrival).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Jobs {
    Table,
    FailuresTotal,
    LastFailureRunId,
    FailureAck,
    MissAck,
}

#[derive(DeriveIden)]
enum Workers {
    Table,
    OfflineAckBeatUs,
}

/// The capped heartbeat time, in each backend's words (`MIN` with two
/// arguments is SQLite's scalar minimum; PostgreSQL says `LEAST`). Queries
/// must use the very same expression for the index to serve them.
pub fn beat_expression(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => "LEAST(event_at_us, received_at_us)",
        _ => "MIN(event_at_us, received_at_us)",
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let columns = [
            ColumnDef::new(Jobs::FailuresTotal)
                .big_integer()
                .not_null()
                .default(0)
                .to_owned(),
            ColumnDef::new(Jobs::LastFailureRunId)
                .string()
                .null()
                .to_owned(),
            ColumnDef::new(Jobs::FailureAck)
                .big_integer()
                .not_null()
                .default(0)
                .to_owned(),
            ColumnDef::new(Jobs::MissAck)
                .boolean()
                .not_null()
                .default(false)
                .to_owned(),
        ];
        for mut col in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(Jobs::Table)
                        .add_column(&mut col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Workers::Table)
                    .add_column(
                        ColumnDef::new(Workers::OfflineAckBeatUs)
                            .big_integer()
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        // What a job's failures were before the count existed: at least the
        // ones in a row now.
        db.execute_unprepared("UPDATE jobs SET failures_total = consecutive_failures")
            .await?;
        db.execute_unprepared(
            "UPDATE webhooks SET alert_types = alert_types || ',SCHEDULER_OFFLINE' \
             WHERE alert_types LIKE '%MISSED%'",
        )
        .await?;
        db.execute_unprepared(
            "UPDATE settings SET value = REPLACE(value, '\"MISSED\"', '\"MISSED\",\"SCHEDULER_OFFLINE\"') \
             WHERE key = 'alert_email_settings'",
        )
        .await?;
        db.execute_unprepared("DROP INDEX IF EXISTS ix_events_chief_heartbeat")
            .await?;
        db.execute_unprepared(&format!(
            "CREATE INDEX ix_events_chief_heartbeat_at ON events (({})) \
             WHERE event_type = 'chief.heartbeat'",
            beat_expression(manager.get_database_backend())
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX IF EXISTS ix_events_chief_heartbeat_at")
            .await?;
        db.execute_unprepared(
            "CREATE INDEX ix_events_chief_heartbeat ON events (id) \
             WHERE event_type = 'chief.heartbeat'",
        )
        .await?;
        for col in [
            Jobs::FailuresTotal,
            Jobs::LastFailureRunId,
            Jobs::FailureAck,
            Jobs::MissAck,
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
        manager
            .alter_table(
                Table::alter()
                    .table(Workers::Table)
                    .drop_column(Workers::OfflineAckBeatUs)
                    .to_owned(),
            )
            .await
    }
}
