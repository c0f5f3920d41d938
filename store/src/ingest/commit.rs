//! One transaction of ingest, written once for both backends: insert each
//! request's events, load the state they name, fold, write back, commit.
//! A backend gives only the I/O of each step ([`Backend`]).

use std::future::Future;

use chrono::{DateTime, Utc};
use telltale_model::{Event, NewEvent};

use crate::StoreError;
use crate::ingest::fold::{State, changed_by, stored_events};
use crate::ingest::ping::{OpenRuns, PingFound, PingJob, PingLookup};
use crate::ingest::queue::Batch;
use crate::ingest::{EventOutcome, IngestReport};
use crate::search::Indexed;

/// The I/O of one backend's ingest transaction. Each step runs inside the
/// transaction `begin` opened, until `commit` or `rollback` ends it.
pub(crate) trait Backend: Send {
    fn begin(&mut self) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Inserts the events whose `eventId` is new; each event's outcome.
    fn insert(
        &mut self,
        events: &[NewEvent],
        metadata: &[String],
        received_at: DateTime<Utc>,
    ) -> impl Future<Output = Result<Vec<EventOutcome>, StoreError>> + Send;
    /// The runs, jobs and workers `events` name, as stored. One that
    /// cannot be read is left out: the events start it afresh, and writing
    /// it mends the row (failing instead refused every later event naming
    /// it, and a worker's spool, sent in order, stalled behind the first).
    fn load(&mut self, events: &[Event]) -> impl Future<Output = Result<State, StoreError>> + Send;
    /// A ping's job and that job's latest run if it is still open, as
    /// stored; `None`: no such job.
    fn find_ping(
        &mut self,
        job: &PingJob,
    ) -> impl Future<Output = Result<Option<(String, Option<String>)>, StoreError>> + Send;
    /// Upserts what the fold changed and logs the refused transitions.
    fn write(&mut self, state: &State) -> impl Future<Output = Result<(), StoreError>> + Send;
    fn commit(&mut self) -> impl Future<Output = Result<(), StoreError>> + Send;
    fn rollback(&mut self) -> impl Future<Output = ()> + Send;
    /// After a panic mid-transaction: drop what it held and start clean.
    fn recover(&mut self);
    /// Adds up to `limit` events to the search index, in a transaction of
    /// its own, and, where ids can commit out of order, any in `sweep`
    /// the index passed by.
    fn index_search(
        &mut self,
        limit: usize,
        sweep: Option<(i64, i64)>,
    ) -> impl Future<Output = Result<Indexed, StoreError>> + Send;
}

/// Commits `batches` in one transaction: each one's report, in order.
/// When this returns `Ok` all of it is committed; on error none of it is.
pub(crate) async fn commit<B: Backend>(
    backend: &mut B,
    batches: &[&Batch],
    now: DateTime<Utc>,
    skew: chrono::Duration,
) -> Result<Vec<IngestReport>, StoreError> {
    backend.begin().await?;
    let written = write_group(backend, batches, now, skew).await;
    let result = match written {
        Ok(reports) => backend.commit().await.map(|()| reports),
        Err(e) => Err(e),
    };
    if result.is_err() {
        // Also after a failed COMMIT: a transaction left open would hold
        // the write lock, and every later group and engine write would wait
        // on it in vain.
        backend.rollback().await;
    }
    result
}

async fn write_group<B: Backend>(
    backend: &mut B,
    batches: &[&Batch],
    now: DateTime<Utc>,
    skew: chrono::Duration,
) -> Result<Vec<IngestReport>, StoreError> {
    let mut outcomes = Vec::with_capacity(batches.len());
    let mut pings = Vec::with_capacity(batches.len());
    let mut open_runs = OpenRuns::default();
    let mut stored = Vec::new();
    // Where each batch's stored events end in `stored`.
    let mut ends = Vec::with_capacity(batches.len());
    for batch in batches {
        let received_at = batch.received_at().unwrap_or(now);
        let resolved;
        let (events, found) = match batch.ping() {
            None => (batch.events(), None),
            Some(lookup) => match resolve_ping(backend, &mut open_runs, batch, lookup).await? {
                Some((event, found)) => {
                    resolved = [event];
                    (&resolved[..], Some(found))
                }
                None => {
                    // No such job: nothing of this ping is stored.
                    pings.push(Some(PingFound::Missing));
                    ends.push(stored.len());
                    outcomes.push(Vec::new());
                    continue;
                }
            },
        };
        pings.push(found);
        let mine = backend
            .insert(events, batch.metadata(), received_at)
            .await?;
        stored.extend(stored_events(events, &mine, received_at));
        ends.push(stored.len());
        outcomes.push(mine);
    }
    let mut written = Vec::new();
    if !stored.is_empty() {
        let mut state = backend.load(&stored).await?;
        written = state.fold(&stored, skew);
        backend.write(&state).await?;
    }
    let mut from = 0;
    let reports = outcomes
        .into_iter()
        .zip(ends)
        .zip(pings)
        .map(|((outcomes, end), ping)| {
            let changed = changed_by(&stored[from..end], &written[from..end]);
            from = end;
            IngestReport {
                outcomes,
                changed,
                ping,
            }
        })
        .collect();
    Ok(reports)
}

/// A ping's event with the job and run the writer found for it, or `None`
/// when there is no such job.
async fn resolve_ping<B: Backend>(
    backend: &mut B,
    open_runs: &mut OpenRuns,
    batch: &Batch,
    lookup: &PingLookup,
) -> Result<Option<(NewEvent, PingFound)>, StoreError> {
    let Some(event) = batch.events().first() else {
        return Err(StoreError::Query("a ping without its event".into()));
    };
    let stored = backend.find_ping(&lookup.job).await?;
    Ok(open_runs.resolve(event, lookup, stored))
}
