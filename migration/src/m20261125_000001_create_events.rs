//! The append-only event log.
//!
//! Times are integer microseconds since the Unix epoch (UTC): they sort and
//! compare the same on SQLite and PostgreSQL, index compactly, and keep the
//! producer's sub-second precision.

use crate::triggers::{drop_forbid_updates, forbid_updates};
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden, Clone, Copy)]
enum Events {
    Table,
    Id,
    EventId,
    SourceType,
    Level,
    EventType,
    Message,
    EventAtUs,
    ReceivedAtUs,
    JobName,
    RunId,
    WorkerId,
    ScriptPath,
    Metadata,
}

/// Listing filters read "newest first for one X", so each index ends in `id`.
/// Every index costs each ingested event a b-tree insert, so only the
/// filters people use to narrow a large log have one (Chief §6.2: job,
/// level, run); type and time filters scan newest-first within those.
const INDEXES: &[(&str, &[Events])] = &[
    ("ix_events_job_name_id", &[Events::JobName, Events::Id]),
    ("ix_events_run_id_id", &[Events::RunId, Events::Id]),
    ("ix_events_worker_id_id", &[Events::WorkerId, Events::Id]),
    ("ix_events_level_id", &[Events::Level, Events::Id]),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Events::Table)
                    .col(
                        ColumnDef::new(Events::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(Events::EventId).string().null())
                    .col(ColumnDef::new(Events::SourceType).string().not_null())
                    .col(ColumnDef::new(Events::Level).string().not_null())
                    .col(ColumnDef::new(Events::EventType).string().not_null())
                    .col(ColumnDef::new(Events::Message).text().not_null())
                    .col(ColumnDef::new(Events::EventAtUs).big_integer().not_null())
                    .col(
                        ColumnDef::new(Events::ReceivedAtUs)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Events::JobName).string().null())
                    .col(ColumnDef::new(Events::RunId).string().null())
                    .col(ColumnDef::new(Events::WorkerId).string().null())
                    .col(ColumnDef::new(Events::ScriptPath).text().null())
                    .col(ColumnDef::new(Events::Metadata).text().not_null())
                    .to_owned(),
            )
            .await?;

        // The idempotency key: a retried event with the same eventId is a duplicate.
        // NULLs do not collide, so events without an eventId are all kept.
        manager
            .create_index(
                Index::create()
                    .name("ux_events_event_id")
                    .table(Events::Table)
                    .col(Events::EventId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        for (name, cols) in INDEXES {
            let mut index = Index::create();
            index.name(*name).table(Events::Table);
            for col in *cols {
                index.col(*col);
            }
            manager.create_index(index.to_owned()).await?;
        }

        // Append-only in the database itself: no code path, ours or a hand-typed
        // one, can rewrite an event. Deletes stay possible for retention pruning.
        forbid_updates(manager, "events", "events are append-only").await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Events::Table).to_owned())
            .await?;
        drop_forbid_updates(manager, "events").await
    }
}
