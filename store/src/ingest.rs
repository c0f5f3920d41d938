//! Storing events and deriving state from them, in one transaction, through
//! sea-orm: the PostgreSQL write path (SQLite writes go through
//! `sqlite_writer`, which shares the folding of state in `fold`).
//!
//! For a group of events: (1) drop those whose `eventId` is already stored or
//! repeats within the group, (2) insert the rest, (3) load the runs, jobs and
//! workers they name, fold every new event through the pure
//! [`telltale_model::transition`], and (4) write what changed, plus a log line
//! for each transition refused on a terminal run. When `ingest` returns `Ok`
//! all of it is committed; on error none of it is.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, QueryFilter,
    QuerySelect, TransactionTrait,
};
use telltale_model::{Event, NewEvent};

use crate::convert::{
    job_from_row, job_to_row, readable, rejected_to_row, run_from_row, run_to_row, worker_from_row,
    worker_to_row,
};
use crate::entity::{event, job, rejected_transition, run, worker};
use crate::fold::{Keys, State, stored_events};
use crate::time::to_us;
use crate::{Store, StoreError};

/// What happened to one event handed to [`Store::ingest`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventOutcome {
    /// Stored, with this row id.
    Inserted(i64),
    /// Its `eventId` was already stored (or came earlier in the same group).
    Duplicate,
}

/// Rows per multi-row statement: well under SQLite's bound-variable limit.
const CHUNK: usize = 500;

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

async fn insert_events(
    txn: &DatabaseTransaction,
    events: &[NewEvent],
    metadata: &[String],
    received_at: DateTime<Utc>,
) -> Result<Vec<EventOutcome>, StoreError> {
    // Which eventIds are already stored?
    let ids: Vec<&str> = events
        .iter()
        .filter_map(|e| e.event_id.as_deref())
        .collect();
    let mut seen: HashSet<String> = HashSet::new();
    for chunk in ids.chunks(CHUNK) {
        let rows: Vec<Option<String>> = event::Entity::find()
            .select_only()
            .column(event::Column::EventId)
            .filter(event::Column::EventId.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(txn)
            .await?;
        seen.extend(rows.into_iter().flatten());
    }

    let mut outcomes = vec![EventOutcome::Duplicate; events.len()];
    let mut fresh: Vec<usize> = Vec::with_capacity(events.len());
    for (i, e) in events.iter().enumerate() {
        match &e.event_id {
            Some(id) if !seen.insert(id.clone()) => {}
            _ => fresh.push(i),
        }
    }

    let received = to_us(received_at);
    for chunk in fresh.chunks(CHUNK) {
        let mut insert = Query::insert();
        insert.into_table(event::Entity).columns([
            event::Column::EventId,
            event::Column::SourceType,
            event::Column::Level,
            event::Column::EventType,
            event::Column::Message,
            event::Column::EventAtUs,
            event::Column::ReceivedAtUs,
            event::Column::JobName,
            event::Column::RunId,
            event::Column::WorkerId,
            event::Column::ScriptPath,
            event::Column::Metadata,
        ]);
        for &i in chunk {
            let e = &events[i];
            insert
                .values([
                    e.event_id.clone().into(),
                    e.source_type.as_str().into(),
                    e.level.as_str().into(),
                    e.event_type.clone().into(),
                    e.message.clone().into(),
                    to_us(e.event_at).into(),
                    received.into(),
                    e.job_name.clone().into(),
                    e.run_id.clone().into(),
                    e.worker_id.clone().into(),
                    e.script_path.clone().into(),
                    metadata[i].clone().into(),
                ])
                .map_err(|e| StoreError::Query(e.to_string()))?;
        }
        // Another instance (PostgreSQL) may store the same eventId between our
        // check and this insert: DO NOTHING makes that a duplicate, not an error.
        insert
            .on_conflict(
                OnConflict::column(event::Column::EventId)
                    .do_nothing()
                    .to_owned(),
            )
            .returning(Query::returning().columns([event::Column::Id, event::Column::EventId]));
        let rows = txn.query_all(&insert).await?;
        let mut returned: Vec<(i64, Option<String>)> = rows
            .iter()
            .map(|r| {
                Ok((
                    r.try_get::<i64>("", "id")?,
                    r.try_get::<Option<String>>("", "event_id")?,
                ))
            })
            .collect::<Result<_, sea_orm::DbErr>>()?;
        // Ids rise in VALUES order within one statement.
        returned.sort_by_key(|(id, _)| *id);
        let raced: HashSet<&str> = {
            let got: HashSet<&str> = returned.iter().filter_map(|(_, e)| e.as_deref()).collect();
            chunk
                .iter()
                .filter_map(|&i| events[i].event_id.as_deref())
                .filter(|id| !got.contains(id))
                .collect()
        };
        let mut next = returned.iter();
        for &i in chunk {
            if events[i]
                .event_id
                .as_deref()
                .is_some_and(|id| raced.contains(id))
            {
                continue;
            }
            if let Some((id, _)) = next.next() {
                outcomes[i] = EventOutcome::Inserted(*id);
            }
        }
    }
    Ok(outcomes)
}

async fn derive_state(
    txn: &DatabaseTransaction,
    events: &[Event],
    skew: chrono::Duration,
) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    let mut state = load_state(txn, events).await?;
    state.fold(events, skew);
    write_state(txn, &state).await
}

/// The runs, jobs and workers `events` name. One that cannot be read is
/// left out ([`readable`]): the events then start it afresh, and writing it
/// mends the row. Failing instead refused every later event naming it
/// (503, retried by the producer for ever), and a worker's spool, sent in
/// order, stalled behind the first.
async fn load_state(txn: &DatabaseTransaction, events: &[Event]) -> Result<State, StoreError> {
    let Keys {
        run_ids,
        job_names,
        worker_ids,
    } = Keys::of(events);
    let mut state = State::default();
    let postgres = txn.get_database_backend() == DbBackend::Postgres;

    for chunk in run_ids.chunks(CHUNK) {
        let mut q = run::Entity::find().filter(run::Column::RunId.is_in(chunk.iter().cloned()));
        if postgres {
            // Serialize concurrent instances on the same run until commit.
            q = q.lock_exclusive();
        }
        for run in readable(q.all(txn).await?, run_from_row) {
            state.runs.insert(run.run_id.clone(), run);
        }
    }
    for chunk in job_names.chunks(CHUNK) {
        let mut q = job::Entity::find().filter(job::Column::Name.is_in(chunk.iter().cloned()));
        if postgres {
            q = q.lock_exclusive();
        }
        for job in readable(q.all(txn).await?, job_from_row) {
            state.jobs.insert(job.name.clone(), job);
        }
    }
    for chunk in worker_ids.chunks(CHUNK) {
        let mut q =
            worker::Entity::find().filter(worker::Column::WorkerId.is_in(chunk.iter().cloned()));
        if postgres {
            q = q.lock_exclusive();
        }
        for worker in readable(q.all(txn).await?, worker_from_row) {
            state.workers.insert(worker.worker_id.clone(), worker);
        }
    }
    Ok(state)
}

async fn write_state(txn: &DatabaseTransaction, state: &State) -> Result<(), StoreError> {
    // Upserts: a new row is inserted, a known one updated in place (a run
    // keeps its `seq`). The schema's trigger refuses any update of a
    // terminal run, so even a bug here could not rewrite one.
    let runs: Vec<run::ActiveModel> = state
        .changed_runs()
        .map(|r| {
            let mut row = run_to_row(r);
            row.seq = sea_orm::ActiveValue::NotSet;
            row
        })
        .collect();
    for chunk in runs.chunks(CHUNK / 2) {
        run::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                OnConflict::column(run::Column::RunId)
                    .update_columns([
                        run::Column::JobName,
                        run::Column::JobType,
                        run::Column::Engine,
                        run::Column::Status,
                        run::Column::CreatedAtUs,
                        run::Column::StartTimeUs,
                        run::Column::EndTimeUs,
                        run::Column::FailureReason,
                        run::Column::BurninPresetId,
                        run::Column::LutId,
                        run::Column::WorkerId,
                        run::Column::VerificationRunId,
                        run::Column::SourcePath,
                        run::Column::OutputPath,
                        run::Column::Progress,
                        run::Column::UpdatedAtUs,
                        run::Column::Metadata,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(txn)
            .await?;
    }

    let jobs: Vec<job::ActiveModel> = state.changed_jobs().map(job_to_row).collect();
    for chunk in jobs.chunks(CHUNK / 2) {
        job::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                OnConflict::column(job::Column::Name)
                    .update_columns([
                        job::Column::FirstSeenAtUs,
                        job::Column::LastEventAtUs,
                        job::Column::LastHeartbeatAtUs,
                        job::Column::LastRunId,
                        job::Column::LastSuccessAtUs,
                        job::Column::LastFailureAtUs,
                        job::Column::ConsecutiveFailures,
                        job::Column::ExpectedNextAtUs,
                        job::Column::CheckEnabled,
                        job::Column::GraceSeconds,
                        job::Column::AlertOnFailure,
                        job::Column::AlertOnMiss,
                        job::Column::Schedule,
                        job::Column::Timezone,
                        job::Column::StartGraceSeconds,
                        job::Column::MaxRuntimeSeconds,
                        job::Column::MinRuntimeSeconds,
                        job::Column::FailureThreshold,
                        job::Column::RepeatIntervalSeconds,
                        job::Column::DependsOn,
                        job::Column::LastFailureReason,
                        job::Column::FailuresTotal,
                        job::Column::LastFailureRunId,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(txn)
            .await?;
    }

    let workers: Vec<worker::ActiveModel> = state.changed_workers().map(worker_to_row).collect();
    for chunk in workers.chunks(CHUNK / 2) {
        worker::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                OnConflict::column(worker::Column::WorkerId)
                    .update_columns([
                        worker::Column::Hostname,
                        worker::Column::FirstSeenAtUs,
                        worker::Column::LastEventAtUs,
                        worker::Column::LastHeartbeatAtUs,
                        worker::Column::CurrentRunId,
                        worker::Column::IntervalSeconds,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(txn)
            .await?;
    }

    let rejected: Vec<rejected_transition::ActiveModel> =
        state.rejected.iter().map(rejected_to_row).collect();
    for chunk in rejected.chunks(CHUNK / 2) {
        rejected_transition::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}
