//! The part of ingest that is the same on every backend: folding newly
//! stored events through the pure transition function over the state they
//! name, and remembering what changed so it is written once per group.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use telltale_model::{
    Event, Job, NewEvent, RejectedTransition, Run, RunChange, Worker, transition,
};

use crate::EventOutcome;

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
    changed_runs: Vec<String>,
    changed_jobs: Vec<String>,
    changed_workers: Vec<String>,
    changed: HashSet<(u8, String)>,
    pub rejected: Vec<RejectedTransition>,
}

impl State {
    /// Applies `events` in order. A refused run transition is logged and
    /// recorded; nothing else about that run changes.
    pub fn fold(&mut self, events: &[Event]) {
        for e in events {
            let run_key = e.run_id.as_deref();
            let next = transition(
                run_key.and_then(|k| self.runs.get(k)),
                e.job_name.as_deref().and_then(|k| self.jobs.get(k)),
                e.worker_id.as_deref().and_then(|k| self.workers.get(k)),
                e,
            );
            match (next.run, run_key) {
                (RunChange::Write(run), Some(key)) => {
                    if self.changed.insert((0, key.to_owned())) {
                        self.changed_runs.push(key.to_owned());
                    }
                    self.runs.insert(key.to_owned(), *run);
                }
                (RunChange::Rejected { status, reason }, Some(key)) => {
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
                _ => {}
            }
            if let Some(job) = next.job {
                if self.changed.insert((1, job.name.clone())) {
                    self.changed_jobs.push(job.name.clone());
                }
                self.jobs.insert(job.name.clone(), job);
            }
            if let Some(worker) = next.worker {
                if self.changed.insert((2, worker.worker_id.clone())) {
                    self.changed_workers.push(worker.worker_id.clone());
                }
                self.workers.insert(worker.worker_id.clone(), worker);
            }
        }
    }

    pub fn changed_runs(&self) -> impl Iterator<Item = &Run> {
        self.changed_runs.iter().filter_map(|k| self.runs.get(k))
    }

    pub fn changed_jobs(&self) -> impl Iterator<Item = &Job> {
        self.changed_jobs.iter().filter_map(|k| self.jobs.get(k))
    }

    pub fn changed_workers(&self) -> impl Iterator<Item = &Worker> {
        self.changed_workers
            .iter()
            .filter_map(|k| self.workers.get(k))
    }
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
