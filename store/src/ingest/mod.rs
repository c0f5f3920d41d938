//! Ingest: storing events and deriving state from them, in one
//! transaction. Requests reach the store through the group-commit queue
//! (`queue`); SQLite writes on its own thread and connection (`sqlite`),
//! PostgreSQL through sea-orm (`postgres`); both fold the events into run,
//! job and worker state with the same `fold`.
//!
//! For a group of events: (1) drop those whose `eventId` is already stored or
//! repeats within the group, (2) insert the rest, (3) load the runs, jobs and
//! workers they name, fold every new event through the pure
//! [`telltale_model::apply`], and (4) write what changed, plus a log line
//! for each transition refused on a terminal run. When `ingest` returns `Ok`
//! all of it is committed; on error none of it is.

pub(crate) mod fold;
mod postgres;
pub(crate) mod queue;
pub(crate) mod sqlite;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::TransactionTrait;
use telltale_model::NewEvent;

use crate::{Store, StoreError};
use fold::stored_events;
use postgres::{derive_state, insert_events};

/// What happened to one event handed to [`Store::ingest`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventOutcome {
    /// Stored, with this row id.
    Inserted(i64),
    /// Its `eventId` was already stored (or came earlier in the same group).
    Duplicate,
}

impl Store {
    /// Stores `events` and applies them to derived state, atomically. The
    /// outcomes are in the order of `events`.
    pub async fn ingest(
        &self,
        events: &[NewEvent],
        received_at: DateTime<Utc>,
    ) -> Result<Vec<EventOutcome>, StoreError> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        self.ingest_shared(events.into(), stored_metadata(events).into(), received_at)
            .await
    }

    /// As [`Store::ingest`], for events the caller no longer needs apart
    /// from reading them (the SQLite writer takes them without a copy),
    /// with `metadata[i]` the stored text of `events[i].metadata`
    /// ([`stored_metadata`]): the caller serializes it on its own thread,
    /// beside the writer rather than in it.
    pub async fn ingest_shared(
        &self,
        events: Arc<[NewEvent]>,
        metadata: Arc<[String]>,
        received_at: DateTime<Utc>,
    ) -> Result<Vec<EventOutcome>, StoreError> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        if events.len() != metadata.len() {
            return Err(mismatched(&events, &metadata));
        }
        if let Some(writer) = &self.sqlite_writer {
            return writer.ingest(events, metadata, Some(received_at)).await;
        }
        self.ingest_in_transaction(&events, &metadata, received_at)
            .await
    }

    /// Whether this store gathers concurrent ingest requests into shared
    /// transactions itself ([`Store::ingest_grouped`]): SQLite's writer
    /// thread does.
    pub fn groups_ingest(&self) -> bool {
        self.sqlite_writer.is_some()
    }

    /// As [`Store::ingest_shared`], received now: committed in one
    /// transaction with the other requests waiting beside it, stamped with
    /// the time that transaction began (so received times rise with ids).
    /// Only where [`Store::groups_ingest`]; otherwise each call is its own
    /// transaction.
    pub async fn ingest_grouped(
        &self,
        events: Arc<[NewEvent]>,
        metadata: Arc<[String]>,
    ) -> Result<Vec<EventOutcome>, StoreError> {
        if events.len() != metadata.len() {
            return Err(mismatched(&events, &metadata));
        }
        match &self.sqlite_writer {
            Some(writer) if !events.is_empty() => writer.ingest(events, metadata, None).await,
            _ => self.ingest_shared(events, metadata, Utc::now()).await,
        }
    }

    async fn ingest_in_transaction(
        &self,
        events: &[NewEvent],
        metadata: &[String],
        received_at: DateTime<Utc>,
    ) -> Result<Vec<EventOutcome>, StoreError> {
        let txn = self.db.begin().await?;
        let outcomes = insert_events(&txn, events, metadata, received_at).await?;
        let stored = stored_events(events, &outcomes, received_at);
        derive_state(&txn, &stored, self.clock_skew()).await?;
        txn.commit().await?;
        Ok(outcomes)
    }
}

/// The writer pairs `events[i]` with `metadata[i]` by slicing both: lists
/// of different lengths are refused before they reach it.
fn mismatched(events: &[NewEvent], metadata: &[String]) -> StoreError {
    StoreError::Query(format!(
        "{} events came with {} metadata texts",
        events.len(),
        metadata.len()
    ))
}

/// Each event's metadata as the log stores it: JSON text.
pub(crate) fn stored_metadata(events: &[NewEvent]) -> Vec<String> {
    events.iter().map(|e| e.metadata.to_string()).collect()
}
