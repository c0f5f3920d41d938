//! Where each loop says how it is doing.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
pub use telltale_model::{LoopReport, LoopStatus};

#[derive(Debug)]
struct Entry {
    status: LoopStatus,
    since: DateTime<Utc>,
    /// For staleness: monotonic, unlike `since`.
    since_instant: Instant,
    last_tick: Option<(DateTime<Utc>, Instant)>,
    interval: Option<Duration>,
    restarts: u64,
    failures_in_a_row: u32,
    last_error: Option<String>,
    critical: bool,
}

/// The least silence that counts as stuck, however short the interval: one
/// round of a loop on a large database can take seconds.
const MIN_STALE: Duration = Duration::from_secs(10);

/// The registry of one server's loops; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Loops {
    entries: Arc<Mutex<BTreeMap<&'static str, Entry>>>,
}

impl Loops {
    /// Registers `name` (again: a re-registration keeps its restart count)
    /// and hands back the handle the loop reports through. `interval`: how
    /// often it completes a round, when it goes round at all. `critical`:
    /// whether alerting or ingest stops without it.
    pub fn register(&self, name: &'static str, interval: Option<Duration>, critical: bool) -> Beat {
        let now = (Utc::now(), Instant::now());
        let mut entries = self.lock();
        let entry = entries.entry(name).or_insert(Entry {
            status: LoopStatus::Running,
            since: now.0,
            since_instant: now.1,
            last_tick: None,
            interval,
            restarts: 0,
            failures_in_a_row: 0,
            last_error: None,
            critical,
        });
        entry.interval = interval;
        entry.critical = critical;
        Beat {
            name,
            loops: self.clone(),
        }
    }

    /// Every loop, by name.
    pub fn report(&self) -> BTreeMap<&'static str, LoopReport> {
        let now = Instant::now();
        self.lock()
            .iter()
            .map(|(name, e)| {
                let stale = e.status == LoopStatus::Running
                    && e.interval.is_some_and(|every| {
                        let last = e.last_tick.map_or(e.since_instant, |(_, at)| at);
                        now.duration_since(last) > every.saturating_mul(3).max(MIN_STALE)
                    });
                let report = LoopReport {
                    status: e.status,
                    since: e.since,
                    last_tick: e.last_tick.map(|(at, _)| at),
                    stale,
                    restarts: e.restarts,
                    failures_in_a_row: e.failures_in_a_row,
                    last_error: e.last_error.clone(),
                    critical: e.critical,
                };
                (*name, report)
            })
            .collect()
    }

    /// The critical loops that are not well, by name.
    pub fn down(&self) -> Vec<&'static str> {
        self.report()
            .into_iter()
            .filter(|(_, r)| r.critical && r.is_down())
            .map(|(name, _)| name)
            .collect()
    }

    /// When `name` last completed a round.
    pub fn last_tick(&self, name: &str) -> Option<DateTime<Utc>> {
        self.lock().get(name)?.last_tick.map(|(at, _)| at)
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<&'static str, Entry>> {
        // A panic while the lock was held left plain data, still readable.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn update(&self, name: &str, change: impl FnOnce(&mut Entry)) {
        if let Some(entry) = self.lock().get_mut(name) {
            change(entry);
        }
    }
}

/// A loop's handle on its entry; cheap to clone.
#[derive(Debug, Clone)]
pub struct Beat {
    name: &'static str,
    loops: Loops,
}

impl Beat {
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// A round completed.
    pub fn tick(&self) {
        let now = (Utc::now(), Instant::now());
        self.loops.update(self.name, |e| {
            e.last_tick = Some(now);
            e.failures_in_a_row = 0;
        });
    }

    /// A round failed; returns how many have failed in a row.
    pub fn failed(&self, error: &str) -> u32 {
        let mut n = 0;
        self.loops.update(self.name, |e| {
            e.failures_in_a_row = e.failures_in_a_row.saturating_add(1);
            e.last_error = Some(error.to_owned());
            n = e.failures_in_a_row;
        });
        n
    }

    /// The loop died (`error` says how) and will be started again.
    pub fn restarting(&self, error: &str) {
        self.set(LoopStatus::Restarting, |e| {
            e.restarts = e.restarts.saturating_add(1);
            e.last_error = Some(error.to_owned());
        });
    }

    /// The loop runs (again). Its silence is measured from now.
    pub fn running(&self) {
        self.set(LoopStatus::Running, |e| e.failures_in_a_row = 0);
    }

    pub fn standby(&self) {
        self.set(LoopStatus::Standby, |_| {});
    }

    pub fn stopped(&self) {
        self.set(LoopStatus::Stopped, |_| {});
    }

    fn set(&self, status: LoopStatus, also: impl FnOnce(&mut Entry)) {
        let now = (Utc::now(), Instant::now());
        self.loops.update(self.name, |e| {
            if e.status != status {
                e.status = status;
                e.since = now.0;
                e.since_instant = now.1;
            }
            also(e);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_loop_silent_for_three_intervals_is_down() {
        let loops = Loops::default();
        let beat = loops.register("evaluator", Some(Duration::from_secs(4)), true);
        beat.tick();
        assert!(loops.down().is_empty());
        // As if its last round ended 13 s ago: past 3 × 4 s.
        loops.update("evaluator", |e| {
            e.last_tick = e
                .last_tick
                .map(|(at, i)| (at, i.checked_sub(Duration::from_secs(13)).unwrap_or(i)));
        });
        assert_eq!(loops.down(), ["evaluator"]);
        beat.tick();
        assert!(loops.down().is_empty());
    }

    #[test]
    fn restarting_is_down_counted_and_running_again_is_not() {
        let loops = Loops::default();
        let beat = loops.register("delivery", None, true);
        beat.restarting("panicked: boom");
        let r = &loops.report()["delivery"];
        assert_eq!((r.status, r.restarts), (LoopStatus::Restarting, 1));
        assert_eq!(loops.down(), ["delivery"]);
        beat.running();
        assert!(loops.down().is_empty());
        // A second registration (a new term of leadership) keeps the count.
        let again = loops.register("delivery", None, true);
        again.restarting("again");
        assert_eq!(loops.report()["delivery"].restarts, 2);
    }

    #[test]
    fn standby_and_optional_loops_do_not_degrade() {
        let loops = Loops::default();
        loops
            .register("evaluator", Some(Duration::from_millis(1)), true)
            .standby();
        loops.register("retention", None, false).restarting("x");
        std::thread::sleep(Duration::from_millis(5));
        assert!(loops.down().is_empty());
    }
}
