//! When the ingest writer indexes: only while no request waits for it,
//! one chunk at a time, so a request that arrives meanwhile waits for at
//! most one small chunk. While requests keep coming, the indexer takes at
//! most a tenth of the writer's time (steps were taking half of it after a
//! burst, and single-event ingest fell by a third while the index caught
//! up); once the writer has waited a while with nothing to do, it indexes
//! in large chunks, back to back. A failing step pauses the indexer, never
//! the writer.

use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::time::{Duration, Instant};

use futures_util::FutureExt;
use telltale_supervise::{Beat, panic_text};

use crate::ingest::commit::Backend;

/// Events per step while requests come and go: about a millisecond or two.
const SMALL_CHUNK: usize = 256;
/// Events per step once the writer found nothing to do for a while.
const LARGE_CHUNK: usize = 4_096;
/// While requests come and go, a step of `d` is followed by `BUSY_GAP * d`
/// without one: the indexer's share of a busy writer is at most a tenth.
const BUSY_GAP: u32 = 9;
/// A wait this long with no request makes the writer quiet.
const QUIET_AFTER: Duration = Duration::from_millis(5);
/// With nothing to do, how often to look for events other instances wrote.
const POLL: Duration = Duration::from_secs(1);
/// How long a failed step pauses the indexer.
const BACKOFF: Duration = Duration::from_secs(5);
/// After this long, every id below what the index had reached is
/// committed or never will be (PostgreSQL's ingest transactions are short).
const SETTLE: Duration = Duration::from_secs(10);
/// How far back the first sweep after a start reaches, in ids.
const FIRST_SWEEP_IDS: i64 = 50_000;

/// What one step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Indexed {
    pub rows: usize,
    /// The progress after the step.
    pub through: i64,
}

/// The indexer's state, kept by the writer's loop.
pub(crate) struct Indexer {
    beat: Beat,
    /// A step may find events to index.
    behind: bool,
    /// No request came while the writer last waited.
    quiet: bool,
    /// No step before this (while requests come and go).
    next_step: Instant,
    next_poll: Instant,
    paused_until: Option<Instant>,
    /// Progress as seen at each step, oldest first, for the sweep.
    seen: VecDeque<(Instant, i64)>,
    /// Ids up to this were swept (`None`: not since the start).
    swept: Option<i64>,
}

impl Indexer {
    pub fn new(beat: Beat) -> Indexer {
        beat.running();
        Indexer {
            beat,
            // Catch up on whatever the log holds from before the start.
            behind: true,
            quiet: false,
            next_step: Instant::now(),
            next_poll: Instant::now() + POLL,
            paused_until: None,
            seen: VecDeque::new(),
            swept: None,
        }
    }

    /// A group was just committed: there is work, and the writer is busy.
    pub fn ingested(&mut self) {
        self.behind = true;
        self.quiet = false;
    }

    /// The writer waited `waited` and no request came: quiet, if that
    /// was long enough to say so.
    pub fn waited_in_vain(&mut self, waited: Duration) {
        self.quiet |= waited >= QUIET_AFTER;
    }

    /// Whether the writer, finding its queue empty, should index now.
    pub fn wants_step(&mut self) -> bool {
        let now = Instant::now();
        if self.paused_until.is_some_and(|until| now < until) {
            return false;
        }
        if now >= self.next_poll {
            self.behind = true;
        }
        self.behind && (self.quiet || now >= self.next_step)
    }

    /// How long the writer may wait for a request before asking again.
    pub fn idle_wait(&self) -> Duration {
        let until = match self.paused_until {
            Some(paused) => paused.max(self.next_poll),
            None if self.behind => self.next_step.min(self.next_poll),
            None => self.next_poll,
        };
        until
            .saturating_duration_since(Instant::now())
            .max(Duration::from_millis(1))
    }

    pub async fn step<B: Backend>(&mut self, backend: &mut B) {
        let limit = if self.quiet { LARGE_CHUNK } else { SMALL_CHUNK };
        let now = Instant::now();
        self.next_poll = now + POLL;
        let sweep = self.sweep_due(now);
        let result = AssertUnwindSafe(backend.index_search(limit, sweep))
            .catch_unwind()
            .await;
        match result {
            Ok(Ok(indexed)) => {
                self.behind = indexed.rows == limit;
                self.next_step = Instant::now() + now.elapsed() * BUSY_GAP;
                self.paused_until = None;
                if let Some((_, to)) = sweep {
                    self.swept = Some(to);
                }
                self.remember(now, indexed.through);
                self.beat.tick();
            }
            Ok(Err(e)) => self.pause(&e.to_string()),
            Err(panic) => {
                self.pause(&format!("panicked: {}", panic_text(panic)));
                backend.recover();
            }
        }
    }

    fn pause(&mut self, why: &str) {
        let in_a_row = self.beat.failed(why);
        tracing::warn!(error = %why, in_a_row, "search indexing failed; trying again in 5 s");
        self.paused_until = Some(Instant::now() + BACKOFF);
    }

    fn remember(&mut self, at: Instant, through: i64) {
        if self.seen.back().is_none_or(|&(_, last)| last != through) {
            self.seen.push_back((at, through));
        }
        if self.swept.is_none() {
            self.swept = Some(through.saturating_sub(FIRST_SWEEP_IDS).max(0));
        }
    }

    /// The ids that settled since the last sweep: `(swept, settled]`.
    fn sweep_due(&mut self, now: Instant) -> Option<(i64, i64)> {
        let mut settled = None;
        while let Some(&(at, through)) = self.seen.front() {
            if now.duration_since(at) < SETTLE {
                break;
            }
            settled = Some(through);
            self.seen.pop_front();
        }
        let from = self.swept?;
        settled.filter(|&to| to > from).map(|to| (from, to))
    }
}
