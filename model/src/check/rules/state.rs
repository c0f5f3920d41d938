//! A job's check state at a given time, and the reason for it, in words.

use chrono::{DateTime, Duration, Utc};

use super::{Blind, JobContext, plus, secs};
use crate::check::CheckState;
use crate::job::Job;

/// The state of `job` at `now`, and why.
pub fn check_state(job: &Job, ctx: &JobContext, now: DateTime<Utc>) -> (CheckState, String) {
    if !job.policy.check_enabled {
        return (
            CheckState::Paused,
            "checking is off (check_enabled: false)".into(),
        );
    }
    if let Some(overrun) = overrun(job, ctx, now) {
        return overrun;
    }
    // Any start, success or failure is a first signal.
    let seen = job.last_heartbeat_at.is_some() || job.last_failure_at.is_some();
    let Some(expected) = ctx.expected else {
        return if seen {
            (CheckState::Up, "runs seen; no next run expected".into())
        } else {
            (CheckState::New, "no run seen yet".into())
        };
    };
    // The expected run came: the job is up until the next expectation.
    if job.last_heartbeat_at.is_some_and(|beat| beat >= expected) {
        return (CheckState::Up, "the expected run started".into());
    }
    if now - expected <= Duration::zero() {
        return if seen {
            (CheckState::Up, format!("next run expected at {expected}"))
        } else {
            (CheckState::New, format!("first run expected at {expected}"))
        };
    }
    overdue(job, ctx, expected, now)
}

/// DOWN when the running run has been running past `max_runtime_seconds`.
fn overrun(job: &Job, ctx: &JobContext, now: DateTime<Utc>) -> Option<(CheckState, String)> {
    let (Some(run), Some(max)) = (&ctx.running, job.policy.max_runtime_seconds) else {
        return None;
    };
    (now > plus(run.started_at, secs(max))).then(|| {
        (
            CheckState::Down,
            format!(
                "overrun: run {} started at {} is still running after max_runtime_seconds {max}",
                run.run_id, run.started_at
            ),
        )
    })
}

/// The expected run is overdue: LATE within its grace, DOWN past it.
fn overdue(
    job: &Job,
    ctx: &JobContext,
    expected: DateTime<Utc>,
    now: DateTime<Utc>,
) -> (CheckState, String) {
    let policy = &job.policy;
    let grace = secs(policy.start_grace());
    let grace_name = if policy.start_grace() < policy.grace_seconds {
        "start_grace_seconds"
    } else {
        "grace"
    };
    let overdue = now - expected;
    let mut down_at = plus(expected, grace);
    let mut counted_from = String::new();
    if let Some(blind) = &ctx.blind
        && down_at >= blind.since
    {
        match while_blind(blind, expected, grace, down_at, now) {
            Ok((at, why)) => (down_at, counted_from) = (at, why),
            Err(held) => return held,
        }
    }
    if now <= down_at {
        (
            CheckState::Late,
            format!(
                "expected at {expected}; {}s late, {grace_name} {}s{counted_from}",
                overdue.num_seconds(),
                grace.num_seconds()
            ),
        )
    } else {
        (
            CheckState::Down,
            format!(
                "expected at {expected}; no start within the {}s {grace_name}{counted_from}",
                grace.num_seconds()
            ),
        )
    }
}

/// When a run due while Telltale was blind goes DOWN, and what the reason
/// adds about it; or, while MISSED is held, the LATE it stays.
fn while_blind(
    blind: &Blind,
    expected: DateTime<Utc>,
    grace: Duration,
    down_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(DateTime<Utc>, String), (CheckState, String)> {
    match blind.until {
        None if now > down_at => match blind.hold_until {
            Some(end) if now > end => Ok((
                down_at,
                format!(
                    "; {} (MISSED was held until {end} and is no longer)",
                    blind.cause
                ),
            )),
            _ => Err((
                CheckState::Late,
                format!(
                    "monitor_blind: expected at {expected}; MISSED held while {}",
                    blind.cause
                ),
            )),
        },
        Some(until) if expected < until => Ok((
            down_at.max(plus(until, grace)),
            format!(
                " (grace counted from {until}, when Telltale could see again after {})",
                blind.cause
            ),
        )),
        _ => Ok((down_at, String::new())),
    }
}
