//! A worker's next state: when it was last heard from, and what its
//! heartbeats say it is running.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::EventKind;
use crate::event::Event;
use crate::metadata;
use crate::worker::Worker;

pub(super) fn next_worker(worker: &mut Worker, kind: EventKind, event: &Event, at: DateTime<Utc>) {
    worker.first_seen_at = worker.first_seen_at.min(at);
    worker.last_event_at = worker.last_event_at.max(at);
    if kind == EventKind::WorkerHeartbeat {
        // Only a heartbeat at least as new as the last one speaks for now;
        // a late, older one must not overwrite the current run.
        let newest = worker.last_heartbeat_at.is_none_or(|last| at >= last);
        if newest {
            worker.last_heartbeat_at = Some(at);
            let meta = event.metadata.as_object();
            let text = |key: &str| meta.and_then(|m| m.get(key)).and_then(Value::as_str);
            if let Some(host) = text("hostname") {
                worker.hostname = Some(host.to_owned());
            }
            worker.current_run_id = text("current_run_id")
                .or_else(|| text("current_job_id"))
                .map(str::to_owned)
                .or_else(|| event.run_id.clone());
            if let Some(secs) = meta.and_then(|m| metadata::number(m, "interval_seconds").value()) {
                worker.interval_seconds = secs;
            }
        }
    }
}
