//! Group commit: the requests that are waiting are committed together, in
//! one transaction, then each is answered.
//!
//! SQLite commits one writer at a time and each commit costs a WAL append;
//! many small requests sharing a commit is what makes high ingest rates
//! possible. A request is answered only after the commit that holds it.
//! The loop here is the one both backends run: on SQLite the writer's own
//! thread runs it (`sqlite`), on PostgreSQL a task does.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::AtomicI64;

use chrono::{DateTime, Utc};
use futures_util::FutureExt;
use telltale_model::NewEvent;
use telltale_supervise::{Beat, panic_text};
use tokio::sync::mpsc::error::TryRecvError;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::ingest::commit::{Backend, commit};
use crate::ingest::ping::PingLookup;
use crate::ingest::postgres::Postgres;
use crate::ingest::{IngestReport, stored_metadata};
use crate::search::Indexer;
use crate::{Store, StoreError, skew_of};

/// Events committed together at most; a larger request is committed alone.
pub(crate) const MAX_GROUP_EVENTS: usize = 5_000;
/// Requests waiting for the writer before senders wait for room.
pub(crate) const QUEUE_DEPTH: usize = 1_024;

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error(transparent)]
    Store(Arc<StoreError>),
    #[error("the ingest writer has stopped")]
    Stopped,
}

/// One request's events, as the writer stores them. Built only by
/// [`Batch::new`], so each event has its metadata text, paired by index.
pub(crate) struct Batch {
    events: Vec<NewEvent>,
    /// Each event's metadata as stored (JSON text), serialized by the
    /// requester: the writer commits groups one after another, so work done
    /// before it is work done in parallel.
    metadata: Vec<String>,
    /// When the events were received; `None`: when their group's
    /// transaction begins, so the log's received times rise with its ids.
    received_at: Option<DateTime<Utc>>,
    /// A ping: its one event's job and run are for the writer to find.
    ping: Option<PingLookup>,
}

impl Batch {
    pub fn new(events: Vec<NewEvent>, received_at: Option<DateTime<Utc>>) -> Batch {
        let metadata = stored_metadata(&events);
        Batch {
            events,
            metadata,
            received_at,
            ping: None,
        }
    }

    fn of_ping(event: NewEvent, lookup: PingLookup) -> Batch {
        Batch {
            ping: Some(lookup),
            ..Batch::new(vec![event], None)
        }
    }

    pub fn ping(&self) -> Option<&PingLookup> {
        self.ping.as_ref()
    }

    pub fn events(&self) -> &[NewEvent] {
        &self.events
    }

    pub fn metadata(&self) -> &[String] {
        &self.metadata
    }

    pub fn received_at(&self) -> Option<DateTime<Utc>> {
        self.received_at
    }
}

/// A batch on its way to the writer, and where its answer goes.
pub(crate) struct Request {
    batch: Batch,
    reply: oneshot::Sender<Result<IngestReport, StoreError>>,
}

/// Hands `batch` to the writer behind `requests` and waits for its commit.
pub(crate) async fn send(
    requests: &mpsc::Sender<Request>,
    batch: Batch,
) -> Result<IngestReport, StoreError> {
    let (reply, answer) = oneshot::channel();
    // Waits for room when the writer is QUEUE_DEPTH requests behind.
    if requests.send(Request { batch, reply }).await.is_err() {
        return Err(StoreError::WriterPoisoned);
    }
    // A dropped reply means the group holding it panicked.
    answer.await.map_err(|_| StoreError::WriterPoisoned)?
}

/// The handle through which requests reach the writer; cheap to clone.
/// The writer stops once every handle is dropped and the queue is drained.
#[derive(Clone)]
pub struct IngestQueue {
    route: Route,
}

#[derive(Clone)]
enum Route {
    /// SQLite: to the writer thread the store owns.
    Sqlite(Store),
    /// PostgreSQL: to the task `start` spawned.
    Task(mpsc::Sender<Request>),
}

impl IngestQueue {
    /// The queue, and the task that commits its groups (none on SQLite,
    /// where the store's writer thread does).
    pub fn start(store: Store) -> (IngestQueue, Option<JoinHandle<()>>) {
        if store.sqlite_writer.is_some() {
            let route = Route::Sqlite(store);
            return (IngestQueue { route }, None);
        }
        let (tx, rx) = mpsc::channel(QUEUE_DEPTH);
        let beat = store.loops().register("ingest_writer", None, true);
        let skew = store.clock_skew_ms.clone();
        let indexer = Indexer::new(store.loops().register("search_indexer", None, false));
        let backend = Postgres::new(store.db.clone());
        let task = tokio::spawn(async move { run(backend, rx, (&beat, indexer), &skew).await });
        let route = Route::Task(tx);
        (IngestQueue { route }, Some(task))
    }

    /// Stores `events`, received now; the answer comes after they are
    /// committed, with what they changed.
    pub async fn submit(&self, events: Vec<NewEvent>) -> Result<IngestReport, QueueError> {
        if events.is_empty() {
            return Ok(IngestReport::default());
        }
        self.send(Batch::new(events, None)).await
    }

    /// Stores a ping's `event` once the writer has found its job (and, for
    /// an event without a run id, the job's open run) as `lookup` says.
    /// The report's `ping` says what it found; with no such job nothing is
    /// stored.
    pub async fn submit_ping(
        &self,
        event: NewEvent,
        lookup: PingLookup,
    ) -> Result<IngestReport, QueueError> {
        self.send(Batch::of_ping(event, lookup)).await
    }

    async fn send(&self, batch: Batch) -> Result<IngestReport, QueueError> {
        let answer = match &self.route {
            Route::Sqlite(store) => match &store.sqlite_writer {
                Some(writer) => writer.send(batch).await,
                None => Err(StoreError::WriterPoisoned),
            },
            Route::Task(tx) => send(tx, batch).await,
        };
        answer.map_err(|e| match e {
            StoreError::WriterPoisoned => QueueError::Stopped,
            e => QueueError::Store(Arc::new(e)),
        })
    }
}

/// The writer's loop on either backend: gathers the waiting requests,
/// commits them, answers, until every sender is gone. A panic while
/// committing a group (a bug, or data no one foresaw) fails that group's
/// requests (their replies are dropped: 503, retry) and the loop goes on
/// after the backend recovers, instead of dying and leaving every later
/// ingest to fail.
pub(crate) async fn run<B: Backend>(
    mut backend: B,
    mut queue: mpsc::Receiver<Request>,
    (beat, mut indexer): (&Beat, Indexer),
    skew: &AtomicI64,
) {
    while let Some(first) = next_request(&mut backend, &mut queue, &mut indexer).await {
        indexer.ingested();
        let group = gather(first, |r| r.batch.events.len(), &mut queue);
        let skew = skew_of(skew);
        let committed = AssertUnwindSafe(commit_group(&mut backend, group, skew))
            .catch_unwind()
            .await;
        let Err(panic) = committed else { continue };
        let why = format!("panicked: {}", panic_text(panic));
        tracing::error!(error = %why, "the ingest writer failed a group; it goes on");
        beat.restarting(&why);
        backend.recover();
        beat.running();
    }
    beat.stopped();
}

/// The next request; while none waits, the search index's turn, one
/// step at a time. `None`: every sender is gone.
async fn next_request<B: Backend>(
    backend: &mut B,
    queue: &mut mpsc::Receiver<Request>,
    indexer: &mut Indexer,
) -> Option<Request> {
    loop {
        match queue.try_recv() {
            Ok(request) => return Some(request),
            Err(TryRecvError::Disconnected) => return None,
            Err(TryRecvError::Empty) => {}
        }
        if indexer.wants_step() {
            indexer.step(backend).await;
            continue;
        }
        let wait = indexer.idle_wait();
        match tokio::time::timeout(wait, queue.recv()).await {
            Ok(next) => return next,
            Err(_) => indexer.waited_in_vain(wait),
        }
    }
}

/// `first` and the requests already waiting behind it, up to
/// MAX_GROUP_EVENTS events (a larger request goes alone); never waits:
/// requests keep arriving while a group commits, and the next group is
/// taken the moment the last commit ends.
fn gather<R>(first: R, events: impl Fn(&R) -> usize, waiting: &mut mpsc::Receiver<R>) -> Vec<R> {
    let mut size = events(&first);
    let mut group = vec![first];
    while size < MAX_GROUP_EVENTS {
        let Ok(next) = waiting.try_recv() else { break };
        size += events(&next);
        group.push(next);
    }
    group
}

/// Commits `group` in one transaction and answers each request. Should
/// that fail, each request is committed alone, so one that cannot be
/// stored does not fail the others that happened to share its transaction.
async fn commit_group<B: Backend>(backend: &mut B, group: Vec<Request>, skew: chrono::Duration) {
    let now = Utc::now();
    let batches: Vec<&Batch> = group.iter().map(|r| &r.batch).collect();
    let result = commit(backend, &batches, now, skew).await;
    drop(batches);
    match result {
        Ok(reports) => {
            for (request, report) in group.into_iter().zip(reports) {
                // The requester may have gone (its client hung up); what
                // was committed stays committed.
                let _ = request.reply.send(Ok(report));
            }
        }
        Err(e) if group.len() > 1 => {
            tracing::warn!(error = %e, requests = group.len(), "group commit failed; retrying one by one");
            for request in group {
                let alone = commit(backend, &[&request.batch], now, skew).await;
                let _ = request
                    .reply
                    .send(alone.map(|mut one| one.pop().unwrap_or_default()));
            }
        }
        Err(e) => {
            if let Some(request) = group.into_iter().next() {
                let _ = request.reply.send(Err(e));
            }
        }
    }
}
