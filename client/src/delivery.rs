//! The delivery thread of a [`Client`](crate::Client): the oldest
//! undelivered batch (adopted spools first, then this process's own), sent
//! when the backoff allows or a flush asks, and settled by the answer.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::Instant;

use crate::backoff::Backoff;
use crate::client::Shared;
use crate::config::Config;
use crate::spool::{Batch, Spool};
use crate::transport::{Failure, SendError, Transport};

/// Most events in one request (the server takes up to 1,000 by default).
const MAX_BATCH_EVENTS: usize = 500;
/// Most bytes of events in one request (the server takes 1 MiB by default).
const MAX_BATCH_BYTES: usize = 512 * 1024;

/// Which spool a batch came from.
enum Source {
    Own,
    Adopted,
}

/// The delivery thread.
pub(crate) fn deliver(shared: &Shared, config: &Config, mut orphans: VecDeque<PathBuf>) {
    let transport = match Transport::new(config) {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(error = %e, "delivery cannot start; events stay in the spool");
            let mut state = shared.lock();
            state.last_error = Some(e.to_string());
            state.exited = true;
            shared.changed.notify_all();
            return;
        }
    };
    let mut adopted: Option<Spool> = None;
    let mut backoff = Backoff::default();
    let mut next_try = Instant::now();
    let mut max_events = MAX_BATCH_EVENTS;

    loop {
        // 1. The oldest undelivered batch: adopted spools first, then ours.
        let (source, batch) = if let Some(spool) = adopted.as_mut() {
            match spool.pending(max_events, MAX_BATCH_BYTES) {
                Ok(batch) if !batch.is_empty() => (Source::Adopted, batch),
                Ok(_) => {
                    let done = adopted.take();
                    if let Some(spool) = done
                        && let Err(e) = spool.remove()
                    {
                        tracing::warn!(error = %e, "cannot remove a delivered spool file");
                    }
                    shared.orphan_done();
                    continue;
                }
                Err(e) => {
                    tracing::warn!(path = %spool.path().display(), error = %e, "cannot read a spool file; leaving it");
                    adopted = None;
                    shared.orphan_done();
                    continue;
                }
            }
        } else if let Some(path) = orphans.pop_front() {
            match Spool::adopt(&path) {
                Ok(Some(spool)) => {
                    tracing::info!(path = %path.display(), "delivering events left by an earlier process");
                    adopted = Some(spool);
                }
                Ok(None) => {
                    // Its owner is alive (or another process took it).
                    shared.orphan_done();
                }
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "cannot open a spool file; leaving it");
                    shared.orphan_done();
                }
            }
            continue;
        } else {
            let mut state = shared.lock();
            let batch = match state.own.as_mut() {
                Some(own) => own.pending(max_events, MAX_BATCH_BYTES),
                None => Ok(Batch::default()),
            };
            match batch {
                Ok(batch) if !batch.is_empty() => (Source::Own, batch),
                Ok(_) => {
                    if state.quit {
                        break;
                    }
                    // Nothing to send: sleep until an event or a flush.
                    state.urgent = false;
                    let _unused = shared
                        .changed
                        .wait(state)
                        .unwrap_or_else(|e| e.into_inner());
                    continue;
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot read this process's spool");
                    state.last_error = Some(format!("cannot read the spool: {e}"));
                    drop(state);
                    if !shared.wait_until(Instant::now() + backoff.next_delay()) {
                        break;
                    }
                    continue;
                }
            }
        };
        if batch.damaged > 0 {
            tracing::warn!(
                lines = batch.damaged,
                "passing over damaged lines in a spool file"
            );
        }

        // 2. Wait out the backoff, unless a flush is waiting.
        if !shared.wait_until(next_try) {
            break;
        }
        {
            let mut state = shared.lock();
            if state.urgent {
                state.urgent = false;
                backoff.reset();
            }
            if let Source::Adopted = source {
                state.orphan_pending = batch.lines.len() + batch.damaged;
            }
        }

        // 3. Send, and settle the spool by the answer.
        let outcome = if batch.lines.is_empty() {
            Ok(0)
        } else {
            match transport.post_batch(&batch.lines) {
                Ok(answer) => {
                    for dropped in &answer.dropped {
                        tracing::error!(
                            event = %batch.lines.get(dropped.index).map_or("", String::as_str),
                            reason = %dropped.reason,
                            "the server refused an event; it will not be sent again"
                        );
                    }
                    Ok(answer.dropped.len())
                }
                Err(e) => Err(e),
            }
        };
        match outcome {
            Ok(refused) => {
                backoff.reset();
                next_try = Instant::now();
                settle(shared, &source, &mut adopted, &batch, refused, None);
            }
            Err(e) => match e.failure() {
                Failure::Split if batch.lines.len() > 1 => {
                    max_events = (batch.lines.len() / 2).max(1);
                    tracing::debug!(max_events, error = %e, "splitting the batch");
                }
                Failure::Split => {
                    tracing::error!(event = %batch.lines[0], error = %e, "the server refused an event; it will not be sent again");
                    settle(shared, &source, &mut adopted, &batch, 1, Some(&e));
                }
                Failure::Retry | Failure::Misconfigured => {
                    let delay = backoff.next_delay();
                    tracing::debug!(error = %e, retry_in = ?delay, "delivery failed");
                    next_try = Instant::now() + delay;
                    let mut state = shared.lock();
                    if state.last_error.is_none() {
                        tracing::warn!(error = %e, "delivery failing; events are kept in the spool and retried");
                    }
                    state.last_error = Some(e.to_string());
                    shared.changed.notify_all();
                }
            },
        }
    }
    let mut state = shared.lock();
    state.exited = true;
    shared.changed.notify_all();
}

/// Marks a delivered (or refused) batch as done.
fn settle(
    shared: &Shared,
    source: &Source,
    adopted: &mut Option<Spool>,
    batch: &Batch,
    refused: usize,
    error: Option<&SendError>,
) {
    let count = batch.lines.len() + batch.damaged;
    let mut state = shared.lock();
    let acked = match source {
        Source::Own => state.own.as_mut().map(|own| own.ack(batch.end)),
        Source::Adopted => adopted.as_mut().map(|spool| spool.ack(batch.end)),
    };
    if let Some(Err(e)) = acked {
        tracing::warn!(error = %e, "cannot truncate the spool; its events may be sent again (the server drops repeats)");
    }
    match source {
        Source::Own => state.own_pending = state.own_pending.saturating_sub(count),
        Source::Adopted => state.orphan_pending = 0,
    }
    state.delivered += (batch.lines.len() - refused.min(batch.lines.len())) as u64;
    state.refused += refused as u64;
    if error.is_none() {
        state.last_error = None;
    }
    shared.changed.notify_all();
}
