//! When to look at a job again: the next time at which time alone can
//! change what the rules decide, so the engine need not poll every job.

use chrono::{DateTime, Duration, Utc};

use super::job::repeat_due;
use super::{Evaluation, JobContext, plus, secs};
use crate::check::{Alert, AlertType, CheckState, RECOVERY_TTL};
use crate::job::Job;

/// The earliest time after `now` at which time alone can change this job's
/// outcome: its check deadline, an overrun, the expiry of a RECOVERY, a
/// repeat, or the end of a maintenance window that suppresses an alert.
pub fn deadline(
    job: &Job,
    ctx: &JobContext,
    state: CheckState,
    alerts: &[Alert],
    eval: &Evaluation,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let mut times: Vec<DateTime<Utc>> = Vec::new();
    if state != CheckState::Paused {
        check_times(job, ctx, &mut times);
    }
    open_alert_times(job, ctx, alerts, eval, now, &mut times);
    new_alert_times(job, ctx, eval, now, &mut times);
    times.into_iter().filter(|t| *t > now).min()
}

/// When the check state can change: the expected run, the end of its grace
/// (later if Telltale was blind), the end of a hold, an overrun.
fn check_times(job: &Job, ctx: &JobContext, times: &mut Vec<DateTime<Utc>>) {
    if let Some(expected) = ctx.expected {
        let grace = secs(job.policy.start_grace());
        let mut down_at = plus(expected, grace);
        if let Some(b) = &ctx.blind
            && let Some(until) = b.until
            && down_at >= b.since
            && expected < until
        {
            down_at = down_at.max(plus(until, grace));
        }
        times.push(expected);
        times.push(plus(down_at, Duration::microseconds(1)));
        // A hold ends by time alone.
        if let Some(b) = &ctx.blind
            && b.until.is_none()
            && let Some(end) = b.hold_until
        {
            times.push(plus(end, Duration::microseconds(1)));
        }
    }
    if let (Some(run), Some(max)) = (&ctx.running, job.policy.max_runtime_seconds) {
        times.push(plus(
            plus(run.started_at, secs(max)),
            Duration::microseconds(1),
        ));
    }
}

/// When the alerts that stay open can change: a RECOVERY's expiry, the
/// next repeat, the end of the maintenance window that suppresses one.
fn open_alert_times(
    job: &Job,
    ctx: &JobContext,
    alerts: &[Alert],
    eval: &Evaluation,
    now: DateTime<Utc>,
    times: &mut Vec<DateTime<Utc>>,
) {
    let closed = |id: i64| eval.close.iter().any(|(c, _)| *c == id);
    for a in alerts.iter().filter(|a| !closed(a.id)) {
        if a.alert_type == AlertType::Recovery {
            times.push(plus(a.opened_at, RECOVERY_TTL));
        }
        // Notified in this very evaluation: the next repeat counts from now.
        let notified_now = eval.repeat.contains(&a.id) || eval.unsuppress.contains(&a.id);
        let a = &Alert {
            notified_at: if notified_now {
                Some(now)
            } else {
                a.notified_at
            },
            suppressed: if eval.unsuppress.contains(&a.id) {
                None
            } else {
                a.suppressed.clone()
            },
            ..a.clone()
        };
        if let Some(due) = repeat_due(job, a) {
            times.push(due);
        }
        if a.suppressed.is_some()
            && let Some(m) = &ctx.maintenance
        {
            times.push(m.until);
        }
    }
}

/// When the alerts this evaluation opens can change: as for open ones,
/// counted from now.
fn new_alert_times(
    job: &Job,
    ctx: &JobContext,
    eval: &Evaluation,
    now: DateTime<Utc>,
    times: &mut Vec<DateTime<Utc>>,
) {
    for new in &eval.open {
        if new.alert_type == AlertType::Recovery {
            times.push(plus(now, RECOVERY_TTL));
        }
        if new.suppressed.is_some()
            && let Some(m) = &ctx.maintenance
        {
            times.push(m.until);
        }
        if new.suppressed.is_none()
            && matches!(new.alert_type, AlertType::Failure | AlertType::Missed)
            && let Some(every) = job.policy.repeat_interval_seconds.filter(|s| *s > 0)
        {
            times.push(plus(now, secs(every)));
        }
    }
}
