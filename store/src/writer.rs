//! Group commit: one task owns ingest writes and commits the requests that
//! are waiting together, in one transaction, then answers each of them.
//!
//! SQLite commits one writer at a time and each commit costs a WAL append;
//! many small requests sharing a commit is what makes high ingest rates
//! possible. A request is answered only after the commit that holds it.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use telltale_model::NewEvent;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::{EventOutcome, Store, StoreError};

/// Events committed together at most; a larger request is committed alone.
const MAX_GROUP_EVENTS: usize = 5_000;
/// Requests waiting for the writer before senders wait for room.
const QUEUE_DEPTH: usize = 1_024;

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error(transparent)]
    Store(Arc<StoreError>),
    #[error("the ingest writer has stopped")]
    Stopped,
}

struct Request {
    events: Vec<NewEvent>,
    reply: oneshot::Sender<Result<Vec<EventOutcome>, QueueError>>,
}

/// The handle through which requests reach the writer; cheap to clone.
/// The writer stops once every handle is dropped and the queue is drained.
#[derive(Clone)]
pub struct IngestQueue {
    tx: mpsc::Sender<Request>,
}

impl IngestQueue {
    pub fn start(store: Store) -> (IngestQueue, JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(QUEUE_DEPTH);
        let task = tokio::spawn(run_writer(store, rx));
        (IngestQueue { tx }, task)
    }

    /// Stores `events`; the answer comes after they are committed.
    pub async fn submit(&self, events: Vec<NewEvent>) -> Result<Vec<EventOutcome>, QueueError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Request { events, reply })
            .await
            .map_err(|_| QueueError::Stopped)?;
        answer.await.map_err(|_| QueueError::Stopped)?
    }
}

async fn run_writer(store: Store, mut rx: mpsc::Receiver<Request>) {
    while let Some(first) = rx.recv().await {
        let mut group = vec![first];
        let mut size = group[0].events.len();
        while size < MAX_GROUP_EVENTS {
            match rx.try_recv() {
                Ok(next) => {
                    size += next.events.len();
                    group.push(next);
                }
                Err(_) => break,
            }
        }
        commit_group(&store, group).await;
    }
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
    let mut all = Vec::with_capacity(group.iter().map(|r| r.events.len()).sum());
    let mut waiting = Vec::with_capacity(group.len());
    for request in group {
        waiting.push((request.events.len(), request.reply));
        all.extend(request.events);
    }
    let all: Arc<[NewEvent]> = all.into();
    match store.ingest_shared(all.clone(), received_at).await {
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
                let events = all[from..from + count].to_vec();
                from += count;
                commit_alone(store, Request { events, reply }, received_at).await;
            }
        }
    }
}

async fn commit_alone(store: &Store, request: Request, received_at: DateTime<Utc>) {
    let result = store
        .ingest_shared(request.events.into(), received_at)
        .await
        .map_err(|e| QueueError::Store(Arc::new(e)));
    // The requester may have gone (client hung up); the events are stored anyway.
    let _ = request.reply.send(result);
}
