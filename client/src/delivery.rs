//! The delivery thread of a [`Client`](crate::Client): the oldest
//! undelivered batch (adopted spools first, then this process's own), sent
//! when the backoff allows or a flush asks, and settled by the answer.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
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

/// What the thread does next.
enum Next {
    /// Send this batch.
    Send(Source, Batch),
    /// Look again (an adopted spool was opened, finished or given up).
    Again,
    /// Stop: asked to quit with nothing left to send.
    Quit,
}

/// The delivery thread.
pub(crate) fn deliver(shared: &Shared, config: &Config, orphans: VecDeque<PathBuf>) {
    match Transport::new(config) {
        Ok(transport) => Delivery::new(shared, transport, orphans).run(),
        Err(e) => {
            tracing::error!(error = %e, "delivery cannot start; events stay in the spool");
            shared.lock().last_error = Some(e.to_string());
        }
    }
    let mut state = shared.lock();
    state.exited = true;
    shared.changed.notify_all();
}

/// The delivery thread's own state between two batches.
struct Delivery<'a> {
    shared: &'a Shared,
    transport: Transport,
    /// Spool files of earlier processes, not yet looked at.
    orphans: VecDeque<PathBuf>,
    /// The earlier process's spool being delivered now.
    adopted: Option<Spool>,
    backoff: Backoff,
    next_try: Instant,
    /// Lowered when the server finds a batch too large.
    max_events: usize,
}

impl<'a> Delivery<'a> {
    fn new(shared: &'a Shared, transport: Transport, orphans: VecDeque<PathBuf>) -> Self {
        Self {
            shared,
            transport,
            orphans,
            adopted: None,
            backoff: Backoff::default(),
            next_try: Instant::now(),
            max_events: MAX_BATCH_EVENTS,
        }
    }

    /// Sends batch after batch until asked to quit.
    fn run(mut self) {
        loop {
            // 1. The oldest undelivered batch: adopted spools first, then ours.
            let (source, batch) = match self.next_batch() {
                Next::Send(source, batch) => (source, batch),
                Next::Again => continue,
                Next::Quit => break,
            };
            if batch.damaged > 0 {
                tracing::warn!(
                    lines = batch.damaged,
                    "passing over damaged lines in a spool file"
                );
            }
            // 2. Wait out the backoff, unless a flush is waiting.
            if !self.wait_turn(&source, &batch) {
                break;
            }
            // 3. Send, and settle the spool by the answer.
            let outcome = self.send(&batch);
            self.settle_by(outcome, &source, &batch);
        }
    }

    fn next_batch(&mut self) -> Next {
        if self.adopted.is_some() {
            self.next_adopted_batch()
        } else if let Some(path) = self.orphans.pop_front() {
            self.adopt(&path);
            Next::Again
        } else {
            self.next_own_batch()
        }
    }

    /// The next batch of the adopted spool; once it is empty, the spool
    /// file is removed.
    fn next_adopted_batch(&mut self) -> Next {
        let Some(spool) = self.adopted.as_mut() else {
            return Next::Again;
        };
        match spool.pending(self.max_events, MAX_BATCH_BYTES) {
            Ok(batch) if !batch.is_empty() => return Next::Send(Source::Adopted, batch),
            Ok(_) => {
                if let Some(spool) = self.adopted.take()
                    && let Err(e) = spool.remove()
                {
                    tracing::warn!(error = %e, "cannot remove a delivered spool file");
                }
            }
            Err(e) => {
                tracing::warn!(path = %spool.path().display(), error = %e, "cannot read a spool file; leaving it");
                self.adopted = None;
            }
        }
        self.shared.orphan_done();
        Next::Again
    }

    /// Takes over an earlier process's spool file, unless its owner lives.
    fn adopt(&mut self, path: &Path) {
        match Spool::adopt(path) {
            Ok(Some(spool)) => {
                tracing::info!(path = %path.display(), "delivering events left by an earlier process");
                self.adopted = Some(spool);
            }
            Ok(None) => {
                // Its owner is alive (or another process took it).
                self.shared.orphan_done();
            }
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "cannot open a spool file; leaving it");
                self.shared.orphan_done();
            }
        }
    }

    /// The next batch of this process's spool; with none, sleeps until an
    /// event or a flush arrives.
    fn next_own_batch(&mut self) -> Next {
        let mut state = self.shared.lock();
        let batch = match state.own.as_mut() {
            Some(own) => own.pending(self.max_events, MAX_BATCH_BYTES),
            None => Ok(Batch::default()),
        };
        match batch {
            Ok(batch) if !batch.is_empty() => Next::Send(Source::Own, batch),
            Ok(_) if state.quit => Next::Quit,
            Ok(_) => {
                // Nothing to send: sleep until an event or a flush.
                state.urgent = false;
                let _unused = self
                    .shared
                    .changed
                    .wait(state)
                    .unwrap_or_else(|e| e.into_inner());
                Next::Again
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot read this process's spool");
                state.last_error = Some(format!("cannot read the spool: {e}"));
                drop(state);
                if self
                    .shared
                    .wait_until(Instant::now() + self.backoff.next_delay())
                {
                    Next::Again
                } else {
                    Next::Quit
                }
            }
        }
    }

    /// Waits out the backoff (a flush cuts it short); false when asked to
    /// quit meanwhile.
    fn wait_turn(&mut self, source: &Source, batch: &Batch) -> bool {
        if !self.shared.wait_until(self.next_try) {
            return false;
        }
        let mut state = self.shared.lock();
        if state.urgent {
            state.urgent = false;
            self.backoff.reset();
        }
        if let Source::Adopted = source {
            state.orphan_pending = batch.lines.len() + batch.damaged;
        }
        true
    }

    /// Posts the batch; the answer is how many events the server refused.
    fn send(&self, batch: &Batch) -> Result<usize, SendError> {
        if batch.lines.is_empty() {
            return Ok(0);
        }
        let answer = self.transport.post_batch(&batch.lines)?;
        for dropped in &answer.dropped {
            tracing::error!(
                event = %batch.lines.get(dropped.index).map_or("", String::as_str),
                reason = %dropped.reason,
                "the server refused an event; it will not be sent again"
            );
        }
        Ok(answer.dropped.len())
    }

    /// Settles the spool by the answer: acknowledged, split smaller, or
    /// retried after the backoff.
    fn settle_by(&mut self, outcome: Result<usize, SendError>, source: &Source, batch: &Batch) {
        let e = match outcome {
            Ok(refused) => {
                self.backoff.reset();
                self.next_try = Instant::now();
                settle(self.shared, source, &mut self.adopted, batch, refused, None);
                return;
            }
            Err(e) => e,
        };
        match e.failure() {
            Failure::Split if batch.lines.len() > 1 => {
                self.max_events = (batch.lines.len() / 2).max(1);
                tracing::debug!(max_events = self.max_events, error = %e, "splitting the batch");
            }
            Failure::Split => {
                tracing::error!(event = %batch.lines[0], error = %e, "the server refused an event; it will not be sent again");
                settle(self.shared, source, &mut self.adopted, batch, 1, Some(&e));
            }
            Failure::Retry | Failure::Misconfigured => self.retry_later(&e),
        }
    }

    /// Backs off, and says why delivery is failing.
    fn retry_later(&mut self, e: &SendError) {
        let delay = self.backoff.next_delay();
        tracing::debug!(error = %e, retry_in = ?delay, "delivery failed");
        self.next_try = Instant::now() + delay;
        let mut state = self.shared.lock();
        if state.last_error.is_none() {
            tracing::warn!(error = %e, "delivery failing; events are kept in the spool and retried");
        }
        state.last_error = Some(e.to_string());
        self.shared.changed.notify_all();
    }
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
