//! A job's next state: its times, the policy its events set, its last run,
//! and the counters of successes and failures that alerts are judged by.

use chrono::{DateTime, Utc};

use super::policy::apply_policy;
use super::{EventKind, later, set_text};
use crate::event::Event;
use crate::job::{CheckPolicy, Job};
use crate::metadata;
use crate::run::Run;

pub(super) fn next_job(
    job: &mut Job,
    kind: EventKind,
    run_accepted: bool,
    run: Option<&Run>,
    event: &Event,
    at: DateTime<Utc>,
) {
    job.first_seen_at = job.first_seen_at.min(at);
    job.last_event_at = job.last_event_at.max(at);
    apply_policy(
        &mut job.policy,
        event.metadata.as_object(),
        &job.managed.operator_keys,
    );

    if kind.touches_run()
        && run_accepted
        && let Some(run_id) = &event.run_id
    {
        set_text(&mut job.last_run_id, run_id);
    }
    match kind {
        EventKind::RunStarted if run_accepted => {
            job.last_heartbeat_at = Some(later(job.last_heartbeat_at, at));
        }
        EventKind::RunCompleted if run_accepted => {
            job.last_heartbeat_at = Some(later(job.last_heartbeat_at, at));
            if let Some(reason) = too_fast(&job.policy, run) {
                // The producer said it completed; the policy says a run this
                // short cannot have done its work. The run keeps its status,
                // the job counts a failure.
                count_failure(job, at, reason, run);
            } else {
                job.last_success_at = Some(later(job.last_success_at, at));
                job.consecutive_failures = 0;
            }
        }
        EventKind::RunFailed if run_accepted => {
            let reason = run.and_then(|r| r.failure_reason.clone());
            count_failure(
                job,
                at,
                reason.unwrap_or_else(|| event.message.clone()),
                run,
            );
        }
        EventKind::NextScheduled => {
            let next = event
                .metadata
                .as_object()
                .and_then(|m| metadata::next_run_at(m, event.received_at).value());
            if let Some(next) = next {
                job.expected_next_at = Some(next);
            }
        }
        _ => {}
    }
}

/// One more failed run of `job`: the counters, when, why, and which run
/// (so an alert never names a run that did not fail).
fn count_failure(job: &mut Job, at: DateTime<Utc>, reason: String, run: Option<&Run>) {
    job.last_failure_at = Some(later(job.last_failure_at, at));
    job.consecutive_failures = job.consecutive_failures.saturating_add(1);
    job.failures_total = job.failures_total.saturating_add(1);
    job.last_failure_reason = Some(reason);
    job.last_failure_run_id = run.map(|r| r.run_id.clone());
}

/// `too_fast: …` when a completed run was shorter than `min_runtime_seconds`.
fn too_fast(policy: &CheckPolicy, run: Option<&Run>) -> Option<String> {
    let min = policy.min_runtime_seconds?;
    let run = run?;
    let took = run.end_time? - run.start_time?;
    (took < chrono::Duration::seconds(i64::from(min))).then(|| {
        format!(
            "too_fast: run {} completed in {}s; min_runtime_seconds is {min}",
            run.run_id,
            took.num_seconds()
        )
    })
}
