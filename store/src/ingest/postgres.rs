//! The PostgreSQL write path, through sea-orm: insert a group's events,
//! then load, fold and write back the runs, jobs and workers they name, in
//! the caller's transaction.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, QueryFilter,
    QuerySelect,
};
use telltale_model::{Event, NewEvent};

use crate::convert::{
    job_from_row, job_to_row, readable, rejected_to_row, run_from_row, run_to_row, worker_from_row,
    worker_to_row,
};
use crate::entity::{event, job, rejected_transition, run, worker};
use crate::ingest::fold::{Keys, State};
use crate::time::to_us;
use crate::{EventOutcome, StoreError};

/// Rows per multi-row statement: well under SQLite's bound-variable limit.
const CHUNK: usize = 500;

pub(super) async fn insert_events(
    txn: &DatabaseTransaction,
    events: &[NewEvent],
    metadata: &[String],
    received_at: DateTime<Utc>,
) -> Result<Vec<EventOutcome>, StoreError> {
    let mut seen = stored_event_ids(txn, events).await?;
    let mut outcomes = vec![EventOutcome::Duplicate; events.len()];
    let mut fresh: Vec<usize> = Vec::with_capacity(events.len());
    for (i, e) in events.iter().enumerate() {
        match &e.event_id {
            Some(id) if !seen.insert(id.clone()) => {}
            _ => fresh.push(i),
        }
    }
    for chunk in fresh.chunks(CHUNK) {
        let returned = insert_chunk(txn, events, metadata, chunk, to_us(received_at)).await?;
        match_inserted(events, chunk, &returned, &mut outcomes);
    }
    Ok(outcomes)
}

/// Which of the events' `eventId`s are already stored.
async fn stored_event_ids(
    txn: &DatabaseTransaction,
    events: &[NewEvent],
) -> Result<HashSet<String>, StoreError> {
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
    Ok(seen)
}

/// Inserts `events[i]` for each `i` of `chunk` in one statement; the ids
/// and eventIds of the rows it stored, in id order.
async fn insert_chunk(
    txn: &DatabaseTransaction,
    events: &[NewEvent],
    metadata: &[String],
    chunk: &[usize],
    received: i64,
) -> Result<Vec<(i64, Option<String>)>, StoreError> {
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
    Ok(returned)
}

/// Marks the events of `chunk` that `returned` says were stored; one whose
/// eventId another instance stored first stays a duplicate.
fn match_inserted(
    events: &[NewEvent],
    chunk: &[usize],
    returned: &[(i64, Option<String>)],
    outcomes: &mut [EventOutcome],
) {
    let got: HashSet<&str> = returned.iter().filter_map(|(_, e)| e.as_deref()).collect();
    let raced: HashSet<&str> = chunk
        .iter()
        .filter_map(|&i| events[i].event_id.as_deref())
        .filter(|id| !got.contains(id))
        .collect();
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

pub(super) async fn derive_state(
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

/// Upserts what the fold changed: a new row is inserted, a known one
/// updated in place (a run keeps its `seq`). The schema's trigger refuses
/// any update of a terminal run, so even a bug here could not rewrite one.
async fn write_state(txn: &DatabaseTransaction, state: &State) -> Result<(), StoreError> {
    write_runs(txn, state).await?;
    write_jobs(txn, state).await?;
    write_workers(txn, state).await?;
    let rejected: Vec<rejected_transition::ActiveModel> =
        state.rejected.iter().map(rejected_to_row).collect();
    for chunk in rejected.chunks(CHUNK / 2) {
        rejected_transition::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

async fn write_runs(txn: &DatabaseTransaction, state: &State) -> Result<(), StoreError> {
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
    Ok(())
}

async fn write_jobs(txn: &DatabaseTransaction, state: &State) -> Result<(), StoreError> {
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
    Ok(())
}

async fn write_workers(txn: &DatabaseTransaction, state: &State) -> Result<(), StoreError> {
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
    Ok(())
}
