//! The engine's loops, supervised: the evaluator (woken by ingest and by a
//! timer) and retention. A panic, or ticks failing in a row, ends a run of
//! the loop; its supervisor starts a fresh one after a backoff, and health
//! reports it meanwhile.

use std::sync::Arc;
use std::time::Duration;

use telltale_store::{LiveHub, Store};
use telltale_supervise::{Beat, Exit};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use super::{Clock, Engine, EngineInbox, SelfHeartbeat};
use crate::faults::Faults;

/// How long the engine gathers ingest wake-ups before a tick.
const COALESCE: Duration = Duration::from_millis(200);
/// Ticks that may fail in a row before the evaluator is started afresh.
const FAILURES_BEFORE_RESTART: u32 = 3;

/// What the evaluator loop needs besides the engine.
#[derive(Clone)]
pub struct EvaluatorParts {
    pub inbox: EngineInbox,
    pub live: LiveHub,
    pub interval: Duration,
    pub faults: Faults,
    pub heartbeat: Option<SelfHeartbeat>,
}

/// Runs the engine, supervised, until `stop` is notified: every job once
/// at the start of each run (a restart may have missed deadlines), then
/// touched jobs as ingest reports them and due jobs every interval.
pub fn spawn(
    engine: Engine,
    parts: EvaluatorParts,
    beat: Beat,
    stop: Arc<Notify>,
) -> JoinHandle<()> {
    telltale_supervise::spawn(beat, stop, move |beat, stop| {
        evaluate(engine.clone(), parts.clone(), beat, stop)
    })
}

async fn evaluate(engine: Engine, parts: EvaluatorParts, beat: Beat, stop: Arc<Notify>) -> Exit {
    let EvaluatorParts {
        inbox,
        live,
        interval,
        faults,
        heartbeat,
    } = parts;
    let mut timer = tokio::time::interval(interval);
    timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut first = true;
    loop {
        tokio::select! {
            () = stop.notified() => return Exit::Stopped,
            _ = timer.tick() => {}
            () = inbox.wake.notified() => {}
        }
        // Under a stream of ingests, gather the touched jobs for a moment
        // rather than ticking once per request: a state is still seen
        // within a fraction of a second, at a fraction of the work.
        tokio::select! {
            () = stop.notified() => return Exit::Stopped,
            () = tokio::time::sleep(COALESCE) => {}
        }
        let (touched, asked_all) = inbox.take();
        if faults.evaluator_should_panic() {
            panic!("injected fault: evaluator tick");
        }
        match engine.tick(&touched, first || asked_all).await {
            Ok(report) => {
                first = false;
                beat.tick();
                live.publish(report.changes());
                if report.opened + report.closed + report.transitions > 0 {
                    tracing::debug!(?report, "engine tick");
                }
                if let Some(h) = &heartbeat {
                    h.after_tick();
                }
            }
            Err(e) => {
                // The next tick looks at every job: those reads are chunked
                // and bind no list of names, so whatever in this tick's
                // input made it fail is not handed back to fail again.
                inbox.touch_all_here();
                let n = beat.failed(&e.to_string());
                tracing::error!(error = %e, failures_in_a_row = n, "engine tick failed");
                if n >= FAILURES_BEFORE_RESTART {
                    return Exit::Failed(format!("{n} ticks failed in a row; the last: {e}"));
                }
            }
        }
    }
}

/// What retention keeps, how often it looks, and where it counts what it
/// pruned (the server's metrics).
#[derive(Clone)]
pub struct Retention {
    pub days: u32,
    pub interval: Duration,
    pub counted: Arc<dyn Fn(&telltale_store::Pruned) + Send + Sync>,
}

/// Rounds in a row that found SQLite's write lock taken past its busy
/// timeout. Under a burst of ingest that is contention, not a fault, so
/// retention yields; a lock held that long round after round is reported.
#[derive(Debug, Default)]
struct LockedOut {
    in_a_row: u32,
}

impl LockedOut {
    const REPORTED_AFTER: u32 = 3;

    /// Counts a busy round; true once it is worth a failure on health.
    fn busy(&mut self) -> bool {
        self.in_a_row = self.in_a_row.saturating_add(1);
        self.in_a_row >= Self::REPORTED_AFTER
    }
}

/// Prunes what is older than `retention.days` every `retention.interval`
/// (the first time at once), supervised, until `stop` is notified.
pub fn spawn_retention(
    store: Store,
    clock: Arc<dyn Clock>,
    retention: Retention,
    beat: Beat,
    stop: Arc<Notify>,
) -> JoinHandle<()> {
    let Retention {
        days: retention_days,
        interval,
        counted,
    } = retention;
    telltale_supervise::spawn(beat, stop, move |beat, stop| {
        let (store, clock, counted) = (store.clone(), clock.clone(), counted.clone());
        async move {
            let mut timer = tokio::time::interval(interval);
            timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut locked_out = LockedOut::default();
            loop {
                tokio::select! {
                    () = stop.notified() => return Exit::Stopped,
                    _ = timer.tick() => {}
                }
                let Some(cutoff) = clock
                    .now()
                    .checked_sub_signed(chrono::Duration::days(i64::from(retention_days)))
                else {
                    // A retention longer than recorded time prunes nothing.
                    beat.tick();
                    continue;
                };
                match store.prune(cutoff).await {
                    Ok(pruned) => {
                        locked_out = LockedOut::default();
                        beat.tick();
                        counted(&pruned);
                        if pruned.total() > 0 {
                            tracing::info!(?pruned, %cutoff, "retention pruned old rows");
                        }
                    }
                    Err(e) if e.is_busy() && !locked_out.busy() => {
                        // Writers come first: what was pruned stays pruned,
                        // the rest goes next round.
                        beat.tick();
                        tracing::warn!(error = %e, "retention yielded to writers; next interval");
                    }
                    Err(e) => {
                        beat.failed(&e.to_string());
                        tracing::error!(error = %e, "retention failed; retrying next interval");
                    }
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::LockedOut;

    #[test]
    fn retention_reports_a_lock_only_when_it_outlasts_three_rounds() {
        let mut locked = LockedOut::default();
        assert!(!locked.busy(), "one busy round yields");
        assert!(!locked.busy(), "two busy rounds yield");
        assert!(locked.busy(), "the third is reported");
        assert!(locked.busy(), "and every one after it");
        locked = LockedOut::default();
        assert!(!locked.busy(), "a round that pruned starts the count again");
    }
}
