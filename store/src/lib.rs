//! Every read and write of Telltale's database goes through [`Store`].
//!
//! The invariants of the specification (append-only events, verbatim text,
//! idempotent ingest) are enforced here and in the schema, so no caller — REST
//! handler, server function or background loop — can break them.

pub mod admin;
mod auth;
mod badges;
mod check_context;
mod checkpoint;
mod checks;
mod connect;
mod convert;
mod delivery;
mod entity;
mod error;
mod events;
mod export;
mod fold;
mod ingest;
pub mod leader_lock;
pub mod live;
mod pool;
mod retention;
mod runs;
mod sqlite_writer;
mod status;
mod throughput;
mod time;
mod workers;
mod writer;

pub use checks::{CloseOutcome, JobOutcome, JobUpdate};
pub use connect::{DatabaseTarget, sqlite_pool_size};
pub use delivery::{DeliveryResult, NewAttempt, WebhookTarget};
pub use error::StoreError;
pub use export::{EXPORT_PAGE_ROWS, EventExport, RunExport};
pub use ingest::EventOutcome;
pub use live::{Bulletin, LiveHub, LiveSignal, Outbox};
pub use pool::PoolUse;
pub use writer::{IngestQueue, QueueError};

use sea_orm::DatabaseConnection;

/// A handle on the database; cheap to clone (it shares one pool).
#[derive(Debug, Clone)]
pub struct Store {
    db: DatabaseConnection,
    /// On SQLite, the one connection that ingest writes through.
    sqlite_writer: Option<sqlite_writer::SqliteWriter>,
    /// Where each settled minute of the throughput chart starts.
    minute_starts: throughput::MinuteStarts,
}
