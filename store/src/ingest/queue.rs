//! Group commit: the requests that are waiting are committed together, in
//! one transaction, then each is answered.
//!
//! SQLite commits one writer at a time and each commit costs a WAL append;
//! many small requests sharing a commit is what makes high ingest rates
//! possible. A request is answered only after the commit that holds it.
//! On SQLite the writer's own thread gathers the groups (`sqlite`);
//! on PostgreSQL one task here does.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use telltale_model::NewEvent;
use telltale_supervise::{Beat, panic_text};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::ingest::stored_metadata;
use crate::{EventOutcome, Store, StoreError};

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

struct Request {
    events: Vec<NewEvent>,
    metadata: Vec<String>,
    reply: oneshot::Sender<Result<Vec<EventOutcome>, QueueError>>,
}

/// The handle through which requests reach the writer; cheap to clone.
/// The writer stops once every handle is dropped and the queue is drained.
#[derive(Clone)]
pub struct IngestQueue {
    route: Route,
}

#[derive(Clone)]
enum Route {
    /// SQLite: straight to the writer's thread, which groups them itself.
    Sqlite(Store),
    /// PostgreSQL: to the task that groups them.
    Task(mpsc::Sender<Request>),
}

impl IngestQueue {
    /// The queue, and the task that commits its groups (none on SQLite,
    /// where the store's writer thread does).
    pub fn start(store: Store) -> (IngestQueue, Option<JoinHandle<()>>) {
        if store.groups_ingest() {
            let route = Route::Sqlite(store);
            return (IngestQueue { route }, None);
        }
        let (tx, rx) = mpsc::channel(QUEUE_DEPTH);
        let beat = store.loops().register("ingest_writer", None, true);
        let task = tokio::spawn(run_writer(store, rx, beat));
        let route = Route::Task(tx);
        (IngestQueue { route }, Some(task))
    }

    /// Stores `events`; the answer comes after they are committed.
    pub async fn submit(&self, events: Vec<NewEvent>) -> Result<Vec<EventOutcome>, QueueError> {
        // Serialized here, on the requester's task: the writer commits
        // groups one after another, so work done before it is work done
        // in parallel.
        let metadata = stored_metadata(&events);
        let tx = match &self.route {
            Route::Sqlite(store) => {
                return store
                    .ingest_grouped(events.into(), metadata.into())
                    .await
                    .map_err(|e| QueueError::Store(Arc::new(e)));
            }
            Route::Task(tx) => tx,
        };
        let (reply, answer) = oneshot::channel();
        tx.send(Request {
            events,
            metadata,
            reply,
        })
        .await
        .map_err(|_| QueueError::Stopped)?;
        answer.await.map_err(|_| QueueError::Stopped)?
    }
}

/// Commits groups until every queue handle is gone. A panic while
/// committing one fails that group's requests (503: retry) and the writer
/// goes on: it must not die and fail every later ingest.
async fn run_writer(store: Store, mut rx: mpsc::Receiver<Request>, beat: Beat) {
    use futures_util::FutureExt;
    while let Some(first) = rx.recv().await {
        let group = gather(first, |r| r.events.len(), &mut rx);
        let committed = std::panic::AssertUnwindSafe(commit_group(&store, group))
            .catch_unwind()
            .await;
        if let Err(panic) = committed {
            let why = format!("panicked: {}", panic_text(panic));
            tracing::error!(error = %why, "the ingest writer failed a group; it goes on");
            beat.restarting(&why);
            beat.running();
        }
    }
    beat.stopped();
}

/// `first` and the requests already waiting behind it, up to
/// MAX_GROUP_EVENTS events (a larger request goes alone); never waits.
pub(crate) fn gather<R>(
    first: R,
    events: impl Fn(&R) -> usize,
    waiting: &mut mpsc::Receiver<R>,
) -> Vec<R> {
    let mut size = events(&first);
    let mut group = vec![first];
    while size < MAX_GROUP_EVENTS {
        let Ok(next) = waiting.try_recv() else { break };
        size += events(&next);
        group.push(next);
    }
    group
}

async fn commit_group(store: &Store, group: Vec<Request>) {
    let received_at = Utc::now();
    if group.len() == 1 {
        for request in group {
            commit_alone(store, request, received_at).await;
        }
        return;
    }
    // The events move into one shared list (no copy); each request keeps
    // its count and its reply.
    let total = group.iter().map(|r| r.events.len()).sum();
    let mut all = Vec::with_capacity(total);
    let mut all_metadata = Vec::with_capacity(total);
    let mut waiting = Vec::with_capacity(group.len());
    for request in group {
        waiting.push((request.events.len(), request.reply));
        all.extend(request.events);
        all_metadata.extend(request.metadata);
    }
    let all: Arc<[NewEvent]> = all.into();
    let all_metadata: Arc<[String]> = all_metadata.into();
    match store
        .ingest_shared(all.clone(), all_metadata.clone(), received_at)
        .await
    {
        Ok(outcomes) => {
            let mut rest = outcomes.as_slice();
            for (count, reply) in waiting {
                let (mine, tail) = rest.split_at(count.min(rest.len()));
                rest = tail;
                let _ = reply.send(Ok(mine.to_vec()));
            }
        }
        Err(e) => {
            // Commit each request alone, so one that cannot be stored does not
            // fail the others that happened to share its transaction.
            tracing::warn!(error = %e, requests = waiting.len(), "group commit failed; retrying one by one");
            let mut from = 0;
            for (count, reply) in waiting {
                let request = Request {
                    events: all[from..from + count].to_vec(),
                    metadata: all_metadata[from..from + count].to_vec(),
                    reply,
                };
                from += count;
                commit_alone(store, request, received_at).await;
            }
        }
    }
}

async fn commit_alone(store: &Store, request: Request, received_at: DateTime<Utc>) {
    let result = store
        .ingest_shared(request.events.into(), request.metadata.into(), received_at)
        .await
        .map_err(|e| QueueError::Store(Arc::new(e)));
    // The requester may have gone (client hung up); the events are stored anyway.
    let _ = request.reply.send(result);
}
