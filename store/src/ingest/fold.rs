//! The part of ingest that is the same on every backend: folding newly
//! stored events through the pure transition function over the state they
//! name, and remembering what changed so it is written once per group.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use telltale_model::{Event, Job, NewEvent, RejectedTransition, Run, RunOutcome, Worker, apply};

use crate::ingest::{Changed, EventOutcome};

/// The distinct runs, jobs and workers a group of events names.
pub struct Keys {
    pub run_ids: Vec<String>,
    pub job_names: Vec<String>,
    pub worker_ids: Vec<String>,
}

impl Keys {
    pub fn of(events: &[Event]) -> Keys {
        fn distinct<'a>(values: impl Iterator<Item = Option<&'a str>>) -> Vec<String> {
            let set: HashSet<&str> = values.flatten().collect();
            set.into_iter().map(str::to_owned).collect()
        }
        Keys {
            run_ids: distinct(events.iter().map(|e| e.run_id.as_deref())),
            job_names: distinct(events.iter().map(|e| e.job_name.as_deref())),
            worker_ids: distinct(events.iter().map(|e| e.worker_id.as_deref())),
        }
    }
}

/// State as loaded, then as changed by the group's events.
#[derive(Default)]
pub struct State {
    pub runs: HashMap<String, Run>,
    pub jobs: HashMap<String, Job>,
    pub workers: HashMap<String, Worker>,
    changed_runs: ChangedKeys,
    changed_jobs: ChangedKeys,
    changed_workers: ChangedKeys,
    pub rejected: Vec<RejectedTransition>,
}

impl State {
    /// Applies `events` in order, each judged at its time unless that lies
    /// more than `skew` ahead of its receipt. A refused run transition is
    /// logged and recorded; nothing else about that run changes. What each
    /// event wrote, in the order of `events`.
    pub fn fold(&mut self, events: &[Event], skew: chrono::Duration) -> Vec<Written> {
        let mut written = Vec::with_capacity(events.len());
        for e in events {
            // Each subject is taken out of its map, changed in place by
            // `apply` and put back under the same key: no copy per event.
            let (run_id, job_name, worker_id) = (
                e.run_id.as_deref(),
                e.job_name.as_deref(),
                e.worker_id.as_deref(),
            );
            let (run_key, mut run) = take(&mut self.runs, run_id);
            let (job_key, mut job) = take(&mut self.jobs, job_name);
            let (worker_key, mut worker) = take(&mut self.workers, worker_id);
            let applied = apply(&mut run, &mut job, &mut worker, e, skew);
            written.push(Written {
                run: applied.run == RunOutcome::Written,
                job: applied.job_written,
                worker: applied.worker_written,
            });
            match applied.run {
                RunOutcome::Written => mark(&mut self.changed_runs, run_id),
                RunOutcome::Rejected { status, reason } => {
                    if let Some(key) = run_id {
                        tracing::info!(run = key, event = e.id, event_type = %e.event_type, %reason, "transition rejected");
                        self.rejected.push(RejectedTransition {
                            event: e.id,
                            run_id: key.to_owned(),
                            event_type: e.event_type.clone(),
                            run_status: status,
                            reason,
                            at: e.received_at,
                        });
                    }
                }
                RunOutcome::Untouched => {}
            }
            if applied.job_written {
                mark(&mut self.changed_jobs, job_name);
            }
            if applied.worker_written {
                mark(&mut self.changed_workers, worker_id);
            }
            put(&mut self.runs, run_key, run_id, run);
            put(&mut self.jobs, job_key, job_name, job);
            put(&mut self.workers, worker_key, worker_id, worker);
        }
        written
    }

    pub fn changed_runs(&self) -> impl Iterator<Item = &Run> {
        self.changed_runs
            .order
            .iter()
            .filter_map(|k| self.runs.get(k))
    }

    pub fn changed_jobs(&self) -> impl Iterator<Item = &Job> {
        self.changed_jobs
            .order
            .iter()
            .filter_map(|k| self.jobs.get(k))
    }

    pub fn changed_workers(&self) -> impl Iterator<Item = &Worker> {
        self.changed_workers
            .order
            .iter()
            .filter_map(|k| self.workers.get(k))
    }
}

/// The entry under `key` moved out of `map`, key and value (so putting it
/// back needs no new key), or nothing.
fn take<T>(map: &mut HashMap<String, T>, key: Option<&str>) -> (Option<String>, Option<T>) {
    match key.and_then(|k| map.remove_entry(k)) {
        Some((k, v)) => (Some(k), Some(v)),
        None => (None, None),
    }
}

/// Puts `value` back under the key `take` gave, or under `name` when the
/// event created it.
fn put<T>(map: &mut HashMap<String, T>, key: Option<String>, name: Option<&str>, value: Option<T>) {
    let Some(value) = value else { return };
    if let Some(key) = key.or_else(|| name.map(str::to_owned)) {
        map.insert(key, value);
    }
}

/// Records `key` as changed, once, in first-changed order.
fn mark(changed: &mut ChangedKeys, key: Option<&str>) {
    let Some(key) = key else { return };
    // Looked up before a key is copied: most events change what an
    // earlier event of the group already changed.
    if !changed.seen.contains(key) {
        changed.seen.insert(key.to_owned());
        changed.order.push(key.to_owned());
    }
}

/// What folding one event wrote.
#[derive(Debug, Clone, Copy, Default)]
pub struct Written {
    pub run: bool,
    pub job: bool,
    pub worker: bool,
}

/// The runs, jobs and workers `events` changed, `written[i]` saying what
/// `events[i]` wrote: each name once, in the order it first changed.
pub fn changed_by(events: &[Event], written: &[Written]) -> Changed {
    let (mut runs, mut jobs, mut workers) = (Names::default(), Names::default(), Names::default());
    for (e, w) in events.iter().zip(written) {
        if w.run {
            runs.add(e.run_id.as_deref());
        }
        if w.job {
            jobs.add(e.job_name.as_deref());
        }
        if w.worker {
            workers.add(e.worker_id.as_deref());
        }
    }
    Changed {
        runs: runs.order,
        jobs: jobs.order,
        workers: workers.order,
    }
}

/// Distinct names in the order first added.
#[derive(Default)]
struct Names<'a> {
    order: Vec<String>,
    seen: HashSet<&'a str>,
}

impl<'a> Names<'a> {
    fn add(&mut self, name: Option<&'a str>) {
        // A request's events come run by run: most repeat the last name.
        if let Some(name) = name
            && self.order.last().map(String::as_str) != Some(name)
            && self.seen.insert(name)
        {
            self.order.push(name.to_owned());
        }
    }
}

/// Keys changed by a group, in the order they first changed.
#[derive(Default)]
struct ChangedKeys {
    order: Vec<String>,
    seen: HashSet<String>,
}

/// The stored form of the events that were inserted, in input order.
pub fn stored_events(
    events: &[NewEvent],
    outcomes: &[EventOutcome],
    received_at: DateTime<Utc>,
) -> Vec<Event> {
    events
        .iter()
        .zip(outcomes)
        .filter_map(|(e, outcome)| match outcome {
            EventOutcome::Inserted(id) => Some(Event {
                id: *id,
                event_id: e.event_id.clone(),
                source_type: e.source_type,
                level: e.level,
                event_type: e.event_type.clone(),
                message: e.message.clone(),
                event_at: e.event_at,
                received_at,
                job_name: e.job_name.clone(),
                run_id: e.run_id.clone(),
                worker_id: e.worker_id.clone(),
                script_path: e.script_path.clone(),
                metadata: e.metadata.clone(),
            }),
            EventOutcome::Duplicate => None,
        })
        .collect()
}
