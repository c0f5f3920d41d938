//! The alert rules for one job: which alerts open, close, repeat or stop
//! being suppressed.

use chrono::{DateTime, Utc};

use super::{Evaluation, JobContext, check_state, plus, secs};
use crate::check::{Alert, AlertType, CheckState, CheckTransition, NewAlert, RECOVERY_TTL};
use crate::job::Job;

/// Applies the alert rules (Chief §11, plus noise control) to one job whose
/// stored state is `previous`, given its open alerts.
pub fn evaluate_job(
    job: &Job,
    ctx: &JobContext,
    previous: CheckState,
    open: &[Alert],
    now: DateTime<Utc>,
) -> (CheckState, Evaluation) {
    let policy = &job.policy;
    let (state, reason) = check_state(job, ctx, now);
    let mut eval = Evaluation::default();
    if state != previous {
        eval.transition = Some(CheckTransition {
            job_name: job.name.clone(),
            from: previous,
            to: state,
            reason: reason.clone(),
            at: now,
        });
    }
    let maintenance = ctx.maintenance.as_ref().map(|m| m.reason.clone());
    let suppression = |t: AlertType| match t {
        AlertType::Missed => maintenance.clone().or_else(|| {
            ctx.upstream_down
                .as_ref()
                .map(|up| format!("depends_on: job {up} is DOWN"))
        }),
        _ => maintenance.clone(),
    };
    let find = |t: AlertType| open.iter().find(|a| a.alert_type == t);
    let alert = |t: AlertType, reason: String| NewAlert {
        alert_type: t,
        job_name: Some(job.name.clone()),
        worker_id: None,
        // A FAILURE names the run that failed, never merely the latest one.
        run_id: match t {
            AlertType::Failure => job.last_failure_run_id.clone(),
            _ => job.last_run_id.clone(),
        },
        reason,
        suppressed: suppression(t),
    };
    let mut recovered = false;

    // FAILURE: open once the latest runs failed `failure_threshold` times in
    // a row, and a run failed since one was last closed by hand; close on a
    // success.
    // `!=`, not `>`: the count only grows, except when a job row that could
    // not be read was started afresh (its old ack then stands above it), and
    // a stale ack must not hold back that job's failures.
    let failing = job.consecutive_failures >= policy.failure_threshold.max(1)
        && job.failures_total != ctx.acks.failures;
    match find(AlertType::Failure) {
        None if failing && policy.alert_on_failure => {
            let last = match &job.last_failure_run_id {
                Some(run) => format!("; last: {run}"),
                None => String::new(),
            };
            let why = job
                .last_failure_reason
                .as_deref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default();
            eval.open.push(alert(
                AlertType::Failure,
                format!(
                    "{} consecutive failed run(s){last}{why}",
                    job.consecutive_failures
                ),
            ));
        }
        Some(a) if job.consecutive_failures == 0 => {
            eval.close.push((a.id, "a later run completed".into()));
            recovered = true;
        }
        _ => {}
    }

    // MISSED: open when the check is DOWN (unless closed by hand in this
    // same DOWN); close when it is up again.
    match find(AlertType::Missed) {
        None if state == CheckState::Down && policy.alert_on_miss && !ctx.acks.missed => {
            eval.open.push(alert(AlertType::Missed, reason.clone()))
        }
        Some(a) if matches!(state, CheckState::Up | CheckState::New) => {
            eval.close.push((a.id, "the job ran again".into()));
            recovered = true;
        }
        Some(a) if state == CheckState::Paused => {
            eval.close.push((a.id, "checking was turned off".into()));
        }
        _ => {}
    }

    // RECOVERY: transient; closes on the next heartbeat or after the TTL.
    match find(AlertType::Recovery) {
        Some(a) if !recovered => {
            if job.last_heartbeat_at.is_some_and(|beat| beat > a.opened_at) {
                eval.close.push((a.id, "next heartbeat".into()));
            } else if now - a.opened_at >= RECOVERY_TTL {
                eval.close.push((
                    a.id,
                    format!("expired after {}s", RECOVERY_TTL.num_seconds()),
                ));
            }
        }
        None if recovered => eval.open.push(alert(
            AlertType::Recovery,
            "the job is healthy again".into(),
        )),
        _ => {}
    }

    // Alerts that stay open: tell people once a suppression ends, and again
    // every `repeat_interval_seconds` while nobody has fixed it.
    for a in open {
        if eval.close.iter().any(|(id, _)| *id == a.id) {
            continue;
        }
        if a.suppressed.is_some() {
            if suppression(a.alert_type).is_none() {
                eval.unsuppress.push(a.id);
            }
        } else if let Some(due) = repeat_due(job, a)
            && now >= due
        {
            eval.repeat.push(a.id);
        }
    }
    (state, eval)
}

/// When an open, notified FAILURE or MISSED is next re-notified.
pub(super) fn repeat_due(job: &Job, a: &Alert) -> Option<DateTime<Utc>> {
    let every = job.policy.repeat_interval_seconds.filter(|s| *s > 0)?;
    if !matches!(a.alert_type, AlertType::Failure | AlertType::Missed) || a.suppressed.is_some() {
        return None;
    }
    Some(plus(a.notified_at.unwrap_or(a.opened_at), secs(every)))
}
