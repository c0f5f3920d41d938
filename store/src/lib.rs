//! Every read and write of Telltale's database goes through [`Store`].
//!
//! The code is grouped by role: `ingest/` (the group-commit queue, the
//! SQLite and PostgreSQL write paths, the shared fold), `read/` (what pages
//! and the API show), `engine/` (what the check engine reads and writes, and
//! leadership), `alerts` (listing, closing, and the alert writes the engine
//! shares), `auth/`, `delivery/`, `live/` (changes between instances),
//! `upkeep/` (retention, WAL checkpoints), `admin/` (backup, restore,
//! migrate-to), `db/` (connecting, the read pool) and `entity/` (the
//! sea-orm tables).
//!
//! The invariants of the specification (append-only events, verbatim text,
//! idempotent ingest) are enforced here and in the schema, so no caller — REST
//! handler, server function or background loop — can break them.

pub mod admin;
mod alerts;
mod auth;
mod convert;
mod db;
mod delivery;
mod engine;
mod entity;
mod error;
mod ingest;
pub mod live;
mod manage;
mod pings;
mod read;
mod search;
mod time;
mod upkeep;

pub use alerts::CloseOutcome;
pub use db::connect::{DatabaseTarget, sqlite_pool_size};
pub use db::pool::PoolUse;
pub use delivery::{DeliveryResult, NewAttempt, WebhookTarget, groups};
pub use engine::checks::{JobOutcome, JobUpdate};
pub use engine::leader_lock;
pub use error::StoreError;
pub use ingest::ping::{PingFound, PingJob, PingLookup, RunEffect};
pub use ingest::queue::{IngestQueue, QueueError};
pub use ingest::{Changed, EventOutcome, IngestReport};
pub use live::{Bulletin, LiveHub, LiveSignal, Outbox};
pub use manage::{DeleteOutcome, Deleted};
pub use read::export::{EXPORT_PAGE_ROWS, EventExport, RunExport};
pub use search::SearchProgress;
pub use upkeep::retention::Pruned;

/// Values per `IN (…)` list and rows per multi-row insert: well under
/// SQLite's 32,766 and PostgreSQL's 65,535 bound parameters, however many
/// names a burst of ingest touched.
pub(crate) const BIND_CHUNK: usize = 1000;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use sea_orm::DatabaseConnection;
use telltale_supervise::Loops;

/// A handle on the database; cheap to clone (it shares one pool).
#[derive(Debug, Clone)]
pub struct Store {
    db: DatabaseConnection,
    /// On SQLite, the one connection that ingest writes through.
    sqlite_writer: Option<ingest::sqlite::SqliteWriter>,
    /// Where each settled minute of the throughput chart starts.
    minute_starts: read::throughput::MinuteStarts,
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
