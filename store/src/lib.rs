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

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use sea_orm::DatabaseConnection;
use telltale_supervise::Loops;

/// A handle on the database; cheap to clone (it shares one pool).
#[derive(Debug, Clone)]
pub struct Store {
    db: DatabaseConnection,
    /// On SQLite, the one connection that ingest writes through.
    sqlite_writer: Option<sqlite_writer::SqliteWriter>,
    /// Where each settled minute of the throughput chart starts.
    minute_starts: throughput::MinuteStarts,
    /// The store's own threads (SQLite writer, checkpointer) report here;
    /// the server adds its loops to the same registry.
    loops: Loops,
    /// How far ahead of receipt an `eventAt` still counts (milliseconds).
    clock_skew_ms: Arc<AtomicI64>,
}

impl Store {
    /// The registry of background loops this store's threads report to.
    pub fn loops(&self) -> &Loops {
        &self.loops
    }

    /// Sets how far ahead of its receipt an event's time may lie and still
    /// count for liveness and deadlines (`MONITOR_CLOCK_SKEW_SECONDS`).
    pub fn set_clock_skew(&self, skew: chrono::Duration) {
        self.clock_skew_ms
            .store(skew.num_milliseconds().max(0), Ordering::Relaxed);
    }

    pub(crate) fn clock_skew(&self) -> chrono::Duration {
        skew_of(&self.clock_skew_ms)
    }
}

pub(crate) fn skew_of(ms: &AtomicI64) -> chrono::Duration {
    chrono::Duration::try_milliseconds(ms.load(Ordering::Relaxed))
        .unwrap_or(telltale_model::event::DEFAULT_CLOCK_SKEW)
}
