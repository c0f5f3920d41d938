//! The PostgreSQL write path, through sea-orm: the I/O of each step of the
//! ingest transaction ([`Backend`]), run by the writer task.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{OnConflict, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    DbBackend, EntityTrait, QueryFilter, QuerySelect, Statement, TransactionTrait,
};
use telltale_model::{Event, NewEvent};

use crate::convert::{job_from_row, readable, rejected_to_row, run_from_row, worker_from_row};
use crate::entity::{event, job, rejected_transition, run, worker};
use crate::ingest::IngestReport;
use crate::ingest::columns::{job_row, name, run_row, worker_row, written};
use crate::ingest::commit::{Backend, commit};
use crate::ingest::fold::{Keys, State};
use crate::ingest::ping::{PingJob, lookup_sql};
use crate::ingest::queue::Batch;
use crate::search::{Indexed, index_postgres};
use crate::time::to_us;
use crate::{EventOutcome, Store, StoreError};

/// Rows per multi-row statement: well under SQLite's bound-variable limit.
const CHUNK: usize = 500;

/// The backend of the writer task: a pool handle, and the transaction
/// open between `begin` and `commit`.
pub(crate) struct Postgres {
    db: DatabaseConnection,
    txn: Option<DatabaseTransaction>,
}

impl Postgres {
    pub fn new(db: DatabaseConnection) -> Postgres {
        Postgres { db, txn: None }
    }

    fn txn(&self) -> Result<&DatabaseTransaction, StoreError> {
        self.txn
            .as_ref()
            .ok_or_else(|| StoreError::Query("no ingest transaction is open".into()))
    }
}

impl Backend for Postgres {
    async fn begin(&mut self) -> Result<(), StoreError> {
        self.txn = Some(self.db.begin().await?);
        Ok(())
    }

    async fn insert(
        &mut self,
        events: &[NewEvent],
        metadata: &[String],
        received_at: DateTime<Utc>,
    ) -> Result<Vec<EventOutcome>, StoreError> {
        insert_events(self.txn()?, events, metadata, received_at).await
    }

    async fn load(&mut self, events: &[Event]) -> Result<State, StoreError> {
        load_state(self.txn()?, events).await
    }

    async fn find_ping(
        &mut self,
        job: &PingJob,
    ) -> Result<Option<(String, Option<String>)>, StoreError> {
        let sql = lookup_sql(job, "$1");
        let statement =
            Statement::from_sql_and_values(DbBackend::Postgres, &sql, [job.key().into()]);
        let Some(row) = self.txn()?.query_one_raw(statement).await? else {
            return Ok(None);
        };
        Ok(Some((row.try_get_by_index(0)?, row.try_get_by_index(1)?)))
    }

    async fn write(&mut self, state: &State) -> Result<(), StoreError> {
        write_state(self.txn()?, state).await
    }

    async fn commit(&mut self) -> Result<(), StoreError> {
        match self.txn.take() {
            Some(txn) => Ok(txn.commit().await?),
            None => Err(StoreError::Query("no ingest transaction to commit".into())),
        }
    }

    async fn rollback(&mut self) {
        if let Some(txn) = self.txn.take()
            && let Err(e) = txn.rollback().await
        {
            tracing::warn!(error = %e, "rolling back an ingest transaction failed");
        }
    }

    fn recover(&mut self) {
        // Dropping an open transaction rolls it back.
        self.txn = None;
    }

    async fn index_search(
        &mut self,
        limit: usize,
        sweep: Option<(i64, i64)>,
    ) -> Result<Indexed, StoreError> {
        index_postgres(&self.db, limit, sweep).await
    }
}

/// Commits one batch in a transaction of its own, outside the writer task
/// (for [`Store::ingest`], where no task runs).
pub(super) async fn commit_alone(store: &Store, batch: Batch) -> Result<IngestReport, StoreError> {
    let mut backend = Postgres::new(store.db.clone());
    let mut reports = commit(&mut backend, &[&batch], Utc::now(), store.clock_skew()).await?;
    Ok(reports.pop().unwrap_or_default())
}

async fn insert_events(
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

/// The runs, jobs and workers `events` name; one that cannot be read is
/// left out ([`readable`]).
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
/// updated in place (a run keeps its `seq`), with the columns `columns`
/// defines. The schema's trigger refuses any update of a terminal run, so
/// even a bug here could not rewrite one.
async fn write_state(txn: &DatabaseTransaction, state: &State) -> Result<(), StoreError> {
    upsert(txn, run::Column::RunId, state.changed_runs().map(run_row)).await?;
    upsert(txn, job::Column::Name, state.changed_jobs().map(job_row)).await?;
    upsert(
        txn,
        worker::Column::WorkerId,
        state.changed_workers().map(worker_row),
    )
    .await?;
    let rejected: Vec<rejected_transition::ActiveModel> =
        state.rejected.iter().map(rejected_to_row).collect();
    for chunk in rejected.chunks(CHUNK / 2) {
        rejected_transition::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

/// Upserts `rows` in multi-row statements: on a known `key`, every other
/// column the rows set is updated.
async fn upsert<A>(
    txn: &DatabaseTransaction,
    key: <A::Entity as EntityTrait>::Column,
    rows: impl Iterator<Item = A>,
) -> Result<(), StoreError>
where
    A: ActiveModelTrait + Send,
{
    let rows: Vec<A> = rows.collect();
    let Some(first) = rows.first() else {
        return Ok(());
    };
    let updated: Vec<_> = written(first)
        .into_iter()
        .filter(|c| name(c) != name(&key))
        .collect();
    for chunk in rows.chunks(CHUNK / 2) {
        <A::Entity as EntityTrait>::insert_many(chunk.to_vec())
            .on_conflict(
                OnConflict::column(key)
                    .update_columns(updated.clone())
                    .to_owned(),
            )
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}
