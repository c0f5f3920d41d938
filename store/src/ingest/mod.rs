//! Ingest: storing events and deriving state from them, in one
//! transaction. Every write goes through one loop (`queue`): it gathers the
//! requests waiting, commits them together in one transaction (`commit`),
//! and commits each alone should that fail. The loop is the same on both
//! backends; a small trait (`commit::Backend`) gives each its own I/O:
//! SQLite writes on its own thread and connection (`sqlite`), PostgreSQL
//! through sea-orm in a task (`postgres`). Both fold the events into run,
//! job and worker state with the same `fold` and bind the same `columns`.
//!
//! For a group of events: (1) drop those whose `eventId` is already stored or
//! repeats within the group, (2) insert the rest, (3) load the runs, jobs and
//! workers they name, fold every new event through the pure
//! [`telltale_model::apply`], and (4) write what changed, plus a log line
//! for each transition refused on a terminal run. A request is answered
//! once all of it is committed; on error none of it is.

mod columns;
pub(crate) mod commit;
pub(crate) mod fold;
pub(crate) mod ping;
mod postgres;
pub(crate) mod queue;
pub(crate) mod sqlite;

use chrono::{DateTime, Utc};
use telltale_model::{Change, NewEvent};

use crate::{Store, StoreError};
use queue::Batch;

/// What happened to one event handed to ingest.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum EventOutcome {
    /// Stored, with this row id.
    Inserted(i64),
    /// Its `eventId` was already stored (or came earlier in the same group).
    #[default]
    Duplicate,
}

/// What one ingest request did: each event's outcome, in the order sent,
/// and what its stored events changed, as the fold saw it (a duplicate
/// changes nothing).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IngestReport {
    pub outcomes: Vec<EventOutcome>,
    pub changed: Changed,
    /// For a ping ([`crate::IngestQueue::submit_ping`]): what the writer
    /// found. When it is `Missing`, `outcomes` is empty.
    pub ping: Option<ping::PingFound>,
}

/// The runs, jobs and workers whose derived state a request's events
/// changed, each once, in the order they first changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changed {
    pub runs: Vec<String>,
    pub jobs: Vec<String>,
    pub workers: Vec<String>,
}

impl IngestReport {
    pub fn inserted(&self) -> usize {
        self.outcomes
            .iter()
            .filter(|o| matches!(o, EventOutcome::Inserted(_)))
            .count()
    }

    pub fn duplicates(&self) -> usize {
        self.outcomes.len() - self.inserted()
    }

    /// The kinds of thing live pages must hear changed: the event log if
    /// anything was stored, and each kind of state the fold wrote.
    pub fn changes(&self) -> Vec<Change> {
        if self.inserted() == 0 {
            return Vec::new();
        }
        let mut out = vec![Change::Events];
        for (any, change) in [
            (!self.changed.runs.is_empty(), Change::Runs),
            (!self.changed.jobs.is_empty(), Change::Jobs),
            (!self.changed.workers.is_empty(), Change::Workers),
        ] {
            if any {
                out.push(change);
            }
        }
        out
    }
}

impl Store {
    /// Stores `events` as received at `received_at` and applies them to
    /// derived state, atomically, through the same writer as the ingest
    /// queue. The outcomes are in the order of `events`. For imports,
    /// tests and the engine's own events; requests go through
    /// [`crate::IngestQueue::submit`].
    pub async fn ingest(
        &self,
        events: &[NewEvent],
        received_at: DateTime<Utc>,
    ) -> Result<Vec<EventOutcome>, StoreError> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let batch = Batch::new(events.to_vec(), Some(received_at));
        let report = match &self.sqlite_writer {
            Some(writer) => writer.send(batch).await?,
            None => postgres::commit_alone(self, batch).await?,
        };
        Ok(report.outcomes)
    }
}

/// Each event's metadata as the log stores it: JSON text.
pub(crate) fn stored_metadata(events: &[NewEvent]) -> Vec<String> {
    events.iter().map(|e| e.metadata.to_string()).collect()
}
