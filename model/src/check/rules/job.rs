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
    let rules = Rules {
        job,
        ctx,
        open,
        now,
        state,
        reason,
        maintenance: ctx.maintenance.as_ref().map(|m| m.reason.clone()),
    };
    let recovered_from_failure = rules.failure(&mut eval);
    let recovered_from_miss = rules.missed(&mut eval);
    rules.recovery(&mut eval, recovered_from_failure || recovered_from_miss);
    rules.renotify(&mut eval);
    (state, eval)
}

/// One job's facts, as each alert rule reads them.
struct Rules<'a> {
    job: &'a Job,
    ctx: &'a JobContext,
    open: &'a [Alert],
    now: DateTime<Utc>,
    /// The check state now, and why.
    state: CheckState,
    reason: String,
    /// Why alerts are held back now, if a maintenance window is open.
    maintenance: Option<String>,
}

impl Rules<'_> {
    /// Why an alert of type `t` would be held back now, if it would.
    fn suppression(&self, t: AlertType) -> Option<String> {
        match t {
            AlertType::Missed => self.maintenance.clone().or_else(|| {
                self.ctx
                    .upstream_down
                    .as_ref()
                    .map(|up| format!("depends_on: job {up} is DOWN"))
            }),
            _ => self.maintenance.clone(),
        }
    }

    fn find(&self, t: AlertType) -> Option<&Alert> {
        self.open.iter().find(|a| a.alert_type == t)
    }

    fn alert(&self, t: AlertType, reason: String) -> NewAlert {
        NewAlert {
            alert_type: t,
            job_name: Some(self.job.name.clone()),
            worker_id: None,
            // A FAILURE names the run that failed, never merely the latest one.
            run_id: match t {
                AlertType::Failure => self.job.last_failure_run_id.clone(),
                _ => self.job.last_run_id.clone(),
            },
            reason,
            suppressed: self.suppression(t),
        }
    }

    /// FAILURE: open once the latest runs failed `failure_threshold` times
    /// in a row, and a run failed since one was last closed by hand; close on
    /// a success. True when it closed (the job recovered).
    fn failure(&self, eval: &mut Evaluation) -> bool {
        let job = self.job;
        // `!=`, not `>`: the count only grows, except when a job row that
        // could not be read was started afresh (its old ack then stands
        // above it), and a stale ack must not hold back that job's failures.
        let failing = job.consecutive_failures >= job.policy.failure_threshold.max(1)
            && job.failures_total != self.ctx.acks.failures;
        match self.find(AlertType::Failure) {
            None if failing && job.policy.alert_on_failure => {
                let last = match &job.last_failure_run_id {
                    Some(run) => format!("; last: {run}"),
                    None => String::new(),
                };
                let why = job
                    .last_failure_reason
                    .as_deref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default();
                eval.open.push(self.alert(
                    AlertType::Failure,
                    format!(
                        "{} consecutive failed run(s){last}{why}",
                        job.consecutive_failures
                    ),
                ));
                false
            }
            Some(a) if job.consecutive_failures == 0 => {
                eval.close.push((a.id, "a later run completed".into()));
                true
            }
            _ => false,
        }
    }

    /// MISSED: open when the check is DOWN (unless closed by hand in this
    /// same DOWN); close when it is up again. True when the job recovered.
    fn missed(&self, eval: &mut Evaluation) -> bool {
        match self.find(AlertType::Missed) {
            None if self.state == CheckState::Down
                && self.job.policy.alert_on_miss
                && !self.ctx.acks.missed =>
            {
                eval.open
                    .push(self.alert(AlertType::Missed, self.reason.clone()));
                false
            }
            Some(a) if matches!(self.state, CheckState::Up | CheckState::New) => {
                eval.close.push((a.id, "the job ran again".into()));
                true
            }
            Some(a) if self.state == CheckState::Paused => {
                eval.close.push((a.id, "checking was turned off".into()));
                false
            }
            _ => false,
        }
    }

    /// RECOVERY: opens when the job `recovered`; transient, it closes on
    /// the next heartbeat or after the TTL.
    fn recovery(&self, eval: &mut Evaluation, recovered: bool) {
        match self.find(AlertType::Recovery) {
            Some(a) if !recovered => {
                if self
                    .job
                    .last_heartbeat_at
                    .is_some_and(|beat| beat > a.opened_at)
                {
                    eval.close.push((a.id, "next heartbeat".into()));
                } else if self.now - a.opened_at >= RECOVERY_TTL {
                    eval.close.push((
                        a.id,
                        format!("expired after {}s", RECOVERY_TTL.num_seconds()),
                    ));
                }
            }
            None if recovered => eval
                .open
                .push(self.alert(AlertType::Recovery, "the job is healthy again".into())),
            _ => {}
        }
    }

    /// Alerts that stay open: tell people once a suppression ends, and again
    /// every `repeat_interval_seconds` while nobody has fixed it.
    fn renotify(&self, eval: &mut Evaluation) {
        for a in self.open {
            if eval.close.iter().any(|(id, _)| *id == a.id) {
                continue;
            }
            if a.suppressed.is_some() {
                if self.suppression(a.alert_type).is_none() {
                    eval.unsuppress.push(a.id);
                }
            } else if let Some(due) = repeat_due(self.job, a)
                && self.now >= due
            {
                eval.repeat.push(a.id);
            }
        }
    }
}

/// When an open, notified FAILURE or MISSED is next re-notified.
pub(super) fn repeat_due(job: &Job, a: &Alert) -> Option<DateTime<Utc>> {
    let every = job.policy.repeat_interval_seconds.filter(|s| *s > 0)?;
    if !matches!(a.alert_type, AlertType::Failure | AlertType::Missed) || a.suppressed.is_some() {
        return None;
    }
    Some(plus(a.notified_at.unwrap_or(a.opened_at), secs(every)))
}
